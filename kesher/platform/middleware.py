"""Middleware of the platform."""

from django.db import DataError
from django.shortcuts import render
from django.utils.translation import gettext as _

from kesher.platform.registry import registry
from kesher.platform.stamps import remembered_for_request

__all__ = ["BadInputMiddleware", "RequestMemoMiddleware", "bad_input_message"]


def bad_input_message(exc: BaseException) -> str | None:
    """What to tell the sender of a value the database cannot take, or None when ``exc`` is
    not such an error: a whole number past 2⁶³ (SQLite's driver refuses it before the query
    runs; PostgreSQL answers "out of range"), a NUL character in text (PostgreSQL), a text too
    long for its column. Any page, filter, field or id can carry one; answered 400 wherever it
    arrives instead of checking each parameter apart (issue 24 item 3)."""
    if isinstance(exc, OverflowError):
        return _("A number is too large: whole numbers go up to 9,223,372,036,854,775,807.")
    if isinstance(exc, DataError):
        return _(
            "A value cannot be stored as sent: a number out of range, a NUL character or a "
            "text too long."
        )
    return None


class BadInputMiddleware:
    """Pages answer a value the database cannot take with 400 and what was wrong, not 500
    (the API's exception handler does the same for API calls)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        message = bad_input_message(exception)
        if message is None:
            return None
        return render(request, "400.html", {"message": message}, status=400)


class RequestMemoMiddleware:
    """Lets a request check once that the cached custom fields and rules are current, and that
    the registry holds the entities administrators defined (before the URL is resolved)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with remembered_for_request():
            registry.refresh()
            return self.get_response(request)
