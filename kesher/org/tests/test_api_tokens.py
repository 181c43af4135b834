"""Personal API tokens: made by ``manage.py create_api_token`` or on the profile page, shown
once, stored only as a hash, refused when revoked, unknown or of an inactive user (REQ OR-5;
DESIGN.md "API conventions")."""

import hashlib
import io
import json
import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from kesher.customers.tests.factories import make_account
from kesher.org.models import ApiToken
from kesher.org.services import api_token_create, api_token_revoke
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db


def create_token_by_command(username: str, *args) -> str:
    out = io.StringIO()
    call_command("create_api_token", username, *args, stdout=out)
    return out.getvalue().strip()


def token_client(key: str) -> APIClient:
    return APIClient(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")


def test_command_prints_a_key_that_authenticates_as_the_user(users):
    rep = users["sales_rep"]
    mine = make_account(rep, name="Mine")
    make_account(users["sales_rep2"], name="Theirs")
    key = create_token_by_command("rep1", "--name", "integration")
    assert len(key) >= 40
    response = token_client(key).get("/api/v1/accounts/")
    assert response.status_code == 200
    # The token acts as its user, with the user's record scope (REQ OR-3).
    assert [r["id"] for r in response.json()["results"]] == [mine.pk]
    token = ApiToken.objects.get(user=rep)
    assert token.name == "integration"
    assert token.last_used_at is not None


def test_token_writes_are_audited_as_the_user(users):
    key = create_token_by_command("rep1")
    response = token_client(key).post("/api/v1/accounts/", {"name": "By token"}, format="json")
    assert response.status_code == 201, response.content
    entry = AuditEntry.objects.get(object_id=response.json()["id"], action="create")
    assert entry.actor == users["sales_rep"]


def test_only_the_hash_of_the_key_is_stored(users):
    key = create_token_by_command("rep1")
    token = ApiToken.objects.get()
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:8]
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert key not in stored
    audit = json.dumps(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert key not in audit


def test_unknown_token_is_401(users):
    response = token_client("not-a-real-key-" + "x" * 30).get("/api/v1/accounts/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_missing_credentials_are_401(users):
    response = APIClient().get("/api/v1/accounts/")
    assert response.status_code == 401
    assert "results" not in response.json()


def test_revoked_token_is_401(users):
    token, key = api_token_create(user=users["sales_rep"], name="old")
    assert token_client(key).get("/api/v1/accounts/").status_code == 200
    api_token_revoke(token, actor=users["sales_rep"])
    assert token_client(key).get("/api/v1/accounts/").status_code == 401


def test_token_of_a_user_made_inactive_is_401(users):
    rep = users["sales_rep"]
    _token, key = api_token_create(user=rep, name="x")
    rep.is_active = False
    rep.save(update_fields=["is_active"])
    response = token_client(key).get("/api/v1/accounts/")
    assert response.status_code == 401


def test_command_refuses_unknown_and_inactive_users(users):
    with pytest.raises(CommandError):
        create_token_by_command("nobody")
    with pytest.raises(CommandError):
        create_token_by_command("gone1")
    assert not ApiToken.objects.exists()


def test_last_used_is_written_at_most_once_a_minute(users):
    token, key = api_token_create(user=users["sales_rep"], name="busy")
    client = token_client(key)
    client.get("/api/v1/accounts/")
    token.refresh_from_db()
    first_use = token.last_used_at
    client.get("/api/v1/accounts/")
    token.refresh_from_db()
    assert token.last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - timedelta(minutes=5))
    client.get("/api/v1/accounts/")
    token.refresh_from_db()
    assert token.last_used_at >= first_use


def test_profile_page_shows_a_new_key_once_and_revokes_it(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    response = client.post("/profile/", {"action": "token", "name": "laptop"})
    assert response.status_code == 200
    token = ApiToken.objects.get(user=rep)
    html = response.content.decode()
    keys = [k for k in _candidate_keys(html) if token.key_hash == _sha256(k)]
    assert len(keys) == 1
    # The key is not shown again.
    assert keys[0] not in client.get("/profile/").content.decode()
    assert token_client(keys[0]).get("/api/v1/accounts/").status_code == 200
    assert client.post(f"/profile/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_client(keys[0]).get("/api/v1/accounts/").status_code == 401


def test_another_users_token_cannot_be_revoked(users, client_for):
    token, _key = api_token_create(user=users["sales_rep"], name="mine")
    response = client_for(users["sales_rep2"]).post(f"/profile/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _candidate_keys(html: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9_\-]{40,}", html))
