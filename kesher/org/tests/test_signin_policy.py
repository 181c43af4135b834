"""Every way into Kesher goes through the same second factor and throttle (REQ OR-5, issue 24
item 1): the password form by user name or email, a sign-in provider, and the Django admin —
off unless an operator turns it on, and then signing in through Kesher's own page. A role may
require two-factor sign-in: its users set it up before reaching any page or API call."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from conftest import TEST_PASSWORD
from kesher.org.models import Role, User
from kesher.org.services import api_token_create
from kesher.org.tests.test_sso import (  # noqa: F401  (fixtures)
    identity_provider,
    oidc_app,
    provider_sign_in,
)

pytestmark = pytest.mark.django_db

MFA_STEP = "/accounts/2fa/authenticate/"


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["conftest._QuickPBKDF2", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def signed_in_user_id(client: Client):
    return client.session.get("_auth_user_id")


def password_sign_in(client: Client, login: str):
    return client.post("/accounts/login/", {"login": login, "password": TEST_PASSWORD})


def test_the_django_admin_is_off_by_default(users):
    """Its password form would sign a user in with no second factor and no throttle."""
    admin = users["admin"]
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client = Client()
    assert client.get("/django-admin/").status_code == 404
    posted = client.post("/django-admin/login/", {"username": "admin1", "password": TEST_PASSWORD})
    assert posted.status_code == 404
    assert signed_in_user_id(client) is None


@pytest.mark.parametrize(
    "path",
    [
        "password by user name",
        "password by email",
        "django admin",
        "sign-in provider",
    ],
)
def test_every_sign_in_path_stops_at_the_second_factor(
    users,
    settings,
    oidc_app,  # noqa: F811  (the fixture imported above)
    identity_provider,  # noqa: F811
    path,
):
    """A user with an authenticator app is not signed in by any path until he enters its code."""
    settings.KESHER_DJANGO_ADMIN = True
    manager = users["manager"]
    User.objects.filter(pk=manager.pk).update(is_staff=True, is_superuser=True)
    TOTP.activate(manager, generate_totp_secret())
    client = Client()
    if path == "password by user name":
        response = password_sign_in(client, "manager1")
    elif path == "password by email":
        response = password_sign_in(client, "manager1@example.co.il")
    elif path == "django admin":
        # The admin's own form is not offered: its sign-in page and a password POST to it go to
        # Kesher's sign-in, which then asks for the code.
        shown = client.get("/django-admin/login/?next=/django-admin/")
        assert shown.status_code == 302
        assert shown["Location"] == "/accounts/login/?next=%2Fdjango-admin%2F"
        posted = client.post(
            "/django-admin/login/", {"username": "manager1", "password": TEST_PASSWORD}
        )
        assert posted.status_code == 302
        assert posted["Location"].startswith("/accounts/login/")
        assert signed_in_user_id(client) is None
        assert client.get("/django-admin/").status_code == 302  # to the sign-in page
        response = client.post(shown["Location"], {"login": "manager1", "password": TEST_PASSWORD})
    else:
        identity_provider.person = {"sub": "idp-77", "email": "manager1@example.co.il"}
        response = provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert response.status_code == 302
    assert response["Location"] == MFA_STEP
    assert signed_in_user_id(client) is None
    assert client.get("/").status_code == 302
    assert client.get("/api/v1/accounts/").status_code == 401


def test_an_enabled_django_admin_refuses_a_tampered_next_address(users, settings):
    settings.KESHER_DJANGO_ADMIN = True
    shown = Client().get("/django-admin/login/?next=https://evil.example.com/")
    assert shown["Location"] == "/accounts/login/?next=%2Fdjango-admin%2F"


# --- A role that requires two-factor sign-in ------------------------------------------------------


def require_mfa(role_key: str) -> Role:
    role = Role.objects.get(key=role_key)
    role.mfa_required = True
    role.save()
    return role


def test_no_built_in_role_requires_the_second_factor_so_the_demo_signs_in(db):
    assert not Role.objects.filter(mfa_required=True).exists()


def test_a_user_of_a_role_that_requires_it_sets_up_the_second_factor_first(users):
    """Every page and session API call leads to setting it up; the setup pages, signing out and
    the language switch stay open; once set up, everything opens."""
    require_mfa("sales_rep")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert password_sign_in(client, "rep1").status_code == 302
    for url in ("/", "/r/accounts/", "/profile/", "/search/?q=x"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/accounts/2fa/"
    api = client.get("/api/v1/accounts/")
    assert api.status_code == 403
    assert api.json()["detail"] == "Your role requires two-factor sign-in: set it up first."
    assert client.get("/accounts/2fa/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 200
    # Other roles are not affected.
    other = Client()
    password_sign_in(other, "manager1")
    assert other.get("/").status_code == 200

    TOTP.activate(users["sales_rep"], generate_totp_secret())
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/accounts/").status_code == 200


def test_api_tokens_are_not_affected(users):
    """A token is the credential of its own (docs/deploy.md says so)."""
    require_mfa("sales_rep")
    _token, key = api_token_create(user=users["sales_rep"], name="integration")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    assert api.get("/api/v1/accounts/").status_code == 200


def test_requiring_the_second_factor_takes_effect_at_once(users, client_for):
    """Roles are cached per process; the change reaches the next request."""
    client = client_for(users["sales_rep"])
    assert client.get("/").status_code == 200
    require_mfa("sales_rep")
    assert client.get("/").status_code == 302


def test_an_administrator_sets_it_on_a_role_through_the_api(users, api_for):
    role = Role.objects.get(key="sales_rep")
    response = api_for(users["admin"]).patch(
        f"/api/v1/roles/{role.pk}/", {"mfa_required": True}, format="json"
    )
    assert response.status_code == 200, response.content
    role.refresh_from_db()
    assert role.mfa_required
