"""The integrations app's pages (thin: parse, authorize with ``can()``, read through
``visible_to``, call the services): the email-template editor with its live preview, the
message log, webhooks and their deliveries (issue 5 items 4, 8, 9)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from kesher.integrations import selectors, services
from kesher.integrations.compose import compose, preview_html
from kesher.integrations.merge import available_fields, require_valid
from kesher.integrations.models import (
    EmailTemplate,
    OutgoingMessage,
    WebhookDelivery,
    WebhookSubscription,
)
from kesher.platform.access import can
from kesher.platform.records.links import linkable_keys
from kesher.platform.registry import registry
from kesher.platform.ui.forms import form_for
from kesher.platform.ui.pages import render_partial, save_form

RECORD_CHOICES = 50


def _require(user, key: str, action: str) -> None:
    if not can(user, key, action):
        raise PermissionDenied


def _errors_text(error: ValidationError) -> str:
    return " ".join(error.messages)


# --- the email-template editor ------------------------------------------------------------------


def _record_options(user, entity_key: str) -> list:
    """Records of ``entity_key`` the user may see, for the preview's record list."""
    if entity_key not in linkable_keys() or not can(user, entity_key, "view"):
        return []
    entity = registry.get(entity_key)
    return list(
        entity.model.objects.visible_to(user).order_by(*entity.default_ordering)[:RECORD_CHOICES]
    )


@login_required
def template_editor(request, pk=None):
    """Create or edit a template beside a live preview in Hebrew and English."""
    entity = registry.get("email-templates")
    template = None
    if pk is not None:
        _require(request.user, "email-templates", "change")
        template = get_object_or_404(EmailTemplate.objects.all(), pk=pk)
    else:
        _require(request.user, "email-templates", "add")
    form_class = form_for(entity, request.user)
    form = form_class(request.POST or None, instance=template)
    # HTML source reads left to right whatever its language; English text too.
    for name in ("body_he", "body_en"):
        form.fields[name].widget.attrs.update({"dir": "ltr", "rows": 10, "spellcheck": "false"})
        attrs = form.fields[name].widget.attrs
        attrs["class"] = f"{attrs.get('class', 'form-control')} font-monospace small"
    form.fields["subject_en"].widget.attrs["dir"] = "ltr"
    if request.method == "POST" and form.is_valid():
        saved = save_form(request, entity, form, template)
        if saved is not None:
            messages.success(request, _("The email template was saved."))
            return redirect(reverse("integrations_template_editor", args=[saved.pk]))
    entity_key = form["entity"].value() or (template.entity if template else "")
    context = {
        "form": form,
        "template": template,
        "merge_fields": available_fields(entity_key if entity_key in linkable_keys() else ""),
        "records": _record_options(request.user, entity_key),
    }
    return render(request, "integrations/template_editor.html", context)


@login_required
def template_records(request):
    """The preview's record list and merge fields for the chosen kind of record (htmx)."""
    _require(request.user, "email-templates", "view")
    entity_key = request.GET.get("entity", "")
    if entity_key and entity_key not in linkable_keys():
        raise Http404
    context = {
        "records": _record_options(request.user, entity_key),
        "merge_fields": available_fields(entity_key),
    }
    response = render(request, "integrations/template_editor.html#choices", context)
    # The records changed: the preview follows with the new first record.
    return trigger_client_event(response, "refresh-preview")


def _draft(request) -> EmailTemplate:
    """An unsaved template from the editor's fields, for the preview."""
    return EmailTemplate(
        entity=request.POST.get("entity", ""),
        subject_he=request.POST.get("subject_he", ""),
        subject_en=request.POST.get("subject_en", ""),
        body_he=request.POST.get("body_he", ""),
        body_en=request.POST.get("body_en", ""),
    )


@login_required
@require_POST
def template_preview(request):
    """The email as it would go out about the chosen record, in Hebrew and English (htmx)."""
    _require(request.user, "email-templates", "view")
    draft = _draft(request)
    context = {"previews": [], "errors": []}
    if draft.entity and draft.entity not in linkable_keys():
        raise Http404
    record = None
    record_id = request.POST.get("preview_record", "")
    try:
        if record_id:
            # A record the user may not see is refused, exactly like a missing one.
            record = services.visible_record(draft.entity, record_id, request.user)
        checked = {
            "subject_he": draft.subject_he,
            "subject_en": draft.subject_en,
            "body_he": draft.body_he,
            "body_en": draft.body_en,
        }
        require_valid(checked, draft.entity)
    except ValidationError as error:
        context["errors"] = error.messages
        # The editor's live preview shows the refusal in place (htmx swaps only a 2xx answer);
        # any other client gets the 400.
        status = 200 if request.htmx else 400
        return render(request, "integrations/template_editor.html#preview", context, status=status)
    for language in ("he", "en"):
        if language == "en" and not (draft.subject_en and draft.body_en):
            continue  # without both, English readers get the Hebrew email (as sent)
        email = compose(draft, record, language, readers=[request.user])
        context["previews"].append((language, preview_html(email), email.text))
    return render(request, "integrations/template_editor.html#preview", context)


@login_required
@require_POST
def template_send_test(request, pk):
    """Send the template about the chosen record to the signed-in user's own address."""
    _require(request.user, "email-templates", "view")
    template = get_object_or_404(EmailTemplate.objects.all(), pk=pk)
    try:
        message = services.send_test_email(
            actor=request.user,
            template=template,
            entity_key=template.entity,
            record_id=request.POST.get("preview_record", ""),
            language=request.POST.get("language", "he"),
        )
    except ValidationError as error:
        messages.error(request, _errors_text(error))
    else:
        messages.success(
            request,
            _("A test email to %(to)s is queued; the worker sends it within a minute.")
            % {"to": message.to},
        )
    return redirect(reverse("integrations_template_editor", args=[pk]))


# --- the message log ---------------------------------------------------------------------------


@login_required
def message_list(request):
    """Every message Kesher sent or will send, newest first, filtered by channel, status or
    record (issue 5 item 9)."""
    _require(request.user, "messages", "view")
    filters = selectors.message_filters(request.GET)
    rows, older = selectors.message_page(request.user, filters, request.GET.get("before"))
    labels = {e.key: e.label for e in registry.all()}
    for row in rows:
        row.link_label = labels.get(row.link_type, row.link_type)
    context = {
        "rows": rows,
        "older": older,
        "filters": filters,
        "channels": OutgoingMessage.Channel.choices,
        "statuses": OutgoingMessage.Status.choices,
        "can_retry": can(request.user, "messages", "change"),
    }
    return render_partial(request, "integrations/messages.html", context, "rows")


@login_required
@require_POST
def message_retry(request, pk):
    _require(request.user, "messages", "change")
    message = get_object_or_404(OutgoingMessage.objects.visible_to(request.user), pk=pk)
    try:
        services.message_retry(message, actor=request.user)
    except ValidationError as error:
        messages.error(request, _errors_text(error))
    else:
        messages.success(request, _("The message is queued again."))
    return redirect(f"{reverse('integrations_messages')}?message={pk}")


# --- webhooks ----------------------------------------------------------------------------------


def _subscription_data(post) -> dict:
    return {
        "name": post.get("name", ""),
        "url": post.get("url", ""),
        "entities": post.getlist("entities"),
        "events": post.getlist("events"),
        "active": True,
    }


@login_required
def webhook_list(request):
    """The webhooks, and a form for a new one; a new secret is shown once, on this answer."""
    _require(request.user, "webhooks", "view")
    errors = {}
    secret = None
    created = None
    if request.method == "POST":
        _require(request.user, "webhooks", "add")
        try:
            created, secret = services.webhook_subscription_create(
                actor=request.user, data=_subscription_data(request.POST)
            )
        except ValidationError as error:
            errors = error.message_dict
    context = {
        "subscriptions": WebhookSubscription.objects.visible_to(request.user),
        "entities": [(e.key, e.label_plural) for e in registry.all()],
        "events": WebhookSubscription.EVENTS,
        "errors": errors,
        "posted": request.POST if errors else None,
        "created": created,
        "secret": secret,
        "can_add": can(request.user, "webhooks", "add"),
        "can_delete": can(request.user, "webhooks", "delete"),
    }
    return render(request, "integrations/webhooks.html", context, status=400 if errors else 200)


@login_required
@require_POST
def webhook_delete(request, pk):
    _require(request.user, "webhooks", "delete")
    subscription = get_object_or_404(WebhookSubscription.objects.visible_to(request.user), pk=pk)
    services.webhook_subscription_delete(subscription, actor=request.user)
    messages.success(request, _("The webhook was deleted."))
    return redirect("integrations_webhooks")


@login_required
def delivery_list(request):
    """Webhook deliveries, newest first; ``?status=dead`` is the dead-letter list."""
    _require(request.user, "webhooks", "view")
    status = request.GET.get("status", "")
    if status not in WebhookDelivery.Status.values:
        status = ""
    rows = selectors.delivery_page(request.user, status)
    context = {
        "rows": rows,
        "status": status,
        "statuses": WebhookDelivery.Status.choices,
        "can_retry": can(request.user, "webhooks", "change"),
    }
    return render(request, "integrations/deliveries.html", context)


@login_required
@require_POST
def delivery_retry(request, pk):
    _require(request.user, "webhooks", "change")
    delivery = get_object_or_404(WebhookDelivery.objects.visible_to(request.user), pk=pk)
    try:
        services.webhook_delivery_retry(delivery, actor=request.user)
    except ValidationError as error:
        messages.error(request, _errors_text(error))
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect(f"{reverse('integrations_deliveries')}?status=dead")
