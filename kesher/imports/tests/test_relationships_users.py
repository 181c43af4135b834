"""Relationships between accounts and contacts, and users, from an old system (REQ IM-2, CU-5,
OR-1; decision 0037)."""

import pytest
from django.core.exceptions import PermissionDenied

from kesher.customers.models import Contact, Relationship
from kesher.customers.tests.factories import VALID_COMPANY_NUMBER, make_account, make_contact
from kesher.imports.models import ExternalId, ImportJob
from kesher.imports.tests.helpers import check, run, undo, upload
from kesher.org.models import User

pytestmark = pytest.mark.django_db
Status = ImportJob.Status

RELATIONSHIPS = [
    ["מזהה", "מחברה", "קשר", "לחברה", "לאיש קשר", "הערות"],
    ["r1", "A-1", "חברת אם של", "A-2", "", "מאז 2010"],
    ["r2", VALID_COMPANY_NUMBER, "Competitor of", "A-1", "", ""],
    ["r3", "A-2", "works_with", "", "dana@example.co.il", ""],
]
RELATIONSHIP_MAPPING = {
    "columns": {
        "0": {"field": "external_id"},
        "1": {"field": "from_account"},
        "2": {"field": "type", "values": {"חברת אם של": "parent"}},
        "3": {"field": "to_account"},
        "4": {"field": "to_contact"},
        "5": {"field": "notes"},
    },
    "source": "old-crm",
    "match": "external_id",
}


def _world(actor):
    first = make_account(actor, name="אלפא")
    second = make_account(actor, name="בטא")
    third = make_account(actor, name="גמא", company_number=VALID_COMPANY_NUMBER)
    for external_id, account in (("A-1", first), ("A-2", second)):
        ExternalId.objects.create(
            entity="accounts", record_id=account.pk, source="old-crm", external_id=external_id
        )
    dana = make_contact(actor, first_name="דנה", email="Dana@Example.co.il")
    return first, second, third, dana


def test_relationships_by_external_id_or_natural_key_and_type_by_value_mapping(users):
    rep = users["sales_rep"]
    first, second, third, dana = _world(rep)
    job = check(upload(rep, RELATIONSHIPS, entity="relationships"), rep, RELATIONSHIP_MAPPING)
    assert (job.created, job.invalid) == (3, 0), list(job.issues.values_list("message", flat=True))
    job = run(job, rep)
    parent = Relationship.objects.get(from_account=first)
    assert (parent.type.value, parent.to_account, parent.notes) == ("parent", second, "מאז 2010")
    assert Relationship.objects.get(from_account=third).type.value == "competitor"
    assert Relationship.objects.get(from_account=second).to_contact == dana
    again = check(
        upload(rep, RELATIONSHIPS, entity="relationships"), rep, RELATIONSHIP_MAPPING, "upsert"
    )
    again = run(again, rep)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Relationship.objects.count() == 3
    assert undo(job, rep)["deleted"] == 3
    assert not Relationship.objects.exists()


def test_relationship_rows_with_unknown_ends_or_types_are_reported(users):
    rep = users["sales_rep"]
    _world(rep)
    rows = [
        RELATIONSHIPS[0],
        ["r1", "A-404", "parent", "A-2", "", ""],
        ["r2", "A-1", "married_to", "A-2", "", ""],
        ["r3", "A-1", "parent", "", "", ""],
    ]
    job = check(upload(rep, rows, entity="relationships"), rep, RELATIONSHIP_MAPPING)
    assert job.invalid == 3
    assert job.created == 0
    by_row = {issue.row: issue for issue in job.issues.all()}
    assert by_row[2].column == "מחברה"
    assert by_row[2].value == "A-404"
    assert by_row[3].column == "קשר"
    assert 4 in by_row  # a relationship needs its other end
    assert not Relationship.objects.exists()


USERS = [
    ["שם משתמש", "שם פרטי", "שם משפחה", 'דוא"ל', "מחלקה", "תפקיד", "פעיל"],
    ["noa", "נועה", "ברק", "Noa@Example.co.il", "מכירות צפון", "sales_rep", "כן"],
    ["avi", "אבי", "כץ", "avi@example.co.il", "שירות", "נציג שירות", "לא"],
]
USER_MAPPING = {
    "columns": {
        "0": {"field": "username"},
        "1": {"field": "first_name"},
        "2": {"field": "last_name"},
        "3": {"field": "email"},
        "4": {"field": "department"},
        "5": {"field": "role"},
        "6": {"field": "is_active"},
    },
    "match": "email",
}


def test_only_an_administrator_imports_users(users):
    for role in ("sales_rep", "manager", "support_agent", "read_only"):
        with pytest.raises(PermissionDenied):
            upload(users[role], USERS, entity="users")
    assert not ImportJob.objects.exists()


def test_users_are_imported_without_passwords_and_upserted_by_email(users, departments):
    admin = users["admin"]
    job = check(upload(admin, USERS, entity="users"), admin, USER_MAPPING, "upsert")
    assert (job.created, job.invalid) == (2, 0), list(job.issues.values_list("message", flat=True))
    run(job, admin)
    noa = User.objects.get(username="noa")
    assert (noa.department, noa.role.key, noa.is_active) == (
        departments["north"],
        "sales_rep",
        True,
    )
    assert not noa.has_usable_password()  # she signs in by a reset link or SSO
    avi = User.objects.get(username="avi")
    assert (avi.role.key, avi.is_active) == ("support_agent", False)
    rows = [
        USERS[0],
        ["noa", "נועה", "ברק-לוי", "noa@example.co.il", "מכירות צפון", "manager", "כן"],
    ]
    job = run(check(upload(admin, rows, entity="users"), admin, USER_MAPPING, "upsert"), admin)
    assert (job.created, job.updated) == (0, 1)
    noa.refresh_from_db()
    assert (noa.last_name, noa.role.key) == ("ברק-לוי", "manager")
    again = run(check(upload(admin, rows, entity="users"), admin, USER_MAPPING, "upsert"), admin)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    undo(job, admin)
    noa.refresh_from_db()
    assert (noa.last_name, noa.role.key) == ("ברק", "sales_rep")


def test_user_rows_with_unknown_department_or_role_are_reported(users, departments):
    admin = users["admin"]
    rows = [USERS[0], ["dan", "דן", "", "dan@example.co.il", "Nowhere", "king", "כן"]]
    job = check(upload(admin, rows, entity="users"), admin, USER_MAPPING, "upsert")
    assert job.invalid == 1
    assert {i.column for i in job.issues.all()} == {"מחלקה", "תפקיד"}


def test_bulk_upsert_matches_email_whatever_its_case(users):
    """REQ IM-2: the file's Dana@Example.co.il is the stored dana@example.co.il (and the other
    way round), on SQLite and PostgreSQL alike."""
    admin = users["admin"]
    lower = make_contact(admin, first_name="דנה", email="dana@example.co.il")
    upper = make_contact(admin, first_name="יוסי", email="YOSSI@EXAMPLE.CO.IL")
    rows = [
        ["email", "first_name", "city"],
        ["Dana@Example.co.il", "דנה", "חיפה"],
        ["yossi@example.co.il", "יוסי", "אילת"],
    ]
    mapping = {
        "columns": {"0": {"field": "email"}, "1": {"field": "first_name"}, "2": {"field": "city"}},
        "match": "email",
    }
    job = run(check(upload(admin, rows), admin, mapping, "upsert"), admin)
    assert (job.created, job.updated) == (0, 2)
    assert Contact.objects.count() == 2
    lower.refresh_from_db()
    upper.refresh_from_db()
    assert (lower.city, upper.city) == ("חיפה", "אילת")
