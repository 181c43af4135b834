"""Every write of marketing: campaigns and their costs (generic), the consent ledger, a lead's
campaign touches, mass sends — test, schedule, queue, cancel, send the unknown again — and
lead scores (REQ MK-1, MK-2, TK-8, CU-11; Communications Law §30A; decision 0070).

Queuing a send evaluates its segment as the send's owner sees it, and writes one
``Recipient`` row per person in one set-based statement: "pending" for those the consent
ledger allows, "skipped" for the others. Nothing is sent here; the worker
(``kesher.marketing.sending``) claims pending rows and sends them after the claim commits.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.integrations.models import OutgoingMessage
from kesher.marketing import consent
from kesher.marketing.bounces import stopped_addresses
from kesher.marketing.models import Campaign, Channel, Consent, Purpose, Recipient, Send
from kesher.platform.lists.savedviews import segment
from kesher.platform.models import Choice, SavedView
from kesher.platform.records.services import (
    record_create,
    record_update,
    records_create_together,
    write_audit,
)
from kesher.practice.outgoing import outgoing_suppressed

__all__ = [
    "consent_create",
    "consent_refuse",
    "consents_create",
    "lead_touch",
    "send_cancel",
    "send_create",
    "send_queue",
    "send_resend_unknown",
    "send_schedule",
    "send_test",
    "send_update",
]

# The address a channel sends to, per kind of person.
ADDRESS_FIELDS = {
    "contacts": {"email": "email", "sms": "mobile", "whatsapp": "mobile"},
    "leads": {"email": "email", "sms": "mobile", "whatsapp": "mobile"},
}
PERSON = {"contacts": "contact", "leads": "lead"}


# --- the consent ledger ------------------------------------------------------------------------


def consent_create(*, actor, data: dict, m2m: dict | None = None) -> Consent:
    """Add an entry to the consent ledger; the one who records it is kept (§30A)."""
    entry = record_create("consents", actor=actor, data=data, m2m=m2m)
    if getattr(actor, "pk", None):
        Consent.objects.filter(pk=entry.pk).update(recorded_by=actor)
        entry.recorded_by = actor
    return entry


def _method(value: str) -> Choice | None:
    return Choice.objects.filter(list_key="consent_method", value=value).first()


@transaction.atomic
def consent_refuse(
    *,
    contact=None,
    lead=None,
    channel: str,
    purpose: str = Purpose.ADVERTISING,
    method: str = "by_hand",
    source: str = "",
    proof: str = "",
    actor=None,
) -> Consent:
    """Record a refusal — by the unsubscribe link, a reply or by hand. It holds at once: the
    worker checks the ledger again right before each batch leaves."""
    entry = Consent(
        contact=contact,
        lead=lead,
        channel=channel,
        purpose=purpose,
        kind=Consent.Kind.REFUSAL,
        method=_method(method),
        source=source[:200],
        proof=proof[:2000],
        recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    entry.full_clean()
    entry.save()
    write_audit(
        entry, actor=entry.recorded_by, action="create", changes={"kind": [None, "refusal"]}
    )
    return entry


# --- attribution -------------------------------------------------------------------------------


def consents_create(*, actor, rows: list[dict]) -> list[Consent]:
    """Add several entries to the consent ledger at once — a form's consent, one per channel —
    each checked as ``consent_create`` checks it, written together (decision 0114)."""
    entries = records_create_together("consents", actor=actor, rows=rows)
    if entries and getattr(actor, "pk", None):
        Consent.objects.filter(pk__in=[e.pk for e in entries]).update(recorded_by=actor)
        for entry in entries:
            entry.recorded_by = actor
    return entries


def lead_touch(lead, *, campaign: Campaign, actor):
    """The lead responded to ``campaign``: its first touch if it has none yet, its last touch
    always (REQ MK-1)."""
    data = {"last_campaign": campaign}
    if lead.campaign_id is None:
        data["campaign"] = campaign
    return record_update(lead, actor=actor, data=data)


# --- mass sends --------------------------------------------------------------------------------


def _check_send(data: dict, current: Send | None = None, actor=None) -> None:
    view = data.get("segment", current.segment if current else None)
    if isinstance(view, int | str):
        view = SavedView.objects.filter(pk=int(view)).first() if str(view).isdigit() else None
    if view is not None and view.entity not in ADDRESS_FIELDS:
        raise ValidationError({"segment": [_("Choose a saved view of contacts or leads.")]})
    if (
        "segment" in data
        and view is not None
        and actor is not None
        and not (view.shared or view.owner_id == actor.pk)
    ):
        # Someone else's personal view is not offered (its filter is theirs).
        raise ValidationError({"segment": [_("Choose a shared view or one of your own.")]})
    if current is not None and current.status not in (Send.Status.DRAFT, Send.Status.SCHEDULED):
        raise ValidationError({"status": [_("A send that has started cannot be changed.")]})


def send_create(*, actor, data: dict, m2m: dict | None = None) -> Send:
    """A draft mass send of a campaign to a segment (REQ MK-2)."""
    _check_send(data, actor=actor)
    return record_create("campaign-sends", actor=actor, data=data, m2m=m2m)


def send_update(
    send: Send, *, actor, data: dict, m2m: dict | None = None, expected_version=None
) -> Send:
    _check_send(data, send, actor=actor)
    return record_update(send, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


def _set_status(send: Send, status: str, actor, **fields) -> Send:
    old = send.status
    Send.objects.filter(pk=send.pk).update(status=status, **fields)
    write_audit(send, actor=actor, action="update", changes={"status": [old, status]})
    send.refresh_from_db()
    return send


def _locked(send: Send) -> Send:
    # Two presses of "Send" must not both queue the audience.
    return Send._base_manager.select_for_update().get(pk=send.pk)


@transaction.atomic
def send_schedule(send: Send, *, actor, at=None) -> Send:
    """Queue the send at ``at`` (or its own "send at"); the worker queues it then."""
    send = _locked(send)
    _check_send({}, send)
    at = at or send.scheduled_at
    if at is None or at <= timezone.now():
        raise ValidationError({"scheduled_at": [_("Choose a time in the future.")]})
    return _set_status(send, Send.Status.SCHEDULED, actor, scheduled_at=at)


@transaction.atomic
def send_cancel(send: Send, *, actor) -> Send:
    """Stop a send: recipients not yet claimed are never sent (they stay "pending")."""
    send = _locked(send)
    if send.status in (Send.Status.DONE, Send.Status.CANCELLED):
        raise ValidationError({"status": [_("This send has already ended.")]})
    # Pending rows are never due again: the worker's claim skips them.
    Recipient.objects.filter(send=send, status=Recipient.Status.PENDING).update(
        next_attempt_at=None
    )
    return _set_status(send, Send.Status.CANCELLED, actor, finished_at=timezone.now())


def audience_queryset(send: Send):
    """The segment's people as the send's owner sees them now, with an address on the
    channel, and the consent ledger's latest word for each."""
    view = send.segment
    entity_key = view.entity
    field = ADDRESS_FIELDS[entity_key][send.channel]
    people = segment(view, send.owner).exclude(**{field: ""}).exclude(**{f"{field}__isnull": True})
    people = consent.with_consent(people, PERSON[entity_key], send.channel, send.purpose)
    return people.order_by().values_list("pk", field, "consent_kind"), PERSON[entity_key]


@transaction.atomic
def send_queue(send: Send, *, actor, now=None) -> Send:
    """Evaluate the segment now and write the audience: one row per person, "pending" when
    the ledger allows an advertising message on the channel, else "skipped". Queuing twice
    is refused; the worker sends (REQ MK-2, §30A)."""
    send = _locked(send)
    if send.status not in (Send.Status.DRAFT, Send.Status.SCHEDULED):
        raise ValidationError({"status": [_("This send was already queued.")]})
    if send.owner is None:
        raise ValidationError({"owner": [_("A send needs an owner: its segment is theirs.")]})
    now = now or timezone.now()
    rows, person = audience_queryset(send)
    allowing = set(consent.ALLOWING)
    pending, skipped = Recipient.Status.PENDING, Recipient.Status.SKIPPED
    batch = []
    total = 0

    def write(batch):
        # An address a hard bounce, a complaint or enough soft ones stopped is not sent to
        # (decision 0120): asked once per batch.
        if send.channel == Channel.EMAIL:
            stopped = stopped_addresses(r.address for r in batch if r.status == pending)
            for r in batch:
                if r.status == pending and r.address.casefold() in stopped:
                    r.status = Recipient.Status.BOUNCED
        Recipient.objects.bulk_create(batch)
        return len(batch)

    for pk, address, kind in rows.iterator(chunk_size=5000):
        batch.append(
            Recipient(
                send_id=send.pk,
                **{f"{person}_id": pk},
                address=address,
                status=pending if kind in allowing else skipped,
                next_attempt_at=now,
            )
        )
        if len(batch) >= 5000:
            total += write(batch)
            batch = []
    total += write(batch)
    return _set_status(send, Send.Status.SENDING, actor, audience=total, queued_at=now)


@transaction.atomic
def send_resend_unknown(send: Send, *, actor) -> int:
    """An operator checked and chose: the recipients whose outcome is unknown go back to the
    queue (they may receive the message twice). Returns how many."""
    send = _locked(send)
    count = Recipient.objects.filter(send=send, status=Recipient.Status.UNKNOWN).update(
        status=Recipient.Status.PENDING, next_attempt_at=timezone.now(), claimed_at=None
    )
    if count:
        write_audit(send, actor=actor, action="update", changes={"status": [send.status, "resend"]})
        if send.status == Send.Status.DONE:
            _set_status(send, Send.Status.SENDING, actor, finished_at=None)
    return count


@transaction.atomic
def send_test(send: Send, *, actor, to: str) -> OutgoingMessage:
    """Queue one copy of the message, rendered for the segment's first person (or none), to
    ``to`` — the marketer's own address or phone — through the message log. Not counted in the
    audience; suppressed in the practice environment."""
    from kesher.integrations.services import send_text
    from kesher.marketing.sending import render

    if not isinstance(to, str) or not to.strip():
        raise ValidationError({"to": [_("This field is required.")]})
    to = to.strip()
    sample = segment(send.segment, actor).first()
    message = render(send, sample, unsubscribe_url="#")
    key = f"marketing:test:{send.pk}:{timezone.now().timestamp()}"
    source = f"marketing:send:{send.pk}:test"
    if send.channel != Channel.EMAIL:
        return send_text(
            channel=send.channel,
            to=to,
            body=message.text,
            record=send,
            source=source,
            idempotency_key=key,
        )
    from django.core.validators import validate_email

    try:
        validate_email(to)
    except ValidationError:
        raise ValidationError({"to": [_("Enter a valid email address.")]}) from None
    now = timezone.now()
    return OutgoingMessage.objects.create(
        channel=OutgoingMessage.Channel.EMAIL,
        to=to,
        subject=message.subject,
        body_html=message.html,
        body_text=message.text,
        language=send.language,
        status=(
            OutgoingMessage.Status.SUPPRESSED
            if outgoing_suppressed()
            else OutgoingMessage.Status.QUEUED
        ),
        next_attempt_at=now,
        link_type="campaign-sends",
        link_id=send.pk,
        source=source,
        idempotency_key=key,
        created_at=now,
    )


# --- ad lead forms (decision 0117) ----------------------------------------------------------------


@transaction.atomic
def lead_ad_source_update(
    source, *, actor, data: dict, m2m: dict | None = None, expected_version=None
):
    """Change an ad lead form; its Google Ads key left empty keeps the stored one (the key is
    typed, never shown back)."""
    if "google_key" in data and not (data["google_key"] or "").strip():
        data = {k: v for k, v in data.items() if k != "google_key"}
    return record_update(source, actor=actor, data=data, m2m=m2m, expected_version=expected_version)
