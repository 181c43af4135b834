"""The access log (REQ OR-8, issue 25 item 1): a rep's read, search and export are recorded,
once per request, with ids and no values; nothing changes or deletes an entry; only the privacy
officer's role reads it."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from kesher.customers.tests.factories import make_contact
from kesher.platform import accesslog
from kesher.privacy.models import AccessEntry, AppendOnlyError

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(users):
    return make_contact(users["sales_rep"], first_name="Yael", last_name="Mizrahi")


def entries(user, **filters):
    return list(
        AccessEntry.objects.filter(user=user, **filters).values_list(
            "action", "entity", "record_id"
        )
    )


def test_a_reps_read_search_and_export_are_logged_with_ids_only(users, person, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    assert client.get(f"/r/contacts/{person.pk}/").status_code == 200
    assert entries(rep) == [("read", "contacts", person.pk)]
    assert client.get("/search/", {"q": "Mizrahi"}).status_code == 200
    assert ("search", "contacts", person.pk) in entries(rep, action="search")
    assert client.get("/r/contacts/", {"q": "Yael"}).status_code == 200
    assert len(entries(rep, action="search")) == 2
    response = client.get("/r/contacts/export.csv")
    b"".join(response.streaming_content)
    assert entries(rep, action="export") == [("export", "contacts", None)]
    # The export names the records its file held, as id runs.
    (held,) = AccessEntry.objects.filter(user=rep, action="export").values_list(
        "records", flat=True
    )
    assert accesslog.contains(held, person.pk)
    # Ids and the action only: no column holds a value of the record.
    assert {f.name for f in AccessEntry._meta.concrete_fields} == {
        "id",
        "at",
        "user",
        "action",
        "entity",
        "record_id",
        "records",
        "api",
    }


def test_api_reads_and_searches_are_logged_as_api(users, person, api_for):
    rep = users["sales_rep"]
    api = api_for(rep)
    assert api.get(f"/api/v1/contacts/{person.pk}/").status_code == 200
    assert api.get("/api/v1/contacts/", {"search": "Yael"}).status_code == 200
    assert api.get("/api/v1/contacts/").status_code == 200
    logged = list(AccessEntry.objects.filter(user=rep).values_list("action", "record_id", "api"))
    assert sorted(logged) == sorted(
        [("read", person.pk, True), ("search", person.pk, True), ("list", person.pk, True)]
    )


def test_one_insert_per_request(users, person, client_for):
    """The entries of a request are written together at its end (issue 25: off the path)."""
    client = client_for(users["sales_rep"])
    client.get("/search/", {"q": "Yael"})  # warm the per-process caches
    with (
        override_settings(KESHER_ACCESS_LOG=False),
        CaptureQueriesContext(connection) as off,
    ):
        client.get("/r/contacts/", {"q": "Yael"})
    with CaptureQueriesContext(connection) as on:
        client.get("/r/contacts/", {"q": "Yael"})
    inserts = [q for q in on.captured_queries if "privacy_accessentry" in q["sql"]]
    assert len(inserts) == 1
    # The INSERT alone: a test runs in a transaction, so PostgreSQL's own asynchronous commit
    # (its transaction, SET LOCAL) is left to the transaction's opener.
    assert len(on.captured_queries) - len(off.captured_queries) == 1


def test_a_change_is_logged_when_its_event_arrives(
    users, person, django_capture_on_commit_callbacks
):
    from kesher.platform.records.services import record_update

    with accesslog.collecting() as notes, django_capture_on_commit_callbacks(execute=True):
        record_update(person, actor=users["sales_rep"], data={"city": "Haifa"})
    assert [(n.action, n.entity, n.ids) for n in notes] == [("change", "contacts", (person.pk,))]


def test_with_the_log_off_nothing_is_written(users, person, client_for):
    with override_settings(KESHER_ACCESS_LOG=False):
        client_for(users["sales_rep"]).get(f"/r/contacts/{person.pk}/")
    assert not AccessEntry.objects.exists()


def test_entries_cannot_be_changed_or_deleted(users, person, client_for):
    client_for(users["sales_rep"]).get(f"/r/contacts/{person.pk}/")
    entry = AccessEntry.objects.get()
    entry.action = "export"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AccessEntry.objects.filter(pk=entry.pk).update(action="export")
    with pytest.raises(AppendOnlyError):
        AccessEntry.objects.all().delete()
    assert AccessEntry.objects.get().action == "read"
    # No admin page, and the API has no verb that writes it.
    assert AccessEntry not in admin.site._registry


def test_the_api_offers_no_write(officer, api_for):
    api = api_for(officer)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api, method)("/api/v1/access-log/").status_code == 405
    assert not AccessEntry.objects.exclude(user=officer).exists()


def test_only_the_privacy_officer_reviews_the_log(users, officer, person, client_for, api_for):
    client_for(users["sales_rep"]).get(f"/r/contacts/{person.pk}/")
    for key in ("sales_rep", "manager", "support_agent", "read_only"):
        assert client_for(users[key]).get("/privacy/access-log/").status_code == 403
        assert api_for(users[key]).get("/api/v1/access-log/").status_code == 403
    page = client_for(officer).get("/privacy/access-log/")
    assert page.status_code == 200
    assert "Yael Mizrahi" in page.content.decode()
    body = api_for(officer).get("/api/v1/access-log/").json()
    assert [(r["action"], r["entity"], r["record_id"]) for r in body["results"]] == [
        ("read", "contacts", person.pk)
    ]


def test_the_log_filters_by_record_user_action_and_period(
    users, officer, person, client_for, api_for
):
    rep, manager = users["sales_rep"], users["manager"]
    other = make_contact(rep, first_name="Other")
    client_for(rep).get(f"/r/contacts/{person.pk}/")
    client_for(rep).get(f"/r/contacts/{other.pk}/")
    client_for(manager).get(f"/r/contacts/{person.pk}/")
    api = api_for(officer)

    def found(**params):
        rows = api.get("/api/v1/access-log/", params).json()["results"]
        return sorted((r["user"], r["record_id"]) for r in rows if r["action"] == "read")

    assert found(entity="contacts", record=person.pk) == sorted(
        [(rep.pk, person.pk), (manager.pk, person.pk)]
    )
    assert found(user=manager.pk) == [(manager.pk, person.pk)]
    assert found(action="search") == []
    assert found(since="2000-01-01", until="2000-01-02") == []
    assert api.get("/api/v1/access-log/", {"since": "yesterday"}).status_code == 400
    page = client_for(officer).get(
        "/privacy/access-log/", {"entity": "contacts", "record": other.pk}
    )
    assert page.content.decode().count('data-action="read"') == 1


def test_users_are_told_the_log_exists(users, client_for):
    page = client_for(users["sales_rep"]).get("/profile/")
    assert 'id="access-log-notice"' in page.content.decode()


def test_ids_are_kept_as_runs():
    assert accesslog.ranges([]) == ""
    assert accesslog.ranges([9, 1, 2, 3, 7, 10, 3]) == "1-3,7,9-10"
    runs = accesslog.ranges(range(1, 100_001))
    assert runs == "1-100000"
    assert accesslog.contains(runs, 1)
    assert accesslog.contains(runs, 100_000)
    assert not accesslog.contains(runs, 100_001)
    assert accesslog.contains("1-3,7,9-10", 7)
    assert not accesslog.contains("1-3,7,9-10", 8)
    assert not accesslog.contains("", 1)


def test_an_export_is_found_by_the_records_it_held(users, officer, person, client_for, api_for):
    """A list's export names exactly what the file held: filtering the log by a person finds
    the exports that held him, not the others (issue 25: who received his data)."""
    rep = users["sales_rep"]
    other = make_contact(rep, first_name="Other", last_name="Person")
    client = client_for(rep)
    b"".join(client.get("/r/contacts/export.csv", {"q": "Mizrahi"}).streaming_content)
    b"".join(client.get("/r/contacts/export.csv", {"q": "Person"}).streaming_content)
    held = sorted(
        AccessEntry.objects.filter(user=rep, action="export").values_list("records", flat=True)
    )
    assert held == sorted([str(person.pk), str(other.pk)])
    api = api_for(officer)
    rows = api.get("/api/v1/access-log/", {"entity": "contacts", "record": person.pk}).json()
    exports = [r for r in rows["results"] if r["action"] == "export"]
    assert [(r["user"], r["records"]) for r in exports] == [(rep.pk, str(person.pk))]
    page = client_for(officer).get("/privacy/access-log/", {"action": "export"})
    assert page.content.decode().count('class="access-held"') == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own commit path")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_rows_commit_in_one_pipeline_and_a_failure_leaves_no_trace(
    users,
):
    """Production's autocommit: BEGIN, SET LOCAL, INSERT and COMMIT go in one round trip; a
    failed insert answers Django's error, writes nothing and leaves the connection usable."""
    from django.db import DatabaseError

    from kesher.privacy.accesslog import entries_for, insert

    note = accesslog.Note("list", "contacts", (1, 2, 3))
    insert(entries_for(users["sales_rep"], [note], api=True))
    assert sorted(entries(users["sales_rep"], action="list")) == [
        ("list", "contacts", i) for i in (1, 2, 3)
    ]

    too_long = accesslog.Note("x" * 40, "contacts", (4,))  # the action's column holds 8
    with pytest.raises(DatabaseError):
        insert(entries_for(users["sales_rep"], [note, too_long], api=False))
    assert not connection.in_atomic_block
    assert connection.connection.info.transaction_status == 0  # idle: nothing left open
    assert AccessEntry.objects.count() == 3


def test_no_route_changes_or_deletes_an_entry(users, officer, person, client_for, api_for):
    """Every way in: the generic record, bulk and import routes, the API's verbs on the list
    and on an entry, a retention rule, erasing the person read, removing the reader's user."""
    from django.core.exceptions import ValidationError

    from kesher.org.models import User
    from kesher.platform.records.services import record_create
    from kesher.platform.registry import registry
    from kesher.privacy import services

    reader = User.objects.create_user("reader", "reader@example.co.il", None)
    reader.role = users["admin"].role
    reader.save()
    client_for(reader).get(f"/r/contacts/{person.pk}/")
    entry = AccessEntry.objects.get(user=reader)
    before = list(AccessEntry.objects.order_by("pk").values())
    # Not a kind of record: no page, form, bulk action, import or export reaches it.
    assert not any(entity.model is AccessEntry for entity in registry.all())
    for user in (users["admin"], officer):
        client, api = client_for(user), api_for(user)
        for url in (
            "/r/access-log/new/",
            f"/r/access-log/{entry.pk}/edit/",
            f"/r/access-log/{entry.pk}/delete/",
            "/bulk/access-log/",
        ):
            answer = client.post(url, {"action": "delete", "ids": [entry.pk], "user": user.pk})
            assert answer.status_code in (403, 404, 405), url
        for url in ("/api/v1/access-log/", f"/api/v1/access-log/{entry.pk}/"):
            for method in ("post", "put", "patch", "delete"):
                assert getattr(api, method)(url, {"action": "export"}).status_code in (
                    403,
                    404,
                    405,
                ), (method, url)
        client.post("/privacy/access-log/", {"record": entry.record_id})  # a page that reads
        bulk = api.post("/api/v1/bulk/access-log/", {"action": "delete", "ids": [entry.pk]})
        assert bulk.status_code in (400, 403, 404), bulk.content
    # A retention rule may name only kinds of record, never the log.
    with pytest.raises(ValidationError):
        record_create(
            "retention-rules",
            actor=users["admin"],
            data={"name": "Old log", "entity": "access-log", "age_months": 1, "action": "delete"},
        )
    # Erasing the person read leaves the record of who read him.
    request = services.request_create(actor=officer, data={"contact": person, "kind": "deletion"})
    services.request_anonymize(request, actor=officer)
    # The reader's user removed: his entries stay (no constraint, never cascaded).
    User.objects.filter(pk=reader.pk).delete()
    after = list(
        AccessEntry.objects.filter(pk__in=[e["id"] for e in before]).order_by("pk").values()
    )
    assert after == before


def test_the_filter_bars_fields_fill_their_columns(officer, client_for):
    """Seen in the browser flow's screenshots: the record number's box ran over the dates."""
    import re

    html = client_for(officer).get("/privacy/access-log/").content.decode()
    bar = html.split('id="access-log-filter"')[1].split("</form>")[0]
    for name, kind in [("user", "form-select"), ("action", "form-select")] + [
        (name, "form-control") for name in ("record", "since", "until")
    ]:
        (tag,) = re.findall(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', bar)
        assert f'class="{kind} {kind}-sm"' in tag, tag
