"""The API's throttles (REQ OR-5, issue 24): per API token, per signed-in user, per anonymous
address and per incoming automation webhook address, counted in the "throttle" cache — Redis,
shared by every process, when ``REDIS_URL`` is set; per process otherwise, so that an API call
costs no database queries for its counting (settings.CACHES; decision 0067).

Rates are read from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` when a request is throttled,
not when the module is imported (DRF's classes keep the import-time dict), so an operator's or a
test's rates apply. A refused request answers 429 with ``Retry-After`` and a translated message
(``kesher/platform/api/exceptions.py``)."""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from rest_framework import throttling
from rest_framework.settings import api_settings

__all__ = ["AnonRateThrottle", "TokenRateThrottle", "UserRateThrottle", "WebhookRateThrottle"]


class _CurrentRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)  # type: ignore[attr-defined]

    def __init__(self):
        super().__init__()
        # The "throttle" cache: Redis when configured, else per process (settings.CACHES).
        self.cache = caches["throttle"]


class TokenRateThrottle(_CurrentRates, throttling.SimpleRateThrottle):
    """Calls made with one API token."""

    scope = "token"

    def get_cache_key(self, request, view):
        token_id = getattr(request.auth, "pk", None)
        if token_id is None:
            return None
        return self.cache_format % {"scope": self.scope, "ident": token_id}


class UserRateThrottle(_CurrentRates, throttling.UserRateThrottle):
    """Calls by one signed-in user, with any of his tokens or his session; anonymous calls are
    the next class's."""

    def get_cache_key(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AnonRateThrottle(_CurrentRates, throttling.AnonRateThrottle):
    """Calls with no credentials, by address (``TRUSTED_PROXY_COUNT`` behind a proxy)."""


class WebhookRateThrottle(_CurrentRates, throttling.SimpleRateThrottle):
    """Calls to one incoming automation webhook address (its secret token, hashed)."""

    scope = "webhook"

    def get_cache_key(self, request, view):
        token = (view.kwargs or {}).get("token", "")
        ident = hashlib.sha256(str(token).encode()).hexdigest()[:32]
        return self.cache_format % {"scope": self.scope, "ident": ident}
