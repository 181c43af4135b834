"""Service errors as API responses: ValidationError -> 400 by field, ConflictError -> 409/412."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from kesher.platform.records.services import ConflictError


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
    return drf_exception_handler(exc, context)
