"""Middleware of the platform."""

from kesher.platform.stamps import remembered_for_request


class RequestMemoMiddleware:
    """Lets a request check once that the cached custom fields and rules are current."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with remembered_for_request():
            return self.get_response(request)
