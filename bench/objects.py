"""Custom objects at scale (issue 27 "Performance"), over a data set of their own:

    .venv/bin/python -m bench.objects --db sqlite      # var/bench/kesher_bench_objects.sqlite3
    .venv/bin/python -m bench.objects --db postgres    # database kesher_bench_objects

The data set: one admin-defined kind of record, "permits" (היתרים), with an indexed pick-list
field ``category`` (12 values), an indexed date ``issued_on`` and a whole number ``units``,
defined through the services an administrator's page uses (so the expression indexes are the
ones Kesher makes), then ``--records`` records (1,000,000 by default) and their search tokens
written by bulk load (``executemany`` / ``COPY``, secondary indexes rebuilt once, ``ANALYZE``).
Generated when the database does not hold exactly the one asked for.

Figures, each beside its floor, measured in rounds (call, then floor, round after round):

* ``list.page1`` / ``list.deep`` — the list page ``/r/permits/`` filtered by one category and
  sorted by ``issued_on`` (newest first), page 1 and a deep page by its next-page link (keyset
  cursor), as the administrator through Django's test client (server time); floor: the page's
  25 rows by one hand-written statement over the same expression indexes. Target p95 ≤ 50 ms.
* ``list.*.best`` — the same after adding the index a hand-written query would want (partial to
  the kind: category, date, id), the floor's best case; the page then uses it too.
* ``search`` — the global search page ``/search/?q=<word>`` (every entity, the kind included);
  floor: the kind's matching ids by prefix from the token index. Target p95 ≤ 100 ms.
* ``define`` — define a kind with 20 fields through the services, in this process, while
  another process (a web process: Django's test client in a loop) asks ``/api/v1/<key>/``
  every few milliseconds; the time from the definition's commit to that process's first 200
  answer, and the first answer's own time (the reload).

Results: ``bench/results/objects-<db>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

from bench.database import ROOT, configure_django, create_database, target_for
from bench.timing import machine_speed, measure, percentile

RESULTS = Path(__file__).resolve().parent / "results"
KEY = "permits"
MARKER = "objects"
VERSION = 1
CATEGORIES = 12
TARGETS = {"list": 50, "search": 100}
SYLLABLES = [
    "בר",
    "גל",
    "דן",
    "הד",
    "ור",
    "זי",
    "חן",
    "טל",
    "יה",
    "כף",
    "לב",
    "מי",
    "נר",
    "סף",
    "עז",
    "פז",
    "צור",
    "קו",
    "רם",
    "שי",
    "תם",
]


def _log(message: str) -> None:
    print(message, flush=True)


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(3))


# --- the data set -------------------------------------------------------------------------------


def _marker() -> dict | None:
    from django.db import connection

    from bench.generate import MARKER_TABLE

    if MARKER_TABLE not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = %s", [MARKER])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def _write_marker(info: dict) -> None:
    from django.db import connection

    from bench.generate import MARKER_TABLE

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name varchar(40) PRIMARY KEY, value text)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = %s", [MARKER])
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, value) VALUES (%s, %s)", [MARKER, json.dumps(info)]
        )


def ensure_dataset(target, records: int, rebuild: bool) -> dict:
    from django.db import connection

    from bench.database import migrate

    info = None if rebuild else _marker()
    if info and info.get("records") == records and info.get("version") == VERSION:
        _log(f"objects data set present in {target.describe()}: {records:,} records")
        return info
    if connection.introspection.table_names():
        connection.close()
        create_database(target, fresh=True)
    _log(f"migrating {target.describe()}")
    migrate()
    return generate(records)


def _define(admin, key: str, fields: list[tuple[str, str, dict]], **names) -> None:
    from kesher.objects.schema import custom_object_create
    from kesher.platform.customfields.schema import custom_field_create

    custom_object_create(
        actor=admin,
        data={
            "key": key,
            "name_he": names.get("name_he", key),
            "plural_he": names.get("plural_he", key),
            "has_owner": True,
            "has_status": True,
        },
    )
    for order, (field_key, type_, given) in enumerate(fields):
        extra = dict(given)
        values = extra.pop("values", ())
        custom_field_create(
            actor=admin,
            data={
                "entity": key,
                "key": field_key,
                "label_he": field_key,
                "type": type_,
                "order": order,
                **extra,
            },
            values=values,
        )


def generate(records: int) -> dict:
    from django.db import connection

    from bench.generate import BulkWriter, DeferredIndexes, _analyze, _load_settings
    from kesher.objects.models import CustomObject, CustomRecord
    from kesher.org.models import Role, User
    from kesher.platform.models import Choice, SearchToken
    from kesher.platform.registry import registry

    started = time.perf_counter()
    admin = User.objects.create(
        username="bench-admin", role=Role.objects.get(key="admin"), first_name="מנהל"
    )
    values = [
        {"value": f"c{i}", "label_he": f"סוג {i}", "label_en": f"Kind {i}"}
        for i in range(CATEGORIES)
    ]
    _define(
        admin,
        KEY,
        [
            ("category", "choice", {"values": values, "indexed": True}),
            ("issued_on", "date", {"indexed": True}),
            ("units", "integer", {}),
        ],
        name_he="היתר",
        plural_he="היתרים",
    )
    registry.refresh()
    entity = registry.get(KEY)
    kind = CustomObject.objects.get(key=KEY)
    statuses = list(Choice.objects.filter(list_key=kind.status_list).values_list("pk", flat=True))
    rng = random.Random(27)
    words = [_word(rng) for _ in range(5000)]
    start = date(2015, 1, 1)
    tables = [CustomRecord._meta.db_table, SearchToken._meta.db_table]
    deferred = DeferredIndexes(tables)
    writer = BulkWriter(
        CustomRecord,
        [
            "id",
            "definition_id",
            "name",
            "owner_id",
            "status_id",
            "custom",
            "created_at",
            "updated_at",
        ],
    )
    tokens = BulkWriter(SearchToken, ["entity", "object_id", "kind", "token"])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {writer.table}")
        first_id = cursor.fetchone()[0] + 1
    now = "2026-12-01 09:00:00+00:00"
    _load_settings(on=True)
    try:
        deferred.drop()
        chunk = 50_000
        for base in range(0, records, chunk):
            rows, token_rows = [], []
            for n in range(base, min(records, base + chunk)):
                name = f"היתר {rng.choice(words)} {rng.choice(words)}"
                custom = {
                    "category": f"c{rng.randrange(CATEGORIES)}",
                    "issued_on": (start + timedelta(days=rng.randrange(4000))).isoformat(),
                    "units": rng.randrange(1, 500),
                }
                pk = first_id + n
                rows.append(
                    (
                        pk,
                        kind.pk,
                        name,
                        admin.pk,
                        rng.choice(statuses),
                        json.dumps(custom),
                        now,
                        now,
                    )
                )
                for token in set(name.split()):
                    token_rows.append((KEY, pk, 1, token))
            writer.write(rows)
            tokens.write(token_rows)
            _log(f"  {base + len(rows):,} records")
        deferred.rebuild(_log)
    finally:
        _load_settings(on=False)
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [CustomRecord]):
            cursor.execute(sql)
    _analyze(tables)
    assert entity.search_words == ("name",)
    seconds = round(time.perf_counter() - started, 1)
    info = {"records": records, "version": VERSION, "seconds": seconds, "words": words[:20]}
    _write_marker(info)
    _log(f"objects data set generated in {seconds} s")
    return info


# --- figures ------------------------------------------------------------------------------------


def _floor(sql: str, params: list):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def _expr(key: str) -> str:
    from django.db import connection

    if connection.vendor == "postgresql":
        return f"(custom ->> '{key}')"
    return f"json_extract(custom, '$.\"{key}\"')"


def list_figures(admin, *, best: bool) -> tuple[list, dict]:
    from django.test import Client, RequestFactory

    from kesher.objects.models import CustomObject
    from kesher.platform.lists.keyset import Keyset
    from kesher.platform.lists.tables import PAGE_SIZE, Table
    from kesher.platform.registry import registry

    entity = registry.get(KEY)
    kind = CustomObject.objects.get(key=KEY)
    client = Client()
    client.force_login(admin)
    condition = json.dumps({"field": "custom.category", "op": "eq", "value": "c3"})
    params = {"filter": condition, "sort": "-custom.issued_on"}
    request = RequestFactory().get(f"/r/{KEY}/", params)
    request.user = admin
    table = Table(entity, request)
    queryset = table.queryset()
    matching = queryset.count()
    deep = min(2000, matching // PAGE_SIZE)
    boundary = queryset[(deep - 1) * PAGE_SIZE - 1]
    keyset = Keyset.for_ordering(queryset.model, queryset.query.order_by)
    cursor = keyset.cursor(boundary)
    first = f"/r/{KEY}/?" + urlencode(params)
    deep_url = f"/r/{KEY}/?" + urlencode({**params, "page": deep, "cursor": cursor})

    def selector(query: dict):
        def call():
            request = RequestFactory().get(f"/r/{KEY}/", query)
            request.user = admin
            assert Table(entity, request).rows

        return call

    def get(url: str):
        def call():
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            assert "היתר".encode() in response.content

        return call

    from django.db import connection

    category, issued = _expr("category"), _expr("issued_on")
    issued_on = boundary.custom["issued_on"]
    # The kind's id is written into the statement, as a hand-written query for one kind
    # would: SQLite uses a partial index only for a literal. SQLite is told the index (its
    # planner otherwise takes the category's and sorts every match) and gets the keyset as a
    # range on the date, which it seeks; PostgreSQL seeks the row value itself.
    table = "objects_customrecord"
    if connection.vendor == "sqlite":
        table += " INDEXED BY " + ("bench_permits_best" if best else "cf_permits_issued_on")
        after = f" AND {issued} <= %s AND ({issued} < %s OR id < %s)"
        after_params = [issued_on, issued_on, boundary.pk]
    else:
        after = f" AND ({issued}, id) < (%s, %s)"
        after_params = [issued_on, boundary.pk]
    rows_sql = (
        f"SELECT id, name, status_id, owner_id, updated_at FROM {table} "
        f"WHERE definition_id = {kind.pk} AND {category} = %s{{after}} "
        f"ORDER BY {issued} DESC, id DESC LIMIT {PAGE_SIZE}"
    )
    suffix = ".best" if best else ""
    figures = [
        (
            f"list.page1{suffix}",
            "list page, category = c3, newest issued_on first, page 1",
            get(first),
            _floor(rows_sql.format(after=""), ["c3"]),
        ),
        (
            f"list.deep{suffix}",
            f"the same, page {deep} by the next-page link (keyset)",
            get(deep_url),
            _floor(rows_sql.format(after=after), ["c3", *after_params]),
        ),
    ]
    figures += [
        (
            f"selector.page1{suffix}",
            "the list's rows alone (`Table(...).rows`), page 1",
            selector(params),
            figures[0][3],
        ),
        (
            f"selector.deep{suffix}",
            f"the list's rows alone, page {deep} by the cursor",
            selector({**params, "page": deep, "cursor": cursor}),
            figures[1][3],
        ),
    ]
    notes = {
        "matching": matching,
        "deep": deep,
        "floor_sql": rows_sql.format(after=after),
        "plan_page1": _plan(rows_sql.format(after=""), ["c3"]),
        "plan_deep": _plan(rows_sql.format(after=after), ["c3", *after_params]),
    }
    return figures, notes


def best_index() -> str:
    """The index a hand-written list query wants: partial to the kind, category then date."""
    from django.db import connection

    from kesher.objects.models import CustomObject

    kind = CustomObject.objects.get(key=KEY)
    sql = (
        "CREATE INDEX IF NOT EXISTS bench_permits_best ON objects_customrecord "
        f"({_expr('category')}, {_expr('issued_on')}, id) WHERE definition_id = {kind.pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        cursor.execute("ANALYZE objects_customrecord")
    return sql


def drop_best_index() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS bench_permits_best")


def _plan(sql: str, params: list) -> str:
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def search_figure(admin, word: str) -> tuple:
    from django.test import Client

    client = Client()
    client.force_login(admin)

    def call():
        response = client.get("/search/?" + urlencode({"q": word}))
        assert response.status_code == 200
        assert word.encode() in response.content

    sql = (
        "SELECT DISTINCT object_id FROM platform_searchtoken "
        "WHERE entity = %s AND kind = 1 AND token LIKE %s LIMIT 10"
    )
    return (
        "search",
        f"global search page, «{word}» (every entity, permits included)",
        call,
        _floor(sql, [KEY, word + "%"]),
    )


# --- "define a kind with 20 fields and use it at once" ---------------------------------------

WATCHER = r"""
import os, sys, time
sys.path.insert(0, os.getcwd())
from bench.database import configure_django, target_for
target = target_for(
    sys.argv[1],
    sqlite_path=sys.argv[2] or None,
    database_url=sys.argv[3] or None,
    postgres_name=sys.argv[4] or None,
)
configure_django(target)
from django.test import Client
from kesher.org.models import User
client = Client(); client.force_login(User.objects.get(username="bench-admin"))
assert client.get("/api/v1/permits/?page_size=1").status_code == 200   # warm: registry loaded
print("ready", flush=True)
keys = sys.stdin.readline().split()
for key in keys:
    while True:
        started = time.time()
        response = client.get(f"/api/v1/{key}/")
        if response.status_code == 200:
            print(f"{key} {started:.6f} {time.time() - started:.6f}", flush=True)
            break
        time.sleep(0.002)
"""


def define_figures(admin, target, rounds: int) -> list[dict]:
    from django.db import transaction

    env = dict(os.environ)
    args = [
        sys.executable,
        "-c",
        WATCHER,
        target.vendor,
        str(target.sqlite_path or ""),
        target.postgres_url or "",
        target.postgres_name if target.vendor == "postgres" else "",
    ]
    stamp = int(time.time())
    keys = [f"defined-{stamp}-{i}" for i in range(rounds)]
    watcher = subprocess.Popen(  # noqa: S603  (this interpreter, this file's own script)
        args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env
    )
    assert watcher.stdout.readline().strip() == "ready"
    watcher.stdin.write(" ".join(keys) + "\n")
    watcher.stdin.flush()
    results = []
    kinds = ("text", "integer", "date", "money", "boolean")
    for key in keys:
        fields = [(f"f{i}", kinds[i % len(kinds)], {}) for i in range(20)]
        marks: list[float] = []
        started = time.time()
        with transaction.atomic():
            # Registered first, so it runs first once the definition commits.
            transaction.on_commit(lambda marks=marks: marks.append(time.time()))
            _define(admin, key, fields)
        committed = marks[0]
        line = watcher.stdout.readline().split()
        seen_key, asked, took = line[0], float(line[1]), float(line[2])
        assert seen_key == key
        results.append(
            {
                "key": key,
                "define_ms": (committed - started) * 1000,
                "seen_after_ms": (asked + took - committed) * 1000,
                "first_answer_ms": took * 1000,
            }
        )
    watcher.wait(timeout=60)
    _cleanup(admin, keys)
    return results


def _cleanup(admin, keys: list[str]) -> None:
    from kesher.objects.models import CustomObject
    from kesher.objects.schema import custom_object_delete

    for definition in CustomObject.objects.filter(key__in=keys):
        custom_object_delete(definition, actor=admin)


# --- the run ------------------------------------------------------------------------------------


def run(args) -> Path:
    target = target_for(
        args.db,
        postgres_name="kesher_bench_objects",
        sqlite_path=ROOT / "var" / "bench" / "kesher_bench_objects.sqlite3",
    )
    configure_django(target)
    create_database(target, fresh=False)
    info = ensure_dataset(target, args.records, args.rebuild)
    from django.db import connection

    from kesher.org.models import User
    from kesher.platform.registry import registry

    registry.refresh()
    admin = User.objects.get(username="bench-admin")
    load_before = os.getloadavg()
    drop_best_index()
    figures, notes = list_figures(admin, best=False)
    word = info["words"][0]
    figures.append(search_figure(admin, word))
    samples = measure([(f[2], f[3]) for f in figures], runs=args.runs, warmup=args.warmup)
    best_sql = best_index()
    best, best_notes = list_figures(admin, best=True)
    best_samples = measure([(f[2], f[3]) for f in best], runs=args.runs, warmup=args.warmup)
    drop_best_index()
    defined = define_figures(admin, target, args.define_rounds)
    load_after = os.getloadavg()

    lines = [
        f"# Custom objects at scale — {connection.vendor}",
        "",
        f"Command: `.venv/bin/python -m bench.objects --db {args.db} --records {args.records} "
        f"--runs {args.runs}`  ",
        f"Load average before / after: {load_before[0]:.2f} / {load_after[0]:.2f} "
        f"(2 cores shared with other sessions' tests); {machine_speed()}  ",
        f"Data set: one kind «permits», {info['records']:,} records (generated in "
        f"{info['seconds']} s), indexed `category` (12 values) and `issued_on`; "
        f"{notes['matching']:,} records match category c3; the deep page is page {notes['deep']}.",
        "",
        "| figure | what | p50 ms | p95 ms | floor p50 | floor p95 | target p95 |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (key, what, _c, _f), (calls, floors) in zip(
        [*figures, *best], [*samples, *best_samples], strict=True
    ):
        group = "list" if key.startswith("selector") else key.split(".")[0]
        lines.append(
            f"| {key} | {what} | {percentile(calls, 50):.1f} | {percentile(calls, 95):.1f} | "
            f"{percentile(floors, 50):.1f} | {percentile(floors, 95):.1f} | "
            f"{TARGETS.get(group, '')} |"
        )
    lines += [
        "",
        "Pages are timed through Django's test client (the whole request: session, menu, "
        "access log), their floors are the page's rows alone by one hand-written statement; "
        "`selector.*` are the list's rows as the page reads them (filter, sort, keyset), "
        "beside the same floor.",
        f"- List floor: `{notes['floor_sql']}` (page 1 without the keyset condition).",
        f"- Floor's plans with Kesher's own indexes: page 1 `{notes['plan_page1']}`; deep "
        f"page `{notes['plan_deep']}`",
        f"- `.best` rows: with `{best_sql}` added for the floor; plan: "
        f"`{best_notes['plan_page1']}`; deep page `{best_notes['plan_deep']}`",
        "- Search floor: the kind's ids by prefix from `search_entity_token`; the page "
        "searches every entity (the others hold no records in this data set).",
        "",
        "## Define a kind with 20 fields and use it at once",
        "",
        "Another process (Django's test client in a loop, as a web process between requests) "
        "asks `/api/v1/<key>/` every ~2 ms while this one defines the kind through the "
        "services in one transaction.",
        "",
        "| round | define (ms) | seen by the other process after commit (ms) | "
        "its first answer (ms) |",
        "|---|---:|---:|---:|",
    ]
    for n, d in enumerate(defined, 1):
        lines.append(
            f"| {n} | {d['define_ms']:.0f} | {d['seen_after_ms']:.0f} | "
            f"{d['first_answer_ms']:.0f} |"
        )
    out = RESULTS / f"objects-{target.label}.md"
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _log("\n".join(lines))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--define-rounds", type=int, default=5)
    parser.add_argument("--rebuild", action="store_true")
    run(parser.parse_args(argv))


if __name__ == "__main__":
    main()
