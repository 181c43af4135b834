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

Replies go back the same way (decision 0124): ``ticket_text_reply`` answers on a channel the
ticket received a text on, to the number that wrote, queued through the integrations' message
log (the worker sends it at most once; a message in flight when a worker died is reported
failed and not sent again), logged on the ticket as an outgoing text interaction and in its
thread of texts. An SMS is at most ``SMS_MAX_PARTS`` parts; on WhatsApp, more than 24 hours
after the customer's last message only a canned reply with an approved template name goes.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.integrations.gateways import CHANNELS, InboundText, SmsParts, sms_parts
from kesher.platform.models import Choice
from kesher.platform.records.services import clean_text
from kesher.service.models import CannedReply, Ticket, TicketText
from kesher.telephony.selectors import number_e164

__all__ = [
    "ReplyChannel",
    "TextReceived",
    "register_text_intake",
    "reply_channels",
    "sender_contact",
    "text_receive",
    "ticket_text_reply",
]

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
        TicketText.objects.filter(sender=sender, ticket__isnull=False, direction="in")
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


# --- replies from the ticket (decision 0124) ----------------------------------------------------

SMS_MAX_PARTS = 10
WHATSAPP_MAX_LENGTH = 4096  # WhatsApp's own limit for one message's text
WHATSAPP_WINDOW = datetime.timedelta(hours=24)


@dataclass(frozen=True)
class ReplyChannel:
    """A channel a ticket can be answered on: the customer wrote on it. ``to`` is the number
    his last text on it came from; on WhatsApp, ``window_closes_at`` is 24 hours after his
    last WhatsApp message (to this business, on any ticket), after which only a template
    message may be sent."""

    channel: str
    to: str
    last_received_at: datetime.datetime
    window_closes_at: datetime.datetime | None = None

    @property
    def label(self) -> str:
        return str(TicketText.Channel(self.channel).label)

    @property
    def window_open(self) -> bool:
        return self.window_closes_at is None or timezone.now() < self.window_closes_at

    @property
    def template_only(self) -> bool:
        return not self.window_open


def reply_channels(ticket: Ticket) -> dict[str, ReplyChannel]:
    """The channels ``ticket`` may be answered on, the one the customer last wrote on first:
    one query, and one more when he wrote on WhatsApp (the window is his number's)."""
    latest: dict[str, tuple[str, datetime.datetime]] = {}
    rows = (
        TicketText.objects.filter(ticket=ticket, direction=TicketText.Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("channel", "sender", "created_at")
    )
    for channel, sender, at in rows[:200]:
        latest.setdefault(channel, (sender, at))
    result = {}
    for channel, (sender, at) in latest.items():
        closes = None
        if channel == TicketText.Channel.WHATSAPP:
            last = TicketText.objects.filter(
                channel=channel, direction=TicketText.Direction.INBOUND, sender=sender
            ).aggregate(last=Max("created_at"))["last"]
            closes = max(last or at, at) + WHATSAPP_WINDOW
        result[channel] = ReplyChannel(channel, sender, at, closes)
    return result


def _canned(value) -> CannedReply | None:
    if value in (None, ""):
        return None
    reply: CannedReply | None = None
    if isinstance(value, CannedReply):
        reply = value
    else:
        try:
            reply = CannedReply.objects.filter(pk=int(value), active=True).first()
        except (TypeError, ValueError):
            reply = None
    if reply is None or not reply.active:
        raise ValidationError({"canned_reply": [_("Choose one of the active canned replies.")]})
    return reply


def _check_length(channel: str, body: str) -> SmsParts | None:
    if channel == TicketText.Channel.SMS:
        parts = sms_parts(body)
        if parts.parts > SMS_MAX_PARTS:
            raise ValidationError(
                {
                    "body": [
                        _(
                            "Too long for an SMS reply: %(parts)s parts, at most %(max)s "
                            "(%(length)s characters; %(per_part)s a part in this alphabet)."
                        )
                        % {
                            "parts": parts.parts,
                            "max": SMS_MAX_PARTS,
                            "length": parts.length,
                            "per_part": parts.per_part,
                        }
                    ]
                }
            )
        return parts
    if len(body) > WHATSAPP_MAX_LENGTH:
        raise ValidationError(
            {"body": [_("At most %(n)s characters.") % {"n": WHATSAPP_MAX_LENGTH}]}
        )
    return None


_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


def _plain(text: str) -> str:
    """A text message's text: no control characters but line breaks (a phone shows them as
    boxes, or a gateway cuts the message at them), no spaces around."""
    return _CONTROLS.sub("", clean_text(text).replace("\r\n", "\n")).strip()


def _text_key(ticket: Ticket, idempotency_key) -> str:
    key = clean_text(idempotency_key) if isinstance(idempotency_key, str) else ""
    if not key:
        raise ValidationError({"idempotency_key": [_("This field is required.")]})
    return f"ticket-text:{ticket.pk}:{key[:100]}"


@transaction.atomic
def ticket_text_reply(
    ticket: Ticket,
    *,
    actor,
    channel,
    body="",
    idempotency_key,
    canned_reply=None,
) -> TicketText:
    """Answer the customer on ``channel`` ("sms" / "whatsapp"), which he wrote to the ticket
    on, to the number he wrote from. ``body`` is the text (a canned reply's, filled for the
    ticket, when ``canned_reply`` is given and ``body`` is empty). Queued for the worker, which
    sends it at most once; the same ``idempotency_key`` again sends nothing and returns the
    first reply. Logged as an outgoing text interaction on the ticket (which meets the
    response clocks) and in its thread of texts. Refused with the reason, nothing written: a
    channel the customer did not write on, an empty or too long text (SMS: ``SMS_MAX_PARTS``
    parts), a merged ticket, and on WhatsApp outside the 24-hour window anything but a canned
    reply with a WhatsApp template name. Suppressed in the practice environment."""
    from kesher.activities.services import interaction_create
    from kesher.integrations.services import send_text
    from kesher.service.services import canned_reply_text, customer_language

    key = _text_key(ticket, idempotency_key)
    # By the unique (channel, reference) index: the key with either channel.
    done = TicketText.objects.filter(
        channel__in=CHANNELS, reference=key, direction=TicketText.Direction.OUTBOUND
    )
    first = done.select_related("outgoing").first()
    if first is not None:
        return first
    if channel not in CHANNELS:
        raise ValidationError({"channel": [_("Choose SMS or WhatsApp.")]})
    if ticket.merged_into_id:
        raise ValidationError(
            {"ticket": [_("This ticket was merged into another one: answer there.")]}
        )
    route = reply_channels(ticket).get(channel)
    if route is None:
        raise ValidationError(
            {
                "channel": [
                    _(
                        "The customer did not write to this ticket by %(channel)s: answer on "
                        "the channel he wrote on."
                    )
                    % {"channel": TicketText.Channel(channel).label}
                ]
            }
        )
    reply = _canned(canned_reply)
    body = _plain(body) if isinstance(body, str) else ""
    template = ""
    if route.template_only:
        if reply is None or not reply.whatsapp_template:
            raise ValidationError(
                {
                    "body": [
                        _(
                            "The customer's last WhatsApp message is more than 24 hours old: "
                            "WhatsApp lets a business send only an approved template message "
                            "now. Choose a canned reply that has a WhatsApp template name."
                        )
                    ]
                }
            )
        # The template's text as approved, filled for the ticket: not the agent's own words.
        body, template = "", reply.whatsapp_template
    if not body and reply is not None:
        body = _plain(
            canned_reply_text(reply, ticket, language=customer_language(ticket), reader=actor)
        )
    if not body:
        raise ValidationError({"body": [_("Write the reply.")]})
    _check_length(channel, body)
    row = TicketText(
        channel=channel,
        direction=TicketText.Direction.OUTBOUND,
        reference=key,
        sender=route.to,
        outcome=TicketText.Outcome.SENT,
        ticket=ticket,
    )
    try:
        with transaction.atomic():
            # Saved first: a second request with the same key stops at this INSERT.
            row.save()
    except IntegrityError:
        return TicketText.objects.select_related("outgoing").get(channel=channel, reference=key)
    outgoing = send_text(
        channel=channel,
        to=route.to,
        body=body,
        record=ticket,
        source=f"tickets/{ticket.pk}/text-reply",
        idempotency_key=key,
        template=template,
    )
    interaction = interaction_create(
        actor=actor,
        data={
            "kind": Choice.objects.get(list_key="interaction_kind", value=channel),
            "direction": "out",
            "subject": _("%(channel)s to %(number)s")
            % {"channel": route.label, "number": route.to},
            "body": body,
            "link_type": "tickets",
            "link_id": ticket.pk,
        },
        m2m={"participant_contacts": [ticket.contact]} if ticket.contact_id else None,
    )
    row.outgoing, row.interaction = outgoing, interaction
    row.save(update_fields=["outgoing", "interaction"])
    return row
