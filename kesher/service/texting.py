"""SMS and WhatsApp into tickets (issue 18 item 1; decision 0094).

The gateway's webhook (``/api/v1/service/inbound-text/<channel>/``) hands each text a customer
sent to ``text_receive``: his number is matched to a contact (mobile, then phone, in E.164),
and the text continues his open ticket — the one most recently updated of his contact, else
the one this number's last text reached — or opens a ticket on the SMS / WhatsApp channel in
the unassigned queue. The text is an inbound interaction of its kind on the ticket; a ticket
waiting for the customer moves to the status marked for a customer's reply, as an e-mail
reply moves it. A text counts once: the provider's message id is unique per channel. Nothing
is received in the practice environment: the text is recorded as not received, as outgoing
texts are recorded as not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kesher.integrations.gateways import InboundText
from kesher.platform.models import Choice
from kesher.service.models import Ticket, TicketText
from kesher.telephony.selectors import number_e164

__all__ = ["TextReceived", "register_text_intake", "sender_contact", "text_receive"]

SUBJECT_LENGTH = 80


@dataclass(frozen=True)
class TextReceived:
    outcome: str
    ticket: Ticket | None
    duplicate: bool = False


_intakes: list[Callable[[InboundText], TextReceived | None]] = []


def register_text_intake(handler: Callable[[InboundText], TextReceived | None]) -> None:
    """Let another module answer some texts instead of the tickets: ``handler(text)`` returns
    what it made of the text, or None to leave it to the next handler and then to the tickets
    (marketing's "הסר" / STOP replies, decision 0105). A handler keeps its own record of the
    texts it took, so a text delivered twice counts once."""
    _intakes.append(handler)


def sender_contact(number: str):
    """The contact whose mobile, else phone, is ``number`` (any common form), with his
    primary account: ``(contact, account)``, either None."""
    from kesher.customers.models import Contact, ContactAccount

    e164 = number_e164(number)
    if not e164:
        return None, None
    contact = None
    for field in ("mobile", "phone"):
        contact = Contact.objects.filter(**{field: e164}).order_by("pk").first()
        if contact is not None:
            break
    if contact is None:
        return None, None
    link = (
        ContactAccount.objects.filter(contact=contact)
        .select_related("account")
        .order_by("-is_primary", "pk")
        .first()
    )
    return contact, (link.account if link else None)


def _open(tickets):
    return tickets.filter(resolved_at__isnull=True, merged_into__isnull=True)


def _ticket_to_continue(contact, sender: str) -> Ticket | None:
    if contact is not None:
        found = _open(Ticket.objects.filter(contact=contact)).order_by("-updated_at", "-pk")
        ticket = found.first()
        if ticket is not None:
            return ticket
    last = (
        TicketText.objects.filter(sender=sender, ticket__isnull=False)
        .order_by("-created_at", "-pk")
        .values("ticket_id")[:1]
    )
    return _open(Ticket.objects.filter(pk__in=last)).first()


def _status_on_reply() -> Choice | None:
    values = Choice.objects.filter(list_key="ticket_status", active=True).order_by("order", "pk")
    return next((c for c in values if (c.extra or {}).get("customer_reply")), None)


def _subject(text: InboundText) -> str:
    first = " ".join(text.body.split())
    if len(first) > SUBJECT_LENGTH:
        first = first[: SUBJECT_LENGTH - 1] + "…"
    return first or text.sender


def text_receive(text: InboundText) -> TextReceived:
    """Turn one text into a ticket or a reply on one; a text received before is not received
    again (``duplicate``). A text another module registered for (``register_text_intake``)
    is its, and opens no ticket."""
    for handler in _intakes:
        taken = handler(text)
        if taken is not None:
            return taken
    known = (
        TicketText.objects.filter(channel=text.channel, reference=text.reference)
        .select_related("ticket")
        .first()
    )
    if known is not None:
        return TextReceived(known.outcome, known.ticket, duplicate=True)
    try:
        with transaction.atomic():
            return _receive(text)
    except IntegrityError:
        # Another worker took the same text at the same moment: it is that one's.
        known = TicketText.objects.filter(channel=text.channel, reference=text.reference).first()
        if known is None:
            raise
        return TextReceived(known.outcome, known.ticket, duplicate=True)


def _receive(text: InboundText) -> TextReceived:
    from kesher.activities.services import interaction_create
    from kesher.service.services import ticket_create, ticket_update

    sender = number_e164(text.sender) or text.sender
    row = TicketText(channel=text.channel, reference=text.reference, sender=sender)
    if settings.KESHER_PRACTICE:
        row.outcome = TicketText.Outcome.SUPPRESSED
        row.save()
        return TextReceived(row.outcome, None)
    contact, account = sender_contact(sender)
    ticket = _ticket_to_continue(contact, sender)
    row.outcome = TicketText.Outcome.THREADED if ticket else TicketText.Outcome.OPENED
    # Saved first: the unique message id refuses a second copy before any other write.
    row.save()
    if ticket is None:
        data = {
            "subject": _subject(text),
            "description": text.body,
            "channel": Choice.objects.filter(
                list_key="ticket_channel", value="sms_whatsapp"
            ).first(),
            "contact": contact,
            "account": account,
        }
        ticket = ticket_create(actor=None, data={k: v for k, v in data.items() if v})
    label = TicketText.Channel(text.channel).label
    interaction = interaction_create(
        actor=None,
        data={
            "kind": Choice.objects.get(list_key="interaction_kind", value=text.channel),
            "direction": "in",
            "subject": _("%(channel)s from %(number)s") % {"channel": label, "number": sender},
            "body": text.body,
            "link_type": "tickets",
            "link_id": ticket.pk,
            "owner": ticket.handler or ticket.owner,
        },
        m2m={"participant_contacts": [contact]} if contact is not None else None,
    )
    row.ticket, row.interaction = ticket, interaction
    row.save(update_fields=["ticket", "interaction"])
    if row.outcome == TicketText.Outcome.THREADED:
        status = ticket.status
        if status is not None and (status.extra or {}).get("waiting"):
            # The customer answered what we waited for: the clocks run again (REQ SV-9).
            moved_to = _status_on_reply()
            if moved_to is not None:
                ticket = ticket_update(ticket, actor=None, data={"status": moved_to})
    return TextReceived(row.outcome, ticket)
