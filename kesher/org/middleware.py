"""Activate the signed-in user's language and time zone on every request; keep every sign-in on
Kesher's own door, with its second factor (REQ OR-5)."""

import zoneinfo

from django.conf import settings
from django.http import Http404, JsonResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _

__all__ = ["SignInPolicyMiddleware", "UserPreferencesMiddleware", "activate_preferences"]

DJANGO_ADMIN_PREFIX = "/django-admin/"
MFA_SETUP_URL = "/accounts/2fa/"
# Where a user who must set up two-factor sign-in may still go: allauth's own pages (setting
# it up, signing out), the language switch and the health check.
_OPEN_WITHOUT_MFA = ("/accounts/", "/language/", "/healthz", "/static/")


def activate_preferences(request, user) -> None:
    """Answer ``user`` in his language and time zone: dates and times on pages and in the API
    are in the reader's zone. An API request that names a language (``Accept-Language``)
    keeps it."""
    explicit = request.headers.get("Accept-Language") and request.path.startswith("/api/")
    if not explicit:
        translation.activate(user.language)
        request.LANGUAGE_CODE = user.language
    try:
        timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        timezone.deactivate()


class UserPreferencesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            activate_preferences(request, user)
        response = self.get_response(request)
        timezone.deactivate()
        return response


def _mfa_roles() -> frozenset[int]:
    """The ids of the roles whose users must sign in with a second factor, cached per process
    until a role changes (``stamps.ROLES``)."""
    from kesher.org.models import Role
    from kesher.platform import stamps

    return stamps.cached(
        stamps.ROLES,
        "mfa_required_roles",
        lambda: frozenset(Role.objects.filter(mfa_required=True).values_list("pk", flat=True)),
    )


def mfa_missing(user) -> bool:
    """Whether ``user``'s role requires two-factor sign-in and he has not set it up yet."""
    if user.role_id is None or user.role_id not in _mfa_roles():
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


class SignInPolicyMiddleware:
    """Two rules that no page or API call escapes:

    - the Django admin (``/django-admin/``) exists only when ``KESHER_DJANGO_ADMIN`` is on, and
      its sign-in page sends people to Kesher's (kesher/org/views.py), so its password form
      cannot skip the second factor and the throttle;
    - a user whose role requires two-factor sign-in (``Role.mfa_required``) and who has not set
      it up is sent to set it up before anything else; an API call made with his session is
      refused with 403. API tokens are not affected: a token is made by a signed-in user and
      is itself the credential (docs/deploy.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if path.startswith(DJANGO_ADMIN_PREFIX) and not settings.KESHER_DJANGO_ADMIN:
            raise Http404
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not path.startswith(_OPEN_WITHOUT_MFA)
            and mfa_missing(user)
        ):
            message = _("Your role requires two-factor sign-in: set it up first.")
            if path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=403)
            from django.contrib import messages

            messages.warning(request, message)
            return redirect(MFA_SETUP_URL)
        return self.get_response(request)
