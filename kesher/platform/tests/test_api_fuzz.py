"""schemathesis against Kesher's OpenAPI schema, bounded for the suite (issue 24 item 3;
decision 0113): as a signed-in administrator, through the WSGI app, in the test's database —
no answer is a server error, and every answer is one the schema declares (status code,
content type, body).

Every operation is called once with valid input, every run. A tenth of the operations, chosen
by the seed, also get a few more valid cases and invalid ones (wrong types, missing fields,
ids that are not numbers): each seed covers a different tenth, all of them over ten seeds. The
seed is the day (``KESHER_FUZZ_SEED`` repeats a run); a failure names it. The long run of
20,000+ requests is ``bench/schemathesis_run.py``.
"""

from __future__ import annotations

import datetime
import os
import zlib

import pytest

from kesher.org.services import api_token_create
from kesher.platform.testing.fuzz import fuzz

pytestmark = pytest.mark.django_db

SLICES = 10
EXTRA_EXAMPLES = 3


def _seed() -> int:
    configured = os.environ.get("KESHER_FUZZ_SEED")
    return int(configured) if configured else datetime.date.today().toordinal()


def test_no_operation_answers_a_server_error_or_outside_its_schema(admin_user, settings):
    # One caller makes ~1,200 calls in a minute: the rate limits are not what is tested here.
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": dict.fromkeys(rates, "1000000/hour"),
    }
    _token, key = api_token_create(user=admin_user, name="schemathesis", actor=admin_user)
    seed = _seed()

    def plan(label: str) -> dict[str, int]:
        if zlib.crc32(label.encode()) % SLICES == seed % SLICES:
            return {"positive": 1 + EXTRA_EXAMPLES, "negative": EXTRA_EXAMPLES}
        return {"positive": 1}

    result = fuzz(token=key, plan=plan, seed=seed)

    # Every operation was reached, and most answered something other than "no such record".
    assert result.operations > 700, result.operations
    assert result.requests >= result.operations
    assert sum(count for status, count in result.statuses.items() if status < 300) > 200
    failures = "\n".join(str(finding) for finding in result.findings[:20])
    assert result.server_errors == 0, f"seed {seed}:\n{failures}"
    assert not result.findings, f"seed {seed}: {len(result.findings)} failed checks\n{failures}"


# What the run found, each pinned by a direct test (decision 0113).


def test_an_unmatched_api_address_answers_json_and_a_page_address_the_page(api_for, admin_user):
    api = api_for(admin_user, language="en")
    answer = api.get("/api/v1/scoring-rules/not-a-number/")
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/json"
    assert answer.json() == {"detail": "Not found."}
    page = api.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_a_saved_view_id_that_is_not_a_number_is_not_found(api_for, admin_user, method):
    answer = getattr(api_for(admin_user), method)(
        "/api/v1/saved-views/true/", {"name": "x"}, format="json"
    )
    assert answer.status_code == 404


def test_the_schema_declares_the_platforms_answers_and_formats():
    import re

    from kesher.platform.testing.fuzz import api_schema

    schema = api_schema()
    detail = schema["paths"]["/api/v1/accounts/{id}/"]
    assert {"401", "403", "404", "429"} <= set(detail["get"]["responses"])
    assert {"400", "409", "412", "415"} <= set(detail["patch"]["responses"])
    assert {"400", "409"} <= set(detail["delete"]["responses"])
    assert "404" not in schema["paths"]["/api/v1/accounts/"]["get"]["responses"]
    calendar = schema["components"]["schemas"]["BusinessCalendar"]["properties"]["day_start"]
    assert "format" not in calendar
    assert re.match(calendar["pattern"], "08:30:00")
    assert re.match(calendar["pattern"], "08:30")
    assert not re.match(calendar["pattern"], "25:00")
    # A formatted text that may be blank declares "" too (a calendar not found yet).
    found = schema["components"]["schemas"]["Connection"]["properties"]["calendar_url"]
    assert "format" not in found
    assert found["anyOf"] == [{"format": "uri"}, {"maxLength": 0}]
    value = schema["components"]["schemas"]["Choice"]["properties"]["value"]
    assert re.match(value["pattern"], "הסר")
    assert re.match(value["pattern"], "in-progress_2")
    assert not re.match(value["pattern"], "a b")
