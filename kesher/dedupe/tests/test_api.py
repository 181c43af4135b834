"""The duplicates API: merge, queue, dismiss, scans; access and bad input (REQ IM-3)."""

import pytest

from kesher.customers.models import Contact
from kesher.customers.tests.factories import make_account, make_contact
from kesher.dedupe.models import DuplicatePair

pytestmark = pytest.mark.django_db

MERGE = "/api/v1/merge/contacts/"


def test_merge_with_itself_is_400(users, api_for):
    dana = make_contact(users["admin"], first_name="דנה")
    response = api_for(users["admin"], "en").post(
        MERGE, {"winner": dana.pk, "loser": dana.pk}, format="json"
    )
    assert response.status_code == 400
    assert "itself" in str(response.data["loser"])


def test_merge_with_a_record_of_another_entity_is_404(users, api_for):
    dana = make_contact(users["admin"], first_name="דנה")
    account = make_account(users["admin"], name="x")
    Contact.objects.filter(pk=account.pk).exclude(pk=dana.pk).delete()
    response = api_for(users["admin"]).post(
        MERGE, {"winner": dana.pk, "loser": account.pk + 1000}, format="json"
    )
    assert response.status_code == 404
    assert Contact.objects.filter(pk=dana.pk).exists()


def test_stale_version_is_409_and_nothing_changes(users, api_for):
    a = make_contact(users["admin"], first_name="א")
    b = make_contact(users["admin"], first_name="ב")
    response = api_for(users["admin"]).post(
        MERGE, {"winner": a.pk, "loser": b.pk, "loser_version": 7}, format="json"
    )
    assert response.status_code == 409
    assert Contact.objects.count() == 2


@pytest.mark.parametrize(
    "body",
    [
        {"winner": "x", "loser": 1},
        {"loser": 1},
        {"winner": 1, "loser": 2, "fields": ["phone"]},
        {"winner": 1, "loser": 2, "fields": {"<script>": "loser"}},
    ],
)
def test_bad_bodies_are_400_in_hebrew(users, api_for, body):
    a = make_contact(users["admin"], first_name="א")
    b = make_contact(users["admin"], first_name="ב")
    if body.get("winner") == 1:
        body = {**body, "winner": a.pk, "loser": b.pk}
    response = api_for(users["admin"]).post(MERGE, body, format="json")
    assert response.status_code == 400
    assert any("\u0590" <= ch <= "\u05ff" for ch in str(response.data))
    assert Contact.objects.count() == 2


def test_rep_cannot_merge_and_manager_gets_404_outside_scope(users, api_for):
    a = make_contact(users["sales_rep"], first_name="א")
    b = make_contact(users["sales_rep2"], first_name="ב")
    rep = api_for(users["sales_rep"]).post(MERGE, {"winner": a.pk, "loser": b.pk}, format="json")
    assert rep.status_code == 403
    manager = api_for(users["manager"]).post(MERGE, {"winner": a.pk, "loser": b.pk}, format="json")
    assert manager.status_code == 404
    assert Contact.objects.count() == 2


def test_queue_scan_and_dismiss(users, api_for):
    api = api_for(users["admin"])
    make_contact(users["admin"], first_name="א", phone="0525551234")
    make_contact(users["admin"], first_name="ב", phone="0525551234")
    scan = api.post("/api/v1/duplicates/contacts/scan/")
    assert scan.status_code == 200
    assert scan.data["status"] == "done"
    assert api.get(scan.data["url"]).data["found"] == 1
    queue = api.get("/api/v1/duplicates/contacts/").data
    assert len(queue["results"]) == 1
    assert queue["results"][0]["reasons"] == ["phone"]
    pair_id = queue["results"][0]["id"]
    dismissed = api.post(f"/api/v1/duplicates/pairs/{pair_id}/dismiss/")
    assert dismissed.status_code == 200
    assert DuplicatePair.objects.get().status == "dismissed"
    again = api.post(f"/api/v1/duplicates/pairs/{pair_id}/dismiss/")
    assert again.status_code == 400  # already handled
    assert api.get("/api/v1/duplicates/contacts/").data["results"] == []
