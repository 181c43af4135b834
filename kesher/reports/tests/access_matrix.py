"""How the access matrix makes reports and dashboards (kesher/platform/testing/matrix.py), and
the answers the report pages and API must give: a report is read by its owner (by his grant's
scope) and by the users and roles it is shared with; its figures are the reader's own."""

import json

from kesher.org.models import Role
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    not_allowed,
    owner_of,
    permitted,
    register_records,
    register_route,
    register_setup,
    signed_in,
)
from kesher.reports.delivery import schedule_create
from kesher.reports.services import dashboard_create, report_create

DEFINITION = {"entity": "accounts", "group_by": [{"field": "city"}], "measures": [{"agg": "count"}]}

register_records(
    "reports",
    make=lambda world, side: report_create(
        actor=world.users["admin"],
        data={
            "name": f"{SEARCH_WORD} report {side}",
            "definition": DEFINITION,
            "owner": owner_of(world, side) if side in ("rep1", "rep2") else None,
        },
    ),
    # As a form posts it (text); the API takes the same text or the object.
    values=lambda world, marker, record: {
        "name": marker,
        "entity": "accounts",
        "definition": json.dumps(DEFINITION),
    },
    marker_field="name",
)

register_records(
    "dashboards",
    make=lambda world, side: dashboard_create(
        actor=world.users["admin"],
        data={
            "name": f"{SEARCH_WORD} dashboard {side}",
            "owner": owner_of(world, side) if side in ("rep1", "rep2") else None,
        },
    ),
    values=lambda world, marker, record: {"name": marker, "widgets": "[]"},
    marker_field="name",
)

register_route("reports-pages", "/reports/", Verb("GET", signed_in))
register_route("reports-pages", "/dashboards/", Verb("GET", signed_in))
register_route("reports-pages", "/reports/build/", Verb("GET", permitted("reports", "add")))
register_route(
    "reports-api",
    "/api/v1/report-runs/",
    Verb(
        "POST",
        permitted("reports", "view"),
        data=lambda world, marker: {"definition": {"entity": "accounts"}},
    ),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT")),
    api=True,
    what="run a report definition",
)

for _side in ("rep1", "rep2"):

    def _report(world, side=_side):
        return world.record("reports", side)

    for _suffix, _action in (("", "view"), ("edit/", "change"), ("widget/", "view")):
        register_route(
            "reports-pages",
            lambda world, side=_side, suffix=_suffix: (
                f"/reports/{world.record('reports', side).pk}/{suffix}"
            ),
            Verb("GET", permitted("reports", _action, _report)),
            what=f"{_side}'s report {_suffix or 'page'}",
        )
    register_route(
        "reports-api",
        lambda world, side=_side: f"/api/v1/reports/{world.record('reports', side).pk}/result/",
        Verb("GET", permitted("reports", "view", _report)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT")),
        api=True,
        what=f"{_side}'s report's figures",
    )
    register_route(
        "reports-pages",
        lambda world, side=_side: f"/dashboards/{world.record('dashboards', side).pk}/",
        Verb(
            "GET",
            permitted(
                "dashboards", "view", lambda world, side=_side: world.record("dashboards", side)
            ),
        ),
        what=f"{_side}'s dashboard",
    )


# --- exports and scheduled reports (decision 0099) ---------------------------------------------


EVERYONE = "report for every role"


def _report_for_everyone(world):
    """A report every role may read, the one a created schedule names: made by the matrix's
    setup, or (the contract tests, which run no setup) the first time it is asked for."""
    from kesher.reports.models import Report

    report = Report.objects.filter(name=EVERYONE).first()
    if report is None:
        report = report_create(
            actor=world.users["admin"],
            data={"name": EVERYONE, "definition": DEFINITION},
            m2m={"shared_roles": list(Role.objects.all())},
        )
    return report


register_setup(_report_for_everyone)


register_records(
    "report-schedules",
    make=lambda world, side: schedule_create(
        actor=world.users["admin"],
        data={
            "report": world.record("reports", side),
            "note": f"{SEARCH_WORD} schedule {side}",
            "owner": owner_of(world, side),
        },
        m2m={"recipients": [owner_of(world, side)]},
    ),
    values=lambda world, marker, record: {
        "report": record.report_id if record else _report_for_everyone(world).pk,
        "recipients": [world.users["admin"].pk],
        "frequency": "weekly",
        "weekday": 6,
        "day_of_month": 1,
        "hour": 7,
        "formats": "pdf_xlsx",
        "note": marker,
        "active": True,
    },
    marker_field="note",
)

for _side in ("rep1", "rep2"):

    def _report(world, side=_side):
        return world.record("reports", side)

    # The formats share one view: the PDF (rendered by WeasyPrint, slower) is left to
    # test_delivery.py, which checks who gets it.
    for _fmt in ("csv", "xlsx"):
        register_route(
            "reports-pages",
            lambda world, side=_side, fmt=_fmt: (
                f"/reports/{world.record('reports', side).pk}/export/{fmt}/"
            ),
            Verb("GET", permitted("reports", "view", _report)),
            what=f"{_side}'s report as {_fmt}",
        )
    register_route(
        "reports-api",
        lambda world, side=_side: f"/api/v1/reports/{world.record('reports', side).pk}/export/csv/",
        Verb("GET", permitted("reports", "view", _report)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT")),
        api=True,
        what=f"{_side}'s report as a file",
    )


def _declined(*gates):
    """Each gate's answer until one is not "allowed"; past them all, the page's refusal (the
    matrix sends what it refuses: nothing is written)."""

    def expect(world, principal):
        for gate in gates:
            outcome = gate(world, principal)
            if outcome is not Outcome.ALLOW:
                return outcome
        return Outcome.DECLINED

    return expect


for _side in ("rep1", "rep2"):

    def _report(world, side=_side):
        return world.record("reports", side)

    def _dashboard(world, side=_side):
        return world.record("dashboards", side)

    register_route(
        "reports-pages",
        lambda world, side=_side: f"/reports/{world.record('reports', side).pk}/add-to-dashboard/",
        Verb("GET", not_allowed()),
        Verb(
            "POST",
            _declined(permitted("reports", "view", _report), permitted("dashboards", "change")),
            data=lambda world, marker: {"dashboard": "0", "width": "6"},
        ),
        what=f"{_side}'s report put on a dashboard not the reader's",
    )
    register_route(
        "reports-pages",
        lambda world, side=_side: (
            f"/dashboards/{world.record('dashboards', side).pk}/widgets/0/remove/"
        ),
        Verb("GET", not_allowed()),
        Verb(
            "POST",
            _declined(permitted("dashboards", "change", _dashboard)),
            data=lambda world, marker: {},
        ),
        what=f"a widget {_side}'s empty dashboard has not, removed",
    )

register_route(
    "reports-pages",
    "/dashboards/targets/",
    Verb("GET", permitted("sales-targets", "view")),
    what="the reader's sales targets against their actuals",
)


@register_setup
def _shared_account_list(world):
    """A saved view of accounts shared with everyone: a dashboard's list widget shows its
    first records, each reader the accounts he may see (decision 0103)."""
    from kesher.platform.models import SavedView

    world["shared accounts view"] = SavedView.objects.create(
        entity="accounts",
        name=f"{SEARCH_WORD} accounts list",
        owner=world.users["admin"],
        shared=True,
        columns=["name", "city", "owner"],
    )


register_route(
    "reports-pages",
    lambda world: f"/dashboards/list/{world['shared accounts view'].pk}/",
    Verb("GET", permitted("accounts", "view")),
    what="a list widget: a shared view's first accounts, those the reader sees",
)
