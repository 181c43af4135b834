"""The access matrix: every role × every URL × every verb, each with the answer it must get and
whether it may write (REQ OR-3, CX-9; DESIGN.md: "Every page and endpoint is covered by the
access matrix test").

Nothing here is a test; ``tests/test_access_matrix.py`` runs it. What a request must get is
derived, not written out per role:

- **Routes of entities are generated** from the platform registry: the pages ``/r/<key>/...``
  (list, export, new, detail, edit, delete), the API ``/api/v1/<key>/...``, bulk actions, saved
  views, the record picker and file upload. Records of an entity are generated from its
  registration (``contracts.generated_spec``); an app whose services ask more than the field
  types tell says how to make its records, with ``register_records``.
- **Every other route is registered** with ``register_route`` and an expectation built from
  ``public``, ``signed_in``, ``permitted``, ``not_allowed``, ``staff_only``...
- **The expectation follows the role's grants** (``access.can``) and an independent reading of
  the record scope (``World.sees``: owner, department subtree, region, company, or the scope of
  a linked record), so the matrix checks ``visible_to`` instead of repeating it.

Rules every answer is held to: signed out (anonymous, or an inactive user even with a session)
→ the sign-in page, or 401/403 from the API; a verb the role lacks → 403; a record outside the
role's scope → 404, never 403, so its existence does not leak. An allowed write must really
write; any other request must send no write to the database at all. An allowed page must not
link to (or name) a record out of scope. An app adds its own registrations in
``<app>/tests/access_matrix.py``; ``autodiscover()`` imports them.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import datetime
import decimal
import html
import importlib
import importlib.util
import io
import itertools
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from kesher.platform import access
from kesher.platform.registry import Entity, registry

__all__ = [
    "GATE_PRINCIPALS",
    "PRINCIPALS",
    "ROLES",
    "SEARCH_WORD",
    "VERBS",
    "Outcome",
    "RecordSpec",
    "Route",
    "Verb",
    "World",
    "admin_site_routes",
    "areas",
    "autodiscover",
    "build_world",
    "client_for",
    "created",
    "never_allowed",
    "not_allowed",
    "owner_of",
    "permitted",
    "public",
    "record_specs",
    "refused",
    "register_record_action",
    "register_records",
    "register_route",
    "register_routes",
    "register_session",
    "register_setup",
    "routes",
    "run_area",
    "signed_in",
    "staff_only",
    "uncovered_patterns",
    "url_patterns",
]

# Who knocks: a user of each role (conftest's ``users``), an inactive user, and nobody. Django's
# admin site is knocked on by a staff superuser too, the one principal it lets in; elsewhere a
# superuser is what the "admin" role already is.
# "regional" is a rep whose role has the region scope (conftest.make_regional_user), of the North
# region where rep1's records are and rep2's are not. "privacy_officer" holds the role an
# administrator gives whoever answers people's requests about their data (kesher/privacy).
# "portal" is a customer's contact signed in to the portal (kesher/portal, decision 0079): a
# principal of his own, never a staff user, so every staff route must treat him as nobody.
ROLES = (
    "admin",
    "manager",
    "sales_rep",
    "support_agent",
    "read_only",
    "regional",
    "privacy_officer",
    "inactive",
    "portal",
    "anonymous",
)
PRINCIPALS = (*ROLES, "superuser")
VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# The verbs a route does not serve are sent by these only, to the sign-in gate and by the role
# allowed everything (whose requests must still write nothing); of PUT, PATCH and DELETE only
# DELETE, as a Django view parses none of them and answers all three alike. Kesher's views check
# the role before they look at the verb, so a refused role's answer does not depend on it.
UNDECLARED_VERBS = {"anonymous": ("GET", "POST", "DELETE"), "admin": ("GET", "POST", "DELETE")}
# An answer that depends on being signed in and nothing else (``not_allowed()``) is asked of
# these: nobody, a session that must not count, and a role allowed everything.
GATE_PRINCIPALS = ("anonymous", "inactive", "admin")
# The same view behind another URL (a format suffix) is read by the gate's principals and by a
# role whose scope narrows what it reads.
SAME_VIEW_PRINCIPALS = (*GATE_PRINCIPALS, "sales_rep")

# Records of scoped entities come in pairs: one owned by each sales rep. rep1 sits in North, under
# Sales where the manager is; rep2 in Service. The owner rule, the department subtree and "all"
# each answer differently on the pair. Unscoped entities get one record.
SIDES = {"rep1": "sales_rep", "rep2": "sales_rep2"}
# A word in the name of every generated record, for the search and picker routes.
SEARCH_WORD = "Matrix"
# Tables a request may write whatever it is: the session store (sign-in, messages) and the
# content types Django fills in lazily as a cache of the schema.
# And the access log (kesher.privacy), which every read of a record adds to.
UNWATCHED_TABLES = {"django_session", "django_content_type", "privacy_accessentry"}


class Outcome(StrEnum):
    """What a request must get."""

    ALLOW = "allowed (2xx, or a redirect that is not to sign-in)"
    SIGN_IN = "sign-in first (redirect to the sign-in page; API: 401/403)"
    ADMIN_LOGIN = "redirect to the admin site's login"
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    NOT_ALLOWED = "405"
    REFUSED = "400 (refused by the service)"
    # A page's refusal of a request it understood: back to a page (not sign-in) with a message.
    DECLINED = "declined (a redirect that is not to sign-in, nothing written)"
    # Past the gate: anything below 500 but a sign-in redirect (Django admin's own rules decide).
    PASSES = "past the sign-in gate (no sign-in redirect, < 500)"
    # A verb the route does not serve, for a principal its GET lets in: any answer below 500.
    HARMLESS = "any answer < 500"


Expectation = Callable[["World", str], Outcome]


# --- the world a test runs in ----------------------------------------------------------------


@dataclass(frozen=True)
class RecordSpec:
    """How the matrix makes records of one entity and fills its create/edit forms.

    ``make(world, side)`` saves a record owned by the side's user (``SIDES``), through the
    entity's services. ``values(world, marker, record)`` are valid field values for creating a
    record (``record`` None) or replacing ``record``, as the API takes them (ids for links),
    with ``marker`` in ``marker_field``: that is how a write is found afterwards.
    """

    key: str
    make: Callable[[World, str], Any]
    values: Callable[[World, str, Any], dict]
    marker_field: str


class World:
    """Users of every role and records of every entity, made once per test; each request of
    the matrix runs in a savepoint that is rolled back, so every request sees this same world."""

    def __init__(self, users: dict):
        self.users = dict(users)
        self.records: dict[tuple[str, str], Any] = {}
        self.extras: dict[str, Any] = {}
        self._markers = itertools.count(1)
        # Each principal's signed-in client, made with the world (``build_world``).
        self._clients: dict[str, Client] = {}

    def __getitem__(self, name: str):
        return self.extras[name]

    def __setitem__(self, name: str, value) -> None:
        self.extras[name] = value

    def user(self, principal: str):
        if principal == "anonymous" or principal in _sessions:
            return None
        return self.users[principal]

    def record(self, key: str, side: str = "rep1"):
        try:
            return self.records[(key, side)]
        except KeyError:
            raise LookupError(f"no {side} record of {key!r} in the world") from None

    def marker(self) -> str:
        """A fresh value no record holds yet (valid as a name, slug or custom-field key). It ends
        in a letter so that none is the start of another: a page showing "mx11" must not be
        taken for one showing "mx1"."""
        return f"mx{next(self._markers)}q"

    def signed_in(self, principal: str) -> bool:
        user = self.user(principal)
        return user is not None and user.is_active

    def can(self, principal: str, key: str, action: str) -> bool:
        return self.signed_in(principal) and access.can(self.user(principal), key, action)

    def sees(self, principal: str, obj) -> bool:
        """Whether the principal may see ``obj``, read from the grant's scope rule object by
        object — an implementation independent of ``scope_queryset``'s query."""
        if not self.signed_in(principal):
            return False
        user = self.user(principal)
        entity = registry.for_model(obj)
        grant = access.grant(user, entity.key)
        if not grant.view:
            return False
        if entity.shared_via and grant.scope != "all":
            for path in entity.shared_via:
                named = _values_at(obj, path)
                if any(v == user or (user.role_id and v == user.role) for v in named):
                    return True
        if entity.scope_via:
            ends = [getattr(obj, path) for path in entity.scope_via]
            return any(self.sees(principal, end) for end in ends if end is not None)
        if grant.scope == "all" or entity.owner_field is None:
            return True
        owners = _values_at(obj, entity.owner_field)
        if any(owner.pk == user.pk for owner in owners):
            return True
        if grant.scope == "department" and user.department_id:
            subtree = user.department.path
            if any(o.department_id and o.department.path.startswith(subtree) for o in owners):
                return True
            departments = _values_at(obj, entity.department_field or "")
            return bool(entity.department_field) and any(
                d.path.startswith(subtree) for d in departments
            )
        if grant.scope == "company" and entity.company_field:
            companies = set(user.companies.values_list("pk", flat=True))
            return any(c.pk in companies for c in _values_at(obj, entity.company_field))
        if grant.scope == "region" and entity.region_field:
            regions = set(user.regions.values_list("pk", flat=True))
            return any(r.pk in regions for r in _values_at(obj, entity.region_field))
        return False


def _values_at(obj, path: str) -> list:
    """The objects at a ``__`` path, following links and many-to-many fields."""
    current = [obj]
    for name in path.split("__"):
        found = []
        for item in current:
            value = getattr(item, name, None)
            if isinstance(value, models.Manager):
                found.extend(value.all())
            elif value is not None:
                found.append(value)
        current = found
    return current


_record_specs: dict[str, RecordSpec] = {}
_setups: list[Callable[[World], None]] = []
_routes: list[Route] = []
_route_sources: list[Callable[[], Iterable[Route]]] = []


def register_records(
    key: str,
    *,
    make: Callable[[World, str], Any],
    values: Callable[[World, str, Any], dict],
    marker_field: str,
) -> RecordSpec:
    """Tell the matrix how to make records of entity ``key`` (see ``RecordSpec``)."""
    spec = RecordSpec(key=key, make=make, values=values, marker_field=marker_field)
    _record_specs[key] = spec
    return spec


_sessions: dict[str, Callable[[World, Client], None]] = {}


def register_session(principal: str, start: Callable[[World, Client], None]) -> None:
    """A principal who is no staff user (the portal's customer): ``start(world, client)`` signs
    the client in as him; to every staff route he is nobody (``World.user`` is None)."""
    _sessions[principal] = start


def register_setup(setup: Callable[[World], None]) -> Callable[[World], None]:
    """Add objects registered routes need (``world["name"] = ...``); run after the records, in
    the order registered. Usable as a decorator."""
    if setup not in _setups:
        _setups.append(setup)
    return setup


def record_specs() -> dict[str, RecordSpec]:
    """The specs apps registered (entities without one get ``contracts.generated_spec``)."""
    return dict(_record_specs)


def spec_of(entity: Entity) -> RecordSpec:
    """The entity's registered spec, else one generated from its registration."""
    from kesher.platform.testing.contracts import generated_spec

    return _record_specs.get(entity.key) or generated_spec(entity)


def is_scoped(entity: Entity) -> bool:
    return bool(entity.owner_field or entity.scope_via)


def sides_of(entity: Entity) -> tuple[str, ...]:
    return tuple(SIDES) if is_scoped(entity) else ("rep1",)


def build_world(users: dict) -> World:
    """The world of one test: conftest's ``users``, a staff superuser, and records of every
    registered entity (in navigation order, so links can point at records made before)."""
    from kesher.org.models import User

    world = World(users)
    superuser = User.objects.create_superuser(
        username="matrix-superuser", email="matrix-superuser@example.co.il", password=None
    )
    world.users["superuser"] = superuser
    for entity in registry.all():
        spec = spec_of(entity)
        for side in sides_of(entity):
            world.records[(entity.key, side)] = spec.make(world, side)
    for setup in _setups:
        setup(world)
    # Signed in once, with the world: their sessions live as long as it does, and a case's
    # changes to them are rolled back with the case (and its cookies restored), so every area
    # starts from the same sessions, as every route of an area already did. Signing in again
    # for each of the ~100 areas × 11 principals was ~10 s of a run.
    world._clients = {principal: client_for(world, principal) for principal in PRINCIPALS}
    return world


def owner_of(world: World, side: str):
    return world.users[SIDES[side]]


# --- expectations ------------------------------------------------------------------------------


def public(world: World, principal: str) -> Outcome:
    return Outcome.ALLOW


def signed_in(world: World, principal: str) -> Outcome:
    return Outcome.ALLOW if world.signed_in(principal) else Outcome.SIGN_IN


def permitted(key: str, action: str, target: Callable[[World], Any] | None = None) -> Expectation:
    """Signed in, the role grants ``action`` on entity ``key`` (else 403), and ``target(world)``
    is in the role's scope (else 404)."""

    def expect(world: World, principal: str) -> Outcome:
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        if not world.can(principal, key, action):
            return Outcome.FORBIDDEN
        if target is not None and not world.sees(principal, target(world)):
            return Outcome.NOT_FOUND
        return Outcome.ALLOW

    return expect


def refused(key: str, action: str, target: Callable[[World], Any] | None = None) -> Expectation:
    """The gate of ``permitted``; past it, the service's refusal (400, or the page's redirect
    back with the error): the matrix sends what the service refuses, so nothing is written."""

    def expect(world: World, principal: str) -> Outcome:
        outcome = permitted(key, action, target)(world, principal)
        return Outcome.REFUSED if outcome is Outcome.ALLOW else outcome

    return expect


def not_allowed(gate: Expectation = signed_in) -> Expectation:
    """405 for whoever passes ``gate``; the gate's own answer for the others."""

    def expect(world: World, principal: str) -> Outcome:
        outcome = gate(world, principal)
        return Outcome.NOT_ALLOWED if outcome is Outcome.ALLOW else outcome

    return expect


def never_allowed(world: World, principal: str) -> Outcome:
    """405 for everyone, signed in or not (``require_POST`` answers before ``login_required``)."""
    return Outcome.NOT_ALLOWED


def _any_answer(world: World, principal: str) -> Outcome:
    return Outcome.HARMLESS


def _not_found(world: World, principal: str) -> Outcome:
    return Outcome.NOT_FOUND


def staff_only(world: World, principal: str) -> Outcome:
    user = world.user(principal)
    if user is not None and user.is_active and user.is_staff:
        return Outcome.PASSES
    return Outcome.ADMIN_LOGIN


# --- routes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verb:
    """One verb of a route: who gets what, the body it sends, and the write it must make.

    ``data(world, marker)`` is the body; ``writes(world, principal, marker)`` says whether the
    write an allowed request makes is in the database (True), is missing (False), or what is
    wrong with it (a text); without it, the request must write nothing.
    ``check(world, principal, response)`` inspects an allowed answer and returns a problem or
    None.
    """

    method: str
    expect: Expectation
    data: Callable[[World, str], dict] | None = None
    writes: Callable[[World, str, str], bool | str] | None = None
    check: Callable[[World, str, Any], str | None] | None = None
    headers: dict = field(default_factory=dict)
    # Sent by these principals only (None: by everyone).
    principals: tuple[str, ...] | None = None
    # A page that shows records beyond the reader's scope by design, to whoever its grant
    # lets in (a person's whole data, to the privacy officer answering his request): its
    # answers are not searched for what is out of scope.
    beyond_scope: bool = False


@dataclass(frozen=True)
class Route:
    """A URL of the matrix with its verbs. Verbs it does not declare are sent too: they may get
    no further than its first verb would, and must write nothing."""

    area: str
    url: Callable[[World], str]
    verbs: tuple[Verb, ...]
    api: bool = False
    what: str = ""
    admin_site: bool = False
    # Who it is sent by: the roles, unless a route says otherwise (say why where it does).
    principals: tuple[str, ...] = ROLES
    # The entity whose generic route it is: its answers follow the role's grant on it alone.
    entity: str = ""

    def verb(self, method: str) -> Verb:
        for verb in self.verbs:
            if verb.method == method:
                return verb
        base = self.verbs[0].expect

        def expect(world: World, principal: str) -> Outcome:
            outcome = base(world, principal)
            return Outcome.HARMLESS if outcome in (Outcome.ALLOW, Outcome.PASSES) else outcome

        return Verb(method, expect)


def register_route(
    area: str,
    url: str | Callable[[World], str],
    *verbs: Verb,
    api: bool = False,
    what: str = "",
    principals: tuple[str, ...] = ROLES,
) -> Route:
    """Add a route to the matrix. ``url`` is a path or ``url(world)`` for one that names records;
    ``area`` groups routes into one test."""
    route = Route(
        area=area,
        url=url if callable(url) else (lambda world, path=url: path),
        verbs=tuple(verbs),
        api=api,
        what=what,
        principals=principals,
    )
    _routes.append(route)
    return route


VerbsOf = Verb | Iterable[Verb] | Callable[[str, Callable[[World], Any]], Verb | Iterable[Verb]]


def register_record_action(
    key: str,
    path: str,
    *,
    page: VerbsOf | None = None,
    api: VerbsOf | None = None,
    what: str = "",
    api_what: str | None = None,
    page_area: str = "pages",
    api_area: str = "api",
    page_root: str = "",
    sides: tuple[str, ...] = ("rep1", "rep2"),
) -> list[Route]:
    """Register an action on each side's record of entity ``key``: its page route
    ``<page_root>/<key>/<pk>/<path>`` (when ``page`` is given) and its API route
    ``/api/v1/<key>/<pk>/<path>`` (when ``api`` is given), in one call.

    ``page`` and ``api`` are the verbs the route serves: a Verb, several, or
    ``verbs(side, record)`` where ``record(world)`` is that side's record. Every other verb is
    registered as refused: ``never_allowed`` on the page (``require_POST`` and its kind answer
    405 before the sign-in gate), ``not_allowed()`` on the API. ``what`` may name ``{side}``;
    ``api_what`` is the API route's, when it says otherwise. Returns the routes made."""
    made = []
    for side in sides:
        record = _target(key, side)
        for verbs_of, area, is_api, text, refuse, root in (
            (page, page_area, False, what, never_allowed, page_root),
            (api, api_area, True, api_what if api_what is not None else what, None, "/api/v1"),
        ):
            if verbs_of is None:
                continue
            declared = verbs_of(side, record) if callable(verbs_of) else verbs_of
            declared = (declared,) if isinstance(declared, Verb) else tuple(declared)
            methods = {verb.method for verb in declared}
            rest = tuple(
                Verb(method, refuse or not_allowed()) for method in VERBS if method not in methods
            )
            made.append(
                register_route(
                    area,
                    lambda world, root=root, record=record: (
                        f"{root}/{key}/{record(world).pk}/{path}"
                    ),
                    *declared,
                    *rest,
                    api=is_api,
                    what=text.format(side=side),
                )
            )
    return made


def register_routes(source: Callable[[], Iterable[Route]]) -> None:
    """Add routes made when the matrix runs (e.g. ``admin_site_routes``, read from the URLconf)."""
    if source not in _route_sources:
        _route_sources.append(source)


def routes() -> list[Route]:
    """Every route of the matrix: generated for each registered entity, then the registered.

    Made once for what they are made from (the registered entities, routes and sources, the
    URLconf, whether Django's admin site is on): each area's test asks again, and ~2,000
    routes took a tenth of a second to make."""
    made_from = (
        registry.version,
        id(_routes),
        len(_routes),
        tuple(_route_sources),
        id(get_resolver()),
        settings.KESHER_DJANGO_ADMIN,
    )
    if _made_routes.get("from") != made_from:
        _made_routes.update({"from": made_from, "routes": _make_routes()})
    return list(_made_routes["routes"])


_made_routes: dict[str, Any] = {}


def _make_routes() -> list[Route]:
    result = []
    for entity in registry.all():
        generic = entity_page_routes(entity) + entity_api_routes(entity)
        result += [dataclasses.replace(route, entity=entity.key) for route in generic]
    result += _routes
    for source in _route_sources:
        result += source()
    return result


def areas() -> list[str]:
    return sorted({route.area for route in routes()})


def _target(key: str, side: str) -> Callable[[World], Any]:
    return lambda world: world.record(key, side)


def _what(entity: Entity, side: str) -> str:
    return f"{side}'s record" if is_scoped(entity) else "a record"


def _spec(key: str) -> RecordSpec:
    return spec_of(registry.get(key))


def _model(key: str):
    return registry.get(key).model


def created(key: str) -> Callable[[World, str, str], bool]:
    def check(world: World, principal: str, marker: str) -> bool:
        field_name = _spec(key).marker_field
        return _model(key)._base_manager.filter(**{field_name: marker}).exists()

    return check


def changed(key: str, side: str) -> Callable[[World, str, str], bool]:
    def check(world: World, principal: str, marker: str) -> bool:
        field_name = _spec(key).marker_field
        pk = world.record(key, side).pk
        return _model(key)._base_manager.filter(pk=pk, **{field_name: marker}).exists()

    return check


def deleted(key: str, side: str) -> Callable[[World, str, str], bool]:
    def check(world: World, principal: str, marker: str) -> bool:
        return not _model(key)._base_manager.filter(pk=world.record(key, side).pk).exists()

    return check


def attached(key: str, side: str) -> Callable[[World, str, str], bool]:
    def check(world: World, principal: str, marker: str) -> bool:
        from kesher.platform.models import Attachment

        record = world.record(key, side)
        return Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            name=f"{marker}.txt",
        ).exists()

    return check


def jsonable(values: dict) -> dict:
    """Field values as JSON: records by id, dates as ISO text, decimals as text."""

    def one(value):
        if isinstance(value, models.Model):
            return value.pk
        if isinstance(value, list | tuple | set):
            return [one(v) for v in value]
        if isinstance(value, datetime.date | datetime.datetime):
            return value.isoformat()
        if isinstance(value, decimal.Decimal):
            return str(value)
        return value

    return {name: one(value) for name, value in values.items()}


def form_encoded(values: dict) -> dict:
    """Field values as an HTML form posts them: a ticked box "on", an unticked one absent."""
    posted = {}
    for name, value in jsonable(values).items():
        if value is True:
            posted[name] = "on"
        elif value is False:
            continue
        elif value is None:
            continue  # an empty input: a browser sends nothing for an empty multiple choice
        elif isinstance(value, list):
            posted[name] = [str(v) for v in value]
        else:
            posted[name] = str(value)
    return posted


def edit_form_values(world: World, entity: Entity, record) -> dict:
    """What the edit page's form holds for ``record`` (custom fields included; with ``record``
    None, the new-record form and its defaults), as posted by a user who changes one field."""
    from kesher.platform.ui.forms import form_for

    form_class = form_for(entity, world.users["superuser"])
    form = form_class(instance=record, initial={"version": getattr(record, "version", None)})
    return {name: form[name].value() for name in form.fields}


def _create_form(key: str) -> Callable[[World, str], dict]:
    def data(world: World, marker: str) -> dict:
        entity = registry.get(key)
        values = edit_form_values(world, entity, None)  # what the new-record form holds
        values.update(jsonable(_spec(key).values(world, marker, None)))
        return form_encoded(values)

    return data


def _edit_form(key: str, side: str) -> Callable[[World, str], dict]:
    def data(world: World, marker: str) -> dict:
        entity = registry.get(key)
        record = world.record(key, side)
        values = edit_form_values(world, entity, record)
        values[_spec(key).marker_field] = marker
        return form_encoded(values)

    return data


def _api_values(key: str, side: str | None = None) -> Callable[[World, str], dict]:
    def data(world: World, marker: str) -> dict:
        record = world.record(key, side) if side else None
        return jsonable(_spec(key).values(world, marker, record))

    return data


def _api_patch(key: str) -> Callable[[World, str], dict]:
    return lambda world, marker: {_spec(key).marker_field: marker}


def _upload(world: World, marker: str) -> dict:
    return {"file": SimpleUploadedFile(f"{marker}.txt", b"matrix", content_type="text/plain")}


def _shown(world: World, principal: str, key: str, present: Callable[[Any], bool]) -> str | None:
    """A problem if a record of ``key`` is shown that the principal may not see, or hidden."""
    entity = registry.get(key)
    for side in sides_of(entity):
        record = world.records.get((key, side))
        if record is None:
            continue
        expected, actual = world.sees(principal, record), present(record)
        if expected != actual:
            return f"{'lists' if actual else 'misses'} {side}'s record #{record.pk}"
    return None


def page_lists(key: str):
    """An allowed list page shows exactly the records in scope (of the world's pair)."""

    def check(world: World, principal: str, response) -> str | None:
        page = response.content.decode()
        return _shown(world, principal, key, lambda r: f'href="/r/{key}/{r.pk}/"' in page)

    return check


def api_lists(key: str):
    """An allowed API list returns exactly the records in scope (of the world's pair)."""

    def check(world: World, principal: str, response) -> str | None:
        ids = {row["id"] for row in response.json()["results"]}
        return _shown(world, principal, key, lambda r: r.pk in ids)

    return check


def picker_lists(key: str):
    def check(world: World, principal: str, response) -> str | None:
        page = response.content.decode()
        return _shown(world, principal, key, lambda r: f'data-pick="{r.pk}"' in page)

    return check


def exports(key: str, fmt: str):
    """An allowed export holds one row per record of ``key`` in the principal's scope."""

    def check(world: World, principal: str, response) -> str | None:
        content = b"".join(response.streaming_content)
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        else:
            from openpyxl import load_workbook

            rows = list(load_workbook(io.BytesIO(content), read_only=True).active.iter_rows())
        expected = sum(world.sees(principal, obj) for obj in _model(key)._base_manager.all())
        if len(rows) - 1 != expected:
            return f"exports {len(rows) - 1} records, not the {expected} in scope"
        return None

    return check


def _bulk_update(key: str, api: bool) -> Callable[[World, str], dict]:
    """A bulk update of the marker field on both records of the world's pair."""

    def data(world: World, marker: str) -> dict:
        entity = registry.get(key)
        ids = [world.record(key, side).pk for side in sides_of(entity)]
        body = {"action": "update", "field": _spec(key).marker_field, "value": marker, "ids": ids}
        return body if api else form_encoded(body)

    return data


def _bulk_updated(key: str) -> Callable[[World, str, str], bool | str]:
    """Each record of the pair changed exactly when the principal may change it: in scope and
    with the role's "change"."""

    def writes(world: World, principal: str, marker: str) -> bool | str:
        field_name = _spec(key).marker_field
        for side in sides_of(registry.get(key)):
            record = world.record(key, side)
            done = _model(key)._base_manager.filter(pk=record.pk, **{field_name: marker})
            expected = world.can(principal, key, "change") and world.sees(principal, record)
            if done.exists() != expected:
                return f"{'changed' if not expected else 'left'} {side}'s record"
        return True

    return writes


def _bulk_expect(key: str, api: bool) -> Expectation:
    def expect(world: World, principal: str) -> Outcome:
        if not world.signed_in(principal):
            return Outcome.SIGN_IN
        may_change = world.can(principal, key, "change")
        if api and not may_change:
            return Outcome.FORBIDDEN
        if not api and not (may_change or world.can(principal, key, "delete")):
            return Outcome.FORBIDDEN  # no bulk action at all for this role
        entity = registry.get(key)
        if api and not any(world.sees(principal, world.record(key, s)) for s in sides_of(entity)):
            return Outcome.REFUSED  # not one record could take it
        return Outcome.ALLOW

    return expect


def _saved_view_made(key: str) -> Callable[[World, str, str], bool]:
    def writes(world: World, principal: str, marker: str) -> bool:
        from kesher.platform.models import SavedView

        return SavedView.objects.filter(entity=key, name=marker).exists()

    return writes


def entity_page_routes(entity: Entity) -> list[Route]:
    """The generic pages of one entity: list, export, bulk actions, saved views, record picker;
    then each record's detail, edit, delete and file upload."""
    key = entity.key
    scoped = is_scoped(entity)
    result = [
        Route(
            key,
            lambda w, key=key: f"/r/{key}/",
            (Verb("GET", permitted(key, "view"), check=page_lists(key) if scoped else None),),
            what="list",
        ),
        # Every role exports CSV; Excel, the same view with another writer, is asked by the
        # principals that show its gate and its scope.
        *(
            Route(
                key,
                lambda w, key=key, fmt=fmt: f"/r/{key}/export.{fmt}",
                (Verb("GET", permitted(key, "view"), check=exports(key, fmt)),),
                what="export",
                principals=ROLES if fmt == "csv" else SAME_VIEW_PRINCIPALS,
            )
            for fmt in ("csv", "xlsx")
        ),
        Route(
            key,
            lambda w, key=key: f"/r/{key}/new/",
            (
                Verb("GET", permitted(key, "add")),
                Verb("POST", permitted(key, "add"), data=_create_form(key), writes=created(key)),
            ),
            what="new",
        ),
        Route(
            key,
            lambda w, key=key: f"/bulk/{key}/",
            (
                Verb("GET", _bulk_expect(key, api=False)),
                Verb(
                    "POST",
                    _bulk_expect(key, api=False),
                    data=_bulk_update(key, api=False),
                    writes=_bulk_updated(key),
                ),
            ),
            what="bulk update of both records",
        ),
        Route(
            key,
            lambda w, key=key: f"/views/{key}/save/",
            (
                Verb(
                    "POST",
                    permitted(key, "view"),
                    data=lambda world, marker: {"name": marker},
                    writes=_saved_view_made(key),
                ),
                *(Verb(m, never_allowed) for m in VERBS if m != "POST"),
            ),
            what="save the list as a view",
        ),
        Route(
            key,
            lambda w, key=key: f"/pick/{key}/?q={SEARCH_WORD}",
            (
                Verb(
                    "GET",
                    permitted(key, "view"),
                    check=picker_lists(key) if scoped and entity.has_search() else None,
                ),
            ),
            what="record picker",
        ),
    ]
    for side in sides_of(entity):
        target = _target(key, side)
        what = _what(entity, side)

        def url(suffix: str, key=key, side=side) -> Callable[[World], str]:
            return lambda w: f"/r/{key}/{w.record(key, side).pk}/{suffix}"

        result += [
            Route(key, url(""), (Verb("GET", permitted(key, "view", target)),), what=what),
            Route(key, url("timeline/"), (Verb("GET", permitted(key, "view", target)),), what=what),
            Route(
                key,
                url("edit/"),
                (
                    Verb("GET", permitted(key, "change", target)),
                    Verb(
                        "POST",
                        permitted(key, "change", target),
                        data=_edit_form(key, side),
                        writes=changed(key, side),
                    ),
                ),
                what=what,
            ),
            Route(
                key,
                url("delete/"),
                (
                    Verb("GET", permitted(key, "delete", target)),
                    Verb("POST", permitted(key, "delete", target), writes=deleted(key, side)),
                ),
                what=what,
            ),
            Route(
                key,
                lambda w, key=key, side=side: f"/files/upload/{key}/{w.record(key, side).pk}/",
                (
                    Verb(
                        "POST",
                        permitted(key, "change", target),
                        data=_upload,
                        writes=attached(key, side),
                    ),
                    *(Verb(m, never_allowed) for m in VERBS if m != "POST"),
                ),
                what=f"file upload to {what}",
            ),
        ]
    return result


def _api_list_verbs(key: str, scoped: bool) -> tuple[Verb, ...]:
    return (
        Verb("GET", permitted(key, "view"), check=api_lists(key) if scoped else None),
        Verb("POST", permitted(key, "add"), data=_api_values(key), writes=created(key)),
        Verb("PUT", not_allowed(permitted(key, "change"))),
        Verb("PATCH", not_allowed(permitted(key, "change"))),
        Verb("DELETE", not_allowed(permitted(key, "delete"))),
    )


def _suffixed(verbs: tuple[Verb, ...]) -> tuple[Verb, ...]:
    """The verbs of a URL behind DRF's format suffix: GET by ``SAME_VIEW_PRINCIPALS``, the rest
    by the sweep principals only (the same view answers both URLs, and the plain URL is asked
    by every role)."""
    return tuple(
        dataclasses.replace(
            verb,
            principals=SAME_VIEW_PRINCIPALS if verb.method == "GET" else tuple(UNDECLARED_VERBS),
        )
        for verb in verbs
    )


def entity_api_routes(entity: Entity) -> list[Route]:
    """The generated API of one entity (``/api/v1/<key>/``, format suffixes included) and its
    bulk endpoint."""
    key = entity.key
    scoped = is_scoped(entity)
    result = [
        Route(
            key,
            lambda w, key=key: f"/api/v1/{key}/",
            _api_list_verbs(key, scoped),
            api=True,
            what="list / create",
        ),
        # The same viewset behind a format suffix (".json"): read by everyone; its other verbs
        # are the plain URL's, sent by the sweep principals (UNDECLARED_VERB_PRINCIPALS).
        Route(
            key,
            lambda w, key=key: f"/api/v1/{key}.json",
            _suffixed(_api_list_verbs(key, scoped)),
            api=True,
            what="list / create, format suffix",
        ),
        Route(
            key,
            lambda w, key=key: f"/api/v1/bulk/{key}/",
            (
                Verb(
                    "POST",
                    _bulk_expect(key, api=True),
                    data=_bulk_update(key, api=True),
                    writes=_bulk_updated(key),
                ),
                *(Verb(m, not_allowed(), principals=GATE_PRINCIPALS) for m in VERBS if m != "POST"),
            ),
            api=True,
            what="bulk update of both records",
        ),
    ]
    if scoped and entity.has_search():
        result.append(
            Route(
                key,
                lambda w, key=key: f"/api/v1/{key}/?search={SEARCH_WORD}",
                (Verb("GET", permitted(key, "view"), check=api_lists(key)),),
                api=True,
                what="?search=",
            )
        )
    for side in sides_of(entity):
        target = _target(key, side)
        what = _what(entity, side)
        detail_verbs = (
            Verb("GET", permitted(key, "view", target)),
            Verb(
                "PUT",
                permitted(key, "change", target),
                data=_api_values(key, side),
                writes=changed(key, side),
            ),
            Verb(
                "PATCH",
                permitted(key, "change", target),
                data=_api_patch(key),
                writes=changed(key, side),
            ),
            Verb("DELETE", permitted(key, "delete", target), writes=deleted(key, side)),
            # DRF checks the role's "add" before it finds no handler for POST here.
            Verb("POST", not_allowed(permitted(key, "add"))),
        )
        result += [
            Route(
                key,
                lambda w, key=key, side=side: f"/api/v1/{key}/{w.record(key, side).pk}/",
                detail_verbs,
                api=True,
                what=what,
            ),
            Route(
                key,
                lambda w, key=key, side=side: f"/api/v1/{key}/{w.record(key, side).pk}.json",
                _suffixed(detail_verbs),
                api=True,
                what=f"{what}, format suffix",
            ),
        ]
    return result


# --- Django's admin site -----------------------------------------------------------------------


def _sample_url(pattern: str) -> str:
    """A concrete URL matching a resolver pattern: ids are 1, a regex alternation takes its
    first choice, a catch-all a path no view serves."""

    def group(match: re.Match) -> str:
        body = match.group(1)
        if re.fullmatch(r"[\w|]+", body):
            return body.split("|")[0]
        return "matrix-probe/"

    url = re.sub(r"\(\?P<\w+>((?:[^()]|\([^()]*\))*)\)", group, pattern)
    url = re.sub(r"<(?:\w+:)?\w+>", "1", url)
    url = url.replace("^", "").replace("$", "").replace("\\.", ".")
    return "/" + url


def admin_site_routes(prefix: str = "django-admin/", area: str = "django-admin") -> list[Route]:
    """Every URL of Django's admin site under ``prefix``: only active staff get past its gate
    (the login page itself is public). POSTs carry no form, so none may write."""
    login = f"{prefix}login/"
    # Switched off, the site is refused by its prefix before anyone's session is read: nobody,
    # a role with nothing to do there, the administrator and staff show the refusal is the
    # same for all (a few thousand requests fewer).
    principals = (
        PRINCIPALS
        if settings.KESHER_DJANGO_ADMIN
        else ("anonymous", "read_only", "admin", "superuser")
    )
    result = []
    for pattern, _name in url_patterns():
        if not pattern.startswith(prefix):
            continue
        # The login page is public. Logout sends a non-staff user to the (gated) index and
        # staff to the sign-in page; it writes nothing either way.
        if not settings.KESHER_DJANGO_ADMIN:
            expect = _not_found  # off unless an operator turns it on (decision 0067)
        elif pattern == login:
            expect = signed_in  # Kesher's own sign-in page, with its second factor
        elif pattern == f"{prefix}logout/":
            expect = _any_answer
        else:
            expect = staff_only
        url = _sample_url(pattern)
        result.append(
            Route(
                area,
                lambda w, url=url: url,
                # A POST shows the gate holds for a write verb too: sent by nobody, by an
                # administrator who is no staff member, and by staff.
                (
                    Verb("GET", expect),
                    Verb("POST", expect, principals=("anonymous", "admin", "superuser")),
                ),
                what=pattern,
                admin_site=True,
                principals=principals,
            )
        )
    return result


# --- coverage ----------------------------------------------------------------------------------


def _join(route1: str, route2: str) -> str:
    # As Django joins the routes of nested resolvers in ``ResolverMatch.route``.
    return route1 + route2.removeprefix("^") if route1 else route2


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple[str, str]]:
    """``(route, name)`` of every URL pattern of the project, as ``resolve(url).route`` says."""
    resolver = resolver or get_resolver()
    found = []
    for pattern in resolver.url_patterns:
        route = _join(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            found += url_patterns(pattern, route)
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.name or ""))
    return found


def covered_patterns(world: World) -> set[str]:
    covered = set()
    for route in routes():
        try:
            covered.add(resolve(urlsplit(route.url(world)).path).route)
        except (Resolver404, LookupError):
            continue
    return covered


def uncovered_patterns(world: World, excluded_prefixes: Iterable[str] = ()) -> list[str]:
    """URL patterns no route of the matrix reaches."""
    covered = covered_patterns(world)
    excluded = tuple(excluded_prefixes)
    return sorted(
        route
        for route, _name in url_patterns()
        if route not in covered and not route.startswith(excluded)
    )


# --- running -----------------------------------------------------------------------------------


_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?', re.I)


class WriteLog:
    """The tables a request writes to, from the SQL it sends (``connection.execute_wrapper``):
    a write that a later error rolled back still counts, so a refused request must not even
    try. The session store is left out: signing in and messages live there."""

    def __init__(self):
        self.tables: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        match = _WRITE.match(sql)
        if match and match.group(1).lower() not in UNWATCHED_TABLES:
            self.tables.append(match.group(1).lower())
        return execute(sql, params, many, context)


def _sign_in_path(admin_site: bool) -> str:
    return reverse("admin:login") if admin_site else resolve_url(settings.LOGIN_URL)


def _redirect_path(response) -> str | None:
    if 300 <= response.status_code < 400 and response.has_header("Location"):
        return urlsplit(response["Location"]).path
    return None


def _to_sign_in(response) -> bool:
    return _redirect_path(response) in (_sign_in_path(False), _sign_in_path(True))


def judge(outcome: Outcome, response, route: Route) -> bool:
    """Whether ``response`` is the ``outcome`` expected on ``route``."""
    status = response.status_code
    if outcome is Outcome.ALLOW:
        if route.api:
            return 200 <= status < 300
        return 200 <= status < 300 or (300 <= status < 400 and not _to_sign_in(response))
    if outcome is Outcome.SIGN_IN:
        if route.api:
            return status in (401, 403)
        return _redirect_path(response) == _sign_in_path(route.admin_site)
    if outcome is Outcome.ADMIN_LOGIN:
        return _redirect_path(response) == _sign_in_path(True)
    if outcome is Outcome.PASSES:
        return status < 500 and not _to_sign_in(response)
    if outcome is Outcome.HARMLESS:
        return status < 500
    if outcome is Outcome.DECLINED:
        return 300 <= status < 400 and not _to_sign_in(response)
    expected_status = {
        Outcome.FORBIDDEN: 403,
        Outcome.NOT_FOUND: 404,
        Outcome.NOT_ALLOWED: 405,
        Outcome.REFUSED: 400,
    }[outcome]
    return status == expected_status


_ERROR_TEXT = re.compile(
    r'class="[^"]*(?:invalid-feedback|errorlist|alert-danger)[^"]*"[^>]*>\s*(?:<li>)?([^<]+)'
)


def _describe(response) -> str:
    """The status, where it redirects, and what an error answer says (to read a failure)."""
    location = _redirect_path(response)
    text = f"{response.status_code} → {location}" if location else str(response.status_code)
    content_type = response.get("Content-Type", "")
    if content_type.startswith("application/json") and response.status_code >= 400:
        text += f" {response.content.decode()[:300]}"
    elif content_type.startswith("text/html") and response.status_code == 200:
        errors = _ERROR_TEXT.findall(response.content.decode())
        if errors:
            text += f" with errors {[e.strip() for e in errors[:5]]}"
    return text


def client_for(world: World, principal: str) -> Client:
    """A browser session of the principal. An inactive user is force-logged-in like the others:
    the session exists, and still must not get anyone in (REQ OR-5)."""
    client = Client()
    user = world.user(principal)
    if user is not None:
        client.force_login(user)
    elif principal in _sessions:
        _sessions[principal](world, client)
    return client


def _send(client: Client, route: Route, verb: Verb, url: str, body: dict | None):
    headers = dict(verb.headers)
    if route.api:
        payload = json.dumps(body) if body is not None else ""
        return client.generic(
            verb.method, url, payload, content_type="application/json", headers=headers
        )
    if verb.method == "GET":
        return client.get(url, headers=headers)
    if verb.method == "POST":
        return client.post(url, body or {}, headers=headers)
    return client.generic(
        verb.method,
        url,
        urlencode(body or {}, doseq=True),
        content_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def _hidden_marks(world: World, principal: str) -> list[tuple[str, str]]:
    """What no page may show the principal, with what it gives away: the link to every world
    record he may not see, and the name of every such record of a scoped entity."""
    hidden = []
    for (key, side), record in world.records.items():
        if not world.sees(principal, record):
            what = f"{side}'s {key} #{record.pk}"
            hidden.append((f'href="/r/{key}/{record.pk}/"', f"a link to {what}"))
            if is_scoped(registry.get(key)):
                hidden.append((html.escape(str(record)), f"the name of {what}"))
    return hidden


def _leaks(response, hidden_marks: list) -> list[str]:
    """What an allowed page shows that is out of the principal's scope."""
    page = response.content.decode()
    return [what for mark, what in hidden_marks if mark in page]


def _problem(world, principal, route, verb, expected, response, tables, marker, hidden_marks):
    """What is wrong with one answer, or None."""
    if not judge(expected, response, route):
        return f"expected {expected}, got {_describe(response)}"
    allowed = expected is Outcome.ALLOW
    if allowed and verb.writes is not None:
        written = verb.writes(world, principal, marker)
        if written is False:
            return f"allowed ({_describe(response)}) but did not write"
        if isinstance(written, str):
            return f"allowed ({_describe(response)}) but {written}"
    elif tables:
        written_to = ", ".join(sorted(set(tables)))
        return f"expected {expected} and no write, got {_describe(response)}: wrote {written_to}"
    if allowed and verb.check is not None:
        found = verb.check(world, principal, response)
        if found:
            return f"allowed, but {found}"
    html_page = response.get("Content-Type", "").startswith("text/html")
    if allowed and verb.method == "GET" and not route.api and html_page and not verb.beyond_scope:
        leaked = _leaks(response, hidden_marks)
        if leaked:
            return f"allowed, but shows what is out of scope: {leaked}"
    return None


def run_case(world: World, client: Client, principal: str, route: Route, verb: Verb, hidden_marks):
    """Send one request in a savepoint rolled back afterwards; a problem, or None."""
    url = route.url(world)
    label = f"{principal}: {verb.method} {url}" + (f" ({route.what})" if route.what else "")
    expected = verb.expect(world, principal)
    marker = world.marker()
    cookies = copy.deepcopy(client.cookies)  # a logout must not end the principal's session
    try:
        with transaction.atomic():
            body = verb.data(world, marker) if verb.data else None
            write_log = WriteLog()
            try:
                with connection.execute_wrapper(write_log):
                    response = _send(client, route, verb, url, body)
                problem = _problem(
                    world,
                    principal,
                    route,
                    verb,
                    expected,
                    response,
                    write_log.tables,
                    marker,
                    hidden_marks,
                )
            except Exception as exc:  # a crash is a finding of the matrix, reported with the rest
                problem = f"expected {expected}, raised {type(exc).__name__}: {exc}"
            transaction.set_rollback(True)
    finally:
        client.cookies = cookies
    return f"{label}: {problem}" if problem else None


def _sent_by(route: Route, method: str, principal: str) -> bool:
    declared = next((verb for verb in route.verbs if verb.method == method), None)
    if declared is None:
        return method in UNDECLARED_VERBS.get(principal, ())
    if declared.principals is None and declared.expect is never_allowed:
        # 405 whoever asks: the sweep principals show it.
        return principal in UNDECLARED_VERBS
    return declared.principals is None or principal in declared.principals


def _answers_as_another(world: World, principal: str, key: str) -> bool:
    """Whether a principal other than this one already shows each answer of ``key``'s generic
    routes: signed in with no grant at all on it, every route refuses him 403 as it refuses
    every other such principal (the roles' grants decide, ``permitted``), so the first of
    them in ``PRINCIPALS`` is asked for all."""

    def granted_nothing(name: str) -> bool:
        return world.signed_in(name) and access.grant(world.user(name), key) == access.NONE

    if not granted_nothing(principal):
        return False
    return next(name for name in PRINCIPALS if granted_nothing(name)) != principal


def run_area(
    world: World, principal: str, area: str, route_list: list[Route] | None = None
) -> list[str]:
    """Every route of ``area`` × every verb for one principal; the problems found."""
    client = world._clients.get(principal) or client_for(world, principal)
    hidden_marks = _hidden_marks(world, principal)
    problems = []
    # Every refusal would log a warning; the matrix reports its own findings.
    request_log = logging.getLogger("django.request")
    level = request_log.level
    request_log.setLevel(logging.ERROR)
    try:
        for route in routes() if route_list is None else route_list:
            if route.area != area or principal not in route.principals:
                continue
            if route.entity and _answers_as_another(world, principal, route.entity):
                continue
            for method in VERBS:
                if not _sent_by(route, method, principal):
                    continue
                try:
                    problem = run_case(
                        world, client, principal, route, route.verb(method), hidden_marks
                    )
                except LookupError as exc:
                    problem = f"{principal}: {method} ({route.what}): {exc}"
                if problem:
                    problems.append(problem)
    finally:
        request_log.setLevel(level)
    return problems


def autodiscover() -> None:
    """Import ``<app>.tests.access_matrix`` of every Kesher app that has one (and of the
    test-only apps under ``tests/``, such as the development guide's example)."""
    for app_config in apps.get_app_configs():
        if not app_config.name.startswith(("kesher.", "tests.")):
            continue
        name = f"{app_config.name}.tests.access_matrix"
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is not None:
            importlib.import_module(name)
