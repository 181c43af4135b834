"""Quotes' and orders' own API beside the generated resources (``/api/v1/quotes/``,
``/api/v1/orders/``): their lines, and issuing, approval, versions and acceptance
(REQ SA-9, SA-10, SV-12; decision 0068)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.catalogue.models import PriceRule
from kesher.platform.access import can
from kesher.platform.api.pdf import PdfRenderer, pdf_schema
from kesher.platform.pdf import LANGUAGES, pdf_response
from kesher.quotes import services
from kesher.quotes.documents import document_language, document_pdf, pdf_filename
from kesher.quotes.models import Order, Quote
from kesher.quotes.services import LineInput

__all__: list[str] = []


class LineInputSerializer(serializers.Serializer):
    product = serializers.IntegerField(min_value=1)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, default=0
    )
    period = serializers.ChoiceField(
        choices=PriceRule.Period.choices, required=False, allow_blank=True, default=""
    )
    periods = serializers.DecimalField(
        max_digits=9, decimal_places=3, min_value=Decimal("0.001"), required=False, allow_null=True
    )
    addons = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=20
    )
    optional = serializers.BooleanField(required=False, default=False)
    name = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: the product's name.",
    )


class LinesRequestSerializer(serializers.Serializer):
    lines = LineInputSerializer(many=True, max_length=services.MAX_LINES)


class LineSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    name = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    period = serializers.CharField()
    periods = serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True)
    addons = serializers.ListField(child=serializers.IntegerField())
    optional = serializers.BooleanField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    source = serializers.CharField()
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    rule_discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    discount_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    over_limit = serializers.BooleanField()
    discount_limit = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class DocumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.CharField(help_text="Empty while a draft (decision 0068).")
    status = serializers.CharField()
    version = serializers.IntegerField()
    currency = serializers.CharField()
    exchange_rate = serializers.DecimalField(max_digits=14, decimal_places=6)
    gross = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount = serializers.DecimalField(max_digits=14, decimal_places=2)
    net = serializers.DecimalField(max_digits=14, decimal_places=2)
    vat = serializers.DecimalField(max_digits=14, decimal_places=2)
    total = serializers.DecimalField(max_digits=14, decimal_places=2)
    lines = LineSerializer(many=True)


class QuoteDocumentSerializer(DocumentSerializer):
    revision = serializers.IntegerField()
    over_limit = serializers.BooleanField()
    discount_approved = serializers.BooleanField()
    order = serializers.SerializerMethodField()

    def get_order(self, quote) -> int | None:
        order = Order.objects.filter(quote=quote).values_list("pk", flat=True).first()
        return order


LINE_EXAMPLE = {
    "position": 1,
    "product": 7,
    "name": "מחשב נייד 14 אינץ׳",
    "sku": "LAP-14",
    "quantity": "3.000",
    "period": "",
    "periods": None,
    "addons": [],
    "optional": False,
    "unit_price": "3990.00",
    "source": "מחירון VIP",
    "gross": "11970.00",
    "rule_discount_percent": "0.00",
    "discount_percent": "5.00",
    "discount": "598.50",
    "net": "11371.50",
    "vat_rate": "18.00",
    "vat": "2046.87",
    "total": "13418.37",
    "over_limit": False,
    "discount_limit": "10.00",
}
QUOTE_EXAMPLE = {
    "id": 31,
    "number": "",
    "status": "draft",
    "version": 3,
    "currency": "ILS",
    "exchange_rate": "1.000000",
    "gross": "11970.00",
    "discount": "598.50",
    "net": "11371.50",
    "vat": "2046.87",
    "total": "13418.37",
    "lines": [LINE_EXAMPLE],
    "revision": 1,
    "over_limit": False,
    "discount_approved": False,
    "order": None,
}
LINES_REQUEST = OpenApiExample(
    "Three laptops at 5% off and a projector rented for two weeks",
    value={
        "lines": [
            {"product": 7, "quantity": "3", "discount_percent": "5"},
            {"product": 12, "quantity": "1", "period": "week", "periods": "2"},
            {"product": 15, "quantity": "1", "optional": True},
        ]
    },
    request_only=True,
)
BAD_LINE = OpenApiExample(
    "A line that cannot be priced (400)",
    value={"lines": ["שורה 2: למוצר מקרן אין מחיר השכרה לתקופה זו."]},
    response_only=True,
    status_codes=["400"],
)


def _document(request, model, key: str, pk, action: str):
    if not can(request.user, key, action):
        raise PermissionDenied
    document = model.objects.visible_to(request.user).filter(pk=pk).first()
    if document is None:
        raise NotFound
    return document


def _reply(document):
    document = type(document).objects.prefetch_related("lines").get(pk=document.pk)
    serializer = QuoteDocumentSerializer if isinstance(document, Quote) else DocumentSerializer
    return Response(serializer(document).data)


def _lines(request) -> list[LineInput]:
    body = LinesRequestSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    return [
        LineInput(
            product=line["product"],
            quantity=line["quantity"],
            discount_percent=line.get("discount_percent") or Decimal("0"),
            period=line.get("period") or "",
            periods=line.get("periods"),
            addons=tuple(line.get("addons") or ()),
            optional=line.get("optional", False),
            name=line.get("name") or "",
        )
        for line in body.validated_data["lines"]
    ]


class QuoteLinesView(APIView):
    """A quote's lines as priced, and replacing a draft's lines: each is priced by the
    catalogue (the customer's list, rules, VAT on the quote's date, the author's discount
    limit), the totals are the sums of the counted lines, in agorot (decision 0065)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["quotes"],
        operation_id="quotes_lines",
        summary="A quote with its lines",
        responses={200: QuoteDocumentSerializer},
        examples=[OpenApiExample("A draft", value=QUOTE_EXAMPLE)],
    )
    def get(self, request, pk):
        return _reply(_document(request, Quote, "quotes", pk, "view"))

    @extend_schema(
        tags=["quotes"],
        operation_id="quotes_lines_replace",
        summary="Replace a draft quote's lines",
        request=LinesRequestSerializer,
        responses={200: QuoteDocumentSerializer},
        examples=[
            LINES_REQUEST,
            OpenApiExample("Priced", value=QUOTE_EXAMPLE, response_only=True),
            BAD_LINE,
        ],
    )
    def put(self, request, pk):
        quote = _document(request, Quote, "quotes", pk, "change")
        return _reply(services.quote_set_lines(quote, actor=request.user, lines=_lines(request)))


class OrderLinesView(APIView):
    """An order's lines as priced, and replacing a draft order's (a quick sale's) lines."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["orders"],
        operation_id="orders_lines",
        summary="An order with its lines",
        responses={200: DocumentSerializer},
        examples=[OpenApiExample("A draft quick sale", value={**QUOTE_EXAMPLE, "status": "draft"})],
    )
    def get(self, request, pk):
        return _reply(_document(request, Order, "orders", pk, "view"))

    @extend_schema(
        tags=["orders"],
        operation_id="orders_lines_replace",
        summary="Replace a draft order's lines",
        request=LinesRequestSerializer,
        responses={200: DocumentSerializer},
        examples=[LINES_REQUEST, BAD_LINE],
    )
    def put(self, request, pk):
        order = _document(request, Order, "orders", pk, "change")
        return _reply(services.order_set_lines(order, actor=request.user, lines=_lines(request)))


def _action_view(model, key: str, name: str, call, summary: str, doc: str, example: dict):
    class ActionView(APIView):
        permission_classes = [IsAuthenticated]

        @extend_schema(
            tags=[key],
            operation_id=f"{key}_{name.replace('-', '_')}",
            summary=summary,
            description=doc,
            request=None,
            responses={200: QuoteDocumentSerializer if model is Quote else DocumentSerializer},
            examples=[
                OpenApiExample("Done", value=example, response_only=True),
                OpenApiExample(
                    "Refused (400)",
                    value={"__all__": ["הנחה מעל המגבלה: ההצעה תישלח לאחר אישור ההנחה."]},
                    response_only=True,
                    status_codes=["400"],
                ),
            ],
        )
        def post(self, request, pk):
            document = _document(request, model, key, pk, "change")
            return _reply(call(document, request.user))

    ActionView.__name__ = ActionView.__qualname__ = (
        f"{model.__name__}{name.title().replace('-', '')}View"
    )
    ActionView.__doc__ = doc
    return ActionView


def _approval(quote, actor):
    services.quote_request_approval(quote, actor=actor)
    return quote


def _accept(quote, actor):
    services.quote_accept(quote, actor=actor, via="")
    return quote


SENT = {**QUOTE_EXAMPLE, "number": "Q-00031", "status": "sent"}
ACTIONS = {
    "quotes": [
        (
            "send",
            lambda quote, actor: services.quote_send(quote, actor=actor),
            "Send (issue) a quote",
            "Numbers the draft (gap-free, per company) and freezes it; refused while a "
            "discount above the author's limit is not approved (REQ SA-9, SA-10).",
            SENT,
        ),
        (
            "request-approval",
            _approval,
            "Ask for approval of a quote's discount",
            "Starts the quotes' approval process; the quote is locked until it is decided.",
            {**QUOTE_EXAMPLE, "over_limit": True},
        ),
        (
            "revise",
            lambda quote, actor: services.quote_revise(quote, actor=actor),
            "A new version of a quote",
            "A draft copy of a sent, rejected or expired quote, its lines as priced; the old "
            "version is superseded. The answer is the new version.",
            {**QUOTE_EXAMPLE, "id": 32, "revision": 2, "number": "Q-00031"},
        ),
        (
            "accept",
            _accept,
            "Record the customer's acceptance",
            "Makes the order from the lines, moves the deal to its won stage and fires the "
            "'quote accepted' trigger.",
            {**SENT, "status": "accepted", "order": 8},
        ),
        (
            "reject",
            lambda quote, actor: services.quote_reject(quote, actor=actor),
            "Record the customer's rejection",
            "The quote is rejected; a new version may follow.",
            {**SENT, "status": "rejected"},
        ),
    ],
    "orders": [
        (
            "confirm",
            lambda order, actor: services.order_confirm(order, actor=actor),
            "Confirm an order",
            "Numbers the draft order (gap-free, per company) and freezes it (REQ SV-12).",
            {**QUOTE_EXAMPLE, "number": "SO-00008", "status": "confirmed"},
        )
    ],
}
ACTION_VIEWS = {
    (key, name): _action_view(
        Quote if key == "quotes" else Order, key, name, call, summary, doc, example
    )
    for key, actions in ACTIONS.items()
    for name, call, summary, doc, example in actions
}


# --- PDFs and e-mail (decision 0077) ------------------------------------------------------------


def _pdf_view(model, key: str):
    label = "quote" if model is Quote else "order"

    class PdfView(APIView):
        permission_classes = [IsAuthenticated]
        renderer_classes = [JSONRenderer, PdfRenderer]

        @pdf_schema(
            tag=key,
            operation_id=f"{key}_pdf",
            summary=f"The {label} as a PDF",
            description=(
                f"The {label}'s printed document (WeasyPrint): right to left in Hebrew, left to "
                "right in English, lines with quantity, unit price, discount and line total, "
                "the totals with VAT; a draft is marked as one. Only records the caller may "
                "see (404 otherwise)."
            ),
            example="A PDF",
        )
        def get(self, request, pk):
            document = _document(request, model, key, pk, "view")
            language = document_language(document, request.query_params.get("language"))
            return pdf_response(
                document_pdf(document, language=language), pdf_filename(document, language)
            )

    PdfView.__name__ = PdfView.__qualname__ = f"{model.__name__}PdfView"
    return PdfView


QuotePdfView = _pdf_view(Quote, "quotes")
OrderPdfView = _pdf_view(Order, "orders")


class EmailRequestSerializer(serializers.Serializer):
    to = serializers.ListField(
        child=serializers.EmailField(),
        required=False,
        max_length=20,
        help_text="Empty: the contact's e-mail address, else the customer's.",
    )
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    message = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text="A note above the text."
    )


class QuoteMessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    to = serializers.CharField()
    subject = serializers.CharField()
    status = serializers.CharField(help_text="queued; suppressed in the practice environment.")


class EmailedSerializer(serializers.Serializer):
    quote = QuoteDocumentSerializer()
    message = QuoteMessageSerializer()


class QuoteEmailView(APIView):
    """E-mail a quote to the customer with its PDF attached (decision 0077)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["quotes"],
        operation_id="quotes_email",
        summary="E-mail a quote with its PDF",
        description=(
            "Issues a draft (numbered; refused while a discount waits for approval), renders "
            "its PDF in the customer's language, keeps it on the quote and queues the e-mail "
            "through the outbox (suppressed in the practice environment). A version is "
            "e-mailed at most once: calling again answers with the first message."
        ),
        request=EmailRequestSerializer,
        responses={200: EmailedSerializer},
        examples=[
            OpenApiExample(
                "To the buyer, in English",
                value={"to": ["buyer@example.co.il"], "language": "en", "message": "Hi Dana,"},
                request_only=True,
            ),
            OpenApiExample(
                "Queued",
                value={
                    "quote": {**SENT},
                    "message": {
                        "id": 88,
                        "to": "buyer@example.co.il",
                        "subject": "Quote Q-00031 from Kesher Ltd",
                        "status": "queued",
                    },
                },
                response_only=True,
            ),
            OpenApiExample(
                "Refused (400)",
                value={"to": ["ללקוח אין כתובת דוא״ל: יש להזין את הכתובת לשליחה."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        quote = _document(request, Quote, "quotes", pk, "change")
        body = EmailRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        message = services.quote_email(
            quote,
            actor=request.user,
            to=body.validated_data.get("to") or None,
            language=body.validated_data.get("language"),
            note=body.validated_data.get("message", ""),
        )
        document = Quote.objects.prefetch_related("lines").get(pk=quote.pk)
        return Response(
            {
                "quote": QuoteDocumentSerializer(document).data,
                "message": QuoteMessageSerializer(message).data,
            }
        )


# --- a document template's logo (decision 0085) -----------------------------------------------


class LogoRequestSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A PNG or JPEG image of at most 1 MB.")


class LogoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    mime_type = serializers.CharField()
    size = serializers.IntegerField()


class DocumentTemplateLogoView(APIView):
    """Upload a document template's logo (multipart, field ``file``)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["document-templates"],
        operation_id="document_templates_logo",
        summary="Upload a document template's logo",
        description=(
            "A PNG or JPEG (recognized by its bytes) of at most 1 MB, kept in the template's "
            "files as logo.png / logo.jpg; the newest is printed at the top of every page of "
            "the documents the template is for, instead of the company's logo."
        ),
        request={"multipart/form-data": LogoRequestSerializer},
        responses={201: LogoSerializer},
        examples=[
            OpenApiExample(
                "Uploaded",
                value={"id": 41, "name": "logo.png", "mime_type": "image/png", "size": 18211},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Refused (400)",
                value={"logo": ["הלוגו חייב להיות תמונת PNG או JPEG."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request, pk):
        from kesher.quotes.doctemplates import document_template_logo
        from kesher.quotes.models import DocumentTemplate

        template = _document(request, DocumentTemplate, "document-templates", pk, "change")
        uploaded = request.FILES.get("file")
        if uploaded is None:
            raise serializers.ValidationError({"file": [_("Choose a file to upload.")]})
        attachment = document_template_logo(template, actor=request.user, uploaded=uploaded)
        return Response(LogoSerializer(attachment).data, status=201)
