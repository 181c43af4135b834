"""E-mail bounces: the mail provider's report of an address that bounced, and the stop it puts
on later sends (REQ MK-2; decision 0120).

The provider posts ``{"address", "kind", "reference", "reason"}`` (kind: hard, soft or
complaint; reference: its message id), signed with ``KESHER_BOUNCE_WEBHOOK_SECRET`` like the
other inbound webhooks (``X-Kesher-Signature: sha256=<hex HMAC-SHA256 of the raw body>``);
without the secret every report is refused. A report is recorded once per message id. It is
tied to the campaign recipient (``X-Kesher-Recipient`` header of the message, given back as
``recipient``) when the provider has it, else to the contacts and leads with that address.

A hard bounce or a complaint stops every later e-mail send to the address; soft bounces stop
it once there are as many as the ``bounce_soft_limit`` pick-list's value (data an
administrator edits, 3 by default). The stop is checked when a send's audience is written and
again when the worker claims a batch. In the practice environment nothing is received: the
report is kept as "suppressed" and stops nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from kesher.integrations.webhooks import verify
from kesher.marketing.models import EmailBounce, Recipient
from kesher.platform.models import Choice

__all__ = [
    "DEFAULT_SOFT_LIMIT",
    "Refused",
    "bounce_record",
    "check_signature",
    "soft_limit",
    "stopped_addresses",
]

DEFAULT_SOFT_LIMIT = 3
SIGNATURE_HEADER = "X-Kesher-Signature"
STOPPING = (EmailBounce.Kind.HARD, EmailBounce.Kind.COMPLAINT)


class Refused(Exception):
    """The report is not the provider's: no secret set, or a wrong signature (403)."""


@dataclass
class Recorded:
    bounce: EmailBounce
    duplicate: bool = False


def check_signature(body: bytes, header: str) -> None:
    secret = settings.KESHER_BOUNCE_WEBHOOK_SECRET
    if not secret or not verify(secret, body, header):
        raise Refused(_("The bounce report is not signed with this Kesher's secret."))


def soft_limit() -> int:
    """How many soft bounces stop an address: the ``bounce_soft_limit`` pick-list's first
    active value (an administrator edits it), else 3."""
    value = (
        Choice.objects.filter(list_key="bounce_soft_limit", active=True)
        .order_by("order", "pk")
        .values_list("value", flat=True)
        .first()
    )
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_SOFT_LIMIT


def normal(address: str) -> str:
    return (address or "").strip().casefold()


def stopped_addresses(addresses) -> set[str]:
    """Which of ``addresses`` (any case) no e-mail send may reach: one query."""
    wanted = {normal(a) for a in addresses if a}
    if not wanted:
        return set()
    rows = (
        EmailBounce.objects.filter(address__in=wanted, status=EmailBounce.Status.RECORDED)
        .values("address")
        .annotate(
            stopping=Count("id", filter=Q(kind__in=STOPPING)),
            soft=Count("id", filter=Q(kind=EmailBounce.Kind.SOFT)),
        )
    )
    limit = soft_limit()
    return {r["address"] for r in rows if r["stopping"] or r["soft"] >= limit}


def _text(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _clean(payload) -> dict:
    if not isinstance(payload, dict):
        raise ValidationError({"address": [_("Send an object with address, kind and reference.")]})
    errors = {}
    address = normal(_text(payload.get("address"), 254))
    try:
        validate_email(address)
    except ValidationError:
        errors["address"] = [_("Enter a valid email address.")]
    kind = payload.get("kind")
    if kind not in EmailBounce.Kind.values:
        errors["kind"] = [_("The kind is hard, soft or complaint.")]
    reference = _text(payload.get("reference"), 200)
    if not reference:
        errors["reference"] = [_("The provider's message id is required.")]
    recipient = payload.get("recipient")
    if recipient not in (None, "") and not str(recipient).isdigit():
        errors["recipient"] = [_("The recipient is the number Kesher sent in its header.")]
    if errors:
        raise ValidationError(errors)
    return {
        "address": address,
        "kind": kind,
        "reference": reference,
        "reason": _text(payload.get("reason"), 500),
        "recipient": int(recipient) if recipient not in (None, "") else None,
    }


def _people(bounce: EmailBounce, recipient_id: int | None) -> None:
    from kesher.customers.models import Contact
    from kesher.sales.models import Lead

    recipient = (
        Recipient.objects.select_related("send").filter(pk=recipient_id).first()
        if recipient_id
        else None
    )
    if recipient is not None and normal(recipient.address) == bounce.address:
        bounce.recipient = recipient
        bounce.campaign_id = recipient.send.campaign_id
        bounce.contact_id = recipient.contact_id
        bounce.lead_id = recipient.lead_id
        return
    bounce.contact = Contact.objects.filter(email=bounce.address).order_by("pk").first()
    bounce.lead = Lead.objects.filter(email=bounce.address).order_by("pk").first()


def bounce_record(payload) -> Recorded:
    """Record one (signature-checked) bounce report, once per provider message id."""
    data = _clean(payload)
    before = EmailBounce.objects.filter(reference=data["reference"]).first()
    if before is not None:
        return Recorded(before, duplicate=True)
    bounce = EmailBounce(
        address=data["address"],
        kind=data["kind"],
        reference=data["reference"],
        reason=data["reason"],
        status=EmailBounce.Status.SUPPRESSED
        if settings.KESHER_PRACTICE
        else EmailBounce.Status.RECORDED,
    )
    if not settings.KESHER_PRACTICE:
        _people(bounce, data["recipient"])
    try:
        with transaction.atomic():
            bounce.save()
    except IntegrityError:
        # The provider reported it twice at once: the other request took it.
        return Recorded(EmailBounce.objects.get(reference=data["reference"]), duplicate=True)
    return Recorded(bounce)
