"""Audit entries: who changed what, old and new value per field, on every write through the
services; shown on the record's timeline (DESIGN.md "Audit and timeline", REQ OR-8). Entries
store values, not the writer's text (decision 0042; how they read: ``test_history``)."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError

from kesher.customers.models import Account
from kesher.customers.services import account_update
from kesher.customers.tests.factories import choice, make_account, make_company
from kesher.org.services import user_create
from kesher.platform.models import AuditEntry
from kesher.platform.records.services import record_delete, record_update

pytestmark = pytest.mark.django_db


def entries_of(obj, action=None):
    qs = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).order_by("pk")
    return list(qs.filter(action=action) if action else qs)


def test_create_records_every_filled_field_as_new_value(users):
    rep = users["sales_rep"]
    account = make_account(
        rep, name="Acme", phone="052-555-1234", status=choice("account_status", "vip")
    )
    (entry,) = entries_of(account)
    assert entry.action == "create"
    assert entry.actor == rep
    assert entry.object_repr == "Acme"
    assert entry.changes["_v"] == 2
    assert entry.changes["name"] == [None, "Acme"]
    assert entry.changes["phone"] == [None, "+972525551234"]
    # Links are stored by reference (entity key and id), read by name for who may see them.
    vip = choice("account_status", "vip")
    assert entry.changes["status"] == [None, {"ref": "choices", "id": vip.pk}]
    assert entry.changes["owner"] == [None, {"ref": "users", "id": rep.pk}]
    # Empty fields are left out.
    assert "email" not in entry.changes


def test_update_records_only_changed_fields_with_old_and_new_values(users):
    admin = users["admin"]
    account = make_account(admin, name="Acme", city="חיפה", owner=users["sales_rep"])
    account_update(
        account,
        actor=users["manager"],
        data={
            "name": "Acme",
            "city": "אילת",
            "owner": users["sales_rep2"],
            "status": choice("account_status", "active"),
        },
    )
    (entry,) = entries_of(account, "update")
    assert entry.actor == users["manager"]
    assert entry.changes == {
        "_v": 2,
        "city": ["חיפה", "אילת"],
        "owner": [
            {"ref": "users", "id": users["sales_rep"].pk},
            {"ref": "users", "id": users["sales_rep2"].pk},
        ],
        "status": [None, {"ref": "choices", "id": choice("account_status", "active").pk}],
    }


def test_many_to_many_change_is_recorded_by_reference(users):
    admin = users["admin"]
    company = make_company(admin, name="Kesher North")
    account = make_account(admin)
    account_update(account, actor=admin, data={}, m2m={"companies": [company]})
    (entry,) = entries_of(account, "update")
    assert entry.changes == {
        "_v": 2,
        "companies": [{"ref": "companies", "ids": []}, {"ref": "companies", "ids": [company.pk]}],
    }


def test_update_without_a_change_writes_no_entry(users):
    account = make_account(users["admin"], name="Acme")
    account_update(account, actor=users["admin"], data={"name": "Acme"})
    assert entries_of(account, "update") == []


def test_delete_keeps_a_snapshot_of_what_the_record_held(users):
    admin = users["admin"]
    account = make_account(admin, name="Acme", city="חיפה")
    pk = account.pk
    record_delete(account, actor=admin)
    assert not Account.objects.filter(pk=pk).exists()
    entry = AuditEntry.objects.get(object_id=pk, action="delete")
    assert entry.actor == admin
    assert entry.object_repr == "Acme"
    assert entry.changes["name"] == ["Acme", None]
    assert entry.changes["city"] == ["חיפה", None]
    assert entry.changes["owner"] == [{"ref": "users", "id": admin.pk}, None]


def test_failed_write_leaves_no_audit_entry(users):
    account = make_account(users["admin"])
    before = AuditEntry.objects.count()
    with pytest.raises(ValidationError):
        account_update(account, actor=users["admin"], data={"phone": "nope"})
    assert AuditEntry.objects.count() == before


def test_passwords_are_never_recorded(users):
    admin = users["admin"]
    user = user_create(
        actor=admin,
        data={"username": "newbie", "first_name": "New", "email": "newbie@example.co.il"},
        password="A-long-enough-Pa55word",
    )
    record_update(user, actor=admin, data={"password": "Another-Pa55word-123"})
    user.refresh_from_db()
    audit_text = json.dumps(list(AuditEntry.objects.values_list("changes", flat=True)))
    assert "A-long-enough-Pa55word" not in audit_text
    assert "Another-Pa55word-123" not in audit_text
    assert user.password not in audit_text
    assert user.password.split("$")[-1] not in audit_text
    assert "password" not in audit_text


def test_internal_fields_are_never_recorded(users):
    """Account flags of a user and a task's ``is_open`` (which mirrors its status) are kept
    out of the trail (issue 14 item 7); the event still carries ``is_open`` for automation."""
    admin = users["admin"]
    user = user_create(
        actor=admin,
        data={"username": "newbie", "first_name": "New", "email": "newbie@example.co.il"},
        password="A-long-enough-Pa55word",
    )
    (created,) = entries_of(user)
    assert {"username", "first_name", "is_active"} <= set(created.changes)
    assert not {"is_superuser", "is_staff", "last_login", "password"} & set(created.changes)
    record_update(user, actor=admin, data={"is_staff": True})
    assert entries_of(user, "update") == []


def test_timeline_on_the_detail_page_shows_who_changed_what(users, client_for):
    admin = users["admin"]
    account = make_account(admin, name="Acme", city="חיפה")
    account_update(account, actor=users["manager"], data={"city": "אילת"})
    html = client_for(admin).get(f"/r/accounts/{account.pk}/timeline/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "חיפה" in timeline
    assert "אילת" in timeline
    assert str(users["manager"]) in timeline
    assert str(admin) in timeline
