"""E-mail into tickets (REQ IN-1; issue 18 item 4; decision 0072).

``email_receive`` takes one raw MIME message that reached a support mailbox — from the IMAP
poll (``mailbox_poll``) or from a provider that forwards it to the raw-MIME endpoint — and
either opens a ticket or adds the message to the ticket it answers, as an inbound e-mail
interaction. The ticket it answers is found by the message's ``In-Reply-To`` / ``References``
headers (the Message-IDs of the thread's e-mails, ``TicketEmail``), else by a ticket number
in its subject (``T-000123``). The sender is matched to a contact by address; an unknown one
becomes a contact or a lead, or stays an address, as the mailbox says.

Each message counts once: its Message-ID is unique among ``TicketEmail`` rows, so a message
fetched twice, or a thousand copies of it, adds nothing the second time. Automatic replies
(``Auto-Submitted``, ``Precedence: bulk``, out-of-office headers, bounces) and mail from
Kesher's own addresses are recorded and ignored: they never open a ticket or answer one, so
two auto-responders cannot loop. Attachments within the attachment size limit are kept on
the ticket through the platform's attachment rules; larger ones are named, not kept.
"""

from __future__ import annotations

import contextlib
import hashlib
import imaplib
import logging
import os
import poplib
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.errors import MessageError
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Subquery
from django.utils import timezone

from kesher.integrations.compose import html_to_text, sanitize
from kesher.platform import stamps
from kesher.platform.models import Choice
from kesher.service.models import Mailbox, Ticket, TicketEmail

__all__ = [
    "POLL_LIMIT",
    "ImapSource",
    "MailIntake",
    "Pop3Source",
    "Received",
    "email_receive",
    "is_auto_reply",
    "mail_source",
    "mailbox_poll",
    "mailbox_report",
    "one_transaction",
    "poll_mailboxes",
    "savepoints_kept",
    "ticket_for_message",
    "without_quoted",
]

logger = logging.getLogger("kesher.service")
NUMBER = re.compile(r"\bT-(\d{6,})\b")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
BODY_LIMIT = 100_000
POLL_LIMIT = 500  # messages one poll takes; the rest wait for the next


@dataclass
class Received:
    """What became of one message."""

    outcome: str  # a TicketEmail.Outcome value
    ticket: Ticket | None = None
    duplicate: bool = False
    attachments: list[str] = field(default_factory=list)


class _HeaderClasses(HeaderRegistry):
    """The stdlib's header registry, making each header class once: its own makes a new class
    for every header read (a third of the time parsing a message took, profiled). The class
    depends only on the header's kind, so there are as many as kinds, whatever mail arrives."""

    def __init__(self):
        super().__init__()
        self._made: dict[type, type] = {}

    def __getitem__(self, name):
        kind = self.registry.get(name.lower(), self.default_class)
        made = self._made.get(kind)
        if made is None:
            made = self._made[kind] = super().__getitem__(name)
        return made


POLICY = policy.default.clone(header_factory=_HeaderClasses())


def _parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _message_id(message: EmailMessage, raw: bytes) -> str:
    """The message's own Message-ID; a message without one is known by its content's hash."""
    found = MESSAGE_ID.search(str(message.get("Message-ID", "")))
    if found:
        return found.group(0)[:300]
    return f"<sha256.{hashlib.sha256(raw).hexdigest()}@kesher.invalid>"


def _referenced_ids(message: EmailMessage) -> list[str]:
    text = f"{message.get('In-Reply-To', '')} {message.get('References', '')}"
    return MESSAGE_ID.findall(text)[-50:]


def is_auto_reply(message: EmailMessage) -> bool:
    """An out-of-office answer, a bounce or a list's mail: never a customer's own words
    (RFC 3834 and the headers auto-responders use)."""
    submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if submitted and submitted != "no":
        return True
    if str(message.get("Precedence", "")).strip().lower() in AUTO_PRECEDENCE:
        return True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return True
    if str(message.get("X-Auto-Response-Suppress", "")).strip().lower() in {"all", "oof"}:
        return True
    if str(message.get("Return-Path", "")).strip() == "<>":
        return True
    sender = parseaddr(_header(message, "From"))[1].lower()
    return sender.startswith(("mailer-daemon@", "postmaster@"))


def _header(message: EmailMessage, name: str) -> str:
    """A header's text, one line; empty when it is missing or too malformed to parse."""
    try:
        return " ".join(str(message.get(name, "")).split())
    except (MessageError, ValueError, IndexError, TypeError, AttributeError):
        return ""


# What a reply needs of its ticket, read with it: the status it may move from, who owns it.
TICKET_LINKS = ("status", "handler", "owner")


def ticket_for_message(message: EmailMessage) -> Ticket | None:
    """The ticket a message answers: by the thread's Message-IDs, else by a ticket number in
    its subject. A merged ticket's messages go to the ticket it was merged into."""
    ticket = None
    tickets = Ticket.objects.select_related(*TICKET_LINKS)
    referenced = _referenced_ids(message)
    if referenced:
        known = (
            TicketEmail.objects.filter(message_id__in=referenced, ticket__isnull=False)
            .select_related(*(f"ticket__{name}" for name in TICKET_LINKS))
            .order_by("-created_at", "-pk")
            .first()
        )
        ticket = known.ticket if known else None
    if ticket is None:
        found = NUMBER.search(str(message.get("Subject", "")))
        if found:
            ticket = tickets.filter(number=f"T-{int(found.group(1)):06d}").first()
    seen = set()
    while ticket is not None and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = tickets.filter(pk=ticket.merged_into_id).first()
    return ticket


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, ValueError):
        content = part.get_payload(decode=True) or b""
        content = content.decode("utf-8", "replace") if isinstance(content, bytes) else ""
    if part.get_content_subtype() == "html":
        content = html_to_text(sanitize(content))
    return content.strip()[:BODY_LIMIT]


# Where the text a mail client quotes under a reply begins: "On … wrote:" (Gmail, Apple Mail,
# Thunderbird, in English or Hebrew), Outlook's "Original Message" rule or its header block.
QUOTE_STARTS = re.compile(
    r"^\s*(?:On\b.*\bwrote:|ב[-־]?.*כתב(?:ה)?:|-{2,}\s*(?:Original Message|הודעה מקורית)\s*-{2,}"
    r"|(?:From|מאת):\s.*)\s*$",
    re.IGNORECASE,
)


def without_quoted(text: str) -> str:
    """A customer's reply as he wrote it: without the earlier messages his mail client quoted
    under it (from its "On … wrote:" line, or the lines marked "> "). The stored message keeps
    everything; a reply that is all quote is shown whole."""
    lines = (text or "").splitlines()
    kept = []
    for line in lines:
        if QUOTE_STARTS.match(line):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    shown = "\n".join(kept).strip()
    return shown or (text or "")


def _sender_records(address: str, name: str, mailbox: Mailbox | None) -> dict:
    """The contact (and account) an address is, or the new contact or lead the mailbox asks
    for an unknown one."""
    from kesher.customers.models import Contact, ContactAccount

    first = Contact.objects.filter(email=address).order_by("pk").values("pk")[:1]
    # The contact with his primary account in one read; a contact at no account in a second.
    link = (
        ContactAccount.objects.filter(contact_id=Subquery(first))
        .select_related("contact", "account")
        .order_by("-is_primary", "pk")
        .first()
    )
    if link is not None:
        return {"contact": link.contact, "account": link.account}
    contact = Contact.objects.filter(email=address).order_by("pk").first()
    if contact is None and address:
        wanted = mailbox.unknown_sender if mailbox else Mailbox.UnknownSender.CONTACT
        first, _space, last = (name or address.split("@")[0]).partition(" ")
        if wanted == Mailbox.UnknownSender.CONTACT:
            from kesher.customers.services import contact_create

            contact = contact_create(
                actor=None,
                data={"first_name": first[:100], "last_name": last[:100], "email": address},
            )
        elif wanted == Mailbox.UnknownSender.LEAD:
            from kesher.sales.models import Lead
            from kesher.sales.services import lead_create

            if not Lead.objects.filter(email=address).exists():
                lead_create(
                    actor=None,
                    data={"first_name": first[:100], "last_name": last[:100], "email": address},
                )
    return {"contact": contact} if contact is not None else {}


def _occurred_at(message: EmailMessage):
    try:
        when = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return timezone.now()
    if when is None or timezone.is_naive(when):
        return timezone.now()
    return min(when, timezone.now())


def _keep_attachments(ticket: Ticket, message: EmailMessage) -> list[str]:
    from kesher.platform.records.attachments import attachment_add

    kept = []
    for part in message.iter_attachments():
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes) or not payload:
            continue
        name = part.get_filename() or "attachment"
        if len(payload) > settings.KESHER_MAX_ATTACHMENT_BYTES:
            kept.append(f"✗ {name}")
            continue
        attachment = attachment_add(ticket, actor=None, uploaded=ContentFile(payload, name=name))
        kept.append(attachment.name)
    return kept


@contextlib.contextmanager
def one_transaction(using: str | None = None) -> Iterator[None]:
    """Within it, atomic blocks opened by nested services make no savepoint: the caller
    owns the transaction and any failure inside aborts all of it (one message is received
    whole or not at all), so a savepoint would only cost two round trips each (``ticket_create``
    → ``record_create``, ``interaction_create`` → ``record_create``: eight a message that
    opens a ticket). Enter it inside the caller's own ``transaction.atomic()``.

    What a caller that catches an error gets: a failing block without its savepoint marks the
    whole transaction for rollback (Django's ``atomic(savepoint=False)``), so code here that
    catches a database error and goes on would meet ``TransactionManagementError`` at its next
    query — the message fails whole and nothing of it is written, never half of it. Code that
    must catch and continue opens ``savepoints_kept()`` around what it tries. Callers outside
    this block (pages, the API, imports) keep their savepoints as before."""
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError("one_transaction() needs an atomic block.")
    given = connection.__dict__.get("savepoint")
    connection.savepoint = _no_savepoint
    try:
        yield
    finally:
        if given is None:
            del connection.savepoint
        else:
            connection.savepoint = given


def _no_savepoint() -> None:
    # ``Atomic`` takes None for "no savepoint here", as with ``atomic(savepoint=False)``.
    return None


@contextlib.contextmanager
def savepoints_kept(using: str | None = None) -> Iterator[None]:
    """Savepoints again within ``one_transaction()``: for code there that catches a failing
    block's error and goes on."""
    connection = transaction.get_connection(using)
    if connection.__dict__.get("savepoint") is not _no_savepoint:
        yield
        return
    del connection.savepoint
    try:
        yield
    finally:
        connection.savepoint = _no_savepoint


class MailIntake:
    """Receives the messages of one poll of a mailbox (or one message posted to the raw-MIME
    endpoint). What every message needs and administrators rarely change — the mailboxes and
    so Kesher's own addresses, the pick-list values a ticket opened by e-mail takes — is read
    once for the poll, when first needed, not once per message."""

    def __init__(self, mailbox: Mailbox | None = None):
        self.mailbox = mailbox

    @cached_property
    def _mailboxes(self) -> list[Mailbox]:
        return list(Mailbox.objects.select_related("team"))

    @cached_property
    def own_addresses(self) -> set[str]:
        own = {m.address.lower() for m in self._mailboxes}
        default = parseaddr(settings.DEFAULT_FROM_EMAIL or "")[1].lower()
        if default:
            own.add(default)
        return own

    def mailbox_of(self, message: EmailMessage) -> Mailbox | None:
        headers = [str(message.get(name, "")) for name in ("Delivered-To", "To", "Cc")]
        addresses = [address.lower() for _name, address in getaddresses(headers) if address]
        found = {m.address.lower(): m for m in self._mailboxes if m.active}
        return next((found[a] for a in addresses if a in found), None)

    @cached_property
    def channel(self) -> Choice | None:
        return Choice.objects.filter(list_key="ticket_channel", value="email").first()

    @cached_property
    def kind(self) -> Choice:
        return Choice.objects.get(list_key="interaction_kind", value="email")

    @cached_property
    def defaults(self) -> dict:
        """A new ticket's status and priority: the lists' defaults, as ``ticket_create``'s."""
        from kesher.service.services import default_choice

        return {
            "status": default_choice("ticket_status"),
            "priority": default_choice("ticket_priority"),
        }

    @cached_property
    def status_on_reply(self) -> Choice | None:
        """The status a customer's reply moves a ticket waiting for him to (REQ SV-9)."""
        values = Choice.objects.filter(list_key="ticket_status", active=True)
        return next(
            (c for c in values.order_by("order", "pk") if (c.extra or {}).get("customer_reply")),
            None,
        )

    def receive(self, raw: bytes) -> Received:
        """Turn one raw message into a ticket or a reply on one; a message already received
        is not received again (``duplicate``)."""
        # One message is one unit of work: the schema's stamps are read once for it, its
        # events' listeners after commit included.
        with stamps.remembered_for_request():
            message = _parse(raw)
            message_id = _message_id(message, raw)
            known = (
                TicketEmail.objects.filter(message_id=message_id).select_related("ticket").first()
            )
            if known is not None:
                return Received(known.outcome, known.ticket, duplicate=True)
            try:
                with transaction.atomic(), one_transaction():
                    return self._receive(message, message_id)
            except IntegrityError:
                # Another worker took the same message at the same moment: it is that one's.
                known = TicketEmail.objects.filter(message_id=message_id).first()
                if known is None:
                    raise
                return Received(known.outcome, known.ticket, duplicate=True)

    def _receive(self, message: EmailMessage, message_id: str) -> Received:
        from kesher.activities.services import interaction_create
        from kesher.service.services import ticket_create, ticket_update

        mailbox = self.mailbox or self.mailbox_of(message)
        name, address, given = _sender(message)
        subject = " ".join(str(message.get("Subject", "")).split())[:300]
        row = TicketEmail(
            message_id=message_id,
            direction=TicketEmail.Direction.INBOUND,
            mailbox=mailbox,
            sender=(address or given)[:300],
            subject=subject,
        )
        if is_auto_reply(message):
            row.outcome = TicketEmail.Outcome.AUTO_REPLY
        elif not address:
            row.outcome = TicketEmail.Outcome.BAD_SENDER
        elif address in self.own_addresses:
            row.outcome = TicketEmail.Outcome.LOOP
        if row.outcome:
            # Saved first: the unique Message-ID refuses a second copy before any other write.
            row.save()
            if row.outcome == TicketEmail.Outcome.BAD_SENDER and mailbox is not None:
                # Handled (the poll marks it seen), and told to whoever looks after the mailbox.
                mailbox_report(
                    mailbox,
                    Mailbox.Problem.BAD_SENDER,
                    f"{message_id} From: {given or '-'}",
                )
            return Received(row.outcome)
        ticket = ticket_for_message(message)
        row.outcome = TicketEmail.Outcome.THREADED if ticket else TicketEmail.Outcome.OPENED
        row.save()
        body = _body(message)
        people = _sender_records(address, name, mailbox)
        if ticket is None:
            data = {
                "subject": subject[:200] or address,
                "description": body,
                "channel": self.channel,
                "contact": people.get("contact"),
                "account": people.get("account"),
                "team": mailbox.team if mailbox and mailbox.team_id else None,
                **self.defaults,
            }
            ticket = ticket_create(actor=None, data={k: v for k, v in data.items() if v})
        interaction = interaction_create(
            actor=None,
            data={
                "kind": self.kind,
                "direction": "in",
                "subject": subject[:200] or ticket.subject,
                "body": body,
                "occurred_at": _occurred_at(message),
                "link_type": "tickets",
                "link_id": ticket.pk,
                "owner": ticket.handler or ticket.owner,
            },
            m2m={"participant_contacts": [people["contact"]]} if people.get("contact") else None,
        )
        row.ticket, row.interaction = ticket, interaction
        row.save(update_fields=["ticket", "interaction"])
        attachments = _keep_attachments(ticket, message)
        if row.outcome == TicketEmail.Outcome.THREADED:
            status = ticket.status
            if status is not None and (status.extra or {}).get("waiting"):
                # The customer answered what we waited for: the clocks run again (REQ SV-9).
                moved_to = self.status_on_reply
                if moved_to is not None:
                    ticket = ticket_update(ticket, actor=None, data={"status": moved_to})
        return Received(row.outcome, ticket, attachments=attachments)


def email_receive(raw: bytes, *, mailbox: Mailbox | None = None) -> Received:
    """Receive one message on its own (the raw-MIME endpoint); a poll receives its messages
    through one ``MailIntake``."""
    return MailIntake(mailbox).receive(raw)


def _sender(message: EmailMessage) -> tuple[str, str, str]:
    """The sender's name and address (lower case; empty when missing or malformed, so the
    message cannot open a ticket nor make a contact), and the From header as given."""
    given = _header(message, "From")
    name, address = parseaddr(given)
    address = address.strip().lower()
    try:
        validate_email(address)
    except ValidationError:
        address = ""
    if len(address) > 254:
        address = ""
    return name, address, given


def mailbox_report(mailbox: Mailbox, problem: str, detail: str) -> None:
    """Record ``mailbox``'s latest problem where its administrator sees it: on the mailbox's
    page and list (and the log)."""
    logger.warning("mailbox %s: %s %s", mailbox.pk, problem, detail)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        problem=problem, problem_detail=detail[:500], problem_at=timezone.now()
    )


# --- polling -------------------------------------------------------------------------------------


def imap_tls_context() -> ssl.SSLContext:
    """TLS that checks the mail server's certificate and name against the system's trusted
    authorities, and the private authority in ``KESHER_IMAP_CA_FILE`` if one is set (a
    company's own mail server). ``imaplib`` left to itself checks neither."""
    context = ssl.create_default_context()
    if settings.KESHER_IMAP_CA_FILE:
        context.load_verify_locations(cafile=settings.KESHER_IMAP_CA_FILE)
    return context


def _password(box: Mailbox) -> str:
    return os.environ.get(box.imap_password_env, "") if box.imap_password_env else ""


def _starttls(box: Mailbox) -> bool:
    return box.mail_security == Mailbox.Security.STARTTLS


class ImapSource:
    """A mailbox's unseen messages over IMAP (stdlib ``imaplib``), over TLS from the first
    byte or upgraded by STARTTLS before signing in — a server that does not offer STARTTLS is
    a failed poll, never a password sent in the clear — the server's certificate verified
    either way; each message is marked seen once received, so the next poll does not fetch it
    again (and if it does, its Message-ID keeps it from counting twice)."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    def _connect(self) -> imaplib.IMAP4:
        box = self.mailbox
        if not _starttls(box):
            return imaplib.IMAP4_SSL(
                box.imap_host, box.imap_port, ssl_context=imap_tls_context(), timeout=30
            )
        client = imaplib.IMAP4(box.imap_host, box.imap_port, timeout=30)
        try:
            client.starttls(ssl_context=imap_tls_context())
        except BaseException:
            with contextlib.suppress(OSError):
                client.shutdown()
            raise
        return client

    def messages(self) -> Iterator[tuple[bytes, bytes]]:
        box = self.mailbox
        self._client = client = self._connect()
        client.login(box.imap_user, _password(box))
        client.select(box.imap_folder or "INBOX")
        _status, data = client.uid("search", "UNSEEN")
        for uid in (data[0] or b"").split()[:POLL_LIMIT]:
            _status, parts = client.uid("fetch", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw:
                yield uid, raw

    def done(self, uid: bytes) -> None:
        self._client.uid("store", uid, "+FLAGS", "(\\Seen)")

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()


class Pop3Source:
    """A mailbox's messages over POP3 (stdlib ``poplib``), TLS from the first byte or by
    STLS before signing in (refused when the server does not offer it), the certificate
    verified. POP3 keeps no "seen" mark: a received message is deleted from the server
    (``DELE``, applied when the session ends with ``QUIT``); one that failed stays there for a
    person, and its Message-ID keeps a message fetched again from counting twice."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    def _connect(self) -> poplib.POP3:
        box = self.mailbox
        if not _starttls(box):
            return poplib.POP3_SSL(
                box.imap_host, box.imap_port, context=imap_tls_context(), timeout=30
            )
        client = poplib.POP3(box.imap_host, box.imap_port, timeout=30)
        try:
            client.stls(context=imap_tls_context())
        except BaseException:
            with contextlib.suppress(OSError):
                client.close()
            raise
        return client

    def messages(self) -> Iterator[tuple[int, bytes]]:
        box = self.mailbox
        self._client = client = self._connect()
        client.user(box.imap_user)
        client.pass_(_password(box))
        count, _size = client.stat()
        for number in range(1, min(count, POLL_LIMIT) + 1):
            _response, lines, _octets = client.retr(number)
            yield number, b"\r\n".join(lines) + b"\r\n"

    def done(self, number: int) -> None:
        self._client.dele(number)

    def close(self) -> None:
        client = getattr(self, "_client", None)
        if client is not None:
            with contextlib.suppress(poplib.error_proto, OSError):
                client.quit()


def mail_source(mailbox: Mailbox) -> ImapSource | Pop3Source:
    """The source a mailbox's settings say: IMAP or POP3."""
    if mailbox.mail_protocol == Mailbox.Protocol.POP3:
        return Pop3Source(mailbox)
    return ImapSource(mailbox)


def mailbox_poll(mailbox: Mailbox, source) -> list[Received]:
    """Receive every message ``source`` has for ``mailbox`` (``messages()`` yields (uid, raw);
    ``done(uid)`` after each). Nothing is polled in the practice environment (REQ IM-6)."""
    if settings.KESHER_PRACTICE:
        return []
    results = []
    intake = MailIntake(mailbox)
    try:
        for uid, raw in source.messages():
            try:
                results.append(intake.receive(raw))
            except Exception as error:
                # One broken message must not stop the mailbox; it stays unseen for a person.
                logger.exception("mailbox %s: message %r not received", mailbox.pk, uid)
                mailbox_report(mailbox, Mailbox.Problem.MESSAGE_FAILED, f"{uid!r}: {error!r}")
                continue
            source.done(uid)
    finally:
        source.close()
    return results


def poll_mailboxes() -> int:
    """The worker's tick: poll each active mailbox that has a mail server (IMAP or POP3).
    Returns how many messages were received."""
    if settings.KESHER_PRACTICE:
        return 0
    count = 0
    for mailbox in Mailbox.objects.filter(active=True).exclude(imap_host=""):
        try:
            count += len(mailbox_poll(mailbox, mail_source(mailbox)))
        except (imaplib.IMAP4.error, poplib.error_proto, OSError) as error:
            logger.warning("mailbox %s: polling failed", mailbox.pk, exc_info=True)
            mailbox_report(mailbox, Mailbox.Problem.POLL_FAILED, repr(error))
    return count
