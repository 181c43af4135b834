"""Fixtures of the approvals tests: the Sales department managed by the manager, an account of
rep1 (North, under Sales) and one of rep2 (Service), and processes made through the services."""

import pytest

from kesher.approvals.services import approval_process_create
from kesher.customers.services import account_create


@pytest.fixture
def managed(users, departments):
    """The manager manages Sales; North (rep1) has no manager of its own, so Sales' answers."""
    departments["sales"].manager = users["manager"]
    departments["sales"].save(update_fields=["manager"])
    return departments


@pytest.fixture
def account(users, managed):
    rep = users["sales_rep"]
    return account_create(actor=rep, data={"name": "אלפא מערכות", "owner": rep})


@pytest.fixture
def other_account(users, managed):
    rep2 = users["sales_rep2"]
    return account_create(actor=rep2, data={"name": "בטא שירותים", "owner": rep2})


@pytest.fixture
def make_process(users):
    def make(*steps, mode="ordered", entity="accounts", name="אישור הנחה"):
        return approval_process_create(
            actor=users["admin"],
            data={
                "name_he": name,
                "name_en": "Discount",
                "entity": entity,
                "mode": mode,
                "steps": list(steps),
            },
        )

    return make
