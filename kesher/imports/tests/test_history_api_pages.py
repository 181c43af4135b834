"""History and users imports through the API and the wizard's pages (REQ IM-1, IM-2; decision
0037)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kesher.activities.models import Interaction
from kesher.customers.tests.factories import make_account
from kesher.imports import services
from kesher.imports.models import ExternalId, ImportJob
from kesher.imports.tests.helpers import csv_bytes

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/"
ROWS = [
    ["מזהה", "לקוח (מזהה ישן)", "סוג", "נושא", "תאריך"],
    ["h1", "A-1", "שיחה", "שיחת היכרות", "03/02/2025 10:30"],
    ["h2", "A-404", "שיחה", "שיחה אבודה", "04/02/2025"],
]


def _account(actor):
    account = make_account(actor, name="אלפא")
    ExternalId.objects.create(
        entity="accounts", record_id=account.pk, source="old-crm", external_id="A-1"
    )
    return account


def test_history_through_the_api(users, api_for):
    rep = users["sales_rep"]
    account = _account(rep)
    api = api_for(rep, "en")
    response = api.post(
        URL,
        {"entity": "interactions", "file": SimpleUploadedFile("h.csv", csv_bytes(ROWS))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    job = response.json()
    keys = {f["key"]: f["kind"] for f in job["fields"]}
    assert keys["about.accounts.external_id"] == "about"
    assert keys["about.contacts.email"] == "about"
    assert keys["occurred_at"] == "datetime"
    mapping = {
        "columns": {
            "0": {"field": "external_id"},
            "1": {"field": "about.accounts.external_id"},
            "2": {"field": "kind"},
            "3": {"field": "subject"},
            "4": {"field": "occurred_at"},
        },
        "source": "old-crm",
        "match": "external_id",
        "skip_invalid": True,
    }
    url = f"{URL}{job['id']}/"
    response = api.put(f"{url}mapping/", {"mapping": mapping, "mode": "upsert"}, format="json")
    assert response.status_code == 200, response.content
    assert api.post(f"{url}check/").status_code == 202
    services.run_job(job["id"])
    issues = api.get(f"{url}issues/").json()["results"]
    assert [(i["row"], i["column"], i["value"]) for i in issues] == [
        (3, "לקוח (מזהה ישן)", "A-404")
    ]
    assert api.post(f"{url}start/").status_code == 202
    services.run_job(job["id"])
    done = api.get(url).json()
    assert (done["status"], done["created"], done["invalid"]) == ("done", 1, 1)
    made = Interaction.objects.get()
    assert (made.link_type, made.link_id, made.subject) == ("accounts", account.pk, "שיחת היכרות")


def test_a_mapping_to_an_about_field_of_an_unknown_entity_is_a_400(users, api_for):
    rep = users["sales_rep"]
    api = api_for(rep, "en")
    job = api.post(
        URL,
        {"entity": "interactions", "file": SimpleUploadedFile("h.csv", csv_bytes(ROWS))},
        format="multipart",
    ).json()
    mapping = {"columns": {"1": {"field": "about.nothing.external_id"}, "2": {"field": "kind"}}}
    response = api.put(f"{URL}{job['id']}/mapping/", {"mapping": mapping}, format="json")
    assert response.status_code == 400
    assert "about.nothing" in str(response.json())


def test_a_rep_gets_403_for_a_users_import(users, api_for):
    api = api_for(users["sales_rep"], "en")
    response = api.post(
        URL,
        {"entity": "users", "file": SimpleUploadedFile("u.csv", csv_bytes([["username"], ["x"]]))},
        format="multipart",
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_the_mapping_page_offers_about_targets_and_shows_unresolved_rows(users, client_for):
    rep = users["sales_rep"]
    _account(rep)
    client = client_for(rep)
    response = client.post(
        reverse("import_upload", args=["interactions"]),
        {"file": SimpleUploadedFile("h.csv", csv_bytes(ROWS))},
    )
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'value="about.accounts.external_id"' in page
    assert 'value="about.contacts.email"' in page
    post = {
        "col-0": "external_id",
        "col-1": "about.accounts.external_id",
        "col-2": "kind",
        "col-3": "subject",
        "col-4": "occurred_at",
        "mode": "upsert",
        "match": "external_id",
        "source": "old-crm",
    }
    assert client.post(response["Location"], post).status_code == 302
    services.run_job(job.pk)
    page = client.get(response["Location"]).content.decode()
    assert "A-404" in page
    assert not Interaction.objects.exists()


def test_users_page_upload_is_only_for_administrators(users, client_for):
    response = client_for(users["sales_rep"]).get(reverse("import_upload", args=["users"]))
    assert response.status_code == 403
    response = client_for(users["admin"]).get(reverse("import_upload", args=["users"]))
    assert response.status_code == 200
