"""How the access matrix makes projects, their team members, time entries and monthly targets
(kesher/platform/testing/matrix.py), and the routes of the timesheet and the approvals: each
sales rep manages his own customer's project and reports his own hours on it."""

import datetime

from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    not_allowed,
    owner_of,
    permitted,
    register_records,
    register_route,
)
from kesher.projects.services import time_entry_create

register_records(
    "projects",
    make=lambda world, side: record_create(
        "projects",
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} project {side}",
            "account": world.record("accounts", side),
            "owner": owner_of(world, side),
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "account": (record.account_id if record else world.record("accounts", "rep1").pk),
    },
    marker_field="name",
)

register_records(
    "time-entries",
    make=lambda world, side: time_entry_create(
        actor=owner_of(world, side),
        data={
            "date": datetime.date(2026, 1, 4),
            "project": world.record("projects", side),
            "minutes": 90,
            "description": f"{SEARCH_WORD} hours {side}",
        },
    ),
    values=lambda world, marker, record: {
        "description": marker,
        "date": "2026-01-05",
        "minutes": 60,
        "project": record.project_id if record else world.record("projects", "rep1").pk,
    },
    marker_field="description",
)

register_records(
    "project-members",
    make=lambda world, side: record_create(
        "project-members",
        actor=owner_of(world, side),
        data={
            "project": world.record("projects", side),
            "user": owner_of(world, side),
            "notes": f"{SEARCH_WORD} member {side}",
        },
    ),
    values=lambda world, marker, record: {
        "notes": marker,
        "project": record.project_id if record else world.record("projects", "rep1").pk,
        "user": record.user_id if record else world.users["support_agent"].pk,
    },
    marker_field="notes",
)

register_records(
    "work-targets",
    make=lambda world, side: record_create(
        "work-targets",
        actor=world.users["admin"],
        data={
            "user": owner_of(world, side),
            "valid_from": datetime.date(2026, 1, 1),
            "monthly_hours": "182",
            "notes": f"{SEARCH_WORD} target {side}",
        },
    ),
    values=lambda world, marker, record: {
        "user": record.user_id if record else world.users["support_agent"].pk,
        "valid_from": "2026-02-01",
        "monthly_hours": "160.00",
        "notes": marker,
    },
    marker_field="notes",
)


# The timesheet and the approvals. Posted as they are, they write nothing: the week has no
# cells, the current week no drafts, and the matrix's entries are drafts (nothing to decide).
register_route(
    "pages",
    "/projects/timesheet/",
    Verb("GET", permitted("time-entries", "add")),
    Verb(
        "POST", permitted("time-entries", "add"), data=lambda world, marker: {"week": "2026-01-04"}
    ),
)
register_route(
    "pages",
    "/projects/timesheet/submit/",
    Verb("POST", permitted("time-entries", "add")),
    Verb("GET", not_allowed()),
)
register_route(
    "pages",
    "/projects/approvals/",
    Verb("GET", permitted("time-entries", "view")),
    Verb(
        "POST",
        permitted("time-entries", "view"),
        data=lambda world, marker: {
            "action": "approve",
            "entry": [world.record("time-entries", "rep1").pk],
        },
    ),
)

register_records(
    "rate-cards",
    make=lambda world, side: record_create(
        "rate-cards",
        actor=world.users["admin"],
        data={
            "name": f"{SEARCH_WORD} rate {side}",
            "valid_from": datetime.date(2026, 1, 1),
            "hourly_rate": "250",
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "valid_from": "2026-01-01",
        "hourly_rate": "300.00",
    },
    marker_field="name",
)

register_records(
    "payroll-rules",
    make=lambda world, side: record_create(
        "payroll-rules",
        actor=world.users["admin"],
        data={"name": f"{SEARCH_WORD} payroll {side}", "valid_from": datetime.date(2026, 1, 1)},
    ),
    values=lambda world, marker, record: {"name": marker, "valid_from": "2026-02-01"},
    marker_field="name",
)


def _payroll(world, principal):
    first = permitted("payroll-rules", "view")(world, principal)
    if first is not Outcome.ALLOW:
        return first
    return permitted("time-entries", "view")(world, principal)


for _query in ("", "?month=2026-01"):
    register_route(
        "pages",
        f"/projects/payroll/{_query}",
        Verb("GET", _payroll),
        what=f"payroll {_query or 'page'}",
    )


def _payroll_exporter(world, principal):
    """The export marks the hours exported: the payroll's reader who may change time entries."""
    first = _payroll(world, principal)
    if first is not Outcome.ALLOW:
        return first
    return permitted("time-entries", "change")(world, principal)


def _payroll_reopener(world, principal):
    """Reopening an exported month: the payroll's reader who is an administrator."""
    from kesher.platform.access import is_admin

    first = _payroll(world, principal)
    if first is not Outcome.ALLOW:
        return first
    return Outcome.ALLOW if is_admin(world.user(principal)) else Outcome.FORBIDDEN


for _format in ("csv", "xlsx"):
    register_route(
        "pages",
        "/projects/payroll/export/",
        Verb(
            "POST",
            _payroll_exporter,
            data=lambda world, marker, fmt=_format: {"month": "2026-01", "format": fmt},
        ),
        *(Verb(m, not_allowed()) for m in ("GET",)),
        what=f"payroll export {_format}",
    )
register_route(
    "pages",
    "/projects/payroll/reopen/",
    Verb("POST", _payroll_reopener, data=lambda world, marker: {"month": "2026-01"}),
    Verb("GET", not_allowed()),
    what="reopen a payroll month's export",
)

register_records(
    "allocations",
    make=lambda world, side: record_create(
        "allocations",
        actor=world.users["admin"],
        data={
            "project": world.record("projects", side),
            "user": owner_of(world, side),
            "week": datetime.date(2026, 1, 4),
            "hours": "16",
            "notes": f"{SEARCH_WORD} plan {side}",
        },
    ),
    values=lambda world, marker, record: {
        "notes": marker,
        "week": "2026-01-11",
        "hours": "8.00",
        "project": record.project_id if record else world.record("projects", "rep1").pk,
        "user": record.user_id if record else world.users["manager"].pk,
    },
    marker_field="notes",
)

register_route(
    "pages",
    "/projects/board/",
    Verb("GET", permitted("allocations", "view")),
    what="planning board",
)


def _invoicer(world, principal):
    """Invoicing the hours takes time entries' view and tax documents' add."""
    first = permitted("time-entries", "view")(world, principal)
    if first is not Outcome.ALLOW:
        return first
    return permitted("tax-documents", "add")(world, principal)


def _invoicer_refused(world, principal):
    outcome = _invoicer(world, principal)
    return Outcome.REFUSED if outcome is Outcome.ALLOW else outcome


# Invoicing the approved hours: sent without a product it is refused, nothing written.
register_route(
    "pages",
    "/projects/invoice/",
    Verb("GET", _invoicer),
    Verb("POST", _invoicer_refused, data=lambda world, marker: {"date_from": "2026-01-01"}),
    what="invoice the approved hours",
)
register_route(
    "api",
    "/api/v1/time-entries/invoice/",
    Verb("POST", _invoicer_refused, data=lambda world, marker: {"date_from": "2026-01-01"}),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="invoice the approved hours",
)

register_records(
    "project-templates",
    make=lambda world, side: record_create(
        "project-templates",
        actor=world.users["admin"],
        data={"name": f"{SEARCH_WORD} template {side}", "phases": "אפיון\nהטמעה"},
    ),
    values=lambda world, marker, record: {"name": marker, "phases": "הדרכה"},
    marker_field="name",
)

register_records(
    "cost-rates",
    make=lambda world, side: record_create(
        "cost-rates",
        actor=world.users["admin"],
        data={
            "user": owner_of(world, side),
            "valid_from": datetime.date(2026, 1, 1),
            "hourly_cost": "120",
            "notes": f"{SEARCH_WORD} cost {side}",
        },
    ),
    values=lambda world, marker, record: {
        "user": record.user_id if record else world.users["support_agent"].pk,
        "valid_from": "2026-02-01",
        "hourly_cost": "130.00",
        "notes": marker,
    },
    marker_field="notes",
)


def _profitability(world, principal):
    """The profitability of projects takes projects' and time entries' view."""
    first = permitted("projects", "view")(world, principal)
    if first is not Outcome.ALLOW:
        return first
    return permitted("time-entries", "view")(world, principal)


register_route(
    "pages",
    "/projects/profitability/?date_from=2026-01-01&date_to=2026-12-31",
    Verb("GET", _profitability),
    what="project profitability",
)
register_route(
    "api",
    "/api/v1/projects/profitability/?date_from=2026-01-01&date_to=2026-12-31",
    Verb("GET", _profitability),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="project profitability",
)

register_route(
    "pages",
    "/projects/utilisation/?date_from=2026-01-01&date_to=2026-01-31",
    Verb("GET", permitted("time-entries", "view")),
    what="utilisation",
)
register_route(
    "api",
    "/api/v1/time-entries/utilisation/?date_from=2026-01-01&date_to=2026-01-31",
    Verb("GET", permitted("time-entries", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="utilisation",
)


def _declined(world, principal):
    outcome = permitted("time-entries", "add")(world, principal)
    return Outcome.DECLINED if outcome is Outcome.ALLOW else outcome


def _reporter_refused(world, principal):
    outcome = permitted("time-entries", "add")(world, principal)
    return Outcome.REFUSED if outcome is Outcome.ALLOW else outcome


def _reporter_not_found(world, principal):
    outcome = permitted("time-entries", "add")(world, principal)
    return Outcome.NOT_FOUND if outcome is Outcome.ALLOW else outcome


# The running timer: the matrix's principals have none running, so stopping is declined (a page
# back with a message) or refused (400), starting with no project likewise, discarding writes
# nothing.
register_route(
    "pages",
    "/projects/timer/start/",
    Verb("POST", _declined),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="start the timer",
)
register_route(
    "pages",
    "/projects/timer/stop/",
    Verb("POST", _declined),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="stop the timer",
)
register_route(
    "pages",
    "/projects/timer/discard/",
    Verb("POST", permitted("time-entries", "add")),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="discard the timer",
)
register_route(
    "api",
    "/api/v1/time-entries/timer/",
    Verb("GET", _reporter_not_found),
    Verb("POST", _reporter_refused, data=lambda world, marker: {}),
    Verb("DELETE", permitted("time-entries", "add")),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH")),
    api=True,
    what="the running timer",
)
register_route(
    "api",
    "/api/v1/time-entries/timer/stop/",
    Verb("POST", _reporter_refused, data=lambda world, marker: {}),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="stop the timer",
)

register_records(
    "absences",
    make=lambda world, side: record_create(
        "absences",
        actor=world.users["admin"],
        data={
            "user": owner_of(world, side),
            "kind": Choice.objects.get(list_key="absence_kind", value="vacation"),
            "start_date": datetime.date(2026, 1, 4),
            "end_date": datetime.date(2026, 1, 5),
            "notes": f"{SEARCH_WORD} away {side}",
        },
    ),
    # An empty "user": whoever records it is away (a manager's team's are tested apart).
    values=lambda world, marker, record: {
        "user": record.user_id if record else None,
        "notes": marker,
        "kind": Choice.objects.get(list_key="absence_kind", value="sick").pk,
        "start_date": "2026-01-11",
        "end_date": "2026-01-11",
    },
    marker_field="notes",
)
