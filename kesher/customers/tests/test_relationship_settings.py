"""A relationship type's label from the other side is a setting of its pick-list value,
edited on the pick-list pages and through the API (REQ CU-5, CX-4; issue 14 item 10)."""

import pytest

from kesher.customers.tests.factories import choice, make_account, make_relationship

pytestmark = pytest.mark.django_db


def test_the_reverse_label_set_in_the_api_is_read_from_the_other_side(users, api_for):
    admin = users["admin"]
    parent, child = make_account(admin, name="אם"), make_account(admin, name="בת")
    relationship = make_relationship(admin, "supplier", from_account=parent, to_account=child)
    supplier = choice("relationship_type", "supplier")
    response = api_for(admin).patch(
        f"/api/v1/choices/{supplier.pk}/",
        {"extra": {"reverse_he": "רוכש מ-", "reverse_en": ""}},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["extra"] == {"reverse_he": "רוכש מ-"}
    relationship.type.refresh_from_db()
    assert relationship.label_from(child) == "רוכש מ-"
    assert relationship.label_from(parent) == "ספק של"


def test_reverse_labels_are_text_of_a_limited_length(users, api_for):
    supplier = choice("relationship_type", "supplier")
    response = api_for(users["admin"], "en").patch(
        f"/api/v1/choices/{supplier.pk}/", {"extra": {"reverse_en": "x" * 201}}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["extra.reverse_en"]
