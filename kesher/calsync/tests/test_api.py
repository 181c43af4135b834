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
