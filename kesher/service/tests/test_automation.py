"""An SLA warning and a breach fire automation rules, each once, found by the worker's tick by
index, however many workers tick at once (REQ SV-9; decision 0061)."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from kesher.automation.engine import invalidate_rules
from kesher.automation.models import Rule, RuleRun
from kesher.automation.schedule import scan_scheduled
from kesher.automation.services import rule_create
from kesher.automation.worker import process_due
from kesher.service.models import SlaClock, Ticket
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db


def _rule(admin, kind, **extra):
    return rule_create(
        actor=admin,
        data={
            "name": f"SLA {kind}",
            "entity": "tickets",
            "trigger_kind": kind,
            "actions": [{"type": "update_fields", "values": {"priority": "urgent"}}],
            **extra,
        },
    )


def _past(ticket, field, minutes):
    now = timezone.now()
    SlaClock.objects.filter(ticket=ticket, kind="resolution").update(
        **{field: now - datetime.timedelta(minutes=minutes)}
    )


def _rewind(rule, minutes=10):
    Rule.objects.filter(pk=rule.pk).update(
        scanned_until=timezone.now() - datetime.timedelta(minutes=minutes)
    )


@pytest.mark.parametrize(
    ("kind", "field"), [("sla_breached", "due_at"), ("sla_warning", "warn_at")]
)
def test_a_breach_or_warning_fires_its_rule_once(users, kind, field):
    """Escalate: the rule raises the priority when the resolution clock passes its moment."""
    rule = _rule(users["admin"], kind)
    ticket = make_ticket(users["support_agent"], priority=choice("ticket_priority", "low"))
    quiet = make_ticket(users["support_agent"], priority=choice("ticket_priority", "low"))
    _past(ticket, field, 5)
    _rewind(rule)
    assert scan_scheduled() == 1
    _rewind(rule)
    scan_scheduled()  # the same window again: its dedupe key keeps it single
    assert RuleRun.objects.filter(rule=rule, record_id=ticket.pk).count() == 1
    assert not RuleRun.objects.filter(record_id=quiet.pk).exists()
    assert process_due() == 1
    ticket.refresh_from_db()
    assert ticket.priority.value == "urgent"


def test_a_paused_or_met_clock_never_fires(users):
    rule = _rule(users["admin"], "sla_breached")
    agent = users["support_agent"]
    waiting = make_ticket(agent, status=choice("ticket_status", "waiting_customer"))
    resolved = make_ticket(agent)
    SlaClock.objects.filter(ticket=resolved).update(met_at=timezone.now())
    for ticket in (waiting, resolved):
        _past(ticket, "due_at", 5)
    _rewind(rule)
    assert scan_scheduled() == 0


def test_the_rule_s_condition_narrows_the_tickets(users):
    rule = _rule(
        users["admin"],
        "sla_breached",
        condition={"all": [{"field": "ticket_type", "op": "eq", "value": "technical_support"}]},
    )
    agent = users["support_agent"]
    support = make_ticket(agent, ticket_type=choice("ticket_type", "technical_support"))
    other = make_ticket(agent, ticket_type=choice("ticket_type", "training_info"))
    for ticket in (support, other):
        _past(ticket, "due_at", 5)
    _rewind(rule)
    assert scan_scheduled() == 1
    assert RuleRun.objects.get(rule=rule).record_id == support.pk


def test_sla_triggers_are_for_tickets_only(users):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        rule_create(
            actor=users["admin"],
            data={
                "name": "x",
                "entity": "accounts",
                "trigger_kind": "sla_breached",
                "actions": [{"type": "add_tag", "tag": "late"}],
            },
        )


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_once_fire_a_breach_once(users):
    """Two workers' ticks at the same moment (threads with their own connections)."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serializes writers; the dedupe key is covered by the test above")
    rule = _rule(users["admin"], "sla_breached")
    invalidate_rules()
    ticket = make_ticket(users["support_agent"])
    _past(ticket, "due_at", 5)
    _rewind(rule)
    moment = timezone.now()

    def tick():
        try:
            scan_scheduled(moment)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert RuleRun.objects.filter(rule=rule, record_id=ticket.pk).count() == 1
    assert Ticket.objects.count() == 1


def test_a_tick_reads_a_batch_and_the_next_goes_on(users, monkeypatch):
    """More clocks due than one batch: the tick covers up to the last moment it read, the next
    one fires the rest, nothing twice."""
    from kesher.service import sla

    monkeypatch.setattr(sla, "BATCH", 2)
    rule = _rule(users["admin"], "sla_breached")
    tickets = [make_ticket(users["support_agent"]) for _ in range(3)]
    for minutes, ticket in zip((9, 8, 7), tickets, strict=True):
        _past(ticket, "due_at", minutes)
    _rewind(rule)
    scan_scheduled()
    scan_scheduled()
    fired = RuleRun.objects.filter(rule=rule).values_list("record_id", flat=True)
    assert sorted(fired) == sorted(t.pk for t in tickets)
