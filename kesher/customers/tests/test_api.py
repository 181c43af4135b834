"""Customers through the REST API: CRUD, bad input answered by field with nothing written,
both languages, optimistic concurrency (REQ CU-1, CU-2, CU-5, CX-3, CX-4; DESIGN.md "API
conventions")."""

import pytest

from kesher.customers.models import Account, Contact, Relationship
from kesher.customers.tests.factories import (
    INVALID_COMPANY_NUMBER,
    INVALID_ISRAELI_ID,
    VALID_COMPANY_NUMBER,
    VALID_ISRAELI_ID,
    choice,
    make_account,
    make_contact,
    make_relationship,
)
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/v1/accounts/"


def row_counts():
    return Account.objects.count(), AuditEntry.objects.count()


def has_hebrew(text: str) -> bool:
    return any("\u0590" <= ch <= "\u05ff" for ch in text)


# --- Create, read, update, delete -----------------------------------------------------------


def test_account_create_read_update_delete(users, api_for):
    api = api_for(users["admin"])
    created = api.post(
        ACCOUNTS,
        {
            "name": "אקמה בע״מ",
            "phone": "052-555-1234",
            "mobile": "+972 54 1234567",
            "company_number": "51-617915-7",
            "status": choice("account_status", "active").pk,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["phone"] == "+972525551234"
    assert body["mobile"] == "+972541234567"
    assert body["company_number"] == VALID_COMPANY_NUMBER
    assert body["owner"] == users["admin"].pk
    assert body["version"] == 1
    pk = body["id"]

    listed = api.get(ACCOUNTS).json()
    assert listed["count"] == 1
    assert [r["id"] for r in listed["results"]] == [pk]

    read = api.get(f"{ACCOUNTS}{pk}/")
    assert read.status_code == 200
    assert read["ETag"] == '"1"'

    changed = api.patch(f"{ACCOUNTS}{pk}/", {"city": "נתניה"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["city"] == "נתניה"
    assert changed.json()["version"] == 2

    deleted = api.delete(f"{ACCOUNTS}{pk}/")
    assert deleted.status_code == 204
    assert not Account.objects.filter(pk=pk).exists()
    assert AuditEntry.objects.filter(object_id=pk, action="delete").exists()
    assert api.get(f"{ACCOUNTS}{pk}/").status_code == 404


def test_private_person_with_israeli_id(users, api_for):
    response = api_for(users["admin"]).post(
        ACCOUNTS,
        {"name": "ישראל ישראלי", "kind": "person", "israeli_id": "3933742-3"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["israeli_id"] == VALID_ISRAELI_ID


def test_account_with_companies_and_tags(users, api_for):
    from kesher.customers.tests.factories import make_company
    from kesher.platform.models import Tag

    company = make_company(users["admin"])
    tag = Tag.objects.create(name="VIP")
    response = api_for(users["admin"]).post(
        ACCOUNTS, {"name": "Acme", "companies": [company.pk], "tags": [tag.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    account = Account.objects.get(pk=response.json()["id"])
    assert list(account.companies.all()) == [company]
    assert list(account.tags.all()) == [tag]


# --- Bad input: 400 naming the field, nothing written ---------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"israeli_id": INVALID_ISRAELI_ID}, "israeli_id"),
        ({"company_number": INVALID_COMPANY_NUMBER}, "company_number"),
        ({"phone": "phone me maybe"}, "phone"),
        ({"mobile": "1" * 30}, "mobile"),
        ({"email": "nobody-at-example"}, "email"),
        ({"club_member": "maybe"}, "club_member"),
        ({"club_joined_on": "yesterday"}, "club_joined_on"),
        ({"kind": "robot"}, "kind"),
        ({"shoe_size": 44}, "shoe_size"),
        ({"owner": 999999}, "owner"),
        ({"status": 999999}, "status"),
        ({"companies": [999999]}, "companies"),
        ({"name": "א" * 201}, "name"),
        ({"city": "x" * 101}, "city"),
        ({"name": ""}, "name"),
        ({"kind": "person", "company_number": VALID_COMPANY_NUMBER}, "company_number"),
        ({"club_joined_on": "2024-05-01"}, "club_joined_on"),
    ],
)
def test_bad_account_input_answers_400_by_field_and_writes_nothing(users, api_for, body, field):
    before = row_counts()
    response = api_for(users["admin"], "en").post(ACCOUNTS, {"name": "Acme", **body}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert row_counts() == before


def test_pick_list_value_of_another_list_or_inactive_is_refused(users, api_for):
    api = api_for(users["admin"], "en")
    wrong_list = api.post(
        ACCOUNTS, {"name": "Acme", "status": choice("industry", "tech").pk}, format="json"
    )
    assert wrong_list.status_code == 400
    assert "status" in wrong_list.json()

    retired = choice("industry", "retail")
    retired.active = False
    retired.save(update_fields=["active"])
    inactive = api.post(ACCOUNTS, {"name": "Acme", "industry": retired.pk}, format="json")
    assert inactive.status_code == 400
    assert "industry" in inactive.json()
    assert not Account.objects.exists()


def test_inactive_user_cannot_be_chosen_as_owner(users, api_for):
    response = api_for(users["admin"], "en").post(
        ACCOUNTS, {"name": "Acme", "owner": users["inactive"].pk}, format="json"
    )
    assert response.status_code == 400
    assert "owner" in response.json()
    assert not Account.objects.exists()


def test_bad_update_changes_nothing(users, api_for):
    account = make_account(users["admin"], name="Acme", phone="0525551234")
    audit_before = AuditEntry.objects.count()
    response = api_for(users["admin"], "en").patch(
        f"{ACCOUNTS}{account.pk}/", {"city": "חיפה", "phone": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert "phone" in response.json()
    account.refresh_from_db()
    assert (account.city, account.phone, account.version) == ("", "+972525551234", 1)
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.parametrize(
    ("body", "field", "english"),
    [
        ({"email": "nobody-at-example"}, "email", "Enter a valid email address."),
        ({"israeli_id": INVALID_ISRAELI_ID}, "israeli_id", "Enter a valid Israeli ID number."),
        ({"phone": "nope"}, "phone", "Enter a valid phone number."),
        ({"name": "x" * 250}, "name", "Ensure this value has at most 200 characters (it has 250)."),
    ],
)
def test_errors_are_in_the_request_language(users, api_for, body, field, english):
    in_english = api_for(users["admin"], "en").post(
        ACCOUNTS, {"name": "Acme", **body}, format="json"
    )
    in_hebrew = api_for(users["admin"], "he").post(
        ACCOUNTS, {"name": "Acme", **body}, format="json"
    )
    assert in_english.status_code == in_hebrew.status_code == 400
    assert in_english.json()[field] == [english]
    (hebrew,) = in_hebrew.json()[field]
    assert has_hebrew(hebrew), hebrew
    assert not Account.objects.exists()


# --- Hostile text ----------------------------------------------------------------------------


def test_markup_and_sql_looking_text_are_stored_verbatim(users, api_for):
    api = api_for(users["admin"])
    name = "<script>alert('x')</script>"
    notes = "Robert'); DROP TABLE customers_account;--"
    response = api.post(ACCOUNTS, {"name": name, "notes": notes}, format="json")
    assert response.status_code == 201, response.content
    account = Account.objects.get(pk=response.json()["id"])
    assert (account.name, account.notes) == (name, notes)
    assert response["Content-Type"].startswith("application/json")


def test_nul_and_bidi_controls_are_stripped(users, api_for):
    response = api_for(users["admin"]).post(
        ACCOUNTS,
        {"name": "Ac\x00me\u202e", "city": "\u2067תל אביב\u2069", "notes": "a\u200bb"},
        format="json",
    )
    assert response.status_code == 201, response.content
    account = Account.objects.get(pk=response.json()["id"])
    assert (account.name, account.city, account.notes) == ("Acme", "תל אביב", "ab")


# --- Concurrency: If-Match / ETag and body version ------------------------------------------


def test_fresh_if_match_with_put_answers_200_and_a_new_etag(users, api_for):
    account = make_account(users["admin"], name="Acme")
    api = api_for(users["admin"])
    etag = api.get(f"{ACCOUNTS}{account.pk}/")["ETag"]
    response = api.put(
        f"{ACCOUNTS}{account.pk}/",
        {"name": "Acme 2", "city": "לוד"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert response.json()["name"] == "Acme 2"


def test_patch_without_a_real_change_keeps_the_version_and_etag(users, api_for):
    account = make_account(users["admin"], city="חיפה")
    api = api_for(users["admin"])
    response = api.patch(
        f"{ACCOUNTS}{account.pk}/", {"city": "חיפה"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1
    assert not AuditEntry.objects.filter(object_id=account.pk, action="update").exists()


def test_stale_body_version_answers_409(users, api_for):
    account = make_account(users["admin"], city="חיפה")
    api = api_for(users["admin"], "en")
    assert (
        api.patch(f"{ACCOUNTS}{account.pk}/", {"city": "אילת", "version": 1}, format="json")
    ).status_code == 200
    stale = api.patch(f"{ACCOUNTS}{account.pk}/", {"city": "עכו", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    assert "version" in stale.json()
    account.refresh_from_db()
    assert account.city == "אילת"


def test_stale_if_match_on_delete_answers_412_and_keeps_the_record(users, api_for):
    account = make_account(users["admin"])
    api = api_for(users["admin"])
    api.patch(f"{ACCOUNTS}{account.pk}/", {"city": "אילת"}, format="json")
    response = api.delete(f"{ACCOUNTS}{account.pk}/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert Account.objects.filter(pk=account.pk).exists()


# --- Contacts and relationships (REQ CU-2, CU-5) --------------------------------------------


def test_contact_through_the_api(users, api_for):
    api = api_for(users["admin"])
    response = api.post(
        "/api/v1/contacts/",
        {"first_name": "רות", "last_name": "לוי", "mobile": "054 123 4567", "israeli_id": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert "israeli_id" in response.json()
    assert not Contact.objects.exists()
    response = api.post(
        "/api/v1/contacts/",
        {"first_name": "רות", "last_name": "לוי", "mobile": "054 123 4567"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["mobile"] == "+972541234567"
    assert response.json()["display"] == "רות לוי"


def test_relationship_through_the_api(users, api_for):
    admin = users["admin"]
    a, b = make_account(admin), make_account(admin)
    api = api_for(admin, "en")
    body = {
        "from_account": a.pk,
        "to_account": b.pk,
        "type": choice("relationship_type", "parent").pk,
    }
    assert api.post("/api/v1/relationships/", body, format="json").status_code == 201
    duplicate = api.post("/api/v1/relationships/", body, format="json")
    assert duplicate.status_code == 400
    assert "type" in duplicate.json()
    itself = api.post("/api/v1/relationships/", {**body, "to_account": a.pk}, format="json")
    assert itself.status_code == 400
    assert "to_account" in itself.json()
    wrong_type = api.post(
        "/api/v1/relationships/",
        {**body, "type": choice("industry", "tech").pk, "to_account": a.pk},
        format="json",
    )
    assert wrong_type.status_code == 400
    assert "type" in wrong_type.json()
    assert Relationship.objects.count() == 1


def test_relationship_list_shows_only_those_of_visible_records(users, api_for):
    rep1, rep2 = users["sales_rep"], users["sales_rep2"]
    mine, other = make_account(rep1), make_account(rep2)
    theirs = make_account(rep2)
    make_relationship(rep1, "partner", from_account=mine, to_account=other)
    make_relationship(rep2, "partner", from_account=theirs, to_account=other)
    results = api_for(rep1).get("/api/v1/relationships/").json()["results"]
    assert [(r["from_account"], r["to_account"]) for r in results] == [(mine.pk, other.pk)]


def test_contact_search_parameter(users, api_for):
    make_contact(users["admin"], first_name="שָׁלוֹם", last_name="כהן", phone="0525551234")
    make_contact(users["admin"], first_name="Other", phone="0520000000")
    api = api_for(users["admin"])
    for text in ("שלום", "כה", "555-1234"):
        results = api.get("/api/v1/contacts/", {"search": text}).json()["results"]
        assert [r["last_name"] for r in results] == ["כהן"], text


def test_create_answers_its_tags_without_reading_them_back(users, api_for):
    """A record just created has only the tags the request sent: the response shows them, and
    reads none back when none were sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.platform.models import Tag

    api = api_for(users["admin"])
    api.post("/api/v1/contacts/?force=true", {"first_name": "חימום"}, format="json")
    with CaptureQueriesContext(connection) as seen:
        plain = api.post("/api/v1/contacts/?force=true", {"first_name": "דנה"}, format="json")
    assert plain.status_code == 201, plain.json()
    assert plain.json()["tags"] == []
    assert not [q for q in seen.captured_queries if 'FROM "platform_tag"' in q["sql"]]
    vip = Tag.objects.create(name="VIP")
    tagged = api.post(
        "/api/v1/contacts/?force=true", {"first_name": "רון", "tags": [vip.pk]}, format="json"
    )
    assert tagged.status_code == 201, tagged.json()
    assert tagged.json()["tags"] == [vip.pk]
    assert list(Contact.objects.get(pk=tagged.json()["id"]).tags.all()) == [vip]


def test_create_without_accounts_answers_none_without_reading_links(users, api_for):
    """A contact created without ``accounts`` has no links: the 201 says so and reads none;
    one created with them answers them as read back (issue 26 item 5: the API create)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = api_for(users["admin"])
    api.post("/api/v1/contacts/", {"first_name": "חימום"}, format="json")
    with CaptureQueriesContext(connection) as seen:
        plain = api.post("/api/v1/contacts/", {"first_name": "דנה"}, format="json")
    assert plain.status_code == 201, plain.json()
    assert plain.json()["accounts"] == []
    assert plain.json()["hidden_accounts"] == 0
    assert not [q for q in seen.captured_queries if "customers_contactaccount" in q["sql"]]
    account = make_account(users["admin"], name="אלפא")
    linked = api.post(
        "/api/v1/contacts/",
        {"first_name": "רון", "accounts": [{"account": account.pk, "role": "מנכ״ל"}]},
        format="json",
    )
    assert linked.status_code == 201, linked.json()
    assert [a["account"] for a in linked.json()["accounts"]] == [account.pk]
