"""Every write of field service: a part used from the technician's van on a visit, and the
visit completed — closing notes, parts, the customer's signature and the ticket moved to a
resolving status, in one transaction (REQ SV-12; issue 18 item 9; decision 0088).

Only the technician of the visit writes it: the ticket's handler, or the owner or a
participant of its visit meeting — anyone else is refused (``PermissionDenied``, 403) even
when his role may change the ticket. Bad input — a signature that is not a PNG or is too
large, a part not in his van, more than the van holds — is refused with nothing written.
"""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.meetings import MEETING
from kesher.activities.models import Interaction
from kesher.platform.models import Choice
from kesher.platform.records.services import clean_text
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.service.fieldday import technician_van, visit_of
from kesher.service.models import Ticket, VisitReport

__all__ = [
    "NOTES_LIMIT",
    "SIGNATURE_MAX_BYTES",
    "may_visit",
    "signature_png",
    "visit_complete",
    "visit_part_use",
]

NOTES_LIMIT = 5000
# A signature drawn on a phone's canvas is a few kilobytes; this leaves room, no more.
SIGNATURE_MAX_BYTES = 200 * 1024
SIGNATURE_MAX_SIDE = 3000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL = "data:image/png;base64,"
MAX_PARTS = 50


def _refuse(field: str, message: str):
    raise ValidationError({field: [message]})


def may_visit(user, ticket: Ticket) -> bool:
    """Whether ``user`` is the technician of ``ticket``: he handles it, or owns or takes part
    in a visit meeting about it."""
    if not getattr(user, "pk", None):
        return False
    if ticket.handler_id == user.pk:
        return True
    return (
        Interaction.objects.filter(kind__value=MEETING, link_type="tickets", link_id=ticket.pk)
        .filter(Q(owner=user) | Q(participant_users=user))
        .exists()
    )


def signature_png(value) -> bytes:
    """The PNG bytes of a signature sent as base64 (a canvas's ``data:image/png;base64,`` URL
    or bare); b"" for none. Refused: not base64, not a PNG, larger than the limit, or an image
    that does not decode."""
    if value in (None, "", b""):
        return b""
    if not isinstance(value, str):
        _refuse("signature", _("Send the signature as a base64 PNG image."))
    text = value.strip()
    if text.startswith("data:"):
        if not text.startswith(DATA_URL):
            _refuse("signature", _("The signature must be a PNG image."))
        text = text[len(DATA_URL) :]
    # Base64 is 4/3 of the bytes: a text this long is too big before it is decoded.
    if len(text) > SIGNATURE_MAX_BYTES * 4 // 3 + 4:
        _refuse(
            "signature",
            _("The signature is larger than %(size)s.")
            % {"size": filesizeformat(SIGNATURE_MAX_BYTES)},
        )
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        _refuse("signature", _("Send the signature as a base64 PNG image."))
    if len(data) > SIGNATURE_MAX_BYTES:
        _refuse(
            "signature",
            _("The signature is larger than %(size)s.")
            % {"size": filesizeformat(SIGNATURE_MAX_BYTES)},
        )
    if not data.startswith(PNG_MAGIC):
        _refuse("signature", _("The signature must be a PNG image."))
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                _refuse("signature", _("The signature must be a PNG image."))
            width, height = image.size
            if not (0 < width <= SIGNATURE_MAX_SIDE and 0 < height <= SIGNATURE_MAX_SIDE):
                _refuse("signature", _("The signature image is too large."))
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        _refuse("signature", _("The signature must be a PNG image."))
    return data


def _quantity(value) -> Decimal:
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        _refuse("quantity", _("Enter a quantity above zero."))
    if not quantity.is_finite() or quantity <= 0:
        _refuse("quantity", _("Enter a quantity above zero."))
    return quantity


def _van_level(van, product):
    """The van's level of ``product`` (a Product or its id), refused when the van holds none."""
    from kesher.stock.models import StockLevel

    if van is None:
        _refuse("product", _("You have no van to take parts from."))
    if product in (None, ""):
        _refuse("product", _("Choose a product from your van."))
    pk = getattr(product, "pk", product)
    level = (
        StockLevel.objects.filter(warehouse=van, product_id=pk, quantity__gt=0)
        .select_related("product")
        .first()
        if isinstance(pk, int)
        else None
    )
    if level is None:
        _refuse("product", _("That product is not in your van."))
    return level


def _check_technician(ticket: Ticket, actor) -> None:
    if not may_visit(actor, ticket):
        raise PermissionDenied(_("This is not your visit."))


@transaction.atomic
def visit_part_use(ticket: Ticket, *, actor, product, quantity, serials: Iterable[str] = ()):
    """A part used on the visit, out of the technician's own van (``part_use``)."""
    from kesher.stock.services import part_use

    _check_technician(ticket, actor)
    van = technician_van(actor)
    level = _van_level(van, product)
    return part_use(
        ticket,
        actor=actor,
        product=level.product,
        quantity=_quantity(quantity),
        warehouse=van,
        serials=list(serials),
    )


def resolving_status() -> Choice | None:
    """The status a completed visit moves its ticket to: the first active status marked
    "resolved" (the responsible user closes it afterwards)."""
    values = Choice.objects.filter(list_key="ticket_status", active=True).order_by("order", "pk")
    return next((c for c in values if (c.extra or {}).get("resolved")), None)


@transaction.atomic
def visit_complete(
    ticket: Ticket,
    *,
    actor,
    notes: str,
    signature=None,
    signed_by: str = "",
    parts: Iterable[dict] = (),
) -> VisitReport:
    """Complete the technician's visit: the parts named (``{"product", "quantity",
    "serials"}``) leave his van onto the ticket, his closing notes become the ticket's
    resolution, the customer's signature (base64 PNG) is attached to the ticket as a file,
    and the ticket moves to the resolving status — all or nothing. Parts he already recorded
    on the visit are counted in its report."""
    from kesher.platform.records.attachments import attachment_add
    from kesher.service.services import ticket_update
    from kesher.stock.models import MoveKind, StockMove

    _check_technician(ticket, actor)
    locked = Ticket._base_manager.select_for_update().get(pk=ticket.pk)
    if locked.resolved_at is not None or locked.merged_into_id:
        _refuse("ticket", _("This ticket is resolved already."))
    notes = clean_text(notes if isinstance(notes, str) else "").strip()
    if not notes:
        _refuse("notes", _("Write what was done on the visit."))
    if len(notes) > NOTES_LIMIT:
        _refuse("notes", _("At most %(n)s characters.") % {"n": NOTES_LIMIT})
    signed_by = clean_text(signed_by if isinstance(signed_by, str) else "").strip()[:120]
    png = signature_png(signature)
    parts = list(parts or ())
    if len(parts) > MAX_PARTS:
        _refuse("parts", _("At most %(n)s parts.") % {"n": MAX_PARTS})
    status = resolving_status()
    if status is None:
        _refuse("status", _("No ticket status is marked resolved."))
    meeting = visit_of(locked, actor)
    for part in parts:
        visit_part_use(
            locked,
            actor=actor,
            product=part.get("product"),
            quantity=part.get("quantity"),
            serials=part.get("serials") or (),
        )
    report = VisitReport.objects.create(
        ticket=locked,
        meeting=meeting,
        technician=actor,
        notes=notes,
        signed_by=signed_by,
        completed_at=timezone.now(),
    )
    # The parts of this visit: those he took from his van onto the ticket since his last
    # report on it (recorded one by one on the page, or just now).
    earlier = (
        VisitReport.objects.filter(ticket=locked, technician=actor)
        .exclude(pk=report.pk)
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    moves = StockMove.objects.filter(ticket=locked, actor=actor, kind=MoveKind.PART_USE)
    if earlier is not None:
        moves = moves.filter(created_at__gt=earlier)
    report.parts.set(moves)
    resolution = f"{locked.resolution.strip()}\n\n{notes}" if locked.resolution.strip() else notes
    ticket_update(locked, actor=actor, data={"status": status, "resolution": resolution})
    if png:
        # Last: the file is written to storage only once everything else has been accepted.
        name = f"signature-{locked.number or locked.pk}-{report.pk}.png"
        report.signature = attachment_add(locked, actor=actor, uploaded=ContentFile(png, name=name))
        report.save(update_fields=["signature"])
    return report


# --- the ticket's timeline ---------------------------------------------------------------------

VISITS = "visits"
VISITS_LABEL = gettext_lazy("Visits")


def _visit_kinds(user, entity) -> list[tuple[str, str]]:
    return [(VISITS, str(VISITS_LABEL))] if entity.key == "tickets" else []


@register_source(kinds=_visit_kinds)
def visit_reports_of(record, user, kind: str = "") -> list[TimelineItem]:
    """A ticket's completed visits on its timeline: the notes, the parts, who signed."""
    from django.urls import reverse

    if not isinstance(record, Ticket) or kind not in ("", VISITS):
        return []
    rows = (
        VisitReport.objects.filter(ticket=record)
        .select_related("technician", "signature")
        .prefetch_related("parts__product")
        .order_by("-completed_at", "-pk")[:20]
    )
    items = []
    for row in rows:
        parts = ", ".join(f"{m.product.name} × {m.quantity.normalize():f}" for m in row.parts.all())
        changes = {_("Closing notes"): [None, row.notes]}
        if parts:
            changes[_("Parts used")] = [None, parts]
        if row.signature_id:
            changes[_("Customer signature")] = [None, row.signed_by or _("Signed")]
        items.append(
            TimelineItem(
                at=row.completed_at,
                actor=row.technician,
                title=_("Visit completed"),
                action="visit",
                changes=changes,
                url=reverse("attachment_download", args=[row.signature_id])
                if row.signature_id
                else "",
            )
        )
    return items
