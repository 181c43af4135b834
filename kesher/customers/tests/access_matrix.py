"""Accounts, contacts and relationships in the access matrix (tests/test_access_matrix.py;
REQ OR-3): how to make a record of each, owned by either sales rep, and valid values for their
forms and API."""

from kesher.customers.services import account_create, contact_create, relationship_create
from kesher.platform.models import Choice
from kesher.platform.testing.matrix import SEARCH_WORD, World, owner_of, register_records


def relationship_type(value: str) -> Choice:
    return Choice.objects.get(list_key="relationship_type", value=value)


register_records(
    "accounts",
    make=lambda world, side: account_create(
        actor=owner_of(world, side),
        data={"name": f"{SEARCH_WORD} account {side}", "owner": owner_of(world, side)},
    ),
    values=lambda world, marker, record: {"kind": "organization", "name": marker},
    marker_field="name",
)
register_records(
    "contacts",
    make=lambda world, side: contact_create(
        actor=owner_of(world, side),
        data={"first_name": SEARCH_WORD, "last_name": side, "owner": owner_of(world, side)},
    ),
    values=lambda world, marker, record: {"first_name": marker, "last_name": "matrix"},
    marker_field="first_name",
)


def _relationship_values(world: World, marker: str, record) -> dict:
    # A new relationship from a new account of rep1's to rep1's contact (everyone who may add
    # one sees them; a new account each time, so many can be made); a replaced one keeps its
    # ends. "partner", unlike the world's own, is never a duplicate.
    rep1 = owner_of(world, "rep1")
    ends = (
        {"from_account": record.from_account, "to_contact": record.to_contact}
        if record is not None
        else {
            "from_account": account_create(actor=rep1, data={"name": marker, "owner": rep1}),
            "to_contact": world.record("contacts", "rep1"),
        }
    )
    return {**ends, "type": relationship_type("partner"), "notes": marker}


register_records(
    "relationships",
    make=lambda world, side: relationship_create(
        actor=owner_of(world, side),
        data={
            "type": relationship_type("parent"),
            "from_account": world.record("accounts", side),
            "to_contact": world.record("contacts", side),
        },
    ),
    values=_relationship_values,
    marker_field="notes",
)
