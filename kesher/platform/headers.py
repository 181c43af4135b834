"""Security headers on every answer (issue 24 item 8): a Content-Security-Policy that allows no
inline script — pages ask for behaviour by ``data-`` attributes that ``kesher.js`` handles, and a
test keeps templates free of inline scripts and handlers — and a Permissions-Policy that turns
off the browser features Kesher does not use. Both are settings an operator may change. An
answer that sets its own policy (a file download's sandbox) keeps it."""

from __future__ import annotations

from django.conf import settings

__all__ = ["SecurityHeadersMiddleware"]


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.KESHER_CONTENT_SECURITY_POLICY:
            response.headers.setdefault(
                "Content-Security-Policy", settings.KESHER_CONTENT_SECURITY_POLICY
            )
        if settings.KESHER_PERMISSIONS_POLICY:
            response.headers.setdefault("Permissions-Policy", settings.KESHER_PERMISSIONS_POLICY)
        return response
