"""Bulk actions (REQ IM-4; issue "Customization" item 7): update a built-in or custom field,
assign an owner, add/remove a tag (a link of a many-to-many field, see test_bulk_links.py),
delete — validated like a single edit (REQ CX-2, CX-6), scoped to what the actor may see
(REQ OR-3), audited and versioned per record, set-based, and run by the worker for large sets,
resumable after a crash."""

from types import SimpleNamespace

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.models import Account
from kesher.customers.tests.factories import choice, make_account
from kesher.org.models import User
from kesher.platform import events
from kesher.platform.bulk import actions as bulk
from kesher.platform.models import (
    AuditEntry,
    BulkJob,
    Choice,
    CustomField,
    FieldRule,
    SearchToken,
    Tag,
)
from kesher.platform.records import search

pytestmark = pytest.mark.django_db

URL = "/api/v1/bulk/accounts/"


def custom_field(key, type_, **extra):
    return CustomField.objects.create(
        entity="accounts", key=key, label_he=key, label_en=key.title(), type=type_, **extra
    )


@pytest.fixture
def fields(db):
    """Region → zone (a dependent pick-list, REQ CX-6) and an integer score."""
    north = Choice.objects.create(
        list_key="region", value="north", label_he="צפון", label_en="North"
    )
    south = Choice.objects.create(
        list_key="region", value="south", label_he="דרום", label_en="South"
    )
    Choice.objects.create(
        list_key="region", value="west", label_he="מערב", label_en="West", active=False
    )
    Choice.objects.create(
        list_key="zone", value="haifa_bay", label_he="מפרץ חיפה", label_en="Haifa Bay", parent=north
    )
    Choice.objects.create(
        list_key="zone", value="negev", label_he="נגב", label_en="Negev", parent=south
    )
    region = custom_field("region", "choice", choice_list="region")
    zone = custom_field("zone", "choice", choice_list="zone", parent=region)
    score = custom_field("score", "integer")
    return SimpleNamespace(region=region, zone=zone, score=score)


@pytest.fixture
def received():
    """Domain events delivered after commit."""
    delivered: list[events.Event] = []
    events.subscribe("*", delivered.append)
    yield delivered
    events.unsubscribe("*", delivered.append)


def post(client, **body):
    return client.post(URL, body, format="json")


def bulk_audits(*records):
    content_type = ContentType.objects.get_for_model(Account)
    return AuditEntry.objects.filter(
        content_type=content_type,
        object_id__in=[r.pk for r in records],
        action__in=["update", "delete"],
    )


def reload(*records):
    return [Account.objects.get(pk=r.pk) for r in records]


# --- each action --------------------------------------------------------------------------------


def test_update_custom_field_audits_bumps_versions_and_emits_after_commit(
    users, api_for, fields, received, django_capture_on_commit_callbacks
):
    admin = users["admin"]
    first, second = make_account(admin), make_account(admin, custom={"score": 3})
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api_for(admin, "en"),
            action="update",
            field="custom.region",
            value="north",
            ids=[first.pk, second.pk],
        )
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "done",
        "total": 2,
        "updated": 2,
        "unchanged": 0,
        "rejected_count": 0,
        "rejected": [],
    }
    first, second = reload(first, second)
    assert first.custom == {"region": "north"}
    assert second.custom == {"score": 3, "region": "north"}  # other keys kept
    assert (first.version, second.version) == (2, 2)
    audits = list(bulk_audits(first, second).order_by("object_id"))
    assert [(a.object_id, a.actor, a.changes) for a in audits] == [
        (first.pk, admin, {"_v": 2, "custom_fields.region": [None, "north"]}),
        (second.pk, admin, {"_v": 2, "custom_fields.region": [None, "north"]}),
    ]
    updated = [e for e in received if e.name == "updated"]
    assert {(e.object_id, e.actor_id) for e in updated} == {
        (first.pk, admin.pk),
        (second.pk, admin.pk),
    }
    assert updated[0].changes == {"custom_fields.region": [None, "north"]}


def test_update_clears_a_custom_value_and_reports_records_already_so(users, api_for, fields):
    admin = users["admin"]
    filled = make_account(admin, custom={"region": "south", "score": 1})
    empty = make_account(admin)
    response = post(
        api_for(admin),
        action="update",
        field="custom.region",
        value=None,
        ids=[filled.pk, empty.pk],
    )
    assert response.status_code == 200
    assert (response.json()["updated"], response.json()["unchanged"]) == (1, 1)
    filled, empty = reload(filled, empty)
    assert filled.custom == {"score": 1}
    assert (filled.version, empty.version) == (2, 1)
    assert bulk_audits(empty).count() == 0


def test_update_builtin_pick_list_audits_the_values(users, api_for):
    admin = users["admin"]
    lead, vip = choice("account_status", "lead"), choice("account_status", "vip")
    records = [make_account(admin, status=lead) for _ in range(3)]
    response = post(
        api_for(admin), action="update", field="status", value=vip.pk, ids=[r.pk for r in records]
    )
    assert response.status_code == 200, response.json()
    assert all(r.status_id == vip.pk and r.version == 2 for r in reload(*records))
    stored = [{"ref": "choices", "id": lead.pk}, {"ref": "choices", "id": vip.pk}]
    assert [a.changes["status"] for a in bulk_audits(*records)] == [stored] * 3


def test_update_of_a_searched_field_reindexes_the_records(users, api_for):
    admin = users["admin"]
    record = make_account(admin, name="Acme", city="חיפה")
    response = post(api_for(admin), action="update", field="city", value="אילת", ids=[record.pk])
    assert response.status_code == 200
    assert search.search(admin, "אילת", entities=["accounts"])[0][1] == [Account.objects.get()]
    assert search.search(admin, "חיפה", entities=["accounts"]) == []


def test_assign_owner(users, api_for):
    manager, rep = users["manager"], users["sales_rep"]
    records = [make_account(manager) for _ in range(2)]
    response = post(
        api_for(manager), action="assign_owner", value=rep.pk, ids=[r.pk for r in records]
    )
    assert response.status_code == 200, response.json()
    assert [r.owner for r in reload(*records)] == [rep, rep]
    assert bulk_audits(*records).first().changes == {
        "_v": 2,
        "owner": [{"ref": "users", "id": manager.pk}, {"ref": "users", "id": rep.pk}],
    }


def test_add_and_remove_a_tag(users, api_for):
    admin = users["admin"]
    vip, old = Tag.objects.create(name="VIP"), Tag.objects.create(name="old")
    tagged = make_account(admin, m2m={"tags": [old]})
    plain = make_account(admin)
    api = api_for(admin)
    response = post(api, action="add_link", field="tags", value=vip.pk, ids=[tagged.pk, plain.pk])
    assert response.status_code == 200, response.json()
    assert {t.name for t in tagged.tags.all()} == {"VIP", "old"}
    assert {t.name for t in plain.tags.all()} == {"VIP"}
    assert bulk_audits(tagged).get().changes == {
        "_v": 2,
        "tags": [
            {"ref": "platform.tag", "ids": [old.pk]},
            {"ref": "platform.tag", "ids": sorted([old.pk, vip.pk])},
        ],
    }
    again = post(api, action="add_link", field="tags", value=vip.pk, ids=[tagged.pk])
    assert (again.json()["updated"], again.json()["unchanged"]) == (0, 1)

    response = post(
        api, action="remove_link", field="tags", value=vip.pk, ids=[tagged.pk, plain.pk]
    )
    assert response.json()["updated"] == 2
    assert [t.name for t in tagged.tags.all()] == ["old"]
    assert not plain.tags.exists()
    assert [r.version for r in reload(tagged, plain)] == [3, 3]


def test_delete_audits_unindexes_and_emits(
    users, api_for, received, django_capture_on_commit_callbacks
):
    admin = users["admin"]
    doomed, kept = make_account(admin, name="Doomed"), make_account(admin, name="Kept")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api_for(admin), action="delete", ids=[doomed.pk])
    assert response.status_code == 200
    assert list(Account.objects.all()) == [kept]
    audit = bulk_audits(doomed).get()
    assert (audit.action, audit.actor, audit.changes["name"]) == ("delete", admin, ["Doomed", None])
    assert not SearchToken.objects.filter(entity="accounts", object_id=doomed.pk).exists()
    assert [(e.name, e.object_id) for e in received if e.name == "deleted"] == [
        ("deleted", doomed.pk)
    ]


def test_delete_skips_records_still_in_use_and_reports_them(users, api_for):
    admin = users["admin"]
    owner, idle = users["sales_rep"], users["sales_rep2"]
    make_account(admin, owner=owner)  # an account's owner is protected
    response = api_for(admin, "en").post(
        "/api/v1/bulk/users/", {"action": "delete", "ids": [owner.pk, idle.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["updated"], body["rejected_count"]) == (1, 1)
    assert body["rejected"][0]["id"] == owner.pk
    assert "in use" in body["rejected"][0]["message"]
    assert User.objects.filter(pk=owner.pk).exists()
    assert not User.objects.filter(pk=idle.pk).exists()


def test_entity_with_its_own_delete_service_gets_its_rules(users, api_for):
    """Pick-list values are deleted through ``choice_delete``, which refuses values in use."""
    admin = users["admin"]
    used, unused = choice("account_status", "lead"), choice("account_status", "prospect")
    make_account(admin, status=used)
    response = api_for(admin, "en").post(
        "/api/v1/bulk/choices/", {"action": "delete", "ids": [used.pk, unused.pk]}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert [r["id"] for r in response.json()["rejected"]] == [used.pk]
    assert Choice.objects.filter(pk=used.pk).exists()
    assert not Choice.objects.filter(pk=unused.pk).exists()


# --- targets and access -------------------------------------------------------------------------


def test_filter_targets_only_matching_visible_records(users, api_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    mine_haifa = make_account(rep, city="חיפה")
    mine_eilat = make_account(rep, city="אילת")
    theirs_haifa = make_account(rep2, city="חיפה")
    response = post(
        api_for(rep),
        action="update",
        field="notes",
        value="לחזור אליהם",
        filter={"field": "city", "op": "eq", "value": "חיפה"},
    )
    assert response.status_code == 200, response.json()
    assert response.json()["updated"] == 1
    mine_haifa, mine_eilat, theirs_haifa = reload(mine_haifa, mine_eilat, theirs_haifa)
    assert mine_haifa.notes == "לחזור אליהם"
    assert mine_eilat.notes == theirs_haifa.notes == ""


def test_ids_outside_the_actors_scope_are_never_touched(users, api_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    mine, theirs = make_account(rep), make_account(rep2)
    response = post(
        api_for(rep, "en"), action="update", field="notes", value="x", ids=[mine.pk, theirs.pk]
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["updated"], body["rejected_count"]) == (1, 1)
    assert body["rejected"][0]["id"] == theirs.pk
    theirs = Account.objects.get(pk=theirs.pk)
    assert (theirs.notes, theirs.version) == ("", 1)
    assert bulk_audits(theirs).count() == 0
    # Only ids the actor may not see: nothing can change, so a 400 that names them.
    only_theirs = post(
        api_for(rep, "en"), action="update", field="notes", value="x", ids=[theirs.pk]
    )
    assert only_theirs.status_code == 400
    assert only_theirs.json() == {"ids": ["No such record, or you may not see it."]}
    assert Account.objects.get(pk=theirs.pk).version == 1


@pytest.mark.parametrize(
    ("role", "action"),
    [("read_only", "update"), ("support_agent", "update"), ("sales_rep", "delete")],
)
def test_role_without_the_grant_gets_403(users, api_for, role, action):
    record = make_account(users["admin"], owner=users["sales_rep"])
    body = {"action": action, "ids": [record.pk]}
    if action == "update":
        body.update(field="notes", value="x")
    response = api_for(users[role]).post(URL, body, format="json")
    assert response.status_code == 403
    assert Account.objects.get(pk=record.pk).version == 1


# --- bad values: 400, nothing written -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "error_key"),
    [
        ({"field": "custom.region", "value": "east"}, "custom_fields.region"),  # not in the list
        ({"field": "custom.region", "value": "west"}, "custom_fields.region"),  # inactive value
        ({"field": "custom.zone", "value": "north"}, "custom_fields.zone"),  # another list's
        ({"field": "custom.score", "value": "many"}, "custom_fields.score"),  # wrong type
        ({"field": "club_joined_on", "value": "31/01/2026"}, "club_joined_on"),  # wrong type
        ({"field": "status", "value": "vip"}, "status"),  # a pick-list takes an id
        ({"field": "name", "value": ""}, "name"),  # required
        ({"field": "no_such_field", "value": 1}, "field"),
        ({"field": "custom.no_such", "value": 1}, "field"),
        ({"field": "version", "value": 9}, "field"),  # not editable
        ({"field": "custom.score"}, "value"),  # no value
        ({"action": "explode"}, "action"),
        ({"action": "add_link", "field": "tags", "value": 999}, "tags"),
        ({"action": "add_tag", "tag": 1}, "action"),  # the tag-only actions are gone
    ],
)
def test_bad_request_is_400_naming_the_field_and_writes_nothing(
    users, api_for, fields, body, error_key
):
    admin = users["admin"]
    record = make_account(admin)
    response = post(api_for(admin, "en"), **{"action": "update", "ids": [record.pk], **body})
    assert response.status_code == 400
    assert error_key in response.json(), response.json()
    assert Account.objects.get(pk=record.pk).version == 1
    assert bulk_audits(record).count() == 0


def test_inactive_owner_is_refused(users, api_for):
    admin = users["admin"]
    record = make_account(admin)
    response = post(
        api_for(admin), action="assign_owner", value=users["inactive"].pk, ids=[record.pk]
    )
    assert response.status_code == 400
    assert "owner" in response.json()
    assert Account.objects.get(pk=record.pk).owner == admin


def test_child_value_of_another_parent_is_refused_when_no_record_fits(users, api_for, fields):
    admin = users["admin"]
    southern = [make_account(admin, custom={"region": "south"}) for _ in range(2)]
    response = post(
        api_for(admin, "en"),
        action="update",
        field="custom.zone",
        value="haifa_bay",
        ids=[r.pk for r in southern],
    )
    assert response.status_code == 400
    assert response.json() == {"custom_fields.zone": ["Haifa Bay does not belong to south."]}
    assert all(r.version == 1 and "zone" not in r.custom for r in reload(*southern))


def test_bad_filter_is_400(users, api_for):
    response = post(
        api_for(users["admin"], "en"),
        action="update",
        field="notes",
        value="x",
        filter={"field": "nope", "op": "eq", "value": 1},
    )
    assert response.status_code == 400
    assert "filter" in response.json()


def test_no_records_chosen_is_400(users, api_for):
    response = post(api_for(users["admin"]), action="update", field="notes", value="x")
    assert response.status_code == 400
    assert "ids" in response.json()


# --- mixed sets: the rest are changed, the rejected reported ------------------------------------


def test_mixed_set_dependent_pick_list(users, api_for, fields):
    admin = users["admin"]
    northern = make_account(admin, custom={"region": "north"})
    southern = make_account(admin, name="Southern", custom={"region": "south"})
    unset = make_account(admin, name="Unset")
    response = post(
        api_for(admin, "en"),
        action="update",
        field="custom.zone",
        value="haifa_bay",
        ids=[northern.pk, southern.pk, unset.pk],
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["updated"], body["rejected_count"]) == (1, 2)
    assert {r["id"]: r["errors"] for r in body["rejected"]} == {
        southern.pk: {"custom_fields.zone": ["Haifa Bay does not belong to south."]},
        unset.pk: {"custom_fields.zone": ["Choose Region first."]},
    }
    assert body["rejected"][0]["record"] == "Southern"
    northern, southern, unset = reload(northern, southern, unset)
    assert northern.custom == {"region": "north", "zone": "haifa_bay"}
    assert southern.custom == {"region": "south"}
    assert southern.version == 1


def test_changing_a_parent_rejects_records_whose_child_no_longer_fits(users, api_for, fields):
    admin = users["admin"]
    with_zone = make_account(admin, custom={"region": "north", "zone": "haifa_bay"})
    without = make_account(admin, custom={"region": "north"})
    response = post(
        api_for(admin, "en"),
        action="update",
        field="custom.region",
        value="south",
        ids=[with_zone.pk, without.pk],
    )
    body = response.json()
    assert (body["updated"], [r["id"] for r in body["rejected"]]) == (1, [with_zone.pk])
    assert reload(without)[0].custom == {"region": "south"}


def test_mixed_set_model_rule(users, api_for):
    """``Account.clean``: only club members have a joining date — checked per record."""
    admin = users["admin"]
    member = make_account(admin, club_member=True)
    outsider = make_account(admin)
    response = post(
        api_for(admin, "en"),
        action="update",
        field="club_joined_on",
        value="2026-01-31",
        ids=[member.pk, outsider.pk],
    )
    body = response.json()
    assert (body["updated"], body["rejected_count"]) == (1, 1)
    assert body["rejected"][0]["errors"] == {
        "club_joined_on": ["Only club members have a joining date."]
    }
    member, outsider = reload(member, outsider)
    assert (str(member.club_joined_on), outsider.club_joined_on) == ("2026-01-31", None)


# --- field rules (REQ CX-3, CX-5, SV-4) and the search index -----------------------------------


def test_field_rules_apply_per_record(users, api_for, fields):
    """Required at a status: clearing the region is refused for VIP records only."""
    admin = users["admin"]
    FieldRule.objects.create(entity="accounts", field="custom.region", required_statuses=["vip"])
    vip = make_account(admin, status=choice("account_status", "vip"), custom={"region": "north"})
    lead = make_account(admin, status=choice("account_status", "lead"), custom={"region": "north"})
    response = post(
        api_for(admin, "en"),
        action="update",
        field="custom.region",
        value="",
        ids=[vip.pk, lead.pk],
    )
    body = response.json()
    assert (body["updated"], [r["id"] for r in body["rejected"]]) == (1, [vip.pk])
    assert body["rejected"][0]["errors"] == {
        "custom_fields.region": ["This field is required at this status."]
    }
    vip, lead = reload(vip, lead)
    assert (vip.custom, lead.custom) == ({"region": "north"}, {})


def test_read_only_field_rule_refuses_the_role(users, api_for, fields):
    rep = users["sales_rep"]
    FieldRule.objects.create(entity="accounts", field="city", read_only_roles=["sales_rep"])
    record = make_account(rep)
    response = post(
        api_for(rep, "en"), action="update", field="city", value="חיפה", ids=[record.pk]
    )
    assert response.status_code == 400
    assert response.json() == {"city": ["You may not change this field."]}
    assert Account.objects.get(pk=record.pk).city == ""


def test_searched_custom_field_is_reindexed(users, api_for):
    admin = users["admin"]
    custom_field("nickname", "text")
    record = make_account(admin, name="Acme", custom={"nickname": "זברה"})
    response = post(
        api_for(admin), action="update", field="custom.nickname", value="ג'ירפה", ids=[record.pk]
    )
    assert response.json()["updated"] == 1
    assert search.search(admin, "גירפה", entities=["accounts"])[0][1] == [record]
    assert search.search(admin, "זברה", entities=["accounts"]) == []


# --- speed: no per-record queries ---------------------------------------------------------------


def _queries_for(api, fields_, records) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = post(
            api, action="update", field="custom.score", value=7, ids=[r.pk for r in records]
        )
    assert response.json()["updated"] == len(records)
    return len(captured)


def test_query_count_does_not_grow_with_the_records(users, api_for, fields):
    admin = users["admin"]
    api = api_for(admin)
    # A rule that reads each record's status: the status is joined, not fetched per record.
    FieldRule.objects.create(entity="accounts", field="custom.score", required_statuses=["vip"])
    lead = choice("account_status", "lead")
    few = [make_account(admin, status=lead) for _ in range(5)]
    many = [make_account(admin, status=lead) for _ in range(50)]
    _queries_for(api, fields, [make_account(admin)])  # warm caches (content types, grants)
    assert _queries_for(api, fields, many) == _queries_for(api, fields, few) <= 16


# --- the worker ---------------------------------------------------------------------------------


@pytest.fixture
def small_inline_limit(settings):
    settings.KESHER_BULK_INLINE_LIMIT = 5
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def test_large_set_becomes_a_job_the_worker_runs(
    users, api_for, fields, small_inline_limit, django_capture_on_commit_callbacks
):
    admin = users["admin"]
    records = [make_account(admin) for _ in range(8)]
    api = api_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(api, action="update", field="custom.score", value=5, filter={})
    assert response.status_code == 202, response.json()
    job_url = response.json()["url"]
    assert response["Location"] == job_url
    assert response.json()["total"] == 8
    progress = api.get(job_url).json()
    assert (progress["status"], progress["done"], progress["updated"], progress["percent"]) == (
        "done",
        8,
        8,
        100,
    )
    assert all(r.custom == {"score": 5} and r.version == 2 for r in reload(*records))
    # Only the job's own actor or an administrator may follow it.
    assert api_for(users["manager"]).get(job_url).status_code == 404
    assert api_for(users["admin"]).get(job_url).status_code == 200


def _job(admin, records, **params) -> BulkJob:
    plan = bulk.bulk_prepare(
        "accounts",
        actor=admin,
        action="update",
        field="custom.score",
        value=params.get("value", 9),
        ids=[r.pk for r in records],
    )
    return BulkJob.objects.create(
        entity="accounts",
        action="update",
        params=plan.params,
        target=plan.targets.as_json(),
        actor=admin,
        total=len(records),
    )


def test_job_progress_advances_chunk_by_chunk(users, fields, monkeypatch):
    admin = users["admin"]
    records = [make_account(admin) for _ in range(12)]
    job = _job(admin, records)
    seen = []
    original = bulk._record_progress

    def spy(job_row, outcome, cursor):
        original(job_row, outcome, cursor)
        seen.append((job_row.done, job_row.status))

    monkeypatch.setattr(bulk, "_record_progress", spy)
    bulk.bulk_job_run(job.pk, chunk_size=5)
    assert seen == [(5, "running"), (10, "running"), (12, "running")]
    job.refresh_from_db()
    assert (job.status, job.done, job.updated, job.percent) == ("done", 12, 12, 100)
    assert job.finished_at is not None


def test_rerun_after_a_crash_does_not_apply_a_chunk_twice(users, fields, monkeypatch):
    admin = users["admin"]
    records = [make_account(admin) for _ in range(12)]
    job = _job(admin, records)
    original = bulk._record_progress
    calls = []

    def crash_on_second_chunk(job_row, outcome, cursor):
        calls.append(cursor)
        if len(calls) == 2:
            # The second chunk's rows are written by now; the crash must roll them back.
            raise RuntimeError("worker killed")
        original(job_row, outcome, cursor)

    monkeypatch.setattr(bulk, "_record_progress", crash_on_second_chunk)
    with pytest.raises(RuntimeError):
        bulk.bulk_job_run(job.pk, chunk_size=5)
    job.refresh_from_db()
    assert (job.status, job.done, job.cursor) == ("failed", 5, records[4].pk)
    assert [r.version for r in reload(*records)] == [2] * 5 + [1] * 7

    monkeypatch.setattr(bulk, "_record_progress", original)
    bulk.bulk_job_run(job.pk, chunk_size=5)
    bulk.bulk_job_run(job.pk, chunk_size=5)  # a duplicate run of a finished job does nothing
    job.refresh_from_db()
    assert (job.status, job.done, job.updated, job.error) == ("done", 12, 12, "")
    assert [r.version for r in reload(*records)] == [2] * 12
    assert all(bulk_audits(r).count() == 1 for r in records)


def test_job_fails_cleanly_when_the_actor_lost_the_grant(users, fields):
    rep = users["sales_rep"]
    records = [make_account(rep) for _ in range(2)]
    job = _job(rep, records)
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    bulk.bulk_job_run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.error
    assert [r.version for r in reload(*records)] == [1, 1]


@pytest.mark.django_db(transaction=True)
def test_a_chunk_reads_the_stamps_once_not_once_per_record(users, fields):
    """Each chunk commits, and its events reach automation's listeners, which read the stamps
    (``kesher.platform.stamps``) for their rules: once per chunk, as in a request."""
    admin = users["admin"]

    def stamp_reads(count: int) -> int:
        job = _job(admin, [make_account(admin) for _ in range(count)])
        with CaptureQueriesContext(connection) as captured:
            bulk.bulk_job_run(job.pk)
        assert BulkJob.objects.get(pk=job.pk).updated == count
        return sum("platform_schemastamp" in q["sql"] for q in captured.captured_queries)

    assert stamp_reads(12) == stamp_reads(3)


def test_stalled_jobs_are_queued_again(users, fields, settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin = users["admin"]
    records = [make_account(admin) for _ in range(3)]
    job = _job(admin, records)
    BulkJob.objects.filter(pk=job.pk).update(
        status="running", heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    bulk.resume_stalled_jobs()
    job.refresh_from_db()
    assert (job.status, job.updated) == ("done", 3)


# --- the page pieces ----------------------------------------------------------------------------


def test_form_partial_offers_the_actors_actions_and_the_fields_value_input(
    users, client_for, fields
):
    rep = users["sales_rep"]
    record = make_account(rep)
    client = client_for(rep)
    response = client.get(
        "/bulk/accounts/",
        {"ids": [record.pk], "action": "update", "field": "custom.zone"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the partial only
    assert 'value="delete"' not in html  # a sales rep may not delete
    assert 'id="bulk-value"' in html
    assert "צפון › מפרץ חיפה" in html  # a dependent value is offered with its parent
    assert f'name="ids" value="{record.pk}"' in html
    assert client_for(users["read_only"]).get("/bulk/accounts/").status_code == 403


def test_page_post_runs_a_small_set_and_shows_the_result(users, client_for):
    admin = users["admin"]
    records = [make_account(admin) for _ in range(2)]
    client = client_for(admin)
    response = client.post(
        "/bulk/accounts/",
        {"ids": [r.pk for r in records], "action": "update", "field": "city", "value": "חיפה"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="bulk-updated"' in response.content.decode()
    assert response.headers["HX-Trigger"].startswith('{"kesher:bulk-done"')
    assert [r.city for r in reload(*records)] == ["חיפה", "חיפה"]


def test_page_delete_needs_confirmation(users, client_for):
    admin = users["admin"]
    record = make_account(admin)
    client = client_for(admin)
    data = {"ids": [record.pk], "action": "delete"}
    refused = client.post("/bulk/accounts/", data, headers={"HX-Request": "true"})
    assert 'id="bulk-form"' in refused.content.decode()
    assert Account.objects.filter(pk=record.pk).exists()
    done = client.post("/bulk/accounts/", {**data, "confirm": "on"}, headers={"HX-Request": "true"})
    assert 'id="bulk-updated"' in done.content.decode()
    assert not Account.objects.filter(pk=record.pk).exists()


def test_page_shows_service_errors_beside_the_value(users, client_for, fields):
    admin = users["admin"]
    record = make_account(admin)
    response = client_for(admin).post(
        "/bulk/accounts/",
        {"ids": [record.pk], "action": "update", "field": "custom.score", "value": "many"},
        headers={"HX-Request": "true", "Accept-Language": "en"},
    )
    html = response.content.decode()
    assert 'id="bulk-form"' in html
    assert "invalid-feedback" in html
    assert Account.objects.get(pk=record.pk).version == 1


def test_page_post_with_the_list_filters_and_search_runs_as_a_job(
    users, client_for, settings, django_capture_on_commit_callbacks
):
    """The list page's selection (search, simple filters, "all matching") reaches the worker."""
    settings.KESHER_BULK_INLINE_LIMIT = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin = users["admin"]
    vip = choice("account_status", "vip")
    hit = make_account(admin, name="Zebra Ltd", status=vip)
    miss_status = make_account(admin, name="Zebra Two")
    miss_name = make_account(admin, name="Other", status=vip)
    data = {
        "filter": "{}",
        "q": "zebra",
        "status": str(vip.pk),
        "action": "update",
        "field": "notes",
        "value": "seen",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(admin).post("/bulk/accounts/", data, headers={"HX-Request": "true"})
    assert 'class="bulk-job' in response.content.decode()
    job = BulkJob.objects.get()
    assert job.target == {
        "filter": {},
        "search_ids": [hit.pk, miss_status.pk],
        "simple": {"status": str(vip.pk)},
    }
    job.refresh_from_db()
    assert (job.status, job.total, job.updated) == ("done", 1, 1)
    assert [r.notes for r in reload(hit, miss_status, miss_name)] == ["seen", "", ""]


def test_hebrew_messages_for_hebrew_requests(users, api_for):
    admin = users["admin"]
    record = make_account(admin)
    response = post(api_for(admin, "he"), action="update", field="name", value="", ids=[record.pk])
    assert response.status_code == 400
    assert response.json() == {"name": ["שדה זה אינו יכול להיות ריק."]}


def test_defaults_filled_into_records_without_custom_values(users, api_for):
    """A record with no custom values gets the fields' defaults with the change, as a single
    edit does (``validate_custom``); it is written whole, not key by key."""
    admin = users["admin"]
    record = make_account(admin)
    custom_field("tier", "text", default="basic")
    custom_field("score", "integer")
    response = post(api_for(admin), action="update", field="custom.score", value=4, ids=[record.pk])
    assert response.json()["updated"] == 1
    record = Account.objects.get(pk=record.pk)
    assert (record.custom, record.version) == ({"score": 4, "tier": "basic"}, 2)
    assert bulk_audits(record).get().changes == {
        "_v": 2,
        "custom_fields.score": [None, 4],
        "custom_fields.tier": [None, "basic"],
    }


def test_records_whose_text_reads_related_records_cost_no_query_each(users, api_for):
    """A relationship's audit text names both ends: they are joined, not fetched per record."""
    from kesher.customers.models import Relationship
    from kesher.customers.tests.factories import make_relationship

    admin = users["admin"]
    accounts = [make_account(admin, name=f"A{i}") for i in range(12)]
    links = [make_relationship(admin, from_account=a, to_account=accounts[0]) for a in accounts[1:]]
    api = api_for(admin)

    def run(chosen, value):
        with CaptureQueriesContext(connection) as captured:
            response = api.post(
                "/api/v1/bulk/relationships/",
                {
                    "action": "update",
                    "field": "notes",
                    "value": value,
                    "ids": [r.pk for r in chosen],
                },
                format="json",
            )
        assert response.json()["updated"] == len(chosen)
        return len(captured)

    run(links[:1], "warm")
    assert run(links[1:3], "x") == run(links[3:], "y")
    content_type = ContentType.objects.get_for_model(Relationship)
    audit = AuditEntry.objects.filter(content_type=content_type, object_id=links[5].pk).first()
    assert audit.object_repr == str(links[5])


def test_job_progress_polls_until_done(users, client_for, fields):
    admin = users["admin"]
    records = [make_account(admin) for _ in range(3)]
    job = _job(admin, records)
    client = client_for(admin)
    running = client.get(f"/bulk/jobs/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in running
    assert 'aria-valuenow="0"' in running
    bulk.bulk_job_run(job.pk)
    finished = client.get(f"/bulk/jobs/{job.pk}/", headers={"HX-Request": "true"})
    html = finished.content.decode()
    assert "every 1s" not in html
    assert 'aria-valuenow="100"' in html
    assert 'id="bulk-updated"' in html
    assert client_for(users["manager"]).get(f"/bulk/jobs/{job.pk}/").status_code == 404


def test_openapi_schema_documents_the_endpoints(api_schema):
    schema = api_schema()
    action = schema["paths"]["/api/v1/bulk/{key}/"]["post"]
    assert {"200", "202", "400", "403"} <= set(action["responses"])
    assert action["requestBody"]["content"]["application/json"]["examples"]
    assert "/api/v1/bulk-jobs/{id}/" in schema["paths"]
