"""Signing in with a password (REQ OR-5): the sign-in page, password reset by email, two-factor
authentication with an authenticator app and recovery codes, throttling, session expiry, Argon2
hashes, and inactive users kept out of every door."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from conftest import TEST_PASSWORD
from kesher.org.models import User
from kesher.org.services import api_token_create, user_create

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


# The project's hashers, Argon2 first; the fixture below swaps them for these tests' sign-ins.
PROJECT_HASHERS = list(settings.PASSWORD_HASHERS)
QUICK_HASHERS = ["conftest._QuickPBKDF2", *PROJECT_HASHERS]


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # allauth counts attempts in the cache; each test starts with none counted.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    # Every sign-in would otherwise re-hash the fixtures' quick hash with Argon2 (~0.2 s on a
    # busy machine); test_passwords_are_hashed_with_argon2 checks the project's hashers.
    settings.PASSWORD_HASHERS = QUICK_HASHERS


def english_client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def sign_in(client: Client, login: str, password: str = TEST_PASSWORD, **extra):
    return client.post(LOGIN_URL, {"login": login, "password": password, **extra})


def signed_in_user_id(client: Client):
    return client.session.get("_auth_user_id")


# --- The sign-in page -----------------------------------------------------------------------------


def test_sign_in_page_is_hebrew_rtl_with_bootstrap_fields_and_no_sign_up():
    """REQ OR-5: Hebrew by default, Bootstrap form controls, and no way to sign up."""
    html = Client().get(LOGIN_URL).content.decode()
    assert '<html lang="he" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
    login_input = re.search(r'<input[^>]*name="login"[^>]*>', html).group(0)
    password_input = re.search(r'<input[^>]*name="password"[^>]*>', html).group(0)
    assert 'class="form-control"' in login_input
    assert 'class="form-control"' in password_input
    assert re.search(r'<button class="btn btn-primary w-100" type="submit">', html)
    assert "שם משתמש או אימייל" in html  # "username or email", the field's Hebrew label
    assert "/accounts/signup/" not in html
    assert "/accounts/password/reset/" in html


def test_sign_up_page_is_closed():
    """REQ OR-5: users are created by an administrator; sign-up shows no form and creates no
    user even when posted to."""
    client = english_client()
    page = client.get("/accounts/signup/")
    assert page.status_code == 200
    assert b"No self sign-up" in page.content
    assert b'name="password1"' not in page.content
    client.post(
        "/accounts/signup/",
        {
            "username": "intruder",
            "email": "intruder@example.com",
            "password1": "Strong-pass-9981",
            "password2": "Strong-pass-9981",
        },
    )
    assert not User.objects.filter(username="intruder").exists()


@pytest.mark.parametrize("login", ["rep1", "rep1@example.co.il", "REP1@Example.co.il"])
def test_sign_in_with_username_or_email(users, login):
    """REQ OR-5: either the username or the email address, with the password."""
    client = Client()
    response = sign_in(client, login)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(users["sales_rep"].pk)
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_with_a_message(users):
    client = english_client()
    response = sign_in(client, "rep1", "not-the-password")
    assert response.status_code == 200
    assert b"The username and/or password you specified are not correct." in response.content
    assert b'<div class="alert alert-danger" role="alert">' in response.content
    assert signed_in_user_id(client) is None


# --- Password reset by email ----------------------------------------------------------------------


def reset_password_by_email(email: str, new_password: str, mailoutbox) -> None:
    """Ask for a reset, follow the emailed link, set ``new_password``."""
    client = english_client()
    response = client.post("/accounts/password/reset/", {"email": email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [email]
    assert message.subject.startswith("[Kesher] ")
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", message.body)
    assert link, message.body
    # allauth moves the key from the URL into the session, then shows the form.
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    form_url = form_page.redirect_chain[-1][0]
    assert re.search(rb'<input[^>]*name="password1"[^>]*class="form-control"', form_page.content)
    done = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert done.status_code == 302
    assert signed_in_user_id(client) is None  # ACCOUNT_LOGIN_ON_PASSWORD_RESET = False


def test_password_reset_by_email_end_to_end(users, mailoutbox):
    """REQ OR-5: the emailed link sets a new password, which then signs in; the old one not."""
    new_password = "Fresh-Kesher-pass-42"
    reset_password_by_email("rep1@example.co.il", new_password, mailoutbox)
    old = Client()
    sign_in(old, "rep1", TEST_PASSWORD)
    assert signed_in_user_id(old) is None
    fresh = Client()
    assert sign_in(fresh, "rep1", new_password).status_code == 302
    assert signed_in_user_id(fresh) == str(users["sales_rep"].pk)


def test_a_user_created_without_a_password_sets_one_by_email(users, mailoutbox):
    """REQ OR-5: an administrator creates a user with no password; "Forgot your password?"
    is how the new user sets one."""
    newbie = user_create(
        actor=users["admin"], data={"username": "newbie", "email": "newbie@example.co.il"}
    )
    assert not newbie.has_usable_password()
    reset_password_by_email("newbie@example.co.il", "First-Kesher-pass-7", mailoutbox)
    client = Client()
    sign_in(client, "newbie", "First-Kesher-pass-7")
    assert signed_in_user_id(client) == str(newbie.pk)


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(mailoutbox):
    client = english_client()
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.co.il"})
    # Same answer as for a known address (ACCOUNT_PREVENT_ENUMERATION).
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/done/"
    assert mailoutbox == []


def test_password_reset_mail_is_not_sent_to_inactive_users(users, mailoutbox):
    """REQ OR-5: a deactivated user cannot get back in through "forgot password"."""
    Client().post("/accounts/password/reset/", {"email": "gone1@example.co.il"})
    assert mailoutbox == []


# --- Two-factor authentication --------------------------------------------------------------------


def current_totp_code(secret: str) -> str:
    counter = int(timezone.now().timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def get_after_reauthenticating(client: Client, url: str):
    """allauth asks for the password again before security changes (a fresh sign-in is not
    enough); answer it and land on ``url``."""
    page = client.get(url)
    if page.status_code == 302 and page["Location"].startswith("/accounts/reauthenticate/"):
        reauth = client.get(page["Location"])
        assert b'class="form-control' in reauth.content
        answered = client.post(page["Location"], {"password": TEST_PASSWORD})
        assert answered.status_code == 302
        assert answered["Location"] == url
        page = client.get(url)
    assert page.status_code == 200, page.get("Location")
    return page


def activate_totp(client: Client) -> str:
    page = get_after_reauthenticating(client, "/accounts/2fa/totp/activate/")
    secret = page.context["form"].secret
    assert b"data:image/svg+xml" in page.content  # the QR code to scan
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_totp_code(secret)})
    assert response.status_code == 302, response.content
    return secret


def test_totp_activation_then_sign_in_asks_for_the_code(users, settings):
    """REQ OR-5: after activating an authenticator app the password alone is not enough."""
    # One period of tolerance: a code computed just before a 30-second boundary stays valid.
    settings.MFA_TOTP_TOLERANCE = 1
    rep = users["sales_rep"]
    client = english_client()
    sign_in(client, "rep1")
    index = client.get("/accounts/2fa/")
    assert index.status_code == 200
    assert b"card" in index.content
    secret = activate_totp(client)
    assert Authenticator.objects.filter(user=rep, type=Authenticator.Type.TOTP).exists()
    # Activating also makes recovery codes (allauth: MFA_RECOVERY_CODE_COUNT).
    assert Authenticator.objects.filter(user=rep, type=Authenticator.Type.RECOVERY_CODES).exists()

    second = english_client()
    response = sign_in(second, "rep1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert signed_in_user_id(second) is None
    assert second.get("/").status_code == 302  # still not signed in

    stage = second.get("/accounts/2fa/authenticate/")
    assert re.search(rb'<input[^>]*name="code"[^>]*class="form-control', stage.content)
    assert b"Enter one of your recovery codes instead." in stage.content
    wrong = second.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert b"Incorrect code." in wrong.content
    assert signed_in_user_id(second) is None

    done = second.post("/accounts/2fa/authenticate/", {"code": current_totp_code(secret)})
    assert done.status_code == 302
    assert signed_in_user_id(second) == str(rep.pk)


def test_recovery_code_signs_in_once(users, settings):
    """REQ OR-5: a recovery code replaces the phone once; used again it is refused."""
    settings.MFA_TOTP_TOLERANCE = 1
    client = english_client()
    sign_in(client, "rep1")
    activate_totp(client)
    codes_page = get_after_reauthenticating(client, "/accounts/2fa/recovery-codes/")
    codes = codes_page.context["unused_codes"]
    assert len(codes) == 10
    assert b'class="form-control font-monospace' in codes_page.content

    first = english_client()
    sign_in(first, "rep1")
    assert first.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert signed_in_user_id(first) == str(users["sales_rep"].pk)

    again = english_client()
    sign_in(again, "rep1")
    refused = again.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert refused.status_code == 200
    assert b"Incorrect code." in refused.content
    assert signed_in_user_id(again) is None


# --- Throttling -----------------------------------------------------------------------------------


def test_failed_attempts_lock_the_account_even_for_the_right_password(users):
    """REQ OR-5: after 5 failed attempts on one account (ACCOUNT_RATE_LIMITS "5/5m/key") the
    right password is refused too, within the window; other accounts are unaffected."""
    assert "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"]
    client = english_client()
    for _attempt in range(5):
        refused = sign_in(client, "rep1", "wrong-password")
        assert b"not correct" in refused.content
    locked = sign_in(client, "rep1", TEST_PASSWORD)
    assert locked.status_code == 200
    assert b"Too many failed login attempts. Try again later." in locked.content
    assert signed_in_user_id(client) is None
    # By email the same account is a different key; the lock is per typed login.
    other = english_client()
    assert sign_in(other, "rep2").status_code == 302
    assert signed_in_user_id(other) == str(users["sales_rep2"].pk)


def test_failed_attempts_from_one_address_are_throttled(users):
    """REQ OR-5: 10 failures a minute from one IP address ("10/m/ip") stop guessing across
    accounts, whatever the account."""
    client = english_client()
    accounts = ["admin1", "manager1", "rep1", "rep2", "agent1"]
    for login in accounts * 2:  # two failures each: no account reaches its own limit
        sign_in(client, login, "wrong-password")
    refused = sign_in(client, "viewer1", TEST_PASSWORD)
    assert b"Too many failed login attempts. Try again later." in refused.content
    assert signed_in_user_id(client) is None
    elsewhere = Client(REMOTE_ADDR="10.1.2.3")
    response = sign_in(elsewhere, "viewer1")
    assert response.status_code == 302


# --- Sessions -------------------------------------------------------------------------------------


def test_session_expires_after_session_cookie_age(users, monkeypatch):
    """REQ OR-5: a session ends SESSION_COOKIE_AGE (10 hours by default) after signing in."""
    expected = int(os.environ.get("SESSION_COOKIE_AGE", str(10 * 60 * 60)))
    assert expected == settings.SESSION_COOKIE_AGE
    client = Client()
    signed_in_at = timezone.now()
    sign_in(client, "rep1")
    assert client.get("/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    lifetime = session.expire_date - signed_in_at
    assert abs(lifetime - timedelta(seconds=settings.SESSION_COOKIE_AGE)) < timedelta(minutes=1)

    later = session.expire_date + timedelta(seconds=1)
    monkeypatch.setattr("django.contrib.sessions.backends.db.timezone.now", lambda: later)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_session_cookie_age_comes_from_the_environment():
    """REQ OR-5: the session lifetime is set per installation (environment variable)."""
    code = "from kesher import settings; print(settings.SESSION_COOKIE_AGE)"
    env = {**os.environ, "SESSION_COOKIE_AGE": "900"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "900"
    env.pop("SESSION_COOKIE_AGE")
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "36000"


# --- Password hashes ------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2(users, settings):
    """REQ OR-5: new passwords, and older hashes at the next sign-in, become Argon2."""
    settings.PASSWORD_HASHERS = PROJECT_HASHERS
    assert PROJECT_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    user = user_create(
        actor=users["admin"],
        data={"username": "newbie", "email": "newbie@example.co.il"},
        password="Kesher-new-pass-77",
    )
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    rep = users["sales_rep"]
    assert rep.password.startswith("pbkdf2_sha256$")  # the fixtures' quick hash
    sign_in(Client(), "rep1")
    rep.refresh_from_db()
    assert rep.password.startswith("argon2$")


# --- Inactive users -------------------------------------------------------------------------------


def test_inactive_user_cannot_sign_in_and_is_told_why(users):
    """REQ OR-5: the right password of a deactivated user gets a clear message, no session."""
    client = english_client()
    response = sign_in(client, "gone1")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/inactive/"
    page = client.get("/accounts/inactive/")
    assert b"Your Kesher user is deactivated" in page.content
    assert signed_in_user_id(client) is None
    assert client.get("/").status_code == 302


def test_inactive_user_wrong_password_reveals_nothing(users):
    client = english_client()
    response = sign_in(client, "gone1", "wrong-password")
    assert response.status_code == 200
    assert b"not correct" in response.content
    assert b"deactivated" not in response.content


def test_deactivating_a_user_ends_their_open_session(users):
    """REQ OR-5: a user deactivated while signed in is signed out at their next request."""
    client = Client()
    sign_in(client, "rep1")
    assert client.get("/").status_code == 200
    User.objects.filter(pk=users["sales_rep"].pk).update(is_active=False)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)


def test_inactive_users_api_token_is_refused(users):
    """REQ OR-5: an API token stops working when its user is deactivated."""
    _token, key = api_token_create(user=users["sales_rep"], name="integration")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="en")
    assert api.get("/api/v1/accounts/").status_code == 200
    User.objects.filter(pk=users["sales_rep"].pk).update(is_active=False)
    response = api.get("/api/v1/accounts/")
    assert response.status_code in (401, 403)
    assert "inactive" in response.json()["detail"].lower()


def test_users_cannot_change_their_own_email(users, client_for):
    """REQ OR-5: the email that links provider sign-in is set by an administrator only."""
    client = client_for(users["sales_rep"])
    assert client.get("/accounts/email/").status_code == 404
    client.post("/accounts/email/", {"action_add": "", "email": "evil@example.com"})
    users["sales_rep"].refresh_from_db()
    assert users["sales_rep"].email == "rep1@example.co.il"


def test_language_can_be_switched_before_signing_in(client):
    """The sign-in page's language button works for a visitor (REQ OR-7, DESIGN "Localization")."""
    response = client.post("/language/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    assert response.url == "/accounts/login/"
    page = client.get("/accounts/login/").content.decode()
    assert '<html lang="en" dir="ltr">' in page
    unsafe = client.post("/language/", {"language": "he", "next": "https://evil.example/"})
    assert unsafe.url == "/"
