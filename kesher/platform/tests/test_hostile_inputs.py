"""No input answers 5xx (issue 24 item 3): every registered entity's list — page and API — with
page numbers past 2⁶³, integers past 2⁶³ and NUL bytes in its filters and search text, unknown
or non-numeric saved views and ids, answers 200/400/404 with a message, on SQLite and
PostgreSQL alike. Generated over ``registry.all()``, so an entity added later is covered."""

import json

import pytest
from django.test import Client

from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db

HUGE = str(2**63 + 7)
HUGER = "9" * 40
NUL = "a\x00b"


def _entities():
    return sorted(entity.key for entity in registry.all())


def hostile_queries(entity) -> dict[str, dict]:
    queries = {
        "page past 2**63": {"page": HUGE},
        "page of 40 digits": {"page": HUGER},
        "negative page": {"page": "-" + HUGE},
        "NUL in search": {"q": NUL, "search": NUL},
        "saved view past 2**63": {"view": HUGE},
        "saved view not a number": {"view": "abc"},
        "cursor garbage": {"cursor": "%%%"},
        "filter with a huge number": {
            "filter": json.dumps({"field": "id", "op": "eq", "value": int(HUGER)})
        },
        "filter with NUL": {"filter": json.dumps({"field": "id", "op": "eq", "value": NUL})},
        "sort by garbage": {"sort": NUL, "ordering": NUL},
    }
    for name in entity.filter_fields:
        queries[f"{name} past 2**63"] = {name: HUGE}
        queries[f"{name} with NUL"] = {name: NUL}
    return queries


@pytest.mark.parametrize("key", _entities())
def test_every_list_answers_hostile_input_without_a_server_error(users, key):
    entity = registry.get(key)
    admin = users["admin"]
    page = Client(raise_request_exception=False)
    page.force_login(admin)
    failures = []
    for label, query in hostile_queries(entity).items():
        for url in (f"/r/{key}/", f"/api/v1/{key}/"):
            response = page.get(url, query)
            if response.status_code >= 500:
                failures.append(f"{url} {label}: {response.status_code}")
    for url in (f"/r/{key}/{HUGE}/", f"/api/v1/{key}/{HUGE}/", f"/r/{key}/{HUGER}/edit/"):
        response = page.get(url)
        if response.status_code >= 500:
            failures.append(f"{url}: {response.status_code}")
    assert failures == []
