"""Google, Microsoft and OpenID Connect sign-in (REQ OR-5): an administrator switches providers
on in Kesher's "Sign-in providers" screen; a provider sign-in reaches only an existing, active
user whose email the provider confirms.

The flows run against a small fake identity provider served on 127.0.0.1 (discovery document,
authorize, token, userinfo; and Microsoft's authorize/token/Graph endpoints), so allauth makes
real HTTP calls and nothing leaves the machine.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import jwt
import pytest
import requests
from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client

from conftest import TEST_PASSWORD
from kesher.org.models import User
from kesher.org.sso import sign_in_provider_save
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

CLIENT_ID = "kesher-test-client"
CLIENT_SECRET = "fake-provider-secret-for-kesher-tests-0001"


# --- A fake identity provider ---------------------------------------------------------------------


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


class FakeIdentityProvider:
    """OpenID Connect (and Microsoft's OAuth endpoints plus Graph's /me) in one WSGI app.

    ``person`` is whoever "signs in" at the provider next. The token endpoint checks the client
    secret, the redirect URI and the PKCE verifier, as a real provider does.
    """

    def __init__(self):
        self.person: dict = {}
        self._codes: dict[str, dict] = {}
        self._tokens: dict[str, dict] = {}
        self.base_url = ""

    # WSGI entry point
    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        if environ["REQUEST_METHOD"] == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            form = {
                k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(length).decode()).items()
            }
        else:
            form = {}
        if path == "/.well-known/openid-configuration":
            return self._json(start_response, self.discovery())
        if path in ("/authorize", "/ms/kesher-test.example/oauth2/v2.0/authorize"):
            return self._authorize(start_response, query)
        if path == "/token":
            return self._token(start_response, environ, form, with_id_token=True)
        if path == "/ms/kesher-test.example/oauth2/v2.0/token":
            return self._token(start_response, environ, form, with_id_token=False)
        if path == "/userinfo":
            return self._userinfo(start_response, environ, self._oidc_claims)
        if path == "/graph/v1.0/me":
            return self._userinfo(start_response, environ, self._graph_profile)
        if path == "/jwks":
            return self._json(start_response, {"keys": []})
        return self._json(start_response, {"error": "not_found"}, "404 Not Found")

    def discovery(self) -> dict:
        return {
            "issuer": self.base_url,
            "authorization_endpoint": f"{self.base_url}/authorize",
            "token_endpoint": f"{self.base_url}/token",
            "userinfo_endpoint": f"{self.base_url}/userinfo",
            "jwks_uri": f"{self.base_url}/jwks",
            "response_types_supported": ["code"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["HS256"],
        }

    def _authorize(self, start_response, query):
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return self._json(start_response, {"error": "invalid_request"}, "400 Bad Request")
        code = secrets.token_urlsafe(16)
        self._codes[code] = {
            "person": dict(self.person),
            "redirect_uri": query["redirect_uri"],
            "challenge": query.get("code_challenge"),
        }
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        start_response("302 Found", [("Location", location)])
        return [b""]

    def _token(self, start_response, environ, form, *, with_id_token: bool):
        grant = self._codes.pop(form.get("code", ""), None)
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = environ.get("HTTP_AUTHORIZATION", "")
        if auth.startswith("Basic "):
            client_id, _colon, secret = base64.b64decode(auth[6:]).decode().partition(":")
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            grant is None
            or client_id != CLIENT_ID
            or secret != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
            or challenge != grant["challenge"]
        ):
            return self._json(start_response, {"error": "invalid_grant"}, "400 Bad Request")
        access_token = secrets.token_urlsafe(16)
        self._tokens[access_token] = grant["person"]
        body = {"access_token": access_token, "token_type": "Bearer", "expires_in": 3600}
        if with_id_token:
            now = int(time.time())
            claims = {
                **self._oidc_claims(grant["person"]),
                "iss": self.base_url,
                "aud": CLIENT_ID,
                "iat": now,
                "exp": now + 300,
            }
            body["id_token"] = jwt.encode(claims, CLIENT_SECRET, algorithm="HS256")
        return self._json(start_response, body)

    def _userinfo(self, start_response, environ, render):
        token = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ")
        person = self._tokens.get(token)
        if person is None:
            return self._json(start_response, {"error": "invalid_token"}, "401 Unauthorized")
        return self._json(start_response, render(person))

    @staticmethod
    def _oidc_claims(person: dict) -> dict:
        return {
            "sub": person["sub"],
            "email": person["email"],
            "email_verified": person.get("email_verified", True),
            "name": person.get("name", ""),
        }

    @staticmethod
    def _graph_profile(person: dict) -> dict:
        return {
            "id": person["sub"],
            "mail": person["email"],
            "userPrincipalName": person["email"],
            "givenName": person.get("name", ""),
        }

    @staticmethod
    def _json(start_response, body, status="200 OK"):
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json")])
        return [data]


@pytest.fixture(scope="module")
def identity_provider():
    provider = FakeIdentityProvider()
    server: WSGIServer = make_server("127.0.0.1", 0, provider, handler_class=_QuietHandler)
    provider.base_url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    # Sign-ins would re-hash the fixtures' quick hash with Argon2 (test_auth.py checks Argon2).
    settings.PASSWORD_HASHERS = ["conftest._QuickPBKDF2", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def fresh_cache():
    # allauth caches rate-limit counters and id-token ids; each test starts clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def oidc_app(identity_provider, admin_user):
    return sign_in_provider_save(
        actor=admin_user,
        key="oidc",
        enabled=True,
        name="Kesher ID",
        server_url=identity_provider.base_url,
        client_id=CLIENT_ID,
        secret=CLIENT_SECRET,
    )


def provider_sign_in(client: Client, start_url: str) -> requests.Response:
    """Press the sign-in button, let the provider "authenticate" the person, and follow its
    redirect back to Kesher's callback; returns Kesher's answer to the callback."""
    started = client.post(start_url)
    assert started.status_code == 302, started.content[:500]
    authorize_url = started["Location"]
    at_provider = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert at_provider.status_code == 302, at_provider.text
    back = urlsplit(at_provider.headers["Location"])
    assert back.netloc == "testserver"
    return client.get(f"{back.path}?{back.query}")


def signed_in_user_id(client: Client):
    return client.session.get("_auth_user_id")


def sign_in_messages(client: Client) -> str:
    return client.get("/accounts/login/").content.decode()


# --- The administrator's screen -------------------------------------------------------------------

SCREEN = "/org/sign-in-providers/"


@pytest.mark.parametrize(
    "role", ["manager", "sales_rep", "support_agent", "read_only"], ids=lambda r: r
)
@pytest.mark.parametrize(
    ("method", "url"),
    [("get", SCREEN), ("get", f"{SCREEN}google/"), ("post", f"{SCREEN}google/")],
)
def test_only_administrators_reach_the_screen(users, client_for, role, method, url):
    """REQ OR-5 / OR-3: each non-admin role gets 403 on every URL and verb of the screen."""
    data = {"enabled": "on", "client_id": "x", "secret": "y"} if method == "post" else None
    response = getattr(client_for(users[role]), method)(url, data)
    assert response.status_code == 403
    assert not SocialApp.objects.exists()


def test_the_menu_links_the_screen_for_administrators_only(users, client_for):
    link = b'href="/org/sign-in-providers/"'
    assert link in client_for(users["admin"]).get("/").content
    assert link not in client_for(users["manager"]).get("/").content


@pytest.mark.parametrize(("method", "url"), [("get", SCREEN), ("post", f"{SCREEN}google/")])
def test_anonymous_visitors_are_sent_to_sign_in(db, method, url):
    response = getattr(Client(), method)(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_admin_switches_google_on_and_the_button_appears(users, client_for):
    """REQ OR-5: client id and secret entered in Kesher's own screen become the Google sign-in
    button; the secret is stored but never shown or audited."""
    admin = client_for(users["admin"])
    page = admin.get(SCREEN, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert b"http://testserver/accounts/google/login/callback/" in page.content
    assert b"Sign in with Google" not in Client().get("/accounts/login/").content

    form = admin.get(f"{SCREEN}google/")
    assert b'name="client_id"' in form.content
    assert b'name="tenant"' not in form.content
    response = admin.post(
        f"{SCREEN}google/",
        {"enabled": "on", "client_id": "123.apps.googleusercontent.com", "secret": "g-secret"},
    )
    assert response.status_code == 302
    app = SocialApp.objects.get(provider="google")
    assert (app.client_id, app.secret, app.settings["enabled"]) == (
        "123.apps.googleusercontent.com",
        "g-secret",
        True,
    )
    entry = AuditEntry.objects.get(
        content_type=ContentType.objects.get_for_model(SocialApp), object_id=app.pk
    )
    assert entry.actor == users["admin"]
    assert entry.changes["client_id"] == [None, "123.apps.googleusercontent.com"]
    assert "g-secret" not in json.dumps(entry.changes)
    assert b"g-secret" not in admin.get(SCREEN).content
    assert b"g-secret" not in admin.get(f"{SCREEN}google/").content

    login_page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()
    assert "Sign in with Google" in login_page
    assert 'action="/accounts/google/login/?process=login"' in login_page
    # The button starts Google's authorization with Kesher's client id (no network needed).
    started = Client().post("/accounts/google/login/?process=login")
    assert started.status_code == 302
    target = urlsplit(started["Location"])
    assert target.netloc == "accounts.google.com"
    assert parse_qs(target.query)["client_id"] == ["123.apps.googleusercontent.com"]


def test_switching_a_provider_off_hides_it_and_closes_its_urls(users, client_for):
    admin = client_for(users["admin"])
    admin.post(f"{SCREEN}google/", {"enabled": "on", "client_id": "abc", "secret": "s1"})
    assert Client().post("/accounts/google/login/").status_code == 302
    # Switched off without retyping the secret: the saved one is kept.
    response = admin.post(f"{SCREEN}google/", {"client_id": "abc", "secret": ""})
    assert response.status_code == 302
    app = SocialApp.objects.get(provider="google")
    assert app.secret == "s1"
    assert app.settings["enabled"] is False
    assert (
        b"Sign in with Google"
        not in Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content
    )
    assert Client().post("/accounts/google/login/").status_code == 404
    assert Client().get("/accounts/google/login/callback/?code=x&state=y").status_code == 404


def test_connected_accounts_page_survives_a_switched_off_provider(
    users, oidc_app, identity_provider, admin_user
):
    User.objects.filter(pk=users["sales_rep"].pk).update(language="en")
    identity_provider.person = {"sub": "idp-12", "email": "rep1@example.co.il"}
    client = Client()
    provider_sign_in(client, "/accounts/oidc/sso/login/")
    page = client.get("/accounts/3rdparty/").content.decode()
    assert "Kesher ID" in page
    assert "Connect Kesher ID" in page
    sign_in_provider_save(
        actor=admin_user,
        key="oidc",
        enabled=False,
        name="Kesher ID",
        server_url=identity_provider.base_url,
        client_id=CLIENT_ID,
    )
    page = client.get("/accounts/3rdparty/")
    assert page.status_code == 200
    assert "Switched off by the administrator" in page.content.decode()
    assert "Connect Kesher ID" not in page.content.decode()
    # Its sign-in no longer works.
    assert Client().post("/accounts/oidc/sso/login/").status_code == 404


def test_a_new_secret_is_audited_masked(users):
    admin = users["admin"]
    app = sign_in_provider_save(
        actor=admin, key="google", enabled=True, client_id="abc", secret="first"
    )
    sign_in_provider_save(actor=admin, key="google", enabled=True, client_id="abc", secret="second")
    app.refresh_from_db()
    assert app.secret == "second"
    latest = AuditEntry.objects.filter(object_id=app.pk).order_by("-pk").first()
    assert latest.changes == {"_v": 2, "secret": ["••••", "••••"]}


@pytest.mark.parametrize(
    ("key", "data", "field"),
    [
        ("google", {"client_id": "", "secret": "s"}, "client_id"),
        ("google", {"client_id": "abc", "secret": ""}, "secret"),
        ("microsoft", {"client_id": "abc", "secret": "s", "tenant": ""}, "tenant"),
        ("microsoft", {"client_id": "abc", "secret": "s", "tenant": "common"}, "tenant"),
        ("microsoft", {"client_id": "abc", "secret": "s", "tenant": "organizations"}, "tenant"),
        ("oidc", {"client_id": "a", "secret": "s", "name": "X", "server_url": ""}, "server_url"),
        (
            "oidc",
            {"client_id": "a", "secret": "s", "name": "X", "server_url": "http://idp.example"},
            "server_url",
        ),
        (
            "oidc",
            {"client_id": "a", "secret": "s", "name": "", "server_url": "https://idp.example"},
            "name",
        ),
    ],
)
def test_incomplete_or_unsafe_settings_are_refused(users, key, data, field):
    """REQ OR-5: Microsoft needs the organization's own directory (a shared one would let any
    Microsoft account claim a user's address); OpenID Connect needs HTTPS and a button name."""
    with pytest.raises(ValidationError) as caught:
        sign_in_provider_save(actor=users["admin"], key=key, enabled=True, **data)
    assert field in caught.value.message_dict
    assert not SocialApp.objects.exists()
    assert not AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(SocialApp)
    ).exists()


def test_every_missing_setting_is_named_at_once(users):
    with pytest.raises(ValidationError) as caught:
        sign_in_provider_save(actor=users["admin"], key="oidc", enabled=True, client_id="")
    assert set(caught.value.message_dict) == {"client_id", "secret", "name", "server_url"}


def test_the_screen_shows_errors_in_hebrew(users, client_for):
    admin = client_for(users["admin"])
    response = admin.post(
        f"{SCREEN}microsoft/",
        {"enabled": "on", "client_id": "abc", "secret": "s", "tenant": "common"},
    )
    assert response.status_code == 200
    assert 'data-error-for="tenant"' in response.content.decode()
    assert '<html lang="he" dir="rtl">' in response.content.decode()
    assert not SocialApp.objects.exists()


# --- Signing in through the fake OpenID Connect provider ------------------------------------------


def test_openid_connect_sign_in_reaches_the_user_with_that_email(
    users, oidc_app, identity_provider
):
    """REQ OR-5: button → provider → callback → signed in as the existing user whose email the
    provider confirmed (case aside); the connection is audited and the password keeps working."""
    rep = users["sales_rep"]
    identity_provider.person = {"sub": "idp-4411", "email": "Rep1@Example.co.il", "name": "Rep"}
    login_page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/accounts/login/").content.decode()
    assert "Sign in with Kesher ID" in login_page

    client = Client()
    done = provider_sign_in(client, "/accounts/oidc/sso/login/?process=login")
    assert done.status_code == 302, done.content[:800]
    assert done["Location"] == "/"
    assert signed_in_user_id(client) == str(rep.pk)
    assert client.get("/").status_code == 200

    account = SocialAccount.objects.get(provider="sso", uid="idp-4411")
    assert account.user == rep
    assert EmailAddress.objects.get(user=rep).verified
    assert User.objects.count() == 7  # nobody was created
    entry = AuditEntry.objects.filter(object_id=rep.pk, changes__has_key="sign_in_provider").get()
    assert entry.changes["sign_in_provider"] == [None, "Kesher ID (rep1@example.co.il)"]
    # allauth wipes the password of an account reached through an unverified address; the
    # administrator-given address counts as verified, so the password still signs in.
    rep.refresh_from_db()
    assert rep.has_usable_password()
    assert (
        Client().post("/accounts/login/", {"login": "rep1", "password": TEST_PASSWORD}).status_code
        == 302
    )

    # The next time the connection itself is found.
    again = Client()
    assert provider_sign_in(again, "/accounts/oidc/sso/login/").status_code == 302
    assert signed_in_user_id(again) == str(rep.pk)
    assert SocialAccount.objects.count() == 1


def test_unknown_email_is_refused_with_a_clear_message(users, oidc_app, identity_provider):
    """REQ OR-5: no automatic sign-up."""
    identity_provider.person = {"sub": "idp-9", "email": "stranger@elsewhere.com"}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user_id(client) is None
    assert "No Kesher user has the email address stranger@elsewhere.com" in sign_in_messages(client)
    assert User.objects.count() == 7
    assert not SocialAccount.objects.exists()


def test_inactive_user_is_refused(users, oidc_app, identity_provider):
    """REQ OR-5: a deactivated user cannot come back through a provider."""
    identity_provider.person = {"sub": "idp-5", "email": "gone1@example.co.il"}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user_id(client) is None
    assert "Your Kesher user is deactivated" in sign_in_messages(client)
    assert not SocialAccount.objects.exists()


def test_user_deactivated_after_connecting_is_refused(users, oidc_app, identity_provider):
    identity_provider.person = {"sub": "idp-6", "email": "rep2@example.co.il"}
    assert provider_sign_in(Client(), "/accounts/oidc/sso/login/").status_code == 302
    User.objects.filter(pk=users["sales_rep2"].pk).update(is_active=False)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert signed_in_user_id(client) is None
    assert "Your Kesher user is deactivated" in sign_in_messages(client)


def test_unconfirmed_email_is_refused(users, oidc_app, identity_provider):
    """REQ OR-5: only an address the provider verified identifies a user."""
    identity_provider.person = {
        "sub": "idp-7",
        "email": "rep1@example.co.il",
        "email_verified": False,
    }
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert signed_in_user_id(client) is None
    assert "Kesher ID did not confirm your email address" in sign_in_messages(client)
    assert not SocialAccount.objects.exists()


def test_an_address_shared_by_two_users_is_refused(users, oidc_app, identity_provider):
    User.objects.filter(pk=users["sales_rep2"].pk).update(email="rep1@example.co.il")
    identity_provider.person = {"sub": "idp-8", "email": "rep1@example.co.il"}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert signed_in_user_id(client) is None
    assert "Several Kesher users have the email address rep1@example.co.il" in sign_in_messages(
        client
    )


def test_provider_sign_in_still_asks_for_the_second_factor(users, oidc_app, identity_provider):
    """REQ OR-5: a user with an authenticator app enters its code after the provider too."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(users["manager"], generate_totp_secret())
    identity_provider.person = {"sub": "idp-10", "email": "manager1@example.co.il"}
    client = Client()
    response = provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(client) is None
    assert Authenticator.objects.filter(user=users["manager"]).exists()


def test_failed_provider_exchange_shows_an_error_page(users, identity_provider, admin_user):
    sign_in_provider_save(
        actor=admin_user,
        key="oidc",
        enabled=True,
        name="Kesher ID",
        server_url=identity_provider.base_url,
        client_id=CLIENT_ID,
        secret="not-the-secret",  # the provider's token endpoint refuses it
    )
    identity_provider.person = {"sub": "idp-11", "email": "rep1@example.co.il"}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = provider_sign_in(client, "/accounts/oidc/sso/login/")
    assert response.status_code == 401
    assert b"Signing in with Kesher ID did not complete" in response.content
    assert signed_in_user_id(client) is None


# --- Microsoft, against the same fake server ------------------------------------------------------


def test_microsoft_sign_in_trusts_addresses_of_the_organizations_directory(
    users, identity_provider, client_for
):
    """REQ OR-5: allauth takes Microsoft's addresses as unconfirmed; with the organization's own
    directory (tenant) set on the screen, they identify the user."""
    admin = client_for(users["admin"])
    response = admin.post(
        f"{SCREEN}microsoft/",
        {
            "enabled": "on",
            "client_id": CLIENT_ID,
            "secret": CLIENT_SECRET,
            "tenant": "kesher-test.example",
        },
    )
    assert response.status_code == 302
    app = SocialApp.objects.get(provider="microsoft")
    assert app.settings["tenant"] == "kesher-test.example"
    # Point allauth's Microsoft endpoints at the fake server (allauth's own app settings).
    app.settings = {
        **app.settings,
        "login_url": f"{identity_provider.base_url}/ms",
        "graph_url": f"{identity_provider.base_url}/graph",
    }
    app.save(update_fields=["settings"])

    identity_provider.person = {"sub": "ms-oid-1", "email": "agent1@example.co.il"}
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert "Sign in with Microsoft" in client.get("/accounts/login/").content.decode()
    done = provider_sign_in(client, "/accounts/microsoft/login/")
    assert done.status_code == 302, done.content[:800]
    assert signed_in_user_id(client) == str(users["support_agent"].pk)
    assert SocialAccount.objects.get(provider="microsoft").user == users["support_agent"]
