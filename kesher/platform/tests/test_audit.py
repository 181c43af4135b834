"""Audit entries: who changed what, old and new value per field, on every write through the
services; shown on the record's timeline (DESIGN.md "Audit and timeline", REQ OR-8)."""

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
    assert entry.changes["name"] == [None, "Acme"]
    assert entry.changes["phone"] == [None, "+972525551234"]
    # Links are recorded by name, not by id.
    assert entry.changes["status"] == [None, "VIP"]
    assert entry.changes["owner"] == [None, str(rep)]
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
        "city": ["חיפה", "אילת"],
        "owner": [str(users["sales_rep"]), str(users["sales_rep2"])],
        "status": [None, "לקוח פעיל"],
    }


def test_many_to_many_change_is_recorded_by_name(users):
    admin = users["admin"]
    company = make_company(admin, name="Kesher North")
    account = make_account(admin)
    account_update(account, actor=admin, data={}, m2m={"companies": [company]})
    (entry,) = entries_of(account, "update")
    assert entry.changes == {"companies": [[], ["Kesher North"]]}


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
