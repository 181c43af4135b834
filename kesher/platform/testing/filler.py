"""Rows for every table of a historical migration state, made from the fields' types alone
(issue "Platform v2" item 9: an upgrade is checked on a database filled this way).

``fill(apps)`` writes a few rows into every table of the models in ``apps`` (a migration
state's ``StateApps``), through those historical models, so a model added tomorrow is filled
without an edit here. Values are chosen by field type: text with Hebrew, English in mixed case
and right-to-left marks, numbers at the edges of their range, dates and aware times with
microseconds, JSON objects and lists, foreign keys to rows written before (many-to-many through
tables are models like any other). The last row of each table leaves every nullable column NULL
and every blank text empty.

The database checks the rows: a row refused by a unique or check constraint is tried again with
other values (other choices, other targets, some nullable columns empty) before the table is
reported as one the filler cannot fill.
"""

from __future__ import annotations

import datetime
import decimal
import random
import uuid
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from stdnum import luhn

from kesher.platform.fields import CompanyNumberField, IsraeliIdField, PhoneField

__all__ = ["ROWS", "FillError", "Filled", "fill", "sample_text"]

ROWS = 3
ATTEMPTS = 40

# Text that has broken CRMs before: Hebrew with niqqud, geresh and gershayim; right-to-left and
# left-to-right marks and embeddings; English in mixed case (a data migration that lower-cases
# shows); quotes; a character outside the basic plane. Each text has one of each group.
WORDS = (
    ("שָׁלוֹם", "קשר", "לקוח", 'בע"מ', "צ׳יפס", "ש״ח"),
    ("\u200fמימין\u200f", "\u202bמוטבע\u202c", "\u200eLTR\u200e", "Tel-Aviv\u200f"),
    ("Kesher", "McDonald's", "O'Brien", "Ünïcödé"),
    ("🙂", "₪1,234.50", "«ציטוט»", "a\\b"),
)


class FillError(Exception):
    """A table the filler could not write a row into, with the database's last answer."""


@dataclass
class Filled:
    """What ``fill`` wrote: the primary keys of its rows, per table."""

    rows: dict[str, list] = field(default_factory=dict)


def sample_text(rng: random.Random, token: str, length: int = 60) -> str:
    """A distinct text (``token`` first, so a short column keeps it) of mixed scripts; a long
    one ends in a space."""
    text = " ".join([token, *(rng.choice(group) for group in WORDS)])
    return text[:length] if length < 40 else text[: length - 1] + " "


def fill(apps, *, tables: Iterable[str], rows: int = ROWS, seed: int = 0, using=DEFAULT_DB_ALIAS):
    """Write ``rows`` rows into each table of ``tables`` through the models of ``apps``.

    ``tables`` are the tables to fill (those of the database); a model whose table is not among
    them (swapped, unmanaged, a proxy) is left alone.
    """
    tables = set(tables)
    chosen = {
        model._meta.db_table: model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.db_table in tables and not model._meta.proxy
    }
    filled = Filled()
    later = []  # (model, field): a key to a table filled after this one, set at the end
    for model, deferred in _in_dependency_order(list(chosen.values())):
        filled.rows[model._meta.db_table] = _fill_model(model, rows, seed, deferred, using)
        later += [(model, f) for f in deferred]
    for model, fk in later:
        _point_deferred(model, fk, filled.rows[model._meta.db_table], seed, using)
    return filled


def _in_dependency_order(model_list):
    """Models each after those its keys point to; a cycle is broken at a nullable key, which is
    written empty and set once its table is filled."""
    waiting = {
        model: [
            k
            for k in _foreign_keys(model)
            if k.related_model in model_list and k.related_model is not model
        ]
        for model in model_list
    }
    placed = set()
    while waiting:
        ready = [m for m, keys in waiting.items() if all(k.related_model in placed for k in keys)]
        if ready:
            for model in sorted(ready, key=lambda m: m._meta.label):
                placed.add(model)
                waiting.pop(model)
                yield model, []
            continue
        # Nothing is ready: some models wait on each other. Break a cycle at a model whose
        # missing keys may all be empty (the user ⇄ department of its manager).
        breakable = [
            (model, [k for k in keys if k.related_model not in placed])
            for model, keys in sorted(waiting.items(), key=lambda item: item[0]._meta.label)
            if all(k.null for k in keys if k.related_model not in placed)
            and _in_cycle(model, waiting)
        ]
        if not breakable:
            raise FillError(f"a cycle of required foreign keys among {sorted(map(str, waiting))}")
        model, deferred = breakable[0]
        placed.add(model)
        waiting.pop(model)
        yield model, deferred


def _in_cycle(model, waiting) -> bool:
    seen, todo = set(), [k.related_model for k in waiting[model]]
    while todo:
        current = todo.pop()
        if current is model:
            return True
        if current not in seen and current in waiting:
            seen.add(current)
            todo += [k.related_model for k in waiting[current]]
    return False


def _foreign_keys(model):
    return [f for f in model._meta.concrete_fields if f.is_relation and f.related_model]


def _fill_model(model, rows, seed, deferred, using):
    table = model._meta.db_table
    written = []
    for index in range(rows):
        nulls = index == rows - 1 and rows > 1
        last_error = None
        for attempt in range(ATTEMPTS):
            rng = _rng(seed, table, index, attempt)
            try:
                values = _row(model, index, attempt, rng, nulls, deferred, using)
                instance = model(**values)
                with transaction.atomic(using=using):
                    instance.save(force_insert=True, using=using)
            except IntegrityError as exc:
                last_error = exc
                continue
            written.append(instance.pk)
            break
        else:
            raise FillError(f"{table}: no row accepted in {ATTEMPTS} tries; last: {last_error}")
    return written


def _rng(*parts) -> random.Random:
    # Test data, the same on every run so a failure can be repeated; never a secret.
    return random.Random(zlib.crc32(":".join(map(str, parts)).encode()))  # noqa: S311


def _row(model, index, attempt, rng, nulls, deferred, using):
    values = {}
    token = f"r{index}-{rng.randrange(10**6)}"
    for f in model._meta.concrete_fields:
        if isinstance(f, models.AutoField):
            continue
        # The last row tries every nullable column empty first; any row, once refused, tries
        # some empty (a check that one of two keys is set).
        empty = f.null and ((nulls and not attempt) or (attempt and rng.random() < 0.5))
        if f.is_relation:
            values[f.attname] = (
                None if empty or f in deferred else _target(f, index, attempt, rng, using)
            )
        elif empty and not f.primary_key:
            values[f.attname] = None
        elif (
            nulls
            and f.blank
            and isinstance(f, models.CharField | models.TextField)
            and not f.choices
        ):
            values[f.attname] = ""
        else:
            values[f.attname] = _value(f, index, attempt, rng, token)
    return values


def _target(fk, index, attempt, rng, using):
    target = fk.target_field
    found = list(
        fk.related_model._base_manager.using(using)
        .order_by("pk")
        .values_list(target.attname, flat=True)
    )
    if not found:
        if fk.null:
            return None
        raise FillError(
            f"{fk.model._meta.db_table}.{fk.column}: no row of {target.model} to point to"
        )
    # The first try points each row at a different target (one-to-one keys, unique pairs).
    return found[index % len(found)] if attempt == 0 else rng.choice(found)


def _point_deferred(model, fk, pks, seed, using):
    rng = _rng(seed, model._meta.db_table, fk.column)
    for index, pk in enumerate(pks[:-1]):  # the last row keeps its NULLs
        for attempt in range(ATTEMPTS):
            try:
                with transaction.atomic(using=using):
                    model._base_manager.using(using).filter(pk=pk).update(
                        **{fk.attname: _target(fk, index, attempt, rng, using)}
                    )
                break
            except IntegrityError:
                continue


def _value(f, index, attempt, rng, token):
    if f.choices:
        options = [value for value, _label in f.flatchoices]
        return options[index % len(options)] if attempt == 0 else rng.choice(options)
    for kind in type(f).__mro__:
        if kind in VALUES:
            return VALUES[kind](f, index, attempt, rng, token)
    raise FillError(
        f"{f.model._meta.db_table}.{f.column}: no value for a {type(f).__name__}; "
        "teach kesher/platform/testing/filler.py its type"
    )


def _text(f, index, attempt, rng, token):
    return sample_text(rng, token, f.max_length or 200)


def _long_text(f, index, attempt, rng, token):
    return (
        sample_text(rng, token, 200) + "\nשורה שנייה\r\nsecond line\t" + sample_text(rng, "", 200)
    )


def _integer(low, high):
    def make(f, index, attempt, rng, token):
        # First try: far from zero (a narrowing type shows); later tries: small numbers, which
        # pass the range checks a model may declare.
        if attempt == 0:
            return high - 1000 * (index + 1) - rng.randrange(1000)
        return rng.randrange(max(low, -10), 50)

    return make


def _decimal(f, index, attempt, rng, token):
    whole = f.max_digits - f.decimal_places
    digits = str(rng.randrange(10 ** (whole - 1), 10**whole)) if whole else "0"
    fraction = "".join(str(rng.randrange(10)) for _ in range(f.decimal_places))
    sign = "-" if attempt and rng.random() < 0.3 else ""
    return decimal.Decimal(f"{sign}{digits}.{fraction or '0'}")


def _float(f, index, attempt, rng, token):
    return rng.randrange(-(10**6), 10**6) / 64  # exact in binary: no rounding to compare


def _date(f, index, attempt, rng, token):
    return datetime.date(2019, 12, 31) + datetime.timedelta(days=rng.randrange(1, 3650))


def _datetime(f, index, attempt, rng, token):
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    return start + datetime.timedelta(
        seconds=rng.randrange(10**8), microseconds=rng.randrange(10**6)
    )


def _time(f, index, attempt, rng, token):
    return datetime.time(rng.randrange(24), rng.randrange(60), rng.randrange(60))


def _duration(f, index, attempt, rng, token):
    return datetime.timedelta(days=rng.randrange(30), seconds=rng.randrange(86400))


def _json(f, index, attempt, rng, token):
    inner = {"שם": sample_text(rng, token, 30), "n": index, "x": 2.5, "ok": True, "none": None}
    if (index + attempt) % 2:
        return [inner, "א\u200fב", 7, [1, 2]]
    return {**inner, "רשימה": ["Kesher", "קשר"], "nested": {"key": "Value", "n": -1}}


def _email(f, index, attempt, rng, token):
    # A marker may hold spaces ("Matrix mx12"): an address's local part may not.
    token = "".join(c for c in str(token) if c.isascii() and c.isalnum()) or "x"
    return f"Dana.Levi+{token}@Example.CO.IL"[: f.max_length]


def _url(f, index, attempt, rng, token):
    return f"https://Example.co.il/{token}/%D7%A9?q=קשר"[: f.max_length]


def _slug(f, index, attempt, rng, token):
    return f"{token}-kesher"[: f.max_length].lower()


def _file(f, index, attempt, rng, token):
    return f"uploads/{token}/קובץ {index}.pdf"[: f.max_length]


def _phone(f, index, attempt, rng, token):
    return f"+97250{rng.randrange(10**7):07d}"


def _check_digit_number(f, index, attempt, rng, token):
    # The field's python-stdnum module says which nine digits are a number (it checks on save).
    while True:
        body = f"{rng.randrange(10**7, 10**8)}"
        number = body + luhn.calc_check_digit(body)
        if f.stdnum_module.is_valid(number):
            return number


def _ip(f, index, attempt, rng, token):
    return f"10.{index}.{rng.randrange(256)}.{rng.randrange(256)}" if index % 2 else "2001:db8::1"


VALUES: dict[type, Callable] = {
    models.BooleanField: lambda f, index, attempt, rng, token: (index + attempt) % 2 == 0,
    models.SmallIntegerField: _integer(-32768, 32767),
    models.PositiveSmallIntegerField: _integer(0, 32767),
    models.IntegerField: _integer(-(2**31), 2**31 - 1),
    models.PositiveIntegerField: _integer(0, 2**31 - 1),
    models.BigIntegerField: _integer(-(2**63), 2**63 - 1),
    models.PositiveBigIntegerField: _integer(0, 2**63 - 1),
    models.DecimalField: _decimal,
    models.FloatField: _float,
    models.DateTimeField: _datetime,
    models.DateField: _date,
    models.TimeField: _time,
    models.DurationField: _duration,
    models.UUIDField: lambda f, index, attempt, rng, token: uuid.UUID(int=rng.getrandbits(128)),
    models.JSONField: _json,
    models.BinaryField: lambda f, index, attempt, rng, token: rng.randbytes(16) + b"\x00\xff",
    models.GenericIPAddressField: _ip,
    models.EmailField: _email,
    models.URLField: _url,
    models.SlugField: _slug,
    models.FileField: _file,
    PhoneField: _phone,
    IsraeliIdField: _check_digit_number,
    CompanyNumberField: _check_digit_number,
    models.TextField: _long_text,
    models.CharField: _text,
}
