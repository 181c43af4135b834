"""Activate the signed-in user's language and time zone on every request."""

import zoneinfo

from django.utils import timezone, translation

__all__ = ["UserPreferencesMiddleware", "activate_preferences"]


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
