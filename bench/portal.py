"""A portal user's ticket list (issue 18 "Performance": p95 ≤ 50 ms and ≤ 3× the best
hand-written SQL; decision 0079).

    .venv/bin/python -m bench.portal --db sqlite
    .venv/bin/python -m bench.portal --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_portal`` PostgreSQL
database dropped afterwards) with 300,000 tickets (``--tickets``) over 20,000 accounts, bulk
inserted; the portal customer's contact is linked to two accounts holding 2,000 of them (a big
customer, so the list pages). Figures, each beside its floor, in rounds (each figure, then its
floor):

* ``page`` — ``GET /portal/tickets/?show=all`` signed in as the portal user: the whole request
  (middleware, the session, the portal user, his accounts, the page's 25 tickets, the
  template); ``deep`` — the same list 1,500 tickets down (``?before=<id>``, keyset);
* ``selector`` — the page's rows through ``selectors.portal_tickets``;
* floor — the best hand-written SQL for the same rows: one statement joining the tickets of the
  contact's accounts to their status, newest first, ``LIMIT 26``.

Results go to ``bench/results/portal-<db>.md``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_portal"
# The best hand-written SQL for the page's rows: the contact's accounts, then each account's
# newest by its own range of the account index, in one statement (decision 0102; the single
# "account IN (…) ORDER BY id DESC" read every ticket of the accounts and sorted them).
FLOOR_ACCOUNTS = (
    "SELECT account_id FROM customers_contactaccount WHERE contact_id = %s ORDER BY account_id"
)
FLOOR_PART = (
    "SELECT id FROM (SELECT id FROM service_ticket WHERE account_id = %s "
    "AND merged_into_id IS NULL{before} ORDER BY id DESC LIMIT 26) account_{number}"
)
FLOOR_SQL = (
    "SELECT t.id, t.number, t.subject, t.created_at, t.updated_at, t.resolved_at, "
    "c.label_he, c.label_en, c.colour FROM service_ticket t "
    "LEFT JOIN platform_choice c ON c.id = t.status_id "
    "WHERE t.id IN ({parts}) ORDER BY t.id DESC LIMIT 26"
)


def _setup(tickets: int, accounts: int, seed: int):
    import django

    django.setup()
    from bench.database import migrate

    migrate()
    from django.db import connection, transaction
    from django.utils import timezone

    from kesher.customers.models import Account, Contact, ContactAccount
    from kesher.platform.models import Choice
    from kesher.portal.models import PortalUser
    from kesher.service.models import Ticket

    rng = random.Random(seed)
    statuses = list(Choice.objects.filter(list_key="ticket_status").values_list("pk", flat=True))
    with transaction.atomic():
        Account.objects.bulk_create(
            [Account(name=f"לקוח {n}") for n in range(accounts)], batch_size=5000
        )
        account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        contact = Contact.objects.create(first_name="דנה", email="dana@portal.example")
        ContactAccount.objects.bulk_create(
            [ContactAccount(contact=contact, account_id=pk) for pk in account_ids[:2]]
        )
        mine = set(account_ids[:2])
        start = timezone.now() - timedelta(days=3 * 365)
        batch = []
        for n in range(tickets):
            # 2,000 tickets are the customer's, spread over the years as everyone's are.
            account = (
                account_ids[(n // (tickets // 2000)) % 2]
                if n % (tickets // 2000) == 0
                else rng.choice(account_ids[2:])
            )
            when = start + timedelta(seconds=n * 300)
            batch.append(
                Ticket(
                    number=f"T-{n + 1:06d}",
                    subject=f"פנייה {n}",
                    account_id=account,
                    status_id=rng.choice(statuses),
                    created_at=when,
                    updated_at=when,
                )
            )
            if len(batch) == 10_000:
                Ticket.objects.bulk_create(batch)
                batch = []
        Ticket.objects.bulk_create(batch)
        portal_user = PortalUser(contact=contact, email=contact.email)
        portal_user.set_password("bench-portal-pass")
        portal_user.save()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    count = Ticket.objects.filter(account_id__in=mine).count()
    return portal_user, count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--pg-name", default=PG_NAME, help="the throw-away PostgreSQL database")
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=options.pg_name, prefix="kesher-portal-")
    try:
        started = time.perf_counter()
        portal_user, customer_tickets = _setup(options.tickets, options.accounts, options.seed)
        setup_seconds = time.perf_counter() - started
        from django.db import connection
        from django.test import Client

        from bench.timing import (
            capture_queries,
            machine_and_run_lines,
            measure,
            percentile,
        )
        from kesher.portal import selectors
        from kesher.portal.auth import HASH_KEY, SESSION_KEY, session_hash

        client = Client()
        session = client.session
        session[SESSION_KEY] = portal_user.pk
        session[HASH_KEY] = session_hash(portal_user)
        session.save()
        ids = list(
            selectors.portal_tickets(portal_user).order_by("-pk").values_list("pk", flat=True)
        )
        deep = ids[min(1500, len(ids) - 1)]

        def page(url):
            def call():
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            return call

        def selector():
            fresh = type(portal_user).objects.get(pk=portal_user.pk)
            list(
                selectors.portal_tickets(fresh)
                .select_related("status")
                .only(*selectors.TICKET_LIST_FIELDS)
                .order_by("-pk")[:26]
            )

        def floor(before=None):
            def run():
                with connection.cursor() as cursor:
                    cursor.execute(FLOOR_ACCOUNTS, [portal_user.contact_id])
                    accounts = [row[0] for row in cursor.fetchall()]
                    parts = " UNION ALL ".join(
                        FLOOR_PART.format(before=" AND id < %s" if before else "", number=n)
                        for n in range(len(accounts))
                    )
                    params = [p for a in accounts for p in (a, *([before] if before else []))]
                    cursor.execute(FLOOR_SQL.format(parts=parts), params)
                    cursor.fetchall()

            return run

        figures = [
            (
                "page",
                "GET /portal/tickets/?show=all — page 1",
                page("/portal/tickets/?show=all"),
                floor(),
            ),
            (
                "deep",
                "GET /portal/tickets/?show=all&before=… — 1,500 tickets down",
                page(f"/portal/tickets/?show=all&before={deep}"),
                floor(deep),
            ),
            ("selector", "selectors.portal_tickets — the page's 26 rows", selector, floor()),
        ]
        queries = {key: len(capture_queries(call).statements) for key, _d, call, _f in figures}
        samples = measure(
            [(call, fl) for _k, _d, call, fl in figures], runs=options.runs, warmup=options.warmup
        )
        rows = []
        for (key, description, _call, _floor), (times, floor_times) in zip(
            figures, samples, strict=True
        ):
            p50, p95 = percentile(times, 50), percentile(times, 95)
            floor_p95 = percentile(floor_times, 95)
            ratio = p95 / floor_p95 if floor_p95 else float("inf")
            verdict = "meets" if p95 <= 50 and ratio <= 3 else "MISSES"
            rows.append(
                f"| {key} — {description} | {p50:.1f} | {p95:.1f} | {floor_p95:.2f} "
                f"| ×{ratio:.1f} | ≤ 50 ms, ≤ ×3 | {queries[key]} | {verdict} |"
            )
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.portal"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"# A portal user's ticket list — {options.db}",
                "",
                'Issue 18 "Performance": a portal user\'s ticket list, p95 ≤ 50 ms and ≤ 3× the',
                "best hand-written SQL (`bench/portal.py` says what is built and measured).",
                "",
                "| figure | p50 ms | p95 ms | floor p95 ms | ratio p95 | target | statements | |",
                "|---|---:|---:|---:|---:|---:|---:|---|",
                *rows,
                "",
                f"- Floor: `{FLOOR_ACCOUNTS}`, then `{FLOOR_SQL}` with a part per account "
                f"`{FLOOR_PART.format(before='', number='N')}` (the deep page adds "
                "`AND id < %s`): the same rows, each account's newest from its own range of "
                "the account index.",
                f"- Data: {options.tickets:,} tickets over {options.accounts:,} accounts; the "
                f"customer's two accounts hold {customer_tickets:,}.",
                f"- {options.runs} rounds after {options.warmup} warm-up rounds; each round runs "
                "every figure, then its floor.",
                f"- Database: {where} ({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"portal-{options.db}.md").write_text(report, encoding="utf-8")
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
