"""Import 100,000 contacts from a file into the 1,000,000-contact data set (REQ IM-1, issue 6).

    .venv/bin/python -m bench.imports --db sqlite
    .venv/bin/python -m bench.imports --db postgres

Never writes to the reference data set: SQLite works on a copy in /tmp (the online backup API,
so a reader of the original is not disturbed), PostgreSQL on ``kesher_bench_imports`` made with
``CREATE DATABASE … TEMPLATE kesher_bench`` and dropped afterwards.

The file (UTF-8 CSV, the same as Windows-1255 CSV, and as XLSX) holds 100,000 rows: 10,000 of
the existing contacts as an old system would export them (phones as ``054-123-4567``, dates as
``dd/mm/yyyy``), 89,800 new people, and 200 rows with a bad e-mail address. It is imported in
upsert mode matched by mobile phone — every phone normalized to E.164 and looked up among the
1,000,000 contacts — skipping bad rows. Each variant runs in a fresh process (its peak resident
memory is the figure) through the services: upload (read, detect, suggest), the dry run, and
the import the worker runs (the headline figure: its time and rows/s). Then the floor (issue
26): the contacts the import created, alone, deleted and inserted again into the contacts table
— with every index it has, named in the result — by a bare ``executemany`` (SQLite) or ``COPY``
(PostgreSQL), in a transaction rolled back; and, for comparison, every row the import wrote
(contacts, search entries, undo records, audit entries of updates) the same way. Figures go to
``bench/results/import-<db>.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import random
import shlex
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.database import (
    DEFAULT_SQLITE_PATH,
    admin_connection,
    configure_django,
    engine_version,
    target_for,
)
from bench.timing import machine_speed

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES = Path(__file__).resolve().parent.parent / "var" / "bench" / "profiles"
PG_COPY = "kesher_bench_imports"
HEADERS = ["שם פרטי", "שם משפחה", 'דוא"ל', "טלפון נייד", "עיר", "תאריך לידה"]
EXISTING, BAD = 10_000, 200
VARIANTS = ("utf8", "cp1255", "xlsx")
# Tables an import writes, and the rows of this job in each (for the floor and the clean-up).
WRITTEN = {
    "customers_contact": "id > %(contact)s",
    "platform_auditentry": "id > %(audit)s",
    "platform_searchtoken": "entity = 'contacts' AND object_id > %(contact)s",
    "imports_importrowchange": "id > %(change)s",
}


# --- the database copy --------------------------------------------------------------------------


def prepare_copy(db: str, folder: Path) -> tuple[dict, object]:
    """A private copy of the reference data; returns how to reach it and its clean-up."""
    if db == "sqlite":
        path = folder / "kesher_bench_import.sqlite3"
        source = sqlite3.connect(f"file:{DEFAULT_SQLITE_PATH}?mode=ro", uri=True)
        target = sqlite3.connect(path)
        source.backup(target)
        source.close()
        target.close()
        return {"sqlite_path": str(path)}, lambda: path.unlink(missing_ok=True)
    base = target_for("postgres")
    url = base.postgres_url.rsplit("/", 1)[0] + "/" + PG_COPY
    with admin_connection(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_COPY} WITH (FORCE)")
        for attempt in range(30):  # the template may not be in use while it is copied
            try:
                conn.execute(f"CREATE DATABASE {PG_COPY} TEMPLATE kesher_bench")
                break
            except Exception:
                if attempt == 29:
                    raise
                time.sleep(10)

    def drop():
        from django.db import connections

        connections.close_all()
        with admin_connection(url) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_COPY} WITH (FORCE)")

    return {"database_url": url}, drop


def _django(db: str, where: dict) -> None:
    if db == "sqlite":
        configure_django(target_for("sqlite", sqlite_path=where["sqlite_path"]))
    else:
        os.environ["DATABASE_URL"] = where["database_url"]
        configure_django(target_for("postgres", postgres_name=PG_COPY))


# --- the file -----------------------------------------------------------------------------------


def _dirty_phone(e164: str) -> str:
    national = "0" + e164.removeprefix("+972")
    return f"{national[:3]}-{national[3:6]}-{national[6:]}"


def _date(value) -> str:
    return f"{value:%d/%m/%Y}" if value else ""


def build_rows(seed: int = 7) -> list[list[str]]:
    """The file's rows: existing contacts (unique mobiles), new people, bad rows, shuffled."""
    from django.db.models import Count

    from bench import vocabulary as vocab
    from kesher.customers.models import Contact

    rng = random.Random(seed)
    top = Contact.objects.order_by("-pk").values_list("pk", flat=True).first()
    picked = rng.sample(range(1, top + 1), EXISTING * 2)
    people = list(
        Contact.objects.filter(pk__in=picked)
        .exclude(mobile="")
        .values_list("first_name", "last_name", "email", "mobile", "city", "birthday")
    )
    mobiles = [p[3] for p in people]
    shared = set(
        Contact.objects.filter(mobile__in=mobiles)
        .values("mobile")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .values_list("mobile", flat=True)
    )
    existing = [p for p in people if p[3] not in shared][:EXISTING]
    rows = [[f, last, e, _dirty_phone(m), c, _date(b)] for f, last, e, m, c, b in existing]
    cities = [c for c, _weight in vocab.CITIES]
    firsts = [name for name, _latin in vocab.HEBREW_FIRST_NAMES]
    lasts = [name for name, _latin, _weight in vocab.HEBREW_LAST_NAMES]
    new_count = 100_000 - EXISTING - BAD
    fresh = list({f"+97258{rng.randrange(10**7):07d}" for _ in range(new_count * 2)})
    taken: set[str] = set()
    for start in range(0, len(fresh), 5000):
        chunk = fresh[start : start + 5000]
        taken |= set(Contact.objects.filter(mobile__in=chunk).values_list("mobile", flat=True))
    fresh = sorted(m for m in fresh if m not in taken)[:new_count]
    rng.shuffle(fresh)
    for i, mobile in enumerate(fresh):
        day, month, year = rng.randrange(1, 29), rng.randrange(1, 13), rng.randrange(1950, 2004)
        rows.append(
            [
                rng.choice(firsts),
                rng.choice(lasts),
                f"new{i}@import.example.co.il",
                _dirty_phone(mobile),
                rng.choice(cities),
                f"{day:02d}/{month:02d}/{year}" if rng.random() < 0.5 else "",
            ]
        )
    for i in range(BAD):
        rows.append(["שגוי", "כתובת", f"bad{i}@", f"052-{i:03d}-0000", "חיפה", ""])
    rng.shuffle(rows)
    return [HEADERS, *rows]


def write_files(rows: list[list[str]], folder: Path) -> dict[str, Path]:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    text = buffer.getvalue()
    files = {"utf8": folder / "contacts-utf8.csv", "cp1255": folder / "contacts-cp1255.csv"}
    files["utf8"].write_bytes(text.encode("utf-8"))
    files["cp1255"].write_bytes(text.encode("cp1255"))
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("אנשי קשר")
    for row in rows:
        sheet.append(row)
    files["xlsx"] = folder / "contacts.xlsx"
    workbook.save(files["xlsx"])
    return files


# --- one import, in its own process -------------------------------------------------------------


class _AnonymousPeak:
    """The highest anonymous resident memory (the Python heap and SQLite's page cache, not the
    database file SQLite maps into memory), sampled five times a second."""

    def __init__(self):
        import threading

        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.wait(0.2):
            with open("/proc/self/status") as status:
                for line in status:
                    if line.startswith("RssAnon:"):
                        self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def stop(self) -> tuple[float, float]:
        """(peak anonymous MB, peak resident MB). The resident peak is the kernel's VmHWM of
        this process image; ``getrusage``'s would carry the parent's over ``exec``."""
        self._stop.set()
        self._thread.join()
        with open("/proc/self/status") as status:
            hwm = next(int(x.split()[1]) for x in status if x.startswith("VmHWM:"))
        return self.peak_kb / 1024, hwm / 1024


def child(db: str, where: dict, path: Path, media: Path, profile: bool = False) -> dict:
    """Upload, dry run and import one file through the services; print the figures."""
    anonymous = _AnonymousPeak()
    os.environ["MEDIA_ROOT"] = str(media)
    _django(db, where)
    from django.conf import settings

    from kesher.imports import services
    from kesher.imports.models import ImportJob
    from kesher.org.models import User

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    actor = User.objects.get(username="bench_admin")
    content = path.read_bytes()
    started = time.perf_counter()
    job = services.import_upload(
        actor=actor, entity="contacts", filename=path.name, content=content
    )
    upload = time.perf_counter() - started
    del content
    mapping = {**job.mapping, "match": "mobile", "skip_invalid": True}
    services.import_set_mapping(job, actor=actor, mapping=mapping, mode="upsert")
    started = time.perf_counter()
    services.import_check(job, actor=actor)
    services.run_job(job.pk)
    check = time.perf_counter() - started
    job.refresh_from_db()
    checked = {"created": job.created, "unchanged": job.unchanged, "invalid": job.invalid}
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    services.import_start(job, actor=actor)
    services.run_job(job.pk)
    run, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler is not None:
        profiler.stop()
        PROFILES.mkdir(parents=True, exist_ok=True)
        (PROFILES / f"import-{db}-{path.stem}.txt").write_text(
            profiler.output_text(unicode=True, color=False), encoding="utf-8"
        )
    job = ImportJob.objects.get(pk=job.pk)
    peak_anonymous, peak_resident = anonymous.stop()
    return {
        "upload": upload,
        "check": check,
        "run": run,
        "cpu": cpu,  # the import's processor time: steadier than ``run`` on a busy machine
        "rows": job.total,
        "status": job.status,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "invalid": job.invalid,
        "checked": checked,
        "encoding": job.encoding,
        "peak_anon_mb": peak_anonymous,
        "peak_mb": peak_resident,
    }


# --- the floor and the clean-up -----------------------------------------------------------------


def marks() -> dict:
    from django.db import connection

    result = {}
    with connection.cursor() as cursor:
        for key, table in (
            ("contact", "customers_contact"),
            ("audit", "platform_auditentry"),
            ("change", "imports_importrowchange"),
        ):
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
            result[key] = cursor.fetchone()[0]
    return result


def floor(before: dict, tables: tuple[str, ...]) -> tuple[float, int]:
    """The rows the import wrote to ``tables``, inserted again by bare SQL; rolled back."""
    from django.db import connection, transaction

    taken = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table} WHERE {WRITTEN[table] % before}")
            taken[table] = ([c[0] for c in cursor.description], cursor.fetchall())
    total = sum(len(rows) for _cols, rows in taken.values())
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                for table, where in reversed(WRITTEN.items()):
                    cursor.execute(f"DELETE FROM {table} WHERE {where % before}")
            started = time.perf_counter()
            with connection.cursor() as cursor:
                for table, (columns, rows) in taken.items():
                    names = ", ".join(columns)
                    if connection.vendor == "sqlite":
                        marks_ = ", ".join("?" for _ in columns)
                        cursor.connection.executemany(
                            f"INSERT INTO {table} ({names}) VALUES ({marks_})",
                            rows,
                        )
                    else:
                        with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
            seconds = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return seconds, total


def contact_indexes() -> list[str]:
    """The contacts table's indexes, which the floor's inserts maintain (named in the result)."""
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, "customers_contact")
    return sorted(name for name, c in constraints.items() if c["index"] and not c["primary_key"])


class _Rollback(Exception):
    pass


def clean_up(before: dict) -> None:
    """Remove what one import wrote, so the next variant starts from the same data."""
    from django.db import connection, transaction

    from kesher.imports.models import ImportJob

    with transaction.atomic(), connection.cursor() as cursor:
        for table, where in reversed(WRITTEN.items()):
            cursor.execute(f"DELETE FROM {table} WHERE {where % before}")
        ImportJob.objects.all().delete()


# --- the run ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.imports", description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--only", choices=VARIANTS, action="append")
    parser.add_argument("--no-write", action="store_true", help="print only, no results file")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="write a pyinstrument profile of each import to var/bench/profiles/",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        spec = json.loads(args.child)
        result = child(
            args.db,
            spec["where"],
            Path(spec["path"]),
            Path(spec["media"]),
            spec.get("profile", False),
        )
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    load_before = os.getloadavg()[0]
    folder = Path(tempfile.mkdtemp(prefix="kesher-import-bench-"))
    where, cleanup = prepare_copy(args.db, folder)
    results = {}
    try:
        _django(args.db, where)
        from django.core.management import call_command

        # The copy has the reference set's schema: migrations since its load (indexes) apply.
        call_command("migrate", verbosity=0, interactive=False)
        files = write_files(build_rows(), folder)
        engine = engine_version()
        indexes = contact_indexes()
        for variant in args.only or VARIANTS:
            before = marks()
            spec = {
                "where": where,
                "path": str(files[variant]),
                "media": str(folder / "media"),
                "profile": args.profile,
            }
            out = subprocess.run(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "bench.imports",
                    "--db",
                    args.db,
                    "--child",
                    json.dumps(spec),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            lines = [x for x in out.stdout.splitlines() if x.startswith("RESULT ")]
            if not lines:
                print(out.stdout[-3000:], out.stderr[-5000:], file=sys.stderr)
                raise SystemExit(f"the {variant} import failed")
            result = json.loads(lines[-1].removeprefix("RESULT "))
            # The floor is the best of two: the disk is shared, and one slow run is noise.
            floors = [floor(before, ("customers_contact",)) for _ in range(2)]
            result["floor"], result["floor_rows"] = min(floors)
            floors = [floor(before, tuple(WRITTEN)) for _ in range(2)]
            result["floor_all"], result["floor_all_rows"] = min(floors)
            result["size_mb"] = files[variant].stat().st_size / 1e6
            results[variant] = result
            print(variant, json.dumps(result), flush=True)
            clean_up(before)
    finally:
        cleanup()
    command = ".venv/bin/python -m bench.imports " + " ".join(
        shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:])
    )
    text = report(args.db, command, engine, load_before, results, indexes)
    print(text)
    if not args.no_write:
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"import-{args.db}.md").write_text(text, encoding="utf-8")
    return 0


LABELS = {"utf8": "CSV, UTF-8", "cp1255": "CSV, Windows-1255", "xlsx": "XLSX"}


def report(
    db: str, command: str, engine: str, load_before: float, results: dict, indexes: list[str]
) -> str:
    lines = [
        f"# Import of 100,000 contacts into 1,000,000 — {db}",
        "",
        f"- command: `{command}`",
        f"- when: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {engine}; a private copy of the "
        "reference data set (1,000,000 contacts, 200,000 accounts)",
        f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; {machine_speed()}",
        f"- load average (other work on the machine): {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end",
        f"- file: 100,000 rows — {EXISTING:,} existing contacts as an old system exports them, "
        f"{100_000 - EXISTING - BAD:,} new people, {BAD} bad e-mail addresses; upsert matched "
        "by mobile (normalized to E.164), bad rows skipped",
        "- import: `import_start` + the worker's `run_job`: every row converted and validated "
        "again, matched against the 1,000,000 contacts a batch of 500 at a time, new records, "
        "search tokens and undo records (which also tell each creation: no audit entry) written "
        "in bulk; a transaction per batch on PostgreSQL, per 10,000 rows on SQLite",
        "- floor (issue 26): the contacts the import created, alone, inserted again into the "
        "contacts table by a bare `executemany` (SQLite) / `COPY` (PostgreSQL) in one "
        "transaction, the best of two; the table's indexes, which the list, search and dedupe "
        f"figures use: {', '.join(f'`{name}`' for name in indexes)}",
        "- all rows: the same for every row the import wrote (contacts, audit entries, search "
        "entries, undo records) — what the import's own writes cost at the database's speed",
        "- memory: peak resident size of the process that read, checked and imported the file "
        "(Python, Django and the file included; on SQLite also the pages of the database file "
        "it maps, `mmap_size` 256 MB, and its 64 MB page cache), and its peak anonymous "
        "memory (`RssAnon`: without mapped files), sampled every 0.2 s",
        "- targets (issue 26): ≤ 2× the floor, ≤ 300 MB",
        "",
        "| file | MB | upload s | dry run s | import s | import rows/s | floor s | ratio "
        "| all rows s (rows) | peak RSS MB | peak anonymous MB | created / unchanged / bad |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for variant, r in results.items():
        lines.append(
            f"| {LABELS[variant]} | {r['size_mb']:.1f} | {r['upload']:.1f} | {r['check']:.1f} "
            f"| {r['run']:.1f} | {r['rows'] / r['run']:,.0f} | {r['floor']:.2f} "
            f"| ×{r['run'] / r['floor']:.1f} | {r['floor_all']:.2f} ({r['floor_all_rows']:,}) "
            f"| {r['peak_mb']:.0f} | {r['peak_anon_mb']:.0f} "
            f"| {r['created']:,} / {r['unchanged']:,} / {r['invalid']:,} |"
        )
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
