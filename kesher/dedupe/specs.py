"""What duplicates are matched on, per entity, and the finder the platform's create page and
API call (the registry's ``Entity.duplicate_finder`` hook; REQ IM-3).

Another app makes its entity deduplicable with one ``register_spec(DedupeSpec(...))``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz, process

from kesher.dedupe.normalize import (
    digits_only,
    normalize_email,
    normalize_name,
    normalize_phone_key,
    strip_marks,
)
from kesher.platform.access import can
from kesher.platform.fields import LowercaseEmailField
from kesher.platform.records.lookups import TOP
from kesher.platform.registry import register_duplicate_finder, registry

__all__ = [
    "REASON_LABELS",
    "AlsoMatch",
    "DedupeSpec",
    "DuplicateFinder",
    "find_candidates",
    "name_threshold",
    "register_spec",
    "spec_for",
    "specs",
]

REASON_LABELS = {
    "israeli_id": _("same ID number"),
    "company_number": _("same company number"),
    "email": _("same email"),
    "phone": _("same phone"),
    "name": _("similar name"),
}
# A shared key is near-certain; a phone is shared by a household or an office switchboard.
REASON_SCORES = {"israeli_id": 100, "company_number": 100, "email": 95, "phone": 90}
MAX_CANDIDATES = 10


def name_threshold() -> int:
    """The token-sort ratio (0–100) from which two normalised names count as similar."""
    return settings.KESHER_DEDUPE_NAME_THRESHOLD


@dataclass(frozen=True)
class AlsoMatch:
    """Another entity a new record is also checked against on create (a lead against the
    contacts and accounts it may become, REQ SA-1): ``fields`` pairs each of the other
    entity's fields with the field of this one that holds the same thing."""

    key: str
    fields: tuple[tuple[str, str], ...]

    def data_from(self, data: dict) -> dict:
        """The new record's values under the other entity's field names."""
        return {theirs: data.get(ours) for theirs, ours in self.fields}


@dataclass(frozen=True)
class DedupeSpec:
    """The fields of one entity that duplicates are matched on."""

    key: str
    name_fields: tuple[str, ...]
    phone_fields: tuple[str, ...] = ()
    email_fields: tuple[str, ...] = ()
    # Exact identity keys compared as digits: "israeli_id", "company_number".
    id_fields: tuple[str, ...] = ()
    # Names are compared only within one value of this field (a city), when set.
    block_field: str | None = None
    # The scan's sorted-neighbourhood order; an index on it lets the database stream it.
    sort_fields: tuple[str, ...] = ()
    company_names: bool = False
    # Other entities a new record is also checked against on create (page, API, import).
    also_against: tuple[AlsoMatch, ...] = ()

    @property
    def entity(self):
        return registry.get(self.key)

    def name_of(self, values) -> str:
        """The normalised name from a record or a dict of field values."""
        get = values.get if isinstance(values, dict) else lambda f, d="": getattr(values, f, d)
        text = " ".join(str(get(f, "") or "") for f in self.name_fields)
        return normalize_name(text, company=self.company_names)

    def block_of(self, values) -> str:
        if not self.block_field:
            return ""
        get = values.get if isinstance(values, dict) else lambda f, d="": getattr(values, f, d)
        return normalize_name(str(get(self.block_field, "") or ""))


_specs: dict[str, DedupeSpec] = {}


def register_spec(spec: DedupeSpec) -> DedupeSpec:
    """Make ``spec.key`` deduplicable: the create warning, the scan, the queue and merge."""
    _specs[spec.key] = spec
    register_duplicate_finder(spec.key, DuplicateFinder(spec))
    return spec


def spec_for(key: str) -> DedupeSpec | None:
    return _specs.get(key)


def specs() -> list[DedupeSpec]:
    return [_specs[k] for k in registry if k in _specs]


def _keys(spec: DedupeSpec, data: dict) -> dict[str, set]:
    """The exact keys ``data`` has, normalised, by reason: phones (E.164), e-mails (lower
    case), and each identity number as its field stores it."""
    keys: dict[str, set] = {}
    phones = {normalize_phone_key(data.get(f)) for f in spec.phone_fields} - {""}
    if phones:
        keys["phone"] = phones
    emails = {normalize_email(data.get(f)) for f in spec.email_fields} - {""}
    if emails:
        keys["email"] = emails
    for field in spec.id_fields:
        number = digits_only(data.get(field))
        try:
            # An invalid number is the create's own error to report, by field; and the
            # field would refuse it as a lookup value too.
            number = spec.entity.model._meta.get_field(field).to_python(number)
        except ValidationError:
            number = ""
        if number:
            keys[field] = {number}
    return keys


def _reasons(spec: DedupeSpec, obj, keys: dict) -> list[str]:
    found = []
    if (
        "phone" in keys
        and {normalize_phone_key(getattr(obj, f)) for f in spec.phone_fields} & (keys["phone"])
    ):
        found.append("phone")
    if (
        "email" in keys
        and {normalize_email(getattr(obj, f)) for f in spec.email_fields} & (keys["email"])
    ):
        found.append("email")
    for field in spec.id_fields:
        if field in keys and digits_only(getattr(obj, field)) in keys[field]:
            found.append(field)
    return found


# Letters of a name's first word its candidates must start with; the most records sharing a
# key, and the most name candidates, one create reads.
PREFIX_LETTERS = 3
KEY_CANDIDATES = 50
NAME_CANDIDATES = 1000
_UNFOLD = {folded: final for final, folded in zip("ךםןףץ", "כמנפצ", strict=True)}


def _stored_prefixes(value) -> list[str]:
    """How the start of a typed name value may be stored: the first letters of its first
    word, without marks, as typed, capitalised and in lower case, and — when the prefix is the
    whole word — with its last letter final and not (stored values are not normalised; the
    comparison that follows is)."""
    words = normalize_name(str(value or "")).split()
    if not words:
        return []
    prefix = words[0][:PREFIX_LETTERS]
    typed = strip_marks(str(value)).strip()[: len(prefix)]
    forms = {prefix, typed, prefix.capitalize()}
    if len(words[0]) <= PREFIX_LETTERS and prefix[-1] in _UNFOLD:
        forms.add(prefix[:-1] + _UNFOLD[prefix[-1]])
    return sorted(f for f in forms if f)


def name_fields_in_index_order(spec: DedupeSpec) -> tuple[str, ...]:
    """The name fields in the order of the spec's index (``sort_fields``): the first is the
    one a prefix seeks on, the others are checked within its range."""
    order = [f for f in spec.sort_fields if f in spec.name_fields]
    return (*order, *(f for f in spec.name_fields if f not in order))


def _starts_with(column: str, prefix: str, vendor: str) -> tuple[str, list]:
    """``column`` starting with ``prefix`` as a range of the column's ordinary index, on both
    databases. Not ``LIKE``: PostgreSQL seeks a ``LIKE`` prefix only in a ``pattern_ops``
    index or under the "C" collation, and the name indexes are neither. In code-point order
    (SQLite; PostgreSQL with a ``C`` or ``C.UTF-8`` collation, deploy.md) the range is the
    prefix exactly; under another collation, ``LIKE`` keeps only true matches of it."""
    sql, params = f"{column} >= %s AND {column} < %s", [prefix, prefix + TOP]
    if vendor == "postgresql":
        sql += f" AND {column} LIKE %s"
        params.append(connection.ops.prep_for_like_query(prefix) + "%")
    return f"({sql})", params


def _any_prefix(column: str, prefixes: list[str], vendor: str) -> tuple[str, list]:
    """``column`` starting with one of ``prefixes`` (or empty, when there are none), checked
    within another column's range: on PostgreSQL one ``LIKE ANY`` (an OR of ranges made its
    planning cost ten times its execution), on SQLite an OR of ranges."""
    if not prefixes:
        return f"{column} = %s", [""]
    if vendor == "postgresql":
        patterns = [connection.ops.prep_for_like_query(p) + "%" for p in prefixes]
        return f"{column} LIKE ANY(%s)", [patterns]
    matches = [_starts_with(column, p, vendor) for p in prefixes]
    return "(" + " OR ".join(sql for sql, _p in matches) + ")", [
        param for _sql, params in matches for param in params
    ]


@functools.cache
def _quoted(model, field: str | None) -> str:
    """A field's column (``"pk"``: the primary key's; ``None``: the table) quoted for SQL."""
    meta = model._meta
    if field is None:
        return connection.ops.quote_name(meta.db_table)
    return connection.ops.quote_name((meta.pk if field == "pk" else meta.get_field(field)).column)


class _Statement:
    """One create's candidates in one statement, written here rather than by the ORM (it
    compiled a dozen branches in 2 ms; the database answers them in 0.05): a UNION ALL of

    * the records sharing a key — ``phone IN (…) OR mobile IN (…) OR email IN (…) OR
      israeli_id = …``, each an equality its column's index answers;
    * the records whose name fields start as the typed ones do: each field the first
      ``PREFIX_LETTERS`` of the typed value's first word (or empty where the typed value is),
      with two name fields also swapped (a first name typed as the last), and with a
      ``block_field`` value only records of that value or none. Each branch is one range of
      the (block, name…) or (name…) index: an equality on the block, a prefix of the first
      name field, the other fields checked within the range.

    Rows are (kind, id, the name fields…, the block): kind 0 shares a key, 1 a name prefix.
    """

    def __init__(self, spec: DedupeSpec, data: dict, keys: dict):
        self.model = spec.entity.model
        self.spec = spec
        self.vendor = connection.vendor
        self.columns = list(dict.fromkeys([*spec.name_fields, *filter(None, [spec.block_field])]))
        self.branches: list[str] = []
        self.params: list = []
        self._keys(keys)
        self._names(data)

    def column(self, field: str) -> str:
        return _quoted(self.model, field)

    def _select(self, kind: int, where: str) -> str:
        names = ", ".join(self.column(f) for f in self.columns)
        table = _quoted(self.model, None)
        return f"SELECT {kind}, {self.column('pk')}, {names} FROM {table} WHERE {where}"  # noqa: S608

    def _keys(self, keys: dict) -> None:
        alternatives = []
        for reason, fields in (
            ("phone", self.spec.phone_fields),
            ("email", self.spec.email_fields),
            *((field, (field,)) for field in self.spec.id_fields),
        ):
            values = sorted(keys.get(reason, ()))
            for field in fields if values else ():
                column = self.column(field)
                if reason == "email" and not isinstance(
                    self.model._meta.get_field(field), LowercaseEmailField
                ):
                    column = f"LOWER({column})"  # no index answers it on either database
                marks = ", ".join(["%s"] * len(values))
                alternatives.append(f"{column} IN ({marks})")
                self.params.extend(values)
        if alternatives:
            select = self._select(0, " OR ".join(alternatives))
            limited = f"SELECT * FROM ({select} LIMIT {KEY_CANDIDATES}) AS shared"  # noqa: S608
            self.branches.append(limited)

    def _names(self, data: dict) -> None:
        fields = name_fields_in_index_order(self.spec)
        values = [data.get(f) for f in fields]
        if not any(_stored_prefixes(v) for v in values):
            return
        orders = [values]
        if len(fields) == 2 and values[0] != values[1]:
            orders.append(values[::-1])
        block_field = self.spec.block_field
        block = str(data.get(block_field) or "").strip() if block_field else ""
        for first, *others in orders:
            rest, rest_params = [], []
            for field, value in zip(fields[1:], others, strict=True):
                condition, params = _any_prefix(
                    self.column(field), _stored_prefixes(value), self.vendor
                )
                rest.append(condition)
                rest_params.extend(params)
            seek_column = self.column(fields[0])
            seeks = [
                _starts_with(seek_column, p, self.vendor) for p in _stored_prefixes(first)
            ] or [(f"{seek_column} = %s", [""])]
            for seek, seek_params in seeks:
                where, params = [seek, *rest], [*seek_params, *rest_params]
                if block:
                    # One range per block value: the index's leading column takes a list.
                    where.insert(0, f"{self.column(block_field)} IN (%s, %s)")
                    params[:0] = [block, ""]
                self.branches.append(self._select(1, " AND ".join(where)))
                self.params.extend(params)

    def rows(self) -> list[tuple]:
        if not self.branches:
            return []
        sql = " UNION ALL ".join(self.branches) + f" LIMIT {KEY_CANDIDATES + NAME_CANDIDATES}"
        with connection.cursor() as cursor:
            cursor.execute(sql, self.params)
            return cursor.fetchall()


def find_candidates(spec: DedupeSpec, actor, data: dict, *, exclude=None) -> list[dict]:
    """Records ``actor`` may see that look like the record ``data`` describes, best first.

    Shared phone, email, ID or company number, or a similar name (rapidfuzz token-sort ratio
    over normalised names, at least ``name_threshold()``) — by name only within the same
    ``block_field`` value when both records have one (decision 0055). One statement reads,
    from indexes, the ids of the records sharing a key and the names of the records whose
    names start alike (``_Statement``); the names are compared here; only the records found
    are read whole, through ``visible_to(actor)``, so no other record is ever named.
    """
    keys = _keys(spec, data)
    name = spec.name_of(data)
    if len(name.replace(" ", "")) < 2:
        name = ""
    statement = _Statement(spec, data if name else {}, keys)
    block = spec.block_of(data)
    threshold = name_threshold()

    def name_score(values) -> int:
        if not name:
            return 0
        other_block = spec.block_of(values)
        if block and other_block and block != other_block:
            return 0
        score = round(fuzz.token_sort_ratio(name, spec.name_of(values)))
        return score if score >= threshold else 0

    shared: set[int] = set()
    alike_ids: list[int] = []
    alike_names: list[str] = []
    for kind, pk, *values in statement.rows():
        if pk == exclude:
            continue
        if kind == 0:
            shared.add(pk)
            continue
        row = dict(zip(statement.columns, values, strict=True))
        other_block = spec.block_of(row)
        if not (block and other_block and block != other_block):
            alike_ids.append(pk)
            alike_names.append(spec.name_of(row))
    similar: dict[int, int] = {}
    # rapidfuzz compares the candidates in one call; scores are rounded as ``name_score``.
    for _name, score, index in process.extract(
        name, alike_names, scorer=fuzz.token_sort_ratio, score_cutoff=threshold - 0.5, limit=None
    ):
        if round(score) >= threshold:
            similar[alike_ids[index]] = round(score)
    if not shared and not similar:
        return []
    # Which of them the actor may see (ids only), then the best of those read whole.
    visible = spec.entity.model.objects.visible_to(actor)
    seen = visible.filter(pk__in=shared | set(similar)).values_list("pk", flat=True)
    best = sorted(seen, key=lambda pk: (pk not in shared, -similar.get(pk, 0), pk))
    found = []
    for obj in visible.filter(pk__in=best[: MAX_CANDIDATES + len(shared)]):
        reasons = _reasons(spec, obj, keys) if obj.pk in shared else []
        score = max((REASON_SCORES[r] for r in reasons), default=0)
        alike = similar.get(obj.pk) or (name_score(obj) if reasons else 0)
        if alike:
            reasons.append("name")
        if reasons:
            found.append({"obj": obj, "score": max(score, alike), "reasons": reasons})
    ranked = sorted(found, key=lambda c: (-c["score"], c["obj"].pk))[:MAX_CANDIDATES]
    for candidate in ranked:
        obj = candidate["obj"]
        candidate.update(
            id=obj.pk,
            entity=spec.key,
            display=str(obj),
            url=reverse("entity_detail", args=[spec.key, obj.pk]),
            reason_labels=[str(REASON_LABELS[r]) for r in candidate["reasons"]],
        )
    return ranked


class DuplicateFinder:
    """What the platform's generic create page and API call before creating a record."""

    template = "dedupe/create_warning.html"
    message = _(
        "Records like this one already exist. Open one of them, or create the record anyway."
    )
    force_label = _("Create anyway")
    queue_label = _("Possible duplicates")

    def __init__(self, spec: DedupeSpec):
        self.spec = spec

    def find(self, actor, data: dict) -> list[dict]:
        """Records like ``data`` of this entity and of the entities it is also checked
        against (those the actor may see), best first; another entity's are marked with its
        name (``kind``)."""
        found = find_candidates(self.spec, actor, data)
        for other in self.other_entities(actor):
            match = next(m for m in self.spec.also_against if m.key == other.key)
            kind = capfirst(other.label)
            found += [
                {**candidate, "kind": kind}
                for candidate in find_candidates(spec_for(other.key), actor, match.data_from(data))
            ]
        # A stable sort: within one score, this entity's records first, then by id.
        return sorted(found, key=lambda c: -c["score"])[:MAX_CANDIDATES]

    def other_entities(self, actor) -> list:
        """The other entities a new record is checked against that ``actor`` may see."""
        return [
            registry.get(match.key)
            for match in self.spec.also_against
            if spec_for(match.key) is not None and can(actor, match.key, "view")
        ]

    @staticmethod
    def as_json(candidates: list[dict]) -> list[dict]:
        return [
            {
                "entity": c["entity"],
                "id": c["id"],
                "display": c["display"],
                "url": c["url"],
                "score": c["score"],
                "reasons": c["reasons"],
            }
            for c in candidates
        ]


register_spec(
    DedupeSpec(
        key="accounts",
        name_fields=("name",),
        phone_fields=("phone", "mobile"),
        email_fields=("email",),
        id_fields=("company_number", "israeli_id"),
        sort_fields=("name",),
        company_names=True,
    )
)
register_spec(
    DedupeSpec(
        key="contacts",
        name_fields=("first_name", "last_name"),
        phone_fields=("phone", "mobile"),
        email_fields=("email",),
        id_fields=("israeli_id",),
        block_field="city",
        sort_fields=("city", "last_name", "first_name"),
    )
)
