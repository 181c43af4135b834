"""Contract tests generated from an entity's registration (issue "Platform v2" item 5).

Every registered entity gets, without a line of its own: its services (create, update and
delete through its record services, each leaving its audit entry; invalid data refused with
nothing written), its API (``/api/v1/<key>/``: list, detail, create, update; an ETag on the
detail and 412 on a stale If-Match; 400 for a missing required field, a wrong type and a
pick-list value from another list, in Hebrew and in English, writing nothing), its query counts
(list page, detail page and API list cost the same for 5 records as for 50) and its place in
the access matrix (``matrix.py``: records of a new entity are made by ``generated_spec`` unless
its app registers its own with ``register_records``). ``tests/test_contracts.py`` runs the
checks for every entity of ``registry.all()``.

**Valid records.** Field values come from the entity's ``register_records`` (its app knows
what its service accepts: a rule's condition, an approval's steps) or, when it has none, are
made from the registration and the model: every required field of ``form_fields`` gets a value
of its type from ``filler.py`` (its text marked, so a write is found afterwards), a pick-list
field an active value of its list, a link a record of the linked entity (made the same way), the
owner field the side's user.

**Opting out.** A check that the registration cannot support is skipped, with the reason, by
what the registration says (``skip_reason``): the ETag without a ``version`` column, a
wrong-type check without a typed field in ``form_fields``, a pick-list check without a pick-list
field, a missing-field check without a required one. Nothing is skipped by entity key.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kesher.platform.registry import Entity, registry
from kesher.platform.testing import filler
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    SIDES,
    RecordSpec,
    World,
    WriteLog,
    autodiscover,
    jsonable,
    owner_of,
    sides_of,
    spec_of,
)

__all__ = [
    "CHECKS",
    "LazyWorld",
    "generated_spec",
    "make_records",
    "problems",
    "skip_reason",
    "spec_for",
]

HEBREW = re.compile("[\u0590-\u05ff]")
# The records of a query-count check: the small list, then the large one. Three times as many
# rows show a query per row as plainly as ten times (it would be 10 more, not 45 more), and each
# of ~90 entities writes 35 records fewer through its services.
SMALL, LARGE = 5, 15
# Field types a JSON body can give the wrong type of ("not a number" is refused by each).
TYPED = (
    models.IntegerField,
    models.DecimalField,
    models.FloatField,
    models.DateField,
    models.TimeField,
    models.DurationField,
    models.BooleanField,
)
WRONG_TYPE = "not-a-value-of-this-type"


# --- valid records -------------------------------------------------------------------------------


class LazyWorld(World):
    """A matrix ``World`` whose records are made when first asked for (by the entity's spec),
    so a check of one entity makes only the records its own values link to."""

    def record(self, key: str, side: str = "rep1"):
        if (key, side) not in self.records:
            entity = registry.get(key)
            side = side if side in sides_of(entity) else "rep1"
            if (key, side) not in self.records:
                self.records[(key, side)] = spec_for(entity).make(self, side)
        return self.records[(key, side)]


def _create_service(entity: Entity) -> Callable:
    if entity.create_service is not None:
        return entity.create_service
    from kesher.platform.records.services import record_create

    return lambda *, actor, data, m2m=None: record_create(entity, actor=actor, data=data, m2m=m2m)


def _fields(entity: Entity) -> list[models.Field]:
    """The concrete fields of ``form_fields`` (custom fields, many-to-many and a form mixin's
    own inputs are no column of the model)."""
    concrete = {f.name: f for f in entity.model._meta.concrete_fields}
    return [concrete[name] for name in entity.form_fields if name in concrete]


def required_fields(entity: Entity) -> list[models.Field]:
    """Fields of the form a record cannot be saved without (no blank, no default)."""
    return [
        f
        for f in _fields(entity)
        if not f.blank and not f.has_default() and f.name != entity.owner_field
    ]


def marker_field(entity: Entity) -> str | None:
    """The text field a generated record carries its marker in: the first plain text field of
    the form (a required one first)."""
    texts = [
        f
        for f in _fields(entity)
        if type(f) in (models.CharField, models.TextField)
        and not f.choices
        and (f.max_length or 200) >= 20
    ]
    texts.sort(key=lambda f: f.blank)
    return texts[0].name if texts else None


def _choice_for(list_key: str):
    from kesher.platform.models import Choice

    found = Choice.objects.filter(list_key=list_key, active=True).order_by("order", "id").first()
    if found is None:
        found = Choice.objects.create(
            list_key=list_key, value="contract", label_he="חוזה", label_en="Contract"
        )
    return found


def _value(entity: Entity, f: models.Field, world: World, side: str, marker: str) -> Any:
    if f.name == entity.owner_field:
        return owner_of(world, side) if side in SIDES else world.users["admin"]
    if f.name in entity.choice_lists:
        return _choice_for(entity.choice_lists[f.name])
    if f.is_relation:
        target = f.related_model
        if registry.has_model(target):
            return world.record(registry.for_model(target).key, side)
        return target._base_manager.order_by("pk").first()
    if f.name == marker_field(entity):
        return marker
    rng = filler._rng(entity.key, f.name, marker)
    for attempt in range(filler.ATTEMPTS):
        value = filler._value(f, 0, attempt, rng, marker)
        if isinstance(value, str) and type(f) in (models.CharField, models.TextField):
            value = value.replace("\u202b", "").replace("\u202c", "")  # kept out by clean_text
        try:
            f.clean(value, None)
        except ValidationError:
            continue
        return value
    raise filler.FillError(f"{entity.key}.{f.name}: no valid value of a {type(f).__name__}")


def generated_spec(entity: Entity) -> RecordSpec:
    """How to make records of an entity no app registered ``register_records`` for: its
    required form fields (and its marker field) by type, through its create service."""
    field_name = marker_field(entity)
    if field_name is None:
        raise LookupError(
            f"{entity.key}: no text field to mark a generated record with; "
            f"register_records({entity.key!r}, ...) in its app's tests/access_matrix.py"
        )

    def values(world: World, marker: str, record, side: str = "rep1") -> dict:
        chosen = {f.name: f for f in required_fields(entity)}
        chosen[field_name] = entity.field(field_name)
        result = {name: _value(entity, f, world, side, marker) for name, f in chosen.items()}
        if record is not None:  # a replacement keeps the record's own links
            for name, f in chosen.items():
                if f.is_relation:
                    result[name] = getattr(record, name)
        return result

    def make(world: World, side: str):
        # The search word, so the matrix's search and picker routes find it.
        data = values(world, f"{SEARCH_WORD} {world.marker()}", None, side)  # links: the side's
        if entity.owner_field and "__" not in entity.owner_field and side in SIDES:
            data[entity.owner_field] = owner_of(world, side)
        return _create_service(entity)(actor=world.users["admin"], data=data)

    return RecordSpec(key=entity.key, make=make, values=values, marker_field=field_name)


def spec_for(entity: Entity) -> RecordSpec:
    """The entity's registered ``RecordSpec``, else one generated from its registration."""
    return spec_of(entity)


def make_records(entity: Entity, world: World, count: int, actor) -> list:
    """``count`` new records of ``entity`` through its create service; parts of another
    entity's records (a document's lines, decision 0103) as its spec makes them, through the
    whole's services."""
    spec = spec_for(entity)
    if entity.part_of is not None:
        return [spec.make(world, "rep1") for _ in range(count)]
    create = _create_service(entity)
    return [
        create(actor=actor, data=spec.values(world, world.marker(), None)) for _ in range(count)
    ]


# --- helpers -------------------------------------------------------------------------------------


def _audit_actions(record) -> list[str]:
    from django.contrib.contenttypes.models import ContentType

    from kesher.platform.models import AuditEntry

    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(record)), object_id=record.pk
        )
        .order_by("id")
        .values_list("action", flat=True)
    )


@contextlib.contextmanager
def _writes() -> Iterator[list[str]]:
    log = WriteLog()
    with connection.execute_wrapper(log):
        yield log.tables


def _messages(body) -> list[str]:
    """Every message text of an API error body, however nested."""
    if isinstance(body, dict):
        return [m for value in body.values() for m in _messages(value)]
    if isinstance(body, list):
        return [m for value in body for m in _messages(value)]
    return [str(body)]


def _api(user, language: str = "he") -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
    client.force_authenticate(user)
    return client


def _typed_field(entity: Entity) -> models.Field | None:
    for f in _fields(entity):
        if isinstance(f, TYPED) and not f.choices and f.name not in entity.choice_lists:
            return f
    return None


def _pick_list_field(entity: Entity) -> str | None:
    names = [name for name in entity.choice_lists if name in {f.name for f in _fields(entity)}]
    return names[0] if names else None


def _other_list_choice(list_key: str):
    from kesher.platform.models import Choice

    found = Choice.objects.exclude(list_key=list_key).order_by("id").first()
    return found or Choice.objects.create(list_key=f"not-{list_key}", value="x", label_he="x")


# --- the checks ----------------------------------------------------------------------------------


def skip_reason(entity: Entity, check: str) -> str | None:
    """Why the registration cannot support ``check``, or None."""
    if entity.part_of is not None and check != "query_counts":
        # Nobody writes them on their own; the refusal is tested with the entity (0103).
        return "parts of another entity's records, written only by its services"
    if check == "api_etag" and not any(f.name == "version" for f in entity.model._meta.fields):
        return "its model has no version column (no ETag, no If-Match)"
    if check == "api_missing_field" and not required_fields(entity):
        return "no required field in its form_fields"
    if check == "api_wrong_type" and _typed_field(entity) is None:
        return "no typed field (number, date, time, yes/no) in its form_fields"
    if check == "api_pick_list" and _pick_list_field(entity) is None:
        return "no pick-list field (choice_lists) in its form_fields"
    if check == "services_invalid" and not required_fields(entity):
        return "no required field in its form_fields"
    return None


def check_services(entity: Entity, world: World) -> list[str]:
    """Create, update and delete through the entity's services, each audited."""
    from kesher.platform.records.services import record_delete, record_update

    admin = world.users["admin"]
    spec = spec_for(entity)
    problems = []
    record = make_records(entity, world, 1, admin)[0]
    if _audit_actions(record) != ["create"]:
        problems.append(f"create left audit entries {_audit_actions(record)}, not one 'create'")
    marker = world.marker()
    update = entity.update_service or record_update
    record = update(record, actor=admin, data={spec.marker_field: marker})
    stored = entity.model._base_manager.filter(pk=record.pk, **{spec.marker_field: marker})
    if not stored.exists():
        problems.append(f"update did not store {spec.marker_field}={marker!r}")
    if _audit_actions(record)[-1:] != ["update"]:
        problems.append(f"update left audit entries {_audit_actions(record)}")
    pk = record.pk
    (entity.delete_service or record_delete)(record, actor=admin)
    record.pk = pk
    if entity.model._base_manager.filter(pk=pk).exists():
        problems.append("delete left the record")
    if _audit_actions(record)[-1:] != ["delete"]:
        problems.append(f"delete left audit entries {_audit_actions(record)}")
    return problems


def check_services_invalid(entity: Entity, world: World) -> list[str]:
    """A record without a required field is refused naming the field, and nothing is written."""
    admin = world.users["admin"]
    values = spec_for(entity).values(world, world.marker(), None)
    missing = required_fields(entity)[0].name
    values.pop(missing, None)
    before = entity.model._base_manager.count()
    with _writes() as tables:
        try:
            _create_service(entity)(actor=admin, data=values)
        except ValidationError as exc:
            named = getattr(exc, "error_dict", {})
        else:
            return [f"created a record without {missing!r}"]
    problems = []
    if missing not in named:
        problems.append(f"the refusal names {sorted(named)}, not {missing!r}")
    if tables or entity.model._base_manager.count() != before:
        problems.append(f"a refused create wrote to {sorted(set(tables))}")
    return problems


def check_api(entity: Entity, world: World) -> list[str]:
    """List, detail, create and update through ``/api/v1/<key>/``."""
    admin = world.users["admin"]
    spec = spec_for(entity)
    api = _api(admin)
    url = f"/api/v1/{entity.key}/"
    problems = []
    record = make_records(entity, world, 1, admin)[0]
    listed = api.get(url, {"page_size": 200})
    if listed.status_code != 200:
        return [f"GET {url}: {listed.status_code}"]
    if record.pk not in {row["id"] for row in listed.json()["results"]}:
        problems.append(f"GET {url} does not list #{record.pk}")
    detail = api.get(f"{url}{record.pk}/")
    if detail.status_code != 200 or detail.json().get("id") != record.pk:
        problems.append(f"GET {url}{record.pk}/: {detail.status_code}")
    marker = world.marker()
    created = api.post(url, jsonable(spec.values(world, marker, None)), format="json")
    if created.status_code != 201:
        problems.append(f"POST {url}: {created.status_code} {created.content[:300]!r}")
    elif not entity.model._base_manager.filter(**{spec.marker_field: marker}).exists():
        problems.append(f"POST {url} answered 201 and wrote no record")
    marker = world.marker()
    changed = api.patch(f"{url}{record.pk}/", {spec.marker_field: marker}, format="json")
    if changed.status_code != 200:
        problems.append(f"PATCH {url}{record.pk}/: {changed.status_code} {changed.content[:300]!r}")
    elif not entity.model._base_manager.filter(
        pk=record.pk, **{spec.marker_field: marker}
    ).exists():
        problems.append(f"PATCH {url}{record.pk}/ answered 200 and changed nothing")
    return problems


def check_api_etag(entity: Entity, world: World) -> list[str]:
    """The detail carries its version as ETag; a write with a stale If-Match gets 412 and
    changes nothing; with the current one it passes."""
    admin = world.users["admin"]
    spec = spec_for(entity)
    api = _api(admin)
    record = make_records(entity, world, 1, admin)[0]
    url = f"/api/v1/{entity.key}/{record.pk}/"
    etag = api.get(url).get("ETag")
    if etag != f'"{record.version}"':
        return [f"GET {url}: ETag {etag!r}, not the version {record.version}"]
    problems = []
    fresh = api.patch(url, {spec.marker_field: world.marker()}, format="json", HTTP_IF_MATCH=etag)
    if fresh.status_code != 200 or fresh.get("ETag") != f'"{record.version + 1}"':
        problems.append(f"PATCH with the current If-Match: {fresh.status_code} {fresh.get('ETag')}")
    marker = world.marker()
    with _writes() as tables:
        stale = api.patch(url, {spec.marker_field: marker}, format="json", HTTP_IF_MATCH=etag)
    current = record.version + 1
    if stale.status_code != 412:
        problems.append(f"PATCH with a stale If-Match: {stale.status_code}, not 412")
    elif stale.json().get("version") != current or stale.get("ETag") != f'"{current}"':
        problems.append(f"the 412 does not give the current version {current}: {stale.content!r}")
    if not entity.model._base_manager.filter(pk=record.pk, version=current).exists():
        problems.append("PATCH with a stale If-Match changed the version")
    if tables:
        problems.append(f"PATCH with a stale If-Match wrote to {sorted(set(tables))}")
    return problems


def _refused_in_both_languages(entity: Entity, world: World, body: dict, field_name: str):
    """POST ``body`` in Hebrew and in English: 400 naming ``field_name``, its message in each
    language, nothing written."""
    admin = world.users["admin"]
    url = f"/api/v1/{entity.key}/"
    answers = {}
    problems = []
    for language in ("he", "en"):
        with _writes() as tables:
            response = _api(admin, language).post(url, jsonable(body), format="json")
        if response.status_code != 400:
            return [f"POST {url} ({language}): {response.status_code}, not 400"]
        if tables:
            problems.append(f"a refused POST ({language}) wrote to {sorted(set(tables))}")
        errors = response.json()
        if field_name not in errors:
            return [f"the 400 ({language}) names {sorted(errors)}, not {field_name!r}"]
        answers[language] = " ".join(_messages(errors[field_name]))
    if not HEBREW.search(answers["he"]):
        problems.append(f"the Hebrew answer is not in Hebrew: {answers['he']!r}")
    if HEBREW.search(answers["en"]) or answers["en"] == answers["he"]:
        problems.append(f"the English answer is not in English: {answers['en']!r}")
    return problems


def check_api_missing_field(entity: Entity, world: World) -> list[str]:
    missing = required_fields(entity)[0].name
    body = spec_for(entity).values(world, world.marker(), None)
    body.pop(missing, None)
    return _refused_in_both_languages(entity, world, body, missing)


def check_api_wrong_type(entity: Entity, world: World) -> list[str]:
    typed = _typed_field(entity)
    body = spec_for(entity).values(world, world.marker(), None)
    body[typed.name] = WRONG_TYPE
    return _refused_in_both_languages(entity, world, body, typed.name)


def check_api_pick_list(entity: Entity, world: World) -> list[str]:
    name = _pick_list_field(entity)
    body = spec_for(entity).values(world, world.marker(), None)
    body[name] = _other_list_choice(entity.choice_lists[name])
    return _refused_in_both_languages(entity, world, body, name)


def _pages(entity: Entity, record) -> dict[str, str]:
    return {
        "list page": f"/r/{entity.key}/",
        "detail page": f"/r/{entity.key}/{record.pk}/",
        "API list": f"/api/v1/{entity.key}/",
    }


def _count(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, len(captured.captured_queries)


def check_query_counts(entity: Entity, world: World) -> list[str]:
    """The list page, a detail page and the API list cost as many queries with ``LARGE``
    records as with ``SMALL`` (STYLE.md "query counts asserted in tests")."""
    admin = world.users["admin"]
    client = Client(HTTP_ACCEPT_LANGUAGE="he")
    client.force_login(admin)
    existing = entity.model._base_manager.count()
    records = make_records(entity, world, max(SMALL - existing, 1), admin)
    pages = _pages(entity, records[0])
    small = {}
    for page, url in pages.items():
        client.get(url)  # warms per-process caches (content types, definitions)
        status, small[page] = _count(client, url)
        if status != 200:
            return [f"{page} {url}: {status}"]
    make_records(entity, world, LARGE - entity.model._base_manager.count(), admin)
    problems = []
    for page, url in pages.items():
        # Warm again: a write may have renewed what the process caches (a role's grants).
        client.get(url)
        status, large = _count(client, url)
        if status != 200 or large != small[page]:
            problems.append(f"{page} {url}: {small[page]} queries for {SMALL}, {large} for {LARGE}")
    return problems


CHECKS: dict[str, Callable[[Entity, World], list[str]]] = {
    "services": check_services,
    "services_invalid": check_services_invalid,
    "api": check_api,
    "api_etag": check_api_etag,
    "api_missing_field": check_api_missing_field,
    "api_wrong_type": check_api_wrong_type,
    "api_pick_list": check_api_pick_list,
    "query_counts": check_query_counts,
}


def problems(entity: Entity, check: str, users: dict) -> list[str]:
    """Run one check of one entity in a fresh world of conftest's ``users``."""
    return CHECKS[check](entity, LazyWorld(users))


def autodiscover_specs() -> None:
    """Import every app's ``tests/access_matrix.py``: its ``register_records`` say how to make
    valid records of entities whose services ask more than their field types tell."""
    autodiscover()
