"""The roll-out's routes in the access matrix (tests/test_access_matrix.py): administrators
manage the project, its items, the processes and the training; every signed-in user reads and
marks his own exercises and dismisses his hints (REQ IMPL-1, IMPL-2, AU-2)."""

from django.utils.text import slugify

from kesher.platform import access
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    not_allowed,
    register_records,
    register_route,
    register_setup,
)
from kesher.platform.testing.matrix import signed_in as signed
from kesher.rollout.models import Exercise, ExerciseRecord, HintSeen, Item, MappedProcess, Project

OTHER = ("PUT", "PATCH", "DELETE")
EVERYONE = "an exercise for everyone"


def _admin(world):
    return world.users["admin"]


register_records(
    "rollout-stages",
    make=lambda world, side: record_create(
        "rollout-stages",
        actor=_admin(world),
        data={"key": f"matrix-{side}", "name_he": f"{SEARCH_WORD} stage {side}"},
    ),
    values=lambda world, marker, record: {"key": slugify(marker), "name_he": marker},
    marker_field="name_he",
)
register_records(
    "rollout-items",
    make=lambda world, side: record_create(
        "rollout-items",
        actor=_admin(world),
        data={
            "stage": world.record("rollout-stages", side),
            "key": f"matrix-{side}",
            "name_he": f"{SEARCH_WORD} item {side}",
        },
    ),
    values=lambda world, marker, record: {
        "stage": world.record("rollout-stages", "rep1").pk,
        "key": slugify(marker),
        "name_he": marker,
    },
    marker_field="name_he",
)
register_records(
    "training-exercises",
    make=lambda world, side: record_create(
        "training-exercises",
        actor=_admin(world),
        data={"title_he": f"{SEARCH_WORD} exercise {side}"},
    ),
    values=lambda world, marker, record: {"title_he": marker},
    marker_field="title_he",
)


def administrators(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    return Outcome.ALLOW if access.is_admin(world.user(principal)) else Outcome.FORBIDDEN


@register_setup
def _rollout(world):
    from kesher.rollout.services import mapped_process_install, mapped_process_save

    world["sample process"] = MappedProcess.objects.get(name__contains="sBills")
    # An installed process of two statuses and no rules, which the uninstall routes remove.
    installed = mapped_process_save(
        actor=world.users["admin"],
        data={
            "name": "Matrix process",
            "stages": [
                {"value": "mx_open", "label_he": "פתוח"},
                {"value": "mx_done", "label_he": "סגור"},
            ],
        },
    )
    world["installed process"] = mapped_process_install(installed, actor=world.users["admin"])
    world["go-live"] = Item.objects.get(key="go-live")
    world[EVERYONE] = Exercise.objects.filter(role__isnull=True, advanced=False).first()


def _budget_set(world, principal, marker):
    return Project.objects.filter(budget=1234).exists()


def _live(world, principal, marker):
    return Item.objects.filter(key="go-live", done_at__isnull=False).exists()


def _named(world, principal, marker):
    return MappedProcess.objects.filter(name=marker).exists()


def _sample_installed(world, principal, marker):
    return (
        MappedProcess.objects.filter(pk=world["sample process"].pk).exclude(install_key="").exists()
    )


def _uninstalled(world, principal, marker):
    return MappedProcess.objects.filter(pk=world["installed process"].pk, install_key="").exists()


def _sample_deleted(world, principal, marker):
    return not MappedProcess.objects.filter(pk=world["sample process"].pk).exists()


def _confirmed(world, principal, marker):
    return ExerciseRecord.objects.filter(
        user=world.users["sales_rep"], confirmed_at__isnull=False
    ).exists()


def _advanced(world, principal, marker):
    return Project.objects.filter(advanced_users=world.users["sales_rep"]).exists()


def _marked(world, principal, marker):
    return ExerciseRecord.objects.filter(
        user=world.user(principal), marked_at__isnull=False
    ).exists()


def _dismissed(world, principal, marker):
    return HintSeen.objects.filter(user=world.user(principal), module="accounts").exists()


def _process_form(world, marker):
    return {
        "name": marker,
        "target": "tickets",
        "stages": "mx_a | א\nmx_b | ב",
        "parties": "",
        "triggers": "",
    }


def _sample_url(suffix: str = ""):
    return lambda world: f"/rollout/processes/{world['sample process'].pk}/{suffix}"


def _installed_url(suffix: str):
    return lambda world: f"/rollout/processes/{world['installed process'].pk}/{suffix}"


def _post_only(url, writes=None, data=None, who=administrators):
    register_route(
        "rollout",
        url,
        Verb("POST", who, data=data, writes=writes),
        *(Verb(m, not_allowed()) for m in ("GET", *OTHER)),
    )


register_route("rollout", "/rollout/", Verb("GET", administrators))
_post_only("/rollout/project/", _budget_set, lambda world, marker: {"budget": "1234"})
_post_only(
    lambda world: f"/rollout/items/{world['go-live'].pk}/tick/",
    _live,
    lambda world, marker: {"done": "1"},
)
register_route("rollout", "/rollout/processes/", Verb("GET", administrators))
register_route(
    "rollout",
    "/rollout/processes/new/",
    Verb("GET", administrators),
    Verb("POST", administrators, data=_process_form, writes=_named),
)
register_route(
    "rollout",
    _sample_url(),
    Verb("GET", administrators),
    Verb("POST", administrators, data=_process_form, writes=_named),
)
_post_only(_sample_url("install/"), _sample_installed)
_post_only(_installed_url("uninstall/"), _uninstalled)
_post_only(_sample_url("delete/"), _sample_deleted)
register_route("rollout", "/rollout/training/", Verb("GET", administrators))
_post_only(
    "/rollout/training/confirm/",
    _confirmed,
    lambda world, marker: {
        "user": world.users["sales_rep"].pk,
        "exercise": world[EVERYONE].pk,
        "done": "1",
    },
)
_post_only(lambda world: f"/rollout/training/advanced/{world.users['sales_rep'].pk}/", _advanced)
_post_only("/rollout/training/refresh/")
register_route("rollout", "/my-training/", Verb("GET", signed))
_post_only(
    lambda world: f"/my-training/{world[EVERYONE].pk}/mark/",
    _marked,
    lambda world, marker: {"done": "1"},
    who=signed,
)
_post_only("/hints/accounts/dismiss/", _dismissed, who=signed)


def _api(url, *verbs):
    declared = {v.method for v in verbs}
    register_route(
        "rollout-api",
        url,
        *verbs,
        *(Verb(m, not_allowed()) for m in ("GET", "POST", *OTHER) if m not in declared),
        api=True,
    )


def _api_process(world, marker):
    return {
        "name": marker,
        "stages": [{"value": "mx_a", "label_he": "א"}, {"value": "mx_b", "label_he": "ב"}],
    }


_api(
    "/api/v1/rollout/",
    Verb("GET", administrators),
    Verb(
        "PATCH", administrators, data=lambda world, marker: {"budget": "1234"}, writes=_budget_set
    ),
)
_api(
    lambda world: f"/api/v1/rollout/items/{world['go-live'].pk}/tick/",
    Verb("POST", administrators, data=lambda world, marker: {"done": True}, writes=_live),
)
_api(
    "/api/v1/rollout/processes/",
    Verb("GET", administrators),
    Verb("POST", administrators, data=_api_process, writes=_named),
)
_api(
    lambda world: f"/api/v1/rollout/processes/{world['sample process'].pk}/",
    Verb("GET", administrators),
    Verb("PATCH", administrators, data=lambda world, marker: {"name": marker}, writes=_named),
    Verb("DELETE", administrators, writes=_sample_deleted),
)
_api(
    lambda world: f"/api/v1/rollout/processes/{world['sample process'].pk}/install/",
    Verb("POST", administrators, writes=_sample_installed),
)
_api(
    lambda world: f"/api/v1/rollout/processes/{world['installed process'].pk}/uninstall/",
    Verb("POST", administrators, writes=_uninstalled),
)
_api("/api/v1/rollout/training/", Verb("GET", administrators))
_api(
    "/api/v1/rollout/training/confirm/",
    Verb(
        "POST",
        administrators,
        data=lambda world, marker: {
            "user": world.users["sales_rep"].pk,
            "exercise": world[EVERYONE].pk,
        },
        writes=_confirmed,
    ),
)
_api(
    "/api/v1/my-training/",
    Verb("GET", signed),
    Verb(
        "POST",
        signed,
        data=lambda world, marker: {"exercise": world[EVERYONE].pk},
        writes=_marked,
    ),
)
