"""The account and contact panels show only links whose other side the reader may see (OR-3)."""

import pytest

from kesher.customers.models import Account, Contact, ContactAccount

pytestmark = pytest.mark.django_db


def test_rep_does_not_see_names_of_contacts_he_cannot_open(users, client_for):
    rep, other = users["sales_rep"], users["sales_rep2"]
    account = Account.objects.create(name="חשבון משותף", owner=rep)
    mine = Contact.objects.create(first_name="גלויה", last_name="לי", owner=rep)
    hidden = Contact.objects.create(first_name="סודית", last_name="ביותר", owner=other)
    ContactAccount.objects.create(contact=mine, account=account, role="מנכ״ל")
    ContactAccount.objects.create(contact=hidden, account=account, role="חשבת")
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    assert "גלויה" in page
    assert "סודית" not in page
    admin_page = client_for(users["admin"]).get(f"/r/accounts/{account.pk}/").content.decode()
    assert "סודית" in admin_page
    # The same from the contact's side: the account is hidden from the other rep.
    contact_page = client_for(other).get(f"/r/contacts/{hidden.pk}/").content.decode()
    assert "חשבון משותף" not in contact_page


def test_timeline_shows_choice_labels_in_the_readers_language(users, client_for):
    from kesher.customers.services import account_create

    admin = users["admin"]
    account = account_create(actor=admin, data={"name": "x", "kind": "person"})
    admin.language = "en"
    admin.save(update_fields=["language"])
    page = client_for(admin).get(f"/r/accounts/{account.pk}/timeline/").content.decode()
    timeline = page.split('id="timeline"', 1)[1]
    assert "Private person" in timeline
    assert "אדם פרטי" not in timeline
