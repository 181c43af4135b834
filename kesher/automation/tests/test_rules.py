"""Rules: validation with translated errors naming the field, access, the API and the pages
(REQ AU-1)."""

import json

import pytest

from kesher.automation.models import Rule
from kesher.automation.services import rule_create

pytestmark = pytest.mark.django_db


def rule_data(template=None, **extra):
    data = {
        "name": "VIP call",
        "entity": "accounts",
        "trigger_kind": "status_entered",
        "trigger_config": {"value": "vip"},
        "actions": [{"type": "create_task", "template": getattr(template, "pk", 1)}],
    }
    return {**data, **extra}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"trigger_kind": "sunrise"}, "trigger_kind"),
        ({"trigger_config": {"value": "vip", "colour": "red"}}, "trigger_config.colour"),
        ({"entity": "dragons"}, "entity"),
        ({"condition": {"field": "nope", "op": "eq", "value": 1}}, "condition"),
        ({"condition": "{not json"}, "condition"),
        ({"change_conditions": [{"field": "nope", "to": "x"}]}, "change_conditions"),
        ({"actions": []}, "actions"),
        ({"actions": [{"type": "launch_rocket"}]}, "actions"),
        ({"actions": [{"type": "create_task", "template": 999999}]}, "actions"),
        ({"actions": [{"type": "update_fields", "values": {"status": "galactic"}}]}, "actions"),
        ({"actions": [{"type": "call_webhook", "url": "ftp://x"}]}, "actions"),
        (
            {"trigger_kind": "time", "trigger_config": {"field": "name", "offset": 1}},
            "trigger_config.field",
        ),
        (
            {
                "trigger_kind": "time",
                "trigger_config": {"field": "last_contact_at", "offset": "soon"},
            },
            "trigger_config.offset",
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_field(users, api_for, call_template, extra, field):
    """Bad input: a clear 400 naming the field, in the caller's language, nothing written."""
    response = api_for(users["admin"], "en").post(
        "/api/v1/automation-rules/", rule_data(call_template, **extra), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Rule.objects.exists()


def test_errors_are_translated(users, api_for, call_template):
    body = rule_data(call_template, trigger_kind="sunrise")
    hebrew = api_for(users["admin"], "he").post("/api/v1/automation-rules/", body, format="json")
    english = api_for(users["admin"], "en").post("/api/v1/automation-rules/", body, format="json")
    assert english.json()["trigger_kind"] == ["Unknown trigger."]
    assert hebrew.json()["trigger_kind"] != english.json()["trigger_kind"]


def test_hostile_and_long_text(users, api_for, call_template):
    api = api_for(users["admin"], "en")
    long_name = api.post(
        "/api/v1/automation-rules/", rule_data(call_template, name="x" * 500), format="json"
    )
    assert long_name.status_code == 400
    assert "name" in long_name.json()
    script = api.post(
        "/api/v1/automation-rules/",
        rule_data(call_template, name="<script>alert(1)</script>"),
        format="json",
    )
    assert script.status_code == 201
    page = api.get(f"/api/v1/automation-rules/{script.json()['id']}/")
    assert page.json()["name"] == "<script>alert(1)</script>"


def test_admin_creates_through_the_api_and_changes_it(users, api_for, call_template):
    api = api_for(users["admin"], "en")
    created = api.post("/api/v1/automation-rules/", rule_data(call_template), format="json")
    assert created.status_code == 201, created.content
    rule = Rule.objects.get()
    assert rule.created_by == users["admin"]
    assert rule.scanned_until is not None
    changed = api.patch(
        f"/api/v1/automation-rules/{rule.pk}/",
        {"enabled": False},
        format="json",
        HTTP_IF_MATCH=f'"{rule.version}"',
    )
    assert changed.status_code == 200
    rule.refresh_from_db()
    assert rule.enabled is False


def grant_rules(role, *, define: bool) -> None:
    """Give ``role`` the automation rules: to read them, or (``define``) to make and change them."""
    from kesher.org.models import RolePermission

    RolePermission.objects.create(
        role=role,
        entity="automation-rules",
        can_view=True,
        can_add=define,
        can_change=define,
        can_delete=False,
        scope="all",
    )


def test_a_role_granted_rules_may_define_them(users, api_for, call_template):
    grant_rules(users["manager"].role, define=True)
    response = api_for(users["manager"]).post(
        "/api/v1/automation-rules/", rule_data(call_template), format="json"
    )
    assert response.status_code == 201


def test_builder_page_saves_a_rule(users, client_for, call_template):
    client = client_for(users["admin"])
    page = client.get("/automation/rules/new/?entity=accounts")
    assert page.status_code == 200
    assert b"rule-builder-data" in page.content
    response = client.post(
        "/automation/rules/new/?entity=accounts",
        {
            "name": "VIP",
            "order": "5",
            "enabled": "on",
            "trigger_kind": "status_entered",
            "trigger_config": json.dumps({"value": "vip"}),
            "condition": "",
            "change_conditions": "[]",
            "actions": json.dumps([{"type": "create_task", "template": call_template.pk}]),
        },
    )
    assert response.status_code == 302
    rule = Rule.objects.get()
    assert rule.order == 5
    assert rule.actions == [{"type": "create_task", "template": call_template.pk}]
    bad = client.post(
        "/automation/rules/new/?entity=accounts",
        {"name": "x", "trigger_kind": "nope", "actions": "[]"},
    )
    assert bad.status_code == 400
    assert Rule.objects.count() == 1


def test_rule_list_and_run_log_queries_stay_flat(
    users, client_for, call_template, django_assert_max_num_queries
):
    for n in range(5):
        rule_create(actor=users["admin"], data=rule_data(call_template, name=f"rule {n}"))
    client = client_for(users["admin"])
    client.get("/automation/")
    with django_assert_max_num_queries(15):
        assert client.get("/automation/").status_code == 200
    rule = Rule.objects.first()
    with django_assert_max_num_queries(15):
        assert client.get(f"/automation/rules/{rule.pk}/").status_code == 200


def test_schema_lists_the_endpoints(api_schema):
    schema = api_schema()
    for path in (
        "/api/v1/automation-rules/",
        "/api/v1/automation-runs/",
        "/api/v1/automation-rules/{id}/dry-run/",
        "/api/v1/automation-hooks/{token}/",
    ):
        assert path in schema["paths"], path


def test_deleted_rule_stops_at_once(users, api_for, call_template, worker):
    from kesher.automation.models import RuleRun
    from kesher.customers.tests.factories import make_account

    rule = rule_create(
        actor=users["admin"],
        data=rule_data(call_template, trigger_kind="created", trigger_config={}),
    )
    with worker():
        make_account(users["admin"], name="before", owner=users["admin"])
    assert RuleRun.objects.count() == 1
    response = api_for(users["admin"]).delete(f"/api/v1/automation-rules/{rule.pk}/")
    assert response.status_code == 204
    with worker():
        make_account(users["admin"], name="after", owner=users["admin"])
    assert not Rule.objects.exists()
    assert not RuleRun.objects.exists()


def test_the_dry_run_page_picks_a_record_by_name_and_names_only_visible_ones(
    users, client_for, call_template
):
    """The run log's "test on a record" picker shows the tested record's name; a record the
    user may not see is refused without its name appearing (REQ AU-1, access)."""
    from kesher.customers.services import account_create

    grant_rules(users["sales_rep"].role, define=False)
    rule = rule_create(actor=users["admin"], data=rule_data(call_template))
    own = account_create(actor=users["sales_rep"], data={"name": "חשבון של הנציג"})
    hidden = account_create(actor=users["sales_rep2"], data={"name": "סוד של נציג אחר"})
    client = client_for(users["sales_rep"])
    seen = client.get(f"/automation/rules/{rule.pk}/", {"record": own.pk}).content.decode()
    assert 'id="dry-run-result"' in seen
    assert 'id="dry-run-record-search" value="חשבון של הנציג"' in seen
    refused = client.get(f"/automation/rules/{rule.pk}/", {"record": hidden.pk}).content.decode()
    assert "סוד של נציג אחר" not in refused
    assert 'id="dry-run-result"' not in refused
    assert 'role="alert"' in refused
