"""insert_new: many new records written raw, each given the id the database gave its row;
run_together: the rows that follow one write, sent in one round trip."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from kesher.customers.models import Contact
from kesher.platform.models import AuditEntry, SearchToken
from kesher.platform.records.inserts import insert_new, insert_statement, run_together
from kesher.platform.records.search import index_statements
from kesher.platform.records.services import record_create

pytestmark = pytest.mark.django_db


def test_new_records_get_their_own_ids_and_values(users):
    owner = users["sales_rep"]
    before = Contact.objects.create(first_name="קודם", last_name="כהן", owner=owner)
    people = [
        Contact(
            first_name=f"איש {n}",
            last_name="לוי",
            mobile=f"+97252555{n:04d}",
            owner=owner,
            custom={"region": "north", "score": n},
        )
        for n in range(1200)
    ]
    with transaction.atomic():
        insert_new(Contact, people)
    assert all(p.pk and not p._state.adding for p in people)
    assert len({p.pk for p in people}) == 1200
    assert min(p.pk for p in people) > before.pk
    stored = Contact.objects.in_bulk([p.pk for p in people])
    for person in people[::97]:
        row = stored[person.pk]
        assert (row.first_name, row.mobile, row.owner_id) == (
            person.first_name,
            person.mobile,
            owner.pk,
        )
        assert row.custom == person.custom
    after = Contact.objects.create(first_name="אחרי", last_name="כהן", owner=owner)
    assert after.pk > max(p.pk for p in people)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_refuses():
    with pytest.raises(RuntimeError):
        insert_new(Contact, [Contact(first_name="בלי", last_name="עסקה")])
    assert not Contact.objects.filter(first_name="בלי").exists()


def test_a_record_and_its_trail_take_one_statement_beside_the_insert_on_postgresql(users):
    """The audit entry and the search tokens that follow a create go out together: one round
    trip on PostgreSQL (a WITH of inserts), one statement each on SQLite."""
    with CaptureQueriesContext(connection) as seen:
        contact = record_create(
            "contacts",
            actor=users["admin"],
            data={"first_name": "נועה", "last_name": "ברק", "email": "Noa@Example.co.il"},
        )
    writes = [q["sql"] for q in seen.captured_queries if q["sql"].startswith(("INSERT", "WITH"))]
    assert len(writes) == (2 if connection.vendor == "postgresql" else 3)
    entry = AuditEntry.objects.get(object_id=contact.pk, action="create")
    assert entry.actor == users["admin"]
    assert entry.changes["first_name"] == [None, "נועה"]
    assert set(
        SearchToken.objects.filter(entity="contacts", object_id=contact.pk).values_list(
            "token", flat=True
        )
    ) >= {"נועה", "ברק", "noa@example.co.il"}


def test_rewritten_tokens_replace_the_old_ones_in_the_same_statement(users):
    """A DELETE beside an INSERT into the same table sees only the rows that were there."""
    contact = record_create(
        "contacts", actor=users["admin"], data={"first_name": "דן", "last_name": "גל"}
    )
    contact.first_name = "יואב"
    run_together(*index_statements(contact))
    tokens = set(
        SearchToken.objects.filter(entity="contacts", object_id=contact.pk).values_list(
            "token", flat=True
        )
    )
    assert "יואב" in tokens
    assert "דן" not in tokens
    assert "גל" in tokens


def test_nothing_to_run_runs_nothing():
    with CaptureQueriesContext(connection) as seen:
        run_together(None, insert_statement(SearchToken, []))
    assert seen.captured_queries == []
