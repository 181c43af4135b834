"""The platform's own entities in the access matrix (tests/test_access_matrix.py; REQ OR-3,
CX-1): pick-list values, custom-field definitions and field rules, all made by an
administrator."""

from kesher.platform.customfields.schema import custom_field_create
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import SEARCH_WORD, World, register_records


def _admin(world: World):
    return world.users["admin"]


register_records(
    "choices",
    make=lambda world, side: record_create(
        "choices",
        actor=_admin(world),
        data={"list_key": "matrix", "value": "matrix-target", "label_he": SEARCH_WORD},
    ),
    values=lambda world, marker, record: {
        "list_key": "matrix",
        "value": marker,
        "label_he": marker,
        "label_en": marker,
        "order": 1,
        "active": True,
    },
    marker_field="label_he",
)
register_records(
    "custom-fields",
    make=lambda world, side: custom_field_create(
        actor=_admin(world),
        data={
            "entity": "companies",
            "key": "matrix_target",
            "label_he": SEARCH_WORD,
            "type": "text",
        },
    ),
    values=lambda world, marker, record: {
        "entity": "companies",
        "key": record.key if record else marker,
        "label_he": marker,
        "type": "text",
        "order": 1,
        "active": True,
    },
    marker_field="label_he",
)
# An inactive rule: it must not change how the rest of the world is written.
register_records(
    "field-rules",
    make=lambda world, side: record_create(
        "field-rules",
        actor=_admin(world),
        data={"entity": "companies", "field": "email", "validator": "email", "active": False},
    ),
    values=lambda world, marker, record: {
        "entity": "companies",
        "field": "address",
        "validator": "",
        "required": True,
        "message_he": marker,
        "active": False,
    },
    marker_field="message_he",
)
