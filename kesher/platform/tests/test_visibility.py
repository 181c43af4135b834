"""Field-level visibility (REQ CX-9; issue "Platform v2" item 8; decision 0047): a field or a
section hidden from a role is nowhere for that role — page, form, list, column chooser, filter,
sort, saved view, export, API (read, write, schema), bulk update, import targets, search,
record picker, timeline — and everywhere for another role.

The world: the sales representatives do not see an account's ``phone`` (built-in), its custom
field ``credit_limit`` (by a field rule) nor anything of the custom section "כספים" (by a
section rule: ``payment_terms``); the manager, who is no administrator, sees everything.
"""

import csv
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.models import Account
from kesher.customers.services import account_update
from kesher.customers.tests.factories import make_account, make_relationship
from kesher.platform.bulk.actions import bulk_fields, bulk_prepare
from kesher.platform.models import CustomField, FieldRule
from kesher.platform.records import search
from kesher.platform.records.services import record_create
from kesher.platform.registry import registry
from kesher.platform.visibility import hidden_fields, section_fields

pytestmark = pytest.mark.django_db

PHONE = "052-555-1234"  # as pages show it
PHONE_DIGITS = "5551234"
MOBILE = "054-777-8899"
CREDIT = 73519  # a number found nowhere else on the pages
TERMS = "שוטף-פלוס-תשעים"
HIDDEN = {"phone", "custom.credit_limit", "custom.payment_terms"}


def _rule(admin, **data):
    return record_create("field-rules", actor=admin, data={"entity": "accounts", **data})


@pytest.fixture
def world(users):
    admin, rep = users["admin"], users["sales_rep"]
    CustomField.objects.create(
        entity="accounts", key="credit_limit", label_he="מסגרת אשראי", type="integer"
    )
    CustomField.objects.create(
        entity="accounts", key="payment_terms", label_he="תנאי תשלום", type="text", section="כספים"
    )
    CustomField.objects.create(entity="accounts", key="region", label_he="אזור", type="text")
    account = make_account(
        rep,
        name="אקמה",
        phone=PHONE,
        mobile=MOBILE,
        city="חיפה",
        custom={"credit_limit": CREDIT, "payment_terms": TERMS, "region": "צפון"},
    )
    # A change of hidden fields only, and one of a seen field, for the timeline.
    account_update(account, actor=admin, data={"phone": "052-555-9999"})
    account_update(account, actor=admin, data={"city": "עכו", "custom": {"credit_limit": 80000}})
    account_update(account, actor=admin, data={"phone": PHONE, "custom": {"credit_limit": CREDIT}})
    _rule(admin, field="phone", hidden_roles=["sales_rep"])
    _rule(admin, field="custom.credit_limit", hidden_roles=["sales_rep"])
    _rule(admin, section="כספים", hidden_roles=["sales_rep"])
    account.refresh_from_db()
    return {"account": account, "rep": rep, "manager": users["manager"], "admin": admin}


# --- the one answer ------------------------------------------------------------------------------


def test_hidden_fields_per_role(world, users):
    accounts = registry.get("accounts")
    assert hidden_fields(accounts, world["rep"]) == HIDDEN
    assert hidden_fields("accounts", users["sales_rep2"]) == HIDDEN  # by role, not by person
    for seeing in (world["manager"], users["support_agent"], world["admin"], None):
        assert hidden_fields(accounts, seeing) == frozenset()
    assert hidden_fields("contacts", world["rep"]) == frozenset()


def test_a_superuser_and_an_inactive_rule_hide_nothing(world, users):
    from kesher.org.models import User

    boss = User.objects.create_superuser("boss", "boss@example.co.il", None)
    assert hidden_fields("accounts", boss) == frozenset()
    FieldRule.objects.filter(field="phone").update(active=False)
    assert hidden_fields("accounts", world["rep"]) == HIDDEN - {"phone"}


def test_a_built_in_section_is_named_in_either_language(users):
    admin = users["admin"]
    rule = _rule(admin, section="פרטי התקשרות", hidden_roles=["read_only"])
    # Stored under its one name, whatever the language it was given in.
    assert rule.section == "Contact details"
    assert section_fields("accounts", "Contact details") == {"phone", "mobile", "email", "website"}
    assert hidden_fields("accounts", users["read_only"]) == {"phone", "mobile", "email", "website"}
    assert hidden_fields("accounts", users["sales_rep"]) == frozenset()


def test_a_new_custom_field_in_a_hidden_section_is_hidden_at_once(world):
    CustomField.objects.create(
        entity="accounts", key="discount", label_he="הנחה", type="integer", section="כספים"
    )
    assert "custom.discount" in hidden_fields("accounts", world["rep"])


# --- the record's page and forms -----------------------------------------------------------------


def test_detail_page_leaves_out_hidden_fields_and_sections(world, client_for):
    url = f"/r/accounts/{world['account'].pk}/"
    rep_page = client_for(world["rep"]).get(url).content.decode()
    manager_page = client_for(world["manager"]).get(url).content.decode()
    for page, sees in ((rep_page, False), (manager_page, True)):
        assert ('data-field="phone"' in page) is sees
        assert (PHONE in page) is sees
        assert ('data-field="custom.credit_limit"' in page) is sees
        assert ("73,519" in page or "73519" in page) is sees
        assert (TERMS in page) is sees
        assert ("כספים" in page) is sees  # the whole section, title included
        assert 'data-field="custom.region"' in page
        assert MOBILE in page  # the rest of its section stays


def test_edit_form_leaves_out_hidden_fields_and_saving_keeps_their_values(world, client_for):
    account = world["account"]
    url = f"/r/accounts/{account.pk}/edit/"
    rep = client_for(world["rep"])
    form = rep.get(url).content.decode()
    assert 'name="phone"' not in form
    assert 'name="cf_credit_limit"' not in form
    assert 'name="cf_payment_terms"' not in form
    assert 'name="cf_region"' in form
    assert 'name="mobile"' in form
    manager_form = client_for(world["manager"]).get(url).content.decode()
    assert 'name="phone"' in manager_form
    assert 'name="cf_payment_terms"' in manager_form
    posted = {
        "kind": account.kind,
        "name": account.name,
        "mobile": MOBILE,
        "city": "נהריה",
        "owner": world["rep"].pk,
        "cf_region": "דרום",
        "version": account.version,
        # Tampered: not on the rep's form, so not taken.
        "phone": "03-9999999",
        "cf_credit_limit": "1",
    }
    response = rep.post(url, posted)
    assert response.status_code == 302, response.content.decode()[:2000]
    account.refresh_from_db()
    assert account.city == "נהריה"
    assert account.custom["region"] == "דרום"
    assert account.phone == "+972525551234"
    assert account.custom["credit_limit"] == CREDIT
    assert account.custom["payment_terms"] == TERMS


def test_new_account_form_leaves_them_out_too(world, client_for):
    page = client_for(world["rep"]).get("/r/accounts/new/").content.decode()
    assert 'name="phone"' not in page
    assert 'name="cf_payment_terms"' not in page
    assert 'name="phone"' in client_for(world["manager"]).get("/r/accounts/new/").content.decode()


# --- lists, the column chooser, filters, sort, saved views, export -------------------------------


def _list(client, **params):
    return client.get("/r/accounts/", params).content.decode()


def test_list_columns_and_the_column_chooser(world, client_for):
    columns = {"columns": "name,phone,custom.credit_limit,custom.payment_terms,city"}
    rep_page = _list(client_for(world["rep"]), **columns)
    manager_page = _list(client_for(world["manager"]), **columns)
    for page, sees in ((rep_page, False), (manager_page, True)):
        assert ('value="phone"' in page) is sees  # the column chooser
        assert ('value="custom.credit_limit"' in page) is sees
        assert ('value="custom.payment_terms"' in page) is sees
        assert (PHONE in page) is sees
        assert ("73,519" in page or "73519" in page) is sees
        assert (TERMS in page) is sees
        assert 'value="custom.region"' in page
        assert "עכו" in page
    # The default columns of accounts include the phone: the rep's list shows the others.
    default = _list(client_for(world["rep"]))
    assert "אקמה" in default
    assert PHONE not in default


def test_a_filter_or_sort_on_a_hidden_field_is_refused_as_unknown(world, client_for):
    probes = [
        {"field": "phone", "op": "starts_with", "value": "+97252"},
        {"field": "custom.credit_limit", "op": "gt", "value": 70000},
        {"field": "custom.payment_terms", "op": "contains", "value": "שוטף"},
    ]
    for probe in probes:
        params = {"filter": json.dumps(probe)}
        rep_page = _list(client_for(world["rep"]), **params)
        assert f"{probe['field']}" in rep_page
        assert "אקמה" not in rep_page
        assert "לא מוכר" in rep_page or "Unknown field" in rep_page
        assert "אקמה" in _list(client_for(world["manager"]), **params)
    # Through a link: a relationship's account's phone.
    other = make_account(world["rep"], name="שותפה")
    link = make_relationship(
        world["admin"], "partner", from_account=world["account"], to_account=other
    )
    row = f'href="/r/relationships/{link.pk}/"'
    probe = json.dumps({"field": "from_account.phone", "op": "starts_with", "value": "+972"})
    rep_rel = client_for(world["rep"]).get("/r/relationships/", {"filter": probe})
    assert row not in rep_rel.content.decode()
    manager_rel = client_for(world["manager"]).get("/r/relationships/", {"filter": probe})
    assert row in manager_rel.content.decode()


def test_sorting_by_a_hidden_field_is_ignored(world, client_for):
    make_account(world["rep"], name="בטא", custom={"credit_limit": 90000})
    make_account(world["rep"], name="גמא", custom={"credit_limit": 10})
    rep_page = _list(client_for(world["rep"]), sort="-custom.credit_limit")
    manager_page = _list(client_for(world["manager"]), sort="-custom.credit_limit")
    # The rep's list keeps its own order (by name); the manager's follows the credit limits.
    assert rep_page.index("אקמה") < rep_page.index("בטא") < rep_page.index("גמא")
    assert manager_page.index("בטא") < manager_page.index("אקמה") < manager_page.index("גמא")


def test_the_filter_builder_offers_no_hidden_field(world, client_for):
    from django.test import RequestFactory

    from kesher.platform.lists.tables import Table

    request = RequestFactory().get("/r/accounts/")
    request.user = world["rep"]
    offered = {
        entry["field"] for entry in Table(registry.get("accounts"), request).builder_fields()
    }
    assert not offered & HIDDEN
    assert {"city", "custom.region"} <= offered
    request.user = world["manager"]
    assert {e["field"] for e in Table(registry.get("accounts"), request).builder_fields()} >= HIDDEN


def test_saved_views_cannot_name_a_hidden_field(world, client_for):
    from kesher.platform.lists.savedviews import saved_view_create

    for data in (
        {"columns": ["name", "phone"]},
        {"sort": "-custom.credit_limit"},
        {"filter": {"field": "custom.payment_terms", "op": "empty"}},
    ):
        with pytest.raises(ValidationError):
            saved_view_create(actor=world["rep"], data={"entity": "accounts", "name": "x", **data})
        saved_view_create(actor=world["manager"], data={"entity": "accounts", "name": "x", **data})
    # A view shared by an administrator shows the rep only what he sees.
    shared = saved_view_create(
        actor=world["admin"],
        data={"entity": "accounts", "name": "כולם", "shared": True, "columns": ["name", "phone"]},
    )
    page = _list(client_for(world["rep"]), view=shared.pk)
    assert "אקמה" in page
    assert PHONE not in page


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_leaves_out_hidden_columns(world, client_for, fmt):
    params = {"columns": "name,phone,mobile,custom.credit_limit,custom.payment_terms"}

    def rows(user):
        response = client_for(user).get(f"/r/accounts/export.{fmt}", params)
        content = b"".join(response.streaming_content)
        if fmt == "csv":
            return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(content), read_only=True).active
        return [[str(c.value or "") for c in row] for row in sheet.iter_rows()]

    rep_text = str(rows(world["rep"]))
    manager_text = str(rows(world["manager"]))
    for text, sees in ((rep_text, False), (manager_text, True)):
        assert (PHONE in text) is sees
        assert (str(CREDIT) in text.replace(",", "")) is sees
        assert (TERMS in text) is sees
        assert MOBILE in text


# --- the API -------------------------------------------------------------------------------------


def test_api_reads_leave_out_hidden_fields(world, api_for):
    pk = world["account"].pk
    for user, sees in ((world["rep"], False), (world["manager"], True)):
        api = api_for(user)
        one = api.get(f"/api/v1/accounts/{pk}/").json()
        listed = api.get("/api/v1/accounts/").json()["results"]
        row = next(r for r in listed if r["id"] == pk)
        for data in (one, row):
            assert ("phone" in data) is sees
            assert ("credit_limit" in data["custom_fields"]) is sees
            assert ("payment_terms" in data["custom_fields"]) is sees
            assert data["custom_fields"]["region"] == "צפון"
            assert data["mobile"] == "+972547778899"


def test_api_writes_to_hidden_fields_are_refused(world, api_for):
    account = world["account"]
    url = f"/api/v1/accounts/{account.pk}/"
    rep = api_for(world["rep"], language="en")
    refused = rep.patch(url, {"phone": "03-9999999"}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"phone": ["Unknown field."]}
    refused = rep.patch(url, {"custom_fields": {"payment_terms": "מזומן"}}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"custom_fields.payment_terms": ["Unknown field."]}
    hebrew = api_for(world["rep"]).post(
        "/api/v1/accounts/", {"name": "חדש", "custom_fields": {"credit_limit": 5}}, format="json"
    )
    assert hebrew.status_code == 400
    assert "custom_fields.credit_limit" in hebrew.json()
    assert not Account.objects.filter(name="חדש").exists()
    # A write of what he sees keeps what he does not, even a whole replacement (PUT).
    saved = rep.patch(url, {"city": "צפת", "custom_fields": {"region": "דרום"}}, format="json")
    assert saved.status_code == 200, saved.content
    whole = {k: v for k, v in saved.json().items() if k not in ("id", "display", "created_at")}
    whole.pop("updated_at")
    assert rep.put(url, whole, format="json").status_code == 200
    account.refresh_from_db()
    assert account.phone == "+972525551234"
    assert account.city == "צפת"
    assert account.custom == {"credit_limit": CREDIT, "payment_terms": TERMS, "region": "דרום"}
    manager = api_for(world["manager"]).patch(url, {"phone": "03-9999999"}, format="json")
    assert manager.status_code == 200
    assert manager.json()["phone"] == "+97239999999"


def test_api_filters_and_sorting_on_hidden_fields(world, api_for):
    probe = json.dumps({"field": "phone", "op": "starts_with", "value": "+972"})
    refused = api_for(world["rep"], language="en").get("/api/v1/accounts/", {"filter": probe})
    assert refused.status_code == 400
    assert "Unknown field: phone" in str(refused.json())
    allowed = api_for(world["manager"]).get("/api/v1/accounts/", {"filter": probe})
    assert [r["id"] for r in allowed.json()["results"]] == [world["account"].pk]
    make_account(world["rep"], name="בטא", custom={"credit_limit": 90000})
    ordering = {"ordering": "-custom.credit_limit"}
    rep = api_for(world["rep"]).get("/api/v1/accounts/", ordering).json()
    manager = api_for(world["manager"]).get("/api/v1/accounts/", ordering).json()
    assert [r["display"] for r in rep["results"]] == ["אקמה", "בטא"]  # by name, as ever
    assert [r["display"] for r in manager["results"]] == ["בטא", "אקמה"]
    # A simple filter on a hidden field filters nothing, as a parameter naming no field.
    _rule(world["admin"], field="city", hidden_roles=["sales_rep"])
    rep_city = api_for(world["rep"]).get("/api/v1/accounts/", {"city": "nowhere"}).json()
    assert len(rep_city["results"]) == 2
    manager_city = api_for(world["manager"]).get("/api/v1/accounts/", {"city": "nowhere"})
    assert manager_city.json()["results"] == []


def test_api_schema_describes_what_the_caller_sees(world, api_for):
    def account_properties(user):
        schema = api_for(user).get("/api/schema/?format=json").json()
        return schema["components"]["schemas"]["Account"]["properties"]

    assert "phone" not in account_properties(world["rep"])
    assert "mobile" in account_properties(world["rep"])
    assert "phone" in account_properties(world["manager"])


# --- bulk update, import targets -----------------------------------------------------------------


def test_bulk_update_neither_offers_nor_takes_a_hidden_field(world, api_for, client_for):
    accounts = registry.get("accounts")
    offered = {name for name, _label in bulk_fields(accounts, world["rep"])}
    assert not offered & HIDDEN
    assert {"city", "custom.region"} <= offered
    assert {name for name, _label in bulk_fields(accounts, world["manager"])} >= HIDDEN
    ids = [world["account"].pk]
    for field in HIDDEN:
        with pytest.raises(ValidationError) as refused:
            bulk_prepare(
                accounts, actor=world["rep"], action="update", field=field, value="1", ids=ids
            )
        assert "field" in refused.value.message_dict
    response = api_for(world["rep"], language="en").post(
        "/api/v1/bulk/accounts/",
        {"action": "update", "field": "phone", "value": "03-9999999", "ids": ids},
        format="json",
    )
    assert response.status_code == 400
    assert "Unknown field: phone" in str(response.json())
    form = client_for(world["rep"]).get("/bulk/accounts/", {"ids": ids}).content.decode()
    assert 'value="phone"' not in form
    assert 'value="city"' in form
    bulk_prepare(
        accounts,
        actor=world["manager"],
        action="update",
        field="phone",
        value="03-9999999",
        ids=ids,
    )
    world["account"].refresh_from_db()
    assert world["account"].phone == "+972525551234"


def test_the_import_wizard_offers_no_hidden_target(world):
    from kesher.imports.mapping import targets_for

    accounts = registry.get("accounts")
    offered = set(targets_for(accounts, world["rep"]))
    assert not offered & HIDDEN
    assert {"mobile", "custom.region"} <= offered
    assert set(targets_for(accounts, world["manager"])) >= HIDDEN


# --- search and the record picker ----------------------------------------------------------------


def _found(user, text, key="accounts"):
    return [obj.pk for _entity, objs in search.search(user, text, entities=[key]) for obj in objs]


def test_search_does_not_find_a_record_by_a_hidden_value(world, client_for):
    pk = world["account"].pk
    rep, manager = world["rep"], world["manager"]
    assert _found(rep, PHONE_DIGITS) == []
    assert _found(manager, PHONE_DIGITS) == [pk]
    assert _found(rep, "שוטף") == []
    assert _found(manager, "שוטף") == [pk]
    # What he sees still finds it: the name, and the mobile beside the hidden phone.
    assert _found(rep, "אקמה") == [pk]
    assert _found(rep, "7778899") == [pk]
    assert _found(rep, "אקמה 7778899") == [pk]
    assert _found(rep, "אקמה 5551234") == []
    page = client_for(rep).get("/search/", {"q": "אקמה"}).content.decode()
    assert "אקמה" in page
    assert PHONE not in page
    assert PHONE in client_for(manager).get("/search/", {"q": "אקמה"}).content.decode()
    assert "אקמה" not in client_for(rep).get("/search/", {"q": PHONE_DIGITS}).content.decode()
    listed = client_for(rep).get("/r/accounts/", {"q": PHONE_DIGITS}).content.decode()
    assert "אקמה" not in listed


def test_search_hides_nothing_when_every_phone_is_hidden_nor_for_others(world, users):
    _rule(world["admin"], field="mobile", hidden_roles=["sales_rep"])
    assert _found(world["rep"], "7778899") == []
    assert _found(world["rep"], "אקמה") == [world["account"].pk]
    assert _found(users["support_agent"], "7778899") == [world["account"].pk]


def test_the_record_picker_does_not_find_by_a_hidden_value(world, client_for):
    url = "/pick/accounts/"
    pick = f'data-pick="{world["account"].pk}"'
    assert pick not in client_for(world["rep"]).get(url, {"q": PHONE_DIGITS}).content.decode()
    assert pick in client_for(world["manager"]).get(url, {"q": PHONE_DIGITS}).content.decode()
    assert pick in client_for(world["rep"]).get(url, {"q": "אקמה"}).content.decode()


# --- the timeline --------------------------------------------------------------------------------


def test_timeline_leaves_out_changes_of_hidden_fields(world, client_for):
    url = f"/r/accounts/{world['account'].pk}/timeline/"
    rep_page = client_for(world["rep"]).get(url).content.decode()
    manager_page = client_for(world["manager"]).get(url).content.decode()
    for page, sees in ((rep_page, False), (manager_page, True)):
        assert ("052-555-9999" in page) is sees
        assert ("80,000" in page) is sees
        assert (TERMS in page) is sees  # in the creation entry
        assert "עכו" in page
    # The updates that changed only hidden fields are not there at all for the rep.
    assert (
        rep_page.count("list-group-item small") == manager_page.count("list-group-item small") - 2
    )
    # The timeline narrowed by its filter to the changes alone, likewise.
    changes = {"kind": "changes"}
    rep_changes = client_for(world["rep"]).get(url, changes)
    assert rep_changes.status_code == 200
    assert "052-555-9999" not in rep_changes.content.decode()
    assert "052-555-9999" in client_for(world["manager"]).get(url, changes).content.decode()


# --- the field rules themselves: validation, names, query counts ----------------------------------


@pytest.mark.parametrize(
    ("data", "key", "english", "hebrew"),
    [
        ({"section": "Nowhere"}, "section", "Unknown section: Nowhere.", "מקטע לא מוכר: Nowhere."),
        (
            {"field": "phone", "hidden_roles": ["sales_rep", "pilot"]},
            "hidden_roles",
            "Unknown role: pilot.",
            "פרופיל הרשאות לא מוכר: pilot.",
        ),
        ({"field": "fax"}, "field", "Unknown field: fax.", "שדה לא מוכר: fax."),
        ({"field": "phone", "section": "Contact details"}, "section", None, None),
        ({"section": "Contact details", "required": True}, "section", None, None),
        ({}, "field", None, None),
    ],
)
def test_bad_visibility_rules_are_refused_naming_the_problem(
    users, api_for, data, key, english, hebrew
):
    body = {"entity": "accounts", "hidden_roles": ["sales_rep"], **data}
    for language, expected in (("en", english), ("he", hebrew)):
        response = api_for(users["admin"], language=language).post(
            "/api/v1/field-rules/", body, format="json"
        )
        assert response.status_code == 400, response.content
        assert key in response.json()
        if expected:
            assert response.json()[key] == [expected]
    assert not FieldRule.objects.exists()


def test_the_rule_form_names_roles_and_offers_sections(world, client_for):
    client = client_for(world["admin"])
    form = client.get("/r/field-rules/new/").content.decode()
    assert 'value="sales_rep"' in form
    assert "איש מכירות" in form
    assert '<option value="כספים">כספים</option>' in form
    assert '<option value="Contact details">פרטי התקשרות</option>' in form
    rule = FieldRule.objects.get(section="כספים")
    page = client.get(f"/r/field-rules/{rule.pk}/").content.decode()
    assert "איש מכירות" in page
    assert "sales_rep" not in page
    listed = client.get("/r/field-rules/").content.decode()
    assert "איש מכירות" in listed


def test_an_administrator_hides_a_section_with_the_generic_form(users, client_for):
    account = make_account(users["sales_rep"], name="דלתא", phone=PHONE)
    response = client_for(users["admin"]).post(
        "/r/field-rules/new/",
        {
            "entity": "accounts",
            "section": "Contact details",
            "required_statuses": "[]",  # as the new-rule form holds it
            "hidden_roles": ["sales_rep"],
            "active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    page = client_for(users["sales_rep"]).get(f"/r/accounts/{account.pk}/").content.decode()
    assert PHONE not in page
    assert "פרטי התקשרות" not in page


@pytest.mark.parametrize("role", ["manager", "sales_rep"])
def test_lists_and_the_api_keep_their_query_counts(
    users, client_for, django_assert_num_queries, role
):
    """A role that hides nothing pays nothing, and one that hides something pays no query
    either: the answer is kept per process."""
    for i in range(5):
        make_account(users["sales_rep"], name=f"חשבון {i}", phone=f"052-555-{i:04d}")
    client = client_for(users[role])
    pages = ["/r/accounts/", "/api/v1/accounts/", "/search/?q=חשבון"]
    counts = {}
    for url in pages:
        client.get(url)  # warms the per-process caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured.captured_queries)
    _rule(users["admin"], field="phone", hidden_roles=["sales_rep"])
    _rule(users["admin"], section="Address", hidden_roles=["sales_rep"])
    for url in pages:
        client.get(url)  # the rules changed: the caches load again once
        with django_assert_num_queries(counts[url], info=url):
            assert client.get(url).status_code == 200
