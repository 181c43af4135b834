"""Calendar sync's API and pages (decision 0110): bad input is a translated 400 with nothing
written; the password is write-only; the policy is the administrators'."""

from __future__ import annotations

import pytest
from django.utils import translation

from kesher.calsync.models import CalendarConnection, SyncPolicy

pytestmark = pytest.mark.django_db

URL = "/api/v1/calsync/connection/"


def test_the_connection_through_the_api(users, api_for):
    api = api_for(users["sales_rep"])
    assert api.get(URL).status_code == 404
    with translation.override("he"):
        bad = api.put(URL, {"url": "not an address", "username": ""}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"url", "username", "password"}
    assert "כתובת" in bad.json()["url"][0]
    assert not CalendarConnection.objects.exists()
    made = api.put(
        URL,
        {"url": "https://caldav.example.com/dav/", "username": "dana", "password": "s3cret-pw"},
        format="json",
    )
    assert made.status_code == 200, made.content
    assert "password" not in made.json()
    assert "secret" not in made.json()
    assert "s3cret-pw" not in made.content.decode()
    connection = CalendarConnection.objects.get(user=users["sales_rep"])
    assert connection.due_at is not None  # synced at the next tick
    kept = api.put(
        URL, {"url": "https://caldav.example.com/dav/", "username": "dana"}, format="json"
    )
    assert kept.status_code == 200
    connection.refresh_from_db()
    assert connection.secret
    assert "s3cret-pw" not in connection.secret
    assert api.get(URL).json()["username"] == "dana"
    assert api.post(URL + "sync/").status_code == 200
    assert api.delete(URL).status_code == 204
    assert not CalendarConnection.objects.exists()


def test_the_policy_is_the_administrators(users, api_for):
    url = "/api/v1/calsync/policy/"
    assert api_for(users["sales_rep"]).get(url).json()["send_details"] is False
    assert (
        api_for(users["sales_rep"]).put(url, {"send_details": True}, format="json").status_code
        == 403
    )
    admin = api_for(users["admin"])
    assert admin.put(url, {"record_kinds": ["nonsense"]}, format="json").status_code == 400
    answer = admin.put(url, {"send_details": True, "record_kinds": ["accounts"]}, format="json")
    assert answer.status_code == 200
    policy = SyncPolicy.current()
    assert (policy.send_details, policy.record_kinds) == (True, ["accounts"])


def test_the_pages(users, client_for):
    rep = client_for(users["sales_rep"])
    page = rep.get("/calsync/")
    assert page.status_code == 200
    assert "חיבור היומן שלי" in page.content.decode()
    saved = rep.post(
        "/calsync/",
        {
            "action": "save",
            "url": "https://caldav.example.com/dav/",
            "username": "dana",
            "password": "pw",
            "active": "on",
        },
    )
    assert saved.status_code == 302
    assert CalendarConnection.objects.filter(user=users["sales_rep"], active=True).exists()
    assert "עדיין לא" in rep.get("/calsync/").content.decode()  # not synced yet
    assert rep.get("/calsync/policy/").status_code == 403
    admin = client_for(users["admin"])
    assert admin.get("/calsync/policy/").status_code == 200
    admin.post("/calsync/policy/", {"enabled": "on", "send_customer": "on"})
    assert SyncPolicy.current().send_customer is True


CARDS = "/api/v1/calsync/contacts/"


def test_the_address_book_connection_through_the_api(users, api_for):
    from kesher.calsync.models import ContactConnection

    api = api_for(users["sales_rep"])
    assert api.get(CARDS).status_code == 404
    with translation.override("he"):
        bad = api.put(CARDS, {"url": "ftp://x", "username": "", "active": "maybe"}, format="json")
    assert bad.status_code == 400
    assert set(bad.json()) == {"active"}
    with translation.override("he"):
        bad = api.put(CARDS, {"url": "ftp://x", "username": ""}, format="json")
    assert set(bad.json()) == {"url", "username", "password"}
    assert "פנקס" in bad.json()["url"][0]
    refused = api.put(
        CARDS, {"url": "http://169.254.169.254/", "username": "d", "password": "p"}, format="json"
    )
    assert refused.status_code == 400  # the outgoing-address guard (decision 0113)
    assert not ContactConnection.objects.exists()
    # The calendar's password, typed once, serves the address book of the same user name.
    api.put(
        URL,
        {"url": "https://dav.example.com/", "username": "dana", "password": "s3cret-pw"},
        format="json",
    )
    made = api.put(CARDS, {"url": "https://dav.example.com/", "username": "dana"}, format="json")
    assert made.status_code == 200, made.content
    assert "s3cret-pw" not in made.content.decode()
    assert made.json()["addressbook_url"] == ""
    assert api.get(CARDS).json()["username"] == "dana"
    assert api.post(CARDS + "sync/").status_code == 200
    assert api.post(CARDS + "test/", {}, format="json").json()["ok"] is False  # not reachable
    assert api.delete(CARDS).status_code == 204
    assert not ContactConnection.objects.exists()
    assert api.post(CARDS + "sync/").status_code == 400


def test_the_contacts_policy_through_the_api_and_page(users, api_for, client_for):
    url = "/api/v1/calsync/policy/"
    admin = api_for(users["admin"])
    assert admin.put(url, {"contacts_scope": "everything"}, format="json").status_code == 400
    assert admin.put(url, {"contacts_scope": "view"}, format="json").status_code == 400
    answer = admin.put(
        url, {"contacts_scope": "owned", "contacts_from_device": False}, format="json"
    )
    assert answer.status_code == 200
    assert (answer.json()["contacts_scope"], answer.json()["contacts_from_device"]) == (
        "owned",
        False,
    )
    page = client_for(users["admin"])
    page.post("/calsync/policy/", {"enabled": "on", "contacts_scope": "none"})
    assert SyncPolicy.current().contacts_scope == "none"
    rep = client_for(users["sales_rep"]).get("/calsync/").content.decode()
    assert 'id="cards-off"' in rep
    assert "פנקס הכתובות שלי" in rep


def test_the_address_book_part_of_the_page(users, client_for):
    from kesher.calsync.models import ContactConnection

    rep = client_for(users["sales_rep"])
    with translation.override("he"):
        bad = rep.post("/calsync/", {"action": "cards-save", "cards-url": "x"})
    assert bad.status_code == 200
    assert 'data-error-for="cards-username"' in bad.content.decode()
    saved = rep.post(
        "/calsync/",
        {
            "action": "cards-save",
            "cards-url": "https://dav.example.com/",
            "cards-username": "dana",
            "cards-password": "pw",
            "cards-active": "on",
        },
    )
    assert saved.status_code == 302
    assert ContactConnection.objects.filter(user=users["sales_rep"]).exists()
    page = rep.get("/calsync/").content.decode()
    assert 'id="cards-status"' in page
    assert rep.post("/calsync/", {"action": "cards-sync"}).status_code == 302
    rep.post("/calsync/", {"action": "cards-disconnect"})
    assert not ContactConnection.objects.exists()
