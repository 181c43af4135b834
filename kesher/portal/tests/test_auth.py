"""Portal users: invited by staff, their own sign-in, reset, second factor, throttle, and the
wall between a portal session and a staff one (REQ OR-2, OR-5; decision 0079)."""

import re

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core.exceptions import ValidationError
from django.test import Client

from kesher.customers.tests.factories import make_contact
from kesher.integrations.models import OutgoingMessage
from kesher.portal.auth import password_link_path
from kesher.portal.models import PortalUser
from kesher.portal.services import portal_invite, portal_revoke, portal_totp_enable
from kesher.portal.tests.conftest import PORTAL_PASSWORD

pytestmark = pytest.mark.django_db


def _sign_in(client, email, password=PORTAL_PASSWORD):
    return client.post("/portal/sign-in/", {"email": email, "password": password})


def _code(secret):
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


def test_invitation_mails_a_link_that_sets_the_password_once(users):
    rep = users["sales_rep"]
    contact = make_contact(rep, first_name="רותי", email="Ruti@Example.co.il")
    portal_user = portal_invite(contact, actor=rep)
    assert portal_user.email == "ruti@example.co.il"
    assert not portal_user.has_password
    message = OutgoingMessage.objects.get(to__icontains="ruti@example.co.il")
    link = re.search(r"/portal/password/[^\"/]+/[^\"/]+/", message.body_html).group(0)
    client = Client()
    assert client.get(link).status_code == 200
    response = client.post(link, {"password": PORTAL_PASSWORD, "confirm": PORTAL_PASSWORD})
    assert response.status_code == 302
    assert client.get(link).status_code == 400  # used: the password changed
    assert _sign_in(client, "ruti@example.co.il").url == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_invitation_is_suppressed_in_the_practice_environment(users, settings):
    settings.KESHER_PRACTICE = True
    contact = make_contact(users["sales_rep"], first_name="רותי", email="ruti@example.co.il")
    portal_invite(contact, actor=users["sales_rep"])
    message = OutgoingMessage.objects.get(to__icontains="ruti@example.co.il")
    assert message.status == OutgoingMessage.Status.SUPPRESSED


def test_an_invitation_needs_an_address_no_other_contact_uses(users, world):
    rep = users["sales_rep"]
    nameless = make_contact(rep, first_name="בלי")
    with pytest.raises(ValidationError) as error:
        portal_invite(nameless, actor=rep)
    assert "email" in error.value.message_dict
    other = make_contact(rep, first_name="אחר", email="dana@a.example")
    with pytest.raises(ValidationError):
        portal_invite(other, actor=rep)
    assert PortalUser.objects.count() == 2


def test_a_weak_or_mismatched_password_is_refused(world):
    client = Client()
    link = password_link_path(world["portal_a"])
    response = client.post(link, {"password": "123", "confirm": "123"})
    assert response.status_code == 200
    assert "form-control" in response.content.decode()
    response = client.post(link, {"password": "Abc-def-2026!", "confirm": "Abc-def-2027!"})
    world["portal_a"].refresh_from_db()
    assert world["portal_a"].check_password(PORTAL_PASSWORD)


def test_a_portal_session_never_reaches_a_staff_page_or_the_staff_api(world, portal_for):
    client = portal_for(world["portal_a"])
    assert client.get("/portal/").status_code == 200
    for url in ("/", "/r/contacts/", f"/r/accounts/{world['a'].pk}/", "/search/?q=x"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response.url, url
    for url in ("/api/v1/contacts/", "/api/v1/tickets/", "/api/v1/portal-users/"):
        assert client.get(url).status_code in (401, 403), url


def test_a_staff_session_is_never_a_portal_session(users, world):
    client = Client()
    client.force_login(users["admin"])
    response = client.get("/portal/tickets/")
    assert response.status_code == 302
    assert response.url.startswith("/portal/sign-in/")
    # Even a session that holds both (a staff sign-in after a portal one) is no portal session.
    from kesher.portal.tests.conftest import portal_client

    both = portal_client(world["portal_a"])
    both.force_login(users["admin"])
    assert both.get("/portal/").status_code == 302


def test_signing_in_to_the_portal_ends_a_staff_session(users, world):
    client = Client()
    client.force_login(users["admin"])
    _sign_in(client, "dana@a.example")
    assert client.get("/portal/").status_code == 200
    assert client.get("/").status_code == 302


def test_sign_in_is_throttled_as_the_staff_sign_in(world):
    client = Client()
    for _attempt in range(5):
        response = _sign_in(client, "dana@a.example", "wrong")
        assert response.status_code == 200
    response = _sign_in(client, "dana@a.example")
    assert response.status_code == 200
    assert "יותר מדי ניסיונות" in response.content.decode()
    assert client.get("/portal/").status_code == 302


def test_an_unknown_address_and_a_wrong_password_read_alike(world):
    client = Client()
    one = _sign_in(client, "nobody@a.example").content.decode()
    two = _sign_in(client, "dana@a.example", "wrong").content.decode()
    assert "alert-danger" in one
    assert "alert-danger" in two


def test_revoking_ends_the_sessions_and_the_sign_in(users, world, portal_for):
    client = portal_for(world["portal_a"])
    assert client.get("/portal/").status_code == 200
    portal_revoke(world["portal_a"], actor=users["sales_rep"])
    assert client.get("/portal/").status_code == 302
    assert _sign_in(Client(), "dana@a.example").status_code == 200  # the form again
    # Invited again, he sets a new password.
    again = portal_invite(world["dana"], actor=users["sales_rep"])
    assert again.is_active
    assert not again.has_password


def test_a_password_reset_mails_only_a_portal_user(world):
    client = Client()
    before = OutgoingMessage.objects.count()
    client.post("/portal/password/reset/", {"email": "nobody@a.example"})
    assert OutgoingMessage.objects.count() == before
    response = client.post("/portal/password/reset/", {"email": "DANA@a.example"})
    assert response.status_code == 302
    assert OutgoingMessage.objects.count() == before + 1


def test_two_factor_sign_in(world):
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    secret = generate_totp_secret()
    with pytest.raises(ValidationError):
        portal_totp_enable(world["portal_a"], secret=secret, code="000000")
    portal_totp_enable(world["portal_a"], secret=secret, code=_code(secret))
    client = Client()
    response = _sign_in(client, "dana@a.example")
    assert response.url == "/portal/sign-in/code/"
    assert client.get("/portal/").status_code == 302  # not yet
    assert client.post("/portal/sign-in/code/", {"code": "000000"}).status_code == 200
    response = client.post("/portal/sign-in/code/", {"code": _code(secret)})
    assert response.status_code == 302
    assert client.get("/portal/").status_code == 200


def test_the_security_page_turns_the_second_factor_on(world, portal_for):
    client = portal_for(world["portal_a"])
    page = client.get("/portal/security/")
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    secret = client.session["_portal_totp_secret"]
    response = client.post("/portal/security/", {"code": _code(secret)})
    assert response.status_code == 302
    world["portal_a"].refresh_from_db()
    assert world["portal_a"].totp_secret == secret
    assert client.get("/portal/").status_code == 200  # this session stays signed in


def test_staff_invite_and_revoke_from_the_contact_page(users, client_for):
    rep = users["sales_rep"]
    contact = make_contact(rep, first_name="רותי", email="ruti@example.co.il")
    client = client_for(rep)
    page = client.get(f"/r/contacts/{contact.pk}/").content.decode()
    assert 'id="portal-invite"' in page
    client.post(f"/portal-access/contacts/{contact.pk}/invite/")
    assert PortalUser.objects.get(contact=contact).is_active
    assert 'id="portal-revoke"' in client.get(f"/r/contacts/{contact.pk}/").content.decode()
    client.post(f"/portal-access/contacts/{contact.pk}/revoke/")
    assert not PortalUser.objects.get(contact=contact).is_active
    # Another rep's contact is not his to invite.
    other = make_contact(users["sales_rep2"], first_name="זר", email="zar@example.co.il")
    assert client.post(f"/portal-access/contacts/{other.pk}/invite/").status_code == 404
    assert not PortalUser.objects.filter(contact=other).exists()


def test_staff_api_invites_lists_and_revokes(users, api_for):
    rep = users["sales_rep"]
    contact = make_contact(rep, first_name="רותי", email="ruti@example.co.il")
    api = api_for(rep)
    response = api.post("/api/v1/portal-users/", {"contact": contact.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "ruti@example.co.il"
    assert [u["contact"] for u in api.get("/api/v1/portal-users/").json()] == [contact.pk]
    pk = response.json()["id"]
    response = api.post(f"/api/v1/portal-users/{pk}/revoke/")
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    other = make_contact(users["sales_rep2"], first_name="זר", email="zar@example.co.il")
    response = api.post("/api/v1/portal-users/", {"contact": other.pk}, format="json")
    assert response.status_code == 400
    assert "contact" in response.json()
    nameless = make_contact(rep, first_name="בלי")
    response = api.post("/api/v1/portal-users/", {"contact": nameless.pk}, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    assert (
        api_for(users["read_only"])
        .post("/api/v1/portal-users/", {"contact": contact.pk}, format="json")
        .status_code
        == 403
    )


def test_the_schema_describes_the_staff_api_with_examples(users, api_schema):
    schema = api_schema()
    invite = schema["paths"]["/api/v1/portal-users/"]["post"]
    assert invite["operationId"] == "portal_users_invite"
    assert "examples" in invite["requestBody"]["content"]["application/json"]
    assert "/api/v1/portal-users/{id}/revoke/" in schema["paths"]
