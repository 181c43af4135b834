"""The access matrix (REQ OR-3, CX-9, OR-5; DESIGN.md "Reliability and security rules"): every
role × every URL × every verb gets the answer its grants and scope call for, and only allowed
writes write. The harness is ``kesher/platform/testing/matrix.py``; the registrations below describe
every route that is not an entity's generic one. Records of the entities are generated from their
registrations, or made as each app's ``tests/access_matrix.py`` says. The world is built once
for the module (``shared_world``).
"""

from __future__ import annotations

import importlib
import json

import pytest
from allauth.socialaccount.models import SocialApp
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.test import Client, override_settings
from django.utils import translation

from conftest import TEST_PASSWORD, make_departments, make_regional_user, make_role_users
from kesher.customers.models import Account, Contact, ContactAccount, Relationship
from kesher.customers.services import (
    account_create,
    contact_link_account,
)
from kesher.org.models import ApiToken, User
from kesher.org.services import api_token_create
from kesher.platform import access
from kesher.platform.bulk.actions import bulk_prepare, bulk_start
from kesher.platform.customfields.schema import custom_field_create
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.models import Attachment, Choice, SavedView
from kesher.platform.records.attachments import attachment_add
from kesher.platform.registry import registry
from kesher.platform.tasks import beat
from kesher.platform.testing import matrix as testing
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    World,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    public,
    register_route,
    register_routes,
    register_setup,
    signed_in,
)

pytestmark = pytest.mark.django_db

COMPANY_NUMBER = "516179157"
OTHER_COMPANY_NUMBER = "514713288"

# allauth's own screens (sign-in, sign-up, password reset, e-mail addresses, MFA, provider
# callbacks) are public or guard themselves by design, and belong to allauth; the real sign-in
# form is exercised by the tests at the end of this file.
EXCLUDED_PREFIXES = ("accounts/",)


def relationship_type(value: str) -> Choice:
    return Choice.objects.get(list_key="relationship_type", value=value)


def _admin(world: World):
    return world.users["admin"]


@register_setup
def _links_files_tokens_and_views(world: World) -> None:
    """What the non-generic routes act on."""
    for side in ("rep1", "rep2"):
        owner = owner_of(world, side)
        account, contact = world.record("accounts", side), world.record("contacts", side)
        contact_link_account(contact, actor=owner, account=account, role="buyer")
        world[f"second account {side}"] = account_create(
            actor=owner, data={"name": f"Second of {side}", "owner": owner}
        )
        world[f"attachment {side}"] = attachment_add(
            account,
            actor=owner,
            uploaded=SimpleUploadedFile("quote.pdf", b"%PDF-1.4", content_type="application/pdf"),
        )
    # Links across owners: each rep's page must not show (or link to) the other's record.
    admin = _admin(world)
    contact_link_account(
        world.record("contacts", "rep1"), actor=admin, account=world.record("accounts", "rep2")
    )
    contact_link_account(
        world.record("contacts", "rep2"), actor=admin, account=world.record("accounts", "rep1")
    )
    world["token rep1"], _key = api_token_create(user=world.users["sales_rep"], name="matrix")
    world["view rep1"] = saved_view_create(
        actor=world.users["sales_rep"], data={"entity": "accounts", "name": "rep1's view"}
    )
    world["view shared"] = saved_view_create(
        actor=admin, data={"entity": "accounts", "name": "shared view", "shared": True}
    )
    region = custom_field_create(
        actor=admin,
        data={
            "entity": "accounts",
            "key": "matrix_region",
            "label_he": "אזור",
            "type": "choice",
            "choice_list": "matrix_region",
        },
    )
    world["dependent field"] = custom_field_create(
        actor=admin,
        data={
            "entity": "accounts",
            "key": "matrix_area",
            "label_he": "תת-אזור",
            "type": "choice",
            "choice_list": "matrix_area",
            "parent": region,
        },
    )
    # A bulk job of rep1's (a set above the inline limit becomes a job for the worker).
    with override_settings(KESHER_BULK_INLINE_LIMIT=0):
        plan = bulk_prepare(
            registry.get("accounts"),
            actor=world.users["sales_rep"],
            action="update",
            field="city",
            value="חיפה",
            ids=[world.record("accounts", "rep1").pk],
        )
        _outcome, world["bulk job rep1"] = bulk_start(plan)


# --- pages that are not an entity's generic ones ----------------------------------------------


def _search_lists(world: World, principal: str, response) -> str | None:
    """Search shows every searchable world record in scope, and none other."""
    html = response.content.decode()
    for (key, side), record in world.records.items():
        if not registry.get(key).has_search():
            continue
        shown = f'href="/r/{key}/{record.pk}/"' in html
        if shown != world.sees(principal, record):
            return f"{'shows' if shown else 'misses'} {side}'s {key} #{record.pk}"
    return None


def _own_user_has(**values):
    def writes(world: World, principal: str, marker: str) -> bool:
        return User.objects.filter(pk=world.user(principal).pk, **values).exists()

    return writes


def _only(principal_key: str, gate=signed_in):
    """Only ``principal_key`` gets in; other signed-in users get 404 (the object is not theirs)."""

    def expect(world: World, principal: str) -> Outcome:
        outcome = gate(world, principal)
        if outcome is Outcome.ALLOW and principal != principal_key:
            return Outcome.NOT_FOUND
        return outcome

    return expect


register_route("pages", "/", Verb("GET", signed_in), what="home")
register_route("pages", f"/search/?q={SEARCH_WORD}", Verb("GET", signed_in, check=_search_lists))
register_route(
    "pages",
    f"/search/?q={SEARCH_WORD}",
    Verb("GET", signed_in, check=_search_lists, headers={"HX-Request": "true"}),
    what="htmx partial",
)
register_route(
    "pages",
    "/profile/",
    Verb("GET", signed_in),
    Verb(
        "POST",
        signed_in,
        data=lambda world, marker: {"time_zone": "Europe/London", "language": "he"},
        writes=_own_user_has(time_zone="Europe/London"),
    ),
)
register_route(
    "pages",
    lambda world: f"/profile/tokens/{world['token rep1'].pk}/revoke/",
    Verb(
        "POST",
        _only("sales_rep"),
        writes=lambda world, principal, marker: ApiToken.objects.filter(
            pk=world["token rep1"].pk, revoked_at__isnull=False
        ).exists(),
    ),
    *(Verb(method, never_allowed) for method in ("GET", "PUT", "PATCH", "DELETE")),
    what="rep1's API token",
)


def _language_saved(world: World, principal: str, marker: str) -> bool:
    """A signed-in user's language is stored on him; a visitor's only in a cookie."""
    if not world.signed_in(principal):
        return True
    return _own_user_has(language="en")(world, principal, marker)


register_route(
    "pages",
    "/language/",
    # Public: the sign-in page offers the switch to visitors too (cookie, no database write).
    Verb(
        "POST",
        public,
        data=lambda world, marker: {"language": "en", "next": "/"},
        writes=_language_saved,
    ),
    *(Verb(method, never_allowed) for method in ("GET", "PUT", "PATCH", "DELETE")),
)


def _options_expect(world: World, principal: str) -> Outcome:
    # A dependent pick-list's options answer 404 to whoever may not see its entity.
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and not world.can(principal, "accounts", "view"):
        return Outcome.NOT_FOUND
    return outcome


register_route(
    "pages",
    lambda world: f"/options/{world['dependent field'].pk}/?cf_matrix_region=north",
    Verb("GET", _options_expect),
    what="dependent pick-list options",
)
for _side in ("rep1", "rep2"):
    register_route(
        "pages",
        lambda world, side=_side: f"/files/{world[f'attachment {side}'].pk}/",
        Verb(
            "GET",
            permitted("accounts", "view", lambda world, side=_side: world.record("accounts", side)),
        ),
        what=f"download of a file on {_side}'s account",
    )
register_route("pages", "/healthz", Verb("GET", public))


# --- API routes that are not an entity's generated ones ---------------------------------------


def _api_root_verbs() -> tuple[Verb, ...]:
    return (
        Verb("GET", signed_in),
        *(Verb(method, not_allowed()) for method in ("POST", "PUT", "PATCH", "DELETE")),
    )


register_route("api", "/api/v1/", *_api_root_verbs(), api=True, what="API root")
register_route("api", "/api/v1/.json", *_api_root_verbs(), api=True, what="API root, suffix")
# The OpenAPI schema and its docs page describe the API, not records, read-only, to signed-in
# users unless the operator publishes them (issue 24 item 8). The schema takes a second to build
# and is the same for everyone, so it is asked for by nobody and by the role allowed everything.
for _path, _principals in (
    ("/api/schema/", ("anonymous", "admin")),
    ("/api/docs/", testing.ROLES),
):
    register_route(
        "api",
        _path,
        Verb("GET", signed_in),
        *(Verb(method, not_allowed()) for method in ("POST", "PUT", "PATCH", "DELETE")),
        api=True,
        principals=_principals,
    )


def _saved_views_listed(world: World, principal: str, response) -> str | None:
    names = {row["name"] for row in response.json()["results"]}
    # Every shared view (modules' worlds add their own, e.g. marketing's segment) and one's own.
    shared = set(SavedView.objects.filter(shared=True).values_list("name", flat=True))
    expected = shared | ({"rep1's view"} if principal == "sales_rep" else set())
    assert "shared view" in expected
    return None if names == expected else f"lists {sorted(names)}, not {sorted(expected)}"


def _saved_view_named(key: str | None = None):
    def writes(world: World, principal: str, marker: str) -> bool:
        views = SavedView.objects.filter(name=marker)
        return (views.filter(pk=world[key].pk) if key else views).exists()

    return writes


def _saved_view_gone(key: str):
    return lambda world, principal, marker: not SavedView.objects.filter(pk=world[key].pk).exists()


def _shared_view_editor(world: World, principal: str) -> Outcome:
    # Everyone sees a shared view; only its owner and administrators change it. Others are
    # refused by the service with 400 (kesher/platform/lists/savedviews.py), writing nothing.
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and not access.is_admin(world.user(principal)):
        return Outcome.REFUSED
    return outcome


register_route(
    "api",
    "/api/v1/saved-views/",
    Verb("GET", signed_in, check=_saved_views_listed),
    Verb(
        "POST",
        signed_in,
        data=lambda world, marker: {"entity": "accounts", "name": marker},
        writes=_saved_view_named(),
    ),
    *(Verb(method, not_allowed()) for method in ("PUT", "PATCH", "DELETE")),
    api=True,
)
register_route(
    "api",
    lambda world: f"/api/v1/saved-views/{world['view rep1'].pk}/",
    Verb("GET", _only("sales_rep")),
    Verb(
        "PUT",
        _only("sales_rep"),
        data=lambda world, marker: {"entity": "accounts", "name": marker},
        writes=_saved_view_named("view rep1"),
    ),
    Verb(
        "PATCH",
        _only("sales_rep"),
        data=lambda world, marker: {"name": marker},
        writes=_saved_view_named("view rep1"),
    ),
    Verb("DELETE", _only("sales_rep"), writes=_saved_view_gone("view rep1")),
    Verb("POST", not_allowed()),
    api=True,
    what="rep1's personal saved view",
)
register_route(
    "api",
    lambda world: f"/api/v1/saved-views/{world['view shared'].pk}/",
    Verb("GET", signed_in),
    Verb(
        "PUT",
        _shared_view_editor,
        data=lambda world, marker: {"entity": "accounts", "name": marker, "shared": True},
        writes=_saved_view_named("view shared"),
    ),
    Verb(
        "PATCH",
        _shared_view_editor,
        data=lambda world, marker: {"name": marker},
        writes=_saved_view_named("view shared"),
    ),
    Verb("DELETE", _shared_view_editor, writes=_saved_view_gone("view shared")),
    Verb("POST", not_allowed()),
    api=True,
    what="the administrator's shared saved view",
)


# --- customers' own routes (kesher/customers/urls.py) -------------------------------------------


def _account(side: str):
    return lambda world: world.record("accounts", side)


def _contact(side: str):
    return lambda world: world.record("contacts", side)


def _both(first, second):
    """The first expectation's answer unless it allows; then the second's."""

    def expect(world, principal):
        outcome = first(world, principal)
        return second(world, principal) if outcome is Outcome.ALLOW else outcome

    return expect


def _posts_only(*verbs: Verb) -> tuple[Verb, ...]:
    # ``require_POST`` answers 405 to any other verb before ``login_required`` looks.
    return (*verbs, *(Verb(method, never_allowed) for method in ("GET", "PUT", "PATCH", "DELETE")))


def _relationship_noted(world: World, principal: str, marker: str) -> bool:
    return Relationship.objects.filter(notes=marker).exists()


for _side in ("rep1", "rep2"):
    register_route(
        "customers",
        lambda world, side=_side: f"/r/accounts/{world.record('accounts', side).pk}/add-contact/",
        Verb("GET", permitted("contacts", "add", _account(_side))),
        Verb(
            "POST",
            permitted("contacts", "add", _account(_side)),
            data=lambda world, marker: {"first_name": marker, "role": "buyer"},
            writes=lambda world, principal, marker, side=_side: ContactAccount.objects.filter(
                contact__first_name=marker, account=world.record("accounts", side)
            ).exists(),
        ),
        what=f"new contact on {_side}'s account",
    )
    register_route(
        "customers",
        lambda world, side=_side: f"/r/contacts/{world.record('contacts', side).pk}/link/",
        *_posts_only(
            Verb(
                "POST",
                permitted("contacts", "change", _contact(_side)),
                data=lambda world, marker: {
                    "account": world["second account rep1"].pk,
                    "role": marker,
                },
                writes=lambda world, principal, marker, side=_side: ContactAccount.objects.filter(
                    contact=world.record("contacts", side), role=marker
                ).exists(),
            )
        ),
        what=f"link {_side}'s contact to rep1's second account",
    )
    register_route(
        "customers",
        lambda world, side=_side: (
            f"/r/contacts/{world.record('contacts', side).pk}"
            f"/unlink/{world.record('accounts', side).pk}/"
        ),
        *_posts_only(
            Verb(
                "POST",
                # The account must be in reach too: a contact seen through another of its
                # accounts (the region scope) is not unlinked from one out of reach.
                _both(
                    permitted("contacts", "change", _contact(_side)),
                    permitted("accounts", "view", _account(_side)),
                ),
                writes=lambda world, principal, marker, side=_side: (
                    not (
                        ContactAccount.objects.filter(
                            contact=world.record("contacts", side),
                            account=world.record("accounts", side),
                        ).exists()
                    )
                ),
            )
        ),
        what=f"unlink {_side}'s contact from {_side}'s account",
    )
    register_route(
        "customers",
        lambda world, side=_side: f"/r/accounts/{world.record('accounts', side).pk}/relate/",
        *_posts_only(
            Verb(
                "POST",
                permitted("relationships", "add", _account(_side)),
                data=lambda world, marker: {
                    "type": relationship_type("partner").pk,
                    "target_kind": "contact",
                    "to_contact": world.record("contacts", "rep1").pk,
                    "notes": marker,
                },
                writes=_relationship_noted,
            )
        ),
        what=f"relate {_side}'s account to rep1's contact",
    )
    register_route(
        "customers",
        lambda world, side=_side: f"/r/contacts/{world.record('contacts', side).pk}/relate/",
        *_posts_only(
            Verb(
                "POST",
                permitted("relationships", "add", _contact(_side)),
                data=lambda world, marker: {
                    "type": relationship_type("partner").pk,
                    "target_kind": "account",
                    "to_account": world.record("accounts", "rep1").pk,
                    "notes": marker,
                },
                writes=_relationship_noted,
            )
        ),
        what=f"relate {_side}'s contact to rep1's account",
    )


def _relate_elsewhere(world: World, principal: str) -> Outcome:
    # Relationships join accounts and contacts only: from any other record it is refused.
    outcome = signed_in(world, principal)
    return Outcome.FORBIDDEN if outcome is Outcome.ALLOW else outcome


register_route(
    "customers",
    lambda world: f"/r/companies/{world.record('companies').pk}/relate/",
    *_posts_only(Verb("POST", _relate_elsewhere)),
    what="relate from a company",
)


# --- bulk jobs, saved views on the list page, sign-in providers ----------------------------------


def _own_or_administrator(principal_key: str):
    """The principal's own object, which administrators see too; 404 to anyone else."""

    def expect(world: World, principal: str) -> Outcome:
        outcome = signed_in(world, principal)
        if outcome is not Outcome.ALLOW:
            return outcome
        if principal == principal_key or access.is_admin(world.user(principal)):
            return Outcome.ALLOW
        return Outcome.NOT_FOUND

    return expect


def _administrators(world: World, principal: str) -> Outcome:
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and not access.is_admin(world.user(principal)):
        return Outcome.FORBIDDEN
    return outcome


def _shared_view_remover(world: World, principal: str) -> Outcome:
    # Everyone sees a shared view; a non-administrator's delete is declined with a message.
    outcome = signed_in(world, principal)
    if outcome is Outcome.ALLOW and not access.is_admin(world.user(principal)):
        return Outcome.DECLINED
    return outcome


register_route(
    "pages",
    lambda world: f"/bulk/jobs/{world['bulk job rep1'].pk}/",
    Verb("GET", _own_or_administrator("sales_rep")),
    what="rep1's bulk job",
)
register_route(
    "api",
    lambda world: f"/api/v1/bulk-jobs/{world['bulk job rep1'].pk}/",
    Verb("GET", _own_or_administrator("sales_rep")),
    *(Verb(method, not_allowed()) for method in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="rep1's bulk job",
)
register_route(
    "pages",
    lambda world: f"/views/{world['view rep1'].pk}/delete/",
    *_posts_only(
        Verb("POST", _only("sales_rep"), writes=_saved_view_gone("view rep1")),
    ),
    what="rep1's personal saved view",
)
register_route(
    "pages",
    lambda world: f"/views/{world['view shared'].pk}/delete/",
    *_posts_only(
        Verb("POST", _shared_view_remover, writes=_saved_view_gone("view shared")),
    ),
    what="the administrator's shared saved view",
)
register_route("pages", "/org/sign-in-providers/", Verb("GET", _administrators))
register_route(
    "pages",
    "/org/sign-in-providers/google/",
    Verb("GET", _administrators),
    Verb(
        "POST",
        _administrators,
        data=lambda world, marker: {"enabled": "on", "client_id": marker, "secret": "s3cret"},
        writes=lambda world, principal, marker: SocialApp.objects.filter(client_id=marker).exists(),
    ),
)

# Django's admin site: every URL it has, for staff only (built from the URLconf when run).
register_routes(testing.admin_site_routes)
testing.autodiscover()


# --- the matrix --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module in a transaction rolled back at its end (as
    Django's ``setUpTestData``): each test runs in a savepoint inside it, so every test starts
    from this same world, and no test pays for building it again."""
    media = tmp_path_factory.mktemp("matrix-media")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        translation.override("he"),
        transaction.atomic(),
    ):
        users = {**make_role_users(make_departments()), "regional": make_regional_user()}
        yield testing.build_world(users), users, media
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def media_root(settings, shared_world):
    settings.MEDIA_ROOT = shared_world[2]
    return settings.MEDIA_ROOT


@pytest.fixture
def users(db, shared_world) -> dict:
    """conftest's users of every role: the world's (the module's transaction holds them)."""
    return shared_world[1]


@pytest.fixture
def world(db, shared_world, settings) -> World:
    # /healthz answers 200 while the worker has ticked lately: tick in each test, and let
    # "lately" outlast an area's run (one took over three minutes on a loaded machine).
    settings.KESHER_TICK_SECONDS = 3600
    beat()
    return shared_world[0]


@pytest.mark.parametrize("area", testing.areas())
def test_access_matrix(world, area):
    """REQ OR-3, CX-9: each role × each URL × each verb gets what its grants and scope say."""
    problems = []
    routes = testing.routes()
    for principal in testing.PRINCIPALS:
        problems += testing.run_area(world, principal, area, routes)
    assert not problems, f"{len(problems)} wrong answers:\n" + "\n".join(problems)


def test_every_url_pattern_is_in_the_matrix(world):
    """A new URL fails here until its expectations are registered (DESIGN.md)."""
    assert testing.uncovered_patterns(world, EXCLUDED_PREFIXES) == []


def test_an_unregistered_url_is_reported_as_uncovered(world, monkeypatch):
    monkeypatch.setattr(testing, "_routes", [])
    uncovered = testing.uncovered_patterns(world, EXCLUDED_PREFIXES)
    assert {"healthz", "search/", "api/schema/"} <= set(uncovered)
    assert "r/<slug:key>/" not in uncovered  # generated from the registry


def app_grants() -> list[dict]:
    """The ``GRANTS`` of every migration that has them, in the order ``migrate`` applies them:
    apps added after the roles table grant their own entities in a data migration of their
    own, found here without a list of apps."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    plan = []
    for leaf in sorted(loader.graph.leaf_nodes()):
        plan += [node for node in loader.graph.forwards_plan(leaf) if node not in plan]
    modules = [importlib.import_module(type(loader.graph.nodes[node]).__module__) for node in plan]
    return [
        module.GRANTS for module in modules if isinstance(getattr(module, "GRANTS", None), dict)
    ]


def test_grants_are_the_built_in_roles_table(users):
    """The matrix derives its expectations from ``access.can``; this pins ``can`` itself to the
    roles table of REQ OR-3 (kesher/org/migrations/0002_default_roles.py) and the grants each
    later app's migration adds to it."""
    roles = importlib.import_module("kesher.org.migrations.0002_default_roles").ROLES
    grant_tables = app_grants()
    assert grant_tables, "no migration's GRANTS found"
    entity_keys = registry.keys()  # the registry's keys, in navigation order
    for role_key, (_he, _en, base_table) in roles.items():
        user = users[role_key]
        table = None
        if base_table is not None:
            table = dict(base_table)
            for grants in grant_tables:
                table.update(grants.get(role_key, {}))

        def expected_grant(entity: str, table=table) -> access.Grant:
            whole = registry.get(entity).part_of
            if whole is not None:
                # A document's lines: viewed with the document, never written alone (0103).
                return access.Grant(view=expected_grant(whole, table).view, scope="all")
            if table is None:
                return access.Grant(True, True, True, True, "all")
            if entity in table:
                return access.Grant(*table[entity])
            return access.Grant()

        for entity in entity_keys:
            assert access.grant(user, entity) == expected_grant(entity), (role_key, entity)
    assert access.grants_for(users["inactive"]) == {}


# --- REQ OR-3: "a sales rep with 'own' scope gets 404 for another owner's account" ---------------


@pytest.fixture
def rep(world):
    return testing.client_for(world, "sales_rep")


def test_sales_rep_gets_404_for_another_owners_account_on_pages_and_api(world, rep):
    theirs = world.record("accounts", "rep2")
    name = theirs.name
    for path in (f"/r/accounts/{theirs.pk}/", f"/r/accounts/{theirs.pk}/edit/"):
        assert rep.get(path).status_code == 404, path
    assert rep.post(f"/r/accounts/{theirs.pk}/edit/", {"name": "x"}).status_code == 404
    api = f"/api/v1/accounts/{theirs.pk}/"
    assert rep.get(api).status_code == 404
    assert rep.put(api, {"name": "x"}, content_type="application/json").status_code == 404
    assert rep.patch(api, {"name": "x"}, content_type="application/json").status_code == 404
    # Deleting accounts is no grant of a sales rep: 403, the same for a record that does not
    # exist, so the answer tells nothing about the other owner's record.
    missing = Account.objects.order_by("-pk").first().pk + 1000
    assert rep.delete(api).status_code == 403
    assert rep.delete(f"/api/v1/accounts/{missing}/").status_code == 403
    assert rep.post(f"/r/accounts/{theirs.pk}/delete/").status_code == 403
    assert Account.objects.get(pk=theirs.pk).name == name
    # The 404 of a record out of scope is the 404 of a record that does not exist.
    assert rep.get(api).json() == rep.get(f"/api/v1/accounts/{missing}/").json()
    # A relationship (which a sales rep may delete) of the other owner is not found either.
    theirs_relationship = world.record("relationships", "rep2")
    for path in (
        f"/r/relationships/{theirs_relationship.pk}/delete/",
        f"/api/v1/relationships/{theirs_relationship.pk}/",
    ):
        method = rep.post if path.startswith("/r/") else rep.delete
        assert method(path).status_code == 404, path
    assert Relationship.objects.filter(pk=theirs_relationship.pk).exists()
    # Own records answer (the control that makes the 404s above mean something).
    mine = world.record("accounts", "rep1")
    assert rep.get(f"/r/accounts/{mine.pk}/").status_code == 200
    assert rep.get(f"/api/v1/accounts/{mine.pk}/").status_code == 200


def _distinct_contact_details(world):
    """Give both reps' accounts a phone and email to search by."""
    from kesher.customers.services import account_update

    details = {}
    for side, phone in (("rep1", "052-555-1111"), ("rep2", "052-555-2222")):
        account = world.record("accounts", side)
        world.records[("accounts", side)] = account_update(
            account,
            actor=owner_of(world, side),
            data={"phone": phone, "email": f"{side}-desk@example.co.il"},
        )
        details[side] = {"name": account.name, "phone": phone[-4:], "email": f"{side}-desk@"}
    return details


@pytest.mark.parametrize("by", ["name", "phone", "email"])
def test_search_page_partial_picker_and_api_search_hide_another_owners_account(world, rep, by):
    details = _distinct_contact_details(world)
    mine, theirs = world.record("accounts", "rep1"), world.record("accounts", "rep2")
    for side, account in (("rep1", mine), ("rep2", theirs)):
        query = details[side][by]
        found = side == "rep1"
        page = rep.get("/search/", {"q": query}).content.decode()
        partial = rep.get("/search/", {"q": query}, headers={"HX-Request": "true"})
        picker = rep.get("/pick/accounts/", {"q": query}).content.decode()
        api = rep.get("/api/v1/accounts/", {"search": query}).json()["results"]
        assert (f'href="/r/accounts/{account.pk}/"' in page) is found, (side, query)
        assert (f'href="/r/accounts/{account.pk}/"' in partial.content.decode()) is found
        assert "<html" not in partial.content.decode()  # the partial, not the page
        assert (f'data-pick="{account.pk}"' in picker) is found, (side, query)
        assert ({row["id"] for row in api} == {account.pk}) is found, (side, query)
        if not found:  # not even its name (the page itself repeats the query in its box)
            assert account.name not in partial.content.decode()
            assert account.name not in picker


def test_export_leaves_out_another_owners_account(world, rep):
    """REQ IM-5 with OR-3: the export is the rep's list, not the table."""
    mine, theirs = world.record("accounts", "rep1"), world.record("accounts", "rep2")
    response = rep.get("/r/accounts/export.csv")
    exported = b"".join(response.streaming_content).decode("utf-8-sig")
    assert response.status_code == 200
    assert mine.name in exported
    assert theirs.name not in exported
    rep2 = world.users["sales_rep2"]
    by_owner = rep.get("/r/accounts/export.csv", {"owner": rep2.pk})
    assert theirs.name not in b"".join(by_owner.streaming_content).decode("utf-8-sig")


def test_api_filters_do_not_reach_another_owners_account(world, rep):
    theirs = world.record("accounts", "rep2")
    rep2 = world.users["sales_rep2"]
    by_owner = rep.get("/api/v1/accounts/", {"owner": rep2.pk}).json()["results"]
    language = json.dumps({"all": [{"field": "name", "op": "eq", "value": theirs.name}]})
    by_filter = rep.get("/api/v1/accounts/", {"filter": language}).json()["results"]
    assert by_owner == []
    assert by_filter == []


def test_links_to_another_owners_account_are_refused_and_write_nothing(world, rep):
    mine_account, theirs = world.record("accounts", "rep1"), world.record("accounts", "rep2")
    mine_contact = world.record("contacts", "rep1")
    links, relationships = ContactAccount.objects.count(), Relationship.objects.count()
    contacts = Contact.objects.count()
    partner = relationship_type("partner").pk

    rep.post(f"/r/contacts/{mine_contact.pk}/link/", {"account": theirs.pk, "role": "x"})
    assert not ContactAccount.objects.filter(
        contact=mine_contact, account=theirs, role="x"
    ).exists()
    assert rep.post(f"/r/accounts/{theirs.pk}/relate/", {"type": partner}).status_code == 404
    assert rep.post(f"/r/accounts/{theirs.pk}/add-contact/", {"first_name": "x"}).status_code == 404
    # The cross link the administrator made stays: the rep cannot even find it to remove it.
    unlink = f"/r/contacts/{mine_contact.pk}/unlink/{theirs.pk}/"
    assert rep.post(unlink).status_code == 404
    for source in (f"/r/accounts/{mine_account.pk}", f"/r/contacts/{mine_contact.pk}"):
        rep.post(
            f"{source}/relate/",
            {"type": partner, "target_kind": "account", "to_account": theirs.pk},
        )
    form = rep.post(
        "/r/relationships/new/",
        {"from_account": mine_account.pk, "type": partner, "to_account": theirs.pk},
    )
    assert form.status_code == 200  # the form again, with the error
    for body in (
        {"from_account": mine_account.pk, "type": partner, "to_account": theirs.pk},
        {"from_account": theirs.pk, "type": partner, "to_account": mine_account.pk},
    ):
        response = rep.post("/api/v1/relationships/", body, content_type="application/json")
        assert response.status_code == 400, body
    upload = rep.post(
        f"/files/upload/accounts/{theirs.pk}/",
        {"file": SimpleUploadedFile("x.txt", b"x", content_type="text/plain")},
    )
    assert upload.status_code == 404
    assert rep.get(f"/files/{world['attachment rep2'].pk}/").status_code == 404
    assert ContactAccount.objects.count() == links
    assert Relationship.objects.count() == relationships
    assert Contact.objects.count() == contacts
    assert Attachment.objects.filter(object_id=theirs.pk).count() == 1


def test_contact_timeline_does_not_name_an_account_out_of_scope(world, rep):
    """The administrator linked rep1's contact to rep2's account (the world's cross link): the
    audit entry stores the account by reference, and the timeline names it only to who may
    see it (decision 0041)."""
    contact, theirs = world.record("contacts", "rep1"), world.record("accounts", "rep2")
    page = rep.get(f"/r/contacts/{contact.pk}/timeline/").content.decode()
    assert theirs.name not in page
    assert f"#{theirs.pk}" not in page
    admin = testing.client_for(world, "admin")
    assert theirs.name in admin.get(f"/r/contacts/{contact.pk}/timeline/").content.decode()


def test_manager_sees_his_department_subtree_not_the_other_department(world):
    """The manager of Sales sees what rep1 (North, under Sales) owns, and his own records;
    not what rep2 (Service) owns. rep1 does not see the manager's (scope "own")."""
    manager = testing.client_for(world, "manager")
    rep1_account, rep2_account = world.record("accounts", "rep1"), world.record("accounts", "rep2")
    own = account_create(
        actor=world.users["manager"],
        data={"name": f"{SEARCH_WORD} of the manager", "owner": world.users["manager"]},
    )
    listed = {row["id"] for row in manager.get("/api/v1/accounts/").json()["results"]}
    assert {rep1_account.pk, own.pk} <= listed
    assert rep2_account.pk not in listed
    page = manager.get("/r/accounts/").content.decode()
    assert f'href="/r/accounts/{rep1_account.pk}/"' in page
    assert f'href="/r/accounts/{rep2_account.pk}/"' not in page
    found = manager.get("/search/", {"q": SEARCH_WORD}).content.decode()
    assert f'href="/r/accounts/{own.pk}/"' in found
    assert f'href="/r/accounts/{rep2_account.pk}/"' not in found
    assert manager.get(f"/r/accounts/{rep1_account.pk}/edit/").status_code == 200
    assert manager.get(f"/r/accounts/{rep2_account.pk}/").status_code == 404
    rep1 = testing.client_for(world, "sales_rep")
    assert rep1.get(f"/r/accounts/{own.pk}/").status_code == 404


# --- REQ OR-5: an inactive user does not get in --------------------------------------------------


def test_inactive_user_cannot_sign_in_with_the_real_form(users):
    client = Client()
    client.post(
        "/accounts/login/", {"login": users["inactive"].username, "password": TEST_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"].startswith("/accounts/login/")
    assert client.get("/api/v1/accounts/").status_code in (401, 403)


def test_active_user_signs_in_with_the_same_form(users):
    """The control of the test above: the same form and password let an active user in."""
    client = Client()
    client.post(
        "/accounts/login/", {"login": users["sales_rep"].username, "password": TEST_PASSWORD}
    )
    assert client.session.get("_auth_user_id") == str(users["sales_rep"].pk)
    assert client.get("/").status_code == 200


def test_inactive_users_api_token_is_refused(users):
    _token, key = api_token_create(user=users["inactive"], name="old integration")
    _token, active_key = api_token_create(user=users["sales_rep"], name="integration")
    client = Client()
    refused = client.get("/api/v1/accounts/", headers={"Authorization": f"Token {key}"})
    allowed = client.get("/api/v1/accounts/", headers={"Authorization": f"Token {active_key}"})
    assert refused.status_code == 401
    assert allowed.status_code == 200
