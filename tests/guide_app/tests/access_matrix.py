"""How the access matrix makes competitors (kesher/platform/testing/matrix.py): each sales rep's
competitor competes at his own account."""

from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import SEARCH_WORD, owner_of, register_records

register_records(
    "competitors",
    make=lambda world, side: record_create(
        "competitors",
        actor=owner_of(world, side),
        data={"name": f"{SEARCH_WORD} competitor {side}", "owner": owner_of(world, side)},
        m2m={"competes_at": [world.record("accounts", side)]},
    ),
    values=lambda world, marker, record: {"name": marker},
    marker_field="name",
)
