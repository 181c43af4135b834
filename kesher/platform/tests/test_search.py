"""The global search index: Hebrew-aware name prefixes, emails, phone suffixes typed any way,
scoped by ``visible_to``, kept current on update and delete (DESIGN.md "Search", REQ OR-3)."""

import pytest
from django.db import connection

from kesher.customers.services import account_update
from kesher.customers.tests.factories import make_account, make_contact
from kesher.platform.models import SearchToken
from kesher.platform.records import search
from kesher.platform.records.services import record_delete, record_update
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


def found(user, text, entity=None):
    """Names of the records ``text`` finds for ``user``, by entity key."""
    return {
        entity.key: sorted(str(obj) for obj in objs)
        for entity, objs in search.search(user, text, entities=[entity] if entity else None)
    }


@pytest.fixture
def shalom(users):
    return make_account(
        users["sales_rep"],
        name="שָׁלוֹם מַעֲרָכוֹת",
        phone="052-555-1234",
        email="Office@Shalom.co.il",
        city="תל אביב",
    )


@pytest.mark.parametrize(
    "text",
    [
        "שלום",  # without niqqud, with a final letter
        "שלו",  # a prefix, cut where the final letter would stand
        "שָׁלוֹם",  # with niqqud
        "מערכות",
        "מער",
        "שלום מערכות",  # every term must match
        "תל",
    ],
)
def test_hebrew_name_prefix(users, shalom, text):
    assert found(users["admin"], text, "accounts") == {"accounts": [shalom.name]}


@pytest.mark.parametrize("text", ["office@shalom.co.il", "OFFICE@shalom", "office@"])
def test_email_prefix_any_case(users, shalom, text):
    assert found(users["admin"], text, "accounts") == {"accounts": [shalom.name]}


@pytest.mark.parametrize(
    "text",
    [
        "5551234",
        "555-1234",
        "1234",
        "052 555 1234",
        "0525551234",
        "+972 52-555-1234",
        "972525551234",
    ],
)
def test_phone_suffix_typed_any_way(users, shalom, text):
    assert found(users["admin"], text, "accounts") == {"accounts": [shalom.name]}


def test_a_phone_is_one_token_found_by_its_national_form_too(users, shalom):
    """Each phone is indexed once, as its international digits reversed; a national number
    typed with its leading 0 is looked up as the international one (decision 0054), and a 0
    inside a number is still a 0."""
    phones = SearchToken.objects.filter(entity="accounts", object_id=shalom.pk, kind=3)
    assert list(phones.values_list("token", flat=True)) == ["432155525279"]
    inner_zero = make_account(users["admin"], name="אפס", phone="03-6051234")
    for text in ("051234", "03-6051234", "036051234"):
        assert found(users["admin"], text, "accounts") == {"accounts": [inner_zero.name]}


@pytest.mark.parametrize("text", ["שלומי", "מערכת מידע", "5551235", "other@shalom.co.il", "חיפה"])
def test_non_matching_text_finds_nothing(users, shalom, text):
    assert found(users["admin"], text, "accounts") == {}


def test_final_letter_in_the_typed_text_matches_the_folded_token(users):
    account = make_account(users["admin"], name="כהן ושות׳")
    assert found(users["admin"], "כהן", "accounts") == {"accounts": [account.name]}
    assert found(users["admin"], "ושות", "accounts") == {"accounts": [account.name]}


def test_contacts_and_accounts_are_found_together(users, shalom):
    make_contact(users["sales_rep"], first_name="שלום", last_name="לוי", mobile="0501234567")
    assert found(users["admin"], "שלום") == {
        "accounts": [shalom.name],
        "contacts": ["שלום לוי"],
    }


def test_results_respect_visible_to(users, shalom):
    other = make_account(users["sales_rep2"], name="שלום בית", phone="03-5551234")
    assert found(users["sales_rep"], "שלום", "accounts") == {"accounts": [shalom.name]}
    assert found(users["sales_rep2"], "שלום", "accounts") == {"accounts": [other.name]}
    assert found(users["sales_rep2"], "555-1234", "accounts") == {"accounts": [other.name]}
    assert found(users["admin"], "שלום", "accounts") == {
        "accounts": sorted([shalom.name, other.name])
    }


@pytest.mark.parametrize("text", ["כהן", "כהן דוד"])
def test_a_reps_own_matches_are_not_hidden_behind_other_peoples(
    users, monkeypatch, text, api_for, client_for
):
    """The candidate cap is taken among the records the reader sees: more of other people's
    matches than the cap, all met first in the index, still leave a rep's own (issue 26)."""
    monkeypatch.setattr(search, "CANDIDATES", 3)
    for n in range(5):
        make_contact(users["sales_rep2"], first_name="דוד", last_name="כהן", email=f"d{n}@x.il")
    mine = make_contact(users["sales_rep"], first_name="דוד", last_name="כהן", email="me@x.il")
    assert [
        obj.pk for _entity, objs in search.search(users["sales_rep"], text) for obj in objs
    ] == [mine.pk]
    assert len(search.search(users["admin"], text, entities=["contacts"])[0][1]) == 3
    # A list's search box and the API's ?search= take their candidates the same way.
    contacts = registry.get("contacts")
    assert search.matching_ids(users["sales_rep"], contacts, text) == {mine.pk}
    api = api_for(users["sales_rep"]).get("/api/v1/contacts/", {"search": text})
    assert [row["id"] for row in api.json()["results"]] == [mine.pk]
    page = client_for(users["sales_rep"]).get("/r/contacts/", {"q": text})
    assert f"/r/contacts/{mine.pk}/" in page.content.decode()


def test_updating_a_phone_reindexes_the_record(users, shalom):
    account_update(shalom, actor=users["admin"], data={"phone": "03-7654321", "mobile": ""})
    assert found(users["admin"], "5551234", "accounts") == {}
    assert found(users["admin"], "7654321", "accounts") == {"accounts": [shalom.name]}
    # Words are unchanged by the phone update.
    assert found(users["admin"], "שלום", "accounts") == {"accounts": [shalom.name]}


def test_renaming_reindexes_the_name(users, shalom):
    account_update(shalom, actor=users["admin"], data={"name": "אור תעשיות"})
    assert found(users["admin"], "שלום", "accounts") == {}
    assert found(users["admin"], "תעשיות", "accounts") == {"accounts": ["אור תעשיות"]}


def _tokens(record):
    return set(
        SearchToken.objects.filter(entity="accounts", object_id=record.pk).values_list(
            "pk", "kind", "token"
        )
    )


def test_a_change_of_no_searched_field_writes_no_token(users, shalom):
    """A change the index does not hold (the account's website) leaves its tokens as they
    are, row for row: no DELETE and INSERT of the same tokens (issue 15 "Performance")."""
    before = _tokens(shalom)
    captured = []

    def spy(run, sql, *args):
        captured.append(sql)
        return run(sql, *args)

    with connection.execute_wrapper(spy):
        account_update(shalom, actor=users["admin"], data={"website": "https://shalom.example"})
    assert not [sql for sql in captured if "platform_searchtoken" in sql]
    assert _tokens(shalom) == before


def test_a_changed_field_is_reindexed_and_the_others_are_not_rewritten(users, shalom):
    """Renaming rewrites the name's words only; the phone's and e-mail's rows stay (their
    ids unchanged), and a word the new name shares with the old one stays too."""
    before = _tokens(shalom)
    account_update(shalom, actor=users["admin"], data={"name": "שלום תעשיות"})
    after = _tokens(shalom)
    kept = {(kind, token) for _pk, kind, token in before & after}
    assert {
        (SearchToken.Kind.EMAIL, "office@shalom.co.il"),
        (SearchToken.Kind.WORD, "שלומ"),
    } <= kept
    assert {token for _pk, _kind, token in after - before} == {"תעשיות"}
    assert {token for _pk, _kind, token in before - after} == {"מערכות"}
    assert found(users["admin"], "מערכות", "accounts") == {}
    assert found(users["admin"], "תעשיות", "accounts") == {"accounts": ["שלום תעשיות"]}
    assert found(users["admin"], "5551234", "accounts") == {"accounts": ["שלום תעשיות"]}


def test_a_word_another_field_still_holds_stays_found(users):
    """A token given by two fields stays while one of them still gives it."""
    contact = make_contact(users["sales_rep"], first_name="לוי", last_name="לוי")
    contact = record_update(contact, actor=users["admin"], data={"first_name": "משה"})
    assert found(users["admin"], "לוי", "contacts") == {"contacts": ["משה לוי"]}
    assert found(users["admin"], "משה", "contacts") == {"contacts": ["משה לוי"]}
    rows = SearchToken.objects.filter(entity="contacts", object_id=contact.pk, token="לוי")
    assert rows.count() == 1


def test_deleting_unindexes_the_record(users, shalom):
    pk = shalom.pk
    record_delete(shalom, actor=users["admin"])
    assert not SearchToken.objects.filter(entity="accounts", object_id=pk).exists()
    assert found(users["admin"], "שלום") == {}


def test_global_search_page_and_htmx_partial(users, client_for, shalom):
    client = client_for(users["admin"])
    page = client.get("/search/", {"q": "555-1234"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html
    assert shalom.name in html
    assert f'href="/r/accounts/{shalom.pk}/"' in html

    partial = client.get("/search/", {"q": "שלום"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    fragment = partial.content.decode()
    assert "<html" not in fragment
    assert shalom.name in fragment

    nothing = client.get("/search/", {"q": "זזזז"}, HTTP_HX_REQUEST="true").content.decode()
    assert shalom.name not in nothing


def test_global_search_page_is_scoped_to_the_user(users, client_for, shalom):
    html = client_for(users["sales_rep2"]).get("/search/", {"q": "שלום"}).content.decode()
    assert shalom.name not in html
    assert f"/r/accounts/{shalom.pk}/" not in html


def test_list_page_search_box(users, client_for, shalom):
    make_account(users["sales_rep"], name="Other Ltd")
    html = client_for(users["sales_rep"]).get("/r/accounts/", {"q": "555 1234"}).content.decode()
    assert shalom.name in html
    assert "Other Ltd" not in html


def test_record_picker_suggests_visible_records_only(users, client_for, shalom):
    mine = client_for(users["sales_rep"]).get("/pick/accounts/", {"q": "שלו", "target": "x"})
    assert f'data-pick="{shalom.pk}"' in mine.content.decode()
    theirs = client_for(users["sales_rep2"]).get("/pick/accounts/", {"q": "שלו", "target": "x"})
    assert f'data-pick="{shalom.pk}"' not in theirs.content.decode()
