"""The bulk path of an import batch (decision 0021): the same checks as the services — field
rules, custom fields with dependent lists, phone and ID validators — the same audit entries,
search tokens and events, and a number of queries per batch that does not grow with its rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kesher.customers.models import Contact
from kesher.imports import bulk, services
from kesher.imports.engine import plan_for
from kesher.imports.models import ImportRowChange
from kesher.imports.tests.helpers import check, run, upload
from kesher.platform import events
from kesher.platform.models import AuditEntry, Choice, CustomField, FieldRule, SearchToken
from kesher.platform.records import timeline

pytestmark = pytest.mark.django_db


def test_contacts_and_accounts_take_the_bulk_path(users):
    rep = users["sales_rep"]
    job = upload(rep, [["first name"], ["a"]])
    assert bulk.supports(plan_for(job, rep))
    accounts = upload(rep, [["name"], ["a"]], entity="accounts")
    assert bulk.supports(plan_for(accounts, rep))


def test_field_rules_and_validators_apply_in_bulk(users):
    admin = users["admin"]
    FieldRule.objects.create(entity="contacts", field="city", required=True)
    rows = [
        ["first name", "city", "ID number", "mobile"],
        ["דנה", "חיפה", "000000018", "054-1234567"],
        ["רות", "", "", ""],
        ["משה", "עכו", "123456789", "12"],
    ]
    job = check(upload(admin, rows), admin)
    problems = {(i.row, i.column) for i in job.issues.all()}
    assert problems == {(3, "city"), (4, "ID number"), (4, "mobile")}
    assert (job.created, job.invalid) == (1, 2)
    assert not Contact.objects.exists()


@translation.override("en")
def test_custom_fields_and_dependent_lists_in_bulk(users):
    admin = users["admin"]
    for value, label, parent in (("north", "צפון", None), ("haifa", "חיפה", "north")):
        Choice.objects.create(
            list_key="region" if parent is None else "area",
            value=value,
            label_he=label,
            parent=Choice.objects.get(value=parent) if parent else None,
        )
    region = CustomField.objects.create(
        entity="contacts", key="region", label_he="אזור", type="choice", choice_list="region"
    )
    CustomField.objects.create(
        entity="contacts",
        key="area",
        label_he="תת אזור",
        type="choice",
        choice_list="area",
        parent=region,
    )
    rows = [["first name", "אזור", "תת אזור"], ["דנה", "צפון", "חיפה"], ["רות", "", "חיפה"]]
    job = check(upload(admin, rows), admin)
    assert (job.created, job.invalid) == (1, 1)
    assert job.issues.get().row == 3
    job = run(check(job, admin, {**job.mapping, "skip_invalid": True}), admin)
    assert Contact.objects.get().custom == {"region": "north", "area": "haifa"}


@pytest.mark.parametrize("path", ["bulk", "service"])
def test_the_import_row_tells_the_creation_on_both_paths(users, monkeypatch, path):
    """Issue 26 item 3: a created record's history is its import row record — no "created"
    audit entry beside it — on the bulk path and through the services alike; searchable at
    once; shown on its timeline with the import, the file and the row."""
    if path == "service":
        monkeypatch.setattr(bulk, "supports", lambda plan: False)
    admin = users["admin"]
    rows = [["first name", "last name", "mobile"], ["דנה", "לוי", "054-1234567"]]
    job = run(check(upload(admin, rows), admin), admin)
    dana = Contact.objects.get()
    assert (dana.first_name, dana.mobile, dana.owner) == ("דנה", "+972541234567", admin)
    assert not AuditEntry.objects.filter(object_id=dana.pk).exists()
    change = ImportRowChange.objects.get(entity="contacts", record_id=dana.pk)
    assert (change.job, change.row, change.action) == (job, 2, "created")
    assert SearchToken.objects.filter(entity="contacts", object_id=dana.pk).exists()
    with translation.override("en"):
        (item,) = [i for i in timeline.items_for(dana, admin) if i.action == "create"]
    assert item.title == f"Created by import #{job.pk}"
    assert item.rows == [("File", "", "people.csv"), ("Row", "", "2")]
    assert (item.actor, item.url) == (admin, f"/imports/{job.pk}/")
    # Whoever may not open the import still reads that the record came from one.
    (item,) = [i for i in timeline.items_for(dana, users["manager"]) if i.action == "create"]
    assert item.url == ""


def test_events_of_created_records_are_delivered_after_commit(
    users, django_capture_on_commit_callbacks
):
    admin = users["admin"]
    seen = []
    events.subscribe(events.CREATED, seen.append)
    try:
        job = check(upload(admin, [["first name"], ["a"], ["b"]]), admin)
        services.import_start(job, actor=admin)
        with django_capture_on_commit_callbacks(execute=True):
            services.run_job(job.pk)
    finally:
        events.unsubscribe(events.CREATED, seen.append)
    assert sorted(e.object_id for e in seen) == sorted(Contact.objects.values_list("pk", flat=True))


def _queries_of_import(admin, count: int, start: int = 0) -> int:
    rows = [["first name", "email", "mobile", "city"]] + [
        [f"n{i}", f"p{i}@example.com", f"054-{i:07d}", "חיפה"] for i in range(start, start + count)
    ]
    job = check(upload(admin, rows), admin)
    services.import_start(job, actor=admin)
    with CaptureQueriesContext(connection) as queries:
        services.run_job(job.pk, size=1000)
    return len(queries)


def test_queries_per_batch_do_not_grow_with_rows(users):
    admin = users["admin"]
    few = _queries_of_import(admin, 5)
    many = _queries_of_import(admin, 300, start=5)  # no duplicates of the first import
    # Django splits a bulk insert to keep under SQLite's limit of bound values (a few dozen
    # rows a statement); never a query per row.
    assert many - few < 300 // 10
    assert Contact.objects.count() == 305
