"""The demo's admin-defined kind of record (issue 27): the contracts template installed by the
administrator, granted to the roles, and the support contracts of a few customers — two of
them up for renewal within the month, so the renewal reminders have work to show."""

from __future__ import annotations

import datetime

from django.utils import timezone

from kesher.customers.models import Account
from kesher.objects.blueprints import blueprint_install
from kesher.org.models import Role, RolePermission, User
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create

__all__ = ["create_objects"]

# role: (view, add, change, delete, scope) on contracts
GRANTS = {
    "manager": (True, True, True, True, "department"),
    "sales_rep": (True, True, True, False, "own"),
    "support_agent": (True, False, False, False, "all"),
    "read_only": (True, False, False, False, "all"),
}

# name, status, months since start, days to renewal, yearly value (₪), terms
CONTRACTS = [
    ("חוזה תמיכה שנתי", "active", 10, 25, 7800, "מענה תוך 4 שעות עבודה, א׳–ה׳ 08:00–17:00"),
    ("רישוי קשר ל-25 משתמשים", "renewal", 11, 12, 45000, "חידוש אוטומטי אלא אם בוטל 30 יום מראש"),
    ("הטמעה ושירות פרימיום", "active", 4, 240, 18500, "מענה תוך שעתיים, כולל ביקור רבעוני"),
    ("חוזה אחזקת ציוד", "draft", 0, 365, 12000, "החלפת ציוד תקול תוך 2 ימי עבודה"),
    ("תמיכה בסיסית", "ended", 14, -60, 3600, "מענה ביום העבודה הבא"),
]


def create_objects(users: dict[str, User], admin: str) -> None:
    blueprint_install("contracts", actor=users[admin])
    for role_key, (view, add, change, delete, scope) in GRANTS.items():
        role = Role.objects.filter(key=role_key).first()
        if role is not None:
            RolePermission.objects.get_or_create(
                role=role,
                entity="contracts",
                defaults={
                    "can_view": view,
                    "can_add": add,
                    "can_change": change,
                    "can_delete": delete,
                    "scope": scope,
                },
            )
    accounts = list(
        Account.objects.filter(owner__role__key="sales_rep").order_by("pk")[: len(CONTRACTS)]
    )
    today = timezone.localdate()
    statuses = {c.value: c for c in Choice.objects.filter(list_key="object-status-contracts")}
    for account, (name, status, months, renewal_in, value, terms) in zip(
        accounts, CONTRACTS, strict=False
    ):
        start = today - datetime.timedelta(days=30 * months)
        record_create(
            "contracts",
            actor=account.owner,
            data={
                "name": f"{name} — {account.name}",
                "status": statuses[status],
                "owner": account.owner,
                "custom": {
                    "account": account.pk,
                    "start_date": start.isoformat(),
                    "end_date": (start + datetime.timedelta(days=365)).isoformat(),
                    "renewal_date": (today + datetime.timedelta(days=renewal_in)).isoformat(),
                    "value": value,
                    "sla_terms": terms,
                },
            },
        )
