"""Link columns from the registry, many-to-many cells, missing linked records and duplicate rows
(issue 14 items 1, 2 and 7; decision 0048)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.models import Account, Contact, ContactAccount
from kesher.customers.tests.factories import make_account, make_contact
from kesher.imports import services
from kesher.imports.mapping import targets_for
from kesher.imports.tests.helpers import check, run, upload
from kesher.platform.models import AuditEntry
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


def _pairs():
    return set(ContactAccount.objects.values_list("contact__first_name", "account__name"))


def test_link_targets_come_from_the_registry():
    """Every foreign key and many-to-many field to a registered entity is a link column, named
    by its field: a contact's accounts (many), a relationship's two accounts (one each)."""
    contacts = targets_for(registry.get("contacts"))
    assert (contacts["accounts"].kind, contacts["accounts"].entity_key) == ("links", "accounts")
    assert contacts["accounts"].many
    assert "account" not in contacts
    relationships = targets_for(registry.get("relationships"))
    assert (relationships["from_account"].kind, relationships["from_account"].entity_key) == (
        "link",
        "accounts",
    )
    assert relationships["to_contact"].entity_key == "contacts"


def test_a_cell_names_several_accounts_separated_by_semicolons(users):
    admin = users["admin"]
    for name in ("אלפא", "בטא", "גמא"):
        make_account(admin, name=name)
    rows = [["שם פרטי", "חברה"], ["דנה", "אלפא; בטא"], ["יוסי", "גמא;;גמא"]]
    job = upload(admin, rows)
    assert job.mapping["columns"]["1"]["field"] == "accounts"  # the header synonym still works
    job = run(check(job, admin), admin)
    assert (job.created, job.invalid) == (2, 0)
    assert _pairs() == {("דנה", "אלפא"), ("דנה", "בטא"), ("יוסי", "גמא")}
    dana = Contact.objects.get(first_name="דנה")
    entry = AuditEntry.objects.filter(object_id=dana.pk, action="update").get()
    assert entry.changes["accounts"][1]["ids"] == sorted(
        Account.objects.filter(name__in=["אלפא", "בטא"]).values_list("pk", flat=True)
    )


def test_links_are_added_never_removed_and_hidden_ones_stay(users):
    """A rep's upsert adds the accounts the file names to a contact she owns; its link to a
    colleague's account, which she cannot see, stays; the colleague's account cannot be named."""
    rep, other = users["sales_rep"], users["sales_rep2"]
    mine = make_account(rep, name="שלי")
    hidden = make_account(other, name="של אחר")
    new = make_account(rep, name="חדש")
    dana = make_contact(rep, first_name="דנה", email="dana@example.com")
    ContactAccount.objects.create(contact=dana, account=mine)
    ContactAccount.objects.create(contact=dana, account=hidden)
    rows = [["email", "accounts"], ["dana@example.com", "חדש"]]
    mapping = {"columns": {"0": "email", "1": "accounts"}, "match": "email"}
    job = run(check(upload(rep, rows), rep, mapping, "upsert"), rep)
    assert (job.updated, job.invalid) == (1, 0)
    assert set(dana.accounts.values_list("pk", flat=True)) == {mine.pk, hidden.pk, new.pk}
    rows = [["email", "accounts"], ["dana@example.com", "של אחר"]]
    job = check(upload(rep, rows), rep, mapping, "upsert")
    assert job.invalid == 1
    assert job.report["missing"]["1"]["values"] == ["של אחר"]  # as if it did not exist


def test_missing_accounts_are_reported_then_created_or_left(users):
    rep = users["sales_rep"]
    make_account(rep, name="אלפא")
    rows = [
        ["שם פרטי", "חברה"],
        ["דנה", "אלפא"],
        ["יוסי", "בטא"],
        ["רות", "בטא; גמא"],
    ]
    job = check(upload(rep, rows), rep)
    assert (job.created, job.invalid) == (1, 2)  # by default a missing account is a bad row
    missing = job.report["missing"]["1"]
    assert missing == {
        "column": "חברה",
        "field": "accounts",
        "entity": "accounts",
        "count": 2,
        "values": ["בטא", "גמא"],
        "choice": "report",
        "may_create": True,
    }
    job = services.import_set_missing(job, actor=rep, choices={"1": "leave"})
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.created, job.invalid, job.to_write) == (3, 0, 3)
    assert Account.objects.count() == 1  # the dry run kept nothing

    job = services.import_set_missing(job, actor=rep, choices={"1": "create"})
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.created, job.invalid) == (3, 0)
    assert job.report["missing"]["1"]["choice"] == "create"
    assert Account.objects.count() == 1
    job = run(job, rep)
    assert (job.status, job.created) == ("done", 3)
    created = Account.objects.exclude(name="אלפא")
    assert sorted(created.values_list("name", flat=True)) == ["בטא", "גמא"]
    assert {a.owner for a in created} == {rep}  # through the service: owned by the importer
    assert AuditEntry.objects.filter(object_id__in=[a.pk for a in created], action="create")
    assert _pairs() == {("דנה", "אלפא"), ("יוסי", "בטא"), ("רות", "בטא"), ("רות", "גמא")}
    # A contact created and linked by the import has one audit entry, its links (issue 26):
    # its creation is its import row.
    entries = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(Contact))
    for contact in Contact.objects.all():
        assert [e.action for e in entries.filter(object_id=contact.pk)] == ["update"]


def test_only_who_may_add_accounts_may_choose_to_create_them(users):
    agent = users["support_agent"]  # may add contacts, not accounts
    rows = [["שם פרטי", "חברה"], ["דנה", "אין כזו"]]
    job = check(upload(agent, rows), agent)
    assert job.report["missing"]["1"]["may_create"] is False
    with pytest.raises(ValidationError) as error:
        services.import_set_missing(job, actor=agent, choices={"1": "create"})
    assert "אין לך הרשאה ליצור" in str(error.value)
    job.refresh_from_db()
    job = services.import_set_missing(job, actor=agent, choices={"1": "leave"})
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.created, job.invalid) == (1, 0)


def test_a_foreign_key_to_an_entity_is_a_link_column_too(users):
    admin = users["admin"]
    make_account(admin, name="אם")
    make_account(admin, name="בת")
    rows = [["from_account", "to_account", "type"], ["אם", "בת", ""]]
    mapping = {"columns": {"0": "from_account", "1": "to_account", "2": "type"}}
    job = check(upload(admin, rows, entity="relationships"), admin, mapping)
    assert job.report == {"missing": {}}
    rows = [["from_account", "to_account", "type"], ["אם", "אין", ""]]
    job = check(upload(admin, rows, entity="relationships"), admin, mapping)
    assert job.report["missing"]["1"]["values"] == ["אין"]


def test_duplicates_within_the_file_and_against_the_database(users):
    rep = users["sales_rep"]
    make_contact(rep, first_name="קיים", email="old@example.com", mobile="053-3333333")
    rows = [
        ["first name", "email", "mobile"],
        ["א", "A@Example.com", "054-1111111"],
        ["ב", "a@example.com", ""],  # row 3: the e-mail of row 2, in another case
        ["ג", "", "+972541111111"],  # row 4: the phone of row 2, written otherwise
        ["ד", "OLD@example.com", ""],  # row 5: an existing contact's e-mail
        ["ה", "new@example.com", "052-2222222"],
        ["ו", "", "053 333 3333"],  # row 7: an existing contact's mobile (its own index)
    ]
    job = check(upload(rep, rows), rep)
    assert (job.created, job.duplicates, job.invalid, job.to_write) == (2, 4, 0, 2)
    problems = {i.row: i.message for i in job.issues.all()}
    assert problems == {
        3: "אותו דוא״ל כמו בשורה 2 של הקובץ.",
        4: "אותו טלפון כמו בשורה 2 של הקובץ.",
        5: "לרשומה קיימת יש את הדוא״ל הזה.",
        7: "לרשומה קיימת יש את הטלפון הזה.",
    }
    job = run(job, rep)  # duplicates are skipped, not errors
    assert (job.status, job.created, job.duplicates) == ("done", 2, 4)
    assert Contact.objects.filter(email="a@example.com").count() == 1  # stored lower-cased


def test_duplicates_may_be_imported_when_asked(users):
    rep = users["sales_rep"]
    rows = [["first name", "email"], ["א", "a@example.com"], ["ב", "a@example.com"]]
    mapping = {"columns": {"0": "first_name", "1": "email"}, "duplicates": "import"}
    job = run(check(upload(rep, rows), rep, mapping), rep)
    assert (job.created, job.duplicates) == (2, 0)


def test_records_the_importer_cannot_see_are_no_duplicates_he_is_told_of(users):
    make_contact(users["sales_rep2"], first_name="של אחר", email="x@example.com")
    rep = users["sales_rep"]
    job = check(upload(rep, [["first name", "email"], ["א", "x@example.com"]]), rep)
    assert (job.created, job.duplicates) == (1, 0)


def _queries_linking(admin, count: int, start: int) -> int:
    rows = [["first name", "email", "accounts"]] + [
        [f"n{i}", f"p{i}@example.com", f"acc{i % 7}; acc{(i + 1) % 7}; new{i}"]
        for i in range(start, start + count)
    ]
    job = upload(admin, rows)
    mapping = {
        "columns": {"0": "first_name", "1": "email", "2": {"field": "accounts", "missing": "leave"}}
    }
    job = check(job, admin, mapping)
    services.import_start(job, actor=admin)
    with CaptureQueriesContext(connection) as queries:
        services.run_job(job.pk, size=1000)
    job.refresh_from_db()
    assert (job.created, job.invalid) == (count, 0)
    return len(queries)


def test_link_lookups_and_duplicate_checks_are_per_batch_not_per_row(users):
    admin = users["admin"]
    for i in range(7):
        make_account(admin, name=f"acc{i}")
    few = _queries_linking(admin, 5, 0)
    many = _queries_linking(admin, 100, 5)
    assert many - few < 100 // 10
    assert ContactAccount.objects.count() == 2 * 105


def test_an_interactions_participants_are_a_many_to_many_link_too(users):
    """Nothing in the importer knows interactions: their participant contacts are named by the
    contacts' lookup keys (e-mail, mobile), several a cell; a colleague's contact is not found."""
    from kesher.activities.models import Interaction

    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="דנה", email="dana@example.com")
    yossi = make_contact(rep, first_name="יוסי", mobile="054-7654321")
    make_contact(users["sales_rep2"], first_name="זרה", email="other@example.com")
    rows = [
        ["kind", "subject", "occurred_at", "participant_contacts"],
        ["שיחה", "שיחת צוות", "03/02/2025 10:30", "DANA@example.com; 054-7654321"],
        ["שיחה", "שיחה עם זרה", "04/02/2025 10:30", "other@example.com"],
    ]
    mapping = {
        "columns": {
            "0": "kind",
            "1": "subject",
            "2": "occurred_at",
            "3": {"field": "participant_contacts", "missing": "leave"},
        }
    }
    job = check(upload(rep, rows, entity="interactions"), rep, mapping)
    assert job.report["missing"]["3"]["values"] == ["other@example.com"]
    assert job.report["missing"]["3"]["may_create"] is False  # contacts are not named by name
    job = run(job, rep)
    assert (job.created, job.invalid) == (2, 0)
    call = Interaction.objects.get(subject="שיחת צוות")
    assert set(call.participant_contacts.all()) == {dana, yossi}
    assert not Interaction.objects.get(subject="שיחה עם זרה").participant_contacts.exists()
