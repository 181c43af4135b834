"""A contact's accounts with the role at each, read and written on ``/api/v1/contacts/``
(REQ CU-2, issue "Platform v2" item 10): only the accounts the reader may see are listed (with a
count of the others, never their names or ids), and an update never removes a link to an
account its author cannot see (REQ OR-3)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.customers.models import ContactAccount
from kesher.customers.services import contact_link_account, contact_set_accounts
from kesher.customers.tests.factories import make_account, make_contact
from kesher.platform.api.serializers import serializer_for
from kesher.platform.models import AuditEntry
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


def links_of(contact) -> dict:
    return {
        link.account_id: link.role
        for link in ContactAccount.objects.filter(contact=contact).order_by("pk")
    }


@pytest.fixture
def crossed(users):
    """rep1's contact, linked to rep1's account and (by the administrator) to rep2's."""
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    mine = make_account(rep, name="שלי בע״מ")
    theirs = make_account(rep2, name="Secret Partner Ltd")
    contact = make_contact(rep, first_name="דנה", account_links=[{"account": mine, "role": "CFO"}])
    contact_link_account(contact, actor=users["admin"], account=theirs, role="Board member")
    return {"contact": contact, "mine": mine, "theirs": theirs}


def test_create_a_contact_with_its_accounts(users, api_for):
    rep = users["sales_rep"]
    first, second = make_account(rep, name="אלפא"), make_account(rep, name="בטא")
    response = api_for(rep).post(
        CONTACTS,
        {
            "first_name": "דנה",
            "accounts": [
                {"account": first.pk, "role": "מנהלת רכש", "is_primary": True},
                {"account": second.pk},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accounts"] == [
        {"account": first.pk, "account_display": "אלפא", "role": "מנהלת רכש", "is_primary": True},
        {"account": second.pk, "account_display": "בטא", "role": "", "is_primary": False},
    ]
    assert body["hidden_accounts"] == 0
    contact = ContactAccount.objects.get(account=first).contact
    assert links_of(contact) == {first.pk: "מנהלת רכש", second.pk: ""}
    audited = AuditEntry.objects.filter(object_id=contact.pk, changes__has_key="accounts")
    assert audited.count() == 2


def test_a_reader_sees_only_the_accounts_in_his_scope_and_a_count(users, api_for, crossed):
    contact, mine, theirs = crossed["contact"], crossed["mine"], crossed["theirs"]
    response = api_for(users["sales_rep"]).get(f"{CONTACTS}{contact.pk}/")
    body = response.json()
    assert body["accounts"] == [
        {"account": mine.pk, "account_display": "שלי בע״מ", "role": "CFO", "is_primary": False}
    ]
    assert body["hidden_accounts"] == 1
    assert "Secret Partner" not in response.content.decode()
    assert "Board member" not in response.content.decode()
    listed = api_for(users["sales_rep"]).get(CONTACTS).json()["results"]
    assert [(row["id"], row["hidden_accounts"]) for row in listed] == [(contact.pk, 1)]
    assert "Secret Partner" not in str(listed)
    admin = api_for(users["admin"]).get(f"{CONTACTS}{contact.pk}/").json()
    assert {row["account"] for row in admin["accounts"]} == {mine.pk, theirs.pk}
    assert admin["hidden_accounts"] == 0


def test_an_update_keeps_the_links_its_author_cannot_see(users, api_for, crossed):
    contact, mine, theirs = crossed["contact"], crossed["mine"], crossed["theirs"]
    rep = users["sales_rep"]
    other = make_account(rep, name="גמא")
    api = api_for(rep)
    changed = api.patch(
        f"{CONTACTS}{contact.pk}/",
        {"accounts": [{"account": other.pk, "role": "יועצת"}, {"account": mine.pk, "role": "CEO"}]},
        format="json",
    )
    assert changed.status_code == 200, changed.content
    assert [row["account"] for row in changed.json()["accounts"]] == [other.pk, mine.pk]
    assert changed.json()["hidden_accounts"] == 1
    assert links_of(contact) == {mine.pk: "CEO", theirs.pk: "Board member", other.pk: "יועצת"}
    emptied = api.patch(f"{CONTACTS}{contact.pk}/", {"accounts": []}, format="json")
    assert emptied.json()["accounts"] == []
    assert links_of(contact) == {theirs.pk: "Board member"}


def test_an_update_without_accounts_leaves_the_links(users, api_for, crossed):
    contact = crossed["contact"]
    before = links_of(contact)
    api = api_for(users["sales_rep"])
    patched = api.patch(f"{CONTACTS}{contact.pk}/", {"city": "חיפה"}, format="json")
    assert patched.status_code == 200
    replaced = api.put(f"{CONTACTS}{contact.pk}/", {"first_name": "דנה"}, format="json")
    assert replaced.status_code == 200
    assert links_of(contact) == before


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "No such account, or you may not see it."),
        ("he", "אין לקוח כזה, או שאין לך הרשאה לראותו."),
    ],
)
def test_an_account_out_of_scope_is_refused_like_one_that_does_not_exist(
    users, api_for, crossed, language, message
):
    contact, theirs = crossed["contact"], crossed["theirs"]
    before, audits = links_of(contact), AuditEntry.objects.count()
    api = api_for(users["sales_rep"], language)
    answers = []
    for pk in (theirs.pk, theirs.pk + 1000):
        response = api.patch(
            f"{CONTACTS}{contact.pk}/", {"accounts": [{"account": pk}]}, format="json"
        )
        assert response.status_code == 400
        (message_sent,) = response.json()["accounts"]["0"]["account"]
        answers.append(message_sent.replace(str(pk), "<id>"))
    assert answers[0] == answers[1]  # out of scope reads as "does not exist"
    assert "Secret Partner" not in answers[0]
    assert links_of(contact) == before
    assert AuditEntry.objects.count() == audits
    # The service itself refuses it too, whoever calls it.
    with translation.override(language), pytest.raises(ValidationError) as refused:
        contact_set_accounts(contact, actor=users["sales_rep"], links=[{"account": theirs}])
    assert refused.value.message_dict == {"accounts": [message]}
    assert links_of(contact) == before


@pytest.mark.parametrize("language", ["he", "en"])
def test_bad_links_answer_400_by_field_and_write_nothing(users, api_for, crossed, language):
    contact, mine = crossed["contact"], crossed["mine"]
    before, audits = links_of(contact), AuditEntry.objects.count()
    api = api_for(users["sales_rep"], language)
    twice = api.patch(
        f"{CONTACTS}{contact.pk}/",
        {"accounts": [{"account": mine.pk}, {"account": mine.pk, "role": "x"}]},
        format="json",
    )
    assert twice.status_code == 400
    expected = {
        "en": "שלי בע״מ is listed more than once.",
        "he": "שלי בע״מ מופיע ברשימה יותר מפעם אחת.",
    }
    assert twice.json() == {"accounts": [expected[language]]}
    long_role = api.patch(
        f"{CONTACTS}{contact.pk}/",
        {"accounts": [{"account": mine.pk, "role": "x" * 101}]},
        format="json",
    )
    assert long_role.status_code == 400
    assert list(long_role.json()["accounts"]["0"]) == ["role"]
    not_a_list = api.patch(f"{CONTACTS}{contact.pk}/", {"accounts": {"a": 1}}, format="json")
    assert not_a_list.status_code == 400
    assert links_of(contact) == before
    assert AuditEntry.objects.count() == audits


def test_a_payload_made_by_the_system_carries_every_link(users, crossed):
    """A webhook's payload is the record as the API shows it, with no reader: whole."""
    data = serializer_for(registry.get("contacts"))(crossed["contact"], context={}).data
    assert {row["account"] for row in data["accounts"]} == {
        crossed["mine"].pk,
        crossed["theirs"].pk,
    }
    assert data["hidden_accounts"] == 0
