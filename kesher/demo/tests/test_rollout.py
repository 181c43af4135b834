"""The demo's roll-out is half done (issue 23; REQ IMPL-1, IMPL-2)."""

import pytest

from kesher.org.models import User
from kesher.rollout.selectors import rollout_overview, training_rows

pytestmark = pytest.mark.django_db


def test_the_demo_roll_out_is_half_done(loaded):
    admin = User.objects.get(username="admin")
    overview = rollout_overview(admin)
    assert 0 < overview["done"] < overview["total"]
    plan = overview["stages"][0]
    assert plan["done"] == 5
    assert [i.key for i in plan["remaining"]] == ["history"]
    assert overview["live"] is None
    rows = {row["user"].username: row for row in training_rows(user=admin)}
    assert rows["omer"]["complete"]
    assert [s["status"] for s in rows["noa"]["waiting"]] == ["marked"]
    assert rows["moshe"]["advanced"]
