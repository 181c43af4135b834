"""The approvals API (REQ AU-3; issue 5 item 5): processes through the generic entity API,
requests started, decided and cancelled, the lock answered with a clear 400."""

import pytest

from kesher.approvals.models import ApprovalProcess, ApprovalRequest
from kesher.approvals.services import approval_start
from kesher.customers.models import Account
from kesher.customers.services import account_create

pytestmark = pytest.mark.django_db

REQUESTS = "/api/v1/approval-requests/"


@pytest.fixture
def process(make_process, users):
    return make_process({"approver": "manager"}, {"approver": "user", "user": users["admin"].pk})


def _start(api_for, users, process, account):
    return api_for(users["sales_rep"]).post(
        REQUESTS,
        {"process": process.pk, "link_type": "accounts", "link_id": account.pk},
        format="json",
    )


def test_au3_admin_defines_a_process_through_the_api(api_for, users):
    response = api_for(users["admin"]).post(
        "/api/v1/approval-processes/",
        {
            "name_he": "אישור חוזה",
            "entity": "accounts",
            "mode": "parallel",
            "steps": [{"approver": "manager"}, {"approver": "role", "role": "admin"}],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert ApprovalProcess.objects.get(entity="accounts").steps[1] == {
        "approver": "role",
        "role": "admin",
    }


@pytest.mark.parametrize(("language", "word"), [("he", "שלב"), ("en", "Step")])
def test_au3_bad_steps_answer_400_in_the_callers_language(api_for, users, language, word):
    response = api_for(users["admin"], language).post(
        "/api/v1/approval-processes/",
        {"name_he": "x", "entity": "accounts", "steps": [{"approver": "nobody"}]},
        format="json",
    )
    assert response.status_code == 400
    assert word in response.json()["steps"][0]
    assert not ApprovalProcess.objects.filter(entity="accounts").exists()  # quotes' is seeded


def test_au3_start_decide_and_approve_through_the_api(api_for, users, account, process):
    response = _start(api_for, users, process, account)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert [d["active"] for d in body["decisions"]] == [True, False]
    url = f"{REQUESTS}{body['id']}/"

    waiting = api_for(users["manager"]).get(REQUESTS, {"waiting": "me"}).json()
    assert [r["id"] for r in waiting["results"]] == [body["id"]]
    assert api_for(users["admin"]).get(REQUESTS, {"waiting": "me"}).json()["count"] == 0

    manager = api_for(users["manager"])
    etag = manager.get(url)["ETag"]
    response = manager.post(
        f"{url}decide/",
        {"decision": "approve", "comment": "מאושר"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.json()
    assert response.json()["decisions"][0]["decided_by"] == users["manager"].pk

    response = api_for(users["admin"]).post(
        f"{url}decide/", {"decision": "approve", "version": 2}, format="json"
    )
    assert response.json()["status"] == "approved"


def test_au3_wrong_approver_gets_403_and_nothing_changes(api_for, users, account, process):
    request_id = _start(api_for, users, process, account).json()["id"]
    response = api_for(users["sales_rep"], "en").post(
        f"{REQUESTS}{request_id}/decide/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 403
    assert "approver" in response.json()["detail"]
    assert ApprovalRequest.objects.get().version == 1


def test_au3_stale_decision_answers_409(api_for, users, account, process):
    request_id = _start(api_for, users, process, account).json()["id"]
    response = api_for(users["manager"]).post(
        f"{REQUESTS}{request_id}/decide/", {"decision": "approve", "version": 7}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["current_version"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({}, "decision"),
        ({"decision": "approve", "comment": "x" * 2001}, "comment"),
        ({"decision": "approve", "version": "abc"}, "version"),
    ],
)
def test_au3_bad_decisions_answer_400(api_for, users, account, process, body, field):
    request_id = _start(api_for, users, process, account).json()["id"]
    response = api_for(users["manager"]).post(
        f"{REQUESTS}{request_id}/decide/", body, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert ApprovalRequest.objects.get().version == 1


def test_au3_hostile_comment_is_returned_as_plain_text(api_for, users, account, process):
    request_id = _start(api_for, users, process, account).json()["id"]
    response = api_for(users["manager"]).post(
        f"{REQUESTS}{request_id}/decide/",
        {"decision": "reject", "comment": "<script>alert('x')</script>"},
        format="json",
    )
    assert response.json()["decisions"][0]["comment"] == "<script>alert('x')</script>"


def test_au3_bad_starts_answer_400(api_for, users, account, other_account, process):
    api = api_for(users["sales_rep"])
    for body, field in (
        ({"process": process.pk, "link_type": "planets", "link_id": account.pk}, "link_type"),
        ({"process": process.pk, "link_type": "accounts", "link_id": other_account.pk}, "link_id"),
        ({"process": 999999, "link_type": "accounts", "link_id": account.pk}, "process"),
        ({"link_type": "accounts", "link_id": account.pk}, "process"),
    ):
        response = api.post(REQUESTS, body, format="json")
        assert response.status_code == 400, body
        assert field in response.json(), response.json()
    assert _start(api_for, users, process, account).status_code == 201
    again = _start(api_for, users, process, account)
    assert again.status_code == 400
    assert "non_field_errors" in again.json()
    assert ApprovalRequest.objects.count() == 1


def test_au3_read_only_user_may_not_start(api_for, users, account, process):
    response = api_for(users["read_only"]).post(
        REQUESTS,
        {"process": process.pk, "link_type": "accounts", "link_id": account.pk},
        format="json",
    )
    assert response.status_code == 403
    assert not ApprovalRequest.objects.exists()


def test_au3_locked_record_patch_answers_400_and_writes_nothing(api_for, users, account, process):
    _start(api_for, users, process, account)
    for language, word in (("he", "אישור"), ("en", "approval")):
        response = api_for(users["sales_rep"], language).patch(
            f"/api/v1/accounts/{account.pk}/", {"name": "שם אחר"}, format="json"
        )
        assert response.status_code == 400
        assert word in response.json()["non_field_errors"][0]
    response = api_for(users["admin"]).delete(f"/api/v1/accounts/{account.pk}/")
    assert response.status_code == 400
    stored = Account.objects.get(pk=account.pk)
    assert (stored.name, stored.version) == ("אלפא מערכות", account.version)


def test_au3_cancel_through_the_api(api_for, users, account, process):
    request_id = _start(api_for, users, process, account).json()["id"]
    url = f"{REQUESTS}{request_id}/cancel/"
    assert api_for(users["manager"]).post(url, {}, format="json").status_code == 403
    response = api_for(users["sales_rep"]).post(url, {"comment": "בטעות"}, format="json")
    assert response.json()["status"] == "cancelled"
    response = api_for(users["sales_rep"]).patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "שם אחר"}, format="json"
    )
    assert response.status_code == 200


def test_au3_requests_are_scoped_to_the_records_one_sees(
    api_for, users, account, other_account, make_process
):
    process = make_process({"approver": "role", "role": "support_agent"})
    mine = approval_start(process_id=process.pk, record=account, actor=users["sales_rep"])
    theirs = approval_start(process_id=process.pk, record=other_account, actor=users["sales_rep2"])
    listed = api_for(users["sales_rep"]).get(REQUESTS).json()
    assert [r["id"] for r in listed["results"]] == [mine.pk]
    assert api_for(users["sales_rep"]).get(f"{REQUESTS}{theirs.pk}/").status_code == 404
    response = api_for(users["sales_rep"]).post(
        f"{REQUESTS}{theirs.pk}/decide/", {"decision": "approve"}, format="json"
    )
    assert response.status_code == 404
    assert api_for(users["admin"]).get(REQUESTS).json()["count"] == 2
    assert api_for(None).get(REQUESTS).status_code in (401, 403)


def test_au3_request_list_queries_do_not_grow(
    api_for, users, managed, make_process, django_assert_num_queries, django_assert_max_num_queries
):
    process = make_process({"approver": "manager"}, {"approver": "role", "role": "admin"})
    rep = users["sales_rep"]

    def grow(count):
        for i in range(count):
            record = account_create(actor=rep, data={"name": f"חשבון {i}", "owner": rep})
            approval_start(process_id=process.pk, record=record, actor=rep)

    api = api_for(users["manager"])
    grow(3)
    api.get(REQUESTS)
    with django_assert_max_num_queries(12) as small:
        assert api.get(REQUESTS).json()["count"] == 3
        assert api.get(REQUESTS, {"waiting": "me"}).json()["count"] == 3
    grow(12)
    with django_assert_num_queries(len(small.captured_queries)):
        assert api.get(REQUESTS).json()["count"] == 15
        assert api.get(REQUESTS, {"waiting": "me"}).json()["count"] == 15


def test_au3_api_is_in_the_openapi_schema(api_schema):
    schema = api_schema()
    paths = schema["paths"]
    assert "/api/v1/approval-processes/" in paths
    assert "/api/v1/approval-requests/" in paths
    decide = paths["/api/v1/approval-requests/{id}/decide/"]["post"]
    assert decide["requestBody"]["content"]["application/json"]["examples"]
    start = paths["/api/v1/approval-requests/"]["post"]
    assert start["requestBody"]["content"]["application/json"]["examples"]


def test_au3_process_names_are_checked_and_kept_as_text(api_for, client_for, users):
    api = api_for(users["admin"])
    too_long = api.post(
        "/api/v1/approval-processes/",
        {"name_he": "א" * 201, "entity": "accounts", "steps": [{"approver": "manager"}]},
        format="json",
    )
    assert too_long.status_code == 400
    assert "name_he" in too_long.json()
    wrong_entity = api.post(
        "/api/v1/approval-processes/",
        {"name_he": "x", "entity": "planets", "steps": [{"approver": "manager"}]},
        format="json",
    )
    assert wrong_entity.status_code == 400
    assert "entity" in wrong_entity.json()
    hostile = api.post(
        "/api/v1/approval-processes/",
        {
            "name_he": "<script>x</script>",
            "entity": "accounts",
            "steps": '[{"approver": "manager"}]',
        },
        format="json",
    )
    assert hostile.status_code == 201
    assert ApprovalProcess.objects.get(entity="accounts").name_he == "<script>x</script>"
    page = client_for(users["admin"]).get(f"/r/approval-processes/{hostile.json()['id']}/")
    assert page.status_code == 200
    assert "&lt;script&gt;x&lt;/script&gt;" in page.content.decode()
    assert "<script>x</script>" not in page.content.decode()
