"""One search index for every entity (DESIGN.md "Search"): name prefixes, emails, phone suffixes.

Hebrew-aware normalization: niqqud and punctuation are dropped and final letters folded, so
"שָׁלוֹם" and "שלום" match; no stemming. Phone numbers are indexed as their stored
(international) digits reversed, so the last digits typed in any format find the number; a
national number typed with its leading 0 is looked up as the international one too
(decision 0054).
"""

from __future__ import annotations

import collections
import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import reduce
from types import SimpleNamespace

from django.db import connection
from django.db.models import BigIntegerField, F, Func, Q, QuerySet
from django.db.models.expressions import RawSQL

from kesher.platform.customfields.types import type_of
from kesher.platform.models import SearchToken
from kesher.platform.records.inserts import (
    Statement,
    delete_statement,
    insert_statement,
    run_together,
)
from kesher.platform.records.lookups import prefix_match  # also registers ``__prefix``
from kesher.platform.registry import Entity, registry
from kesher.platform.visibility import hidden_fields

__all__ = [
    "index_record",
    "index_statements",
    "matching_ids",
    "normalize",
    "search",
    "unindex_statement",
    "update_statements",
]

MAX_TOKEN = 80
FINAL_LETTERS = str.maketrans("ךםןףץ", "כמנפצ")
# Geresh and gershayim belong inside Hebrew words ("צה״ל", "בע״מ"): kept, then stripped.
_WORD_SPLIT = re.compile(r"[^\w@.+'\"׳״-]+", re.UNICODE)
_STRIP = re.compile(r"[\"'׳״.\-_]+")


def normalize(text: str) -> str:
    """Lowercase, drop niqqud/marks and bidi controls, fold Hebrew final letters."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(c for c in decomposed if not unicodedata.category(c).startswith(("M", "Cf")))
    return kept.lower().translate(FINAL_LETTERS)


def words(text: str) -> list[str]:
    result = []
    for raw in _WORD_SPLIT.split(normalize(text)):
        word = _STRIP.sub("", raw)
        if word:
            result.append(word[:MAX_TOKEN])
    return result


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def phone_tokens(e164: str) -> set[str]:
    """The reversed digits of the stored (international) form: one token per phone. A national
    number typed with its leading 0 is looked up as its international form (``_term_prefixes``)
    rather than stored twice (decision 0054)."""
    all_digits = digits(e164)
    return {all_digits[::-1]} if all_digits else set()


# How each custom-field type's values are searched (its ``FieldType.search``).
SEARCH_KINDS = {
    "word": SearchToken.Kind.WORD,
    "email": SearchToken.Kind.EMAIL,
    "phone": SearchToken.Kind.PHONE,
}


def searched_custom_fields(entity: Entity) -> list:
    """The entity's custom fields whose values are searched (REQ CX-1: text types)."""
    if not entity.has_custom_fields:
        return []
    from kesher.platform.customfields.values import definitions_for

    # The definitions a request already read (validating the record) serve here too.
    return [d for d in definitions_for(entity) if type_of(d).search]


def _tokens(entity: Entity, obj, custom_fields=(), skip=frozenset()) -> set[tuple[int, str]]:
    """The (kind, token) pairs of ``obj``, but those of the fields in ``skip``."""
    result: set[tuple[int, str]] = set()
    values = getattr(obj, "custom", None) or {}
    for definition in custom_fields:
        value = values.get(definition.key)
        if not isinstance(value, str) or not value:
            continue
        kind = SEARCH_KINDS[type_of(definition).search]  # type: ignore[index]  # searched: has one
        if kind == SearchToken.Kind.PHONE:
            result.update((kind, token) for token in phone_tokens(value))
        elif kind == SearchToken.Kind.EMAIL:
            result.add((kind, value.strip().lower()[:MAX_TOKEN]))
        else:
            result.update((kind, word) for word in words(value)[:50])
    for name in entity.search_words:
        if name in skip:
            continue
        for word in words(str(getattr(obj, name, "") or "")):
            result.add((SearchToken.Kind.WORD, word))
    for name in entity.search_emails:
        email = (getattr(obj, name, "") or "").strip().lower()
        if email and name not in skip:
            result.add((SearchToken.Kind.EMAIL, email[:MAX_TOKEN]))
    for name in entity.search_phones:
        if name in skip:
            continue
        for token in phone_tokens(getattr(obj, name, "") or ""):
            result.add((SearchToken.Kind.PHONE, token))
    return result


def index_record(obj, entity: Entity | None = None, *, new: bool = False) -> None:
    """(Re)write the search tokens of one record (``new``: it has none yet)."""
    run_together(*index_statements(obj, entity, new=new))


def index_statements(
    obj, entity: Entity | None = None, *, new: bool = False
) -> list[Statement | None]:
    """What (re)writing one record's tokens takes, to run beside the record's other rows
    (``inserts.run_together``): the old tokens' DELETE unless ``new``, and the new ones'
    INSERT."""
    entity = entity or registry.for_model(obj)
    custom_fields = searched_custom_fields(entity)
    if not entity.has_search() and not custom_fields:
        return []
    rows = [
        {"entity": entity.key, "object_id": obj.pk, "kind": kind, "token": token}
        for kind, token in sorted(_tokens(entity, obj, custom_fields))
    ]
    inserted = insert_statement(SearchToken, rows)  # None when there are no tokens
    return [inserted] if new else [unindex_statement(obj, entity), inserted]


def update_statements(
    obj, entity: Entity, old: dict, old_custom: dict | None = None
) -> list[Statement | None]:
    """What an update of ``obj`` changes in its tokens, to run beside its other rows: nothing
    when none of its searched fields changed (a deal's stage); else the DELETE of the tokens
    the change adds or removes and the INSERT of those it adds — the tokens of its other
    searched fields are not written again. ``old``: the changed fields' previous values;
    ``old_custom``: the custom values before, when they changed."""
    names = (*entity.search_words, *entity.search_emails, *entity.search_phones)
    changed = [name for name in names if name in old]
    custom_fields = []
    if old_custom is not None:
        new_custom = getattr(obj, "custom", None) or {}
        custom_fields = [
            d
            for d in searched_custom_fields(entity)
            if old_custom.get(d.key) != new_custom.get(d.key)
        ]
    if not changed and not custom_fields:
        return []
    # A token may come from a changed field and an unchanged one alike ("לוי" in the name
    # and in the company): the record's tokens before and after are compared whole.
    custom_fields = searched_custom_fields(entity)
    before = SimpleNamespace(
        **{name: old[name] if name in old else getattr(obj, name, "") for name in names},
        custom=old_custom if old_custom is not None else getattr(obj, "custom", None),
    )
    was = _tokens(entity, before, custom_fields)
    now = _tokens(entity, obj, custom_fields)
    if was == now:
        return []
    # The tokens it gains are deleted too: never two rows of one token of a record.
    gone = sorted(was ^ now)
    table = connection.ops.quote_name(SearchToken._meta.db_table)
    pairs = " OR ".join(["(kind = %s AND token = %s)"] * len(gone))
    delete = Statement(
        f"DELETE FROM {table} WHERE entity = %s AND object_id = %s AND ({pairs})",  # noqa: S608
        (entity.key, obj.pk, *(v for kind, token in gone for v in (int(kind), token))),
    )
    rows = [
        {"entity": entity.key, "object_id": obj.pk, "kind": kind, "token": token}
        for kind, token in sorted(now - was)
    ]
    return [delete, insert_statement(SearchToken, rows)]


def index_new(entity: Entity, instances: list) -> None:
    """Index freshly created records in one statement (imports, bulk loads, demo data; building
    a model instance per token was a quarter of an import's time)."""
    custom_fields = searched_custom_fields(entity)
    if not entity.has_search() and not custom_fields:
        return
    rows = [
        (obj.pk, kind, token)
        for obj in instances
        for kind, token in _tokens(entity, obj, custom_fields)
    ]
    if not rows:
        return
    meta = SearchToken._meta
    quote = connection.ops.quote_name
    by_name = {field.name: str(field.column) for field in meta.concrete_fields}
    columns = ", ".join(quote(by_name[name]) for name in ("entity", "object_id", "kind", "token"))
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            ids, kinds, tokens = (list(column) for column in zip(*rows, strict=True))
            cursor.execute(
                f"{insert} SELECT %s, t.id, t.kind, t.token "  # noqa: S608
                "FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS t(id, kind, token)",
                [entity.key, ids, kinds, tokens],
            )
        else:
            cursor.executemany(
                f"{insert} VALUES (%s, %s, %s, %s)",
                [(entity.key, pk, kind, token) for pk, kind, token in rows],
            )


def unindex_statement(obj, entity: Entity | None = None) -> Statement:
    entity = entity or registry.for_model(obj)
    return delete_statement(SearchToken, entity=entity.key, object_id=obj.pk)


def _term_prefixes(term: str) -> dict[str, list[int]]:
    """The token prefixes one typed term may match, each with the kinds of token it is looked
    up among: word prefix, email prefix, or phone suffix (reversed digits)."""
    kinds_by_prefix: dict[str, list[int]] = {}
    if "@" in term or "." in term:
        # "moshe.levi" is the start of an address: match it whole, dots included.
        kinds_by_prefix.setdefault(term.lower(), []).append(SearchToken.Kind.EMAIL)
    number = digits(term)
    if len(number) >= 3 and len(number) >= len(re.sub(r"[\s()+\-]", "", term)):
        kinds_by_prefix.setdefault(number[::-1], []).append(SearchToken.Kind.PHONE)
        if number.startswith("0"):
            # An Israeli national number's leading 0 is the international 972 (or it is a 0
            # inside the number: both are looked up).
            kinds_by_prefix.setdefault(("972" + number[1:])[::-1], []).append(
                SearchToken.Kind.PHONE
            )
    for word in words(term)[:1]:
        kinds = kinds_by_prefix.setdefault(word, [])
        kinds += [k for k in (SearchToken.Kind.WORD, SearchToken.Kind.EMAIL) if k not in kinds]
    return kinds_by_prefix


@dataclass(frozen=True)
class _Range:
    """One range of the (entity, kind, token, object_id) index: tokens of ``kinds`` starting
    with ``prefix`` in one entity."""

    entity: str
    kinds: tuple[int, ...]
    prefix: str

    def q(self) -> Q:
        # ``prefix``, not ``startswith``: SQLite answers LIKE by a scan (lookups.py).
        return Q(entity=self.entity, kind__in=self.kinds, token__prefix=self.prefix)

    def sql(self, cap: int, scope: tuple[str, list] | None = None) -> tuple[str, list]:
        """The first ``cap`` object ids of the range — among ``scope`` (the SQL and parameters
        of the ids of the records the reader sees) when he does not see all, so a sales rep's
        own matches are never crowded out by other people's. Written here rather than by the
        ORM: a search builds one per entity and alternative, and compiling them cost more
        than running them (lookups.py says how each database reads a prefix from the index)."""
        marks = ", ".join(["%s"] * len(self.kinds))
        match, bounds = prefix_match("token", self.prefix, connection)
        scope_sql, scope_params = scope if scope is not None else ("", [])
        # "+object_id": the ids of his scope are a set each index entry is checked against,
        # never where the database starts (SQLite looked up the tokens of each of a rep's
        # 21,000 contacts for a phone number, 400 ms, instead of reading the range's two).
        within = f" AND +object_id IN ({scope_sql})" if scope is not None else ""
        sql = (
            "SELECT object_id FROM platform_searchtoken"  # noqa: S608  (values are parameters)
            f" WHERE entity = %s AND kind IN ({marks}) AND {match}{within} LIMIT {int(cap)}"
        )
        return sql, [self.entity, *self.kinds, *bounds, *scope_params]


def _term_alternatives(term: str, entity_key: str, unsearched=frozenset()) -> list[_Range]:
    """The token ranges one typed term may match in one entity, one per distinct prefix (a name
    is looked up among words and emails at once, ``kind IN (1, 2)``), leaving out the kinds in
    ``unsearched``. Each is one range of the (entity, kind, token, object_id) index, answered
    from the index alone; an OR of them would make PostgreSQL visit the table, and SQLite,
    unless each names the entity, scan the entity's tokens."""
    alternatives = []
    for value, kinds in _term_prefixes(term).items():
        kinds = [k for k in kinds if k not in unsearched]
        if kinds:
            alternatives.append(_Range(entity_key, tuple(sorted(kinds)), value))
    return alternatives


@dataclass(frozen=True)
class _Hidden:
    """What of an entity's searched fields its reader does not see (decision 0047): the
    kinds of token that come only from such fields are not searched at all; where a kind
    comes from seen and unseen fields alike, each candidate is checked against the tokens of
    the fields he sees (``check``)."""

    fields: frozenset[str]
    unsearched: frozenset[int]
    check: bool

    @classmethod
    def of(cls, entity: Entity, hidden: frozenset[str]) -> _Hidden | None:
        if not hidden:
            return None
        sources = {
            SearchToken.Kind.WORD: set(entity.search_words),
            SearchToken.Kind.EMAIL: set(entity.search_emails),
            SearchToken.Kind.PHONE: set(entity.search_phones),
        }
        for definition in searched_custom_fields(entity):
            kind = type_of(definition).search  # a searched field's type has a search kind
            sources[SEARCH_KINDS[kind]].add(f"custom.{definition.key}")  # type: ignore[index]
        searched_hidden = hidden & set().union(*sources.values())
        if not searched_hidden:
            return None
        unsearched = frozenset(k for k, names in sources.items() if names and names <= hidden)
        check = any(names & hidden and names - hidden for names in sources.values())
        return cls(frozenset(searched_hidden), unsearched, check)

    def columns(self, entity: Entity) -> list[str]:
        """The columns the check reads of each candidate: its searched fields he sees."""
        names = [
            name
            for name in (*entity.search_words, *entity.search_emails, *entity.search_phones)
            if name not in self.fields
        ]
        if any(f"custom.{d.key}" not in self.fields for d in searched_custom_fields(entity)):
            names.append("custom")
        return list(dict.fromkeys(names))

    def matcher(self, entity: Entity, terms: list[str]):
        """``matches(values)``: whether every term matches a token of the fields he sees among
        a candidate's ``values`` (column name → value), as the index would."""
        shown = [d for d in searched_custom_fields(entity) if f"custom.{d.key}" not in self.fields]
        wanted = [_term_prefixes(term).items() for term in terms]

        def matches(values: dict) -> bool:
            tokens = _tokens(entity, SimpleNamespace(**values), shown, skip=self.fields)
            return all(
                any(
                    kind in kinds and token.startswith(prefix)
                    for prefix, kinds in prefixes
                    for kind, token in tokens
                )
                for prefixes in wanted
            )

        return matches


# Candidate records kept per entity before sorting.
CANDIDATES = 400
# A token's record id, checked against the reader's ids rather than used to start from
# (_Range.sql says why).
_UNINDEXED_ID = Func(F("object_id"), template="+%(expressions)s", output_field=BigIntegerField())


def _scope(entity: Entity, user) -> tuple[QuerySet, tuple[str, list] | None]:
    """What ``user`` sees of ``entity``: its records' queryset, and the SQL and parameters of
    their ids when that is not every record (else None)."""
    everything = entity.queryset()
    scoped = everything.visible_to(user)
    if scoped.query.is_empty() or len(scoped.query.where.children) == len(
        everything.query.where.children
    ):
        return scoped, None
    # Unordered: a set of ids, not a list to sort each time.
    sql, params = scoped.order_by().values("pk").query.sql_with_params()
    return scoped, (sql, list(params))


def _candidates(
    alternatives: dict[str, list[_Range]],
    cap: int,
    scopes: dict[str, tuple[str, list]] | None = None,
) -> tuple[dict[str, set[int]], set[str]]:
    """The first ``cap`` candidates of each entity (among its ``scopes``, where given), its
    alternatives tried in order, read by one statement: each alternative's index range is a
    branch of a UNION ALL, limited to ``cap``. Also the entities some of whose matches may have
    been left out (a range gave ``cap`` rows).
    A statement per entity and alternative cost more in Python than in the database — with
    twenty searchable entities, a typed phone number made forty statements of 0.02 ms each."""
    branches: list[str] = []
    params: list = []
    owners: list[str] = []
    for key, entity_alternatives in alternatives.items():
        for alternative in entity_alternatives:
            sql, branch_params = alternative.sql(cap, (scopes or {}).get(key))
            number = len(owners)
            # The values stay parameters.
            branch = f"SELECT {number} AS branch, object_id FROM ({sql}) AS branch{number}"  # noqa: S608
            branches.append(branch)
            params.extend(branch_params)
            owners.append(key)
    found: dict[str, set[int]] = {key: set() for key in alternatives}
    if not branches:
        return found, set()
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(branches), params)
        rows = cursor.fetchall()
    read = collections.Counter(branch for branch, _object_id in rows)
    cut = {owners[branch] for branch, count in read.items() if count >= cap}
    # Sorted by branch only (a stable sort): within one, the rows stay in the order read.
    for branch, object_id in sorted(rows, key=operator.itemgetter(0)):
        ids = found[owners[branch]]
        if len(ids) < cap:
            ids.add(object_id)
    return found, cut


def search(
    user, text: str, *, entities: list[str] | None = None, limit: int = 10, related: bool = True
):
    """Records matching every term of ``text`` that ``user`` may see, grouped by entity.

    Returns ``[(entity, [obj, ...]), ...]`` in navigation order. ``related=False`` leaves out
    the entities' ``select_related`` joins, for callers that show only a record's name and its
    own fields (the pickers: three joins were a third of a suggestion's cost).

    The candidates are capped (``CANDIDATES`` per entity) before the records are read through
    ``visible_to``; where the cap left matches out and the reader does not see every record,
    the entity's candidates are read again among the records he sees, so other people's
    matches never hide his own (issue 26). When nothing was left out — a phone, an e-mail, a
    rare name — that costs nothing.
    """
    looked_for = _looked_for(text)
    if not looked_for:
        return []
    keys = entities or [e.key for e in registry.all() if e.has_search()]
    # Each entity's ranges for each term, leaving out what a field he does not see could match
    # (0047); an entity a term cannot match there is not searched.
    wanted: list[tuple[Entity, _Hidden | None, list[list[_Range]]]] = []
    for key in keys:
        entity = registry.get(key)
        hidden = _Hidden.of(entity, hidden_fields(entity, user))
        unsearched = hidden.unsearched if hidden else frozenset()
        per_term = [_term_alternatives(term, key, unsearched) for term in looked_for]
        if per_term and all(per_term):
            wanted.append((entity, hidden, per_term))
    # One term: the candidates of every entity from one statement; again among what he sees
    # for the entities where the cap left some out.
    single_term = {entity.key: per_term[0] for entity, _h, per_term in wanted if len(per_term) == 1}
    single, cut = _candidates(single_term, CANDIDATES)
    scopes = {key: _scope(registry.get(key), user) for key in cut}
    narrowed = {key: scope for key, (_qs, scope) in scopes.items() if scope is not None}
    if narrowed:
        again, _cut = _candidates({key: single_term[key] for key in narrowed}, CANDIDATES, narrowed)
        single.update(again)
    results = []
    for entity, hidden, per_term in wanted:
        if len(per_term) == 1:
            ids = single[entity.key]
        else:
            ids = _intersected(entity, user, per_term, scopes)
        if not ids:
            continue
        if entity.key not in scopes:
            scopes[entity.key] = (entity.queryset().visible_to(user), None)
        check = (hidden, looked_for) if hidden is not None and hidden.check else None
        objs = _first_records(entity, scopes[entity.key][0], ids, limit, check, related)
        if objs:
            results.append((entity, objs))
    return results


def _looked_for(text: str) -> list[str]:
    """The terms of ``text`` (at most five) that look for something."""
    terms = [t for t in re.split(r"\s+", (text or "").strip()) if t][:5]
    # A phone typed with spaces ("052 555 1234") is one term.
    joined = "".join(terms)
    if len(terms) > 1 and re.fullmatch(r"[\d+()\-]+", joined):
        terms = [joined]
    # Terms that are no word, address or number (a lone "-") look for nothing.
    return [term for term in terms if _term_prefixes(term)]


def _intersected(entity: Entity, user, per_term: list[list[_Range]], scopes: dict) -> set[int]:
    """The candidates matching every term: the database intersects the terms' records (SQL
    INTERSECT), so "משה לוי" finds the Moshe Levis among thousands of Moshes and Levis without
    capping either side first; among what ``user`` sees when the cap left some out."""
    per_record = [
        SearchToken.objects.filter(reduce(operator.or_, [a.q() for a in alternatives])).values_list(
            "object_id", flat=True
        )
        for alternatives in per_term
    ]
    ids = set(per_record[0].intersection(*per_record[1:])[:CANDIDATES])
    if len(ids) >= CANDIDATES:
        scopes[entity.key] = _scope(entity, user)
        scoped, scope = scopes[entity.key]
        if scope is not None:
            mine = per_record[0].alias(_scoped=_UNINDEXED_ID)
            mine = mine.filter(_scoped__in=scoped.order_by().values("pk"))
            ids = set(mine.intersection(*per_record[1:])[:CANDIDATES])
    return ids


def matching_ids(user, entity: Entity, text: str) -> set[int]:
    """Ids of ``entity``'s records matching every term of ``text`` by what ``user`` may see of
    their fields — at most ``CANDIDATES``, his own first where the cap left some out, as the
    global search takes them — for a list's search box, which scopes, sorts and pages them
    itself (decision 0056)."""
    looked_for = _looked_for(text)
    if not looked_for:
        return set()
    hidden = _Hidden.of(entity, hidden_fields(entity, user))
    unsearched = hidden.unsearched if hidden else frozenset()
    per_term = [_term_alternatives(term, entity.key, unsearched) for term in looked_for]
    if not all(per_term):
        return set()
    if len(per_term) == 1:
        found, cut = _candidates({entity.key: per_term[0]}, CANDIDATES)
        ids = found[entity.key]
        if cut:
            _scoped, scope = _scope(entity, user)
            if scope is not None:
                again, _cut = _candidates(
                    {entity.key: per_term[0]}, CANDIDATES, {entity.key: scope}
                )
                ids = again[entity.key]
    else:
        ids = _intersected(entity, user, per_term, {})
    if ids and hidden is not None and hidden.check:
        names = ["pk", *hidden.columns(entity)]
        matches = hidden.matcher(entity, looked_for)
        rows = entity.model._default_manager.filter(pk__in=ids_in(ids)).values_list(*names)
        ids = {row[0] for row in rows if matches(dict(zip(names, row, strict=True)))}
    return ids


def _sqlite_order(entity: Entity) -> list:
    """The entity's order with NULLs where PostgreSQL puts them (last ascending, first
    descending) — spelled out only for columns that can hold NULL: the expression costs the
    query compiler more than the database."""
    order: list = []
    for term in entity.default_ordering:
        name = term.lstrip("-")
        if "__" not in name and not entity.model._meta.get_field(name).null:
            order.append(term)
        elif term.startswith("-"):
            order.append(F(name).desc(nulls_first=True))
        else:
            order.append(F(name).asc(nulls_last=True))
    return order


def ids_in(ids) -> RawSQL:
    """The operand of ``pk__in`` for up to ``CANDIDATES`` ids read from the index, written into
    the statement: Django prepares a parameter list one value at a time, about a millisecond
    for 400 ids — more than the database takes to find them. ``int()`` keeps it numbers only."""
    return RawSQL(",".join(str(int(pk)) for pk in ids) or "NULL", [])  # noqa: S611 — integers only


def _first_records(
    entity: Entity, scoped, ids: set[int], limit: int, check=None, related: bool = True
) -> list:
    """The first ``limit`` of the candidates among ``scoped`` (the records the reader may see),
    in the entity's order; with ``check`` (``(_Hidden, terms)``), only those the terms find
    among the fields he sees.

    SQLite reads the candidates by primary key and sorts them (ORDER BY), handing over records
    one by one until ``limit`` of them pass the check, in one statement. PostgreSQL, given
    ``id IN (400 ids)`` and a small LIMIT, walks the whole name index hoping to meet them early
    (a quarter second over 200,000 accounts): there the sort keys (and the checked fields) of
    the candidates are read by primary key and sorted here, then the first records read.
    """
    ordering = list(entity.default_ordering)
    candidates = scoped.filter(pk__in=ids_in(ids))
    if connection.vendor == "sqlite":
        records = candidates.order_by(*_sqlite_order(entity), "pk")
        if related and entity.select_related:
            records = records.select_related(*entity.select_related)
        if check is None:
            return list(records[:limit])
        hidden, terms = check
        names = hidden.columns(entity)
        matches = hidden.matcher(entity, terms)
        found = []
        for obj in records.iterator(chunk_size=limit * 2):
            if matches({name: getattr(obj, name) for name in names}):
                found.append(obj)
                if len(found) == limit:
                    break
        return found
    sort_keys = [o.lstrip("-") for o in ordering]
    if check is None:
        keys = list(candidates.values_list("pk", *sort_keys))
    else:
        hidden, terms = check
        extra = [name for name in hidden.columns(entity) if name not in sort_keys]
        names = ["pk", *sort_keys, *extra]
        matches = hidden.matcher(entity, terms)
        keys = [
            row[: len(sort_keys) + 1]
            for row in candidates.values_list(*names)
            if matches(dict(zip(names, row, strict=True)))
        ]
    # Stable sorts from the last key to the first give the combined order; None sorts last.
    for position in reversed(range(len(ordering))):
        # mypy cannot type a lambda with a default argument (it binds the loop's position).
        keys.sort(
            key=lambda row, i=position + 1: (row[i] is None, row[i] if row[i] is not None else 0),  # type: ignore[misc]
            reverse=ordering[position].startswith("-"),
        )
    first = [row[0] for row in keys[:limit]]
    records = scoped.filter(pk__in=first)
    if related and entity.select_related:
        records = records.select_related(*entity.select_related)
    by_pk = {obj.pk: obj for obj in records}
    return [by_pk[pk] for pk in first if pk in by_pk]
