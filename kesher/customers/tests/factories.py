"""Test records made through the services, so they carry audit entries and search tokens like
real ones. Valid check-digit numbers below were verified with python-stdnum."""

from __future__ import annotations

import itertools

from kesher.customers.services import (
    account_create,
    contact_create,
    relationship_create,
)
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create

# Valid Israeli ID (teudat zehut) and company numbers (ח.פ.), and invalid ones with a wrong
# check digit.
VALID_ISRAELI_ID = "039337423"
OTHER_VALID_ISRAELI_ID = "000000018"
INVALID_ISRAELI_ID = "039337424"
VALID_COMPANY_NUMBER = "516179157"
OTHER_VALID_COMPANY_NUMBER = "514713288"
INVALID_COMPANY_NUMBER = "516179158"

_sequence = itertools.count(1)


def choice(list_key: str, value: str) -> Choice:
    """A pick-list value the customers' migration created."""
    return Choice.objects.get(list_key=list_key, value=value)


def make_account(actor, **data):
    """An account created by ``actor`` through ``account_create``; ``m2m`` may be passed."""
    m2m = data.pop("m2m", None)
    data.setdefault("name", f"Account {next(_sequence)}")
    return account_create(actor=actor, data=data, m2m=m2m)


def make_contact(actor, *, account_links=None, **data):
    """A contact created by ``actor`` through ``contact_create``."""
    m2m = data.pop("m2m", None)
    data.setdefault("first_name", f"Contact{next(_sequence)}")
    return contact_create(actor=actor, data=data, m2m=m2m, account_links=account_links)


def make_relationship(actor, type_value: str = "parent", **ends):
    """A relationship of pick-list type ``type_value`` between the given ends."""
    return relationship_create(
        actor=actor, data={"type": choice("relationship_type", type_value), **ends}
    )


def make_company(actor, name: str = "Kesher Ltd", company_number: str = VALID_COMPANY_NUMBER):
    """A legal entity of the organization (REQ OR-4)."""
    return record_create(
        "companies", actor=actor, data={"name": name, "company_number": company_number}
    )
