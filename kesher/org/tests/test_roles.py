"""Roles and their grants, viewed and changed by administrators on a page and through
``/api/v1/roles/`` (REQ OR-3; issue "Platform v2" item 10): every change is audited and holds
at once; the administrator role keeps every right; no one else touches roles."""

import html
import importlib

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from conftest import make_user
from kesher.org.models import Role, RolePermission
from kesher.org.services import role_create, role_delete, role_set_grants, role_update
from kesher.platform import access
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

ROLES = "/api/v1/roles/"
BUILT_IN = importlib.import_module("kesher.org.migrations.0002_default_roles").ROLES


def role(key: str) -> Role:
    return Role.objects.get(key=key)


def permissions(key: str) -> dict:
    return {
        p.entity: (p.can_view, p.can_add, p.can_change, p.can_delete, p.scope)
        for p in RolePermission.objects.filter(role__key=key)
    }


def fresh(user):
    """The user as his next request loads him (grants are read once per user object)."""
    return type(user).objects.get(pk=user.pk)


def test_the_api_reads_each_roles_grants(users, api_for):
    api = api_for(users["admin"])
    listed = {row["key"]: row for row in api.get(ROLES).json()["results"]}
    assert set(listed) >= set(BUILT_IN)
    rep = listed["sales_rep"]["grants"]
    assert rep["accounts"] == {
        "view": True,
        "add": True,
        "change": True,
        "delete": False,
        "scope": "own",
    }
    assert rep["companies"]["scope"] == "all"
    assert rep["alert-rules"] == {
        "view": False,
        "add": False,
        "change": False,
        "delete": False,
        "scope": "own",
    }
    assert "roles" not in rep  # never grantable
    administrator = listed["admin"]
    assert administrator["is_admin"] is True
    assert all(
        grant["delete"] and grant["scope"] == "all" for grant in administrator["grants"].values()
    )


def test_a_change_of_grants_is_audited_and_holds_at_once(users, api_for):
    rep = users["sales_rep"]
    assert not access.can(rep, "accounts", "delete")  # read and cached by this process
    api = api_for(users["admin"])
    detail = api.get(f"{ROLES}{role('sales_rep').pk}/")
    version = detail.json()["version"]
    changed = api.patch(
        f"{ROLES}{role('sales_rep').pk}/",
        {"grants": {"accounts": {"delete": True, "scope": "department"}, "contacts": None}},
        format="json",
        HTTP_IF_MATCH=detail["ETag"],
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["version"] == version + 1
    assert body["grants"]["accounts"] == {
        "view": True,
        "add": True,
        "change": True,
        "delete": True,
        "scope": "department",
    }
    assert body["grants"]["contacts"]["view"] is False
    assert permissions("sales_rep")["accounts"] == (True, True, True, True, "department")
    assert "contacts" not in permissions("sales_rep")
    rep = fresh(rep)
    assert access.can(rep, "accounts", "delete")
    assert access.grant(rep, "accounts").scope == "department"
    assert not access.can(rep, "contacts", "view")
    entry = AuditEntry.objects.filter(object_id=role("sales_rep").pk, action="update").latest("at")
    assert entry.actor == users["admin"]
    assert entry.changes == {
        "_v": 2,
        "grants.accounts.delete": [False, True],
        "grants.accounts.scope": ["own", "department"],
        "grants.contacts.view": [True, False],
        "grants.contacts.add": [True, False],
        "grants.contacts.change": [True, False],
    }


@pytest.mark.parametrize(
    ("language", "shown"),
    [
        ("he", ["לקוחות: מחיקה", "רשומות אישיות", "רשומות המחלקה", "אנשי קשר: צפייה"]),
        ("en", ["Accounts: delete", "Own records", "Department's records", "Contacts: view"]),
    ],
)
def test_a_roles_timeline_reads_its_changed_rights(users, client_for, language, shown):
    admin = users["admin"]
    rep_role = role("sales_rep")
    role_set_grants(
        rep_role,
        actor=admin,
        grants={"accounts": {"delete": True, "scope": "department"}, "contacts": None},
    )
    admin.language = language
    admin.save(update_fields=["language"])
    page = client_for(admin).get(f"/r/roles/{rep_role.pk}/timeline/").content.decode()
    for text in shown:
        assert html.escape(text) in page, text
    assert "grants." not in page


def test_a_new_role_is_created_with_its_grants(users, api_for):
    response = api_for(users["admin"]).post(
        ROLES,
        {
            "key": "field_sales",
            "name_he": "מכירות שטח",
            "name_en": "Field sales",
            "grants": {"accounts": {"view": True, "add": True, "scope": "own"}},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert permissions("field_sales") == {"accounts": (True, True, False, False, "own")}
    someone = make_user("field1", "field_sales")
    assert access.can(someone, "accounts", "add")
    assert not access.can(someone, "contacts", "view")


GRANT_ERRORS = [
    ({"nope": {"view": True}}, "grants.nope", "No such kind of record.", "אין סוג רשומה כזה."),
    (
        {"roles": {"view": True}},
        "grants.roles",
        "Only administrators manage roles.",
        "רק מנהלי מערכת מנהלים פרופילי הרשאות.",
    ),
    (
        {"accounts": {"view": "yes"}},
        "grants.accounts.view",
        "Enter true or false.",
        "יש לבחור כן או לא.",
    ),
    (
        {"accounts": {"scope": "team"}},
        "grants.accounts.scope",
        "Choose one of: own, department, region, company, all.",
        "יש לבחור אחד מאלה: own, department, region, company, all.",
    ),
    ({"accounts": {"export": True}}, "grants.accounts.export", "Unknown right.", "הרשאה לא מוכרת."),
    (
        {"accounts": {"view": False}},
        "grants.accounts",
        "A right to add, change or delete needs the right to view.",
        "הרשאה להוסיף, לשנות או למחוק מחייבת הרשאת צפייה.",
    ),
    (
        {"accounts": True},
        "grants.accounts",
        "Send the rights as an object: view, add, change, delete, scope.",
        "יש לשלוח את ההרשאות כאובייקט: view, add, change, delete, scope.",
    ),
]


@pytest.mark.parametrize("language", ["he", "en"])
@pytest.mark.parametrize(("grants", "key", "english", "hebrew"), GRANT_ERRORS)
def test_bad_grants_answer_400_naming_them_and_write_nothing(
    users, api_for, language, grants, key, english, hebrew
):
    before, audits = permissions("sales_rep"), AuditEntry.objects.count()
    response = api_for(users["admin"], language).patch(
        f"{ROLES}{role('sales_rep').pk}/",
        {"name_en": "Changed", "grants": grants},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {key: [english if language == "en" else hebrew]}
    assert permissions("sales_rep") == before
    assert role("sales_rep").name_en == "Sales representative"  # the whole request, or nothing
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "An administrator role may do everything; its grants do not change."),
        ("he", "פרופיל של מנהל מערכת רשאי לעשות הכול; ההרשאות שלו אינן משתנות."),
    ],
)
def test_the_administrator_role_keeps_every_right(users, api_for, language, message):
    api = api_for(users["admin"], language)
    admin_role = role("admin")
    grants = api.patch(f"{ROLES}{admin_role.pk}/", {"grants": {"accounts": None}}, format="json")
    assert grants.status_code == 400
    assert grants.json() == {"grants": [message]}
    demoted = api.patch(f"{ROLES}{admin_role.pk}/", {"is_admin": False}, format="json")
    assert demoted.status_code == 400
    assert list(demoted.json()) == ["is_admin"]
    assert api.delete(f"{ROLES}{admin_role.pk}/").status_code == 400
    assert role("admin").is_admin
    assert access.is_admin(fresh(users["admin"]))


def test_a_roles_key_stays_and_a_role_in_use_is_not_deleted(users):
    admin = users["admin"]
    with translation.override("en"), pytest.raises(ValidationError) as renamed:
        role_update(role("sales_rep"), actor=admin, data={"key": "sales"})
    assert renamed.value.message_dict == {"key": ["The key of a role cannot change."]}
    with translation.override("he"), pytest.raises(ValidationError) as in_use:
        role_delete(role("sales_rep"), actor=admin)
    assert in_use.value.message_dict == {
        "key": ["ל-3 משתמשים יש פרופיל זה: יש לתת להם פרופיל אחר קודם."]
    }
    unused = role_create(
        actor=admin, data={"key": "temp", "name_he": "זמני", "name_en": "Temporary"}
    )
    role_delete(unused, actor=admin)
    assert not Role.objects.filter(key="temp").exists()


@pytest.mark.parametrize("who", ["manager", "sales_rep", "support_agent", "read_only"])
def test_no_one_but_administrators_touches_roles(users, api_for, client_for, who):
    """Even a role granted every other entity may not reach roles or their rights."""
    user = users[who]
    target = role(who)
    api = api_for(user)
    assert api.get(ROLES).status_code == 403
    assert api.get(f"{ROLES}{target.pk}/").status_code == 403
    patched = api.patch(
        f"{ROLES}{target.pk}/", {"grants": {"accounts": {"delete": True}}}, format="json"
    )
    assert patched.status_code == 403
    assert api.post(ROLES, {"key": "x", "name_he": "x"}, format="json").status_code == 403
    client = client_for(user)
    assert client.get(f"/org/roles/{target.pk}/rights/").status_code == 403
    assert (
        client.post(f"/org/roles/{target.pk}/rights/", {"accounts.delete": "on"}).status_code == 403
    )
    assert client.get(f"/r/roles/{target.pk}/").status_code == 403
    with pytest.raises(ValidationError):  # nor can a grant of roles be given to anyone
        role_set_grants(target, actor=users["admin"], grants={"roles": {"view": True}})
    assert not access.can(fresh(user), "roles", "view")


def test_the_rights_page_is_one_form_for_the_whole_matrix(users, client_for):
    client = client_for(users["admin"])
    rep_role = role("sales_rep")
    page = client.get(f"/org/roles/{rep_role.pk}/rights/").content.decode()
    assert 'name="accounts.add" id="accounts-add" checked' in page
    assert 'name="accounts.delete" id="accounts-delete" aria' in page  # not checked
    assert 'name="roles.view"' not in page
    form = {
        "accounts.view": "on",
        "accounts.add": "on",
        "accounts.scope": "department",
        "tasks.view": "on",
        "tasks.scope": "all",
    }
    saved = client.post(f"/org/roles/{rep_role.pk}/rights/", form)
    assert saved.status_code == 302
    assert saved["Location"] == f"/r/roles/{rep_role.pk}/"
    assert permissions("sales_rep") == {
        "accounts": (True, True, False, False, "department"),
        "tasks": (True, False, False, False, "all"),
    }
    assert access.can(fresh(users["sales_rep"]), "tasks", "view")
    assert not access.can(fresh(users["sales_rep"]), "contacts", "view")


def test_the_rights_page_refuses_a_bad_row_and_saves_nothing(users, client_for):
    client = client_for(users["admin"])
    before = permissions("sales_rep")
    response = client.post(
        f"/org/roles/{role('sales_rep').pk}/rights/",
        {"accounts.view": "on", "contacts.add": "on", "contacts.scope": "own"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-error-for="contacts"' in page
    assert 'name="contacts.add" id="contacts-add" checked' in page  # what was sent, to correct
    assert permissions("sales_rep") == before


def test_the_role_page_lists_its_rights_and_the_administrators_says_everything(users, client_for):
    client = client_for(users["admin"])
    rep_page = client.get(f"/r/roles/{role('sales_rep').pk}/").content.decode()
    assert 'id="edit-rights"' in rep_page
    assert 'data-entity="accounts"' in rep_page
    assert 'data-entity="alert-rules"' not in rep_page  # no rights there
    admin_page = client.get(f"/r/roles/{role('admin').pk}/").content.decode()
    assert 'id="edit-rights"' not in admin_page
    rights = client.get(f"/org/roles/{role('admin').pk}/rights/").content.decode()
    assert 'id="admin-role"' in rights
    assert 'id="rights-form"' not in rights


def test_reading_roles_costs_the_same_for_more_roles(
    users, api_for, client_for, django_assert_num_queries, django_assert_max_num_queries
):
    admin = users["admin"]
    api, client = api_for(admin), client_for(admin)
    pages = [ROLES, f"/org/roles/{role('sales_rep').pk}/rights/", f"/r/roles/{role('manager').pk}/"]
    counts = {}
    for url in pages:
        api.get(url) if url.startswith("/api/") else client.get(url)
    for url in pages:
        with django_assert_max_num_queries(25) as captured:
            (api if url.startswith("/api/") else client).get(url)
        counts[url] = len(captured.captured_queries)
    for index in range(10):
        extra = role_create(
            actor=admin,
            data={"key": f"extra{index}", "name_he": f"נוסף {index}", "name_en": f"More {index}"},
        )
        role_set_grants(extra, actor=admin, grants={"accounts": {"view": True}})
    for url in pages:
        # The change of grants renewed the cached grants: the first request reads them again.
        (api if url.startswith("/api/") else client).get(url)
        with django_assert_num_queries(counts[url]):
            response = (api if url.startswith("/api/") else client).get(url)
        assert response.status_code == 200
