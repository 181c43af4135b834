"""The filter language: compiled queries select exactly what a plain-Python reading selects
(REQ CX-8, CU-1 segmentation), on SQLite and PostgreSQL, with Hebrew text, empty values and
custom fields; bad expressions are refused cleanly."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kesher.customers.models import Account
from kesher.platform.lists.filterlang import _period, apply_filter
from kesher.platform.models import Choice, CustomField, Tag
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db(transaction=False)

ACCOUNTS = registry.get("accounts")
TZ = ZoneInfo("Asia/Jerusalem")
NOW = datetime.datetime(2026, 6, 15, 12, 0, tzinfo=datetime.UTC)
TEXT = st.text(alphabet="אבגדהוזחטיכךלמםנןסעפףצץקרשתabcABC12 ", max_size=6)
STATUSES = ["lead", "prospect", "active", "vip", "inactive"]
TIERS = ["gold", "silver", "bronze"]
COLOURS = ["red", "green", "blue"]


@pytest.fixture
def schema(db):
    CustomField.objects.bulk_create(
        [
            CustomField(entity="accounts", key="score", label_he="ציון", type="decimal"),
            CustomField(entity="accounts", key="note", label_he="הערה", type="text"),
            CustomField(entity="accounts", key="since", label_he="מאז", type="date"),
            CustomField(entity="accounts", key="vip", label_he="מיוחד", type="boolean"),
            CustomField(
                entity="accounts", key="tier", label_he="דרג", type="choice", choice_list="tier"
            ),
            CustomField(
                entity="accounts",
                key="colours",
                label_he="צבעים",
                type="multi_choice",
                choice_list="colour",
            ),
        ]
    )
    Choice.objects.bulk_create(
        [Choice(list_key="tier", value=v, label_he=v) for v in TIERS]
        + [Choice(list_key="colour", value=v, label_he=v) for v in COLOURS]
    )
    return {
        "statuses": {c.value: c for c in Choice.objects.filter(list_key="account_status")},
        "tags": [Tag.objects.create(name=n) for n in ("א", "ב", "ג")],
    }


maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731
DAYS = st.integers(min_value=-400, max_value=400)

record_strategy = st.fixed_dictionaries(
    {
        "name": TEXT,
        "city": TEXT,
        "club_member": st.booleans(),
        "status": maybe(st.sampled_from(STATUSES)),
        "contact_days": maybe(DAYS),
        "joined_days": maybe(DAYS),
        "tags": st.lists(st.integers(0, 2), unique=True, max_size=3),
        "custom": st.fixed_dictionaries(
            {},
            optional={
                "score": maybe(st.integers(-50, 50)),
                "note": TEXT,
                "since": DAYS,
                "vip": st.booleans(),
                "tier": st.sampled_from(TIERS),
                "colours": st.lists(st.sampled_from(COLOURS), unique=True, max_size=3),
            },
        ),
    }
)


def leaf_strategy():
    text_fields = st.sampled_from(["name", "city", "custom.note"])
    text_ops = st.sampled_from(["eq", "ne", "contains", "not_contains", "starts_with"])
    text_leaf = st.builds(
        lambda f, o, v: {"field": f, "op": o, "value": v}, text_fields, text_ops, TEXT
    )
    in_leaf = st.builds(
        lambda f, o, v: {"field": f, "op": o, "value": v},
        text_fields,
        st.sampled_from(["in", "not_in"]),
        st.lists(TEXT, min_size=1, max_size=3),
    )
    empty_leaf = st.builds(
        lambda f, o: {"field": f, "op": o},
        st.sampled_from(
            [
                "city",
                "status",
                "custom.note",
                "custom.score",
                "custom.tier",
                "custom.colours",
                "last_contact_at",
                "club_joined_on",
                "tags",
                "custom.since",
            ]
        ),
        st.sampled_from(["empty", "not_empty"]),
    )
    number_leaf = st.builds(
        lambda o, v: {"field": "custom.score", "op": o, "value": v},
        st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]),
        st.integers(-60, 60),
    )
    between_leaf = st.builds(
        lambda a, b: {"field": "custom.score", "op": "between", "value": [min(a, b), max(a, b)]},
        st.integers(-60, 60),
        st.integers(-60, 60),
    )
    bool_leaf = st.builds(
        lambda f, v: {"field": f, "op": "eq", "value": v},
        st.sampled_from(["club_member", "custom.vip"]),
        st.booleans(),
    )
    choice_leaf = st.one_of(
        st.builds(
            lambda o, v: {"field": "status", "op": o, "value": v},
            st.sampled_from(["eq", "ne"]),
            st.sampled_from(STATUSES),
        ),
        st.builds(
            lambda o, v: {"field": "status", "op": o, "value": v},
            st.sampled_from(["in", "not_in"]),
            st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3, unique=True),
        ),
        st.builds(
            lambda o, v: {"field": "custom.tier", "op": o, "value": v},
            st.sampled_from(["eq", "ne"]),
            st.sampled_from(TIERS),
        ),
        st.builds(
            lambda o, v: {"field": "custom.colours", "op": o, "value": v},
            st.sampled_from(["has", "has_not"]),
            st.sampled_from(COLOURS),
        ),
        st.builds(
            lambda o, v: {"field": "tags", "op": o, "value": v},
            st.sampled_from(["has", "has_not"]),
            st.integers(0, 2),
        ),
    )
    date_leaf = st.one_of(
        st.builds(
            lambda f, o, d: {"field": f, "op": o, "value": d},
            st.sampled_from(["last_contact_at", "club_joined_on", "custom.since"]),
            st.sampled_from(["eq", "ne", "before", "after", "on_or_before", "on_or_after"]),
            DAYS,
        ),
        st.builds(
            lambda f, o, n: {"field": f, "op": o, "value": n},
            st.sampled_from(["last_contact_at", "club_joined_on", "custom.since"]),
            st.sampled_from(["within_last_days", "within_next_days"]),
            st.integers(0, 400),
        ),
        st.builds(
            lambda f, p: {"field": f, "op": "period", "value": p},
            st.sampled_from(["last_contact_at", "club_joined_on", "custom.since"]),
            st.sampled_from(["today", "this_week", "this_month", "last_month", "this_year"]),
        ),
    )
    return st.one_of(
        text_leaf,
        in_leaf,
        empty_leaf,
        number_leaf,
        between_leaf,
        bool_leaf,
        choice_leaf,
        date_leaf,
    )


expression_strategy = st.recursive(
    leaf_strategy(),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)


# --- the plain-Python reference ---------------------------------------------------------------

TODAY = NOW.astimezone(TZ).date()


def _day(offset) -> datetime.date:
    return TODAY + datetime.timedelta(days=offset)


def resolve_value(expr, tags):
    """Turn the strategy's day offsets / tag indexes into the language's values."""
    if "all" in expr or "any" in expr:
        key = "all" if "all" in expr else "any"
        return {key: [resolve_value(c, tags) for c in expr[key]]}
    if "not" in expr:
        return {"not": resolve_value(expr["not"], tags)}
    expr = dict(expr)
    field, op = expr["field"], expr["op"]
    date_fields = ("last_contact_at", "club_joined_on", "custom.since")
    day_ops = ("eq", "ne", "before", "after", "on_or_before", "on_or_after")
    if field in date_fields and op in day_ops:
        expr["value"] = _day(expr["value"]).isoformat()
    if field == "tags" and op in ("has", "has_not"):
        expr["value"] = tags[expr["value"]].pk
    return expr


def value_of(record, field):
    if field.startswith("custom."):
        return record["custom"].get(field.removeprefix("custom."))
    if field == "last_contact_at":
        days = record["contact_days"]
        return None if days is None else _day(days)
    if field == "club_joined_on":
        days = record["joined_days"]
        return None if days is None else _day(days)
    return record[field]


def ref_eval(expr, record) -> bool:
    if "all" in expr:
        return all(ref_eval(c, record) for c in expr["all"])
    if "any" in expr:
        return any(ref_eval(c, record) for c in expr["any"])
    if "not" in expr:
        return not ref_eval(expr["not"], record)
    field, op, wanted = expr["field"], expr["op"], expr.get("value")
    if field == "custom.since" and record["custom"].get("since") is not None:
        value = _day(record["custom"]["since"])
    else:
        value = value_of(record, field)
    negated = {
        "ne": "eq",
        "not_in": "in",
        "not_contains": "contains",
        "has_not": "has",
        "not_empty": "empty",
    }
    if op in negated:
        return not ref_eval({**expr, "op": negated[op]}, record)
    if op == "empty":
        return value in (None, "", [])
    if field == "tags":
        return wanted in record["tag_ids"]
    if field == "custom.colours":
        return wanted in (value or [])
    if field == "custom.vip":
        return bool(value) == wanted if wanted is False else value is True
    if value is None:
        return False
    lower = lambda text: text.lower()  # noqa: E731  (ASCII case folding, like SQL LIKE)
    if op == "eq":
        if isinstance(value, datetime.date):
            return value == datetime.date.fromisoformat(wanted)
        return value == wanted
    if op == "in":
        return value in wanted
    if op == "contains":
        return lower(wanted) in lower(value)
    if op == "starts_with":
        return lower(value).startswith(lower(wanted))
    if op in ("gt", "gte", "lt", "lte"):
        return {
            "gt": value > wanted,
            "gte": value >= wanted,
            "lt": value < wanted,
            "lte": value <= wanted,
        }[op]
    if op == "between":
        return wanted[0] <= value <= wanted[1]
    if op in ("before", "after", "on_or_before", "on_or_after"):
        day = datetime.date.fromisoformat(wanted)
        return {
            "before": value < day,
            "after": value > day,
            "on_or_before": value <= day,
            "on_or_after": value >= day,
        }[op]
    if op == "within_last_days":
        return TODAY - datetime.timedelta(days=wanted) <= value <= TODAY
    if op == "within_next_days":
        return TODAY <= value <= TODAY + datetime.timedelta(days=wanted)
    if op == "period":
        with timezone.override(TZ):
            start, end = _period(wanted)
        return start <= value < end
    raise AssertionError(op)


def store(record, schema):
    custom = dict(record["custom"])
    if "since" in custom:
        custom["since"] = _day(custom["since"]).isoformat()
    contact = record["contact_days"]
    account = Account.objects.create(
        name=record["name"],
        city=record["city"],
        club_member=record["club_member"],
        status=schema["statuses"][record["status"]] if record["status"] else None,
        # Noon local time: the date is the same in every time zone the test may compare in.
        last_contact_at=None
        if contact is None
        else datetime.datetime.combine(_day(contact), datetime.time(12), tzinfo=TZ),
        club_joined_on=None if record["joined_days"] is None else _day(record["joined_days"]),
        custom=custom,
    )
    account.tags.set([schema["tags"][i] for i in record["tags"]])
    return account


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(records=st.lists(record_strategy, min_size=1, max_size=8), expr=expression_strategy)
def test_compiled_filter_matches_reference(schema, records, expr, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    expression = resolve_value(expr, schema["tags"])
    with transaction.atomic(), timezone.override(TZ):
        expected = set()
        for record in records:
            account = store(record, schema)
            record = {**record, "tag_ids": {schema["tags"][i].pk for i in record["tags"]}}
            if ref_eval(expression, record):
                expected.add(account.pk)
        found = set(
            apply_filter(Account.objects.all(), ACCOUNTS, expression).values_list("pk", flat=True)
        )
        transaction.set_rollback(True)
    assert found == expected, expression


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ({"field": "nope", "op": "eq", "value": "x"}, "Unknown field"),
        ({"field": "password", "op": "eq", "value": "x"}, "Unknown field"),
        ({"field": "owner.password", "op": "eq", "value": "x"}, "Unknown field"),
        ({"field": "custom.nope", "op": "eq", "value": 1}, "Unknown field"),
        ({"field": "name", "op": "gt", "value": "x"}, "cannot be used"),
        ({"field": "name", "op": "eq", "value": 5}, "must be text"),
        ({"field": "custom.score", "op": "gt", "value": "abc"}, "must be a number"),
        ({"field": "custom.score", "op": "gt", "value": "NaN"}, "must be a number"),
        ({"field": "club_joined_on", "op": "before", "value": "31/12/2024"}, "must be a date"),
        ({"field": "status", "op": "eq", "value": "no-such-status"}, "not a value of the list"),
        ({"field": "status", "op": "eq", "value": "tech"}, "not a value of the list"),
        ({"field": "custom.score", "op": "between", "value": [1]}, "two values"),
        ({"field": "name", "op": "in", "value": []}, "non-empty list"),
        ({"all": {"field": "name"}}, "must hold a list"),
        ({"field": "name", "op": "eq", "value": "x", "extra": 1}, "Unknown key"),
        ("not an object", "must be an object"),
        ({"field": "last_contact_at", "op": "period", "value": "someday"}, "Unknown period"),
    ],
)
def test_bad_expressions_are_refused_with_a_clear_message(schema, expression, message):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        apply_filter(Account.objects.all(), ACCOUNTS, expression)
    assert message in " ".join(caught.value.message_dict["filter"])


def test_deep_nesting_and_huge_expressions_are_refused(schema):
    deep = {"field": "name", "op": "eq", "value": "x"}
    for _ in range(1000):
        deep = {"not": deep}
    with translation.override("en"), pytest.raises(ValidationError, match="nested too deeply"):
        apply_filter(Account.objects.all(), ACCOUNTS, deep)
    wide = {"any": [{"field": "name", "op": "eq", "value": str(i)} for i in range(10_000)]}
    with translation.override("en"), pytest.raises(ValidationError, match="too many conditions"):
        apply_filter(Account.objects.all(), ACCOUNTS, wide)


def test_messages_are_translated(schema):
    with translation.override("he"), pytest.raises(ValidationError) as caught:
        apply_filter(Account.objects.all(), ACCOUNTS, {"field": "nope", "op": "eq", "value": 1})
    message = caught.value.message_dict["filter"][0]
    assert "nope" in message
    assert "Unknown" not in message


def test_related_field_and_me(schema, users):
    rep = users["sales_rep"]
    mine = Account.objects.create(name="שלי", owner=rep)
    Account.objects.create(name="של אחר", owner=users["sales_rep2"])
    by_department = apply_filter(
        Account.objects.all(),
        ACCOUNTS,
        {"field": "owner.department", "op": "eq", "value": rep.department_id},
    )
    assert list(by_department) == [mine]
    by_me = apply_filter(
        Account.objects.all(), ACCOUNTS, {"field": "owner", "op": "eq", "value": "me"}, user=rep
    )
    assert list(by_me) == [mine]
