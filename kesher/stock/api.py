"""Stock's API beside the generated warehouses resource (``/api/v1/warehouses/``): levels
(read) and minimums, moves (list; create through the service), serial numbers with their
history, a product's stock settings (issue 17 item 4; decision 0083). Bad input — a negative
quantity, a service product, a serial not in stock, a warehouse the caller may not use — is a
400 in the caller's language with nothing written."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.catalogue.models import Product
from kesher.platform.access import can
from kesher.service.models import Ticket
from kesher.stock import selectors, services
from kesher.stock.models import MoveKind, StockProduct, Warehouse

__all__: list[str] = []

QTY = {"max_digits": 12, "decimal_places": 3}
ID = {"min_value": 1, "max_value": 2_147_483_647}


def _require_view(user) -> None:
    if not can(user, "warehouses", "view"):
        raise PermissionDenied


def _int(value) -> int | None:
    """A record id from a query or form value; None for anything else (or out of range)."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) <= 12 else None


class LevelSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    warehouse = serializers.IntegerField(source="warehouse_id")
    warehouse_name = serializers.CharField(source="warehouse.name")
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.CharField(source="product.name")
    sku = serializers.CharField(source="product.sku")
    product_group = serializers.IntegerField(source="product.group_id", allow_null=True)
    quantity = serializers.DecimalField(**QTY)
    minimum = serializers.DecimalField(allow_null=True, **QTY)
    low = serializers.BooleanField(source="below_minimum", help_text="Below its minimum.")


class MinimumSerializer(serializers.Serializer):
    warehouse = serializers.IntegerField(**ID)
    product = serializers.IntegerField(**ID)
    minimum = serializers.DecimalField(allow_null=True, min_value=Decimal("0"), **QTY)


class MoveSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=MoveKind.choices)
    product = serializers.IntegerField(source="product_id", **ID)
    quantity = serializers.DecimalField(min_value=Decimal("0.001"), **QTY)
    from_warehouse = serializers.IntegerField(
        source="from_warehouse_id", required=False, allow_null=True, default=None, **ID
    )
    to_warehouse = serializers.IntegerField(
        source="to_warehouse_id", required=False, allow_null=True, default=None, **ID
    )
    unit_cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        default=None,
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    ticket = serializers.IntegerField(
        source="ticket_id", required=False, allow_null=True, default=None, **ID
    )
    document = serializers.IntegerField(source="document_id", read_only=True, allow_null=True)
    serials = serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, default=list, max_length=1000
    )
    actor = serializers.IntegerField(source="actor_id", read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class MoveReadSerializer(MoveSerializer):
    serials = serializers.SerializerMethodField()

    def get_serials(self, move) -> list[str]:
        """The serial numbers that moved."""
        return [serial.number for serial in move.serials.all()]


class SerialSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    product = serializers.IntegerField(source="product_id")
    number = serializers.CharField()
    status = serializers.CharField()
    warehouse = serializers.IntegerField(source="warehouse_id", allow_null=True)


class HistoryMoveSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    from_warehouse = serializers.IntegerField(source="from_warehouse_id", allow_null=True)
    to_warehouse = serializers.IntegerField(source="to_warehouse_id", allow_null=True)
    document = serializers.IntegerField(source="document_id", allow_null=True)
    ticket = serializers.IntegerField(source="ticket_id", allow_null=True)
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    created_at = serializers.DateTimeField()


class SerialHistorySerializer(SerialSerializer):
    history = serializers.SerializerMethodField()

    def get_history(self, serial) -> list[dict]:
        """Its moves, oldest first: from the receipt to the customer."""
        return HistoryMoveSerializer(selectors.serial_history(serial), many=True).data


class ProductStockSerializer(serializers.Serializer):
    serial_tracked = serializers.BooleanField()


MOVE_EXAMPLE = {
    "kind": "receipt",
    "product": 7,
    "quantity": "2",
    "to_warehouse": 3,
    "unit_cost": "410.00",
    "reference": "ספק 4471",
    "serials": ["SN-1001", "SN-1002"],
}
PART_EXAMPLE = {
    "kind": "part_use",
    "product": 7,
    "quantity": "1",
    "from_warehouse": 3,
    "ticket": 58,
    "serials": ["SN-1001"],
}
REFUSED = OpenApiExample(
    "Refused (400)",
    value={"serials": ["יש לציין מספרים סידוריים שנמצאים בניידת — יוסי."]},
    response_only=True,
    status_codes=["400"],
)


class LevelListView(ListAPIView):
    """Stock levels in the warehouses the caller sees (REQ RE-3), the low ones flagged."""

    permission_classes = [IsAuthenticated]
    serializer_class = LevelSerializer
    filter_backends: list = []

    def get_queryset(self):
        _require_view(self.request.user)
        query = self.request.query_params
        filters = selectors.LevelFilters(
            warehouse=_int(query.get("warehouse")),
            group=_int(query.get("group")),
            product=_int(query.get("product")),
            low=query.get("low") in ("1", "true"),
        )
        return selectors.level_list(self.request.user, filters)

    @extend_schema(
        tags=["stock"],
        operation_id="stock_levels_list",
        summary="Stock levels by warehouse and product",
        parameters=[
            OpenApiParameter("warehouse", int, description="One warehouse's levels."),
            OpenApiParameter("group", int, description="One product group's levels."),
            OpenApiParameter("product", int, description="One product's levels."),
            OpenApiParameter("low", bool, description="Only those below their minimum."),
        ],
        examples=[
            OpenApiExample(
                "A low level",
                {
                    "id": 12,
                    "warehouse": 3,
                    "warehouse_name": "ניידת — יוסי",
                    "product": 7,
                    "product_name": "מסנן מים",
                    "sku": "FLT-7",
                    "product_group": 2,
                    "quantity": "1.000",
                    "minimum": "3.000",
                    "low": True,
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def _warehouse(user, pk, field: str) -> Warehouse | None:
    if pk is None:
        return None
    warehouse = selectors.visible_warehouses(user).filter(pk=pk).first()
    if warehouse is None:
        raise ValidationError({field: [_("Choose a warehouse you may use.")]})
    return warehouse


def _product(pk) -> Product:
    product = Product.objects.filter(pk=pk).first()
    if product is None:
        raise ValidationError({"product": [_("Choose a product.")]})
    return product


class MinimumView(APIView):
    """The minimum level of a product in a warehouse (REQ SA-11)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["stock"],
        operation_id="stock_levels_minimum",
        summary="Set a product's minimum level in a warehouse",
        request=MinimumSerializer,
        responses={200: LevelSerializer},
        examples=[
            OpenApiExample("Three at least", {"warehouse": 3, "product": 7, "minimum": "3"}),
            REFUSED,
        ],
    )
    def put(self, request):
        if not can(request.user, "warehouses", "change"):
            raise PermissionDenied
        body = MinimumSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warehouse = _warehouse(request.user, body.validated_data["warehouse"], "warehouse")
        level = services.minimum_set(
            actor=request.user,
            warehouse=warehouse,
            product=_product(body.validated_data["product"]),
            minimum=body.validated_data["minimum"],
        )
        level = selectors.level_list(request.user).get(pk=level.pk)
        return Response(LevelSerializer(level).data)


class MoveListView(ListAPIView):
    """The stock ledger of the warehouses the caller sees; a move is added through the
    service (nothing is changed or deleted: a mistake is corrected by another move)."""

    permission_classes = [IsAuthenticated]
    serializer_class = MoveReadSerializer
    filter_backends: list = []

    def get_queryset(self):
        _require_view(self.request.user)
        moves = selectors.move_list(self.request.user)
        query = self.request.query_params
        for name in ("product", "ticket", "document"):
            if _int(query.get(name)):
                moves = moves.filter(**{f"{name}_id": _int(query.get(name))})
        if _int(query.get("warehouse")):
            pk = _int(query.get("warehouse"))
            moves = moves.filter(from_warehouse_id=pk) | moves.filter(to_warehouse_id=pk)
        if query.get("kind") in MoveKind.values:
            moves = moves.filter(kind=query["kind"])
        return moves

    @extend_schema(
        tags=["stock"],
        operation_id="stock_moves_list",
        summary="Stock moves (the ledger)",
        parameters=[
            OpenApiParameter("warehouse", int),
            OpenApiParameter("product", int),
            OpenApiParameter("ticket", int),
            OpenApiParameter("document", int),
            OpenApiParameter("kind", str, enum=MoveKind.values),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=["stock"],
        operation_id="stock_moves_create",
        summary="Record a stock move",
        request=MoveSerializer,
        responses={201: MoveReadSerializer},
        examples=[
            OpenApiExample("A receipt with serial numbers", MOVE_EXAMPLE, request_only=True),
            OpenApiExample("A part used on a ticket", PART_EXAMPLE, request_only=True),
            REFUSED,
        ],
    )
    def post(self, request):
        _require_view(request.user)
        body = MoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        user = request.user
        ticket = None
        if data["ticket_id"] is not None:
            ticket = Ticket.objects.visible_to(user).filter(pk=data["ticket_id"]).first()
            if ticket is None or not can(user, "tickets", "change"):
                raise ValidationError({"ticket": [_("Choose a ticket you may change.")]})
        move = services.move_create(
            actor=user,
            kind=data["kind"],
            product=_product(data["product_id"]),
            quantity=data["quantity"],
            from_warehouse=_warehouse(user, data["from_warehouse_id"], "from_warehouse"),
            to_warehouse=_warehouse(user, data["to_warehouse_id"], "to_warehouse"),
            unit_cost=data["unit_cost"],
            reason=data["reason"],
            reference=data["reference"],
            serials=data["serials"],
            ticket=ticket,
        )
        return Response(MoveReadSerializer(move).data, status=201)


class SerialListView(ListAPIView):
    """Serial numbers that are, or were, in a warehouse the caller sees."""

    permission_classes = [IsAuthenticated]
    serializer_class = SerialSerializer
    filter_backends: list = []

    def get_queryset(self):
        _require_view(self.request.user)
        query = self.request.query_params
        return selectors.serial_list(
            self.request.user,
            number=query.get("number", ""),
            product=_int(query.get("product")),
        )

    @extend_schema(
        tags=["stock"],
        operation_id="serials_list",
        summary="Serial numbers",
        parameters=[
            OpenApiParameter("number", str, description="Part of the serial number."),
            OpenApiParameter("product", int),
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SerialDetailView(APIView):
    """A serial number with its history from receipt to customer (REQ SA-11)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["stock"],
        operation_id="serials_retrieve",
        summary="A serial number and its history",
        responses={200: SerialHistorySerializer},
        examples=[
            OpenApiExample(
                "Received, then used on a ticket",
                {
                    "id": 4,
                    "product": 7,
                    "number": "SN-1001",
                    "status": "used",
                    "warehouse": None,
                    "history": [
                        {
                            "id": 31,
                            "kind": "receipt",
                            "from_warehouse": None,
                            "to_warehouse": 3,
                            "document": None,
                            "ticket": None,
                            "actor": 2,
                            "created_at": "2026-12-06T10:00:00+02:00",
                        },
                        {
                            "id": 35,
                            "kind": "part_use",
                            "from_warehouse": 3,
                            "to_warehouse": None,
                            "document": None,
                            "ticket": 58,
                            "actor": 7,
                            "created_at": "2026-12-07T09:12:00+02:00",
                        },
                    ],
                },
                response_only=True,
            )
        ],
    )
    def get(self, request, pk):
        _require_view(request.user)
        serial = selectors.serial_get(request.user, pk)
        if serial is None:
            raise NotFound
        return Response(SerialHistorySerializer(serial).data)


class ProductStockView(APIView):
    """A product's stock settings: whether its units carry serial numbers."""

    permission_classes = [IsAuthenticated]

    def _product(self, request, pk) -> Product:
        product = Product.objects.visible_to(request.user).filter(pk=pk).first()
        if product is None:
            raise NotFound
        return product

    @extend_schema(
        tags=["stock"],
        operation_id="products_stock_retrieve",
        summary="A product's stock settings",
        responses={200: ProductStockSerializer},
    )
    def get(self, request, pk):
        if not can(request.user, "products", "view"):
            raise PermissionDenied
        product = self._product(request, pk)
        row = StockProduct.objects.filter(product=product).first()
        return Response({"serial_tracked": bool(row and row.serial_tracked)})

    @extend_schema(
        tags=["stock"],
        operation_id="products_stock_update",
        summary="Set whether a product's units carry serial numbers",
        request=ProductStockSerializer,
        responses={200: ProductStockSerializer},
        examples=[OpenApiExample("Serial-tracked", {"serial_tracked": True})],
    )
    def put(self, request, pk):
        if not can(request.user, "products", "change"):
            raise PermissionDenied
        product = self._product(request, pk)
        body = ProductStockSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = services.product_stock_set(
            product, actor=request.user, serial_tracked=body.validated_data["serial_tracked"]
        )
        return Response({"serial_tracked": row.serial_tracked})
