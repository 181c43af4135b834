"""Every write of service: tickets, their responses, assignment and SLA clocks
(REQ SV-1 … SV-5, SV-7, SV-9; decision 0061).

Tickets are created and changed through ``ticket_create`` / ``ticket_update``, which the pages,
the API, bulk updates, imports and automation all call. The status is the ticket's status
field, so field rules "required at these statuses" are enforced at the move (SV-4) and
automation's status triggers fire on it; the services then keep the SLA clocks in step: a
status marked "waiting for the customer" pauses them, leaving it resumes them and starts a
next-response clock (the customer answered), a status marked "resolved" meets the resolution
clock. A new type, priority or customer may bring another policy, whose targets the running
clocks take over.
"""

from __future__ import annotations

import datetime
from email.utils import formataddr, make_msgid

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.services import calendar_of
from kesher.platform import events
from kesher.platform.models import Choice
from kesher.platform.records.audit import register_fact
from kesher.platform.records.inserts import reserve_id
from kesher.platform.records.services import (
    clean_text,
    record_create,
    record_update,
    write_audit,
)
from kesher.service import sla
from kesher.service.models import (
    Article,
    ArticleVote,
    CannedReply,
    Mailbox,
    Skill,
    SlaClock,
    SlaPolicy,
    Team,
    Ticket,
    TicketEmail,
    TicketText,
)

__all__ = [
    "article_create",
    "article_update",
    "article_vote",
    "article_votes",
    "canned_reply_create",
    "canned_reply_text",
    "canned_reply_update",
    "customer_language",
    "default_choice",
    "derived_priority",
    "policy_for",
    "team_next_handler",
    "ticket_create",
    "ticket_merge",
    "ticket_record_response",
    "ticket_reply",
    "ticket_solved_by",
    "ticket_split",
    "ticket_update",
]

Kind = SlaClock.Kind


def _now() -> datetime.datetime:
    """The moment the clocks count from (tests set it: clocks across a holiday)."""
    return timezone.now()


def _flag(status: Choice | None, name: str) -> bool:
    return bool(status is not None and (status.extra or {}).get(name))


def default_choice(list_key: str) -> Choice | None:
    """The list's value marked default in its settings, else its first active one."""
    values = list(Choice.objects.filter(list_key=list_key, active=True).order_by("order", "pk"))
    return next((c for c in values if (c.extra or {}).get("default")), None) or next(
        iter(values), None
    )


def derived_priority(ticket_type: Choice | None) -> Choice | None:
    """The priority an administrator set as the type's default (REQ SV-3), if any."""
    value = (ticket_type.extra or {}).get("default_priority") if ticket_type else None
    if not value:
        return None
    return Choice.objects.filter(list_key="ticket_priority", value=value, active=True).first()


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The first active policy in order whose type, priority and customers all match the
    ticket (an empty condition matches anything; REQ SV-9)."""
    policies = (
        SlaPolicy.objects.filter(active=True)
        .filter(Q(ticket_type__isnull=True) | Q(ticket_type_id=ticket.ticket_type_id))
        .filter(Q(priority__isnull=True) | Q(priority_id=ticket.priority_id))
        .annotate(customers=Count("accounts"))
        .filter(Q(customers=0) | Q(accounts__id=ticket.account_id))
        .order_by("order", "pk")
    )
    return policies.first()


def team_next_handler(team: Team, ticket_type: Choice | None = None) -> object | None:
    """The member a new ticket of ``team`` goes to: after the last assigned one (round
    robin), the one with the fewest open tickets (least loaded), or the one with the fewest
    among those having the skill for the ticket's type (skills); None when assigned by hand,
    the team has no active member, or none has the skill (the ticket waits in the queue)."""
    members = team.members.filter(is_active=True).order_by("pk")
    if team.assignment == Team.Assignment.SKILLS:
        skilled = Skill.objects.filter(
            active=True, ticket_type_id=getattr(ticket_type, "pk", ticket_type)
        )
        members = members.filter(service_skills__in=skilled).distinct()
    members = list(members)
    if not members or team.assignment == Team.Assignment.MANUAL:
        return None
    if team.assignment == Team.Assignment.ROUND_ROBIN:
        after = [m for m in members if team.last_assigned_id and m.pk > team.last_assigned_id]
        return (after or members)[0]
    load = dict(
        Ticket.objects.filter(handler__in=members, resolved_at__isnull=True)
        .values_list("handler")
        .annotate(open=Count("pk"))
        .values_list("handler", "open")
    )
    return min(members, key=lambda member: (load.get(member.pk, 0), member.pk))


def _assign_from_team(team: Team | None, ticket_type: Choice | None = None) -> object | None:
    if team is None:
        return None
    # Lock the team: two tickets created at once must not both go to the same "next" member.
    locked = Team.objects.select_for_update().get(pk=team.pk)
    handler = team_next_handler(locked, ticket_type)
    if handler is not None:
        Team.objects.filter(pk=locked.pk).update(last_assigned=handler)
    return handler


def _with_defaults(data: dict) -> dict:
    data = dict(data)
    if not data.get("status"):
        data["status"] = default_choice("ticket_status")
    if not data.get("priority"):
        data["priority"] = derived_priority(data.get("ticket_type")) or default_choice(
            "ticket_priority"
        )
    return data


@transaction.atomic
def ticket_create(
    *, actor, data: dict, m2m: dict | None = None, opened_at: datetime.datetime | None = None
) -> Ticket:
    """Open a ticket: its status the list's default, its priority the type's when none is
    given (SV-3), its handler from its team's queue when none is given, its number, and its
    clocks started by the policy that matches it (SV-9) — from ``opened_at`` when the request
    came in earlier than it is recorded."""
    data = _with_defaults(data)
    if data.get("team") and not data.get("handler"):
        data["handler"] = _assign_from_team(data["team"], data.get("ticket_type"))
    now = min(opened_at or _now(), _now())
    clocks: list[SlaClock] = []

    def numbered_with_clocks(ticket: Ticket, _old: dict) -> None:
        # The number, the policy and the first due moment go into the ticket's own INSERT (and
        # the number into its search words), not into UPDATEs after it.
        ticket.pk = reserve_id(Ticket)
        ticket.number = f"T-{ticket.pk:06d}"
        if opened_at is not None:
            ticket.created_at = now  # opened when the request came in: its age counts from then
        clocks.extend(_planned_clocks(ticket, now))

    ticket = record_create("tickets", actor=actor, data=data, m2m=m2m, derive=numbered_with_clocks)
    SlaClock.objects.bulk_create(clocks)
    if clocks and _flag(ticket.status, "resolved"):
        _follow_status(ticket, None, ticket.status, now)
    return ticket


@transaction.atomic
def ticket_update(ticket: Ticket, *, actor, data: dict, m2m=None, expected_version=None) -> Ticket:
    """Change a ticket; the SLA clocks follow its status, type, priority and customer."""
    # Lock the row first: the values it had decide what the clocks do, and must not change
    # between this read and the write.
    before = (
        Ticket._base_manager.select_for_update(of=("self",))
        .select_related("status")
        .get(pk=ticket.pk)
    )
    if "priority" in data and not data["priority"]:
        ticket_type = data.get("ticket_type", before.ticket_type)
        data = {**data, "priority": derived_priority(ticket_type) or before.priority}
    if data.get("team") and not data.get("handler", before.handler_id):
        ticket_type = data.get("ticket_type", before.ticket_type)
        data = {**data, "handler": _assign_from_team(data["team"], ticket_type)}
    updated = record_update(
        ticket, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )
    now = _now()
    if updated.status_id != before.status_id:
        _follow_status(updated, before.status, updated.status, now)
    if (updated.ticket_type_id, updated.priority_id, updated.account_id) != (
        before.ticket_type_id,
        before.priority_id,
        before.account_id,
    ):
        _apply_policy(updated, now)
    return updated


@transaction.atomic
def ticket_record_response(ticket: Ticket, *, actor, at: datetime.datetime | None = None) -> Ticket:
    """An answer went to the customer (an outgoing call, e-mail or message on the ticket, or
    the agent's "responded" button): the first-response clock, and the next-response clock
    waiting for it, are met (REQ SV-9)."""
    at = at or _now()
    locked = Ticket._base_manager.select_for_update().get(pk=ticket.pk)
    week = calendar_of()
    pending = list(
        locked.sla_clocks.filter(
            kind__in=(Kind.FIRST_RESPONSE, Kind.NEXT_RESPONSE), met_at__isnull=True
        )
    )
    for clock in pending:
        sla.clock_meet(clock, now=at, week=week)
        clock.save(update_fields=["met_at", "running_since", "spent_seconds"])
    if locked.first_responded_at is None:
        locked.first_responded_at = at
        Ticket._base_manager.filter(pk=locked.pk).update(first_responded_at=at)
        write_audit(
            locked, actor=actor, action="update", changes={"first_responded_at": [None, at]}
        )
    _refresh_due(locked)
    return locked


# --- the clocks ----------------------------------------------------------------------------------


def _planned_clocks(ticket: Ticket, now: datetime.datetime) -> list[SlaClock]:
    """The clocks (not saved) of the policy that matches ``ticket``, from ``now``; the
    ticket's ``sla_policy`` and ``sla_due_at`` set to follow them (not saved either)."""
    policy = policy_for(ticket)
    ticket.sla_policy = policy
    if policy is None:
        return []
    week = calendar_of()
    running = not _flag(ticket.status, "waiting")
    clocks = [
        sla.clock_start(
            ticket,
            kind,
            hours=hours,
            warn_percent=policy.warn_percent,
            now=now,
            week=week,
            running=running,
        )
        for kind, hours in (
            (Kind.FIRST_RESPONSE, policy.first_response_hours),
            (Kind.RESOLUTION, policy.resolution_hours),
        )
    ]
    ticket.sla_due_at = min(
        (c.due_at for c in clocks if c.running_since is not None and c.met_at is None),
        default=None,
    )
    return clocks


def _start_clocks(ticket: Ticket, now: datetime.datetime) -> None:
    """Start the clocks of a ticket that had no policy (its type, priority or customer
    changed to ones a policy covers)."""
    clocks = _planned_clocks(ticket, now)
    Ticket._base_manager.filter(pk=ticket.pk).update(
        sla_policy=ticket.sla_policy, sla_due_at=ticket.sla_due_at
    )
    SlaClock.objects.bulk_create(clocks)
    if clocks and _flag(ticket.status, "resolved"):
        _follow_status(ticket, None, ticket.status, now)


def _follow_status(ticket: Ticket, old: Choice | None, new: Choice | None, now) -> None:
    week = calendar_of()
    clocks = list(ticket.sla_clocks.all())
    was_waiting, waiting = _flag(old, "waiting"), _flag(new, "waiting")
    was_resolved, resolved = _flag(old, "resolved"), _flag(new, "resolved")
    for clock in clocks:
        if resolved:
            # Resolving answers the customer too: a response still due is met with it.
            sla.clock_meet(clock, now=now, week=week)
        elif was_resolved and clock.kind == Kind.RESOLUTION:
            sla.clock_reopen(clock, now=now, week=week)
        elif waiting:
            sla.clock_pause(clock, now=now, week=week)
        elif was_waiting:
            sla.clock_resume(clock, now=now, week=week)
    policy = ticket.sla_policy
    answered = was_waiting and not waiting and not resolved
    if answered and policy is not None and policy.next_response_hours:
        # The customer answered what we waited for: our next answer is due (REQ SV-9).
        clocks.append(
            sla.clock_start(
                ticket,
                Kind.NEXT_RESPONSE,
                hours=policy.next_response_hours,
                warn_percent=policy.warn_percent,
                now=now,
                week=week,
            )
        )
    for clock in clocks:
        clock.save()
    resolved_at = now if resolved else None
    if resolved != was_resolved:
        Ticket._base_manager.filter(pk=ticket.pk).update(resolved_at=resolved_at)
        ticket.resolved_at = resolved_at
    _refresh_due(ticket)


def _apply_policy(ticket: Ticket, now) -> None:
    policy = policy_for(ticket)
    if policy is None or policy.pk == ticket.sla_policy_id:
        return
    if ticket.sla_policy_id is None and not ticket.sla_clocks.exists():
        _start_clocks(ticket, now)
        return
    week = calendar_of()
    targets = {
        Kind.FIRST_RESPONSE: policy.first_response_hours,
        Kind.NEXT_RESPONSE: policy.next_response_hours,
        Kind.RESOLUTION: policy.resolution_hours,
    }
    for clock in ticket.sla_clocks.filter(met_at__isnull=True):
        if targets[clock.kind]:
            sla.clock_retarget(
                clock, hours=targets[clock.kind], warn_percent=policy.warn_percent, week=week
            )
            clock.save(update_fields=["target_seconds", "warn_percent", "due_at", "warn_at"])
    Ticket._base_manager.filter(pk=ticket.pk).update(sla_policy=policy)
    ticket.sla_policy = policy
    _refresh_due(ticket)


def _refresh_due(ticket: Ticket) -> None:
    """The ticket's ``sla_due_at``: the earliest due moment of its running clocks, what its
    lists sort by (none while every clock is paused or met)."""
    due = SlaClock.objects.filter(
        ticket_id=ticket.pk, running_since__isnull=False, met_at__isnull=True
    ).aggregate(due=Min("due_at"))["due"]
    Ticket._base_manager.filter(pk=ticket.pk).update(sla_due_at=due)
    ticket.sla_due_at = due


# --- interactions on a ticket are its responses -------------------------------------------------


def _interaction_answered(event: events.Event) -> None:
    """An outgoing call, e-mail or message logged on a ticket answers the customer."""
    if event.entity != "interactions":
        return
    if (event.changes.get("direction") or [None, None])[1] == "in":
        return  # the event says so: no read for an inbound one (every e-mail received)
    from kesher.activities.models import Interaction

    interaction = (
        Interaction.objects.filter(pk=event.object_id, link_type="tickets")
        .only("link_id", "direction", "occurred_at")
        .first()
    )
    if interaction is None or interaction.direction != Interaction.Direction.OUTBOUND:
        return
    ticket = Ticket.objects.filter(pk=interaction.link_id).first()
    if ticket is not None:
        from kesher.org.models import User

        actor = User.objects.filter(pk=event.actor_id).first()
        ticket_record_response(ticket, actor=actor, at=min(interaction.occurred_at, _now()))


events.subscribe(events.CREATED, _interaction_answered)


# --- replies by e-mail (REQ IN-1; decision 0072) -------------------------------------------------

REPLY_LIMIT = 20_000


def _reply_subject(ticket: Ticket) -> str:
    subject = ticket.subject
    if not subject.lower().startswith(("re:", "השב:")):
        subject = f"Re: {subject}"
    if ticket.number not in subject:
        subject = f"{subject} [{ticket.number}]"
    return subject[:300]


def _mailbox_for(ticket: Ticket) -> Mailbox | None:
    last = (
        TicketEmail.objects.filter(ticket=ticket, mailbox__isnull=False)
        .select_related("mailbox")
        .order_by("-created_at", "-pk")
        .first()
    )
    if last is not None and last.mailbox.active:
        return last.mailbox
    boxes = Mailbox.objects.filter(active=True).order_by("pk")
    return boxes.filter(team_id=ticket.team_id).first() or boxes.first()


def reply_address(ticket: Ticket) -> str:
    """Where a reply goes: the ticket's contact, else whoever last wrote in."""
    if ticket.contact_id and ticket.contact.email:
        return ticket.contact.email
    last = (
        TicketEmail.objects.filter(ticket=ticket, direction=TicketEmail.Direction.INBOUND)
        .order_by("-created_at", "-pk")
        .values_list("sender", flat=True)
        .first()
    )
    return last or ""


CUSTOMER_LANGUAGES = ("he", "en")


def customer_language(ticket: Ticket) -> str:
    """The language the ticket's customer reads — what every e-mail to him is written in, not
    the agent's: his contact's ``language``, else his portal language when he has a portal
    user, else a "language" custom field of the contact's or the account's (data written
    before the field; as quotes print), else Hebrew."""
    contact = ticket.contact if ticket.contact_id else None
    if contact is not None and contact.language in CUSTOMER_LANGUAGES:
        return contact.language
    portal_user = getattr(contact, "portal_user", None) if contact is not None else None
    if portal_user is not None and portal_user.language in CUSTOMER_LANGUAGES:
        return portal_user.language
    for party in (contact, ticket.account if ticket.account_id else None):
        value = (getattr(party, "custom", None) or {}).get("language") if party else None
        if value in CUSTOMER_LANGUAGES:
            return value
    return "he"


def _thread_headers(ticket: Ticket, mailbox: Mailbox | None) -> dict:
    """The headers that put an e-mail to the customer in his conversation about the ticket: a
    new Message-ID, from (and replies to) the support mailbox, in reply to his last message
    (else the thread's last), the thread's Message-IDs as References."""
    thread = list(
        TicketEmail.objects.filter(ticket=ticket)
        .order_by("-created_at", "-pk")
        .values_list("message_id", "direction")[:20]
    )
    domain = mailbox.address.rsplit("@", 1)[-1] if mailbox else "kesher.invalid"
    headers = {"Message-ID": make_msgid(idstring=ticket.number, domain=domain)}
    if mailbox is not None:
        headers["From"] = formataddr((mailbox.name, mailbox.address))
        headers["Reply-To"] = mailbox.address
    if thread:
        his = [m for m, direction in thread if direction == TicketEmail.Direction.INBOUND]
        headers["In-Reply-To"] = his[0] if his else thread[0][0]
        headers["References"] = " ".join(reversed([m for m, _direction in thread]))
    return headers


def _customer_thread(ticket: Ticket, recipients: list[str]):
    """How a template e-mail about ``ticket`` (an acknowledgement, the closing e-mail) goes to
    its customer: in his language, in his conversation, its Message-ID kept so his answer
    threads; None when it goes to someone else (an agent gets no customer's thread)."""
    from kesher.integrations.services import CustomerThread

    to = reply_address(ticket).lower()
    if not to or to not in {r.lower() for r in recipients}:
        return None
    mailbox = _mailbox_for(ticket)
    headers = _thread_headers(ticket, mailbox)

    def queued(message) -> None:
        TicketEmail.objects.create(
            message_id=headers["Message-ID"],
            direction=TicketEmail.Direction.OUTBOUND,
            outcome=TicketEmail.Outcome.SENT,
            ticket=ticket,
            mailbox=mailbox,
            sender=mailbox.address if mailbox else "",
            subject=message.subject[:300],
            outgoing=message,
        )

    return CustomerThread(language=customer_language(ticket), headers=headers, queued=queued)


def _register_customer_thread() -> None:
    from kesher.integrations.services import register_customer_thread

    register_customer_thread(Ticket, _customer_thread)


_register_customer_thread()


@transaction.atomic
def ticket_reply(
    ticket: Ticket, *, actor, body: str, idempotency_key: str, language: str | None = None
) -> TicketEmail:
    """Answer the customer by e-mail from the ticket: queued through the integrations' message
    log from the ticket's support mailbox, in the customer's language unless ``language`` is
    chosen (``customer_language``), threaded under his last message (Message-ID, In-Reply-To,
    References, the number in the subject), logged as an outbound e-mail interaction — which
    meets the response clocks (REQ SV-9) — at most once for one ``idempotency_key`` (a form
    sent twice), and suppressed in the practice environment."""
    from kesher.activities.services import interaction_create
    from kesher.integrations.services import send_email_message

    key = f"ticket-reply:{ticket.pk}:{clean_text(idempotency_key or '')[:100]}"
    if not (idempotency_key or "").strip():
        raise ValidationError({"idempotency_key": [_("This field is required.")]})
    done = TicketEmail.objects.filter(outgoing__idempotency_key=key).first()
    if done is not None:
        return done
    body = clean_text(body if isinstance(body, str) else "").strip()
    errors = {}
    if not body:
        errors["body"] = [_("Write the reply.")]
    elif len(body) > REPLY_LIMIT:
        errors["body"] = [_("At most %(n)s characters.") % {"n": REPLY_LIMIT}]
    to = reply_address(ticket)
    if not to:
        errors["to"] = [_("The ticket has no contact with an e-mail address to reply to.")]
    if errors:
        raise ValidationError(errors)
    mailbox = _mailbox_for(ticket)
    headers = _thread_headers(ticket, mailbox)
    message_id = headers["Message-ID"]
    subject = _reply_subject(ticket)
    outgoing = send_email_message(
        to=[to],
        subject=subject,
        body_html=linebreaks(escape(body)),
        language=language if language in CUSTOMER_LANGUAGES else customer_language(ticket),
        record=ticket,
        headers=headers,
        source=f"tickets/{ticket.pk}/reply",
        idempotency_key=key,
    )
    kind = Choice.objects.get(list_key="interaction_kind", value="email")
    interaction = interaction_create(
        actor=actor,
        data={
            "kind": kind,
            "direction": "out",
            "subject": subject[:200],
            "body": body,
            "link_type": "tickets",
            "link_id": ticket.pk,
        },
        m2m={"participant_contacts": [ticket.contact]} if ticket.contact_id else None,
    )
    return TicketEmail.objects.create(
        message_id=message_id,
        direction=TicketEmail.Direction.OUTBOUND,
        outcome=TicketEmail.Outcome.SENT,
        ticket=ticket,
        mailbox=mailbox,
        sender=mailbox.address if mailbox else "",
        subject=subject,
        interaction=interaction,
        outgoing=outgoing,
    )


# --- canned replies (issue 18 item 3) ------------------------------------------------------------


def _check_canned(data: dict) -> dict:
    from kesher.integrations import merge

    data = dict(data)
    for name in ("body_he", "body_en"):
        if isinstance(data.get(name), str):
            data[name] = clean_text(data[name])
    merge.require_valid(
        {k: data[k] for k in ("body_he", "body_en") if isinstance(data.get(k), str)}, "tickets"
    )
    return data


@transaction.atomic
def canned_reply_create(*, actor, data: dict, m2m: dict | None = None) -> CannedReply:
    """A canned reply; its merge fields must be the ticket's."""
    return record_create("canned-replies", actor=actor, data=_check_canned(data), m2m=m2m)


@transaction.atomic
def canned_reply_update(
    reply: CannedReply, *, actor, data: dict, m2m=None, expected_version=None
) -> CannedReply:
    return record_update(
        reply, actor=actor, data=_check_canned(data), m2m=m2m, expected_version=expected_version
    )


def canned_reply_text(reply: CannedReply, ticket: Ticket, *, language: str, reader) -> str:
    """The reply's text for ``ticket`` in ``language`` (Hebrew when it has no English), its
    merge fields filled with what ``reader`` may see."""
    from kesher.integrations.merge import render_text

    body = reply.body_en if language == "en" and reply.body_en else reply.body_he
    return render_text(body, ticket, html=False, readers=[reader] if reader else [])


# --- merge and split (issue 18 item 3) ------------------------------------------------------------

MERGED = register_fact("merged_ticket", gettext_lazy("merged ticket"))
SPLIT = register_fact("split_ticket", gettext_lazy("split into"))


def _linked_models():
    from kesher.activities.models import Interaction, ManualAlert, Task
    from kesher.integrations.models import OutgoingMessage

    return (Interaction, Task, ManualAlert, OutgoingMessage)


def _closing_status() -> Choice | None:
    values = list(
        Choice.objects.filter(list_key="ticket_status", active=True).order_by("order", "pk")
    )
    resolved = [c for c in values if (c.extra or {}).get("resolved")]
    return resolved[-1] if resolved else None


@transaction.atomic
def ticket_merge(duplicate: Ticket, *, into: Ticket, actor) -> Ticket:
    """Merge ``duplicate`` into ``into``: its interactions, tasks, alerts, messages, e-mails
    and files move to the surviving ticket, and it is closed as merged (``merged_into``), its
    own history kept; mail that answers it later threads into the survivor."""
    from kesher.platform.models import Attachment

    if duplicate.pk == into.pk:
        raise ValidationError({"into": [_("A ticket cannot be merged into itself.")]})
    locked = {
        t.pk: t
        for t in Ticket._base_manager.select_for_update().filter(pk__in=[duplicate.pk, into.pk])
    }
    if locked[duplicate.pk].merged_into_id or locked[into.pk].merged_into_id:
        raise ValidationError({"into": [_("This ticket was already merged into another.")]})
    for model in _linked_models():
        model.objects.filter(link_type="tickets", link_id=duplicate.pk).update(link_id=into.pk)
    Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=duplicate.pk
    ).update(object_id=into.pk)
    TicketEmail.objects.filter(ticket_id=duplicate.pk).update(ticket_id=into.pk)
    TicketText.objects.filter(ticket_id=duplicate.pk).update(ticket_id=into.pk)
    data: dict = {
        "resolution": duplicate.resolution or _("Merged into %(number)s.") % {"number": into.number}
    }
    closing = _closing_status()
    if closing is not None and not duplicate.resolved_at:
        data["status"] = closing
    closed = ticket_update(duplicate, actor=actor, data=data)
    Ticket._base_manager.filter(pk=duplicate.pk).update(merged_into=into)
    closed.merged_into = into
    write_audit(closed, actor=actor, action="update", changes={"merged_into": [None, into]})
    write_audit(into, actor=actor, action="update", changes={MERGED: [None, duplicate]})
    return into


@transaction.atomic
def ticket_split(ticket: Ticket, *, actor, subject: str, interactions: list[int]) -> Ticket:
    """A new ticket for part of ``ticket``'s conversation: the same customer and
    classification, the chosen interactions moved to it, both histories saying so."""
    from kesher.activities.models import Interaction

    subject = clean_text(subject if isinstance(subject, str) else "").strip()
    chosen = list(
        Interaction.objects.filter(
            link_type="tickets", link_id=ticket.pk, pk__in=[i for i in interactions if i]
        ).values_list("pk", flat=True)
    )
    errors = {}
    if not subject:
        errors["subject"] = [_("This field is required.")]
    if not chosen:
        errors["interactions"] = [_("Choose the interactions that go to the new ticket.")]
    if errors:
        raise ValidationError(errors)
    fields = ("account", "contact", "channel", "ticket_type", "subtype", "subtype2", "team")
    data = {name: getattr(ticket, name) for name in fields if getattr(ticket, f"{name}_id")}
    data["priority"] = ticket.priority
    data["handler"] = ticket.handler
    data["subject"] = subject[:200]
    data["description"] = _("Split from %(number)s.") % {"number": ticket.number}
    new = ticket_create(actor=actor, data={k: v for k, v in data.items() if v})
    Interaction.objects.filter(pk__in=chosen).update(link_id=new.pk)
    TicketEmail.objects.filter(ticket=ticket, interaction_id__in=chosen).update(ticket=new)
    write_audit(ticket, actor=actor, action="update", changes={SPLIT: [None, new]})
    return new


# --- the knowledge base (REQ SV-8; issue 18 item 5) -----------------------------------------------

ARTICLE_BODY_LIMIT = 100_000


def _check_article(data: dict) -> dict:
    """Article bodies are rich text: sanitized (nh3) as they are saved, so a script or an
    event handler never reaches a reader."""
    from kesher.integrations.compose import sanitize

    data = dict(data)
    for name in ("body_he", "body_en"):
        if isinstance(data.get(name), str):
            if len(data[name]) > ARTICLE_BODY_LIMIT:
                raise ValidationError(
                    {name: [_("At most %(n)s characters.") % {"n": ARTICLE_BODY_LIMIT}]}
                )
            data[name] = sanitize(clean_text(data[name]))
    return data


@transaction.atomic
def article_create(*, actor, data: dict, m2m: dict | None = None) -> Article:
    return record_create("kb-articles", actor=actor, data=_check_article(data), m2m=m2m)


@transaction.atomic
def article_update(
    article: Article, *, actor, data: dict, m2m=None, expected_version=None
) -> Article:
    return record_update(
        article,
        actor=actor,
        data=_check_article(data),
        m2m=m2m,
        expected_version=expected_version,
    )


@transaction.atomic
def article_vote(article: Article, *, helpful, user=None, portal_user=None) -> dict:
    """Record a reader's "did this help?" — a staff user's or a portal customer's, one vote
    per reader and article (voting again changes it) — and return the article's counts, which
    the article keeps as its ``helpful_count`` / ``not_helpful_count`` columns (the list shows
    and sorts them, decision 0124). Only a published article is voted on; ``helpful`` must be
    a yes or a no."""
    if not isinstance(helpful, bool):
        raise ValidationError({"helpful": [_("Answer yes or no.")]})
    if article.status != Article.Status.PUBLISHED:
        raise ValidationError({"article": [_("Only a published article can be rated.")]})
    # The article's row, locked: votes on one article are counted one after the other, so
    # two readers answering at once both count.
    Article._base_manager.select_for_update().filter(pk=article.pk).values_list("pk").first()
    reader = {"user": user} if user is not None else {"portal_user": portal_user}
    try:
        with transaction.atomic():
            ArticleVote.objects.update_or_create(
                article=article, **reader, defaults={"helpful": helpful, "voted_at": _now()}
            )
    except IntegrityError:
        # The same reader's other click got there first: his latest answer stands.
        ArticleVote.objects.filter(article=article, **reader).update(
            helpful=helpful, voted_at=_now()
        )
    counts = article_votes(article)
    Article._base_manager.filter(pk=article.pk).update(
        helpful_count=counts["helpful"], not_helpful_count=counts["not_helpful"]
    )
    article.helpful_count, article.not_helpful_count = counts["helpful"], counts["not_helpful"]
    return counts


def article_votes(article: Article) -> dict:
    """How many readers said the article helped and how many said it did not."""
    counts = ArticleVote.objects.filter(article=article).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return {"helpful": counts["yes"], "not_helpful": counts["no"]}


@transaction.atomic
def ticket_solved_by(ticket: Ticket, *, actor, article: Article | None) -> Ticket:
    """Record that ``article`` solved the ticket ("this article solved it"), or clear it;
    which articles solve most tickets is then a count."""
    if article is not None and article.status != Article.Status.PUBLISHED:
        raise ValidationError({"article": [_("Only a published article can solve a ticket.")]})
    before = Ticket._base_manager.select_for_update().get(pk=ticket.pk)
    if before.solution_article_id == getattr(article, "pk", None):
        return before
    Ticket._base_manager.filter(pk=ticket.pk).update(solution_article=article)
    write_audit(
        before,
        actor=actor,
        action="update",
        changes={"solution_article": [before.solution_article, article]},
    )
    before.solution_article = article
    return before
