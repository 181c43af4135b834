"""A create form's one-time token (``kesher.platform.ui.once``): the same POST arriving twice — a
double click, or a browser resending it on a connection the server closed — makes one record."""

import re

import pytest
from django.core.cache import cache

from kesher.customers.models import Account, Contact
from kesher.platform import once

pytestmark = pytest.mark.django_db

ACCOUNT = {"kind": "organization", "name": "אלפא", "country": "ישראל"}
TOKEN = re.compile(r'name="submission" value="([0-9a-f]{32})"')


def _token(client, address: str) -> str:
    return TOKEN.search(client.get(address).content.decode()).group(1)


def test_each_create_form_carries_its_own_token_and_an_edit_form_none(users, client_for):
    client = client_for(users["admin"])
    first, second = _token(client, "/r/accounts/new/"), _token(client, "/r/accounts/new/")
    assert first != second
    contact = Contact.objects.create(first_name="דנה", owner=users["admin"])
    assert not TOKEN.search(client.get(f"/r/contacts/{contact.pk}/edit/").content.decode())


def test_a_repeated_create_post_answers_with_the_first_record(users, client_for):
    client = client_for(users["sales_rep"])
    fields = {"first_name": "חדש", "last_name": "לגמרי", "phone": "052-555-1234"}
    fields["submission"] = _token(client, "/r/contacts/new/")
    first = client.post("/r/contacts/new/", fields)
    # The repeat would find the first as a duplicate: it is answered with it instead.
    again = client.post("/r/contacts/new/", fields)
    contact = Contact.objects.get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"] == f"/r/contacts/{contact.pk}/"


def test_a_new_form_creates_again(users, client_for):
    client = client_for(users["admin"])
    for name in ("אלפא", "בטא"):
        token = _token(client, "/r/accounts/new/")
        client.post("/r/accounts/new/", {**ACCOUNT, "name": name, "submission": token})
    assert sorted(Account.objects.values_list("name", flat=True)) == ["אלפא", "בטא"]


def test_a_form_with_errors_frees_its_token_for_the_corrected_post(users, client_for):
    client = client_for(users["admin"])
    token = _token(client, "/r/contacts/new/")
    refused = client.post("/r/contacts/new/", {"email": "not-an-address", "submission": token})
    assert refused.status_code == 200
    assert f'value="{token}"' in refused.content.decode()  # shown again with the same token
    assert not Contact.objects.exists()
    created = client.post("/r/contacts/new/", {"first_name": "דנה", "submission": token})
    assert created.status_code == 302
    assert Contact.objects.count() == 1


def test_a_service_refusal_frees_the_token(users, client_for, monkeypatch):
    """A refusal the form's fields do not catch (the service's) writes nothing and keeps
    nothing claimed."""
    from django.core.exceptions import ValidationError

    from kesher.platform.registry import registry

    entity = registry.get("accounts")

    def refuse(**kwargs):
        raise ValidationError("no")

    monkeypatch.setattr(entity, "create_service", refuse)
    client = client_for(users["admin"])
    token = _token(client, "/r/accounts/new/")
    assert client.post("/r/accounts/new/", {**ACCOUNT, "submission": token}).status_code == 200
    assert not once.is_repeat(token)


def test_a_repeat_while_the_first_still_saves_waits_for_it(users, monkeypatch):
    """The repeat arrives before the first has finished: it waits and answers with its record."""
    token = once.new_token()
    assert once.claim(token)
    account = Account.objects.create(name="אלפא", owner=users["admin"])
    waits = []

    def first_finishes(seconds):  # the first POST saves while the repeat sleeps
        waits.append(seconds)
        once.settle(token, account.pk)

    monkeypatch.setattr(once.time, "sleep", first_finishes)
    assert once.earlier(token, Account.objects.all()) == account
    assert len(waits) == 1


def test_a_repeat_gives_up_with_a_message_when_the_first_never_finishes(users, monkeypatch):
    monkeypatch.setattr(once, "_WAIT_SECONDS", 0.2)
    token = once.new_token()
    assert once.claim(token)
    with pytest.raises(once.StillSaving):
        once.earlier(token, Account.objects.all())


def test_only_a_well_formed_token_is_used(rf):
    for value in ("", "x" * 31, "'; DROP TABLE kesher_cache; --" + "x" * 3, "<script>" * 4):
        assert once.token(rf.post("/", {"submission": value})) == ""
    assert once.token(rf.post("/", {"submission": "a" * 32})) == "a" * 32
    assert once.token(rf.get("/", {"submission": "a" * 32})) == ""


@pytest.fixture(autouse=True)
def _clear_tokens():
    yield
    cache.clear()


CONTACTS = "/api/v1/contacts/"


def test_an_api_create_sent_again_with_its_key_answers_with_the_first(users, api_for):
    client = api_for(users["sales_rep"])
    body = {"first_name": "דנה", "phone": "052-555-1234"}
    first = client.post(CONTACTS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    again = client.post(CONTACTS, body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    contact = Contact.objects.get()
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.data["id"] == again.data["id"] == contact.pk
    assert again["Idempotent-Replayed"] == "true"
    other = client.post(
        CONTACTS, {"first_name": "רון"}, format="json", HTTP_IDEMPOTENCY_KEY="retry-2"
    )
    assert other.status_code == 201
    assert Contact.objects.count() == 2


def test_a_key_is_the_callers_own(users, api_for):
    """Another caller's same key is another key: it never answers with a record of someone
    else's request."""
    body = {"first_name": "דנה"}
    api_for(users["admin"]).post(CONTACTS, body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    theirs = api_for(users["sales_rep"]).post(
        CONTACTS, {"first_name": "רון"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert theirs.status_code == 201
    assert theirs.data["first_name"] == "רון"


def test_a_failed_create_frees_its_key(users, api_for):
    client = api_for(users["admin"])
    refused = client.post(
        CONTACTS, {"email": "not-an-address"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert refused.status_code == 400
    created = client.post(CONTACTS, {"first_name": "דנה"}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert created.status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "מפתח", "a\u200fb", "line\nbreak"])
def test_a_bad_key_is_refused_with_nothing_written(users, api_for, key):
    response = api_for(users["admin"]).post(
        CONTACTS, {"first_name": "דנה"}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.data
    assert not Contact.objects.exists()


def test_the_schema_declares_the_key_and_the_replay(api_schema):
    operation = api_schema()["paths"][CONTACTS]["post"]
    assert "Idempotency-Key" in [p["name"] for p in operation["parameters"]]
    assert "Idempotent-Replayed" in operation["responses"]["200"]["headers"]
