"""Retention rules (REQ OR-8, issue 25 item 3): a dry run counts and names what a rule would
reach and writes nothing; the worker's run deletes or anonymizes exactly those records, in
batches that resume, at most once a day, and logs it; what the law keeps is never deleted."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.platform.models import AuditEntry, SearchToken
from kesher.platform.records.services import record_create, record_update
from kesher.platform.registry import registry
from kesher.privacy import retention
from kesher.privacy.models import RetentionRule, RetentionRun
from kesher.sales.models import Lead
from kesher.sales.tests.factories import make_lead

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - datetime.timedelta(days=3 * 365)


def aged(lead, when=LONG_AGO):
    Lead.objects.filter(pk=lead.pk).update(created_at=when)
    return lead


@pytest.fixture
def leads(users):
    """Three leads past two years and never converted; a recent one; an old converted one."""
    rep = users["sales_rep"]
    old = [aged(make_lead(rep, first_name="Dana", last_name=f"Old {n}")) for n in range(3)]
    make_lead(rep, last_name="Recent")
    converted = aged(make_lead(rep, last_name="Converted"))
    Lead.objects.filter(pk=converted.pk).update(converted_at=LONG_AGO)
    return old


def rule(actor, **data):
    values = {
        "name": "Unconverted leads",
        "entity": "leads",
        "condition": {"field": "converted_at", "op": "empty"},
        "age_field": "created_at",
        "age_months": 24,
        "action": "delete",
        "active": True,
    }
    return record_create("retention-rules", actor=actor, data={**values, **data})


def test_the_examples_wait_inactive_and_valid(db):
    examples = RetentionRule.objects.all()
    assert {r.entity for r in examples} == {"leads", "tickets"}
    assert not any(r.active for r in examples)
    for example in examples:
        retention.check_rule(example)


def test_a_rule_that_cannot_run_is_refused_with_nothing_written(officer):
    with pytest.raises(ValidationError) as error:
        rule(officer, age_field="last_name")
    assert "age_field" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        rule(officer, condition={"field": "no_such_field", "op": "empty"})
    assert "condition" in error.value.message_dict
    assert not RetentionRule.objects.filter(name="Unconverted leads").exists()


def test_a_dry_run_counts_names_what_the_user_may_see_and_writes_nothing(users, officer, leads):
    rules = rule(officer)
    audit, tokens = AuditEntry.objects.count(), SearchToken.objects.count()
    report = retention.dry_run(rules, users["admin"])
    assert report["total"] == 3
    assert [str(r) for r in report["records"]] == [str(lead) for lead in leads]
    # The officer reads leads (to name one in a request); a user who sees none of them
    # (another rep's) learns how many, not who.
    assert len(retention.dry_run(rules, officer)["records"]) == 3
    other = users["sales_rep2"]
    assert not Lead.objects.visible_to(other).filter(pk__in=[x.pk for x in leads]).exists()
    assert retention.dry_run(rules, other)["records"] == []
    assert Lead.objects.count() == 5
    assert (AuditEntry.objects.count(), SearchToken.objects.count()) == (audit, tokens)
    assert not RetentionRun.objects.exists()


def test_a_run_deletes_exactly_the_matching_records_and_logs_them(officer, leads):
    retention.run_due_rules()  # no active rule yet: nothing
    assert Lead.objects.count() == 5
    rules = rule(officer)
    retention.run_due_rules()
    assert sorted(Lead.objects.values_list("last_name", flat=True)) == ["Converted", "Recent"]
    assert not SearchToken.objects.filter(entity="leads", object_id__in=[x.pk for x in leads])
    run = RetentionRun.objects.get(rule=rules)
    assert (run.deleted, run.anonymized, run.kept, run.day) == (3, 0, 0, timezone.localdate())
    assert run.finished_at is not None
    # The trail says they were, not what they held.
    created = AuditEntry.objects.filter(object_id=leads[0].pk, content_type__model="lead")
    assert created
    assert not any("Dana" in str(e.changes) + e.object_repr for e in created)


def test_a_second_run_the_same_day_does_nothing(officer, leads):
    rules = rule(officer)
    assert retention.rule_run(rules).deleted == 3
    aged(make_lead(officer, last_name="Old again"))
    assert retention.rule_run(rules) is None
    retention.run_due_rules()
    assert Lead.objects.filter(last_name="Old again").exists()
    assert RetentionRun.objects.filter(rule=rules).count() == 1


def test_batches_resume_where_the_last_one_stopped(officer, leads, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    rules = rule(officer)
    first = retention.rule_run(rules)
    assert (first.deleted, first.finished_at) == (2, None)
    second = retention.rule_run(rules)
    assert second.pk == first.pk
    assert (second.deleted, second.finished_at is not None) == (3, True)
    assert Lead.objects.count() == 2


def test_anonymizing_keeps_the_record_without_its_personal_values(officer, leads):
    lead = leads[0]
    record_update(lead, actor=officer, data={"email": "dana@example.co.il"})
    run = retention.rule_run(rule(officer, action="anonymize"))
    assert (run.deleted, run.anonymized) == (0, 3)
    lead.refresh_from_db()
    assert (lead.first_name, lead.email) == ("", "")
    history = AuditEntry.objects.filter(object_id=lead.pk, content_type__model="lead")
    assert not any("dana@example.co.il" in str(e.changes) for e in history)
    assert Lead.objects.count() == 5


def test_what_the_law_keeps_is_never_deleted(officer, leads, monkeypatch):
    entity = registry.get("leads")
    kept = leads[1]
    # Standing in for an issued tax document (the billing app marks its issued ones so).
    monkeypatch.setattr(entity, "retained_by_law", lambda lead: lead.pk == kept.pk)
    monkeypatch.setattr(entity, "retained_fields", ("last_name",))
    rules = rule(officer)
    assert retention.dry_run(rules, officer)["kept"] == 1
    run = retention.rule_run(rules)
    assert (run.deleted, run.kept) == (2, 1)
    kept.refresh_from_db()
    assert (kept.last_name, kept.first_name) == ("Old 1", "")


def test_the_officer_reads_the_dry_run_and_the_runs_others_do_not(
    client_for, api_for, users, officer, leads
):
    rules = rule(officer)
    page = client_for(officer).get(f"/privacy/retention-rules/{rules.pk}/dry-run/")
    assert page.status_code == 200
    assert 'id="dry-run-total"' in page.content.decode()
    assert client_for(users["sales_rep"]).get(
        f"/privacy/retention-rules/{rules.pk}/dry-run/"
    ).status_code in (403, 404)
    answer = api_for(users["admin"]).get(f"/api/v1/retention-rules/{rules.pk}/dry-run/")
    assert answer.json()["total"] == 3
    assert len(answer.json()["records"]) == 3
    retention.rule_run(rules)
    runs = api_for(officer).get(f"/api/v1/retention-rules/{rules.pk}/runs/").json()
    assert [r["deleted"] for r in runs] == [3]
    assert (
        api_for(users["sales_rep"]).get(f"/api/v1/retention-rules/{rules.pk}/runs/").status_code
        == 403
    )
    detail = client_for(officer).get(f"/r/retention-rules/{rules.pk}/").content.decode()
    assert 'id="retention-runs"' in detail
    assert 'id="retention-dry-run"' in detail


@pytest.mark.parametrize(
    ("today", "months", "day"),
    [
        (datetime.date(2026, 3, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 1, 15), 24, datetime.date(2024, 1, 15)),
        (datetime.date(2026, 5, 31), 84, datetime.date(2019, 5, 31)),
    ],
)
def test_a_period_in_months_ends_on_the_same_day_or_the_months_last(today, months, day):
    assert retention.cutoff(RetentionRule(age_months=months), today) == day


def test_a_rule_that_no_longer_checks_is_skipped_and_the_others_run(officer, leads):
    broken = rule(officer, name="Broken")
    RetentionRule.objects.filter(pk=broken.pk).update(age_field="no_such_field")
    rule(officer, name="Sound")
    retention.run_due_rules()
    assert Lead.objects.count() == 2
    assert not RetentionRun.objects.filter(rule=broken).exists()
