"""Middleware of the platform."""

from .customfields import definitions_remembered


class RequestMemoMiddleware:
    """Lets a request read each entity's custom-field definitions once (customfields.py)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with definitions_remembered():
            return self.get_response(request)
