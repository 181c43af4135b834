"""Service errors as API responses: ValidationError -> 400 by field, ConflictError -> 409/412,
a record still referred to -> 409 naming what refers to it, a throttled call -> 429 with
``Retry-After``. Every message in the request's language."""

import math

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import Throttled, ValidationError
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


_ERROR_BODY = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "additionalProperties": True,
        }
    }
}


def declare_error_responses(result, generator, request, public):
    """drf-spectacular post-processing: the answers every operation may give besides its own —
    429 when its caller's rate is used up (``throttling.py``), 409 when a delete is refused
    because other records refer to the record, 400 when a list's paging, filters or search
    carry a value the database cannot take."""
    for operations in result.get("paths", {}).values():
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
            if method == "delete":
                responses.setdefault(
                    "409",
                    {
                        "description": "Other records still refer to this one; `detail` names "
                        "them. Nothing was deleted.",
                        "content": _ERROR_BODY,
                    },
                )
            if method == "get" or method in ("post", "put", "patch"):
                responses.setdefault(
                    "400",
                    {
                        "description": "A parameter or field the server cannot take; `detail` "
                        "or the field's name says which.",
                        "content": _ERROR_BODY,
                    },
                )
    return result
