"""Issuing documents concurrently: 8 processes × 500 tax invoices with their allocation numbers
from the local fake of the Tax Authority's API (issue 17), and 8 processes × 500 quotes
(issue 16) — every number used once, no gaps per company and type, each ≤ 2× the same rows
written bare with the same lock (decisions 0068, 0076).

    .venv/bin/python -m bench.issuing --db sqlite
    .venv/bin/python -m bench.issuing --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_issuing``
PostgreSQL database dropped afterwards) holding two companies, a business customer with a
company number, a product at 18% VAT and, written bare, the drafts: for each side (figure and
floor) 8 × 500 tax invoices of three lines (₪6,000 before VAT: above the allocation threshold
of ₪5,000, so each one needs an allocation number) and 8 × 500 quotes of three lines over two
companies. The fake Tax Authority (``kesher/billing/tests/fake_tax_authority.py``: OAuth2
token, invoice approval, the same number for a repeated idempotency key) listens on
127.0.0.1 in the parent process.

**Figure — invoices**: each of 8 processes issues its drafts with ``document_issue`` (VAT by
date, the number under the sequence's row lock, "awaiting allocation" and the request) and
then runs the worker's ``request_allocations`` until nothing is left to claim (the claim,
the token and approval calls to the fake, the answer recorded: the invoice issued).
**Floor — invoices**: the same rows written bare through the database cursor, with the same
lock, by the same 8 processes: the document row locked (``FOR UPDATE`` on PostgreSQL; on
SQLite the write transaction is ``BEGIN IMMEDIATE``, as Kesher's connection opens every
one), its lines' VAT, the sequence row locked and moved on by one ``UPDATE … RETURNING``
(as Kesher's ``allocate_number``, decision 0100), the document numbered and
awaiting, the request and the audit row inserted; then the same claim statement, the same
two HTTP calls to the fake, and the approval written (request, document, audit row).
**Figure — quotes**: ``quote_send``; **floor — quotes**: the quote locked by one ``SELECT``
that also reads what the service's lock reads (version, status, a counted line, a pending
approval), the sequence moved on, the quote numbered and sent, the audit row.

Figure and floor are interleaved: the 500 documents of each process go in chunks of 50, and
every chunk runs the four phases (invoices figure and floor, quotes figure and floor, the
order flipped every other chunk) with all 8 processes released together by a barrier; a
phase's time is from the first process's start to the last one's end, and each side's time
is the sum of its phases. Afterwards the numbers are checked: per company and type, every
number from 1 to the count exactly once, and every invoice issued with its allocation number.
SQLite serializes writers: its processes wait on the busy timeout (Kesher's connection sets
20 s) instead of failing. Results go to ``bench/results/issuing-<db>.md``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
import urllib.parse
import urllib.request
import uuid
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_issuing"
PROCESSES, PER_PROCESS, CHUNK = 8, 500, 50
LINES = 3
CENT = Decimal("0.01")
VAT = Decimal("18.00")


def _setup(processes: int, per_process: int):
    """Migrate; the companies, the customer, the product; the drafts of both sides."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from kesher.billing.models import InvoiceLine, TaxDocument
    from kesher.catalogue.models import Product
    from kesher.customers.models import Account
    from kesher.org.models import Company, Role, User
    from kesher.platform.models import Choice
    from kesher.quotes.models import Quote, QuoteLine

    admin = User.objects.create_user("admin", "admin@example.co.il", None)
    admin.role = Role.objects.get(key="admin")
    admin.save()
    companies = [
        Company.objects.create(name=f"חברה {n}", company_number=number)
        for n, number in enumerate(("514000009", "514000017", "514000025", "514000033"))
    ]
    account = Account.objects.create(
        name="טכנולוגיות הגליל בע״מ", company_number="514713288", owner=admin
    )
    standard = Choice.objects.get(list_key="vat_category", value="standard")
    product = Product.objects.create(
        name="מחשב נייד", sku="LAP", vat_category=standard, list_price=Decimal("2000")
    )
    today = timezone.localdate()
    total = processes * per_process

    def invoices(company) -> list[int]:
        drafts = TaxDocument.objects.bulk_create(
            TaxDocument(
                kind="tax_invoice",
                company=company,
                account=account,
                owner=admin,
                doc_date=today,
                name=f"הזמנה {n}",
            )
            for n in range(total)
        )
        InvoiceLine.objects.bulk_create(
            (
                InvoiceLine(
                    document=draft,
                    position=position,
                    product=product,
                    name=product.name,
                    sku=product.sku,
                    quantity=Decimal(1),
                    unit_price=Decimal(2000),
                    gross=Decimal(2000),
                    net=Decimal(2000),
                    vat_rate=VAT,
                    vat=Decimal(360),
                    total=Decimal(2360),
                )
                for draft in drafts
                for position in range(1, LINES + 1)
            ),
            batch_size=3000,
        )
        return [draft.pk for draft in drafts]

    def quotes(pair) -> list[int]:
        drafts = Quote.objects.bulk_create(
            Quote(name=f"הצעה {n}", company=pair[n % 2], account=account, owner=admin)
            for n in range(total)
        )
        QuoteLine.objects.bulk_create(
            (
                QuoteLine(
                    quote=draft,
                    position=position,
                    product=product,
                    name=product.name,
                    quantity=Decimal(1),
                    unit_price=Decimal(2000),
                    net=Decimal(2000),
                )
                for draft in drafts
                for position in range(1, LINES + 1)
            ),
            batch_size=3000,
        )
        return [draft.pk for draft in drafts]

    from kesher.numbering.models import DocumentSequence

    # The counters exist (a business's first document made them), on both sides alike.
    for company, doc_type in [(companies[0], "tax_invoice"), (companies[1], "tax_invoice")] + [
        (company, "quote") for company in companies
    ]:
        DocumentSequence.objects.create(company=company, doc_type=doc_type)
    drafts = {
        ("invoice", "figure"): invoices(companies[0]),
        ("invoice", "floor"): invoices(companies[1]),
        ("quote", "figure"): quotes(companies[0:2]),
        ("quote", "floor"): quotes(companies[2:4]),
    }
    types = {
        "invoice": ContentType.objects.get_for_model(TaxDocument).pk,
        "quote": ContentType.objects.get_for_model(Quote).pk,
    }
    return admin, companies, drafts, types


# --- the floor: the same rows, bare ----------------------------------------------------------


class Bare:
    """The same rows written through the database cursor, with the same locks."""

    def __init__(self, connection, admin_id: int, types: dict, fake_settings: dict):
        self.connection = connection
        self.postgres = connection.vendor == "postgresql"
        self.for_update = " FOR UPDATE" if self.postgres else ""
        self.admin_id = admin_id
        self.types = types
        self.fake = fake_settings

    def _key(self) -> object:
        return uuid.uuid4() if self.postgres else uuid.uuid4().hex

    def _audit(self, cursor, kind: str, object_id: int, label: str, changes: dict) -> None:
        from django.utils import timezone

        cursor.execute(
            "INSERT INTO platform_auditentry "
            "(content_type_id, object_id, object_repr, actor_id, action, changes, at) "
            "VALUES (%s, %s, %s, %s, 'update', %s, %s)",
            [self.types[kind], object_id, label, self.admin_id, json.dumps(changes),
             timezone.now()],
        )  # fmt: skip

    def _number(self, cursor, company_id: int, doc_type: str) -> tuple[int, str]:
        # The counter locked and moved on in one statement, as Kesher's ``allocate_number``.
        cursor.execute(
            "UPDATE numbering_documentsequence SET next_number = next_number + 1 "
            "WHERE company_id = %s AND doc_type = %s RETURNING next_number - 1, prefix, width",
            [company_id, doc_type],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(
                "INSERT INTO numbering_documentsequence "
                "(company_id, doc_type, prefix, next_number, width) VALUES (%s, %s, '', 1, 5)",
                [company_id, doc_type],
            )
            return self._number(cursor, company_id, doc_type)
        number, prefix, width = row
        return number, f"{prefix}{number:0{width}d}"

    def issue_invoice(self, pk: int) -> None:
        from django.db import transaction
        from django.utils import timezone

        with transaction.atomic(), self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT company_id, status FROM billing_taxdocument "
                f"WHERE id = %s{self.for_update}",
                [pk],
            )
            company_id, _status = cursor.fetchone()
            cursor.execute("SELECT id, net FROM billing_invoiceline WHERE document_id = %s", [pk])
            lines = []
            for line_id, net in cursor.fetchall():
                net = Decimal(net)
                vat = (net * VAT / 100).quantize(CENT, rounding=ROUND_HALF_UP)
                lines.append((line_id, net, vat))
            cursor.executemany(
                "UPDATE billing_invoiceline SET vat_rate = %s, vat = %s, total = %s, "
                "net_ils = %s, vat_ils = %s, total_ils = %s WHERE id = %s",
                [(VAT, vat, net + vat, net, vat, net + vat, i) for i, net, vat in lines],
            )
            net = sum(line[1] for line in lines)
            vat = sum(line[2] for line in lines)
            number, display = self._number(cursor, company_id, "tax_invoice")
            now = timezone.now()
            cursor.execute(
                "UPDATE billing_taxdocument SET number = %s, number_value = %s, "
                "status = 'awaiting', allocation = 'pending', issued_at = %s, updated_at = %s, "
                "due_date = doc_date, exchange_rate = 1, gross = %s, net = %s, vat = %s, "
                "total = %s, net_ils = %s, vat_ils = %s, total_ils = %s, "
                "version = version + 1 WHERE id = %s",
                [display, number, now, now, net, net, vat, net + vat, net, vat, net + vat, pk],
            )
            cursor.execute(
                "INSERT INTO billing_allocationrequest (document_id, idempotency_key, status, "
                "attempts, next_attempt_at, last_error, created_at) "
                "VALUES (%s, %s, 'pending', 0, %s, '', %s)",
                [pk, self._key(), now, now],
            )
            self._audit(
                cursor,
                "invoice",
                pk,
                f"חשבונית מס {display}",
                {"status": ["draft", "awaiting"], "number": [None, display]},
            )

    def _post(self, url: str, body: bytes, headers: dict) -> dict:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310  (the local fake)
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return json.loads(answer.read())

    def allocate_all(self) -> int:
        """Claim pending requests as the worker does, call the fake, record the answers."""
        from django.db import transaction
        from django.utils import timezone

        from kesher.platform.claims import claim_ids

        done = 0
        while True:
            now = timezone.now()
            with transaction.atomic():
                ids = claim_ids(
                    "billing_allocationrequest",
                    due="status = %s AND next_attempt_at <= %s",
                    due_params=["pending", now],
                    order="next_attempt_at, id",
                    limit=50,
                    mark="status = %s, claimed_at = %s, attempts = attempts + 1",
                    mark_params=["sending", now],
                )
            if not ids:
                return done
            for request_id in ids:
                self._allocate(request_id)
                done += 1

    def _allocate(self, request_id: int) -> None:
        from django.db import transaction
        from django.utils import timezone

        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT r.idempotency_key, d.id, d.number, d.doc_date, d.issued_at, d.gross, "
                "d.discount, d.net_ils, d.vat_ils, d.total_ils, c.company_number, "
                "a.company_number, a.name FROM billing_allocationrequest r "
                "JOIN billing_taxdocument d ON d.id = r.document_id "
                "JOIN org_company c ON c.id = d.company_id "
                "JOIN customers_account a ON a.id = d.account_id WHERE r.id = %s",
                [request_id],
            )
            key, pk, number, day, issued, gross, discount, net, vat, total, ours, theirs, name = (
                cursor.fetchone()
            )
            cursor.execute(
                "SELECT position, sku, name, quantity, unit_price, discount, net_ils, vat_rate, "
                "vat_ils FROM billing_invoiceline WHERE document_id = %s ORDER BY position",
                [pk],
            )
            items = [
                dict(
                    zip(
                        ("index", "catalog_id", "description", "quantity", "price_per_unit",
                         "discount", "total_amount", "vat_rate", "vat_amount"),
                        (str(value) for value in row),
                        strict=True,
                    )
                )
                for row in cursor.fetchall()
            ]  # fmt: skip
        payload = {
            "invoice_id": number,
            "invoice_type": 305,
            "vat_number": ours,
            "invoice_date": str(day),
            "invoice_issuance_date": str(issued)[:10],
            "accounting_software_number": self.fake["SOFTWARE_NUMBER"],
            "customer_vat_number": theirs,
            "customer_name": name,
            "amount_before_discount": str(gross),
            "discount": str(discount),
            "payment_amount": str(net),
            "vat_amount": str(vat),
            "payment_amount_including_vat": str(total),
            "items": items,
        }
        token = self._post(
            self.fake["TOKEN_URL"],
            urllib.parse.urlencode(
                {
                    "grant_type": "refresh_token",
                    "refresh_token": self.fake["REFRESH_TOKEN"],
                    "client_id": self.fake["CLIENT_ID"],
                    "client_secret": self.fake["CLIENT_SECRET"],
                }
            ).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )["access_token"]
        answer = self._post(
            self.fake["APPROVAL_URL"],
            json.dumps(payload, ensure_ascii=False).encode(),
            {
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {token}",
                "Idempotency-Key": str(uuid.UUID(str(key))),
            },
        )
        confirmation = str(answer["Confirmation_Number"])
        with transaction.atomic(), self.connection.cursor() as cursor:
            cursor.execute(
                f"SELECT status FROM billing_allocationrequest WHERE id = %s{self.for_update}",
                [request_id],
            )
            cursor.execute(
                f"SELECT status FROM billing_taxdocument WHERE id = %s{self.for_update}", [pk]
            )
            cursor.execute(
                "UPDATE billing_allocationrequest SET status = 'approved', last_error = '' "
                "WHERE id = %s",
                [request_id],
            )
            cursor.execute(
                "UPDATE billing_taxdocument SET allocation = 'approved', allocation_number = %s, "
                "status = 'issued', updated_at = %s, version = version + 1 WHERE id = %s",
                [confirmation, timezone.now(), pk],
            )
            self._audit(
                cursor,
                "invoice",
                pk,
                f"חשבונית מס {number}",
                {"allocation": ["pending", "approved"], "allocation_number": [None, confirmation]},
            )

    def send_quote(self, pk: int) -> None:
        from django.db import transaction
        from django.utils import timezone

        with transaction.atomic(), self.connection.cursor() as cursor:
            # The quote locked, and what sending needs of it read in the same statement.
            cursor.execute(
                "SELECT q.company_id, q.version, q.status, EXISTS (SELECT 1 FROM "
                "quotes_quoteline l WHERE l.quote_id = q.id AND NOT l.optional), EXISTS (SELECT 1 "
                "FROM approvals_approvalrequest r WHERE r.link_type = 'quotes' "
                "AND r.link_id = q.id AND r.status = 'pending') FROM quotes_quote q "
                f"WHERE q.id = %s{self.for_update}",
                [pk],
            )
            company_id, _version, _status, _lines, _pending = cursor.fetchone()
            number, display = self._number(cursor, company_id, "quote")
            now = timezone.now()
            cursor.execute(
                "UPDATE quotes_quote SET number = %s, number_value = %s, status = 'sent', "
                "sent_at = %s, updated_at = %s, version = version + 1 WHERE id = %s",
                [display, number, now, now, pk],
            )
            self._audit(
                cursor,
                "quote",
                pk,
                f"{display}",
                {"status": ["draft", "sent"], "number": [None, display]},
            )


# --- the processes ---------------------------------------------------------------------------


def _worker(index, barrier, results, plan, admin_id, types, fake_settings):
    from django.db import connection, connections

    connections.close_all()
    from kesher.billing.allocation import request_allocations
    from kesher.billing.models import TaxDocument
    from kesher.org.models import User
    from kesher.quotes.models import Quote
    from kesher.quotes.services import quote_send

    admin = User.objects.get(pk=admin_id)
    bare = Bare(connection, admin_id, types, fake_settings)

    def figure_invoices(ids):
        from kesher.billing.services import document_issue

        for pk in ids:
            document_issue(TaxDocument.objects.get(pk=pk), actor=admin)
        while request_allocations():
            pass

    def floor_invoices(ids):
        for pk in ids:
            bare.issue_invoice(pk)
        bare.allocate_all()

    def figure_quotes(ids):
        for pk in ids:
            quote_send(Quote.objects.get(pk=pk), actor=admin)

    def floor_quotes(ids):
        for pk in ids:
            bare.send_quote(pk)

    work = {
        ("invoice", "figure"): figure_invoices,
        ("invoice", "floor"): floor_invoices,
        ("quote", "figure"): figure_quotes,
        ("quote", "floor"): floor_quotes,
    }
    timings = []
    try:
        for phase, ids in plan:
            barrier.wait()
            t0 = time.monotonic()
            work[phase](ids)
            timings.append((phase, t0, time.monotonic()))
        barrier.wait()
    except Exception as error:  # report, and let the others go on
        barrier.abort()
        results.put((index, None, repr(error)))
        raise
    results.put((index, timings, ""))


def _check(companies, drafts) -> list[str]:
    """Every number once, none missing, per company and type; every invoice allocated."""
    from django.db.models import Count

    from kesher.billing.models import TaxDocument
    from kesher.quotes.models import Quote

    problems = []
    for kind, model, doc_type in (
        ("invoice", TaxDocument, "tax_invoice"),
        ("quote", Quote, "quote"),
    ):
        for side in ("figure", "floor"):
            ids = drafts[(kind, side)]
            rows = model._base_manager.filter(pk__in=ids).values_list("company_id", "number_value")
            by_company: dict[int, list[int]] = {}
            for company_id, number in rows:
                by_company.setdefault(company_id, []).append(number)
            for company_id, numbers in by_company.items():
                if None in numbers or sorted(numbers) != list(range(1, len(numbers) + 1)):
                    problems.append(f"{kind} {side}: company {company_id} has gaps or repeats")
            if sum(len(v) for v in by_company.values()) != len(ids):
                problems.append(f"{kind} {side}: not every document numbered")
        if kind == "invoice":
            states = dict(
                TaxDocument._base_manager.filter(kind=doc_type)
                .values_list("status")
                .annotate(n=Count("id"))
            )
            if set(states) != {"issued"}:
                problems.append(f"invoices not all issued: {states}")
            allocated = (
                TaxDocument._base_manager.filter(kind=doc_type)
                .exclude(allocation_number="")
                .values("allocation_number")
                .distinct()
                .count()
            )
            if allocated != len(drafts[("invoice", "figure")]) * 2:
                problems.append(f"allocation numbers: {allocated} distinct")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--processes", type=int, default=PROCESSES)
    parser.add_argument("--per-process", type=int, default=PER_PROCESS)
    parser.add_argument("--chunk", type=int, default=CHUNK)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-issuing-")
    try:
        started = time.perf_counter()
        admin, companies, drafts, types = _setup(options.processes, options.per_process)
        setup_seconds = time.perf_counter() - started
        from django.conf import settings
        from django.db import connections

        from bench.timing import machine_and_run_lines
        from kesher.billing.tests.fake_tax_authority import FakeTaxAuthority

        fake = FakeTaxAuthority()
        settings.KESHER_TAX_AUTHORITY = fake.settings(TIMEOUT=30)
        settings.KESHER_PRACTICE = False  # the fake is called, as the real API would be
        # Each process's documents, chunk by chunk, the four phases in turn.
        n, per, chunk = options.processes, options.per_process, options.chunk
        plans = []
        for index in range(n):
            plan = []
            for start in range(0, per, chunk):
                phases = [
                    ("invoice", "figure"),
                    ("invoice", "floor"),
                    ("quote", "figure"),
                    ("quote", "floor"),
                ]
                if (start // chunk) % 2:
                    phases = [phases[1], phases[0], phases[3], phases[2]]
                for phase in phases:
                    ids = drafts[phase][index * per : (index + 1) * per][start : start + chunk]
                    plan.append((phase, ids))
            plans.append(plan)
        tax_authority = dict(settings.KESHER_TAX_AUTHORITY)
        connections.close_all()
        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(n)
        results = context.Queue()
        workers = [
            context.Process(
                target=_worker,
                args=(i, barrier, results, plans[i], admin.pk, types, tax_authority),
            )
            for i in range(n)
        ]  # fmt: skip
        for worker in workers:
            worker.start()
        with fake:
            run_started = time.perf_counter()
            reports = [results.get() for _ in workers]
            run_seconds = time.perf_counter() - run_started
            for worker in workers:
                worker.join()
        errors = [error for _, _, error in reports if error]
        if errors:
            raise SystemExit(f"a process failed: {errors}")
        # Each phase's time: from the first process's start to the last one's end.
        spans: dict[tuple, list] = {}
        for _, timings, _ in reports:
            for number, (phase, t0, t1) in enumerate(timings):
                spans.setdefault((number, phase), []).append((t0, t1))
        totals: dict[tuple, float] = {}
        for (_, phase), pairs in spans.items():
            span = max(t1 for _, t1 in pairs) - min(t0 for t0, _ in pairs)
            totals[phase] = totals.get(phase, 0.0) + span
        problems = _check(companies, drafts)
        count = n * per
        rows, passed = [], not problems
        for kind, label in (
            ("invoice", "tax invoices, issued and allocated"),
            ("quote", "quotes sent (numbered)"),
        ):
            fig, flo = totals[(kind, "figure")], totals[(kind, "floor")]
            ratio = fig / flo
            passed = passed and ratio <= 2
            rows.append(
                f"| {n} × {per} {label} | {fig:.1f} | {count / fig:.0f} | {flo:.1f} "
                f"| {count / flo:.0f} | {ratio:.2f}× | ≤ 2× | {'pass' if ratio <= 2 else 'FAIL'} |"
            )
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.issuing"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"# Issuing documents concurrently — {options.db}",
                "",
                "Issue 17: 8 processes × 500 tax invoices with allocation numbers from the fake",
                "Tax Authority; issue 16: 8 processes × 500 quotes. Every number used once, no",
                "gaps per company and type, ≤ 2× the same rows written bare with the same lock",
                "(`bench/issuing.py`; its docstring says what is built and measured).",
                "",
                "| figure | s | documents/s | floor s | floor documents/s | figure / floor "
                "| target | |",
                "|---|---|---|---|---|---|---|---|",
                *rows,
                "",
                "- Numbers: "
                + (
                    "per company and type every number from 1 to the count exactly once, on "
                    "both sides; every invoice issued with its own allocation number "
                    f"({len(fake.numbers):,} distinct numbers from the fake)."
                    if not problems
                    else "**PROBLEMS**: " + "; ".join(problems)
                ),
                f"- Calls to the fake's approval endpoint: {len(fake.requests):,} (a repeat "
                "would carry the same idempotency key and get the same number).",
                f"- {n} processes; each process's {per} documents per kind in chunks of "
                f"{options.chunk}, the four phases of a chunk released together by a barrier "
                f"(order flipped every other chunk); the whole run took {run_seconds:.0f} s.",
                *(
                    [
                        "- SQLite serializes writers: one issuing transaction at a time, the "
                        "other processes wait on the busy timeout; no process failed."
                    ]
                    if options.db == "sqlite"
                    else []
                ),
                f"- Database: {where} ({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"issuing-{options.db}.md").write_text(report, encoding="utf-8")
        print(report)
        return 0 if passed else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
