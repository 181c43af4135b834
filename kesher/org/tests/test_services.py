"""The organization: the department tree and its paths, record scopes by department and by
company, owners who must be active users, per-user language and time zone (REQ OR-1, OR-3,
OR-4, OR-7, SV-5)."""

import datetime
import re

import pytest
from django.core.exceptions import ValidationError

from kesher.customers.models import Account, Contact
from kesher.customers.services import account_create, account_update
from kesher.customers.tests.factories import make_account, make_company, make_contact
from kesher.org.models import Department, Role, RolePermission
from kesher.org.services import department_create, department_update, user_set_language

pytestmark = pytest.mark.django_db


def visible_names(model, user):
    return sorted(str(obj) for obj in model.objects.visible_to(user))


# --- Department tree (REQ OR-1) -------------------------------------------------------------


@pytest.fixture
def tree(users):
    """Head office > Sales > (North > Haifa), Sales > South; Service at the root."""
    admin = users["admin"]
    head = department_create(actor=admin, data={"name": "הנהלה"})
    sales = department_create(actor=admin, data={"name": "מכירות", "parent": head})
    north = department_create(actor=admin, data={"name": "צפון", "parent": sales})
    haifa = department_create(actor=admin, data={"name": "חיפה", "parent": north})
    south = department_create(actor=admin, data={"name": "דרום", "parent": sales})
    service = department_create(actor=admin, data={"name": "שירות"})
    return {d.name: d for d in (head, sales, north, haifa, south, service)}


def paths(tree):
    return {d.name: d.path for d in Department.objects.filter(pk__in=[d.pk for d in tree.values()])}


def test_created_departments_get_their_tree_path(tree):
    head, sales, north, haifa = tree["הנהלה"], tree["מכירות"], tree["צפון"], tree["חיפה"]
    assert head.path == f"/{head.pk}/"
    assert sales.path == f"/{head.pk}/{sales.pk}/"
    assert haifa.path == f"/{head.pk}/{sales.pk}/{north.pk}/{haifa.pk}/"
    assert haifa.depth == 3
    assert paths(tree)["חיפה"] == haifa.path


def test_moving_a_department_repaths_its_whole_subtree(users, tree):
    north, service, haifa = tree["צפון"], tree["שירות"], tree["חיפה"]
    moved = department_update(north, actor=users["admin"], data={"parent": service})
    stored = paths(tree)
    assert stored["צפון"] == f"/{service.pk}/{north.pk}/"
    assert stored["חיפה"] == f"/{service.pk}/{north.pk}/{haifa.pk}/"
    # Departments outside the moved subtree keep their paths.
    assert stored["דרום"] == tree["דרום"].path
    assert moved.path == stored["צפון"]
    assert moved.parent == service


def test_moving_a_department_to_the_root(users, tree):
    north, haifa = tree["צפון"], tree["חיפה"]
    department_update(north, actor=users["admin"], data={"parent": None})
    stored = paths(tree)
    assert stored["צפון"] == f"/{north.pk}/"
    assert stored["חיפה"] == f"/{north.pk}/{haifa.pk}/"


@pytest.mark.parametrize("new_parent", ["מכירות", "צפון", "חיפה"])
def test_department_cannot_move_under_itself_or_its_descendants(users, tree, new_parent):
    before = paths(tree)
    with pytest.raises(ValidationError) as caught:
        department_update(tree["מכירות"], actor=users["admin"], data={"parent": tree[new_parent]})
    assert "parent" in caught.value.message_dict
    assert paths(tree) == before


def test_department_move_through_the_api(users, api_for, tree):
    api = api_for(users["admin"], "en")
    north, south = tree["צפון"], tree["דרום"]
    response = api.patch(f"/api/v1/departments/{north.pk}/", {"parent": south.pk}, format="json")
    assert response.status_code == 200, response.content
    assert paths(tree)["חיפה"] == f"{south.path}{north.pk}/{tree['חיפה'].pk}/"
    cycle = api.patch(
        f"/api/v1/departments/{tree['מכירות'].pk}/", {"parent": north.pk}, format="json"
    )
    assert cycle.status_code == 400
    assert "parent" in cycle.json()


def test_department_created_through_the_api_gets_a_path(users, api_for, tree):
    response = api_for(users["admin"]).post(
        "/api/v1/departments/", {"name": "אילת", "parent": tree["דרום"].pk}, format="json"
    )
    assert response.status_code == 201, response.content
    eilat = Department.objects.get(pk=response.json()["id"])
    assert eilat.path == f"{tree['דרום'].path}{eilat.pk}/"


# --- Department scope (REQ OR-3) ------------------------------------------------------------


def test_manager_sees_records_of_their_department_subtree_only(users):
    # conftest: the manager heads Sales; rep1 is in North (under Sales); rep2 is in Service.
    make_account(users["manager"], name="Manager's")
    make_account(users["sales_rep"], name="North rep's")
    make_account(users["sales_rep2"], name="Service rep's")
    make_account(users["admin"], name="Admin's")
    assert visible_names(Account, users["manager"]) == ["Manager's", "North rep's"]
    assert visible_names(Account, users["sales_rep"]) == ["North rep's"]
    assert len(visible_names(Account, users["admin"])) == 4


def test_department_scope_follows_a_move_of_the_department(users, departments):
    make_account(users["sales_rep"], name="North rep's")
    department_update(
        departments["north"], actor=users["admin"], data={"parent": departments["service"]}
    )
    users["manager"].refresh_from_db()
    assert visible_names(Account, users["manager"]) == []


def test_manager_pages_and_api_follow_the_department_scope(users, client_for, api_for):
    north = make_account(users["sales_rep"], name="North rep's")
    service = make_account(users["sales_rep2"], name="Service rep's")
    client = client_for(users["manager"])
    assert client.get(f"/r/accounts/{north.pk}/").status_code == 200
    assert client.get(f"/r/accounts/{service.pk}/").status_code == 404
    listed = [
        r["name"] for r in api_for(users["manager"]).get("/api/v1/accounts/").json()["results"]
    ]
    assert listed == ["North rep's"]
    assert api_for(users["manager"]).get(f"/api/v1/accounts/{service.pk}/").status_code == 404


# --- Company scope (REQ OR-4) ---------------------------------------------------------------


@pytest.fixture
def regional_user(users, departments):
    """A user whose role sees the accounts and contacts of their own companies."""
    from conftest import make_user

    role = Role.objects.create(key="regional", name_he="אזורי", name_en="Regional")
    for entity in ("accounts", "contacts"):
        RolePermission.objects.create(role=role, entity=entity, can_view=True, scope="company")
    return make_user("regional1", "regional", departments["service"])


def test_company_scope_shows_the_accounts_of_the_users_companies(users, regional_user):
    admin = users["admin"]
    north_co = make_company(admin, name="Kesher North", company_number="516179157")
    south_co = make_company(admin, name="Kesher South", company_number="514713288")
    regional_user.companies.add(north_co)
    shared = make_account(admin, name="Shared", m2m={"companies": [north_co, south_co]})
    make_account(admin, name="North only", m2m={"companies": [north_co]})
    make_account(admin, name="South only", m2m={"companies": [south_co]})
    make_account(admin, name="No company")
    make_account(regional_user, name="Own")
    assert visible_names(Account, regional_user) == ["North only", "Own", "Shared"]
    make_contact(admin, first_name="At north", account_links=[{"account": shared}])
    make_contact(admin, first_name="Elsewhere")
    assert visible_names(Contact, regional_user) == ["At north"]


def test_company_scope_without_companies_sees_only_own_records(users, regional_user):
    make_account(users["admin"], name="Other", m2m={"companies": [make_company(users["admin"])]})
    make_account(regional_user, name="Own")
    assert visible_names(Account, regional_user) == ["Own"]


# --- Owners must be active users (REQ SV-5) -------------------------------------------------


def test_inactive_user_cannot_be_made_owner_by_the_service(users):
    with pytest.raises(ValidationError) as caught:
        account_create(actor=users["admin"], data={"name": "Acme", "owner": users["inactive"]})
    assert "owner" in caught.value.message_dict
    account = make_account(users["admin"], owner=users["sales_rep"])
    with pytest.raises(ValidationError) as caught:
        account_update(account, actor=users["admin"], data={"owner": users["inactive"]})
    assert "owner" in caught.value.message_dict
    account.refresh_from_db()
    assert account.owner == users["sales_rep"]


def test_inactive_user_cannot_be_made_owner_through_the_api(users, api_for):
    api = api_for(users["admin"], "en")
    account = make_account(users["admin"])
    response = api.patch(
        f"/api/v1/accounts/{account.pk}/", {"owner": users["inactive"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "owner" in response.json()
    contact = api.post(
        "/api/v1/contacts/", {"first_name": "X", "owner": users["inactive"].pk}, format="json"
    )
    assert contact.status_code == 400
    assert "owner" in contact.json()
    assert not Contact.objects.exists()


# --- Language and time zone per user (REQ OR-7) ---------------------------------------------


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


def test_pages_are_hebrew_right_to_left_by_default(users, client_for):
    response = client_for(users["sales_rep"]).get("/r/accounts/")
    assert html_tag(response) == '<html lang="he" dir="rtl">'


def test_switching_language_to_english_renders_left_to_right(users, client_for):
    client = client_for(users["sales_rep"])
    response = client.post("/language/", {"language": "en", "next": "/r/accounts/"})
    assert response.status_code == 302
    assert response["Location"] == "/r/accounts/"
    users["sales_rep"].refresh_from_db()
    assert users["sales_rep"].language == "en"
    page = client.get("/r/accounts/")
    assert html_tag(page) == '<html lang="en" dir="ltr">'
    assert "Accounts" in page.content.decode()
    # And back to Hebrew.
    client.post("/language/", {"language": "he"})
    assert html_tag(client.get("/r/accounts/")) == '<html lang="he" dir="rtl">'


def test_language_choice_is_per_user(users, client_for):
    client_for(users["sales_rep"]).post("/language/", {"language": "en"})
    assert html_tag(client_for(users["sales_rep2"]).get("/")) == '<html lang="he" dir="rtl">'


def test_unknown_language_and_foreign_redirects_are_refused(users, client_for):
    client = client_for(users["sales_rep"])
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    users["sales_rep"].refresh_from_db()
    assert users["sales_rep"].language == "he"
    with pytest.raises(ValidationError):
        user_set_language(users["sales_rep"], "fr")


def test_times_are_shown_in_the_users_time_zone(users, client_for):
    account = make_account(
        users["admin"],
        last_contact_at=datetime.datetime(2025, 1, 15, 10, 30, tzinfo=datetime.UTC),
    )
    url = f"/r/accounts/{account.pk}/"
    client = client_for(users["admin"])
    # Jerusalem is UTC+2 in January.
    assert "15/01/2025 12:30" in client.get(url).content.decode()
    response = client.post("/profile/", {"time_zone": "Europe/London", "language": "he"})
    assert response.status_code == 302
    users["admin"].refresh_from_db()
    assert users["admin"].time_zone == "Europe/London"
    assert "15/01/2025 10:30" in client.get(url).content.decode()


def test_unknown_time_zone_is_refused(users, client_for):
    client_for(users["admin"]).post("/profile/", {"time_zone": "Mars/Olympus", "language": "he"})
    users["admin"].refresh_from_db()
    assert users["admin"].time_zone == "Asia/Jerusalem"
