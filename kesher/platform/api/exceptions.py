"""Service errors as API responses: ValidationError -> 400 by field, ConflictError -> 409/412,
a record still referred to -> 409 naming what refers to it, a throttled call -> 429 with
``Retry-After``. Every message in the request's language."""

import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework import status
from rest_framework.exceptions import NotFound, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kesher.platform.middleware import bad_input_message
from kesher.platform.records.services import ConflictError, in_use_message


class PreconditionFailed(Exception):
    def __init__(self, current_version):
        self.current_version = current_version


def validation_detail(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if key == "__all__" else key): messages
            for key, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(validation_detail(exc))
    if isinstance(exc, PreconditionFailed):
        return Response(
            {
                "detail": _("The record was changed since you read it (If-Match is stale)."),
                "version": exc.current_version,
            },
            status=status.HTTP_412_PRECONDITION_FAILED,
            headers={"ETag": f'"{exc.current_version}"'},
        )
    if isinstance(exc, ConflictError):
        return Response(
            {"version": [str(exc)], "current_version": exc.current_version},
            status=status.HTTP_409_CONFLICT,
        )
    bad_input = bad_input_message(exc)
    if bad_input is not None:
        return Response({"detail": bad_input}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response({"detail": in_use_message(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Throttled):
        seconds = getattr(exc, "wait", None)  # set by DRF, not declared by its stubs
        wait = math.ceil(seconds) if seconds is not None else None
        detail = (
            _("Too many requests: try again in %(seconds)s seconds.") % {"seconds": wait}
            if wait
            else _("Too many requests: try again later.")
        )
        headers = {"Retry-After": str(wait)} if wait else {}
        return Response(
            {"detail": detail}, status=status.HTTP_429_TOO_MANY_REQUESTS, headers=headers
        )
    return drf_exception_handler(exc, context)


def not_found(request, exception):
    """``handler404``: an address under /api/ that matches no route (an id that is not a
    number, a misspelt resource) answers JSON as every other API error does, not the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": str(NotFound.default_detail)}, status=404)
    return page_not_found(request, exception)


_ERROR_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": True,
        }
    }
}


_TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"


def _declare_times_of_day(node) -> None:
    """A time of day is written "08:30" or "08:30:00", with no UTC offset; OpenAPI's
    ``format: time`` is RFC 3339's full-time, which requires one, so clients and validators
    would refuse Kesher's own answers. Declared by a pattern instead."""
    if isinstance(node, dict):
        if node.get("format") == "time" and node.get("type") == "string":
            del node["format"]
            node["pattern"] = _TIME_OF_DAY
            node.setdefault("example", "08:30:00")
        for value in node.values():
            _declare_times_of_day(value)
    elif isinstance(node, list):
        for value in node:
            _declare_times_of_day(value)


# A slug that may hold letters of any script (SlugField(allow_unicode=True): a pick-list value
# such as "הסר"). OpenAPI's patterns are ECMA-262's, where \w is ASCII only, so Kesher's own
# values would not match "^[-\w]+$": any character but spaces and ASCII punctuation other
# than "-" and "_".
_UNICODE_SLUG = "^[^\\s!-,./:-@\\[-\\^`{-~]+$"


def _declare_unicode_words(node) -> None:
    if isinstance(node, dict):
        if node.get("pattern") == "^[-\\w]+$":
            node["pattern"] = _UNICODE_SLUG
        if "format" in node and any("format" in one for one in node.get("anyOf", ())):
            # A formatted text that may be blank (schema.KesherAutoSchema): drf-spectacular
            # puts a read-only field's format back beside the choice.
            del node["format"]
        for value in node.values():
            _declare_unicode_words(value)
    elif isinstance(node, list):
        for value in node:
            _declare_unicode_words(value)


def _error(description: str) -> dict:
    return {"description": description, "content": _ERROR_BODY}


def declare_error_responses(result, generator, request, public):
    """drf-spectacular post-processing: the answers every operation may give besides its own
    (issue 24: schemathesis finds no answer the schema does not declare) —

    * 401 without credentials and 403 when the caller's role may not do it (every operation
      checks both), 429 when its caller's rate is used up (``throttling.py``);
    * 404 when the record its path names is not there, or not visible to the caller;
    * 400 when a parameter or field carries a value the server cannot take (a delete too: a
      guard such as "the last administrator" refuses it);
    * 200 when a create is sent again with its ``Idempotency-Key`` (``kesher.platform.once``);
    * 409 when a delete is refused because other records refer to the record, or a write
      conflicts with the record's state or version; 412 when ``If-Match`` is stale.
    """
    _declare_times_of_day(result.get("components", {}))
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            responses.setdefault(
                "429",
                {
                    "description": "Too many requests: wait the seconds of `Retry-After`.",
                    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
                    "content": _ERROR_BODY,
                },
            )
            responses.setdefault(
                "401", _error("No credentials, or credentials that are not valid.")
            )
            responses.setdefault("403", _error("The caller's role may not do this."))
            if "{" in path:
                responses.setdefault("404", _error("No such record, or not one the caller sees."))
            responses.setdefault(
                "400",
                _error(
                    "A parameter or field the server cannot take; `detail` or the field's name "
                    "says which. Nothing was written."
                ),
            )
            if method == "delete":
                responses.setdefault(
                    "409",
                    _error(
                        "Other records still refer to this one; `detail` names them. Nothing "
                        "was deleted."
                    ),
                )
            if method in ("post", "put", "patch"):
                responses.setdefault(
                    "409",
                    _error(
                        "The write conflicts with the record's current state or version. "
                        "Nothing was written."
                    ),
                )
            if method in ("post", "put", "patch") and "requestBody" in operation:
                responses.setdefault(
                    "415", _error("A body in a media type the operation does not take.")
                )
            keyed = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", ()))
            if keyed and "201" in responses:
                responses.setdefault(
                    "200",
                    {
                        **responses["201"],
                        "description": (
                            "Sent again with the same Idempotency-Key: the record the first "
                            "made; nothing new was written."
                        ),
                        "headers": {"Idempotent-Replayed": {"schema": {"type": "string"}}},
                    },
                )
            if method in ("put", "patch"):
                responses.setdefault(
                    "412",
                    _error("`If-Match` names an older version: the record changed meanwhile."),
                )
    _declare_times_of_day(result.get("paths", {}))
    _declare_unicode_words(result)
    return result
