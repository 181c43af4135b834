"""The portal's own sessions, links and throttle (REQ OR-2, OR-5; decision 0079).

A portal session is two keys in Django's session: the portal user's id and a hash of his
password and second factor, so changing either, or revoking his access, ends every session he
has. It never sets Django's authenticated user, so ``request.user`` stays anonymous to every
staff page and the staff API; and a request that carries a staff sign-in is never a portal one.
Signing in to the portal starts a new, empty session (a staff sign-in in the same browser ends).
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode

from allauth.core import ratelimit
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from kesher.portal.models import PortalUser

__all__ = [
    "current_portal_user",
    "link_token",
    "password_link_path",
    "portal_login",
    "portal_logout",
    "portal_required",
    "throttle_allows",
    "throttle_clear",
    "throttle_count",
    "user_from_link",
]

SESSION_KEY = "_portal_user"
HASH_KEY = "_portal_hash"
PENDING_KEY = "_portal_pending"  # signed in with the password, the code still asked for


def session_hash(portal_user: PortalUser) -> str:
    return salted_hmac(
        "kesher.portal.session", f"{portal_user.password}:{portal_user.totp_secret}"
    ).hexdigest()


def portal_login(request, portal_user: PortalUser) -> None:
    """Start the portal user's session: a new one, nothing of any earlier sign-in kept."""
    request.session.flush()
    request.session[SESSION_KEY] = portal_user.pk
    request.session[HASH_KEY] = session_hash(portal_user)
    PortalUser.objects.filter(pk=portal_user.pk).update(last_login=timezone.now())


def portal_logout(request) -> None:
    request.session.flush()


def current_portal_user(request) -> PortalUser | None:
    """The portal user this request is signed in as, or None: never for a staff sign-in, a
    revoked user, or a session made before his password or second factor changed."""
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        return None
    pk = request.session.get(SESSION_KEY)
    if not isinstance(pk, int):
        return None
    portal_user = PortalUser.objects.select_related("contact").filter(pk=pk, is_active=True).first()
    if portal_user is None or not constant_time_compare(
        request.session.get(HASH_KEY, ""), session_hash(portal_user)
    ):
        return None
    return portal_user


def portal_required(view):
    """A portal page: the signed-in portal user as ``request.portal_user``, answered in his
    language; anyone else is sent to the portal's sign-in page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        portal_user = current_portal_user(request)
        if portal_user is None:
            target = reverse("portal_login")
            if request.method == "GET":
                target += "?" + urlencode({"next": request.get_full_path()})
            return redirect(target)
        request.portal_user = portal_user
        translation.activate(portal_user.language)
        request.LANGUAGE_CODE = portal_user.language
        return view(request, *args, **kwargs)

    return wrapper


# --- links that set a password: the invitation and the reset -----------------------------------


class PortalTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset tokens over the portal user: a link stops working once used (the
    password changes), after a sign-in, when access is revoked, or after
    ``PASSWORD_RESET_TIMEOUT``."""

    key_salt = "kesher.portal.PortalTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        login = "" if user.last_login is None else user.last_login.replace(microsecond=0)
        return f"{user.pk}{user.password}{login}{timestamp}{user.email}{user.is_active}"


tokens = PortalTokenGenerator()


def link_token(portal_user: PortalUser) -> str:
    return tokens.make_token(portal_user)


def password_link_path(portal_user: PortalUser) -> str:
    uid = urlsafe_base64_encode(force_bytes(portal_user.pk))
    return reverse("portal_set_password", args=[uid, link_token(portal_user)])


def user_from_link(uidb64: str, token: str) -> PortalUser | None:
    try:
        pk = int(urlsafe_base64_decode(uidb64).decode())
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    portal_user = PortalUser.objects.filter(pk=pk, is_active=True).first()
    if portal_user is None or not tokens.check_token(portal_user, token):
        return None
    return portal_user


# --- throttling, as the staff sign-in (ACCOUNT_RATE_LIMITS, REQ OR-5) -------------------------


def _key(email: str) -> str:
    return f"portal:{(email or '').strip().lower()}"


def throttle_allows(request, email: str, action: str = "login_failed") -> bool:
    """Whether another attempt is allowed for this address and client (nothing counted)."""
    return ratelimit.consume(request, action=action, key=_key(email), dry_run=True)


def throttle_count(request, email: str, action: str = "login_failed") -> None:
    ratelimit.consume(request, action=action, key=_key(email))


def throttle_clear(request, email: str) -> None:
    ratelimit.clear(request, action="login_failed", key=_key(email))
