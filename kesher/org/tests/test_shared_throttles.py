"""Throttles every process shares (REQ OR-5, issue 24 item 2): sign-in failures are counted in
the shared cache — the database's by default, Redis when configured — so four workers allow
what one does; the API's rates apply per token, per user, per anonymous address and per
incoming automation webhook address (shared through Redis when configured, per process
otherwise: decision 0067), answering 429 with a translated message."""

import os
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.db import DatabaseCache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conftest import TEST_PASSWORD
from kesher.org.services import api_token_create

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
LOCKED = b"Too many failed login attempts. Try again later."


@pytest.fixture(autouse=True)
def quick_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["conftest._QuickPBKDF2", *settings.PASSWORD_HASHERS]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def sign_in(password: str):
    return Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/login/", {"login": "rep1", "password": password}
    )


def test_the_default_cache_is_shared_by_every_process():
    """A per-process (memory) cache would count each worker's attempts apart."""
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend == "django.core.cache.backends.db.DatabaseCache"
    with connection.cursor() as cursor:
        assert "kesher_cache" in connection.introspection.table_names(cursor)


def test_api_rate_counts_cost_an_api_call_no_query(users, low_rates):
    """Counted in the "throttle" cache, not the database's (decision 0067), and still counted."""
    _token, key = api_token_create(user=users["sales_rep"], name="sync")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}")
    api.get("/api/v1/accounts/")
    with CaptureQueriesContext(connection) as captured:
        assert api.get("/api/v1/accounts/").status_code == 200
    assert not [q for q in captured.captured_queries if "kesher_cache" in q["sql"]]
    api.get("/api/v1/accounts/")
    assert api.get("/api/v1/accounts/").status_code == 429


@pytest.mark.parametrize(
    ("environment", "backend"),
    [
        ({"REDIS_URL": "redis://cache.internal:6379/1"}, "RedisCache"),
        ({"CACHE_BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache"}, "Memcache"),
        ({}, "DatabaseCache"),
    ],
)
def test_redis_or_another_cache_when_configured(environment, backend):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "CACHE_BACKEND")}
    shown = subprocess.run(
        [sys.executable, "-c", "import kesher.settings as s; print(s.CACHES)"],
        env={**env, **environment},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert backend in shown


def test_wrong_passwords_through_four_cache_clients_lock_the_account_for_its_time(users):
    """Six wrong passwords, each process with its own client of the database cache (as four
    workers have): the account is locked, the right password refused; once the configured
    window ("5/5m/key") has passed, the right password signs in."""
    assert "5/5m/key" in settings.ACCOUNT_RATE_LIMITS["login_failed"]
    processes = [DatabaseCache("kesher_cache", {}) for _worker in range(4)]
    for attempt in range(6):
        with mock.patch("allauth.core.internal.ratelimit.cache", processes[attempt % 4]):
            refused = sign_in("wrong-password")
        assert refused.status_code == 200
    with mock.patch("allauth.core.internal.ratelimit.cache", processes[1]):
        locked = sign_in(TEST_PASSWORD)
    assert LOCKED in locked.content
    later = time.time() + 5 * 60 + 1
    with (
        mock.patch("allauth.core.internal.ratelimit.cache", processes[2]),
        mock.patch("allauth.core.internal.ratelimit.time.time", return_value=later),
    ):
        assert sign_in(TEST_PASSWORD).status_code == 302


ATTEMPT = """
import sys, django
django.setup()
from django.conf import settings
settings.PASSWORD_HASHERS = ["conftest._QuickPBKDF2", *settings.PASSWORD_HASHERS]
from django.test import Client
from django.test.utils import CaptureQueriesContext
for password in sys.argv[1:]:
    answer = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        "/accounts/login/", {"login": "rep1", "password": password}
    )
    print(answer.status_code, b"Too many failed" in answer.content)
"""


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the test database must be reachable by others"
)
def test_six_wrong_passwords_across_four_processes_lock_the_account(users):
    """Four separate Python processes on the same database: three try in parallel, the fourth
    then tries twice more and finds the account locked for the right password too."""
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}"
        ),
    }
    env.pop("REDIS_URL", None)
    env.pop("CACHE_BACKEND", None)

    def start(*passwords):
        return subprocess.Popen(
            [sys.executable, "-c", ATTEMPT, *passwords],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )

    first = [start("wrong-1"), start("wrong-2"), start("wrong-3", "wrong-4")]
    for process in first:
        assert process.wait(timeout=120) == 0
    last = start("wrong-5", "wrong-6", TEST_PASSWORD)
    out, _err = last.communicate(timeout=120)
    assert out.splitlines()[-1] == "200 True", out


# --- The API's throttles ----------------------------------------------------------------------


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            "token": "3/hour",
            "user": "5/hour",
            "anon": "2/hour",
            "webhook": "2/hour",
        },
    }


def test_an_api_token_is_throttled_at_its_rate_with_a_translated_429(users, low_rates):
    _token, key = api_token_create(user=users["sales_rep"], name="sync")
    api = APIClient(HTTP_AUTHORIZATION=f"Token {key}", HTTP_ACCEPT_LANGUAGE="he")
    for _call in range(3):
        assert api.get("/api/v1/accounts/").status_code == 200
    refused = api.get("/api/v1/accounts/")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "יותר מדי בקשות" in refused.json()["detail"]
    # Another token of another user has its own count.
    _other, other_key = api_token_create(user=users["sales_rep2"], name="sync")
    other = APIClient(HTTP_AUTHORIZATION=f"Token {other_key}")
    assert other.get("/api/v1/accounts/").status_code == 200


def test_a_user_is_throttled_across_his_tokens_and_session(users, low_rates):
    rep = users["sales_rep"]
    session = Client(HTTP_ACCEPT_LANGUAGE="en")
    session.force_login(rep)
    for number in range(5):
        _token, key = api_token_create(user=rep, name=f"t{number}")
        assert APIClient(HTTP_AUTHORIZATION=f"Token {key}").get("/api/v1/tasks/").status_code == 200
    refused = session.get("/api/v1/tasks/")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith("Too many requests: try again in ")


def test_anonymous_callers_are_throttled_by_address(db, low_rates, settings):
    """On what they may call (the API's documentation page, once the operator publishes it;
    elsewhere they are refused 401 before any work is done)."""
    settings.KESHER_PUBLISH_API_SCHEMA = True
    anonymous = APIClient(REMOTE_ADDR="10.0.0.9")
    for _call in range(2):
        assert anonymous.get("/api/docs/").status_code == 200
    assert anonymous.get("/api/docs/").status_code == 429
    # A forged X-Forwarded-For does not make a new caller (no proxy is trusted by default).
    forged = APIClient(REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert forged.get("/api/docs/").status_code == 429
    assert APIClient(REMOTE_ADDR="10.0.0.10").get("/api/docs/").status_code == 200


def test_incoming_automation_webhooks_are_throttled_per_address(db, low_rates):
    anonymous = APIClient()
    for _call in range(2):
        assert anonymous.post("/api/v1/automation-hooks/abc/", {}, format="json").status_code == 404
    assert anonymous.post("/api/v1/automation-hooks/abc/", {}, format="json").status_code == 429
    assert anonymous.post("/api/v1/automation-hooks/xyz/", {}, format="json").status_code == 404
