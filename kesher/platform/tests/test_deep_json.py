"""JSON nested ~1,000 deep is refused as bad input everywhere it can arrive — a request body, a
``?filter=``, a page's JSON text box, a list cursor — never answered with a RecursionError
(500), and nothing is written (issue "Platform v2" item 10)."""

import base64
import json

import pytest
from django.urls import get_resolver
from rest_framework import parsers as drf_parsers

from kesher.activities.models import AlertRule
from kesher.customers.models import Account
from kesher.customers.tests.factories import make_account
from kesher.platform import jsonlimits
from kesher.platform.api.parsers import JSONParser
from kesher.platform.models import AuditEntry, SavedView

pytestmark = pytest.mark.django_db

DEEP_LIST = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a": ' * 1000 + "1" + "}" * 1000
# Parsed by Python without trouble, but deeper than Kesher accepts.
MODERATE = "[" * (jsonlimits.MAX_DEPTH + 1) + "]" * (jsonlimits.MAX_DEPTH + 1)
MESSAGES = {
    "he": f"ה-JSON מקונן לעומק רב מדי (לכל היותר {jsonlimits.MAX_DEPTH} רמות).",
    "en": f"The JSON is nested too deeply (at most {jsonlimits.MAX_DEPTH} levels).",
}
BODIES = {
    "deep list": DEEP_LIST,
    "deep object": DEEP_OBJECT,
    "inside a field": '{"name": "x", "custom_fields": ' + DEEP_OBJECT + "}",
    "beyond the limit": MODERATE,
}


def writes():
    return Account.objects.count(), AuditEntry.objects.count()


@pytest.mark.parametrize("language", ["he", "en"])
@pytest.mark.parametrize("body", BODIES.values(), ids=BODIES.keys())
def test_api_create_update_and_bulk_refuse_a_deep_body(users, api_for, body, language):
    account = make_account(users["admin"], name="קבוע")
    api = api_for(users["admin"], language)
    before = writes()
    answers = {
        "create": api.post("/api/v1/accounts/", body, content_type="application/json"),
        "replace": api.put(
            f"/api/v1/accounts/{account.pk}/", body, content_type="application/json"
        ),
        "update": api.patch(
            f"/api/v1/accounts/{account.pk}/", body, content_type="application/json"
        ),
        "bulk": api.post("/api/v1/bulk/accounts/", body, content_type="application/json"),
        "saved view": api.post("/api/v1/saved-views/", body, content_type="application/json"),
    }
    for what, response in answers.items():
        assert response.status_code == 400, (what, response.content[:200])
        assert response.json() == {"detail": MESSAGES[language]}, what
    assert writes() == before
    assert Account.objects.get(pk=account.pk).name == "קבוע"


@pytest.mark.parametrize("language", ["he", "en"])
@pytest.mark.parametrize("text", [DEEP_LIST, DEEP_OBJECT, MODERATE])
def test_api_filter_refuses_a_deep_expression(users, api_for, text, language):
    make_account(users["admin"], name="x")
    response = api_for(users["admin"], language).get("/api/v1/accounts/", {"filter": text})
    assert response.status_code == 400
    assert response.json() == {"filter": [MESSAGES[language]]}


def test_bulk_filter_sent_as_text_is_refused(users, api_for):
    account = make_account(users["admin"], name="x")
    body = {"action": "update", "field": "city", "value": "חיפה", "filter": DEEP_OBJECT}
    response = api_for(users["admin"], "en").post("/api/v1/bulk/accounts/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"filter": [MESSAGES["en"]]}
    assert Account.objects.get(pk=account.pk).city == ""


def test_a_deep_json_text_in_a_field_is_refused_by_the_service(users, api_for):
    """Text that holds JSON (an alert rule's condition written as text) is read the same way."""
    body = {"name": "x", "entity": "accounts", "condition": DEEP_LIST, "message": "m"}
    response = api_for(users["admin"], "en").post("/api/v1/alert-rules/", body, format="json")
    assert response.status_code == 400
    assert "condition" in response.json()
    assert not AlertRule.objects.exists()


def test_a_json_body_within_the_limit_is_read(users, api_for):
    """The control: nesting Kesher uses (a filter of groups in groups) passes."""
    make_account(users["admin"], name="חיפה בע״מ", city="חיפה")
    condition = {"field": "city", "op": "eq", "value": "חיפה"}
    for _level in range(5):
        condition = {"all": [condition]}
    response = api_for(users["admin"]).get("/api/v1/accounts/", {"filter": json.dumps(condition)})
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("language", ["he", "en"])
def test_pages_refuse_deep_json_text_and_write_nothing(users, client_for, language):
    client = client_for(users["admin"])
    client.cookies["django_language"] = language
    users["admin"].language = language
    users["admin"].save(update_fields=["language"])
    listed = client.get("/r/accounts/", {"filter": DEEP_LIST})
    assert listed.status_code == 200
    assert MESSAGES[language] in listed.content.decode()
    form = client.post(
        "/r/alert-rules/new/",
        {"name": "x", "entity": "accounts", "condition": DEEP_OBJECT, "message": "m"},
    )
    assert form.status_code == 200  # the form again, with the message at the field
    assert MESSAGES[language] in form.content.decode()
    assert not AlertRule.objects.exists()
    saved = client.post("/views/accounts/save/", {"name": "deep", "filter": DEEP_LIST})
    assert saved.status_code == 302  # back to the list, with the message
    assert not SavedView.objects.exists()
    before = writes()
    bulk = client.post("/bulk/accounts/", {"action": "delete", "filter": DEEP_LIST})
    assert bulk.status_code < 500
    assert writes() == before


def test_a_deep_list_cursor_is_ignored_not_a_crash(users, client_for, api_for):
    make_account(users["admin"], name="x")
    cursor = base64.urlsafe_b64encode(DEEP_LIST.encode()).decode().rstrip("=")
    assert client_for(users["admin"]).get("/r/accounts/", {"cursor": cursor}).status_code == 200
    assert api_for(users["admin"]).get("/api/v1/accounts/", {"cursor": cursor}).status_code < 500


def test_check_depth_measures_without_recursion():
    value = []
    for _level in range(100_000):
        value = [value]
    with pytest.raises(jsonlimits.TooDeep):
        jsonlimits.check_depth(value)
    jsonlimits.check_depth(json.loads("[" * jsonlimits.MAX_DEPTH + "]" * jsonlimits.MAX_DEPTH))


def _views(resolver=None):
    for pattern in (resolver or get_resolver()).url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _views(pattern)
        else:
            callback = pattern.callback
            yield getattr(callback, "cls", None) or getattr(callback, "view_class", None)


def test_every_api_view_reads_json_with_the_limited_parser():
    """A view that names its parsers must not bring back DRF's own JSON parser."""
    found = []
    for view in _views():
        for parser in getattr(view, "parser_classes", ()):
            if issubclass(parser, drf_parsers.JSONParser) and not issubclass(parser, JSONParser):
                found.append(view.__name__)
    assert found == []
