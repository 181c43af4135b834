"""How the access matrix makes activities and which answers activities' own routes must get
(kesher/platform/testing.py; tests/test_access_matrix.py imports this)."""

from kesher.activities.models import Notification, Task
from kesher.activities.services import interaction_create, notify, task_create
from kesher.platform.models import Choice
from kesher.platform.testing import (
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
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
        owner_of(world, "rep1"), verb="reminder", text="Matrix reminder"
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
