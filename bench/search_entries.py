"""What the search index costs to write, and what it answers, in each shape it could take
(issue 26 item 2, decision 0054).

    .venv/bin/python -m bench.search_entries --db sqlite --sqlite-path var/bench/copy.sqlite3
    .venv/bin/python -m bench.search_entries --db postgres --pg-name kesher_bench_copy

Run it on a **copy** of the reference data set (it adds tables to it). The shapes:

* ``tokens``: today's ``platform_searchtoken``, a row per token (word, e-mail, and each phone
  twice: international and national digits, reversed);
* ``tokens-1phone``: the same with each phone once (the international digits; a typed
  national number is read as its international form instead);
* ``fts5`` / ``fts5-prefix`` (SQLite): one row per record in an FTS5 table of its tokens (the
  same normalized words, e-mails and ``#``-marked reversed phone digits), without and with
  FTS5's prefix indexes for 2 and 3 characters;
* ``tsvector`` (PostgreSQL): one row per record holding those tokens as a ``tsvector``
  (``array_to_tsvector``) with a GIN index, searched with ``lexeme:*`` prefix queries.

For each: the time to write the entries of 100,000 new contacts (real name, e-mail and phone
values, read from the set) in one transaction, rolled back afterwards, runs alternating; the
entries are built in Python beforehand and not timed (the same code builds them for all). Then
the candidate lookup of each search figure of ``bench run`` (the first 400 ids per entity, the
SQL alone) p50/p95 over ``--runs`` runs. The one-row shapes are built once from the token
table (kept in the copy; ``--rebuild`` builds them again) and the time it took is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from types import SimpleNamespace

from bench.database import configure_django, target_for

CAP = 400
PHONE_MARK = "#"


def _national(token: str) -> bool:
    """A reversed national-form phone token (its last digit, the leading 0)."""
    return token.endswith("0")


def _entries(records, *, one_phone: bool):
    """Each record's (kind, token) pairs: search.py's own, each Israeli phone once
    (``one_phone``) or also in its national form (the token rows before decision 0054)."""
    from kesher.platform.records.search import _tokens
    from kesher.platform.registry import registry

    entity = registry.get("contacts")
    result = []
    for pk, obj in records:
        tokens = set(_tokens(entity, obj))
        if one_phone:
            tokens = {(k, t) for k, t in tokens if not (k == 3 and _national(t))}
        else:
            tokens |= {(3, t[:-3] + "0") for k, t in tokens if k == 3 and t.endswith("279")}
        result.append((pk, tokens))
    return result


def _document(tokens) -> str:
    return " ".join(sorted(PHONE_MARK + t if k == 3 else t for k, t in tokens))


def _sample(count: int):
    from kesher.customers.models import Contact

    fields = ("first_name", "last_name", "email", "phone", "mobile")
    rows = Contact.objects.order_by("pk").values_list(*fields)[:count]
    top = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    base = top + 10_000_000
    return [
        (base + i, SimpleNamespace(**dict(zip(fields, r, strict=True)))) for i, r in enumerate(rows)
    ]


def _timed(write, undo) -> float:
    """Seconds to write and commit (FTS5 and GIN's pending list flush at commit); the rows are
    deleted again afterwards, untimed."""
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        write(cursor)
    seconds = time.perf_counter() - started
    with transaction.atomic(), connection.cursor() as cursor:
        undo(cursor)
    return seconds


# --- SQLite -------------------------------------------------------------------------------------

FTS_TABLES = {"fts5": "bench_search_fts", "fts5-prefix": "bench_search_fts_prefix"}
# One row per record in a plain table (what the ORM writes and deletes by entity and object
# id), indexed by an external-content FTS5 table kept in step by triggers.
ENTRY = "bench_search_entry"
TOKENIZE = "tokenize=\"unicode61 remove_diacritics 0 tokenchars '@.+-_#='\""
ENTITY_CODE = {"contacts": 1, "accounts": 2}


def _sqlite_build_entry(rebuild: bool) -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        exists = cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = %s", [ENTRY]
        ).fetchone()[0]
        if exists and not rebuild:
            return {}
        cursor.execute(f"DROP TABLE IF EXISTS {ENTRY}_fts")
        cursor.execute(f"DROP TABLE IF EXISTS {ENTRY}")
        cursor.execute(
            f"CREATE TABLE {ENTRY} (id integer PRIMARY KEY, entity varchar(40) NOT NULL, "
            "object_id bigint NOT NULL, doc text NOT NULL)"
        )
        cursor.execute(
            f"CREATE VIRTUAL TABLE {ENTRY}_fts USING fts5(doc, content='{ENTRY}', "
            f"content_rowid='id', {TOKENIZE}, prefix='2 3')"
        )
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO {ENTRY} (entity, object_id, doc) SELECT entity, object_id, "
            "group_concat(CASE kind WHEN 3 THEN '#' || token ELSE token END, ' ') "
            "FROM platform_searchtoken WHERE entity IN ('contacts', 'accounts') "
            "AND NOT (kind = 3 AND token LIKE '%0') GROUP BY entity, object_id"
        )
        cursor.execute(f"CREATE UNIQUE INDEX {ENTRY}_record ON {ENTRY} (entity, object_id)")
        cursor.execute(f"INSERT INTO {ENTRY}_fts ({ENTRY}_fts) VALUES ('rebuild')")
        for statement in (
            f"CREATE TRIGGER {ENTRY}_ai AFTER INSERT ON {ENTRY} BEGIN "
            f"INSERT INTO {ENTRY}_fts (rowid, doc) VALUES (new.id, new.doc); END",
            f"CREATE TRIGGER {ENTRY}_ad AFTER DELETE ON {ENTRY} BEGIN "
            f"INSERT INTO {ENTRY}_fts ({ENTRY}_fts, rowid, doc) "
            "VALUES ('delete', old.id, old.doc); END",
        ):
            cursor.execute(statement)
        seconds = time.perf_counter() - started
    connection.commit() if not connection.in_atomic_block else None
    return {"fts5-entry": seconds}


def _sqlite_build(rebuild: bool) -> dict[str, float]:
    from django.db import connection

    built = _sqlite_build_entry(rebuild)
    with connection.cursor() as cursor:
        for shape, table in FTS_TABLES.items():
            exists = cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = %s", [table]
            ).fetchone()[0]
            if exists and not rebuild:
                continue
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
            prefix = ", prefix='2 3'" if shape == "fts5-prefix" else ""
            cursor.execute(
                f"CREATE VIRTUAL TABLE {table} USING fts5(doc, "
                "tokenize=\"unicode61 remove_diacritics 0 tokenchars '@.+-_#'\""
                f"{prefix})"
            )
            started = time.perf_counter()
            # rowid: object id × 8 + the entity's code, so one table holds every entity.
            cursor.execute(
                f"INSERT INTO {table} (rowid, doc) "
                "SELECT object_id * 8 + CASE entity WHEN 'contacts' THEN 1 ELSE 2 END, "
                "group_concat(CASE kind WHEN 3 THEN '#' || token ELSE token END, ' ') "
                "FROM platform_searchtoken WHERE entity IN ('contacts', 'accounts') "
                "AND NOT (kind = 3 AND token LIKE '%0') GROUP BY entity, object_id"
            )
            connection.commit() if not connection.in_atomic_block else None
            built[shape] = time.perf_counter() - started
    return built


def _sqlite_writers(sample):
    from kesher.platform.records.search import index_new  # noqa: F401  (the path imitated)

    today = _entries(sample, one_phone=False)
    one = _entries(sample, one_phone=True)
    docs = [(pk * 8 + 1, _document(tokens)) for pk, tokens in one]
    insert = "INSERT INTO platform_searchtoken (entity, object_id, kind, token) VALUES (?, ?, ?, ?)"

    base = sample[0][0]

    def tokens(rows):
        flat = [("contacts", pk, k, t) for pk, ts in rows for k, t in ts]
        return (
            len(flat),
            lambda cursor: cursor.executemany(insert.replace("?", "%s"), flat),
            lambda cursor: cursor.execute(
                "DELETE FROM platform_searchtoken WHERE entity = 'contacts' AND object_id >= %s",
                [base],
            ),
        )

    def fts(table):
        sql = f"INSERT INTO {table} (rowid, doc) VALUES (%s, %s)"
        return (
            len(docs),
            lambda cursor: cursor.executemany(sql, docs),
            lambda cursor: cursor.execute(f"DELETE FROM {table} WHERE rowid >= %s", [base * 8]),
        )

    entries = [("contacts", pk, _document(tokens)) for pk, tokens in one]

    def entry(cursor):
        cursor.executemany(
            f"INSERT INTO {ENTRY} (entity, object_id, doc) VALUES (%s, %s, %s)", entries
        )

    def undo_entry(cursor):
        cursor.execute(f"DELETE FROM {ENTRY} WHERE entity = 'contacts' AND object_id >= %s", [base])

    return {
        "tokens": tokens(today),
        "tokens-1phone": tokens(one),
        **{shape: fts(table) for shape, table in FTS_TABLES.items()},
        "fts5-entry": (len(entries), entry, undo_entry),
    }


def _fts_query(terms) -> str:
    parts = []
    for term in terms:
        alternatives = [f'"{prefix}"*' for prefix, _kinds in term]
        parts.append(
            alternatives[0] if len(alternatives) == 1 else "(" + " OR ".join(alternatives) + ")"
        )
    return " AND ".join(parts)


def _sqlite_lookup(shape: str, entity: str, terms) -> tuple[str, list]:
    if shape.startswith("tokens"):
        return _token_lookup(
            entity, terms, "token >= %s AND token < %s", lambda p: [p, p + "\U0010ffff"]
        )
    fts_terms = [
        [((PHONE_MARK if kinds == (3,) else "") + p, kinds) for p, kinds in term] for term in terms
    ]
    if shape == "fts5-entry":
        sql = (
            f"SELECT e.object_id FROM {ENTRY}_fts f CROSS JOIN {ENTRY} e ON e.id = f.rowid "
            f"WHERE {ENTRY}_fts MATCH %s AND e.entity = %s LIMIT {CAP}"
        )
        return sql, [_fts_query(fts_terms), entity]
    table = FTS_TABLES[shape]
    code = ENTITY_CODE[entity]
    sql = f"SELECT rowid / 8 FROM {table} WHERE {table} MATCH %s AND rowid % 8 = {code} LIMIT {CAP}"
    return sql, [_fts_query(fts_terms)]


# --- PostgreSQL ---------------------------------------------------------------------------------

PG_TABLE = "bench_search_doc"
PG_TEXT = "bench_search_text"
PG_VECTOR = "array_to_tsvector(string_to_array(doc, ' '))"


def _pg_build(rebuild: bool) -> dict[str, float]:
    built = _pg_build_text(rebuild)
    built.update(_pg_build_vector(rebuild))
    return built


def _pg_build_text(rebuild: bool) -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [PG_TEXT])
        if cursor.fetchone()[0] and not rebuild:
            return {}
        cursor.execute(f"DROP TABLE IF EXISTS {PG_TEXT}")
        cursor.execute(
            f"CREATE TABLE {PG_TEXT} (entity varchar(40) NOT NULL, object_id bigint NOT NULL, "
            "doc text NOT NULL)"
        )
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO {PG_TEXT} SELECT entity, object_id, "
            "string_agg(CASE kind WHEN 3 THEN '#' || token ELSE token END, ' ') "
            "FROM platform_searchtoken WHERE entity IN ('contacts', 'accounts') "
            "AND NOT (kind = 3 AND token LIKE '%%0') GROUP BY entity, object_id"
        )
        cursor.execute(f"CREATE UNIQUE INDEX {PG_TEXT}_record ON {PG_TEXT} (entity, object_id)")
        cursor.execute(f"CREATE INDEX {PG_TEXT}_doc ON {PG_TEXT} USING gin (({PG_VECTOR}))")
        seconds = time.perf_counter() - started
    connection.commit() if not connection.in_atomic_block else None
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {PG_TEXT}")
    return {"text-gin": seconds}


def _pg_build_vector(rebuild: bool) -> dict[str, float]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [PG_TABLE])
        if cursor.fetchone()[0] and not rebuild:
            return {}
        cursor.execute(f"DROP TABLE IF EXISTS {PG_TABLE}")
        cursor.execute(
            f"CREATE TABLE {PG_TABLE} (entity varchar(40) NOT NULL, object_id bigint NOT NULL, "
            "doc tsvector NOT NULL)"
        )
        started = time.perf_counter()
        cursor.execute(
            f"INSERT INTO {PG_TABLE} SELECT entity, object_id, "
            "array_to_tsvector(array_agg(CASE kind WHEN 3 THEN '#' || token ELSE token END)) "
            "FROM platform_searchtoken WHERE entity IN ('contacts', 'accounts') "
            "AND NOT (kind = 3 AND token LIKE '%%0') GROUP BY entity, object_id"
        )
        cursor.execute(f"CREATE UNIQUE INDEX {PG_TABLE}_record ON {PG_TABLE} (entity, object_id)")
        cursor.execute(f"CREATE INDEX {PG_TABLE}_doc ON {PG_TABLE} USING gin (doc)")
        seconds = time.perf_counter() - started
    connection.commit() if not connection.in_atomic_block else None
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {PG_TABLE}")
    return {"tsvector": seconds}


def _pg_writers(sample):
    today = _entries(sample, one_phone=False)
    one = _entries(sample, one_phone=True)

    def tokens(rows):
        flat = [(pk, k, t) for pk, ts in rows for k, t in ts]
        ids, kinds, toks = (list(c) for c in zip(*flat, strict=True))

        def write(cursor):
            cursor.execute(
                "INSERT INTO platform_searchtoken (entity, object_id, kind, token) "
                "SELECT 'contacts', t.id, t.kind, t.token "
                "FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS t(id, kind, token)",
                [ids, kinds, toks],
            )

        return len(flat), write, undo_tokens

    base = sample[0][0]

    def undo_tokens(cursor):
        cursor.execute(
            "DELETE FROM platform_searchtoken WHERE entity = 'contacts' AND object_id >= %s",
            [base],
        )

    def undo_tsvector(cursor):
        cursor.execute(
            f"DELETE FROM {PG_TABLE} WHERE entity = 'contacts' AND object_id >= %s", [base]
        )

    ids = [pk for pk, _ in one]
    docs = [_document(ts) for _, ts in one]

    def text_gin(cursor):
        cursor.execute(
            f"INSERT INTO {PG_TEXT} (entity, object_id, doc) "
            "SELECT 'contacts', t.id, t.doc FROM unnest(%s::bigint[], %s::text[]) AS t(id, doc)",
            [ids, docs],
        )

    def undo_text_gin(cursor):
        cursor.execute(
            f"DELETE FROM {PG_TEXT} WHERE entity = 'contacts' AND object_id >= %s", [base]
        )

    def tsvector(cursor):
        cursor.execute(
            f"INSERT INTO {PG_TABLE} (entity, object_id, doc) "
            "SELECT 'contacts', t.id, array_to_tsvector(string_to_array(t.doc, ' ')) "
            "FROM unnest(%s::bigint[], %s::text[]) AS t(id, doc)",
            [ids, docs],
        )

    return {
        "tokens": tokens(today),
        "tokens-1phone": tokens(one),
        "tsvector": (len(docs), tsvector, undo_tsvector),
        "text-gin": (len(docs), text_gin, undo_text_gin),
    }


def _pg_lookup(shape: str, entity: str, terms) -> tuple[str, list]:
    from django.db import connection

    if shape.startswith("tokens"):
        return _token_lookup(
            entity, terms, "token LIKE %s", lambda p: [connection.ops.prep_for_like_query(p) + "%"]
        )
    query = " & ".join(
        "("
        + " | ".join(
            _pg_lexeme((PHONE_MARK if kinds == (3,) else "") + p) + ":*" for p, kinds in term
        )
        + ")"
        for term in terms
    )
    table, vector = (PG_TABLE, "doc") if shape == "tsvector" else (PG_TEXT, PG_VECTOR)
    sql = f"SELECT object_id FROM {table} WHERE entity = %s AND {vector} @@ %s::tsquery LIMIT {CAP}"
    return sql, [entity, query]


def _pg_lexeme(text: str) -> str:
    return "'" + text.replace("'", "''").replace("\\", "\\\\") + "'"


# --- both ---------------------------------------------------------------------------------------


def _token_lookup(entity, terms, match, bounds):
    """Today's candidate SQL: one index range per prefix, the first 400 of each; several terms
    intersected."""
    per_term = []
    params: list = []
    for term in terms:
        branches = []
        for prefix, kinds in term:
            marks = ", ".join(["%s"] * len(kinds))
            limit = f" LIMIT {CAP}" if len(terms) == 1 else ""
            branches.append(
                f"SELECT * FROM (SELECT object_id FROM platform_searchtoken WHERE entity = %s "
                f"AND kind IN ({marks}) AND {match}{limit}) AS b{len(params)}"
            )
            params += [entity, *kinds, *bounds(prefix)]
        per_term.append(" UNION ALL ".join(branches))
    if len(per_term) == 1:
        return per_term[0], params
    together = " INTERSECT ".join(f"SELECT * FROM ({s}) AS t{i}" for i, s in enumerate(per_term))
    return f"SELECT * FROM ({together}) AS found LIMIT {CAP}", params


def _figures(sample_contact, one_phone: bool):
    """The search figures of ``bench run``: (key, [term: [(prefix, kinds), ...]])."""
    from kesher.platform.records.search import _term_prefixes

    mobile = sample_contact.mobile
    local_part = sample_contact.email.split("@")[0]
    texts = {
        "one_letter.he": "מ",
        "one_letter.en": "m",
        "name_prefix.he": "כה",
        "name_prefix.he_long": "אברה",
        "name_prefix.en": "Rob",
        "full_name.he": "משה לוי",
        "phone_suffix7": mobile[-7:],
        "phone_national": "0" + mobile[4:6] + "-" + mobile[6:],
        "email_prefix": local_part + "@",
        "email_start": local_part[:4],
    }
    figures = []
    for key, text in texts.items():
        terms = []
        for term in text.split():
            prefixes = [(p, tuple(k)) for p, k in _term_prefixes(term).items()]
            if one_phone:
                # A national number's leading 0 is the international 972 (which may also be
                # a 0 inside the number): both ranges.
                prefixes += [
                    (p[:-1] + "279", k) for p, k in prefixes if k == (3,) and p.endswith("0")
                ]
            terms.append(prefixes)
        figures.append((key, text, terms))
    return figures


def _time_lookups(lookup, shapes, sample_contact, runs: int):
    from django.db import connection

    results = {}
    for shape in shapes:
        one_phone = shape != "tokens"
        for key, text, terms in _figures(sample_contact, one_phone):
            statements = [lookup(shape, entity, terms) for entity in ("contacts", "accounts")]
            samples, found = [], 0
            with connection.cursor() as cursor:
                for run in range(runs + 3):
                    started = time.perf_counter()
                    found = 0
                    for sql, params in statements:
                        cursor.execute(sql, params)
                        found += len(cursor.fetchall())
                    if run >= 3:
                        samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            results[(shape, key)] = (statistics.median(samples), p95, found, text)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_entries", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--sqlite-path")
    parser.add_argument("--pg-name")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    configure_django(target_for(args.db, sqlite_path=args.sqlite_path, postgres_name=args.pg_name))
    from django.db import connection

    print(f"load average at start: {os.getloadavg()}; {platform.node()}, {os.cpu_count()} CPUs")
    build = _sqlite_build if args.db == "sqlite" else _pg_build
    built = build(args.rebuild)
    for shape, seconds in built.items():
        print(f"built {shape} from the token table: {seconds:.1f} s")
    sample = _sample(args.records)
    writers = _sqlite_writers(sample) if args.db == "sqlite" else _pg_writers(sample)
    times: dict[str, list[float]] = {shape: [] for shape in writers}
    for round_ in range(args.rounds):
        for shape, (_rows, write, undo) in writers.items():
            times[shape].append(_timed(write, undo))
            if args.db == "postgres":
                with connection.cursor() as cursor:
                    cursor.execute(f"VACUUM platform_searchtoken, {PG_TABLE}, {PG_TEXT}")
                    cursor.execute("CHECKPOINT")
            print(f"round {round_ + 1} {shape}: {times[shape][-1]:.2f} s", flush=True)
    print(f"\nload average after writes: {os.getloadavg()}")
    print(
        f"\n| shape | rows written for {args.records:,} contacts | best s | median s "
        "| records/s (best) |"
    )
    print("|---|---:|---:|---:|---:|")
    for shape, (rows, _write, _undo) in writers.items():
        if not times[shape]:
            continue
        best = min(times[shape])
        print(
            f"| {shape} | {rows:,} | {best:.2f} | {statistics.median(times[shape]):.2f} | "
            f"{args.records / best:,.0f} |"
        )
    lookup = _sqlite_lookup if args.db == "sqlite" else _pg_lookup
    shapes = list(writers)
    lookups = _time_lookups(lookup, shapes, _a_contact(), args.runs)
    print(
        f"\nCandidate lookups (contacts + accounts, first {CAP} each), ms p50 / p95 (ids found):\n"
    )
    print("| figure | " + " | ".join(shapes) + " |")
    print("|---|" + "---:|" * len(shapes))
    keys = dict.fromkeys(key for _shape, key in lookups)
    for key in keys:
        cells = []
        for shape in shapes:
            p50, p95, found, text = lookups[(shape, key)]
            cells.append(f"{p50:.1f} / {p95:.1f} ({found})")
        print(f"| {key} `{text}` | " + " | ".join(cells) + " |")
    print(f"\nload average at the end: {os.getloadavg()}")
    return 0


def _a_contact():
    """The contact ``bench run`` searches for (scenarios.py's sample)."""
    from bench.scenarios import _context

    return _context()["sample"]


if __name__ == "__main__":
    sys.exit(main())
