"""What the access log costs a page and an API list (issue 25 item 1, REQ OR-8; decision 0078).

    .venv/bin/python -m bench.privacy_access_log --db sqlite
    .venv/bin/python -m bench.privacy_access_log --db postgres   # server from $DATABASE_URL

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_privacy``
PostgreSQL database dropped afterwards) with 20,000 contacts owned by the administrator who
reads them. Two figures, each measured with the log off and on (``KESHER_ACCESS_LOG``) through
Django's test client — middleware, session, view, template or serializer:

- a contact's record page, ``/r/contacts/<id>/`` (one entry per request);
- the API's contact list, ``/api/v1/contacts/`` (50 entries per request, one INSERT).

The floor of each is all the SQL its request ran with the log off, captured once and replayed
bare through the cursor. Every round runs, for each figure, the call with the log off, then on,
each followed by the floor, so load from elsewhere on the shared machine hits all alike. The
issue's target: with the log on, the ratio of a figure to its floor moves by no more than 20%.
Results go to ``bench/results/privacy-access-log.md`` (and ``-<db>`` beside it).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_privacy"
CONTACTS = 20_000
# The bound on how far the log may move a figure's ratio to its floor.
ALLOWED_MOVE = 0.20


def _setup():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.customers.models import Contact
    from kesher.org.models import Role, User

    admin = User.objects.create_user("admin", "admin@example.co.il", None)
    admin.role = Role.objects.get(key="admin")
    admin.save()
    Contact.objects.bulk_create(
        [
            Contact(
                first_name=f"איש {n}",
                last_name="כהן",
                email=f"p{n}@example.co.il",
                mobile=f"+97250{n:07d}",
                city="חיפה",
                owner=admin,
            )
            for n in range(CONTACTS)
        ],
        batch_size=5000,
    )
    return admin, Contact.objects.order_by("pk").values_list("pk", flat=True)[CONTACTS // 2]


def _call(client, url: str, log: bool):
    from django.test import override_settings

    def call():
        with override_settings(KESHER_ACCESS_LOG=log):
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} answered {response.status_code}")
        return response

    return call


HEADER = """# What the access log costs — a record page and an API list, log off and on

Issue 25 item 1: with the access log on, a figure's ratio to its floor may move by no more than
20%. `bench/privacy_access_log.py` says what is built and how it is measured; each database's
latest run follows (also in `privacy-access-log-<db>.md`).
"""


def _combine() -> None:
    """``privacy-access-log.md``: the header and each database's latest section."""
    sections = [
        (RESULTS / f"privacy-access-log-{db}.md").read_text(encoding="utf-8")
        for db in ("sqlite", "postgres")
        if (RESULTS / f"privacy-access-log-{db}.md").exists()
    ]
    text = "\n".join([HEADER, *sections])
    (RESULTS / "privacy-access-log.md").write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-privacy-")
    try:
        started = time.perf_counter()
        admin, contact_id = _setup()
        setup_seconds = time.perf_counter() - started
        import gc

        from django.test import Client

        from bench.timing import (
            capture_queries,
            machine_and_run_lines,
            measure,
            percentile,
            replay,
        )
        from kesher.privacy.accesslog import batches
        from kesher.privacy.models import AccessEntry

        client = Client()
        client.force_login(admin)
        urls = {
            "record page": f"/r/contacts/{contact_id}/",
            "API list": "/api/v1/contacts/",
        }
        pairs, labels = [], []
        for name, url in urls.items():
            _call(client, url, False)()  # warm the per-process caches before capturing
            floor = replay(capture_queries(_call(client, url, False)).statements)
            for log in (False, True):
                pairs.append((_call(client, url, log), floor))
                labels.append((name, log))
        written_before = AccessEntry.objects.count()
        gc.freeze()
        samples = measure(pairs, runs=options.runs, warmup=options.warmup)
        batches.flush()  # what still waits for the writer thread counts too
        written = AccessEntry.objects.count() - written_before
        # One floor per figure: the same SQL follows its call with the log off and on, so
        # its samples of both are pooled; the ratios with the log off and on share it.
        floors: dict[str, list[float]] = {}
        for (name, _log), (_call_ms, floor_ms) in zip(labels, samples, strict=True):
            floors.setdefault(name, []).extend(floor_ms)
        figures = {}
        for (name, log), (call_ms, _floor_ms) in zip(labels, samples, strict=True):
            figures[(name, log)] = (percentile(call_ms, 50), percentile(call_ms, 95))
        lines = []
        verdicts = []
        for (name, log), (p50, p95) in figures.items():
            floor95 = percentile(floors[name], 95)
            moved = ""
            if log:
                off50, off95 = figures[(name, False)]
                change = p95 / off95 - 1
                verdicts.append(change <= ALLOWED_MOVE)
                moved = (
                    f"{change * 100:+.0f}% {'✓' if change <= ALLOWED_MOVE else '✗'} "
                    f"(p50: {(p50 / off50 - 1) * 100:+.0f}%)"
                )
            lines.append(
                f"| {name} | {'on' if log else 'off'} | {p50:.1f} | {p95:.1f} | {floor95:.1f} "
                f"| {p95 / floor95:.2f}× | {moved} |"
            )
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.privacy_access_log"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"## {options.db}",
                "",
                "| figure | access log | p50 ms | p95 ms | floor p95 ms | p95 / floor "
                "| ratio moved by the log |",
                "|---|---|---|---|---|---|---|",
                *lines,
                "",
                f"- Target (issue 25): the ratio moves by no more than "
                f"{ALLOWED_MOVE * 100:.0f}% — {'met' if all(verdicts) else 'NOT met'}.",
                f"- {options.runs} rounds after {options.warmup} of warm-up; each round runs every "
                "figure off and on, each followed by its floor (the request's SQL with the log "
                "off, replayed bare; its samples after the call off and on pooled into one "
                f"floor per figure). {written:,} access-log rows were written while measuring.",
                f"- Database: {where} ({engine_version()}), {CONTACTS:,} contacts; set-up took "
                f"{setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"privacy-access-log-{options.db}.md").write_text(report, encoding="utf-8")
        _combine()
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
