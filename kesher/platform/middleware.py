"""Middleware of the platform."""

from kesher.platform.registry import registry
from kesher.platform.stamps import remembered_for_request

__all__ = ["RequestMemoMiddleware"]


class RequestMemoMiddleware:
    """Lets a request check once that the cached custom fields and rules are current, and that
    the registry holds the entities administrators defined (before the URL is resolved)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with remembered_for_request():
            registry.refresh()
            return self.get_response(request)
