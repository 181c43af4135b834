"""What administrators define is read once per process and stays right across processes
(stamps.py): custom fields and field rules (REQ CX-1, CX-3), and validation of a record's links
without asking the database what the record in hand already says."""

import secrets

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from kesher.customers.services import account_create
from kesher.org.models import RolePermission
from kesher.platform import stamps
from kesher.platform.customfields.values import definitions_for, rules_for
from kesher.platform.models import CustomField, FieldRule

pytestmark = pytest.mark.django_db


def add_field(key="region"):
    return CustomField.objects.create(
        entity="accounts", key=key, label_he=key, label_en=key, type="text"
    )


def another_process_changes(sql: str, params: list) -> None:
    """A change made by another process: the row and the stamp, no signal in this one."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.execute("UPDATE platform_schemastamp SET token = %s", [secrets.token_hex(8)])


def test_definitions_are_read_once_until_they_change():
    add_field()
    assert [d.key for d in definitions_for("accounts")] == ["region"]
    with CaptureQueriesContext(connection) as seen:
        assert [d.key for d in definitions_for("accounts")] == ["region"]
    assert [q["sql"] for q in seen.captured_queries] == [
        "SELECT name, token FROM platform_schemastamp"
    ]
    add_field("score")
    assert [d.key for d in definitions_for("accounts")] == ["region", "score"]


def test_a_change_in_another_process_is_seen_at_once():
    field = add_field()
    assert definitions_for("accounts")[0].label_he == "region"
    another_process_changes(
        "UPDATE platform_customfield SET label_he = %s WHERE id = %s", ["אזור", field.pk]
    )
    assert definitions_for("accounts")[0].label_he == "אזור"


def test_set_based_writes_renew_the_stamp_too():
    add_field()
    assert definitions_for("accounts")
    CustomField.objects.filter(entity="accounts").update(active=False)
    assert definitions_for("accounts") == []
    FieldRule.objects.bulk_create([FieldRule(entity="accounts", field="city", required=True)])
    assert [r.field for r in rules_for("accounts")] == ["city"]


def test_field_rules_follow_their_changes(users):
    rule = FieldRule.objects.create(entity="accounts", field="city", required=True)
    with pytest.raises(ValidationError) as refused:
        account_create(actor=users["admin"], data={"name": "בלי עיר"})
    assert "city" in refused.value.message_dict
    rule.delete()
    assert account_create(actor=users["admin"], data={"name": "בלי עיר"}).pk


def test_a_request_reads_the_stamps_once(users, api_for):
    add_field()
    api = api_for(users["admin"])
    warm = api.post("/api/v1/accounts/", {"name": "ראשונה"}, format="json")
    assert warm.status_code == 201, warm.json()  # definitions and rules now cached
    with CaptureQueriesContext(connection) as seen:
        response = api.post(
            "/api/v1/accounts/", {"name": "חברה", "custom_fields": {}}, format="json"
        )
    assert response.status_code == 201, response.json()
    stamp_reads = [q for q in seen.captured_queries if "platform_schemastamp" in q["sql"]]
    assert len(stamp_reads) == 1
    assert not [q for q in seen.captured_queries if "platform_customfield" in q["sql"]]
    assert not [q for q in seen.captured_queries if "platform_fieldrule" in q["sql"]]
    assert not [q for q in seen.captured_queries if "org_rolepermission" in q["sql"]]


def test_a_role_changed_elsewhere_takes_effect_at_once(users):
    """Grants are cached per role (REQ OR-3): a permission taken away in another process is
    refused on the next request; one changed here, at once too."""
    rep = users["sales_rep"]
    api = APIClient()
    api.force_login(rep)  # a session: each request loads its own user, as in production
    assert api.get("/api/v1/accounts/").status_code == 200
    permission = RolePermission.objects.get(role=rep.role, entity="accounts")
    another_process_changes(
        "UPDATE org_rolepermission SET can_view = %s WHERE id = %s", [False, permission.pk]
    )
    assert api.get("/api/v1/accounts/").status_code == 403
    permission.refresh_from_db()
    permission.can_view = True
    permission.save()
    assert api.get("/api/v1/accounts/").status_code == 200
    RolePermission.objects.filter(pk=permission.pk).update(can_view=False)
    assert api.get("/api/v1/accounts/").status_code == 403


def test_without_a_stamp_nothing_is_cached():
    """A flushed test database has no stamp row: every read goes to the table."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM platform_schemastamp")
    add_field()  # renews: the row is back
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM platform_schemastamp")
        cursor.execute("UPDATE platform_customfield SET label_he = 'שונה'")
    assert definitions_for("accounts")[0].label_he == "שונה"
    assert stamps.FIELDS not in stamps._tokens()


def test_an_owner_in_hand_is_not_looked_up_again(users):
    admin = users["admin"]
    with CaptureQueriesContext(connection) as seen:
        account_create(actor=admin, data={"name": "בעלים ידוע"})
    assert not [q for q in seen.captured_queries if 'FROM "org_user"' in q["sql"]]


def test_an_inactive_owner_in_hand_is_still_refused(users):
    retired = users["sales_rep"]
    retired.is_active = False
    retired.save()
    with pytest.raises(ValidationError) as refused:
        account_create(actor=users["admin"], data={"name": "בעלים לשעבר", "owner": retired})
    assert "owner" in refused.value.message_dict


@pytest.fixture
def health_checks():
    """Connection health checks on (CONN_HEALTH_CHECKS, as on PostgreSQL), counting Django's
    own ``SELECT 1`` checks."""
    wrapper = connections["default"]
    wrapper.ensure_connection()
    checks = []
    usable = wrapper.is_usable

    def counted():
        checks.append(1)
        return usable()

    wrapper.is_usable = counted
    wrapper.health_check_enabled, wrapper.health_check_done = True, False
    yield checks
    del wrapper.is_usable
    wrapper.health_check_enabled = wrapper.settings_dict["CONN_HEALTH_CHECKS"]


@pytest.mark.django_db(transaction=True)
def test_the_stamp_read_is_the_requests_health_check(health_checks):
    with stamps.remembered_for_request():
        assert stamps.FIELDS in stamps._tokens()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    assert health_checks == []
    assert connection.health_check_done


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="a server connection that can break"
)
def test_a_broken_connection_is_replaced_by_the_stamp_read(health_checks):
    connection.connection.close()  # the server went away while the connection was idle
    with stamps.remembered_for_request():
        assert stamps.FIELDS in stamps._tokens()
    assert connection.is_usable()
