"""Writes on customers. Views, the API and commands call these, never the ORM directly."""

from __future__ import annotations

from contextlib import nullcontext

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kesher.customers.models import Account, Contact, ContactAccount, Relationship
from kesher.platform.bulk.actions import bulk_compatible
from kesher.platform.records import audit
from kesher.platform.records.services import record_create, record_update, write_audit

__all__ = [
    "account_create",
    "account_update",
    "audited_account_link",
    "contact_create",
    "contact_link_account",
    "contact_set_accounts",
    "contact_unlink_account",
    "contact_update_account_link",
    "relationship_create",
]


@bulk_compatible  # record_create with the creator as default owner: imports may go in bulk
def account_create(*, actor, data: dict, m2m: dict | None = None) -> Account:
    """Create an account; its owner is the creating user unless given (REQ CU-1)."""
    return record_create("accounts", actor=actor, data=data, m2m=m2m)


@bulk_compatible  # adds nothing to record_update: bulk updates may go set-based (IM-4)
def account_update(account: Account, *, actor, data: dict, m2m=None, expected_version=None):
    return record_update(
        account, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


@bulk_compatible  # without account_links, record_create with the default owner (imports)
def contact_create(
    *, actor, data: dict, m2m: dict | None = None, account_links: list[dict] | None = None
) -> Contact:
    """Create a contact and link it to its accounts, each with a role (REQ CU-2).

    ``account_links`` items: ``{"account": Account, "role": str, "is_primary": bool}``.
    """
    # Without links record_create is the whole transaction: an outer one would only add a
    # savepoint (two round trips to PostgreSQL on every API create).
    with transaction.atomic() if account_links else nullcontext():
        contact = record_create("contacts", actor=actor, data=data, m2m=m2m)
        for link in account_links or []:
            contact_link_account(contact, actor=actor, **link)
    return contact


@transaction.atomic
def contact_link_account(
    contact: Contact, *, actor, account: Account, role: str = "", is_primary: bool = False
) -> ContactAccount:
    if ContactAccount.objects.filter(contact=contact, account=account).exists():
        raise ValidationError({"account": [_("The contact is already linked to this account.")]})
    link = ContactAccount(
        contact=contact, account=account, role=role.strip(), is_primary=is_primary
    )
    link.full_clean()
    link.save()
    write_audit(
        contact,
        actor=actor,
        action="update",
        changes={"accounts": [None, audited_account_link(account, link.role)]},
    )
    return link


def audited_account_link(account: Account, role: str) -> dict:
    """A contact's new account link as its audit entry stores it: the account, with the role
    there as a note shown beside the account's name to who may see the account."""
    linked = audit.encode(account)
    if role:
        linked["note"] = role
    return linked


@transaction.atomic
def contact_update_account_link(
    link: ContactAccount, *, actor, role: str | None = None, is_primary: bool | None = None
) -> ContactAccount:
    """Change the role (or the primary mark) of a contact at one account (REQ CU-2)."""
    before = audited_account_link(link.account, link.role)
    changed = []
    if role is not None and role.strip() != link.role:
        link.role = role.strip()
        changed.append("role")
    if is_primary is not None and is_primary != link.is_primary:
        link.is_primary = is_primary
        changed.append("is_primary")
    if changed:
        link.full_clean()
        link.save(update_fields=changed)
        if "role" in changed:
            write_audit(
                link.contact,
                actor=actor,
                action="update",
                changes={"accounts": [before, audited_account_link(link.account, link.role)]},
            )
    return link


@transaction.atomic
def contact_set_accounts(contact: Contact, *, actor, links: list[dict]) -> None:
    """Make the contact's links to the accounts ``actor`` may see exactly ``links`` (items
    ``{"account": Account, "role": str, "is_primary": bool}``): new ones are added, missing ones
    removed, changed roles updated, each audited. Links to accounts out of the actor's sight
    are kept as they are: an edit never removes what its author cannot see (REQ CU-2, OR-3)."""
    # Lock the contact: two edits of its links at once must not both add or both remove one.
    Contact._base_manager.select_for_update().filter(pk=contact.pk).exists()
    wanted: dict[int, dict] = {}
    for link in links:
        account = link["account"]
        if account.pk in wanted:
            raise ValidationError(
                {"accounts": [_("%(account)s is listed more than once.") % {"account": account}]}
            )
        wanted[account.pk] = link
    visible = set(
        Account.objects.visible_to(actor)
        .filter(pk__in=[*wanted, *contact.account_links.values_list("account_id", flat=True)])
        .values_list("pk", flat=True)
    )
    if set(wanted) - visible:
        raise ValidationError({"accounts": [_("No such account, or you may not see it.")]})
    current = {
        link.account_id: link
        for link in contact.account_links.select_related("account", "contact")
        if link.account_id in visible
    }
    for account_id, link in current.items():
        if account_id not in wanted:
            contact_unlink_account(contact, actor=actor, account=link.account)
    for account_id, wish in wanted.items():
        role, is_primary = wish.get("role", ""), wish.get("is_primary", False)
        if account_id in current:
            contact_update_account_link(
                current[account_id], actor=actor, role=role, is_primary=is_primary
            )
        else:
            contact_link_account(
                contact, actor=actor, account=wish["account"], role=role, is_primary=is_primary
            )


@transaction.atomic
def contact_unlink_account(contact: Contact, *, actor, account: Account) -> None:
    deleted, _count = ContactAccount.objects.filter(contact=contact, account=account).delete()
    if deleted:
        write_audit(contact, actor=actor, action="update", changes={"accounts": [account, None]})


def relationship_create(*, actor, data: dict, m2m=None) -> Relationship:
    """Relate two accounts/contacts; refuses an exact duplicate of an existing link (REQ CU-5)."""
    keys = ("from_account", "from_contact", "type", "to_account", "to_contact")
    lookup = {k: data.get(k) for k in keys}
    if lookup["type"] is not None and Relationship.objects.filter(**lookup).exists():
        raise ValidationError({"type": [_("These records are already related this way.")]})
    return record_create("relationships", actor=actor, data=data, m2m=m2m)
