"""The imports app's routes in the access matrix (tests/test_access_matrix.py): two jobs of
rep1's — one checked, one done — so the matrix shows that only rep1 and administrators find
them, and that each step needs the add permission on contacts (REQ IM-1, OR-3)."""

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from kesher.imports.models import ImportJob
from kesher.platform.access import is_admin
from kesher.platform.testing.matrix import (
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    refused,
    register_route,
    register_setup,
    signed_in,
)

FILE = b"first name,email\nMatrix,matrix@example.com\n"
MAPPING = {"columns": {"0": {"field": "first_name", "values": {}}}}


def _job(world, status: str) -> ImportJob:
    job = ImportJob(
        entity="contacts",
        actor=owner_of(world, "rep1"),
        filename="matrix.csv",
        file_format="csv",
        encoding="UTF-8",
        delimiter=",",
        headers=["first name", "email"],
        mapping=MAPPING,
        status=status,
        checked=True,
        total=1,
        done=1,
        started_at=timezone.now() if status == "done" else None,
        finished_at=timezone.now() if status == "done" else None,
    )
    job.file.save("matrix.csv", ContentFile(FILE), save=False)
    job.save()
    return job


@register_setup
def imports(world):
    world["import job"] = _job(world, ImportJob.Status.CHECKED)
    world["done import job"] = _job(world, ImportJob.Status.DONE)


def _owner_or_admin(world, principal) -> bool:
    user = world.user(principal)
    return user == owner_of(world, "rep1") or is_admin(user)


def sees_job(world, principal):
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and not _owner_or_admin(world, principal):
        return Outcome.NOT_FOUND
    return outcome


def may_import(world, principal):
    outcome = sees_job(world, principal)
    if outcome is Outcome.ALLOW and not world.can(principal, "contacts", "add"):
        return Outcome.FORBIDDEN
    return outcome


def _status_is(name: str, status: str):
    def check(world, principal, marker) -> bool:
        return ImportJob.objects.get(pk=world[name].pk).status == status

    return check


def _uploaded(world, principal, marker) -> bool:
    return ImportJob.objects.filter(filename=f"{marker}.csv").exists()


def _upload_body(world, marker) -> dict:
    return {"file": SimpleUploadedFile(f"{marker}.csv", FILE, content_type="text/csv")}


def _url(name: str, suffix: str = ""):
    return lambda world: f"/imports/{world[name].pk}/{suffix}"


def _api(name: str, suffix: str = ""):
    return lambda world: f"/api/v1/imports/{world[name].pk}/{suffix}"


POST_ONLY = tuple(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE"))

register_route("imports", "/imports/", Verb("GET", signed_in))
register_route(
    "imports",
    "/imports/new/contacts/",
    Verb("GET", permitted("contacts", "add")),
    Verb("POST", permitted("contacts", "add"), data=_upload_body, writes=_uploaded),
)
register_route(
    "imports",
    _url("import job"),
    Verb("GET", sees_job),
    Verb(
        "POST",
        may_import,
        data=lambda world, marker: {"col-0": "first_name", "mode": "create"},
        writes=_status_is("import job", ImportJob.Status.CHECKING),
    ),
    what="rep1's checked import",
)
register_route("imports", _url("import job", "progress/"), Verb("GET", sees_job))
register_route(
    "imports",
    _url("import job", "start/"),
    Verb("POST", may_import, writes=_status_is("import job", ImportJob.Status.QUEUED)),
    *POST_ONLY,
)
register_route(
    "imports",
    _url("import job", "missing/"),
    Verb(
        "POST",
        may_import,
        data=lambda world, marker: {"missing-0": "report"},
        writes=_status_is("import job", ImportJob.Status.CHECKING),
    ),
    *POST_ONLY,
)
register_route(
    "imports",
    _url("import job", "cancel/"),
    Verb("POST", may_import, writes=_status_is("import job", ImportJob.Status.CANCELLED)),
    *POST_ONLY,
)
register_route(
    "imports",
    _url("done import job", "undo/"),
    Verb("POST", may_import, writes=_status_is("done import job", ImportJob.Status.UNDOING)),
    *POST_ONLY,
)
register_route("imports", _url("import job", "problems.xlsx"), Verb("GET", sees_job))

API_VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _api_route(url, *verbs: Verb, what: str = "") -> None:
    declared = {v.method for v in verbs}
    rest = (Verb(m, not_allowed()) for m in API_VERBS if m not in declared)
    register_route("imports-api", url, *verbs, *rest, api=True, what=what)


register_route(
    "imports-api",
    "/api/v1/imports/",
    Verb("GET", signed_in),
    # A JSON body carries no file: whoever may add contacts gets the service's 400.
    Verb("POST", refused("contacts", "add"), data=lambda world, marker: {"entity": "contacts"}),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH", "DELETE")),
    api=True,
)
_api_route(_api("import job"), Verb("GET", sees_job), what="rep1's checked import")
_api_route(
    _api("import job", "mapping/"),
    Verb(
        "PUT",
        may_import,
        data=lambda world, marker: {"mode": "create", "mapping": MAPPING},
        writes=lambda world, principal, marker: (
            not ImportJob.objects.get(pk=world["import job"].pk).checked
        ),
    ),
)
_api_route(
    _api("import job", "check/"),
    Verb("POST", may_import, writes=_status_is("import job", ImportJob.Status.CHECKING)),
)
_api_route(
    _api("import job", "start/"),
    Verb("POST", may_import, writes=_status_is("import job", ImportJob.Status.QUEUED)),
)
_api_route(
    _api("import job", "cancel/"),
    Verb("POST", may_import, writes=_status_is("import job", ImportJob.Status.CANCELLED)),
)
_api_route(
    _api("done import job", "undo/"),
    Verb("POST", may_import, writes=_status_is("done import job", ImportJob.Status.UNDOING)),
)
_api_route(_api("import job", "issues/"), Verb("GET", sees_job))
