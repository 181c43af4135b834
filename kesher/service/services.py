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

from django.db import transaction
from django.db.models import Count, Min, Q
from django.utils import timezone

from kesher.activities.services import calendar_of
from kesher.platform import events
from kesher.platform.models import Choice
from kesher.platform.records.search import index_record
from kesher.platform.records.services import record_create, record_update, write_audit
from kesher.service import sla
from kesher.service.models import SlaClock, SlaPolicy, Team, Ticket

__all__ = [
    "derived_priority",
    "policy_for",
    "team_next_handler",
    "ticket_create",
    "ticket_record_response",
    "ticket_update",
]

Kind = SlaClock.Kind


def _now() -> datetime.datetime:
    """The moment the clocks count from (tests set it: clocks across a holiday)."""
    return timezone.now()


def _flag(status: Choice | None, name: str) -> bool:
    return bool(status is not None and (status.extra or {}).get(name))


def _default_choice(list_key: str) -> Choice | None:
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


def team_next_handler(team: Team) -> object | None:
    """The member a new ticket of ``team`` goes to: after the last assigned one (round
    robin), or the one with the fewest open tickets (least loaded); None when assigned by
    hand or the team has no active member."""
    members = list(team.members.filter(is_active=True).order_by("pk"))
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


def _assign_from_team(team: Team | None) -> object | None:
    if team is None:
        return None
    # Lock the team: two tickets created at once must not both go to the same "next" member.
    locked = Team.objects.select_for_update().get(pk=team.pk)
    handler = team_next_handler(locked)
    if handler is not None:
        Team.objects.filter(pk=locked.pk).update(last_assigned=handler)
    return handler


def _with_defaults(data: dict) -> dict:
    data = dict(data)
    if not data.get("status"):
        data["status"] = _default_choice("ticket_status")
    if not data.get("priority"):
        data["priority"] = derived_priority(data.get("ticket_type")) or _default_choice(
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
        data["handler"] = _assign_from_team(data["team"])
    ticket = record_create("tickets", actor=actor, data=data, m2m=m2m)
    ticket.number = f"T-{ticket.pk:06d}"
    Ticket._base_manager.filter(pk=ticket.pk).update(number=ticket.number)
    index_record(ticket, new=False)
    _start_clocks(ticket, min(opened_at or _now(), _now()))
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
        data = {**data, "handler": _assign_from_team(data["team"])}
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


def _start_clocks(ticket: Ticket, now: datetime.datetime) -> None:
    policy = policy_for(ticket)
    Ticket._base_manager.filter(pk=ticket.pk).update(sla_policy=policy)
    ticket.sla_policy = policy
    if policy is None:
        return
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
    SlaClock.objects.bulk_create(clocks)
    if _flag(ticket.status, "resolved"):
        _follow_status(ticket, None, ticket.status, now)
    _refresh_due(ticket)


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
