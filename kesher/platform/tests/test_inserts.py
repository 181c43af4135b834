"""insert_new: many new records written raw, each given the id the database gave its row."""

import pytest
from django.db import transaction

from kesher.customers.models import Contact
from kesher.platform.inserts import insert_new

pytestmark = pytest.mark.django_db


def test_new_records_get_their_own_ids_and_values(users):
    owner = users["sales_rep"]
    before = Contact.objects.create(first_name="קודם", last_name="כהן", owner=owner)
    people = [
        Contact(
            first_name=f"איש {n}",
            last_name="לוי",
            mobile=f"+97252555{n:04d}",
            owner=owner,
            custom={"region": "north", "score": n},
        )
        for n in range(1200)
    ]
    with transaction.atomic():
        insert_new(Contact, people)
    assert all(p.pk and not p._state.adding for p in people)
    assert len({p.pk for p in people}) == 1200
    assert min(p.pk for p in people) > before.pk
    stored = Contact.objects.in_bulk([p.pk for p in people])
    for person in people[::97]:
        row = stored[person.pk]
        assert (row.first_name, row.mobile, row.owner_id) == (
            person.first_name,
            person.mobile,
            owner.pk,
        )
        assert row.custom == person.custom
    after = Contact.objects.create(first_name="אחרי", last_name="כהן", owner=owner)
    assert after.pk > max(p.pk for p in people)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_refuses():
    with pytest.raises(RuntimeError):
        insert_new(Contact, [Contact(first_name="בלי", last_name="עסקה")])
    assert not Contact.objects.filter(first_name="בלי").exists()
