"""How the access matrix makes activities and which answers activities' own routes must get
(kesher/platform/testing/matrix.py; tests/test_access_matrix.py imports this)."""

import datetime
import json

from django.utils import timezone

from kesher.activities import messages
from kesher.activities.models import (
    ActivityPreferences,
    CallbackRun,
    ManualAlert,
    Notification,
    Task,
)
from kesher.activities.services import (
    alert_rule_create,
    calendar_feed_regenerate,
    interaction_create,
    manual_alert_create,
    notify,
    task_create,
)
from kesher.platform.models import Choice
from kesher.platform.records.links import linkable_keys
from kesher.platform.records.services import record_create
from kesher.platform.registry import registry
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    public,
    register_records,
    register_route,
    register_setup,
    signed_in,
)


def _kind():
    return Choice.objects.get(list_key="interaction_kind", value="call")


register_records(
    "interactions",
    # Linked to the same side's account, so the link and the owner answer alike.
    make=lambda world, side: interaction_create(
        actor=owner_of(world, side),
        data={
            "kind": _kind(),
            "subject": f"Matrix call {side}",
            "link_type": "accounts",
            "link_id": world.record("accounts", side).pk,
        },
    ),
    values=lambda world, marker, record: {"kind": _kind(), "subject": marker},
    marker_field="subject",
)
register_records(
    "tasks",
    make=lambda world, side: task_create(
        actor=owner_of(world, side),
        data={
            "title": f"Matrix task {side}",
            "link_type": "accounts",
            "link_id": world.record("accounts", side).pk,
        },
    ),
    values=lambda world, marker, record: {
        "title": marker,
        "status": Choice.objects.get(list_key="task_status", value="open"),
    },
    marker_field="title",
)


@register_setup
def _notification(world):
    world["notification rep1"] = notify(
        owner_of(world, "rep1"),
        verb="reminder",
        message=messages.REMINDER,
        params={"title": "Matrix reminder"},
    )


def _only_rep1(world, principal):
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and principal != "sales_rep":
        return Outcome.NOT_FOUND
    return outcome


def _only_rep1_not_allowed(world, principal):
    outcome = signed_in(world, principal)
    return Outcome.NOT_ALLOWED if outcome is Outcome.ALLOW else outcome


def _read(world, principal, marker):
    return Notification.objects.filter(
        pk=world["notification rep1"].pk, read_at__isnull=False
    ).exists()


register_route("pages", "/activities/tasks/", Verb("GET", permitted("tasks", "view")))
for _tab in ("team", "delegated"):
    register_route(
        "pages", f"/activities/tasks/?tab={_tab}", Verb("GET", permitted("tasks", "view"))
    )
register_route("pages", "/activities/notifications/", Verb("GET", signed_in))
register_route(
    "pages",
    lambda world: f"/activities/notifications/{world['notification rep1'].pk}/open/",
    Verb("POST", _only_rep1, writes=_read),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="rep1's notification",
)
register_route(
    "pages",
    "/activities/notifications/read-all/",
    Verb(
        "POST",
        signed_in,
        writes=lambda world, principal, marker: (
            _read(world, principal, marker) if principal == "sales_rep" else True
        ),
    ),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
)


def _quick_values(what):
    def data(world, marker):
        if what == "interactions":
            return {"kind": str(_kind().pk), "subject": marker}
        return {"title": marker}

    return data


def _quick_written(what):
    def writes(world, principal, marker):
        if what == "interactions":
            from kesher.activities.models import Interaction

            return Interaction.objects.filter(subject=marker).exists()
        return Task.objects.filter(title=marker).exists()

    return writes


for _what in ("interactions", "tasks"):
    for _side in ("rep1", "rep2"):

        def _url(world, what=_what, side=_side):
            return f"/activities/quick/{what}/accounts/{world.record('accounts', side).pk}/"

        def _expect(world, principal, what=_what, side=_side):
            outcome = permitted(what, "add")(world, principal)
            if outcome is not Outcome.ALLOW:
                return outcome
            return permitted("accounts", "view", lambda w: w.record("accounts", side))(
                world, principal
            )

        register_route(
            "pages",
            _url,
            Verb("GET", _expect),
            Verb("POST", _expect, data=_quick_values(_what), writes=_quick_written(_what)),
            what=f"quick {_what} on {_side}'s account",
        )


register_route(
    "api",
    "/api/v1/notifications/",
    Verb("GET", signed_in),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    lambda world: f"/api/v1/notifications/{world['notification rep1'].pk}/",
    Verb("GET", _only_rep1),
    *(Verb(m, _only_rep1_not_allowed) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="rep1's notification",
)
register_route(
    "api",
    lambda world: f"/api/v1/notifications/{world['notification rep1'].pk}/read/",
    Verb("POST", _only_rep1, writes=_read),
    *(Verb(m, _only_rep1_not_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="rep1's notification",
)
register_route(
    "api",
    "/api/v1/notifications/read-all/",
    Verb(
        "POST",
        signed_in,
        writes=lambda world, principal, marker: (
            _read(world, principal, marker) if principal == "sales_rep" else True
        ),
    ),
    api=True,
)


# --- alerts, calendar, 360°, not contacted, team feed, reports (issue 4 items 4 … 9) -----------

NO_CONTACT_90 = json.dumps({"field": "last_contact_at", "op": "empty"})


def _in_a_month():
    return timezone.now() + datetime.timedelta(days=30)


register_records(
    "alert-rules",
    make=lambda world, side: alert_rule_create(
        actor=world.users["admin"],
        data={"name": "Matrix rule", "condition": NO_CONTACT_90, "message": "Matrix alert"},
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "entity": "accounts",
        "condition": NO_CONTACT_90,
        "message": marker,
        "level": "warning",
        "active": True,
    },
    marker_field="name",
)
register_records(
    "manual-alerts",
    make=lambda world, side: manual_alert_create(
        actor=owner_of(world, side),
        data={
            "message": f"Matrix alert {side}",
            "expires_at": _in_a_month(),
            "link_type": "accounts",
            "link_id": world.record("accounts", side).pk,
        },
    ),
    values=lambda world, marker, record: {
        "message": marker,
        "level": "info",
        "expires_at": _in_a_month(),
        "link_type": "accounts",
        "link_id": record.link_id if record is not None else world.record("accounts", "rep1").pk,
    },
    marker_field="message",
)


@register_setup
def _calendar_and_runs(world):
    rep1 = owner_of(world, "rep1")
    world["feed token rep1"] = calendar_feed_regenerate(actor=rep1)
    world["callback run rep1"] = CallbackRun.objects.create(actor=rep1, days=90, status="done")


def _pref_written(world, principal, marker):
    return ActivityPreferences.objects.filter(user=world.user(principal)).exists()


def _run_made(world, principal, marker):
    return (
        CallbackRun.objects.filter(actor=world.user(principal))
        .exclude(pk=world["callback run rep1"].pk)
        .exists()
    )


def _may_run(world, principal):
    outcome = permitted("accounts", "view")(world, principal)
    if outcome is not Outcome.ALLOW:
        return outcome
    return permitted("tasks", "add")(world, principal)


def _rep2_calendar(world, principal):
    """rep2 sits in Service: his calendar is open to "all" roles, not to the Sales manager or
    to rep1, nor to the privacy officer, who sees only his own tasks."""
    outcome = permitted("tasks", "view")(world, principal)
    if outcome is Outcome.ALLOW and principal in ("manager", "sales_rep", "privacy_officer"):
        return Outcome.NOT_FOUND
    return outcome


register_route("pages", "/activities/calendar/", Verb("GET", permitted("tasks", "view")))


def _meeting_values(world, marker):
    return {"subject": marker, "occurred_at": "2099-12-07T10:00", "duration_minutes": "30"}


def _meeting_booked(world, principal, marker):
    from kesher.activities.models import Interaction

    return Interaction.objects.filter(subject=marker, kind__value="meeting").exists()


register_route(
    "pages",
    "/activities/calendar/meeting/?at=2099-12-07&view=month",
    Verb("GET", permitted("interactions", "add")),
    Verb("POST", permitted("interactions", "add"), data=_meeting_values, writes=_meeting_booked),
    what="the calendar's new meeting",
)
register_route(
    "pages",
    lambda world: f"/activities/calendar/?view=month&user={owner_of(world, 'rep2').pk}",
    Verb("GET", _rep2_calendar),
    what="rep2's calendar",
)
for _path in ("/activities/calendar/feed/", "/activities/calendar/digest/"):
    register_route(
        "pages",
        _path,
        Verb(
            "POST",
            signed_in,
            data=lambda world, marker: {"action": "regenerate"},
            writes=_pref_written,
        ),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    )
register_route(
    "pages",
    lambda world: f"/activities/ical/{world['feed token rep1']}.ics",
    # The secret in the link is the credential (calendar programs send no session).
    Verb("GET", public),
    *(Verb(m, never_allowed) for m in ("POST", "PUT", "PATCH", "DELETE")),
    what="rep1's calendar feed",
)
register_route(
    "pages",
    "/activities/ical/not-a-token.ics",
    Verb("GET", lambda world, principal: Outcome.NOT_FOUND),
    *(Verb(m, never_allowed) for m in ("POST", "PUT", "PATCH", "DELETE")),
)
for _side in ("rep1", "rep2"):
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/overview/accounts/{world.record('accounts', side).pk}/",
        Verb(
            "GET", permitted("accounts", "view", lambda w, side=_side: w.record("accounts", side))
        ),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s account overview",
    )
register_route(
    "pages",
    "/activities/not-contacted/",
    Verb("GET", permitted("accounts", "view")),
    Verb("POST", _may_run, data=lambda world, marker: {"days": "30"}, writes=_run_made),
)
register_route(
    "pages",
    lambda world: f"/activities/not-contacted/runs/{world['callback run rep1'].pk}/",
    Verb("GET", _only_rep1),
    what="rep1's call-back run",
)
register_route("pages", "/activities/team/", Verb("GET", permitted("interactions", "view")))
register_route(
    "pages", "/activities/reports/tasks/?group=type", Verb("GET", permitted("tasks", "view"))
)
register_route(
    "api",
    "/api/v1/task-report/?group=month",
    Verb("GET", permitted("tasks", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    "/api/v1/callback-runs/",
    Verb("GET", signed_in),
    Verb("POST", _may_run, data=lambda world, marker: {"days": 30}, writes=_run_made),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    lambda world: f"/api/v1/callback-runs/{world['callback run rep1'].pk}/",
    Verb("GET", _only_rep1),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="rep1's call-back run",
)


def _alert_values(world, marker):
    local = timezone.localtime(_in_a_month())
    return {"message": marker, "level": "info", "expires_at": local.strftime("%Y-%m-%dT%H:%M")}


for _side in ("rep1", "rep2"):

    def _alert_url(world, side=_side):
        return f"/activities/quick/manual-alerts/accounts/{world.record('accounts', side).pk}/"

    def _alert_expect(world, principal, side=_side):
        outcome = permitted("manual-alerts", "add")(world, principal)
        if outcome is not Outcome.ALLOW:
            return outcome
        return permitted("accounts", "view", lambda w: w.record("accounts", side))(world, principal)

    register_route(
        "pages",
        _alert_url,
        Verb("GET", _alert_expect),
        Verb(
            "POST",
            _alert_expect,
            data=_alert_values,
            writes=lambda world, principal, marker: ManualAlert.objects.filter(
                message=marker
            ).exists(),
        ),
        what=f"quick alert on {_side}'s account",
    )


def _company(number: int):
    """A company with a valid company number made from ``number`` (one per number)."""
    from stdnum import luhn

    from kesher.org.models import Company

    body = f"51{number:06d}"
    return Company.objects.get_or_create(
        company_number=body + luhn.calc_check_digit(body), defaults={"name": f"Matrix {number}"}
    )[0]


register_records(
    "business-calendars",
    make=lambda world, side: record_create(
        "business-calendars",
        actor=world.users["admin"],
        data={"name": f"Matrix calendar {side}", "company": _company(999_999)},
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "company": record.company_id
        if record is not None
        else _company(int(marker[2:].rstrip("q"))).pk,
        "day_start": "08:00",
        "day_end": "16:00",
    },
    marker_field="name",
)


# --- the link picker, one-click completion, a delegated task (issue 14 item 7) -----------------


def _link_picker_lists(world, principal, response):
    """The link picker offers exactly the linkable world records the principal may see."""
    page = response.content.decode()
    for (key, side), record in world.records.items():
        if key not in linkable_keys() or not registry.get(key).has_search():
            continue
        shown = f'data-kind="{key}" data-pick="{record.pk}"' in page
        if shown != world.sees(principal, record):
            return f"{'offers' if shown else 'misses'} {side}'s {key} #{record.pk}"
    return None


# The link picker is the platform's; it is registered here, beside the links it fills.
register_route(
    "pages",
    f"/pick-link/?q={SEARCH_WORD}&target=id_link_id&kind_target=id_link_type",
    Verb("GET", signed_in, check=_link_picker_lists),
    what="link picker",
)


@register_setup
def _delegated_task(world):
    """rep2 hands rep1 a task about rep2's account, which rep1 may not see (REQ TK-3)."""
    world["task delegated to rep1"] = task_create(
        actor=owner_of(world, "rep2"),
        data={
            "title": "Matrix delegated task",
            "assignee": owner_of(world, "rep1"),
            "link_type": "accounts",
            "link_id": world.record("accounts", "rep2").pk,
        },
    )


def _delegated(world):
    return world["task delegated to rep1"]


def _completed(task_of):
    def writes(world, principal, marker):
        return Task.objects.filter(pk=task_of(world).pk, is_open=False).exists()

    return writes


for _side in ("rep1", "rep2"):

    def _own_task(world, side=_side):
        return world.record("tasks", side)

    register_route(
        "pages",
        lambda world, task_of=_own_task: f"/activities/tasks/{task_of(world).pk}/complete/",
        Verb(
            "POST",
            permitted("tasks", "change", _own_task),
            data=lambda world, marker: {"row": "page"},
            writes=_completed(_own_task),
        ),
        *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"complete {_side}'s task",
    )
    register_route(
        "api",
        lambda world, task_of=_own_task: f"/api/v1/tasks/{task_of(world).pk}/complete/",
        Verb("POST", permitted("tasks", "change", _own_task), writes=_completed(_own_task)),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"complete {_side}'s task",
    )

# The delegate sees, edits and completes the task; its record's name and page stay hidden from
# him (every allowed page is searched for rep2's account's name and link).
register_route(
    "pages",
    lambda world: f"/r/tasks/{_delegated(world).pk}/",
    Verb("GET", permitted("tasks", "view", _delegated)),
    what="a task delegated to rep1 on rep2's account",
)


def _delegated_edit(world, marker):
    task = _delegated(world)
    return {
        "title": marker,
        "status": str(task.status_id),
        "assignee": str(task.assignee_id),
        "link_type": task.link_type,
        "link_id": str(task.link_id),
        "version": str(task.version),
    }


def _edited_link_kept(world, principal, marker):
    task = Task.objects.get(pk=_delegated(world).pk)
    if task.title != marker:
        return False
    if (task.link_type, task.link_id) != ("accounts", world.record("accounts", "rep2").pk):
        return "lost the task's link"
    return True


register_route(
    "pages",
    lambda world: f"/r/tasks/{_delegated(world).pk}/edit/",
    Verb("GET", permitted("tasks", "change", _delegated)),
    Verb(
        "POST",
        permitted("tasks", "change", _delegated),
        data=_delegated_edit,
        writes=_edited_link_kept,
    ),
    what="a task delegated to rep1 on rep2's account",
)
register_route(
    "pages",
    lambda world: f"/activities/tasks/{_delegated(world).pk}/complete/",
    Verb(
        "POST",
        permitted("tasks", "change", _delegated),
        data=lambda world, marker: {"row": "table"},
        headers={"HX-Request": "true"},
        writes=_completed(_delegated),
    ),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="complete a task delegated to rep1, from a list",
)
