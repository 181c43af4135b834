"""Fixtures shared by every test: users in each built-in role, API clients, sample records."""

import functools

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.test import Client
from rest_framework.test import APIClient

from kesher.org.models import Department, Role, User

ROLE_KEYS = ("admin", "manager", "sales_rep", "support_agent", "read_only")
TEST_PASSWORD = "Kesher-test-pass-1"  # noqa: S105  (the fixtures' users sign in with it)


class _QuickPBKDF2(PBKDF2PasswordHasher):
    # Argon2 costs ~100 MB and a noticeable fraction of a second per hash; seven users per test
    # made fixtures the slowest part of the suite. A low-iteration PBKDF2 hash still verifies
    # (and is upgraded to Argon2 at the first sign-in, as Django does for any older hash).
    iterations = 1000


@functools.cache
def _test_password_hash() -> str:
    return make_password(TEST_PASSWORD, hasher=_QuickPBKDF2())


def make_user(
    username: str, role_key: str | None = None, department=None, *, role=None, **extra
) -> User:
    """A user who signs in with ``TEST_PASSWORD``, written in one INSERT (a fixture of every
    test: ~2,800 uses a run)."""
    if role is None and role_key:
        role = Role.objects.get(key=role_key)
    return User.objects.create(
        username=username,
        password=_test_password_hash(),
        email=f"{username}@example.co.il",
        role=role,
        department=department,
        first_name=extra.pop("first_name", username),
        **extra,
    )


def make_departments() -> dict:
    """Sales (with North under it) and Service."""
    sales = Department.objects.create(name="מכירות")
    sales.path = f"/{sales.pk}/"
    sales.save(update_fields=["path"])
    north = Department.objects.create(name="מכירות צפון", parent=sales)
    north.path = f"{sales.path}{north.pk}/"
    north.save(update_fields=["path"])
    service = Department.objects.create(name="שירות")
    service.path = f"/{service.pk}/"
    service.save(update_fields=["path"])
    return {"sales": sales, "north": north, "service": service}


def make_role_users(departments: dict) -> dict:
    """One user per built-in role, plus a second sales rep and an inactive user."""
    roles = Role.objects.in_bulk(ROLE_KEYS, field_name="key")
    return {
        "admin": make_user("admin1", role=roles["admin"]),
        "manager": make_user("manager1", None, departments["sales"], role=roles["manager"]),
        "sales_rep": make_user("rep1", None, departments["north"], role=roles["sales_rep"]),
        "sales_rep2": make_user("rep2", None, departments["service"], role=roles["sales_rep"]),
        "support_agent": make_user(
            "agent1", None, departments["service"], role=roles["support_agent"]
        ),
        "read_only": make_user("viewer1", role=roles["read_only"]),
        "inactive": make_user(
            "gone1", None, departments["north"], role=roles["sales_rep"], is_active=False
        ),
    }


REGIONAL_ENTITIES = ("leads", "accounts", "contacts", "opportunities", "sales-targets")


def make_regional_user() -> User:
    """A rep of the North region whose role reaches his region's records (scope "region",
    decision 0060): no built-in role has that scope, so the access matrix adds this one."""
    from kesher.org.models import Region, RolePermission

    role = Role.objects.create(key="regional_rep", name_he="נציג אזורי", name_en="Regional rep")
    RolePermission.objects.bulk_create(
        [
            *(
                RolePermission(role=role, entity=key, can_change=True, scope="region")
                for key in REGIONAL_ENTITIES
            ),
            # As every built-in role, he reads the organization and the pipelines.
            *(
                RolePermission(role=role, entity=key, scope="all")
                for key in (
                    "users",
                    "departments",
                    "companies",
                    "regions",
                    "pipelines",
                    "stages",
                )
            ),
        ]
    )
    user = make_user("regional1", "regional_rep")
    user.regions.set([Region.objects.get(name_en="North")])
    return user


@pytest.fixture
def departments(db):
    """Sales (with North under it) and Service."""
    return make_departments()


@pytest.fixture
def users(db, departments):
    """One user per built-in role, plus a second sales rep and an inactive user."""
    return make_role_users(departments)


@pytest.fixture
def admin_user(users):
    return users["admin"]


@pytest.fixture
def client_for():
    """``client_for(user)``: a logged-in page client (None: anonymous)."""

    def make(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for():
    """``api_for(user)``: an authenticated API client (None: anonymous)."""

    def make(user, language="he"):
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


# The OpenAPI schema by language, generated once per process (``api_schema``).
_API_SCHEMAS: dict[str, dict] = {}


@pytest.fixture
def api_schema(users, api_for):
    """``api_schema(language="he")``: the OpenAPI schema as an administrator reads it at
    ``/api/schema/``, generated once per process and language — it takes seconds, and two dozen
    tests only read it. A test about what changes the schema (an admin-defined kind, a user's
    hidden fields) fetches its own."""

    def read(language: str = "he") -> dict:
        if language not in _API_SCHEMAS:
            answer = api_for(users["admin"], language).get("/api/schema/?format=json")
            assert answer.status_code == 200, answer.content[:500]
            _API_SCHEMAS[language] = answer.json()
        return _API_SCHEMAS[language]

    return read


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language: a request in an earlier test may have
    activated the user's language on this thread (the middleware does so per request)."""
    from django.utils import translation

    translation.activate("he")
    yield
    translation.activate("he")


# The files of the longest tests (``--durations`` on PostgreSQL, issue 14), run first within
# their kind. pytest-xdist hands each process consecutive runs of the collection and keeps the
# last tests for whichever process is free, so a long test at the end of the collection keeps
# one process busy while the other has nothing left; at the start, the other process takes the
# short ones meanwhile. The access matrix, all in the first run of tests one process gets,
# builds its module's world once instead of once in each process.
RUN_FIRST = (
    "tests/test_access_matrix.py",
    "kesher/platform/tests/upgrade/test_upgrade.py",
    "kesher/purchasing/tests/test_upgrade.py",
    "kesher/operations/tests/test_moved_from_dedupe.py",
    "kesher/platform/tests/test_bulk_links.py",
    "tests/test_bench_smoke.py",
    "tests/test_translations.py",
)


def _kind(item) -> int:
    """pytest-django's order: tests in a rolled-back transaction, transactional tests (each
    empties the database when it ends), tests without a database."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    if (marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))) or (
        "transactional_db" in fixtures or "live_server" in fixtures
    ):
        return 1
    if marker or "db" in fixtures:
        return 0
    return 2


def _skip_on_other_databases(items) -> None:
    """CI runs the suite on SQLite and on PostgreSQL (decision 0127). Tests marked
    ``any_database`` read no database (the code's layout, the catalogues, the guides, the
    benchmarks' own SQLite files): the SQLite run answers for them. The browser flows drive
    the same views and services that the other tests run on both databases: they run in the
    SQLite run, and on another database only with ``KESHER_BROWSER_TESTS_EVERYWHERE=1``."""
    import os

    from django.conf import settings

    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return
    browsers_too = os.environ.get("KESHER_BROWSER_TESTS_EVERYWHERE") != "1"
    skip = pytest.mark.skip(reason="reads no database: the SQLite run checks it")
    skip_browser = pytest.mark.skip(reason="a browser flow: the SQLite run runs it (0127)")
    for item in items:
        if item.get_closest_marker("any_database"):
            item.add_marker(skip)
        elif browsers_too and item.get_closest_marker("browser"):
            item.add_marker(skip_browser)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """``RUN_FIRST`` files first within their kind, every other order kept. (Runs after
    pytest-django has ordered the kinds; an order this reading does not recognise is left.)"""
    _skip_on_other_databases(items)
    kinds = [_kind(item) for item in items]
    if kinds != sorted(kinds):
        return
    rank = {path: index for index, path in enumerate(RUN_FIRST)}
    order = sorted(
        range(len(items)),
        key=lambda i: (kinds[i], rank.get(items[i].nodeid.split("::")[0], len(RUN_FIRST))),
    )
    items[:] = [items[i] for i in order]


@pytest.fixture(scope="session", autouse=True)
def _postgresql_flushes_by_delete():
    """A transactional test empties the database twice (before, ``built_in_data``; after, Django's
    teardown). PostgreSQL's TRUNCATE of every table writes a new file per table and its indexes:
    about 5 s a flush on this machine, minutes of a whole run. Deleting the rows of tables that
    are nearly all empty takes milliseconds, and Django's foreign keys are deferred, so the order
    does not matter. Sequences are kept either way (Django's tests flush without resetting them).
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        if reset_sequences or not tables:
            return truncate(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return [
            "SET CONSTRAINTS ALL DEFERRED",
            *(f"DELETE FROM {self.quote_name(t)}" for t in tables),  # noqa: S608 (table names)
        ]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = truncate


@pytest.fixture(autouse=True)
def built_in_data(request):
    """The database as ``migrate`` leaves it: empty but for the data Kesher's migrations create
    (built-in roles, pick-lists).

    Only transactional tests need it (browser tests, whose live server answers from another
    thread; tests that read from another database session). A transactional test empties the
    database when it ends, so whatever ran before on this process may have removed that data.
    Flushing and putting back the rows the data migrations wrote when the process's database was
    made (``keep_built_in_rows``) gives the same start whatever the order, content types under
    their first ids included. Running the data migrations again cost ~2,600 queries, 3–7 s a
    test on PostgreSQL; putting the rows back is one INSERT per table.
    """
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        return
    request.getfixturevalue("transactional_db")
    from django.core.management import call_command

    from kesher.platform.testing.database import restore_built_in_rows

    call_command(
        "flush", interactive=False, inhibit_post_migrate=True, reset_sequences=False, verbosity=0
    )
    restore_built_in_rows()


@pytest.fixture(scope="session", autouse=True)
def _transactional_teardown_leaves_the_rows_to_the_next_test():
    """Django empties the database after a transactional test and then makes the content types
    and permissions again (``post_migrate``), seconds a test. The next transactional test puts
    back every built-in row anyway (``built_in_data``), and pytest-django runs the tests that
    share a transaction before the transactional ones, so the emptied database is enough."""
    from django.core.management import call_command
    from django.test import TransactionTestCase

    original = TransactionTestCase._fixture_teardown

    def flush_only(self):
        for alias in self._databases_names(include_mirrors=False):
            call_command(
                "flush",
                verbosity=0,
                interactive=False,
                database=alias,
                reset_sequences=False,
                inhibit_post_migrate=True,
            )

    TransactionTestCase._fixture_teardown = flush_only
    yield
    TransactionTestCase._fixture_teardown = original


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
):
    """Each test process's database, built from the models and the data migrations
    (``kesher/platform/testing/database.py`` says why and how); the rows they write are kept for
    ``built_in_data`` to put back before each transactional test. The upgrade tests still run the
    real migrations, from old states forward."""
    from django.test.utils import override_settings, setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    from kesher.platform.testing import database

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        with override_settings(MIGRATION_MODULES=database.NoMigrations()):
            db_cfg = setup_databases(
                verbosity=verbosity,
                interactive=False,
                aliases=aliases,
                serialized_aliases=serialized_aliases,
            )
        for alias in aliases:
            database.commit_without_waiting(alias)
        database.record_every_migration()
        database.run_data_migrations()
        database.keep_built_in_rows()
    yield
    with django_db_blocker.unblock():
        try:
            teardown_databases(db_cfg, verbosity=verbosity)
        except Exception as exc:  # as pytest-django: a connection may be left open
            request.node.warn(pytest.PytestWarning(f"The test databases stay: {exc!r}"))


@pytest.fixture(autouse=True)
def _no_kinds_left_registered():
    """Kinds of record a test defined (kesher.objects) leave the registry when it ends: its
    database rolls back, and the next test must not find their entities."""
    yield
    from kesher.objects.testing import forget_kinds

    forget_kinds()


@pytest.fixture(autouse=True)
def _fresh_api_rate_counts():
    """The API's rate counts live in a per-process cache (settings.CACHES["throttle"]), which
    a test's rollback does not empty: each test starts with none counted."""
    from django.core.cache import caches

    caches["throttle"].clear()
