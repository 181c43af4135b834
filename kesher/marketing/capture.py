"""Leads captured from web forms (REQ MK-5, IN-4, MK-6; decision 0105).

A form is served with a signed token (the form's id, a random nonce and the moment it was
served). A submission is accepted only with a valid token at least
``KESHER_LEAD_FORM_MIN_SECONDS`` old — a bot posting at once is refused — and with the hidden
honeypot field empty; the nonce makes a submission sent twice (a double click, a browser's
retry) count once. The values are cleaned (control characters dropped, lengths bounded) and
the lead is made by the sales lead service, so the assignment rules give it its owner; an open
lead sharing the e-mail or a phone number is joined instead of duplicated, and nothing the
visitor typed overwrites it. A ticked consent box writes a consent per channel to the ledger,
with the text the visitor saw as its proof.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kesher.marketing.models import Consent, FormSubmission, LeadForm, LeadFormField
from kesher.platform.fields import normalize_phone
from kesher.platform.models import Choice, localized

__all__ = [
    "HONEYPOT",
    "UTM_FIELDS",
    "Submitted",
    "existing_lead",
    "form_fields",
    "form_submit",
    "form_token",
]

HONEYPOT = "website_url"  # hidden from people (and from screen readers); bots fill it
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
TOKEN_SALT = "kesher.marketing.lead-form"  # noqa: S105  (a signing namespace, no secret)
TOKEN_MAX_AGE = 24 * 3600
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\u2028\u2029\ufeff]")
PHONE_FIELDS = ("phone", "mobile")


@dataclass
class Submitted:
    """What a submission came to: its row (None for a bot's, which writes nothing) and
    whether it had been received before."""

    submission: FormSubmission | None
    duplicate: bool = False


def form_token(form: LeadForm) -> str:
    """The token a form is served with: signed, timestamped, with a fresh nonce."""
    served = f"{time.time():.3f}"
    return signing.TimestampSigner(salt=TOKEN_SALT).sign(
        f"{form.pk}:{secrets.token_hex(16)}:{served}"
    )


def _nonce(form: LeadForm, token: str) -> str:
    signer = signing.TimestampSigner(salt=TOKEN_SALT)
    expired = ValidationError(
        {"__all__": [_("This form has expired. Reload the page and send it again.")]}
    )
    try:
        form_id, nonce, served = signer.unsign(token or "", max_age=TOKEN_MAX_AGE).split(":")
        served_at = float(served)
    except (signing.BadSignature, ValueError):
        raise expired from None
    if form_id != str(form.pk) or not nonce:
        raise expired
    if time.time() - served_at < settings.KESHER_LEAD_FORM_MIN_SECONDS:
        raise ValidationError(
            {"__all__": [_("That was too quick. Check the details and send the form again.")]}
        )
    return nonce


def form_fields(form: LeadForm) -> list[LeadFormField]:
    """The form's fields in their order."""
    return list(form.fields.order_by("position", "pk"))


def _text(value, limit: int) -> str:
    return CONTROL.sub("", str(value or "")).strip()[:limit]


def _choice(list_key: str, value) -> Choice | None:
    if not str(value or "").isdigit():
        return None
    return Choice.objects.filter(list_key=list_key, active=True, pk=int(value)).first()


def _clean(form: LeadForm, fields: list[LeadFormField], posted) -> dict:
    """The lead's values from what was posted, or ValidationError naming the form's fields."""
    from kesher.sales.models import Lead

    data, errors = {}, {}
    for row in fields:
        name = row.lead_field
        raw = posted.get(name, "")
        if name in ("source", "source_detail"):
            list_key = "lead_source" if name == "source" else "lead_source_detail"
            value = _choice(list_key, raw)
            if raw and value is None:
                errors[name] = [_("Choose one of the options.")]
        else:
            model_field = Lead._meta.get_field(name)
            limit = model_field.max_length or 5000
            text = CONTROL.sub("", str(raw or "")).strip()
            if len(text) > limit:
                errors[name] = [_("Shorten this to %(n)s characters.") % {"n": limit}]
            value = text
            if name in PHONE_FIELDS and text:
                try:
                    value = normalize_phone(text)
                except ValidationError:
                    errors[name] = [_("Enter a valid phone number.")]
        if row.required and not value:
            errors.setdefault(name, [_("This field is required.")])
        if value:
            data[name] = value
    detail, source = data.get("source_detail"), data.get("source")
    if detail is not None and (source is None or detail.parent_id != source.pk):
        errors.setdefault(
            "source_detail", [_("This secondary source does not belong to the source.")]
        )
    if errors:
        raise ValidationError(errors)
    if "source" not in data and form.source_id:
        data["source"] = form.source
        if form.source_detail_id:
            data["source_detail"] = form.source_detail
    return data


def existing_lead(data: dict):
    """An open lead with the same e-mail or phone number: the person sent a form before."""
    from kesher.sales.models import Lead

    match = Q()
    if data.get("email"):
        match |= Q(email=data["email"].lower())
    for number in {data.get(name) for name in PHONE_FIELDS} - {None}:
        match |= Q(phone=number) | Q(mobile=number)
    if not match:
        return None
    return Lead.objects.filter(match, converted_at__isnull=True).order_by("pk").first()


def _consent_proof(form: LeadForm, submission: FormSubmission) -> str:
    shown = localized(form, "consent_text")
    return _("“%(text)s” — ticked on the web form, from %(address)s, submission %(token)s") % {
        "text": shown,
        "address": submission.ip_address or "?",
        "token": submission.token[:12],
    }


@transaction.atomic
def _capture(form, fields, posted, nonce, meta) -> FormSubmission:
    from kesher.marketing.services import consents_create
    from kesher.sales.services import lead_create

    data = _clean(form, fields, posted)
    consented = bool(form.consent_channels.split()) and posted.get("consent") in ("1", "on")
    submission = FormSubmission(
        form=form,
        token=nonce,
        values={k: (v.pk if isinstance(v, Choice) else v) for k, v in data.items() if k in posted},
        consented=consented,
        **{name: _text(meta.get(name), 100) for name in UTM_FIELDS},
        referrer=_text(meta.get("referrer"), 500),
        ip_address=meta.get("ip") or None,
    )
    # Saved first: the unique token refuses a second copy before anything else is written.
    submission.save()
    lead = existing_lead(data)
    if lead is None:
        submission.outcome = FormSubmission.Outcome.CREATED
        # No assignment rule takes it: the form's owner answers it.
        lead = lead_create(
            actor=None,
            data={**data, "campaign": form.campaign, "last_campaign": form.campaign},
            fallback_owner=form.owner,
        )
    else:
        submission.outcome = FormSubmission.Outcome.MATCHED
        if form.campaign_id:
            from kesher.marketing.services import lead_touch

            lead = lead_touch(lead, campaign=form.campaign, actor=None)
    submission.lead = lead
    submission.save(update_fields=["lead", "outcome"])
    if consented:
        # One entry per channel, written together (decision 0114).
        method = Choice.objects.filter(list_key="consent_method", value="form").first()
        source = _("Web form “%(form)s”") % {"form": form.name[:150]}
        proof = _consent_proof(form, submission)
        consents_create(
            actor=None,
            rows=[
                {
                    "lead": lead,
                    "channel": channel,
                    "kind": Consent.Kind.CONSENT,
                    "method": method,
                    "source": source,
                    "proof": proof,
                }
                for channel in form.consent_channels.split()
            ],
        )
    from kesher.marketing.scoring import lead_score_refresh

    lead_score_refresh(lead, behaviour="form_submission")
    return submission


def form_submit(form: LeadForm, *, posted, meta: dict) -> Submitted:
    """Receive one submission of ``form``: ``posted`` the form's values (with its token,
    honeypot and consent box), ``meta`` the UTM tags, referrer and the sender's address.
    A bot's submission (honeypot filled) is answered as if received and writes nothing; a
    token received before gives the first submission back (``duplicate``). Bad values raise
    ValidationError keyed by the form's field names, with nothing written."""
    if not form.active:
        raise ValidationError({"__all__": [_("This form is closed.")]})
    if posted.get(HONEYPOT):
        return Submitted(None)
    nonce = _nonce(form, posted.get("token", ""))
    fields = form_fields(form)
    try:
        return Submitted(_capture(form, fields, posted, nonce, meta))
    except IntegrityError:
        # Received before (a double click, a replay) or at the same moment by another request:
        # the unique token refused this copy at its first write, before anything else.
        known = FormSubmission.objects.filter(token=nonce).first()
        if known is None:
            raise
        return Submitted(known, duplicate=True)
