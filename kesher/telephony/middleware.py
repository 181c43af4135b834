"""The pages' Content-Security-Policy allows the event stream's origin when the ASGI process
serves it on a port of its own (decision 0080); nothing else in the policy changes."""

from __future__ import annotations

from django.conf import settings

from kesher.telephony.stream import stream_origin

__all__ = ["StreamSourceMiddleware"]


class StreamSourceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.KESHER_CONTENT_SECURITY_POLICY
        if not policy or "Content-Security-Policy" in response.headers:
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        origin = stream_origin(request)
        if origin and "connect-src" in policy:
            response["Content-Security-Policy"] = policy.replace(
                "connect-src", f"connect-src {origin}", 1
            )
        return response
