"""Customers' services: accounts, contacts in several accounts, relationships, pick-lists,
versions (REQ CU-1, CU-2, CU-5, CX-3, CX-4)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.customers.models import Account, Contact, ContactAccount, Relationship
from kesher.customers.services import (
    account_create,
    account_update,
    contact_create,
    contact_link_account,
    contact_unlink_account,
    relationship_create,
)
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
from kesher.platform.records.services import ConflictError, record_delete

pytestmark = pytest.mark.django_db


# --- Accounts (REQ CU-1, CX-3) --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("052-555-1234", "+972525551234"),
        ("052 5551234", "+972525551234"),
        ("0525551234", "+972525551234"),
        ("+972 52-555-1234", "+972525551234"),
        ("03-1234567", "+97231234567"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_account_phone_is_stored_in_e164_with_israel_as_default_region(users, typed, stored):
    account = make_account(users["admin"], phone=typed, mobile=typed)
    account.refresh_from_db()
    assert account.phone == stored
    assert account.mobile == stored


def test_account_company_number_and_israeli_id_are_validated_and_compacted(users):
    organization = make_account(users["admin"], company_number="51-617915-7")
    person = make_account(users["admin"], kind=Account.Kind.PERSON, israeli_id="3933742-3")
    organization.refresh_from_db()
    person.refresh_from_db()
    assert organization.company_number == VALID_COMPANY_NUMBER
    # stdnum pads a short ID to nine digits.
    assert person.israeli_id == VALID_ISRAELI_ID


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("israeli_id", INVALID_ISRAELI_ID),
        ("israeli_id", "12345"),
        ("company_number", INVALID_COMPANY_NUMBER),
        ("phone", "not a phone"),
        ("phone", "12"),
        ("email", "nobody-at-example"),
        ("name", "א" * 201),
    ],
)
def test_invalid_account_value_is_refused_by_field_and_nothing_is_written(users, field, value):
    accounts_before = Account.objects.count()
    audit_before = AuditEntry.objects.count()
    data = {"name": "Acme", field: value}
    with pytest.raises(ValidationError) as caught:
        account_create(actor=users["admin"], data=data)
    assert field in caught.value.message_dict
    assert Account.objects.count() == accounts_before
    assert AuditEntry.objects.count() == audit_before


def test_private_person_with_company_number_is_refused(users):
    with pytest.raises(ValidationError) as caught:
        make_account(users["admin"], kind=Account.Kind.PERSON, company_number=VALID_COMPANY_NUMBER)
    assert "company_number" in caught.value.message_dict
    assert not Account.objects.exists()


def test_unknown_field_is_refused_by_name(users):
    with pytest.raises(ValidationError) as caught:
        account_create(actor=users["admin"], data={"name": "Acme", "shoe_size": 44})
    assert "shoe_size" in caught.value.message_dict


def test_account_owner_defaults_to_the_creating_user(users):
    account = make_account(users["sales_rep"])
    assert account.owner == users["sales_rep"]


def test_hostile_control_characters_are_stripped_and_sql_text_is_kept_verbatim(users):
    account = make_account(
        users["admin"],
        name="Evil\x00 \u202eCorp\u2066",
        notes="'; DROP TABLE customers_account; --",
    )
    account.refresh_from_db()
    assert account.name == "Evil Corp"
    assert account.notes == "'; DROP TABLE customers_account; --"
    assert Account.objects.count() == 1


# --- Pick-lists (REQ CX-4) -----------------------------------------------------------------


def test_pick_list_value_from_another_list_is_refused(users):
    with pytest.raises(ValidationError) as caught:
        make_account(users["admin"], status=choice("industry", "tech"))
    assert "status" in caught.value.message_dict
    assert not Account.objects.exists()


def test_inactive_pick_list_value_is_refused(users):
    vip = choice("account_status", "vip")
    vip.active = False
    vip.save(update_fields=["active"])
    with pytest.raises(ValidationError) as caught:
        make_account(users["admin"], status=vip)
    assert "status" in caught.value.message_dict


def test_active_pick_list_value_of_the_right_list_is_stored(users):
    account = make_account(users["admin"], status=choice("account_status", "vip"))
    account.refresh_from_db()
    assert account.status.value == "vip"


# --- Versions (concurrency) -----------------------------------------------------------------


def test_version_grows_by_one_per_real_change_and_not_when_nothing_changed(users):
    admin = users["admin"]
    account = make_account(admin, name="Acme", city="חיפה")
    assert account.version == 1
    account = account_update(account, actor=admin, data={"city": "אילת"})
    assert account.version == 2
    account = account_update(account, actor=admin, data={"city": "אילת", "name": "Acme"})
    assert account.version == 2
    account.refresh_from_db()
    assert account.version == 2
    assert AuditEntry.objects.filter(action="update", object_id=account.pk).count() == 1


def test_changing_owner_between_users_with_the_same_name_is_a_change(users):
    # Two different people may share a display name; the change must not be lost.
    rep1, rep2 = users["sales_rep"], users["sales_rep2"]
    for rep in (rep1, rep2):
        rep.first_name, rep.last_name = "דנה", "כהן"
        rep.save(update_fields=["first_name", "last_name"])
    account = make_account(users["admin"], owner=rep1)
    account = account_update(account, actor=users["admin"], data={"owner": rep2})
    account.refresh_from_db()
    assert account.owner == rep2
    assert account.version == 2


def test_many_to_many_change_alone_bumps_the_version(users):
    from kesher.customers.tests.factories import make_company

    company = make_company(users["admin"])
    account = make_account(users["admin"])
    account = account_update(account, actor=users["admin"], data={}, m2m={"companies": [company]})
    assert account.version == 2
    assert list(account.companies.all()) == [company]


def test_stale_expected_version_raises_conflict_and_keeps_the_stored_value(users):
    admin = users["admin"]
    account = make_account(admin, city="חיפה")
    account_update(account, actor=admin, data={"city": "אילת"}, expected_version=1)
    with pytest.raises(ConflictError) as caught:
        account_update(account, actor=admin, data={"city": "עכו"}, expected_version=1)
    assert caught.value.current_version == 2
    account.refresh_from_db()
    assert account.city == "אילת"


def test_delete_with_stale_version_is_refused(users):
    admin = users["admin"]
    account = make_account(admin)
    account_update(account, actor=admin, data={"city": "אילת"})
    with pytest.raises(ConflictError):
        record_delete(account, actor=admin, expected_version=1)
    assert Account.objects.filter(pk=account.pk).exists()


# --- Contacts in several accounts (REQ CU-2) ------------------------------------------------


def test_contact_is_created_linked_to_several_accounts_with_a_role_each(users):
    admin = users["admin"]
    acme, globex = make_account(admin, name="Acme"), make_account(admin, name="Globex")
    contact = contact_create(
        actor=admin,
        data={"first_name": "רות", "last_name": "לוי", "phone": "054-1234567"},
        account_links=[
            {"account": acme, "role": "סמנכ״ל כספים", "is_primary": True},
            {"account": globex, "role": "יועצת"},
        ],
    )
    links = {link.account.name: link for link in contact.account_links.select_related("account")}
    assert set(links) == {"Acme", "Globex"}
    assert links["Acme"].role == "סמנכ״ל כספים"
    assert links["Acme"].is_primary is True
    assert links["Globex"].role == "יועצת"
    assert set(acme.contacts.all()) == {contact}
    assert contact.phone == "+972541234567"
    linked = AuditEntry.objects.filter(object_id=contact.pk, changes__has_key="accounts")
    assert linked.count() == 2


def test_linking_a_contact_to_the_same_account_twice_is_refused(users):
    admin = users["admin"]
    acme = make_account(admin)
    contact = make_contact(admin, account_links=[{"account": acme, "role": "CEO"}])
    with pytest.raises(ValidationError) as caught:
        contact_link_account(contact, actor=admin, account=acme, role="CTO")
    assert "account" in caught.value.message_dict
    assert ContactAccount.objects.get(contact=contact, account=acme).role == "CEO"


def test_contact_link_and_unlink_are_audited(users):
    admin = users["admin"]
    acme = make_account(admin, name="Acme")
    contact = make_contact(admin)
    contact_link_account(contact, actor=admin, account=acme, role="CEO")
    contact_unlink_account(contact, actor=admin, account=acme)
    assert not ContactAccount.objects.filter(contact=contact).exists()
    changes = list(
        AuditEntry.objects.filter(object_id=contact.pk, changes__has_key="accounts")
        .order_by("pk")
        .values_list("changes", flat=True)
    )
    linked = {"ref": "accounts", "id": acme.pk}
    assert changes == [
        {"_v": 2, "accounts": [None, {**linked, "note": "CEO"}]},
        {"_v": 2, "accounts": [linked, None]},
    ]


def test_failed_contact_link_rolls_back_the_new_contact(users):
    admin = users["admin"]
    acme = make_account(admin)
    with pytest.raises(ValidationError):
        contact_create(
            actor=admin,
            data={"first_name": "Twice"},
            account_links=[{"account": acme}, {"account": acme}],
        )
    assert not Contact.objects.filter(first_name="Twice").exists()


# --- Relationships (REQ CU-5) ---------------------------------------------------------------


def test_relationship_reads_with_the_reverse_label_from_the_other_side(users):
    admin = users["admin"]
    parent = make_account(admin, name="Holding")
    subsidiary = make_account(admin, name="Daughter")
    relationship = make_relationship(admin, "parent", from_account=parent, to_account=subsidiary)
    with translation.override("en"):
        assert relationship.label_from(parent) == "Parent company of"
        assert relationship.label_from(subsidiary) == "Subsidiary of"
    with translation.override("he"):
        assert relationship.label_from(parent) == "חברת אם של"
        assert relationship.label_from(subsidiary) == "חברת בת של"
    assert relationship.other(parent) == subsidiary
    assert relationship.other(subsidiary) == parent


def test_relationship_between_a_contact_and_an_account(users):
    admin = users["admin"]
    account = make_account(admin, name="Acme")
    contact = make_contact(admin, first_name="Dana")
    relationship = make_relationship(admin, "referred", from_contact=contact, to_account=account)
    with translation.override("en"):
        assert relationship.label_from(contact) == "Referred"
        assert relationship.label_from(account) == "Referred by"
    assert relationship.owner == admin


def test_duplicate_relationship_is_refused(users):
    admin = users["admin"]
    a, b = make_account(admin), make_account(admin)
    make_relationship(admin, "partner", from_account=a, to_account=b)
    with pytest.raises(ValidationError) as caught:
        make_relationship(admin, "partner", from_account=a, to_account=b)
    assert "type" in caught.value.message_dict
    assert Relationship.objects.count() == 1
    # Another type between the same two records is a different relationship.
    make_relationship(admin, "supplier", from_account=a, to_account=b)
    assert Relationship.objects.count() == 2


@pytest.mark.parametrize("side", ["account", "contact"])
def test_relationship_to_itself_is_refused(users, side):
    admin = users["admin"]
    record = make_account(admin) if side == "account" else make_contact(admin)
    with pytest.raises(ValidationError) as caught:
        make_relationship(admin, "partner", **{f"from_{side}": record, f"to_{side}": record})
    assert "to_account" in caught.value.message_dict
    assert not Relationship.objects.exists()


def test_relationship_needs_exactly_one_record_on_each_side(users):
    admin = users["admin"]
    account, contact = make_account(admin), make_contact(admin)
    other = make_account(admin)
    with pytest.raises(ValidationError) as caught:
        make_relationship(
            admin, "partner", from_account=account, from_contact=contact, to_account=other
        )
    assert "from_account" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_relationship(admin, "partner", from_account=account)
    assert "to_account" in caught.value.message_dict
    assert not Relationship.objects.exists()


def test_relationship_type_must_come_from_the_relationship_list(users):
    admin = users["admin"]
    a, b = make_account(admin), make_account(admin)
    with pytest.raises(ValidationError) as caught:
        relationship_create(
            actor=admin,
            data={"from_account": a, "to_account": b, "type": choice("industry", "tech")},
        )
    assert "type" in caught.value.message_dict


def test_deleting_an_account_removes_its_relationships_and_links(users):
    admin = users["admin"]
    a, b = make_account(admin), make_account(admin)
    make_relationship(admin, "partner", from_account=a, to_account=b)
    make_contact(admin, account_links=[{"account": a}])
    record_delete(a, actor=admin)
    assert not Relationship.objects.exists()
    assert not ContactAccount.objects.exists()
    assert Account.objects.filter(pk=b.pk).exists()
