"""The access log written in batches off the request (issue 25 item 1, decision 0115): a request
hands its rows to the process's batch and runs no statement of the log's; the writer thread
writes many requests' rows in one INSERT, in order; nothing waiting is lost on a failed write or
at the process's exit; the log's readers see this process's waiting rows."""

import logging
import time

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from kesher.customers.tests.factories import make_contact
from kesher.platform import accesslog as notes
from kesher.privacy import accesslog
from kesher.privacy.accesslog import Batches, entries_for
from kesher.privacy.models import AccessEntry


@pytest.fixture
def batch(monkeypatch):
    """A batch of the test's own that no thread writes before the test flushes it."""
    own = Batches(seconds=3600, rows=10**6)
    monkeypatch.setattr(own, "_run", lambda: None)  # no thread: the test flushes
    monkeypatch.setattr(accesslog, "batches", own)
    return own


def logged(**filters):
    return list(
        AccessEntry.objects.filter(**filters)
        .order_by("pk")
        .values_list("user_id", "action", "entity", "record_id")
    )


def log_statements(captured) -> list[str]:
    table = AccessEntry._meta.db_table
    return [q["sql"] for q in captured.captured_queries if table in q["sql"]]


@pytest.fixture
def inserts(monkeypatch):
    """The INSERTs the log runs (on PostgreSQL they pass the ORM's cursor), as their rows."""
    real, done = accesslog.insert, []

    def counted(rows):
        done.append(len(rows))
        real(rows)

    monkeypatch.setattr(accesslog, "insert", counted)
    return done


@pytest.mark.django_db(transaction=True)
def test_a_request_runs_no_statement_of_the_log_and_the_batch_writes_its_rows_in_order(
    users, batch, inserts, api_for
):
    rep = users["sales_rep"]
    people = [make_contact(rep, first_name=f"P{n}") for n in range(3)]
    api = api_for(rep)
    api.get("/api/v1/contacts/")  # warm the process's caches
    batch._rows.clear()
    with override_settings(KESHER_ACCESS_LOG=False), CaptureQueriesContext(connection) as off:
        listed = api.get("/api/v1/contacts/").json()["results"]
    with CaptureQueriesContext(connection) as on:
        assert api.get("/api/v1/contacts/").status_code == 200
    # The log costs the request no statement: the list ran as many with it as without.
    assert log_statements(on) == []
    assert inserts == []
    assert len(on.captured_queries) == len(off.captured_queries)
    assert api.get(f"/api/v1/contacts/{people[1].pk}/").status_code == 200
    assert len(batch) == 4
    assert AccessEntry.objects.count() == 0
    assert batch.flush() == 4
    # Both requests' rows in one INSERT, in the order the requests came, the list's order kept.
    assert inserts == [4]
    expected = [(rep.pk, "list", "contacts", row["id"]) for row in listed]
    expected.append((rep.pk, "read", "contacts", people[1].pk))
    assert logged() == expected  # read in the ids' order
    assert len(batch) == 0
    assert batch.flush() == 0


@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_writes_what_waits_without_being_asked(users, monkeypatch, client_for):
    rep = users["sales_rep"]
    person = make_contact(rep, first_name="Dana")
    own = Batches(seconds=0.05)
    monkeypatch.setattr(accesslog, "batches", own)
    assert client_for(rep).get(f"/r/contacts/{person.pk}/").status_code == 200
    deadline = time.monotonic() + 10
    while not AccessEntry.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert logged() == [(rep.pk, "read", "contacts", person.pk)]
    assert len(own) == 0


def test_enough_waiting_rows_wake_the_writer_early(users, monkeypatch):
    own = Batches(seconds=3600, rows=3)
    monkeypatch.setattr(own, "_run", lambda: None)
    own.add(entries_for(users["sales_rep"], [notes.Note("list", "contacts", (1, 2))], api=True))
    assert not own._wake.is_set()
    own.add(entries_for(users["sales_rep"], [notes.Note("read", "contacts", (3,))], api=False))
    assert own._wake.is_set()


def test_a_failed_write_keeps_every_row_first_in_line_and_the_next_write_has_them_all(
    users, batch, monkeypatch
):
    rep = users["sales_rep"]
    first = entries_for(rep, [notes.Note("list", "contacts", (1, 2, 3))], api=True)
    second = entries_for(rep, [notes.Note("read", "contacts", (4,))], api=False)
    batch.add(first)
    real_insert = accesslog.insert
    calls = []

    def failing_once(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise RuntimeError("the database is away")
        real_insert(rows)

    monkeypatch.setattr(accesslog, "insert", failing_once)
    with pytest.raises(RuntimeError):
        batch.flush()
    batch.add(second)  # a later request's rows wait behind the ones not written
    assert len(batch) == 4
    assert AccessEntry.objects.count() == 0
    assert batch.flush() == 4
    assert logged() == [(rep.pk, "list", "contacts", i) for i in (1, 2, 3)] + [
        (rep.pk, "read", "contacts", 4)
    ]


def test_a_long_batch_is_written_in_chunks_and_a_failing_chunk_keeps_only_the_rest(
    users, batch, monkeypatch
):
    rep = users["sales_rep"]
    rows = entries_for(rep, [notes.Note("list", "contacts", tuple(range(1, 201)))], api=True)
    for _ in range(12):
        batch.add(rows)  # 2,400 rows
    real_insert = accesslog.insert
    calls = []

    def third_fails(chunk):
        calls.append(len(chunk))
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real_insert(chunk)

    monkeypatch.setattr(accesslog, "insert", third_fails)
    with pytest.raises(RuntimeError):
        batch.flush()
    assert calls == [1000, 1000, 400]
    assert AccessEntry.objects.count() == 2000
    assert len(batch) == 400
    calls.clear()
    assert batch.flush() == 400
    assert calls == [400]
    assert [r[3] for r in logged()] == list(range(1, 201)) * 12


def test_at_exit_what_waits_is_written(users, batch):
    rep = users["sales_rep"]
    batch.add(entries_for(rep, [notes.Note("read", "contacts", (7,))], api=False))
    batch.flush_at_exit()
    assert logged() == [(rep.pk, "read", "contacts", 7)]


def test_at_exit_rows_that_cannot_be_written_go_to_the_error_log_whole(
    users, batch, monkeypatch, caplog
):
    rep = users["sales_rep"]
    batch.add(entries_for(rep, [notes.Note("read", "contacts", (7, 8))], api=False))

    def failing(rows):
        raise RuntimeError("the database is away")

    monkeypatch.setattr(accesslog, "insert", failing)
    with caplog.at_level(logging.ERROR, logger="kesher.privacy.accesslog"):
        batch.flush_at_exit()
    (record,) = caplog.records
    text = record.getMessage()
    assert "2 entries" in text
    assert f'{rep.pk}, "read", "contacts", 7, null, false' in text
    assert f'{rep.pk}, "read", "contacts", 8, null, false' in text
    assert len(batch) == 0


def test_the_log_page_and_api_read_this_process_s_waiting_rows(
    users, batch, officer, client_for, api_for
):
    rep = users["sales_rep"]
    person = make_contact(rep, first_name="Waiting")
    batch.add(entries_for(rep, [notes.Note("read", "contacts", (person.pk,))], api=False))
    page = client_for(officer).get("/privacy/access-log/", {"record": person.pk})
    assert page.status_code == 200
    assert logged(record_id=person.pk) == [(rep.pk, "read", "contacts", person.pk)]
    assert len(batch) == 0
    rows = api_for(officer).get("/api/v1/access-log/", {"record": person.pk}).json()
    assert [r["record_id"] for r in rows["results"]] == [person.pk]


def test_inside_an_open_transaction_the_rows_go_with_it(users, batch, client_for):
    """A test's transaction (or ATOMIC_REQUESTS): the request's rows are written in it, not
    left to a thread that cannot see what it holds."""
    rep = users["sales_rep"]
    person = make_contact(rep, first_name="Atomic")
    assert connection.in_atomic_block
    client_for(rep).get(f"/r/contacts/{person.pk}/")
    assert len(batch) == 0
    assert logged() == [(rep.pk, "read", "contacts", person.pk)]


@pytest.mark.django_db(transaction=True)
def test_with_batching_off_the_request_writes_its_own_rows(users, monkeypatch, client_for):
    rep = users["sales_rep"]
    person = make_contact(rep, first_name="Now")
    batch = Batches()  # the settings' seconds
    monkeypatch.setattr(accesslog, "batches", batch)
    with override_settings(KESHER_ACCESS_LOG_BATCH_SECONDS=0):  # as the tests' settings
        client_for(rep).get(f"/r/contacts/{person.pk}/")
    assert len(batch) == 0
    assert logged() == [(rep.pk, "read", "contacts", person.pk)]
