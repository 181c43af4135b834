"""The demo's stock (issue 17 item 4; decision 0083): a main warehouse that ships delivery
notes and the vans of the two field technicians; goods received from a supplier (desktops with
their serial numbers), mice and a desktop moved into the vans, a mouse and a desktop used on a
ticket, and one van low on mice. Everything goes through the stock services."""

from __future__ import annotations

from decimal import Decimal

from kesher.catalogue.models import Product
from kesher.org.models import User
from kesher.platform.records.services import record_create
from kesher.service.models import Ticket
from kesher.stock.models import MoveKind
from kesher.stock.services import minimum_set, move_create, part_use, product_stock_set

__all__ = ["create_stock"]

SERIALS = [f"DSK-2026-{n:04d}" for n in range(1, 6)]


def create_stock(users: dict[str, User], *, technicians: list[str]) -> None:
    admin = users["admin"]
    main = record_create(
        "warehouses",
        actor=admin,
        data={"name": "מחסן ראשי — פתח תקווה", "kind": "warehouse", "is_default": True},
    )
    vans = [
        record_create(
            "warehouses",
            actor=admin,
            data={
                "name": f"ניידת — {users[name].first_name}",
                "kind": "van",
                "technician": users[name],
            },
        )
        for name in technicians
    ]
    goods = {p.sku: p for p in Product.objects.filter(kind=Product.Kind.GOODS, active=True)}
    desktop, mouse = goods.get("DSK-01"), goods.get("MSE-01")
    for _sku, product in sorted(goods.items()):
        if product == desktop:
            continue
        move_create(
            actor=admin,
            kind=MoveKind.RECEIPT,
            product=product,
            quantity=Decimal("20"),
            to_warehouse=main,
            unit_cost=product.cost_price,
            reference="חשבונית ספק 40117",
        )
    if desktop is not None:
        product_stock_set(desktop, actor=admin, serial_tracked=True)
        move_create(
            actor=admin,
            kind=MoveKind.RECEIPT,
            product=desktop,
            quantity=Decimal(len(SERIALS)),
            to_warehouse=main,
            unit_cost=desktop.cost_price,
            reference="חשבונית ספק 40118",
            serials=SERIALS,
        )
        move_create(
            actor=admin,
            kind=MoveKind.TRANSFER,
            product=desktop,
            quantity=Decimal("1"),
            from_warehouse=main,
            to_warehouse=vans[0],
            serials=SERIALS[:1],
        )
    if mouse is not None:
        for van, quantity in zip(vans, ("5", "3"), strict=False):
            move_create(
                actor=admin,
                kind=MoveKind.TRANSFER,
                product=mouse,
                quantity=Decimal(quantity),
                from_warehouse=main,
                to_warehouse=van,
            )
            minimum_set(actor=admin, warehouse=van, product=mouse, minimum=Decimal("4"))
    ticket = Ticket.objects.order_by("pk").first()
    technician = users[technicians[0]]
    if ticket is not None and mouse is not None:
        part_use(ticket, actor=technician, product=mouse, quantity=Decimal("1"), warehouse=vans[0])
        if desktop is not None:
            part_use(
                ticket,
                actor=technician,
                product=desktop,
                quantity=Decimal("1"),
                warehouse=vans[0],
                serials=SERIALS[:1],
            )
