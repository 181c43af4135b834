"""The feed of a user following 5,000 records (issue 23, "Performance"): p95 ≤ 50 ms and
≤ 3× the best hand-written SQL.

    .venv/bin/python -m bench.follow_feed --db sqlite
    .venv/bin/python -m bench.follow_feed --db postgres   # server from $DATABASE_URL

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_follow``
PostgreSQL database dropped afterwards), with data made only for it: a sales manager whose
department's 10 reps own 5,000 deals he follows; each deal changed 10 times by its rep (stage
and amount, audit entries as the services write them) and noted on once — 55,000 lines of his
feed — beside 20 other users' feeds of 10,000 lines each and 100,000 audit entries of deals
nobody follows. Three figures, each followed in every round by the floors:

- **selector**: ``feed_page(user)`` and its entries put into words (the API's serializer),
  the feed's first page of 25;
- **deep page**: the same from a cursor 30,000 lines down (keyset: as cheap as the first);
- **API**: ``GET /api/v1/feed/`` through Django's test client (middleware, session,
  authentication, serializer, JSON), in English.

The floor is the best hand-written SQL for the same page: one statement over the feed table
joined to the deals within the manager's department scope, their changes, notes and authors,
run bare through the cursor. A second reference, *from follows*, is the query a feed without
its own table would run: the newest changes of the 5,000 followed deals, joined through the
follows. Results go to ``bench/results/follow-feed-<db>.md`` and ``follow-feed.md``.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import random
import sys
import time
from datetime import UTC
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_follow"
FOLLOWED = 5_000
CHANGES_EACH = 10
REPS = 10
OTHER_USERS = 20
OTHER_LINES = 10_000
UNFOLLOWED_CHANGES = 100_000
DEEP = 30_000
TARGET_MS = 50.0
TARGET_RATIO = 3.0


def _setup():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from kesher.collab.models import FeedItem, Follow, Note
    from kesher.org.models import Role, User
    from kesher.org.services import department_create
    from kesher.platform.models import AuditEntry
    from kesher.platform.records.audit import encoded
    from kesher.sales.models import Opportunity, Stage

    rng = random.Random(23)
    sales = department_create(actor=None, data={"name": "מכירות"})
    manager = User.objects.create_user(
        "manager", "manager@example.co.il", None, first_name="משה", last_name="ביטון"
    )
    manager.role = Role.objects.get(key="manager")
    manager.department = sales
    manager.language = "en"
    manager.save()
    rep_role = Role.objects.get(key="sales_rep")
    reps = [
        User.objects.create_user(
            f"rep{n}",
            f"rep{n}@example.co.il",
            None,
            first_name=f"נציג{n}",
            last_name="כהן",
            role=rep_role,
            department=sales,
        )
        for n in range(REPS)
    ]
    others = [
        User.objects.create_user(f"user{n}", f"user{n}@example.co.il", None, role=rep_role)
        for n in range(OTHER_USERS)
    ]
    stages = list(Stage.objects.filter(outcome="open").order_by("pipeline_id", "order"))
    deal_type = ContentType.objects.get_for_model(Opportunity)
    start = datetime.datetime(2026, 1, 1, tzinfo=UTC)
    with transaction.atomic():
        Opportunity.objects.bulk_create(
            [
                Opportunity(
                    name=f"עסקה {n}",
                    stage=stages[n % len(stages)],
                    owner=reps[n % REPS],
                    amount=1000 + n,
                )
                for n in range(FOLLOWED + UNFOLLOWED_CHANGES // CHANGES_EACH)
            ],
            batch_size=5000,
        )
        deals = list(Opportunity.objects.order_by("pk").values_list("pk", "owner_id"))
        followed, unfollowed = deals[:FOLLOWED], deals[FOLLOWED:]
        Follow.objects.bulk_create(
            [
                Follow(user=manager, entity="opportunities", record_id=pk, reason="chosen")
                for pk, _owner in followed
            ],
            batch_size=5000,
        )
        # The changes as the services encode them: a stage moved, an amount raised.
        shapes = [
            encoded({"stage": [a, b], "amount": [str(1000 + i), str(1500 + i)]})
            for i, (a, b) in enumerate(itertools.pairwise(stages))
        ]
        moments = iter(
            start + datetime.timedelta(seconds=s)
            for s in sorted(rng.sample(range(300 * 86400), (FOLLOWED + len(unfollowed)) * 11))
        )
        entries = []
        for pk, owner in followed + unfollowed:
            for _n in range(CHANGES_EACH):
                entries.append(
                    AuditEntry(
                        content_type=deal_type,
                        object_id=pk,
                        object_repr=f"עסקה {pk}",
                        actor_id=owner,
                        action="update",
                        changes=rng.choice(shapes),
                        at=next(moments),
                    )
                )
        AuditEntry.objects.bulk_create(entries, batch_size=5000)
        Note.objects.bulk_create(
            [
                Note(
                    entity="opportunities",
                    record_id=pk,
                    author_id=owner,
                    body=f"@משה ביטון הלקוח של עסקה {pk} מבקש הנחה — מאשר?",
                    created_at=next(moments),
                )
                for pk, owner in followed
            ],
            batch_size=5000,
        )
        followed_ids = {pk for pk, _o in followed}
        lines = [
            FeedItem(
                user=manager,
                at=entry.at,
                kind="change",
                entity="opportunities",
                record_id=entry.object_id,
                actor_id=entry.actor_id,
                audit_entry_id=entry.pk,
            )
            for entry in AuditEntry.objects.filter(object_id__in=followed_ids)
            .only("pk", "at", "object_id", "actor_id")
            .iterator(chunk_size=5000)
        ]
        lines += [
            FeedItem(
                user=manager,
                at=note.created_at,
                kind="note",
                entity="opportunities",
                record_id=note.record_id,
                actor_id=note.author_id,
                note_id=note.pk,
            )
            for note in Note.objects.only("pk", "created_at", "record_id", "author_id")
        ]
        FeedItem.objects.bulk_create(lines, batch_size=5000)
        noise = AuditEntry.objects.filter(object_id__in=[pk for pk, _o in unfollowed[:1000]])
        noise_ids = list(noise.values_list("pk", "object_id", "at")[:OTHER_LINES])
        FeedItem.objects.bulk_create(
            [
                FeedItem(
                    user=other,
                    at=at,
                    kind="change",
                    entity="opportunities",
                    record_id=object_id,
                    audit_entry_id=pk,
                )
                for other in others
                for pk, object_id, at in noise_ids
            ],
            batch_size=5000,
        )
    _analyze()
    return manager, deal_type.pk, len(lines)


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _floor_sql(manager, deal_type_id: int):
    """The best hand-written SQL for the feed's first page, and the "from follows" query."""
    from kesher.collab.models import FeedItem, Follow, Note
    from kesher.org.models import Department, User
    from kesher.platform.models import AuditEntry
    from kesher.sales.models import Opportunity

    feed, deal, user = FeedItem._meta.db_table, Opportunity._meta.db_table, User._meta.db_table
    audit, note, follow = AuditEntry._meta.db_table, Note._meta.db_table, Follow._meta.db_table
    department = Department._meta.db_table
    path = manager.department.path
    page = f"""
        SELECT f.id, f.at, f.kind, f.record_id, o.name, u.first_name, u.last_name,
               a.changes, n.body
        FROM {feed} f
        JOIN {deal} o ON o.id = f.record_id
        JOIN {user} ow ON ow.id = o.owner_id
        JOIN {department} d ON d.id = ow.department_id
        LEFT JOIN {user} u ON u.id = f.actor_id
        LEFT JOIN {audit} a ON a.id = f.audit_entry_id
        LEFT JOIN {note} n ON n.id = f.note_id
        WHERE f.user_id = %s AND f.entity = 'opportunities' AND d.path LIKE %s
        ORDER BY f.at DESC, f.id DESC
        LIMIT 25
    """
    from_follows = f"""
        SELECT a.id, a.at, a.changes, o.name, u.first_name, u.last_name
        FROM {follow} fl
        JOIN {audit} a ON a.content_type_id = %s AND a.object_id = fl.record_id
        JOIN {deal} o ON o.id = fl.record_id
        JOIN {user} ow ON ow.id = o.owner_id
        JOIN {department} d ON d.id = ow.department_id
        LEFT JOIN {user} u ON u.id = a.actor_id
        WHERE fl.user_id = %s AND fl.entity = 'opportunities' AND fl.following
          AND (a.actor_id IS NULL OR a.actor_id <> %s) AND d.path LIKE %s
        ORDER BY a.at DESC, a.id DESC
        LIMIT 25
    """
    return (
        (page, (manager.pk, f"{path}%")),
        (from_follows, (deal_type_id, manager.pk, manager.pk, f"{path}%")),
    )


def _bare(sql: str, params: tuple):
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if len(rows) != 25:
            raise RuntimeError(f"the floor found {len(rows)} rows")

    return run


HEADER = """# The follow feed — a user following 5,000 records

Issue 23, "Performance": the follow feed of a user following 5,000 records, p95 ≤ 50 ms and
≤ 3× the best hand-written SQL. `bench/follow_feed.py` says what is built and how it is
measured; each database's latest run follows (also in `follow-feed-<db>.md`).
"""


def _combine() -> None:
    sections = [
        (RESULTS / f"follow-feed-{db}.md").read_text(encoding="utf-8")
        for db in ("sqlite", "postgres")
        if (RESULTS / f"follow-feed-{db}.md").exists()
    ]
    (RESULTS / "follow-feed.md").write_text("\n".join([HEADER, *sections]), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-follow-")
    try:
        started = time.perf_counter()
        manager, deal_type_id, lines = _setup()
        setup_seconds = time.perf_counter() - started
        import gc

        from django.test import Client
        from django.utils import translation

        from bench.timing import machine_and_run_lines, measure, percentile
        from kesher.collab.api import entry_data
        from kesher.collab.models import FeedItem
        from kesher.collab.selectors import cursor_of, feed_page

        deep_item = FeedItem.objects.filter(user=manager).order_by("-at", "-id")[DEEP]
        deep_cursor = cursor_of(deep_item)

        def selector(cursor=""):
            def call():
                with translation.override("en"):
                    page = feed_page(manager, cursor)
                    data = [entry_data(entry) for entry in page.entries]
                if len(data) != 25:
                    raise RuntimeError(f"the feed's page held {len(data)} lines")

            return call

        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(manager)

        def api():
            response = client.get("/api/v1/feed/")
            if response.status_code != 200 or len(response.json()["results"]) != 25:
                raise RuntimeError(f"the API answered {response.status_code}")

        (page_sql, page_params), (follows_sql, follows_params) = _floor_sql(manager, deal_type_id)
        floor = _bare(page_sql, page_params)
        from_follows = _bare(follows_sql, follows_params)
        figures = {
            "selector (first page)": selector(),
            f"selector (a page {DEEP:,} lines down)": selector(deep_cursor),
            "API GET /api/v1/feed/": api,
        }
        pairs = [(call, floor) for call in figures.values()] + [(from_follows, floor)]
        gc.freeze()
        samples = measure(pairs, runs=options.runs, warmup=options.warmup)
        floor_ms = [ms for _call, floors in samples for ms in floors]
        floor95, floor50 = percentile(floor_ms, 95), percentile(floor_ms, 50)
        rows, verdicts = [], []
        for name, (call_ms, _floors) in zip(
            [*figures, "reference: from follows, no feed table (SQL)"], samples, strict=True
        ):
            p50, p95 = percentile(call_ms, 50), percentile(call_ms, 95)
            ratio = p95 / floor95
            mark = ""
            if not name.startswith("reference"):
                verdicts.append((name, p95 <= TARGET_MS, ratio <= TARGET_RATIO))
                fast, near = p95 <= TARGET_MS, ratio <= TARGET_RATIO
                mark = f"{'✓' if fast else '✗'} / {'✓' if near else '✗'}"
            rows.append(f"| {name} | {p50:.2f} | {p95:.2f} | {ratio:.2f}× | {mark} |")
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.follow_feed"]
        command += argv if argv is not None else sys.argv[1:]
        absolute = all(ok for _n, ok, _r in verdicts)
        report = "\n".join(
            [
                f"## {options.db}",
                "",
                "| figure | p50 ms | p95 ms | p95 / floor p95 | ≤ 50 ms / ≤ 3× |",
                "|---|---|---|---|---|",
                f"| **floor**: the best hand-written SQL for the page (one statement) "
                f"| {floor50:.2f} | {floor95:.2f} | 1× | |",
                *rows,
                "",
                f"- p95 ≤ {TARGET_MS:.0f} ms: {'met' if absolute else 'NOT met'} by every figure; "
                f"≤ {TARGET_RATIO:.0f}× the floor: "
                + ", ".join(f"{name} {'met' if ok else 'NOT met'}" for name, _a, ok in verdicts)
                + ".",
                f"- {options.runs} rounds after {options.warmup} of warm-up; each round runs "
                "every figure, each followed by the floor (its samples pooled into one floor).",
                f"- Data made only for this benchmark: the manager follows {FOLLOWED:,} deals; "
                f"his feed holds {lines:,} lines ({CHANGES_EACH} changes and a note per deal); "
                f"{OTHER_USERS} other users' feeds of {OTHER_LINES:,} lines; "
                f"{UNFOLLOWED_CHANGES:,} changes of deals nobody follows. Database: {where} "
                f"({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"follow-feed-{options.db}.md").write_text(report, encoding="utf-8")
        _combine()
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
