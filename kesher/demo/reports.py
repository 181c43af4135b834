"""The demo's reports and dashboards (issue 21): the sales VP's own dashboard — open deals by
region × stage, revenue by owner, the built-in KPI — and the service manager's ticket load by
handler, shared with his team. Through the reports' services, as the users themselves."""

from __future__ import annotations

from kesher.org.models import Role, User
from kesher.reports.models import Report
from kesher.reports.services import dashboard_create, report_create

__all__ = ["create_reports"]

OPEN = {"field": "stage.outcome", "op": "eq", "value": "open"}


def create_reports(users: dict[str, User], *, sales_manager: str, service_manager: str) -> None:
    moshe = users[sales_manager]
    by_region = report_create(
        actor=moshe,
        data={
            "name": "עסקאות פתוחות לפי אזור ושלב",
            "description": "Open deals by the account's region and stage (pivot).",
            "definition": {
                "entity": "opportunities",
                "filter": OPEN,
                "group_by": [{"field": "account.region"}, {"field": "stage"}],
                "measures": [{"agg": "sum", "field": "amount"}],
                "display": "pivot",
            },
        },
        m2m={"shared_roles": list(Role.objects.filter(key="manager"))},
    )
    by_owner = report_create(
        actor=moshe,
        data={
            "name": "צנרת לפי איש מכירות",
            "description": "Open pipeline by owner, largest first.",
            "definition": {
                "entity": "opportunities",
                "filter": OPEN,
                "group_by": [{"field": "owner"}],
                "measures": [{"agg": "sum", "field": "amount"}, {"agg": "count"}],
                "sort": {"by": "m0", "desc": True},
                "limit": 10,
                "display": "chart",
                "chart": "bar",
            },
        },
        m2m={"shared_roles": list(Role.objects.filter(key__in=["manager", "sales_rep"]))},
    )
    kpi = Report.objects.filter(owner=None, definition__chart="kpi").order_by("pk").first()
    widgets = [{"report": by_owner.pk, "width": 8}, {"report": by_region.pk, "width": 12}]
    if kpi is not None:
        widgets.insert(0, {"report": kpi.pk, "width": 4})
    dashboard_create(actor=moshe, data={"name": "לוח המכירות של משה", "widgets": widgets})
    yael = users[service_manager]
    load = report_create(
        actor=yael,
        data={
            "name": "עומס פניות לפי מטפל",
            "description": "Open tickets by handler and priority.",
            "definition": {
                "entity": "tickets",
                "filter": {"field": "resolved_at", "op": "empty"},
                "group_by": [{"field": "handler"}, {"field": "priority"}],
                "measures": [{"agg": "count"}],
                "display": "chart",
                "chart": "stacked_bar",
            },
        },
        m2m={"shared_roles": list(Role.objects.filter(key="support_agent"))},
    )
    dashboard_create(
        actor=yael,
        data={"name": "לוח השירות של יעל", "widgets": [{"report": load.pk, "width": 12}]},
    )
