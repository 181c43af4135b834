"""The generated serializers: built once per class, each instance with its own fields."""

import pytest
from rest_framework.test import APIRequestFactory

from kesher.customers.models import Contact
from kesher.platform.api.serializers import serializer_for
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


def serializer_as(user):
    request = APIRequestFactory().get("/")
    request.user = user
    return serializer_for(registry.get("interactions"))(context={"request": request})


def test_each_instance_gets_its_own_fields_scoped_to_its_own_user(users):
    """A rep may name as participants only contacts he sees; the admin's serializer, made
    next, must not inherit the rep's scope, nor the next rep's the admin's."""
    elsewhere = Contact.objects.create(
        first_name="של", last_name="מחלקה אחרת", owner=users["sales_rep2"]
    )
    rep, admin = serializer_as(users["sales_rep"]), serializer_as(users["admin"])
    rep_people = rep.fields["participant_contacts"].child_relation
    admin_people = admin.fields["participant_contacts"].child_relation
    assert rep_people is not admin_people
    assert rep_people.parent is rep.fields["participant_contacts"]
    assert rep_people.root is rep
    assert elsewhere not in rep_people.queryset
    assert elsewhere in admin_people.queryset
    assert (
        elsewhere
        not in serializer_as(users["sales_rep"])
        .fields["participant_contacts"]
        .child_relation.queryset
    )


@pytest.mark.django_db
def test_moments_are_written_as_rfc_3339_before_1918_too(users, api_for):
    """Jerusalem kept local mean time (+02:20:54) before 1918: such a moment is answered in UTC,
    a later one in the reader's time zone (schemathesis found the offset in seconds)."""
    api = api_for(users["admin"])
    body = {"title": "Old", "occurred_at": "1900-01-01T10:00:00Z"}
    old = api.post("/api/v1/security-incidents/", body, format="json")
    assert old.status_code == 201, old.content
    assert old.json()["occurred_at"] == "1900-01-01T10:00:00Z"
    body = {**body, "occurred_at": "2026-07-01T10:00:00Z"}
    assert (
        api.post("/api/v1/security-incidents/", body, format="json").json()["occurred_at"]
        == "2026-07-01T13:00:00+03:00"
    )
