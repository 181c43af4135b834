"""Marketing's own pages: a mass send's actions (test, send, schedule, stop, send the unknown
again), the public unsubscribe page (REQ MK-2; Communications Law §30A) and the public web
forms (REQ MK-5, IN-4; decision 0105)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kesher.marketing import calls, capture, leadads, services
from kesher.marketing.models import Campaign, CampaignCall, Consent, LeadForm, Purpose
from kesher.marketing.sending import recipient_of_token
from kesher.platform.access import can
from kesher.platform.api.throttling import AnonRateThrottle
from kesher.platform.models import Choice, localized
from kesher.platform.ui.pages import entity_for, record_for

ACTIONS = ("test", "send", "schedule", "cancel", "resend-unknown")


@login_required
@require_POST
def send_action(request, pk, action):
    """One of a send's actions, by its owner or anyone who may change sends."""
    if action not in ACTIONS:
        raise Http404
    entity = entity_for("campaign-sends", request.user, "change")
    send = record_for(entity, request.user, pk)
    try:
        if action == "test":
            services.send_test(send, actor=request.user, to=request.POST.get("to", ""))
            messages.success(request, _("A test message was queued."))
        elif action == "send":
            send = services.send_queue(send, actor=request.user)
            messages.success(request, _("Queued for %(n)s recipients.") % {"n": send.audience or 0})
        elif action == "schedule":
            services.send_schedule(send, actor=request.user)
            messages.success(request, _("The send is scheduled."))
        elif action == "cancel":
            services.send_cancel(send, actor=request.user)
            messages.success(request, _("The send was stopped."))
        else:
            count = services.send_resend_unknown(send, actor=request.user)
            messages.success(request, _("%(n)s recipients are queued again.") % {"n": count})
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("entity_detail", args=["campaign-sends", send.pk]))


@csrf_exempt  # the one-click unsubscribe POST of RFC 8058 comes from the mail client
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The refusal link of every advertising message: a page asking to confirm (a link
    scanner's GET changes nothing), and the POST that records the refusal at once."""
    recipient = recipient_of_token(token)
    if recipient is None or not (recipient.contact_id or recipient.lead_id):
        raise Http404
    send = recipient.send
    done = False
    if request.method == "POST":
        services.consent_refuse(
            contact=recipient.contact,
            lead=recipient.lead,
            channel=send.channel,
            purpose=send.purpose or Purpose.ADVERTISING,
            method="link",
            source=_("Unsubscribe link of “%(send)s”") % {"send": send.name},
            proof=f"recipient {recipient.pk}; {request.META.get('REMOTE_ADDR', '')}",
        )
        done = True
    return render(
        request,
        "marketing/unsubscribe.html",
        {"send": send, "done": done, "kind": Consent.Kind.REFUSAL},
    )


# --- the public web-to-lead form (REQ MK-5, IN-4, MK-6; decision 0105) -------------------------


class FormRateThrottle(AnonRateThrottle):
    """Web-form submissions from one address, counted with the API's throttles (the shared
    "throttle" cache; decision 0067)."""

    scope = "lead_form"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def _frame_policy(form: LeadForm) -> str:
    ancestors = " ".join(form.embed_origins.split()) or "*"
    policy = settings.KESHER_CONTENT_SECURITY_POLICY
    parts = [p.strip() for p in policy.split(";") if p.strip()]
    parts = [p for p in parts if not p.startswith("frame-ancestors")]
    return "; ".join([*parts, f"frame-ancestors {ancestors}"])


def _meta(request) -> dict:
    source = request.POST if request.method == "POST" else request.GET
    meta = {name: source.get(name, "") for name in capture.UTM_FIELDS}
    if request.method == "POST":
        meta["referrer"] = source.get("referrer", "")
    else:
        meta["referrer"] = source.get("ref", "") or request.META.get("HTTP_REFERER", "")
    meta["ip"] = FormRateThrottle().get_ident(request)
    return meta


def _thanks(request, form):
    response = render(
        request,
        "marketing/lead_form.html",
        {"done": True, "thank_you": localized(form, "thank_you"), "title": _title(form)},
    )
    response.headers["Content-Security-Policy"] = _frame_policy(form)
    return response


def _title(form: LeadForm) -> str:
    return localized(form, "title") or form.name


def _served(request, form, *, errors=None, status=200):
    fields = capture.form_fields(form)
    names = {row.lead_field for row in fields}
    sources = details = ()
    if "source" in names:
        sources = Choice.objects.filter(list_key="lead_source", active=True).order_by("order")
    if "source_detail" in names:
        details = (
            Choice.objects.filter(list_key="lead_source_detail", active=True)
            .select_related("parent")
            .order_by("parent__order", "order")
        )
    groups: dict = {}
    for detail in details:
        groups.setdefault(detail.parent, []).append(detail)
    posted = request.POST if request.method == "POST" else {}
    errors = errors or {}
    shown = [
        {
            "name": row.lead_field,
            "id": f"f-{row.lead_field}",
            "label": localized(row, "label") or row.get_lead_field_display(),
            "required": row.required,
            "value": posted.get(row.lead_field, ""),
            "errors": errors.get(row.lead_field, []),
            "type": INPUT_TYPES.get(row.lead_field, "text"),
            "autocomplete": AUTOCOMPLETE.get(row.lead_field, ""),
        }
        for row in fields
    ]
    response = render(
        request,
        "marketing/lead_form.html",
        {
            "form": form,
            "fields": shown,
            "sources": sources,
            "detail_groups": groups.items(),
            "token": capture.form_token(form),
            "honeypot": capture.HONEYPOT,
            "meta": _meta(request),
            "utm_fields": capture.UTM_FIELDS,
            "general_errors": errors.get("__all__", []),
            "consent_text": localized(form, "consent_text") if form.consent_channels else "",
            "consent_checked": posted.get("consent") in ("1", "on"),
            "title": _title(form),
        },
        status=status,
    )
    response.headers["Content-Security-Policy"] = _frame_policy(form)
    return response


INPUT_TYPES = {"email": "email", "phone": "tel", "mobile": "tel", "interest": "textarea"}
INPUT_TYPES["notes"] = "textarea"
AUTOCOMPLETE = {
    "first_name": "given-name",
    "last_name": "family-name",
    "company_name": "organization",
    "title": "organization-title",
    "email": "email",
    "phone": "tel",
    "mobile": "tel",
    "city": "address-level2",
}


@csrf_exempt  # embedded in other sites, whose frames carry no Kesher cookie; the signed token
@xframe_options_exempt  # stands in for it. Framing is allowed by the form's own CSP.
@require_http_methods(["GET", "POST"])
def lead_form(request, slug):
    """A web form, public: GET serves it, POST receives it (REQ MK-5, IN-4)."""
    # With what a submission writes onto its lead (campaign, owner, sources): read once here.
    form = (
        LeadForm.objects.filter(slug=slug, active=True)
        .select_related("campaign", "owner", "source", "source_detail")
        .first()
    )
    if form is None:
        raise Http404
    language = request.GET.get("lang") or form.language
    with translation.override(language if language in ("he", "en") else form.language):
        if request.method == "GET":
            return _served(request, form)
        throttle = FormRateThrottle()
        if not throttle.allow_request(request, None):
            response = _served(
                request,
                form,
                errors={"__all__": [_("Too many submissions from your address. Try again later.")]},
                status=429,
            )
            response.headers["Retry-After"] = str(int(throttle.wait() or 60))
            return response
        try:
            capture.form_submit(form, posted=request.POST, meta=_meta(request))
        except ValidationError as error:
            # Shown again with the errors beside their fields, as every page of Kesher does.
            return _served(request, form, errors=error.message_dict)
        if form.redirect_url:
            return redirect(form.redirect_url)
        return _thanks(request, form)


@login_required
@require_POST
def ad_lead_fetch_again(request, pk):
    """The ad lead page's "fetch again": whoever may change the ad lead forms asks the worker
    to fetch a failed or unknown Meta lead's fields once more (decision 0117)."""
    entity_for("lead-ad-sources", request.user, "change")  # the right to ask again
    row = record_for(entity_for("ad-leads", request.user, "view"), request.user, pk)
    try:
        leadads.ad_lead_fetch_again(row, actor=request.user)
        messages.success(request, _("The lead's fields will be fetched again shortly."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("entity_detail", args=["ad-leads", row.pk]))


# --- phone campaigns and the do-not-call list (REQ MK-1; §30A; decision 0121) ------------------

CALLS_PER_PAGE = 50


def _phone_campaign(request, pk, action: str = "view") -> Campaign:
    entity = entity_for("campaigns", request.user, action)
    campaign = record_for(entity, request.user, pk)
    if not calls.is_phone_campaign(campaign):
        raise Http404
    return campaign


@login_required
@require_POST
def call_list_build(request, pk):
    """The campaign page's "build the call list": its segment now, split among the agents."""
    entity_for("campaign-calls", request.user, "change")
    campaign = _phone_campaign(request, pk, "change")
    try:
        counts = calls.call_list_build(
            campaign,
            actor=request.user,
            agents=request.POST.getlist("agents"),
            split=request.POST.get("split", "even"),
        )
        messages.success(
            request,
            _(
                "%(added)s calls were added to the list; skipped: %(refused)s who refused calls, "
                "%(dnc)s on the do-not-call list."
            )
            % {
                "added": counts["added"],
                "refused": counts["refused"],
                "dnc": counts["do_not_call"],
            },
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("entity_detail", args=["campaigns", campaign.pk]) + "#call-list")


@login_required
@require_http_methods(["GET"])
def my_calls(request, pk):
    """The calls of a phone campaign the user may see — an agent's own: one click to call,
    one to log the outcome. Numbers put on the do-not-call list since the list was built are
    marked and offer no call (one query for the page)."""
    entity_for("campaign-calls", request.user, "view")
    campaign = Campaign.objects.filter(pk=pk).select_related("campaign_type").first()
    if campaign is None or not calls.is_phone_campaign(campaign):
        raise Http404
    rows = calls.agent_calls(campaign, request.user)
    if not can(request.user, "campaigns", "view") and not rows.exists():
        raise Http404
    show = request.GET.get("show", "open")
    if show == "open":
        rows = rows.filter(status=CampaignCall.Status.PENDING)
    page = Paginator(rows, CALLS_PER_PAGE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    on_list = calls.numbers_on_list(c.phone for c in listed if c.status == "pending")
    for call in listed:
        call.blocked = call.phone in on_list
    outcomes = list(
        Choice.objects.filter(list_key="call_outcome", active=True).order_by("order", "pk")
    )
    return render(
        request,
        "marketing/my_calls.html",
        {
            "campaign": campaign,
            "page": page,
            "calls": listed,
            "outcomes": outcomes,
            "show": show,
            "can_change": can(request.user, "campaign-calls", "change"),
            "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )


def _back(request, call) -> str:
    url = reverse("marketing_my_calls", args=[call.campaign_id])
    show = request.POST.get("show", "")
    return f"{url}?show={show}#call-{call.pk}" if show in ("open", "all") else url


@login_required
@require_POST
def call_open(request, pk):
    """The "call" button: the do-not-call list and the ledger are asked again; then the phone
    system dials (the agent's extension dials through it) or the computer's phone application
    opens (a ``tel:`` link)."""
    entity = entity_for("campaign-calls", request.user, "change")
    call = record_for(entity, request.user, pk)
    try:
        result = calls.call_open(call, actor=request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect(_back(request, call))
    if result.dialled:
        texts = {
            "sent": _("The phone system is calling your extension."),
            "suppressed": _("The practice environment calls no one."),
        }
        if result.dialled in texts:
            messages.success(request, texts[result.dialled])
            return redirect(_back(request, call))
        messages.warning(request, _("The phone system did not answer; dial the number yourself."))
    return TelRedirect(result.tel)


class TelRedirect(HttpResponseRedirect):
    """A redirect to the computer's phone application."""

    allowed_schemes = ["tel"]


@login_required
@require_POST
def call_log(request, pk):
    """One click on an outcome: logged as an interaction on the person, counted on the
    campaign."""
    entity = entity_for("campaign-calls", request.user, "change")
    call = record_for(entity, request.user, pk)
    try:
        call = calls.call_log(
            call,
            actor=request.user,
            outcome=request.POST.get("outcome", ""),
            callback_at=request.POST.get("callback_at") or None,
            notes=request.POST.get("notes", ""),
            convert_to=request.POST.get("convert_to", ""),
        )
        messages.success(
            request,
            _("Logged: %(person)s — %(outcome)s.")
            % {"person": call.contact or call.lead, "outcome": call.outcome.label},
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(_back(request, call))


@login_required
@require_http_methods(["GET", "POST"])
def do_not_call_import(request):
    """Upload a CSV file of numbers to the do-not-call list, with where they came from: every
    line checked first; a bad one refuses the whole file, naming it (nothing written)."""
    entity_for("do-not-call", request.user, "add")
    result = None
    errors: list[str] = []
    source = ""
    if request.method == "POST":
        source = request.POST.get("source", "")[:300]
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError({"file": [_("Choose a CSV file.")]})
            if upload.size > calls.MAX_IMPORT_BYTES:
                raise ValidationError(
                    {"file": [_("The file is too large: at most %(mb)s MB.") % {"mb": 5}]}
                )
            numbers = calls.read_numbers(upload.read(calls.MAX_IMPORT_BYTES + 1))
            result = calls.do_not_call_import(actor=request.user, numbers=numbers, source=source)
            source = ""
        except ValidationError as error:
            errors = error.messages
    return render(
        request,
        "marketing/do_not_call_import.html",
        {"result": result, "errors": errors, "source": source},
        status=400 if errors else 200,
    )
