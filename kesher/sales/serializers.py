"""What the opportunities resource adds to the generated API: the deal's contacts with their
roles (REQ SA-6), read and written on ``/api/v1/opportunities/`` itself, as a contact's
accounts are on ``/api/v1/contacts/``."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Value
from rest_framework import serializers

from kesher.customers.models import Contact
from kesher.sales.models import OpportunityContact
from kesher.sales.services import opportunity_set_contacts

__all__ = ["ContactRoleSerializer", "OpportunityContactsMixin"]


class _VisibleContact(serializers.PrimaryKeyRelatedField):
    """A contact the caller may see; any other id answers like one that does not exist."""

    def get_queryset(self):
        return Contact.objects.visible_to(self.context["request"].user)


class ContactRoleSerializer(serializers.Serializer):
    """One contact on the deal and the part they play in it."""

    contact = _VisibleContact(queryset=Contact.objects.all(), help_text="The contact's id.")
    contact_display = serializers.CharField(read_only=True, help_text="The contact's name.")
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text='The contact\'s role in the deal, e.g. "decision maker".',
    )

    def to_representation(self, instance):
        return {
            "contact": instance.contact_id,
            "contact_display": str(instance.contact),
            "role": instance.role,
        }


def _links(user):
    """A deal's contact links, each marked whether ``user`` may see its contact; with no user
    (the system writing a webhook's payload), every one."""
    if user is None:
        visible = Value(True)
    else:
        visible = Exists(Contact.objects.visible_to(user).filter(pk=OuterRef("contact_id")))
    return (
        OpportunityContact.objects.select_related("contact")
        .only("opportunity_id", "contact_id", "role", "contact__first_name", "contact__last_name")
        .annotate(api_visible=visible)
        .order_by("contact__last_name", "contact__first_name", "pk")
    )


class OpportunityContactsMixin(serializers.Serializer):
    """``contacts``: the deal's contacts the reader may see, each with its role;
    ``hidden_contacts``: how many others there are (never which). Sending ``contacts`` sets the
    links to the contacts the writer may see; links to others stay as they are."""

    contacts = ContactRoleSerializer(
        many=True,
        required=False,
        source="api_contact_links",
        help_text=(
            "The deal's contacts, with the role of each. On create and update, the list "
            "replaces the contacts you may see (send [] to remove them all); contacts you may "
            "not see are kept. Leave it out to keep them."
        ),
    )
    hidden_contacts = serializers.IntegerField(
        read_only=True,
        source="api_hidden_contacts",
        help_text="How many more contacts the deal has that you may not see.",
    )

    @classmethod
    def for_reading(cls, queryset, user):
        prefetch = Prefetch("contact_links", queryset=_links(user), to_attr="api_links")
        return super().for_reading(queryset, user).prefetch_related(prefetch)

    def to_representation(self, instance):
        links = getattr(instance, "api_links", None)
        if links is None:  # a record just written, or not read through for_reading
            request = self.context.get("request")
            links = list(_links(getattr(request, "user", None)).filter(opportunity=instance))
        instance.api_contact_links = [link for link in links if link.api_visible]
        instance.api_hidden_contacts = len(links) - len(instance.api_contact_links)
        return super().to_representation(instance)

    def create(self, validated_data):
        links = validated_data.pop("api_contact_links", None)
        with transaction.atomic():
            deal = super().create(validated_data)
            if links:
                opportunity_set_contacts(deal, actor=self.context["request"].user, links=links)
            else:
                deal.api_links = []
        return deal

    def update(self, instance, validated_data):
        links = validated_data.pop("api_contact_links", None)
        with transaction.atomic():
            deal = super().update(instance, validated_data)
            if links is not None:
                opportunity_set_contacts(deal, actor=self.context["request"].user, links=links)
        return deal
