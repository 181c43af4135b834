"""The practice environment's API (REQ IM-6, IMPL-2), administrators only:

* ``GET /api/v1/practice/`` — its state;
* ``POST /api/v1/practice/`` — make it from the live data, or reset it to the live data (202:
  the worker copies; follow ``GET`` until the status is ``ready``);
* ``DELETE /api/v1/practice/`` — delete it (202: the worker deletes; the status becomes
  ``absent``).
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.platform.api.permissions import ActiveUser
from kesher.practice.models import PracticeEnvironment
from kesher.practice.selectors import practice_get
from kesher.practice.services import practice_copy, practice_delete

__all__ = ["PracticeView"]


def state_json(state: PracticeEnvironment) -> dict:
    return {
        "status": state.status,
        "copied_at": state.copied_at,
        "requested_at": state.requested_at,
        "size": state.size,
        "error": state.error,
        "url": settings.KESHER_PRACTICE_URL,
    }


EXAMPLE = {
    "status": "ready",
    "copied_at": "2026-01-04T10:02:00+02:00",
    "requested_at": "2026-01-04T10:00:00+02:00",
    "size": 1473204224,
    "error": "",
    "url": "http://127.0.0.1:8001/",
}


class PracticeView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="The practice environment's state",
        description="status: absent, copying, ready, deleting or failed; url: where the "
        "practice environment is served.",
        responses={200: dict},
        examples=[OpenApiExample("Ready", value=EXAMPLE, response_only=True)],
    )
    def get(self, request):
        return Response(state_json(practice_get(request.user)))

    @extend_schema(
        summary="Create the practice environment, or reset it to the live data",
        description="The worker copies the live database and attached files into the practice "
        "database (202). 400 while a copy or deletion is in progress.",
        request=None,
        responses={202: dict},
        examples=[
            OpenApiExample(
                "Copying",
                value={**EXAMPLE, "status": "copying"},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def post(self, request):
        practice_get(request.user)
        state = practice_copy(actor=request.user)
        return Response(state_json(state), status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Delete the practice environment",
        request=None,
        responses={202: dict},
        examples=[
            OpenApiExample(
                "Deleting",
                value={**EXAMPLE, "status": "deleting"},
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def delete(self, request):
        practice_get(request.user)
        state = practice_delete(actor=request.user)
        return Response(state_json(state), status=status.HTTP_202_ACCEPTED)
