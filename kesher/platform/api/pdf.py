"""What every API endpoint that answers a PDF shares (decision 0077): the renderer that lets a
client ask for ``Accept: application/pdf``, the ``language`` parameter, and the schema of the
answer."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer

from kesher.platform.pdf import LANGUAGES

__all__ = ["LANGUAGE", "PdfRenderer", "pdf_schema"]


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; a refusal still answers JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


LANGUAGE = OpenApiParameter(
    "language",
    str,
    enum=list(LANGUAGES),
    required=False,
    description="The document's language; by default the contact's or customer's "
    "'language' custom field, else Hebrew.",
)


def pdf_schema(*, tag: str, operation_id: str, summary: str, description: str, example: str):
    """``extend_schema`` for a GET that answers the record's PDF as an attachment, or 404."""
    return extend_schema(
        tags=[tag],
        operation_id=operation_id,
        summary=summary,
        description=description,
        parameters=[LANGUAGE],
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="The PDF, as an attachment named after the document's number.",
                examples=[
                    OpenApiExample(
                        example,
                        value="%PDF-1.7 …",
                        media_type="application/pdf",
                        response_only=True,
                    )
                ],
            ),
            404: OpenApiResponse(
                description="No such record, or not one the caller may see.",
                examples=[OpenApiExample("Not found", value={"detail": "לא נמצא."})],
            ),
        },
    )
