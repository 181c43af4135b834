"""The duplicate warning when creating a record: page and API (REQ IM-3)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.models import Account, Contact
from kesher.customers.tests.factories import (
    VALID_COMPANY_NUMBER,
    VALID_ISRAELI_ID,
    make_account,
    make_contact,
)
from kesher.dedupe.specs import find_candidates, spec_for

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
ACCOUNTS = "/api/v1/accounts/"


def find(user, key, **data):
    return find_candidates(spec_for(key), user, data)


def test_shared_phone_in_any_format_is_found(users):
    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="דנה", last_name="כהן", mobile="052-555-1234")
    found = find(rep, "contacts", first_name="יעל", last_name="לוי", phone="+972 52 5551234")
    assert [c["id"] for c in found] == [dana.pk]
    assert found[0]["reasons"] == ["phone"]


def test_email_case_and_israeli_id(users):
    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="דנה", email="Dana@Example.co.il")
    moshe = make_contact(rep, first_name="משה", israeli_id=VALID_ISRAELI_ID)
    assert [c["id"] for c in find(rep, "contacts", first_name="x", email="dana@example.CO.IL")] == [
        dana.pk
    ]
    found = find(rep, "contacts", first_name="y", israeli_id="3933742-3")
    assert [c["id"] for c in found] == [moshe.pk]
    assert found[0]["score"] == 100


def test_similar_name_with_niqqud_and_final_letters(users):
    rep = users["sales_rep"]
    shalom = make_contact(rep, first_name="שלום", last_name="כהן", city="חיפה")
    found = find(rep, "contacts", first_name="שָׁלוֹם", last_name="כֹּהֵן", city="חיפה")
    assert [c["id"] for c in found] == [shalom.pk]
    assert found[0]["reasons"] == ["name"]


def test_same_name_in_another_city_is_not_a_candidate(users):
    rep = users["sales_rep"]
    make_contact(rep, first_name="שלום", last_name="כהן", city="חיפה")
    assert find(rep, "contacts", first_name="שלום", last_name="כהן", city="אילת") == []


def test_company_suffix_and_number(users):
    rep = users["sales_rep"]
    alpha = make_account(rep, name='אלפא מערכות בע"מ', company_number=VALID_COMPANY_NUMBER)
    by_name = find(rep, "accounts", name="אלפא מערכות")
    assert [c["id"] for c in by_name] == [alpha.pk]
    by_number = find(rep, "accounts", name="משהו אחר", company_number="51-617915-7")
    assert by_number[0]["reasons"] == ["company_number"]


def test_unrelated_names_are_not_candidates(users):
    rep = users["sales_rep"]
    make_contact(rep, first_name="דנה", last_name="כהן")
    assert find(rep, "contacts", first_name="דני", last_name="כרמלי") == []


def test_candidates_outside_the_actors_scope_are_never_named(users, api_for):
    """A rep sees only his own contacts: another rep's matching contact is not named, and the
    create goes through (REQ OR-3)."""
    make_contact(users["sales_rep2"], first_name="סוד", last_name="כמוס", phone="0525551234")
    assert find(users["sales_rep"], "contacts", first_name="סוד", last_name="כמוס") == []
    response = api_for(users["sales_rep"]).post(
        CONTACTS, {"first_name": "סוד", "last_name": "כמוס", "phone": "0525551234"}, format="json"
    )
    assert response.status_code == 201
    assert "כמוס" not in str(response.data.get("duplicates", ""))


def test_api_create_answers_409_with_candidates_and_writes_nothing(users, api_for):
    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="דנה", last_name="כהן", email="dana@example.co.il")
    before = Contact.objects.count()
    response = api_for(rep).post(
        CONTACTS,
        {"first_name": "דנה", "last_name": "כהן", "email": "DANA@example.co.il"},
        format="json",
    )
    assert response.status_code == 409
    assert response.data["duplicates"][0]["id"] == dana.pk
    assert set(response.data["duplicates"][0]["reasons"]) == {"email", "name"}
    assert response.data["detail"]
    assert Contact.objects.count() == before


def test_api_force_creates_anyway(users, api_for):
    rep = users["sales_rep"]
    make_contact(rep, first_name="דנה", last_name="כהן", email="dana@example.co.il")
    response = api_for(rep).post(
        f"{CONTACTS}?force=true",
        {"first_name": "דנה", "last_name": "כהן", "email": "dana@example.co.il"},
        format="json",
    )
    assert response.status_code == 201
    assert Contact.objects.filter(first_name="דנה").count() == 2


def test_api_bad_input_is_still_400_before_the_duplicate_check(users, api_for):
    make_contact(users["admin"], first_name="דנה", phone="0525551234")
    response = api_for(users["admin"], "en").post(
        CONTACTS, {"first_name": "", "phone": "0525551234"}, format="json"
    )
    assert response.status_code == 400
    assert "first_name" in response.data


def test_api_409_in_english(users, api_for):
    make_account(users["admin"], name="Alpha Systems Ltd")
    response = api_for(users["admin"], "en").post(
        ACCOUNTS, {"name": "Alpha Systems"}, format="json"
    )
    assert response.status_code == 409
    assert response.data["detail"].startswith("Records like this one")
    assert Account.objects.count() == 1


def test_page_warns_then_creates_when_confirmed(users, client_for):
    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="דנה", last_name="כהן", phone="0525551234")
    client = client_for(rep)
    data = {"first_name": "דנה", "last_name": "כהן", "phone": "052-555-1234"}
    warned = client.post("/r/contacts/new/", data)
    assert warned.status_code == 200
    page = warned.content.decode()
    assert 'id="duplicate-warning"' in page
    assert f'href="/r/contacts/{dana.pk}/"' in page
    assert 'name="create_anyway"' in page
    assert Contact.objects.count() == 1
    created = client.post("/r/contacts/new/", {**data, "create_anyway": "1"})
    assert created.status_code == 302
    assert Contact.objects.count() == 2


def test_page_without_duplicates_creates_at_once(users, client_for):
    response = client_for(users["sales_rep"]).post(
        "/r/contacts/new/", {"first_name": "חדש", "last_name": "לגמרי"}
    )
    assert response.status_code == 302
    assert Contact.objects.count() == 1


def test_hostile_name_is_escaped_in_the_warning(users, client_for):
    make_contact(users["admin"], first_name="<script>x</script>", phone="0525551234")
    response = client_for(users["admin"]).post(
        "/r/contacts/new/", {"first_name": "other", "phone": "0525551234"}
    )
    page = response.content.decode()
    assert "<script>x</script>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page


def test_openapi_documents_force_and_409(api_schema):
    schema = api_schema()
    create = schema["paths"]["/api/v1/contacts/"]["post"]
    assert any(p["name"] == "force" for p in create["parameters"])
    assert "/api/v1/merge/{key}/" in schema["paths"]


def test_first_and_last_name_swapped_are_found(users):
    rep = users["sales_rep"]
    moshe = make_contact(rep, first_name="משה", last_name="כהן", city="חיפה")
    found = find(rep, "contacts", first_name="כהן", last_name="משה", city="חיפה")
    assert [c["id"] for c in found] == [moshe.pk]
    assert found[0]["score"] == 100


def test_latin_names_whatever_their_case_and_a_record_without_a_city(users):
    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="Dana", last_name="Cohen")
    found = find(rep, "contacts", first_name="dana", last_name="COHEN", city="Haifa")
    assert [c["id"] for c in found] == [dana.pk]


def test_a_one_letter_difference_inside_the_prefix_window_is_found(users):
    """Candidates start with the typed name's first letters; the comparison is fuzzy after."""
    rep = users["sales_rep"]
    avraham = make_contact(rep, first_name="אברהם", last_name="גולדשטיין", city="חיפה")
    found = find(rep, "contacts", first_name="אברהם", last_name="גולדשטין", city="חיפה")
    assert [c["id"] for c in found] == [avraham.pk]


def test_a_short_last_name_stored_with_its_final_letter(users):
    """ "כהן" normalises to "כהנ"; the stored value keeps its final letter and is found."""
    rep = users["sales_rep"]
    dan = make_contact(rep, first_name="דן", last_name="כץ", city="חיפה")
    assert [c["id"] for c in find(rep, "contacts", first_name="דן", last_name="כץ")] == [dan.pk]


def test_nothing_found_is_one_statement_and_every_key_is_looked_up(
    users, django_assert_num_queries
):
    """The check of a new record reads keys and name candidates in one statement."""
    rep = users["sales_rep"]
    make_contact(rep, first_name="דנה", last_name="כהן", email="dana@example.co.il")
    data = {
        "first_name": "יעל",
        "last_name": "לוי",
        "city": "חיפה",
        "email": "yael@example.co.il",
        "phone": "03-5551234",
        "mobile": "052-5551234",
        "israeli_id": VALID_ISRAELI_ID,
    }
    spec = spec_for("contacts")
    with django_assert_num_queries(1) as captured:
        assert find_candidates(spec, rep, data) == []
    sql = captured.captured_queries[0]["sql"]
    for value in ("yael@example.co.il", "+97235551234", "+972525551234", "039337423"):
        assert value in sql


def test_an_email_stored_lower_case_is_compared_by_equality(users):
    """``LowercaseEmailField`` stores lower case: the check asks ``email IN (…)``, which the
    column's index answers, never a case-insensitive scan."""
    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="דנה", email="Dana@Example.co.il")
    with CaptureQueriesContext(connection) as captured:
        found = find(rep, "contacts", first_name="אחר", email=" DANA@example.co.il ")
    assert [c["id"] for c in found] == [dana.pk]
    first = captured.captured_queries[0]["sql"]
    assert '"email" IN (' in first
    assert "LIKE 'dana" not in first
    assert "UPPER(" not in first
