"""Generic pages for every registered entity: list, detail, create, edit, delete (thin: parse,
authorize, call the service, render)."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import search as search_index
from . import timeline
from .access import can, is_admin
from .bulk import available_actions
from .customforms import custom_data, custom_sections, error_target
from .forms import form_for
from .models import Attachment, AuditEntry
from .registry import Entity, registry
from .savedviews import (
    parse_filter,
    saved_view_create,
    saved_view_delete,
    saved_view_queryset,
)
from .services import (
    ConflictError,
    edit_blocked_reason,
    record_create,
    record_delete,
    record_update,
)
from .tables import Table, with_columns

PAGE_SIZE = 50

OP_LABELS = {
    "eq": gettext_lazy("is"),
    "ne": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "starts_with": gettext_lazy("starts with"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
    "gt": gettext_lazy("greater than"),
    "gte": gettext_lazy("at least"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "between": gettext_lazy("between"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
    "on_or_before": gettext_lazy("on or before"),
    "on_or_after": gettext_lazy("on or after"),
    "within_last_days": gettext_lazy("within the last days"),
    "within_next_days": gettext_lazy("within the next days"),
    "period": gettext_lazy("in the period"),
    "has": gettext_lazy("has"),
    "has_not": gettext_lazy("does not have"),
}
PERIOD_LABELS = {
    "today": gettext_lazy("today"),
    "yesterday": gettext_lazy("yesterday"),
    "this_week": gettext_lazy("this week"),
    "last_week": gettext_lazy("last week"),
    "this_month": gettext_lazy("this month"),
    "last_month": gettext_lazy("last month"),
    "this_quarter": gettext_lazy("this quarter"),
    "this_year": gettext_lazy("this year"),
    "last_year": gettext_lazy("last year"),
}


def render_partial(request, template: str, context: dict, partial: str):
    """The whole page, or just one named partial of it for htmx requests (STYLE.md)."""
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, f"{template}#{partial}", context)
    return render(request, template, context)


def _entity(key: str, user, action: str) -> Entity:
    try:
        entity = registry.get(key)
    except KeyError:
        raise Http404 from None
    if not can(user, key, action):
        raise PermissionDenied
    return entity


def _record(entity: Entity, user, pk, prefetch=(), joined=()):
    qs = entity.model.objects.visible_to(user)
    if entity.select_related or joined:
        qs = qs.select_related(*entity.select_related, *joined)
    if prefetch:
        qs = qs.prefetch_related(*prefetch)
    return get_object_or_404(qs, pk=pk)


@login_required
def home(request):
    recent = (
        AuditEntry.objects.filter(actor=request.user)
        .select_related("content_type")
        .order_by("-at")[:10]
    )
    cards = []
    for entity in registry.all():
        if entity.in_navigation and entity.owner_field and can(request.user, entity.key, "view"):
            mine = entity.model.objects.visible_to(request.user).filter(
                **{entity.owner_field: request.user}
            )
            cards.append((entity, mine.order_by("-updated_at")[:5]))
    return render(request, "platform/home.html", {"recent": recent, "cards": cards})


@login_required
def entity_list(request, key):
    entity = _entity(key, request.user, "view")
    table = Table(entity, request)
    if request.GET.get("count") == "1":
        table.count_only()
        return render(request, "platform/list.html#count", {"table": table})
    table.selectable = bool(available_actions(entity, request.user))
    context = {
        "entity": entity,
        "table": table,
        "can_add": can(request.user, key, "add"),
        "can_bulk": table.selectable,
        "saved_views": saved_view_queryset(request.user).filter(entity=key),
        "is_admin": is_admin(request.user),
        "builder": {"fields": table.builder_fields(), "ops": OP_LABELS, "periods": PERIOD_LABELS},
    }
    return render_partial(request, "platform/list.html", context, "results")


def _timeline(obj, user):
    """The record's changes merged with what apps add: interactions, tasks, later emails and
    automation runs (``kesher.platform.timeline``)."""
    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:100]
    )
    return timeline.merge(entries, obj, user)


def _panels(entity: Entity, kind: str = "panels") -> list[str]:
    """Templates apps add to an entity's detail page, by convention of name: the entity's own
    app's ``<app_label>/panels/<key>.html`` first, then any other Kesher app's (activities adds
    its panel to accounts and contacts this way). ``kind="banners"`` finds those shown above
    the record's fields instead (activities' alerts banner)."""
    labels = [entity.model._meta.app_label] + [
        app.label
        for app in apps.get_app_configs()
        if app.name.startswith("kesher.") and app.label != entity.model._meta.app_label
    ]
    names = []
    for label in labels:
        name = f"{label}/{kind}/{entity.key}.html"
        try:
            get_template(name)
        except TemplateDoesNotExist:
            continue
        names.append(name)
    return names


@login_required
def entity_timeline(request, key, pk):
    """The record's timeline, which its page loads after it shows (htmx): the page does not
    wait for every app's part of the history."""
    entity = _entity(key, request.user, "view")
    obj = _record(entity, request.user, pk)
    context = {"entity": entity, "obj": obj, "timeline": _timeline(obj, request.user)}
    return render(request, "platform/detail.html#timeline", context)


def _shown_links(entity: Entity) -> list[str]:
    """The record's own links (owner, status, company…) its sections show: read with it."""
    names = []
    for section in entity.sections:
        for name in section.fields:
            field = entity.model._meta.get_field(name)
            if field.many_to_one or field.one_to_one:
                names.append(name)
    return names


@login_required
def entity_detail(request, key, pk):
    entity = _entity(key, request.user, "view")
    obj = _record(
        entity, request.user, pk, prefetch=entity.prefetch_related, joined=_shown_links(entity)
    )
    sections = []
    for section in entity.sections:
        rows = [(entity.field(name), field_display(obj, name)) for name in section.fields]
        sections.append((section.title, rows))
    sections += custom_sections(entity, obj)
    related = []
    for rel in entity.related:
        target = registry.get(rel.entity_key)
        if not can(request.user, target.key, "view"):
            continue
        columns = [target.field(c) for c in rel.columns]
        rows = with_columns(
            target.model.objects.visible_to(request.user).filter(**{rel.lookup: obj}), columns
        ).order_by(*target.default_ordering)[:50]
        related.append(
            (rel, target, columns, [(r, [field_display(r, c) for c in rel.columns]) for r in rows])
        )
    attachments = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("uploaded_by")
    locked_reason = edit_blocked_reason(obj)
    context = {
        "entity": entity,
        "obj": obj,
        "locked_reason": locked_reason,
        "sections": sections,
        "related": related,
        "attachments": attachments,
        "can_change": can(request.user, key, "change") and not locked_reason,
        "can_delete": can(request.user, key, "delete") and not locked_reason,
        "panels": _panels(entity),
        "banners": _panels(entity, "banners"),
    }
    return render(request, "platform/detail.html", context)


def field_display(obj, name: str):
    """A field's value as text for pages: labels for choices, names for links."""
    from .fields import PhoneField, format_phone_national

    field = obj._meta.get_field(name)
    if isinstance(field, models.ManyToManyField):
        return ", ".join(str(v) for v in getattr(obj, name).all())
    value = getattr(obj, name)
    if value is None or value == "":
        return ""
    if isinstance(field, PhoneField):
        return format_phone_national(value)
    if field.choices:
        return getattr(obj, f"get_{name}_display")()
    return format_when(value)


def format_when(value):
    """Dates as dd/mm/yyyy, date-times as dd/mm/yyyy HH:MM in the user's time zone and times of
    day as HH:MM; any other value unchanged (DESIGN.md "Localization")."""
    if isinstance(value, datetime.datetime):
        return dateformat.format(timezone.localtime(value), "d/m/Y H:i")
    if isinstance(value, datetime.date):
        return dateformat.format(value, "d/m/Y")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return value


def _save(request, entity: Entity, form, obj=None):
    """Run the entity's service with the form's parsed values; map its errors onto the form."""
    data = {}
    m2m = {}
    custom = custom_data(form)
    if custom is not None:
        data["custom"] = custom
    for name in form.fields:
        if name == "version" or name not in form.cleaned_data:
            continue
        if getattr(form.fields[name], "custom_definition", None) is not None:
            continue
        field = entity.model._meta.get_field(name)
        if isinstance(field, models.ManyToManyField):
            m2m[name] = form.cleaned_data[name]
        else:
            data[name] = form.cleaned_data[name]
    try:
        if obj is None:
            service = entity.create_service
            if service is None:
                return record_create(entity, actor=request.user, data=data, m2m=m2m)
            return service(actor=request.user, data=data, m2m=m2m)
        service = entity.update_service or record_update
        return service(
            obj,
            actor=request.user,
            data=data,
            m2m=m2m,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field_name, errors in exc.error_dict.items():
                target = error_target(field_name) or field_name
                target = target if target in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            form.add_error(None, exc)
    except ConflictError as exc:
        form.add_error(None, str(exc))
    return None


@login_required
def entity_create(request, key):
    entity = _entity(key, request.user, "add")
    form_class = form_for(entity, request.user)
    initial = {k: v for k, v in request.GET.items() if k in form_class.base_fields}
    form = form_class(request.POST or None, initial=initial)
    duplicates = None
    if request.method == "POST" and form.is_valid():
        finder = entity.duplicate_finder
        if finder is not None and request.POST.get("create_anyway") != "1":
            # Records like this one the user may see: warn first, create on confirmation.
            duplicates = finder.find(request.user, form.cleaned_data)
        obj = None if duplicates else _save(request, entity, form)
        if obj is not None:
            messages.success(request, _("%(label)s created.") % {"label": obj})
            return redirect(reverse("entity_detail", args=[key, obj.pk]))
    context = {"entity": entity, "form": form, "obj": None, "duplicates": duplicates}
    return render(request, "platform/form.html", context)


@login_required
def entity_edit(request, key, pk):
    entity = _entity(key, request.user, "change")
    obj = _record(entity, request.user, pk)
    locked_reason = edit_blocked_reason(obj)
    if locked_reason:
        messages.error(request, locked_reason)
        return redirect(reverse("entity_detail", args=[key, pk]))
    form_class = form_for(entity, request.user)
    initial = {"version": getattr(obj, "version", None)}
    form = form_class(request.POST or None, instance=obj, initial=initial)
    if request.method == "POST" and form.is_valid():
        # The form wrote parsed values onto ``obj``; the service reads the stored row itself.
        saved = _save(request, entity, form, _record(entity, request.user, pk))
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect(reverse("entity_detail", args=[key, saved.pk]))
    return render(request, "platform/form.html", {"entity": entity, "form": form, "obj": obj})


@login_required
def entity_delete(request, key, pk):
    entity = _entity(key, request.user, "delete")
    obj = _record(entity, request.user, pk)
    replacements = None
    if entity.replacement_candidates is not None:
        replacements = entity.replacement_candidates(obj).visible_to(request.user)
    if request.method == "POST":
        options = {}
        if replacements is not None and request.POST.get("replacement"):
            options["replacement"] = replacements.filter(pk=request.POST["replacement"]).first()
        try:
            (entity.delete_service or record_delete)(obj, actor=request.user, **options)
        except models.ProtectedError:
            messages.error(
                request, _("This record is in use by other records and was not deleted.")
            )
            return redirect(reverse("entity_detail", args=[key, pk]))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(reverse("entity_delete", args=[key, pk]))
        messages.success(request, _("%(label)s deleted.") % {"label": obj})
        return redirect(reverse("entity_list", args=[key]))
    context = {"entity": entity, "obj": obj, "replacements": replacements}
    return render(request, "platform/confirm_delete.html", context)


@login_required
def global_search(request):
    text = request.GET.get("q", "").strip()[:200]
    results = search_index.search(request.user, text) if text else []
    context = {"q": text, "results": results}
    return render_partial(request, "platform/search.html", context, "results")


@login_required
def record_picker(request, key):
    """Suggestions for the RecordPicker widget."""
    _entity(key, request.user, "view")
    text = request.GET.get("q", "").strip()[:100]
    results = search_index.search(request.user, text, entities=[key], limit=10) if text else []
    objs = results[0][1] if results else []
    return render(
        request,
        "platform/widgets/record_picker_options.html",
        {"objs": objs, "target": request.GET.get("target", "")},
    )


@require_POST
def set_language(request):
    """Switch the interface language: stored on the user, or in a cookie before sign-in."""
    from django.conf import settings
    from django.utils.http import url_has_allowed_host_and_scheme

    from kesher.org.services import user_set_language

    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        user_set_language(request.user, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@require_POST
@login_required
def saved_view_save(request, key):
    """Save the list's current filter, columns and sort as a named view (REQ CX-8)."""
    entity = _entity(key, request.user, "view")
    try:
        view = saved_view_create(
            actor=request.user,
            data={
                "entity": entity.key,
                "name": request.POST.get("name", ""),
                "shared": request.POST.get("shared") == "1",
                "filter": parse_filter(request.POST.get("filter", "")) or {},
                "columns": [c for c in request.POST.get("columns", "").split(",") if c],
                "sort": request.POST.get("sort", ""),
            },
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("entity_list", args=[key]))
    messages.success(request, _("View saved."))
    return redirect(reverse("entity_list", args=[key]) + f"?view={view.pk}")


@require_POST
@login_required
def saved_view_remove(request, pk):
    view = get_object_or_404(saved_view_queryset(request.user), pk=pk)
    try:
        saved_view_delete(view, actor=request.user)
        messages.success(request, _("View deleted."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(reverse("entity_list", args=[view.entity]))


def not_offered(request, *args, **kwargs):
    """A page a library offers that Kesher deliberately does not."""
    raise Http404
