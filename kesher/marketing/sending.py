"""The worker's side of mass sends: at most once per recipient (REQ MK-2; decision 0070).

Every tick: due scheduled sends are queued (``services.send_queue``); rows a dead worker left
"sending" past ``KESHER_MESSAGE_LEASE_SECONDS`` become "outcome unknown" — nobody can tell
whether the message left, so it is never sent again on its own; then a batch of "pending"
rows is claimed (one UPDATE … RETURNING, ``integrations.delivery.claim``) and committed
*before* any message leaves. For the claimed batch the consent ledger is asked again, so a
refusal recorded while the send runs stops the next message; then each message is rendered and
sent through Django's mail backend (with ``List-Unsubscribe``) or the SMS/WhatsApp gateway, and
its outcome written in its own statement. A failure the server reported (known not sent) goes
back to the queue with back-off, up to ``KESHER_MESSAGE_MAX_ATTEMPTS``. In the practice
environment nothing leaves: rows become "suppressed".

``sent + unknown + failed + pending + sending + skipped + suppressed + bounced`` is always the
audience: rows only change status, never appear or vanish after queuing.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from kesher.integrations import merge
from kesher.integrations.compose import html_to_text, sanitize, wrap_html
from kesher.integrations.delivery import backoff, claim
from kesher.integrations.gateways import GatewayError, TextMessage, get_backend
from kesher.marketing import consent
from kesher.marketing.bounces import stopped_addresses
from kesher.marketing.models import Channel, Recipient, Send
from kesher.platform.visibility import hides_anything
from kesher.practice.outgoing import outgoing_suppressed

__all__ = [
    "ADVERTISING_MARK",
    "Rendered",
    "deliver_sends",
    "release_stale",
    "render",
    "tally",
    "unsubscribe_token",
]

logger = logging.getLogger("kesher.marketing")
ADVERTISING_MARK = "פרסומת"
BATCH = 200
SALT = "kesher.marketing.unsubscribe"

FOOTER = {
    "he": ("נשלח על ידי", "לפנייה", "להסרה מרשימת התפוצה", "להסרה השיבו הסר או"),
    "en": ("Sent by", "Contact", "Unsubscribe", "To stop, reply STOP or"),
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str


def unsubscribe_token(recipient_id: int) -> str:
    return signing.Signer(salt=SALT).sign(str(recipient_id))


def recipient_of_token(token: str) -> Recipient | None:
    try:
        pk = int(signing.Signer(salt=SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return Recipient.objects.select_related("send").filter(pk=pk).first()


def unsubscribe_url(recipient_id: int) -> str:
    path = reverse("marketing_unsubscribe", args=[unsubscribe_token(recipient_id)])
    return settings.KESHER_BASE_URL.rstrip("/") + path


def render(send: Send, person, *, unsubscribe_url: str, readers=None) -> Rendered:
    """The message for one person: "פרסומת" first (the e-mail's subject, the text's start) for
    advertising, merge fields filled as the send's owner may see them, and the sender's name,
    contact details and the way to refuse at the end (§30A)."""
    if readers is None:
        readers = [send.owner] if send.owner is not None and hides_anything() else []
    sent_by, contact, refuse, reply = FOOTER.get(send.language, FOOTER["he"])
    advertising = send.purpose == "advertising"
    if send.channel == Channel.EMAIL:
        subject = " ".join(
            merge.render_text(send.subject, person, html=False, readers=readers).split()
        )
        if advertising:
            subject = f"{ADVERTISING_MARK}: {subject}"
        body = sanitize(merge.render_text(sanitize(send.body), person, html=True, readers=readers))
        footer = (
            f'<hr><p style="font-size:small">{escape(sent_by)}: {escape(send.sender_name)} · '
            f"{escape(contact)}: {escape(send.sender_contact)}<br>"
            f'<a href="{escape(unsubscribe_url)}">{escape(refuse)}</a></p>'
        )
        html = body + footer
        return Rendered(subject[:300], wrap_html(html, send.language), html_to_text(html))
    text = " ".join(merge.render_text(send.body, person, html=False, readers=readers).split())
    if advertising:
        text = f"{ADVERTISING_MARK}: {text}"
    text += f"\n{send.sender_name}, {send.sender_contact}. {reply} {unsubscribe_url}"
    return Rendered("", "", text)


def tally(send: Send) -> dict[str, int]:
    """How many recipients are in each status; their sum is the audience."""
    counts = dict.fromkeys(Recipient.Status.values, 0)
    for row in Recipient.objects.filter(send=send).values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts


def release_stale(now=None) -> int:
    """Rows left "sending" by a worker that died mid-batch: "outcome unknown", never re-sent
    on their own."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.KESHER_MESSAGE_LEASE_SECONDS)
    stale = Recipient.objects.filter(status=Recipient.Status.SENDING, claimed_at__lt=cutoff)
    send_ids = set(stale.values_list("send_id", flat=True).distinct())
    if not send_ids:
        return 0
    count = stale.update(
        status=Recipient.Status.UNKNOWN,
        last_error="The worker stopped while sending; not sent again unless an operator chooses.",
    )
    _finish_sends(send_ids)
    return count


def queue_due_sends(now=None) -> int:
    from kesher.marketing.services import send_queue

    now = now or timezone.now()
    queued = 0
    for send in Send.objects.filter(status=Send.Status.SCHEDULED, scheduled_at__lte=now):
        send_queue(send, actor=None, now=now)
        queued += 1
    return queued


def _still_allowed(recipients: list[Recipient]) -> set[int]:
    """The ids of claimed rows whose person the ledger still allows (asked again now)."""
    from kesher.customers.models import Contact
    from kesher.sales.models import Lead

    ok: set[int] = set()
    groups: dict[tuple, list[Recipient]] = {}
    for r in recipients:
        if r.send.purpose and (r.contact_id or r.lead_id):
            groups.setdefault((r.send.channel, r.send.purpose, bool(r.contact_id)), []).append(r)
    for (channel, purpose, is_contact), rows in groups.items():
        model, person, attr = (
            (Contact, "contact", "contact_id") if is_contact else (Lead, "lead", "lead_id")
        )
        ids = [getattr(r, attr) for r in rows]
        allowed = set(
            consent.allowed(model.objects.filter(pk__in=ids), person, channel, purpose).values_list(
                "pk", flat=True
            )
        )
        ok |= {r.pk for r in rows if getattr(r, attr) in allowed}
    return ok


def _person(r: Recipient):
    return r.contact if r.contact_id else r.lead


def _settle(pk: int, **fields) -> None:
    # Only the claim's own "sending" row is settled: a row released as unknown meanwhile stays.
    Recipient.objects.filter(pk=pk, status=Recipient.Status.SENDING).update(**fields)


def _send_one(r: Recipient, connection, readers) -> None:
    url = unsubscribe_url(r.pk)
    message = render(r.send, _person(r), unsubscribe_url=url, readers=readers)
    if r.send.channel == Channel.EMAIL:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            to=[r.address],
            connection=connection,
            headers={
                "List-Unsubscribe": f"<{url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Content-Language": r.send.language,
                "X-Kesher-Recipient": str(r.pk),
            },
        )
        email.attach_alternative(message.html, "text/html")
        email.send()
        return
    get_backend().send(
        TextMessage(channel=r.send.channel, to=r.address, body=message.text, reference=f"mk{r.pk}")
    )


def _finish_sends(send_ids) -> None:
    for send_id in send_ids:
        busy = Recipient.objects.filter(
            send_id=send_id, status__in=(Recipient.Status.PENDING, Recipient.Status.SENDING)
        ).exists()
        if not busy:
            Send.objects.filter(pk=send_id, status=Send.Status.SENDING).update(
                status=Send.Status.DONE, finished_at=timezone.now()
            )


def deliver_batch(now=None, limit: int = BATCH) -> int:
    """Claim up to ``limit`` pending recipients of running sends, commit the claim, then send.
    Returns how many were sent."""
    now = now or timezone.now()
    running = Q(send__status=Send.Status.SENDING)
    with transaction.atomic():
        # Rows of cancelled sends are never claimed: the claim is limited to running sends'.
        ids = claim(Recipient, Recipient.Status.PENDING, now, limit)
        stopped = list(
            Recipient.objects.filter(pk__in=ids).exclude(running).values_list("pk", flat=True)
        )
        if stopped:
            Recipient.objects.filter(pk__in=stopped).update(
                status=Recipient.Status.PENDING, attempts=0, claimed_at=None, next_attempt_at=None
            )
    rows = list(
        Recipient.objects.filter(pk__in=set(ids) - set(stopped))
        .select_related("send", "send__owner", "contact", "lead")
        .order_by("id")
    )
    if not rows:
        return 0
    if outgoing_suppressed():
        # Nothing leaves the practice environment (REQ IM-6).
        Recipient.objects.filter(pk__in=[r.pk for r in rows]).update(
            status=Recipient.Status.SUPPRESSED
        )
        _finish_sends({r.send_id for r in rows})
        return 0
    ok = _still_allowed(rows)
    refused = [r.pk for r in rows if r.pk not in ok]
    if refused:
        Recipient.objects.filter(pk__in=refused).update(status=Recipient.Status.SKIPPED)
    # An address that bounced since the audience was written is not sent to (decision 0120).
    emails = [r for r in rows if r.pk in ok and r.send.channel == Channel.EMAIL]
    stopped = stopped_addresses(r.address for r in emails)
    bounced = [r.pk for r in emails if r.address.casefold() in stopped]
    if bounced:
        Recipient.objects.filter(pk__in=bounced).update(status=Recipient.Status.BOUNCED)
        ok -= set(bounced)
    sent = 0
    # Merge fields show what the send's owner may see; asked once for the batch.
    hiding = hides_anything()
    connection = get_connection()
    try:
        connection.open()
        for r in rows:
            if r.pk not in ok:
                continue
            try:
                readers = [r.send.owner] if hiding and r.send.owner else []
                _send_one(r, connection, readers)
            except Exception as failure:  # a broken server must not stop the batch
                error = f"{failure.__class__.__name__}: {failure}"[:2000]
                if isinstance(failure, GatewayError):
                    error = str(failure)[:2000]
                logger.warning("recipient %s: sending failed: %s", r.pk, error)
                if r.attempts >= settings.KESHER_MESSAGE_MAX_ATTEMPTS:
                    _settle(r.pk, status=Recipient.Status.FAILED, last_error=error)
                else:
                    wait = backoff(r.attempts, settings.KESHER_MESSAGE_BACKOFF_SECONDS)
                    _settle(
                        r.pk,
                        status=Recipient.Status.PENDING,
                        last_error=error,
                        next_attempt_at=timezone.now() + wait,
                    )
                continue
            _settle(r.pk, status=Recipient.Status.SENT, sent_at=timezone.now(), last_error="")
            sent += 1
    finally:
        connection.close()
    _finish_sends({r.send_id for r in rows})
    return sent


def deliver_sends(now=None) -> int:
    """The worker tick's job: queue due sends, release stale claims, send one batch."""
    release_stale(now)
    queue_due_sends(now)
    return deliver_batch(now)
