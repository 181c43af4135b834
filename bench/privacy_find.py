"""Finding everything about one person among 1,000,000 contacts and their history (issue 25,
"Performance": p95 ≤ 2 s; REQ OR-8; decisions 0078, 0098).

    .venv/bin/python -m bench.privacy_find --db sqlite
    .venv/bin/python -m bench.privacy_find --db postgres   # server from $DATABASE_URL

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_privacy_find``
PostgreSQL database dropped afterwards) holding only what the figure reads, bulk-loaded as
``bench/generate.py`` loads the reference set (``BulkWriter``: ``executemany`` / ``COPY``, the
secondary indexes dropped for the load and rebuilt once, then ANALYZE):

- ``--contacts`` contacts (1,000,000), each with its creation in the audit trail;
- their history: ``--interactions`` interactions (1,000,000) about a contact, ``--tickets``
  tickets (200,000) of a contact, a fifth of them with an interaction about the ticket too,
  and ``--notifications`` notifications (500,000) about a contact;
- ``--leads`` leads (500,000), each with the web-form submission that made it (the values
  typed): a third converted into a contact who has a ticket, a third with the e-mail and mobile
  of such a contact but never converted, a third of no one's — the finder's second hop.

The people looked for are ``--runs`` + ``--warmup`` contacts with a ticket (so the search
follows the ticket to what is about it), a different one each round. Three figures:

- **selector**: ``privacy.selectors.subject_data(contact)`` — every kind of record that links
  to the person (a query per kind, the empty ones included), his files and history;
- **page**: the officer's page ``/privacy/requests/<id>/data/`` through Django's test client;
- **API**: ``/api/v1/privacy-requests/<id>/data/`` (the JSON export).

The floor: hand-written SQL reading the same person's rows from the tables that hold them —
contact, his leads and their form submissions, tickets, interactions and notifications about
him or his tickets, his audit trail —
through the bare cursor (every row fetched, no ORM), for the same person in the same round;
each statement seeks its index (checked with EXPLAIN QUERY PLAN: his leads are a bare id query
per index, ``INDEXED BY`` on SQLite, whose statistics would scan the 500,000 leads for a phone
— decision 0115 — then one read by id; the links a multi-index OR).
Rounds interleave every figure with the floor (``bench.timing.measure``).
Results: ``bench/results/privacy-find-<db>.md`` and ``privacy-find.md`` (both databases).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_privacy_find"
TARGET_MS = 2000.0
CHUNK = 50_000


def _log(message: str) -> None:
    print(message, flush=True)


def _load(options, rng: random.Random):
    """The data set, bulk-loaded; returns the officer and the people to look for."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.utils import timezone

    from bench.generate import BulkWriter, DeferredIndexes, _load_settings
    from kesher.activities.models import Interaction, Notification
    from kesher.customers.models import Contact
    from kesher.marketing.models import FormSubmission
    from kesher.org.models import Role, User
    from kesher.platform.models import AuditEntry
    from kesher.sales.models import Lead
    from kesher.service.models import Ticket

    officer = User.objects.create_user("officer", "officer@example.co.il", None)
    officer.role = Role.objects.get(key="privacy_officer")
    officer.save()
    kind_field = Interaction._meta.get_field("kind")
    kind_id = (
        kind_field.related_model.objects.filter(**kind_field.get_limit_choices_to()).first().pk
    )
    contact_type = ContentType.objects.get_for_model(Contact).pk
    now = timezone.now()
    loaded = (Contact, AuditEntry, Interaction, Notification, Ticket, Lead, FormSubmission)
    tables = [m._meta.db_table for m in loaded]
    deferred = DeferredIndexes(tables)
    deferred.drop()
    _load_settings(True)
    started = time.perf_counter()
    contacts = BulkWriter(Contact, ["id", "first_name", "last_name", "email", "mobile"])
    audit = BulkWriter(
        AuditEntry, ["content_type_id", "object_id", "object_repr", "action", "changes", "at"]
    )
    total = options.contacts
    for start in range(1, total + 1, CHUNK):
        ids = range(start, min(start + CHUNK, total + 1))
        with transaction.atomic():
            contacts.write(
                (pk, f"שם{pk}", f"משפחה{pk % 9973}", f"p{pk}@example.co.il", f"+9725{pk:08d}")
                for pk in ids
            )
            audit.write(
                (contact_type, pk, f"שם{pk}", "create", '{"first_name": [null, "x"]}', now)
                for pk in ids
            )
    _log(f"  contacts and their creation: {contacts.rows_written:,}")
    tickets = BulkWriter(Ticket, ["id", "subject", "contact_id"])
    ticket_owner = {}
    with transaction.atomic():
        rows = []
        for pk in range(1, options.tickets + 1):
            ticket_owner[pk] = rng.randrange(1, total + 1)
            rows.append((pk, f"פנייה {pk}", ticket_owner[pk]))
        tickets.write(rows)
    interactions = BulkWriter(
        Interaction, ["kind_id", "subject", "link_type", "link_id", "occurred_at"]
    )
    for start in range(0, options.interactions, CHUNK):
        n = min(CHUNK, options.interactions - start)
        with transaction.atomic():
            interactions.write(
                (kind_id, "שיחה", "contacts", rng.randrange(1, total + 1), now) for _ in range(n)
            )
    with transaction.atomic():
        interactions.write(
            (kind_id, "שיחה על פנייה", "tickets", pk, now)
            for pk in range(1, options.tickets + 1, 5)
        )
    owners = sorted(set(ticket_owner.values()))
    leads = BulkWriter(
        Lead, ["id", "first_name", "last_name", "email", "mobile", "converted_contact_id"]
    )
    submissions = BulkWriter(FormSubmission, ["token", "lead_id", "outcome", "values"])
    for start in range(1, options.leads + 1, CHUNK):
        lead_rows, submission_rows = [], []
        for pk in range(start, min(start + CHUNK, options.leads + 1)):
            kind = pk % 3  # converted, the same person never converted, no one's
            person = rng.choice(owners) if kind < 2 else None
            email = f"p{person}@example.co.il" if person else f"lead{pk}@example.org"
            mobile = f"+9725{person:08d}" if person else f"+9726{pk:08d}"
            lead_rows.append((pk, f"שם{pk}", "ליד", email, mobile, person if kind == 0 else None))
            typed = f'{{"first_name": "שם{pk}", "email": "{email}", "mobile": "{mobile}"}}'
            submission_rows.append((f"t{pk}", pk, "created", typed))
        with transaction.atomic():
            leads.write(lead_rows)
            submissions.write(submission_rows)
    notifications = BulkWriter(Notification, ["user_id", "verb", "text", "link_type", "link_id"])
    for start in range(0, options.notifications, CHUNK):
        n = min(CHUNK, options.notifications - start)
        with transaction.atomic():
            notifications.write(
                (officer.pk, "reminder", "תזכורת", "contacts", rng.randrange(1, total + 1))
                for _ in range(n)
            )
    _log(
        f"  tickets {tickets.rows_written:,}, interactions {interactions.rows_written:,}, "
        f"notifications {notifications.rows_written:,}, leads {leads.rows_written:,} with "
        f"their form submissions in {time.perf_counter() - started:.0f}s"
    )
    _load_settings(False)
    deferred.rebuild(_log)
    _reset_sequences(list(loaded))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in tables:
                cursor.execute(f"VACUUM ANALYZE {table}")
        else:
            cursor.execute("ANALYZE")
    people = rng.sample(owners, options.runs + options.warmup)
    return officer, people, contact_type


def _reset_sequences(models) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)


def _floor(contact_type: int):
    """Hand-written SQL: the person's rows from the tables that hold them."""
    from django.db import connection

    def read(contact_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM customers_contact WHERE id = %s", [contact_id])
            contact = cursor.fetchall()
            names = [d[0] for d in cursor.description]
            email, mobile = contact[0][names.index("email")], contact[0][names.index("mobile")]
            # His leads: a bare id query per index, each forced onto its index on SQLite (its
            # statistics find the phone column unselective — most leads have none — and scan
            # the table for ``phone = ?``; each part below finds a handful), then one read.
            parts = [
                ("sales_lead_converted_contact_id_232ef90b", "converted_contact_id", contact_id)
            ]
            if email:
                parts.append(("lead_email", "email", email))
            if mobile:
                parts += [("lead_mobile", "mobile", mobile), ("lead_phone", "phone", mobile)]
            forced = connection.vendor == "sqlite"
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT id FROM sales_lead {f'INDEXED BY {index} ' if forced else ''}"
                    f"WHERE {column} = %s"
                    for index, column, _value in parts
                ),
                [value for _index, _column, value in parts],
            )
            found = sorted({row[0] for row in cursor.fetchall()})
            cursor.execute(
                "SELECT * FROM sales_lead WHERE id IN "
                f"({', '.join(['%s'] * len(found)) or 'NULL'})",
                found,
            )
            leads = [row[0] for row in cursor.fetchall()]
            lead_marks = ", ".join(["%s"] * len(leads)) or "NULL"
            cursor.execute(
                f"SELECT * FROM marketing_formsubmission WHERE lead_id IN ({lead_marks})", leads
            )
            cursor.fetchall()
            cursor.execute("SELECT * FROM service_ticket WHERE contact_id = %s", [contact_id])
            tickets = [row[0] for row in cursor.fetchall()]
            marks = ", ".join(["%s"] * len(tickets)) or "NULL"
            for table in ("activities_interaction", "activities_notification"):
                cursor.execute(
                    f"SELECT * FROM {table} WHERE (link_type = 'contacts' AND link_id = %s) "
                    f"OR (link_type = 'tickets' AND link_id IN ({marks}))",
                    [contact_id, *tickets],
                )
                cursor.fetchall()
            cursor.execute(
                "SELECT * FROM platform_auditentry WHERE content_type_id = %s AND object_id = %s",
                [contact_type, contact_id],
            )
            cursor.fetchall()

    return read


HEADER = """# Finding everything about one person among 1,000,000 contacts

Issue 25, "Performance": finding everything about one person among 1,000,000 contacts and their
history, p95 ≤ 2 s. `bench/privacy_find.py` says what is built and how it is measured; each
database's latest run follows (also in `privacy-find-<db>.md`).
"""


def _combine() -> None:
    sections = [
        (RESULTS / f"privacy-find-{db}.md").read_text(encoding="utf-8")
        for db in ("sqlite", "postgres")
        if (RESULTS / f"privacy-find-{db}.md").exists()
    ]
    (RESULTS / "privacy-find.md").write_text("\n".join([HEADER, *sections]), encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--notifications", type=int, default=500_000)
    parser.add_argument("--leads", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print, write no results")
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-privacy-find-")
    try:
        started = time.perf_counter()
        officer, people, contact_type = _load(options, random.Random(options.seed))
        setup_seconds = time.perf_counter() - started
        _log(f"loaded in {setup_seconds:.0f}s")
        import gc

        from django.test import Client

        from bench.timing import capture_queries, machine_and_run_lines, measure, percentile
        from kesher.customers.models import Contact
        from kesher.privacy.models import SubjectRequest
        from kesher.privacy.selectors import subject_data

        requests = {
            pk: SubjectRequest.objects.create(contact_id=pk, kind="access").pk for pk in people
        }
        client = Client()
        client.force_login(officer)
        floor = _floor(contact_type)

        def cycling(call):
            order = itertools.cycle(people)
            current = {"pk": people[0]}

            def run():
                current["pk"] = next(order)
                call(current["pk"])

            def run_floor():
                floor(current["pk"])

            return run, run_floor

        def selector(pk):
            data = subject_data(Contact.objects.get(pk=pk))
            if not data.found:
                raise RuntimeError(f"nothing found about contact {pk}")

        def page(pk, url):
            response = client.get(url.format(requests[pk]))
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}")

        figures = {
            "selector": selector,
            "page": lambda pk: page(pk, "/privacy/requests/{}/data/"),
            "API (JSON)": lambda pk: page(pk, "/api/v1/privacy-requests/{}/data/"),
        }
        queries = {
            name: len(capture_queries(lambda c=call: c(people[0])).statements)
            for name, call in figures.items()
        }
        # Where the selector's time goes: its statements, timed, for one person.
        captured = capture_queries(lambda: figures["selector"](people[-1]))
        sql_ms = sum(captured.durations)
        slowest = sorted(
            zip(captured.durations, captured.statements, strict=True), key=lambda x: -x[0]
        )[:3]
        found = subject_data(Contact.objects.get(pk=people[0]))
        kinds = {group.key: len(group.records) for group in found.found}
        gc.freeze()
        pairs = [cycling(call) for call in figures.values()]
        samples = measure(pairs, runs=options.runs, warmup=options.warmup)
        lines = []
        verdicts = []
        for name, (call_ms, floor_ms) in zip(figures, samples, strict=True):
            p50, p95 = percentile(call_ms, 50), percentile(call_ms, 95)
            floor95 = percentile(floor_ms, 95)
            verdicts.append(p95 <= TARGET_MS)
            lines.append(
                f"| {name} | {p50:.0f} | {p95:.0f} | {floor95:.1f} | {p95 / floor95:.1f}× "
                f"| {queries[name]} | {'✓' if p95 <= TARGET_MS else '✗'} |"
            )
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.privacy_find"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"## {options.db}",
                "",
                "| figure | p50 ms | p95 ms | floor p95 ms | p95 / floor | queries | ≤ 2 s |",
                "|---|---|---|---|---|---|---|",
                *lines,
                "",
                f"- Target (issue 25): p95 ≤ {TARGET_MS / 1000:.0f} s — "
                f"{'met' if all(verdicts) else 'NOT met'}.",
                f"- Data: {options.contacts:,} contacts (and their creation in the audit "
                f"trail), {options.interactions:,} interactions about contacts and one about "
                f"every fifth of {options.tickets:,} tickets, {options.notifications:,} "
                f"notifications, {options.leads:,} leads with their web-form submissions (a "
                "third converted into a contact with a ticket, a third of such a contact's "
                "e-mail and mobile, a third no one's); set-up (load, index rebuild, ANALYZE) "
                "took "
                f"{setup_seconds:.0f} s.",
                f"- Found for the first person: {kinds}.",
                f"- The selector's SQL for one person (timed once): {sql_ms:.1f} ms in "
                f"{len(captured.durations)} statements; the slowest: "
                + "; ".join(f"{ms:.1f} ms `{sql[:90]}…`" for ms, (sql, _p) in slowest)
                + ".",
                f"- {options.runs} rounds after {options.warmup} of warm-up, a different person "
                "each round; each round runs every figure followed by the floor for the same "
                "person (hand-written SQL on the seven tables that hold his rows; the app "
                "also asks every other kind that links to contacts or leads, empty here).",
                f"- Database: {where} ({engine_version()}).",
                *machine_and_run_lines(command),
            ]
        )
        print(report)
        if not options.no_write:
            RESULTS.mkdir(exist_ok=True)
            (RESULTS / f"privacy-find-{options.db}.md").write_text(report, encoding="utf-8")
            _combine()
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
