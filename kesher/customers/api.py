"""What the contacts resource adds to the generated API: the contact's accounts, with the
role at each (REQ CU-2), read and written on ``/api/v1/contacts/`` itself."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Value
from rest_framework import serializers

from kesher.customers.models import Account, ContactAccount
from kesher.customers.services import contact_set_accounts

__all__ = ["AccountLinkSerializer", "ContactAccountsMixin"]


class _VisibleAccount(serializers.PrimaryKeyRelatedField):
    """An account the caller may see; any other id answers like one that does not exist
    (``queryset``, all accounts, only tells the schema what the id is of)."""

    def get_queryset(self):
        return Account.objects.visible_to(self.context["request"].user)


class AccountLinkSerializer(serializers.Serializer):
    """One account the contact works with, and the role there."""

    account = _VisibleAccount(queryset=Account.objects.all(), help_text="The account's id.")
    account_display = serializers.CharField(
        source="account.name", read_only=True, help_text="The account's name."
    )
    role = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=100,
        default="",
        help_text='The contact\'s role at this account, e.g. "CFO".',
    )
    is_primary = serializers.BooleanField(
        required=False, default=False, help_text="The account's primary contact."
    )

    def to_representation(self, instance):
        # The same four values the fields above would give, written directly: a list page
        # of 50 contacts reads this for every link, and DRF's field-by-field walk cost the
        # contacts list a quarter of its time.
        return {
            "account": instance.account_id,
            "account_display": instance.account.name,
            "role": instance.role,
            "is_primary": instance.is_primary,
        }


def _links(user):
    """A contact's links, each marked whether ``user`` may see its account; with no user (the
    system writing a webhook's payload, which carries records whole), every one."""
    accounts = Account.objects.visible_to(user) if user is not None else None
    if accounts is None or not accounts.query.where:
        # Every account is his to see (or the system's): no subquery per link.
        visible = Value(True)
    else:
        visible = Exists(accounts.filter(pk=OuterRef("account_id")))
    # The account's name is all a link shows: reading whole accounts (their custom fields'
    # JSON included) cost a list of 25 contacts a third of its time.
    return (
        ContactAccount.objects.select_related("account")
        .only("contact_id", "account_id", "role", "is_primary", "account__name")
        .annotate(api_visible=visible)
        .order_by("account__name", "pk")
    )


class ContactAccountsMixin(serializers.Serializer):
    """``accounts``: the links to accounts the reader may see; ``hidden_accounts``: how many
    others there are (never which). Sending ``accounts`` sets the links to the accounts the
    writer may see; links to others stay as they are."""

    accounts = AccountLinkSerializer(
        many=True,
        required=False,
        source="api_account_links",
        help_text=(
            "The accounts this contact works with, with the role at each. On create and update, "
            "the list replaces the links to the accounts you may see (send [] to remove them "
            "all); links to accounts you may not see are kept. Leave it out to keep the links."
        ),
    )
    hidden_accounts = serializers.IntegerField(
        read_only=True,
        source="api_hidden_accounts",
        help_text="How many more accounts the contact is linked to that you may not see.",
    )

    @classmethod
    def for_reading(cls, queryset, user):
        prefetch = Prefetch("account_links", queryset=_links(user), to_attr="api_links")
        return super().for_reading(queryset, user).prefetch_related(prefetch)

    def to_representation(self, instance):
        links = getattr(instance, "api_links", None)
        if links is None:  # a record just written, or not read through for_reading
            request = self.context.get("request")
            links = list(_links(getattr(request, "user", None)).filter(contact=instance))
        instance.api_account_links = [link for link in links if link.api_visible]
        instance.api_hidden_accounts = len(links) - len(instance.api_account_links)
        return super().to_representation(instance)

    def create(self, validated_data):
        links = validated_data.pop("api_account_links", None)
        with transaction.atomic():
            contact = super().create(validated_data)
            if links:
                contact_set_accounts(contact, actor=self.context["request"].user, links=links)
            else:
                # A new contact sent without links has none: the answer need not read them.
                contact.api_links = []
        return contact

    def update(self, instance, validated_data):
        links = validated_data.pop("api_account_links", None)
        with transaction.atomic():
            contact = super().update(instance, validated_data)
            if links is not None:
                contact_set_accounts(contact, actor=self.context["request"].user, links=links)
        return contact
