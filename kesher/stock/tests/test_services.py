"""Stock moves, levels, serial numbers, parts on tickets and low-stock alerts (REQ SA-11, SV-12,
RE-3; decision 0083)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kesher.automation.models import RuleRun
from kesher.automation.services import rule_create
from kesher.service.tests.factories import make_ticket
from kesher.stock.models import MoveKind, Serial, StockLevel, StockMove
from kesher.stock.services import minimum_set, move_create, part_use

pytestmark = pytest.mark.django_db


def level(warehouse, product) -> Decimal:
    row = StockLevel.objects.filter(warehouse=warehouse, product=product).first()
    return row.quantity if row else Decimal("0")


def test_a_receipt_adds_to_the_level_and_the_ledger_records_who_and_what(users, stock, receive):
    """REQ SA-11: each move with its quantity, unit cost, reference, who and when."""
    move = move_create(
        actor=users["admin"],
        kind=MoveKind.RECEIPT,
        product=stock["cable"],
        quantity=Decimal("12"),
        to_warehouse=stock["main"],
        unit_cost=Decimal("4.50"),
        reference="ספק 77",
    )
    assert level(stock["main"], stock["cable"]) == 12
    assert (move.actor, move.unit_cost, move.reference) == (
        users["admin"],
        Decimal("4.50"),
        "ספק 77",
    )
    assert move.created_at is not None


def test_a_move_out_beyond_the_level_is_refused_with_nothing_written(users, stock, receive):
    receive(stock["cable"], stock["main"], 3)
    before = StockMove.objects.count()
    with pytest.raises(ValidationError, match="holds only 3"):
        move_create(
            actor=users["admin"],
            kind=MoveKind.TRANSFER,
            product=stock["cable"],
            quantity=Decimal("4"),
            from_warehouse=stock["main"],
            to_warehouse=stock["van"],
        )
    assert StockMove.objects.count() == before
    assert level(stock["main"], stock["cable"]) == 3
    assert level(stock["van"], stock["cable"]) == 0


def test_a_warehouse_the_admin_allows_may_go_below_zero(users, stock, receive):
    """Never negative unless the administrator allows it: a setting stored on the warehouse."""
    stock["main"].allow_negative = True
    stock["main"].save(update_fields=["allow_negative"])
    move_create(
        actor=users["admin"],
        kind=MoveKind.ADJUSTMENT,
        product=stock["cable"],
        quantity=Decimal("2"),
        from_warehouse=stock["main"],
        reason="ספירת מלאי",
    )
    assert level(stock["main"], stock["cable"]) == -2


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("product", {"product": "install"}),
        ("quantity", {"quantity": Decimal("-1")}),
        ("quantity", {"quantity": Decimal("0")}),
        ("reason", {"kind": MoveKind.ADJUSTMENT, "reason": ""}),
        ("to_warehouse", {"kind": MoveKind.TRANSFER, "from_warehouse": "van"}),
    ],
)
def test_bad_moves_are_refused_with_nothing_written(users, stock, field, changes):
    args = {
        "kind": MoveKind.RECEIPT,
        "product": stock["cable"],
        "quantity": Decimal("1"),
        "to_warehouse": stock["van"],
    }
    for name, value in changes.items():
        args[name] = stock[value] if isinstance(value, str) and value in stock else value
    with pytest.raises(ValidationError) as error:
        move_create(actor=users["admin"], **args)
    assert field in error.value.message_dict
    assert not StockMove.objects.exists()
    assert not StockLevel.objects.filter(quantity__gt=0).exists()


def test_a_technician_moves_stock_only_in_his_own_van(users, stock, receive):
    """A technician (support agent, "own" scope) holds his van's parts; another's van, or the
    main warehouse, is not his to move."""
    receive(stock["cable"], stock["van"], 2)
    receive(stock["cable"], stock["other_van"], 2)
    tech = users["support_agent"]
    ticket = make_ticket(users["admin"], subject="תקלה")
    part_use(
        ticket, actor=tech, product=stock["cable"], quantity=Decimal("1"), warehouse=stock["van"]
    )
    assert level(stock["van"], stock["cable"]) == 1
    with pytest.raises(ValidationError, match="may not move stock"):
        part_use(
            ticket,
            actor=tech,
            product=stock["cable"],
            quantity=Decimal("1"),
            warehouse=stock["other_van"],
        )
    assert level(stock["other_van"], stock["cable"]) == 2


def test_serials_from_receipt_to_customer(users, stock, receive):
    """REQ SA-11: a receipt records the serials; a part use must name serials in that
    warehouse; a return brings one back; the history runs from receipt on."""
    receive(stock["filter"], stock["van"], 2, ["SN-1", "SN-2"])
    assert set(Serial.objects.values_list("number", "status")) == {
        ("SN-1", "in_stock"),
        ("SN-2", "in_stock"),
    }
    ticket = make_ticket(users["admin"], subject="החלפת מסנן")
    with pytest.raises(ValidationError, match="one serial number for each unit"):
        part_use(
            ticket,
            actor=users["admin"],
            product=stock["filter"],
            quantity=Decimal("1"),
            warehouse=stock["van"],
        )
    with pytest.raises(ValidationError, match="that are in"):
        part_use(
            ticket,
            actor=users["admin"],
            product=stock["filter"],
            quantity=Decimal("1"),
            warehouse=stock["van"],
            serials=["SN-9"],
        )
    part_use(
        ticket,
        actor=users["admin"],
        product=stock["filter"],
        quantity=Decimal("1"),
        warehouse=stock["van"],
        serials=["SN-1"],
    )
    used = Serial.objects.get(number="SN-1")
    assert (used.status, used.warehouse) == ("used", None)
    assert level(stock["van"], stock["filter"]) == 1
    with pytest.raises(ValidationError, match="Already recorded"):
        receive(stock["filter"], stock["main"], 1, ["SN-2"])
    move_create(
        actor=users["admin"],
        kind=MoveKind.RETURN,
        product=stock["filter"],
        quantity=Decimal("1"),
        to_warehouse=stock["main"],
        serials=["SN-1"],
    )
    used.refresh_from_db()
    assert (used.status, used.warehouse) == ("in_stock", stock["main"])
    assert list(used.moves.order_by("pk").values_list("kind", flat=True)) == [
        "receipt",
        "part_use",
        "return",
    ]


def test_a_product_without_serials_takes_none(users, stock):
    with pytest.raises(ValidationError, match="no serial numbers"):
        move_create(
            actor=users["admin"],
            kind=MoveKind.RECEIPT,
            product=stock["cable"],
            quantity=Decimal("1"),
            to_warehouse=stock["main"],
            serials=["X"],
        )


def test_the_low_stock_trigger_fires_once_per_crossing(
    users, stock, receive, django_capture_on_commit_callbacks
):
    """REQ SA-11: "stock falls below minimum" fires when a move crosses it — not on the moves
    that keep it below — and again after the level rose back and fell again."""
    rule = rule_create(
        actor=users["admin"],
        data={
            "name": "מלאי נמוך",
            "entity": "warehouses",
            "trigger_kind": "stock_below_minimum",
            "actions": [{"type": "update_fields", "values": {"notes": "נמוך"}}],
        },
    )
    receive(stock["cable"], stock["main"], 5)
    minimum_set(actor=users["admin"], warehouse=stock["main"], product=stock["cable"], minimum=3)

    def take(quantity):
        with django_capture_on_commit_callbacks(execute=True):
            move_create(
                actor=users["admin"],
                kind=MoveKind.ADJUSTMENT,
                product=stock["cable"],
                quantity=Decimal(quantity),
                from_warehouse=stock["main"],
                reason="שבר",
            )

    take("2")  # 3: at the minimum, not below
    assert not RuleRun.objects.filter(rule=rule).exists()
    take("1")  # 2: crosses
    take("1")  # 1: still below
    assert RuleRun.objects.filter(rule=rule, record_id=stock["main"].pk).count() == 1
    assert StockLevel.objects.get(warehouse=stock["main"], product=stock["cable"]).below_minimum
    with django_capture_on_commit_callbacks(execute=True):
        receive(stock["cable"], stock["main"], 5)  # 6: back above
    take("4")  # 2: crosses again
    assert RuleRun.objects.filter(rule=rule).count() == 2


def test_a_trigger_on_another_entity_is_refused(users):
    with pytest.raises(ValidationError):
        rule_create(
            actor=users["admin"],
            data={
                "name": "x",
                "entity": "accounts",
                "trigger_kind": "stock_below_minimum",
                "actions": [{"type": "update_fields", "values": {"name": "x"}}],
            },
        )


def test_a_return_to_a_supplier_takes_the_units_and_their_serials_out(users, stock, receive):
    """Goods sent back to the supplier leave the warehouse; their serial numbers are marked
    returned and cannot be delivered; a return names a warehouse to leave and none to enter."""
    admin, main, filter_ = users["admin"], stock["main"], stock["filter"]
    receive(filter_, main, 3, serials=["F-1", "F-2", "F-3"])
    move = move_create(
        actor=admin,
        kind=MoveKind.TO_SUPPLIER,
        product=filter_,
        quantity=Decimal("1"),
        from_warehouse=main,
        serials=["F-2"],
        reference="זיכוי 5",
    )
    assert level(main, filter_) == 2
    assert [s.number for s in move.serials.all()] == ["F-2"]
    returned = Serial.objects.get(number="F-2")
    assert (returned.status, returned.warehouse) == (Serial.Status.RETURNED, None)
    with pytest.raises(ValidationError, match="are in"):
        move_create(
            actor=admin,
            kind=MoveKind.DELIVERY,
            product=filter_,
            quantity=Decimal("1"),
            from_warehouse=main,
            serials=["F-2"],
        )
    with pytest.raises(ValidationError, match="into no warehouse"):
        move_create(
            actor=admin,
            kind=MoveKind.TO_SUPPLIER,
            product=filter_,
            quantity=Decimal("1"),
            from_warehouse=main,
            to_warehouse=stock["van"],
            serials=["F-1"],
        )
    assert StockMove.objects.filter(kind=MoveKind.TO_SUPPLIER).count() == 1
