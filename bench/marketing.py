"""Queuing a mass send to 20,000 recipients (issue 19 item 3, REQ MK-2; decision 0070).

    .venv/bin/python -m bench.marketing --db sqlite
    .venv/bin/python -m bench.marketing --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_marketing``
PostgreSQL database dropped afterwards) with 20,000 contacts of one city and 1,000 of
another, each with an e-mail address; 19,000 of the 20,000 gave consent, 500 of them
refused afterwards, the rest have no entry. A shared saved view of the city is the segment.

The figure is ``send_queue``: evaluate the segment as the send's owner sees it, ask the consent
ledger for each person (the latest entry), and write the 20,000 ``Recipient`` rows — pending
or skipped. The floor is the bare insert of the same 20,000 rows (``bulk_create`` of
ready-made objects, same batch size) in one transaction. Each round queues a fresh draft send,
then runs the floor into another; rounds alternate, so load from elsewhere on the shared
machine hits both alike. Results go to ``bench/results/marketing-<db>.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_marketing"
AUDIENCE = 20_000


def _setup():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from kesher.customers.models import Contact
    from kesher.marketing.models import Campaign, Consent
    from kesher.org.models import Role, User
    from kesher.platform.lists.savedviews import saved_view_create

    manager = User.objects.create_user("manager", "manager@example.co.il", None)
    manager.role = Role.objects.get(key="admin")
    manager.save()
    contacts = [
        Contact(
            first_name=f"איש {n}",
            last_name="כהן",
            email=f"p{n}@example.co.il",
            city="חיפה" if n < AUDIENCE else "אילת",
            owner=manager,
        )
        for n in range(AUDIENCE + 1000)
    ]
    Contact.objects.bulk_create(contacts, batch_size=5000)
    ids = list(Contact.objects.filter(city="חיפה").order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    entries = [
        Consent(contact_id=pk, channel="email", kind="consent", given_at=now) for pk in ids[:19_000]
    ]
    entries += [
        Consent(
            contact_id=pk,
            channel="email",
            kind="refusal",
            given_at=now + timezone.timedelta(minutes=1),
        )
        for pk in ids[:500]
    ]
    Consent.objects.bulk_create(entries, batch_size=5000)
    view = saved_view_create(
        actor=manager,
        data={
            "entity": "contacts",
            "name": "חיפה",
            "shared": True,
            "filter": {"field": "city", "op": "eq", "value": "חיפה"},
        },
    )
    campaign = Campaign.objects.create(name="ניוזלטר", owner=manager)
    return manager, view, campaign, ids


def _draft(manager, view, campaign, n):
    from kesher.marketing.models import Send

    return Send.objects.create(
        campaign=campaign,
        name=f"דיוור {n}",
        segment=view,
        subject="מבצע",
        body="<p>שלום</p>",
        sender_name="קשר",
        sender_contact="03-5551234",
        owner=manager,
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-marketing-")
    try:
        started = time.perf_counter()
        manager, view, campaign, ids = _setup()
        setup_seconds = time.perf_counter() - started
        from django.db import transaction
        from django.utils import timezone

        from bench.timing import machine_and_run_lines
        from kesher.marketing.models import Recipient
        from kesher.marketing.sending import tally
        from kesher.marketing.services import send_queue

        full, floor = [], []
        counts = {}
        for n in range(options.runs):
            send = _draft(manager, view, campaign, f"a{n}")
            t0 = time.perf_counter()
            send = send_queue(send, actor=manager)
            t1 = time.perf_counter()
            counts = tally(send)
            assert send.audience == AUDIENCE, send.audience
            assert sum(counts.values()) == AUDIENCE
            other = _draft(manager, view, campaign, f"b{n}")
            now = timezone.now()
            rows = [
                Recipient(
                    send_id=other.pk,
                    contact_id=pk,
                    address=f"p{i}@example.co.il",
                    status="pending",
                    next_attempt_at=now,
                )
                for i, pk in enumerate(ids)
            ]
            t2 = time.perf_counter()
            with transaction.atomic():
                for start in range(0, len(rows), 5000):
                    Recipient.objects.bulk_create(rows[start : start + 5000])
            t3 = time.perf_counter()
            full.append(t1 - t0)
            floor.append(t3 - t2)
            # Keep the table the same size from round to round.
            Recipient.objects.filter(send__in=[send, other]).delete()
        best, best_floor = min(full), min(floor)
        median = sorted(full)[len(full) // 2]
        median_floor = sorted(floor)[len(floor) // 2]
        ratio = median / median_floor
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.marketing"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"# Queuing a 20,000-recipient mass send — {options.db}",
                "",
                "Issue 19 item 3: `send_queue` (segment evaluated at send time, the consent",
                "ledger asked per person, one row per recipient) beside the floor, the bare",
                "insert of the same 20,000 rows (`bench/marketing.py` says what is built).",
                "",
                "| figure | median s | best s | floor median s | floor best s | median / floor |",
                "|---|---|---|---|---|---|",
                f"| `send_queue`, 20,000 recipients | {median:.2f} | {best:.2f} "
                f"| {median_floor:.2f} | {best_floor:.2f} | {ratio:.2f}× |",
                "",
                f"- Recipients per round: pending {counts.get('pending', 0):,}, skipped (no "
                f"consent or refused) {counts.get('skipped', 0):,}; their sum is the audience.",
                f"- {options.runs} rounds; each round runs the figure, then the floor.",
                f"- Database: {where} ({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"marketing-{options.db}.md").write_text(report, encoding="utf-8")
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
