"""The service desk's figures (issue 18 "Performance"), over 300,000 tickets with their SLA
clocks (DESIGN.md's reference set):

    .venv/bin/python -m bench.service --db sqlite
    .venv/bin/python -m bench.service --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_service``
PostgreSQL database dropped afterwards) holding only what the figures read: ``--tickets``
(300,000) open tickets over 4 teams (queues) of 8 support agents each, 5,000 accounts with a
contact each, the seed pick-lists (type, subtype, priority, status, channel) and SLA policies,
and each ticket's SLA clocks — first response and resolution, 600,000 rows — on the business
calendar (Sunday–Thursday, holidays and eves; the due and warning moments ``sla.clock_start``
gives, to the minute, read from a table of the calendar's working windows) from creation
moments over the last 30 days (most in the last 5): a new ticket's two clocks run, an "in progress"
ticket's first response is met and its resolution runs, a ticket waiting for the customer has
both paused (no ``sla_due_at``). Tickets and clocks are bulk-loaded like the reference set
(``bench.generate.BulkWriter``: ``executemany`` / ``COPY``, secondary indexes rebuilt once,
then ``ANALYZE``).

Figures, each beside its floor, in rounds (each figure, then its floor):

* ``list.*`` — a support agent's ticket list filtered by team and status, sorted by SLA due
  time: the list page ``/r/tickets/?team=…&status=…&sort=sla_due_at`` and the API
  ``/api/v1/tickets/?team=…&status=…&ordering=sla_due_at`` through Django's test client, page 1
  and a deep page (``--deep-page``, by typed number and by the cursor the "next" links carry),
  and the selector (``Table(...).rows``: the list's query and its rows, no template). Floor: the
  best hand-written SQL — one statement reading the page's rows with the names the list shows
  by the ``(team, status, sla_due_at, id)`` index (the deep page sought by
  ``(sla_due_at, id) > (…)``). Target p95 ≤ 50 ms and ≤ 3× the floor.
* ``tick.*`` — the worker's tick over the SLA triggers: ``kesher.automation.schedule.
  scan_scheduled`` with three enabled rules (a warning, a breach, and a breach of technical
  support tickets only), each rule's window the last tick (20 s, ``KESHER_TICK_SECONDS``) or an
  hour (a worker that was down), ``now`` fixed at the last moment clocks fell due (the end of
  a working day: clocks fall due in working hours only) so each round finds the same clocks
  (their runs are written once; the later rounds' inserts are ignored by the dedupe key, as a second
  worker's are); ``find.day`` — ``sla.due_clocks`` over a day's window (a full batch). Floor:
  the bare indexed SQL, one statement per rule. Target ≤ 200 ms.
* ``mail`` — ``--messages`` (2,000) raw MIME messages to the support mailbox, 60% opening
  tickets (known and unknown senders) and 40% replies threaded by ``In-Reply-To`` to an earlier
  one, through ``kesher.service.mail.MailIntake.receive`` one by one, a new intake every
  ``POLL_LIMIT`` (500) messages (as the IMAP poll takes a backlog), taking turns with the
  floor: the same MIME parsed by the stdlib
  (``email.parser.BytesParser``, the same policy) and the same rows inserted by hand-written
  SQL in one transaction (the thread's lookup by Message-ID, the
  sender's contact by address, the ticket with its number and its two clocks, the e-mail row,
  the interaction and its participant; a new contact for an unknown sender). Target: the total
  ≤ 3× the floor's.

Results go to ``bench/results/service-<db>.md`` with the plans of the floors' statements and
of the list's page statement. ``--profile KEY`` writes a cProfile of 30 calls of the figure
``KEY`` (or of 200 messages for ``mail``) to ``var/bench/profiles/service-<KEY>-<db>.txt``.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import random
import sys
import time
from email import policy
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from urllib.parse import urlencode

from bench.database import ROOT, engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PROFILES = ROOT / "var" / "bench" / "profiles"
PG_NAME = "kesher_bench_service"
CHUNK = 20_000
LIST_TARGET = (50, 3)
TICK_TARGET = 200
MAIL_RATIO = 3
MAILBOX = "support@bench-service.example"
TEAMS = (("תמיכה טכנית", "Technical support"), ("חיובים", "Billing"), ("הדרכה", "Training"),
         ("שטח", "Field service"))  # fmt: skip
SUBJECTS = (
    "המדפסת לא מדפיסה חשבוניות", "אין חיבור לשרת", "בקשה להצעת מחיר", "שגיאה בהתקנת התוכנה",
    "חשבונית כפולה", "הדרכה לעובדים חדשים", "המערכת איטית", "איפוס סיסמה", "תקלה ברשת",
    "עדכון פרטי לקוח", "Printer offline", "Cannot log in", "Invoice question",
)  # fmt: skip


def _log(message: str) -> None:
    print(message, flush=True)


def _stamp(moment: datetime.datetime, postgres: bool):
    """A moment as the database column holds it: on SQLite the text Django writes (UTC, no
    zone, no fraction when there is none), so the scans' comparisons of text hold."""
    if postgres:
        return moment
    return moment.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(" ")


# --- the data set -------------------------------------------------------------------------------


def _people(rng: random.Random, accounts: int) -> dict:
    """Agents in teams, accounts and a contact at each (with an address the mail comes from)."""
    from django.db import transaction

    from kesher.customers.models import Account, Contact, ContactAccount
    from kesher.org.models import Role, User
    from kesher.service.models import Mailbox, Team

    role = Role.objects.get(key="support_agent")
    with transaction.atomic():
        teams = []
        agents = []
        for number, (he, en) in enumerate(TEAMS):
            team = Team.objects.create(name_he=he, name_en=en, assignment="round_robin")
            members = [
                User.objects.create_user(
                    username=f"bench_agent{number}_{n}",
                    password=None,
                    role=role,
                )
                for n in range(8)
            ]
            team.members.set(members)
            teams.append(team)
            agents.append([m.pk for m in members])
        Account.objects.bulk_create(
            [Account(name=f"לקוח שירות {n}") for n in range(accounts)], batch_size=5000
        )
        account_ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        Contact.objects.bulk_create(
            [
                Contact(first_name=f"איש קשר {n}", email=f"customer{n}@client-{n % 997}.example")
                for n in range(accounts)
            ],
            batch_size=5000,
        )
        contact_ids = list(Contact.objects.order_by("pk").values_list("pk", flat=True))
        ContactAccount.objects.bulk_create(
            [
                ContactAccount(contact_id=c, account_id=a, is_primary=True)
                for c, a in zip(contact_ids, account_ids, strict=True)
            ],
            batch_size=5000,
        )
        Mailbox.objects.create(address=MAILBOX, name="תמיכה", team=teams[0])
    return {
        "teams": [t.pk for t in teams],
        "agents": agents,
        "accounts": account_ids,
        "contacts": contact_ids,
        "agent": User.objects.get(username="bench_agent0_0"),
    }


class _Clocks:
    """Business time on the company's calendar, minute by minute from 31 days ago to 90 days
    ahead: a table of the business seconds before each minute, read from the calendar's own
    working windows (``kesher.activities.calendar.working_windows``, holidays and eves
    included), so a clock's due and warning moments and the time a stopped clock had spent are
    a look-up (to the minute) instead of a walk of the calendar for each of 600,000 clocks."""

    def __init__(self, now: datetime.datetime):
        import bisect

        from kesher.activities.calendar import working_windows
        from kesher.activities.services import calendar_of

        self.bisect = bisect.bisect_left
        self.base = (now - datetime.timedelta(days=31)).replace(second=0, microsecond=0)
        minutes = 121 * 24 * 60
        working = bytearray(minutes)
        end = self.base + datetime.timedelta(minutes=minutes)
        for begin, finish in working_windows(self.base, calendar_of()):
            if begin >= end:
                break
            first = max(0, self._index(begin))
            last = min(minutes, self._index(finish))
            working[first:last] = b"\x01" * max(0, last - first)
        self.before = [0] * (minutes + 1)
        total = 0
        for n in range(minutes):
            self.before[n] = total
            total += 60 * working[n]
        self.before[minutes] = total

    def _index(self, moment: datetime.datetime) -> int:
        return int((moment - self.base).total_seconds() // 60)

    def _moment(self, index: int) -> datetime.datetime:
        return self.base + datetime.timedelta(minutes=index)

    def later(self, start: datetime.datetime, seconds: int) -> datetime.datetime:
        """``seconds`` of business time after ``start`` (``sla.clock_start``'s moments)."""
        wanted = self.before[self._index(start)] + seconds
        return self._moment(self.bisect(self.before, wanted))

    def moments(self, start: datetime.datetime, seconds: int, warn: int):
        return self.later(start, seconds), self.later(start, seconds * warn // 100)

    def spent(self, start: datetime.datetime, end: datetime.datetime) -> int:
        return self.before[self._index(end)] - self.before[self._index(start)]


def _tickets(plan: dict, people: dict, rng: random.Random) -> dict:
    """300,000 open tickets and their 600,000 clocks, bulk-loaded."""
    from django.db import connection, transaction

    from bench.generate import BulkWriter, DeferredIndexes, _load_settings
    from kesher.platform.models import Choice
    from kesher.service.models import SlaClock, SlaPolicy, Ticket

    postgres = connection.vendor == "postgresql"

    def ids(list_key):
        return {c.value: c for c in Choice.objects.filter(list_key=list_key)}

    statuses, priorities = ids("ticket_status"), ids("ticket_priority")
    types, subtypes, channels = ids("ticket_type"), ids("ticket_subtype"), ids("ticket_channel")
    policies = {p.priority_id: p for p in SlaPolicy.objects.filter(active=True)}
    fallback = next(p for p in policies.values() if p.priority_id is None)
    status_keys, status_weights = ["new", "in_progress", "waiting_customer"], [25, 55, 20]
    priority_keys, priority_weights = ["urgent", "high", "medium", "low"], [5, 20, 55, 20]
    by_type = {}
    for sub in subtypes.values():
        by_type.setdefault(sub.parent_id, []).append(sub.pk)
    type_list = list(types.values())
    channel_ids = [c.pk for c in channels.values()]
    ticket_columns = [
        "id", "created_at", "updated_at", "version", "custom", "number", "subject",
        "description", "account_id", "contact_id", "channel_id", "ticket_type_id", "subtype_id",
        "priority_id", "status_id", "team_id", "owner_id", "handler_id", "sla_policy_id",
        "sla_due_at", "first_responded_at", "resolution",
    ]  # fmt: skip
    clock_columns = [
        "ticket_id", "kind", "target_seconds", "warn_percent", "started_at", "running_since",
        "spent_seconds", "due_at", "warn_at", "met_at",
    ]  # fmt: skip
    tickets = BulkWriter(Ticket, ticket_columns)
    clocks = BulkWriter(SlaClock, clock_columns)
    now = datetime.datetime.now(datetime.UTC).replace(second=0, microsecond=0)
    clock_maker = _Clocks(now)
    deferred = DeferredIndexes([Ticket._meta.db_table, SlaClock._meta.db_table])
    counts = {"tickets": 0, "clocks": 0, "running": 0}
    _load_settings(True)
    deferred.drop()
    try:
        total = plan["tickets"]
        for start in range(1, total + 1, CHUNK):
            ticket_rows, clock_rows = [], []
            for pk in range(start, min(start + CHUNK, total + 1)):
                status = rng.choices(status_keys, weights=status_weights)[0]
                priority = priorities[rng.choices(priority_keys, weights=priority_weights)[0]]
                policy_row = policies.get(priority.pk, fallback)
                # Most tickets are recent: an exponential age with a mean of 5 days, at most 30.
                age = min(rng.expovariate(1 / (5 * 86400)), 30 * 86400)
                created = (now - datetime.timedelta(seconds=age)).replace(second=0)
                team = rng.randrange(len(people["teams"]))
                ticket_type = rng.choice(type_list)
                account = rng.randrange(len(people["accounts"]))
                agent = rng.choice(people["agents"][team])
                first_target = round(float(policy_row.first_response_hours) * 3600)
                resolution_target = round(float(policy_row.resolution_hours) * 3600)
                warn = policy_row.warn_percent
                first_due, first_warn = clock_maker.moments(created, first_target, warn)
                due, warn_at = clock_maker.moments(created, resolution_target, warn)
                responded = None
                if status == "new":
                    first = (created, 0, first_due, first_warn, None)
                    resolution = (created, 0, due, warn_at, None)
                    sla_due = min(first_due, due)
                    counts["running"] += 2
                elif status == "in_progress":
                    responded = created + datetime.timedelta(minutes=rng.randrange(5, 600))
                    responded = min(responded, now)
                    spent = clock_maker.spent(created, responded)
                    first = (None, spent, first_due, first_warn, responded)
                    resolution = (created, 0, due, warn_at, None)
                    sla_due = due
                    counts["running"] += 1
                else:
                    # Waiting for the customer since some moment after it opened: both paused.
                    since = created + (now - created) * rng.random()
                    spent = clock_maker.spent(created, since)
                    first = (None, min(spent, first_target), first_due, first_warn, None)
                    resolution = (None, spent, due, warn_at, None)
                    sla_due = None
                ticket_rows.append(
                    (
                        pk, _stamp(created, postgres), _stamp(responded or created, postgres), 1,
                        "{}", f"T-{pk:06d}", f"{rng.choice(SUBJECTS)} ({pk})", "",
                        people["accounts"][account], people["contacts"][account],
                        rng.choice(channel_ids), ticket_type.pk,
                        rng.choice(by_type[ticket_type.pk]), priority.pk, statuses[status].pk,
                        people["teams"][team], agent, agent, policy_row.pk,
                        _stamp(sla_due, postgres) if sla_due else None,
                        _stamp(responded, postgres) if responded else None, "",
                    )
                )  # fmt: skip
                for kind, target, (running, spent, due_at, warn_moment, met) in (
                    ("first_response", first_target, first),
                    ("resolution", resolution_target, resolution),
                ):
                    clock_rows.append(
                        (
                            pk, kind, target, warn, _stamp(created, postgres),
                            _stamp(running, postgres) if running else None, spent,
                            _stamp(due_at, postgres), _stamp(warn_moment, postgres),
                            _stamp(met, postgres) if met else None,
                        )
                    )  # fmt: skip
            with transaction.atomic():
                tickets.write(ticket_rows)
                clocks.write(clock_rows)
        deferred.rebuild(_log)
    finally:
        _load_settings(False)
    from bench.generate import _analyze, _reset_sequences

    _reset_sequences([Ticket, SlaClock])
    counts.update(tickets=tickets.rows_written, clocks=clocks.rows_written, now=now)
    _analyze([Ticket._meta.db_table, SlaClock._meta.db_table, "customers_contact"])
    if not postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return counts


def _setup(plan: dict) -> dict:
    import django

    django.setup()
    from bench.database import migrate

    migrate()
    rng = random.Random(plan["seed"])
    started = time.perf_counter()
    people = _people(rng, plan["accounts"])
    counts = _tickets(plan, people, rng)
    _log(f"data set: {counts} in {time.perf_counter() - started:.0f} s")
    return {**people, **counts, "seconds": time.perf_counter() - started}


# --- helpers -----------------------------------------------------------------------------------


def _plan_of(sql: str, params) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (COSTS OFF) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def _bare(sql: str, params) -> object:
    from django.db import connection

    def run():
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return run


def _main_statement(call, needle: str) -> tuple[str, tuple] | None:
    """The statement of ``call`` that reads the page's rows (the longest naming ``needle``)."""
    from bench.timing import capture_queries

    found = [
        (sql, params)
        for sql, params in capture_queries(call).statements
        if needle in sql and "COUNT(" not in sql.upper()
    ]
    return max(found, key=lambda item: len(item[0])) if found else None


class _Profile:
    """cProfile of some calls of one figure, written as text sorted by cumulative time."""

    def __init__(self, key: str, vendor: str):
        import cProfile

        self.key, self.vendor = key, vendor
        self.profiler = cProfile.Profile()

    def run(self, call, times: int) -> None:
        self.profiler.enable()
        for _ in range(times):
            call()
        self.profiler.disable()

    def write(self) -> Path:
        import io
        import pstats

        out = io.StringIO()
        pstats.Stats(self.profiler, stream=out).sort_stats("cumulative").print_stats(60)
        PROFILES.mkdir(parents=True, exist_ok=True)
        path = PROFILES / f"service-{self.key}-{self.vendor}.txt"
        path.write_text(out.getvalue(), encoding="utf-8")
        _log(f"profile: {path}")
        return path


# --- 1. the ticket list -------------------------------------------------------------------------

LIST_FLOOR = (
    "SELECT t.id, t.number, t.subject, t.sla_due_at, a.name, ty.label_he, pr.label_he, "
    "pr.colour, st.label_he, st.colour, u.first_name, u.last_name "
    "FROM service_ticket t "
    "LEFT JOIN customers_account a ON a.id = t.account_id "
    "LEFT JOIN platform_choice ty ON ty.id = t.ticket_type_id "
    "LEFT JOIN platform_choice pr ON pr.id = t.priority_id "
    "LEFT JOIN platform_choice st ON st.id = t.status_id "
    "LEFT JOIN org_user u ON u.id = t.handler_id "
    "WHERE t.team_id = %s AND t.status_id = %s{after} "
    "ORDER BY t.sla_due_at, t.id LIMIT 50"
)


# The API answers with every column of the ticket (its serializer shows them all) and, on a
# first or typed page, the capped count; a typed page number is sought from the row before it,
# found by skipping in the index alone. The list page also shows its filters' and its filter
# builder's options and the user's saved views: read bare beside its rows (decision 0102).
LIST_COUNT = (
    "SELECT COUNT(*) FROM (SELECT 1 FROM service_ticket t "
    "WHERE t.team_id = %s AND t.status_id = %s LIMIT 1001) c"
)
LIST_BOUNDARY = (
    "SELECT t.sla_due_at, t.id FROM service_ticket t WHERE t.team_id = %s AND t.status_id = %s "
    "ORDER BY t.sla_due_at, t.id LIMIT 1 OFFSET %s"
)
API_FLOOR = (
    "SELECT {columns} FROM service_ticket t WHERE t.team_id = %s AND t.status_id = %s{after} "
    "ORDER BY t.sla_due_at, t.id LIMIT 51"
)
PAGE_SHOWN = (
    "SELECT id, list_key, value, label_he, label_en FROM platform_choice "
    'WHERE list_key IN ({keys}) AND active ORDER BY list_key, "order", id',
    "SELECT id, name_he, name_en FROM service_team WHERE active ORDER BY name_he, id LIMIT 200",
    "SELECT id, username, first_name, last_name FROM org_user WHERE is_active "
    "ORDER BY first_name, last_name, username LIMIT 200",
    "SELECT id, name_he, name_en FROM catalogue_productgroup ORDER BY path LIMIT 200",
    'SELECT id, name_he, name_en FROM service_slapolicy ORDER BY "order", id LIMIT 200',
    "SELECT id, title_he, title_en FROM service_article ORDER BY title_he, id LIMIT 200",
    "SELECT id, name, shared, owner_id FROM platform_savedview "
    "WHERE entity = 'tickets' AND (owner_id = %s OR shared) ORDER BY name",
)


def _floor(*steps) -> object:
    """A floor of several bare statements run in turn: each step is (sql, params), or a
    function of the previous statement's rows giving (sql, params)."""
    from django.db import connection

    def run():
        rows = None
        with connection.cursor() as cursor:
            for step in steps:
                sql, params = step(rows) if callable(step) else step
                cursor.execute(sql, params)
                rows = cursor.fetchall()

    return run


def list_figures(ctx: dict, deep_page: int) -> tuple[list, list[str]]:
    from django.test import Client, RequestFactory

    from kesher.platform.lists.keyset import Keyset
    from kesher.platform.lists.tables import PAGE_SIZE, Table
    from kesher.platform.models import Choice
    from kesher.platform.registry import registry
    from kesher.service.models import Ticket

    agent = ctx["agent"]
    team = ctx["teams"][0]
    status = Choice.objects.get(list_key="ticket_status", value="in_progress").pk
    matching = Ticket.objects.filter(team_id=team, status_id=status).count()
    deep_page = max(2, min(deep_page, matching // PAGE_SIZE))
    client = Client()
    client.force_login(agent)
    entity = registry.get("tickets")
    params = {"team": team, "status": status, "sort": "sla_due_at"}
    api_params = {"team": team, "status": status, "ordering": "sla_due_at"}

    def table_for(query: dict) -> Table:
        request = RequestFactory().get("/r/tickets/", query)
        request.user = agent
        return Table(entity, request)

    queryset = table_for(params).queryset()
    keyset = Keyset.for_ordering(queryset.model, queryset.query.order_by)
    boundary = queryset[(deep_page - 1) * PAGE_SIZE - 1]
    cursor = keyset.cursor(boundary) if keyset else None
    api_next = client.get(
        "/api/v1/tickets/?" + urlencode({**api_params, "page": deep_page - 1})
    ).json()["next"]
    api_cursor = None
    if api_next:
        from urllib.parse import parse_qs, urlsplit

        api_cursor = (parse_qs(urlsplit(api_next).query).get("cursor") or [None])[0]

    def get(url: str, api: bool = False):
        def call():
            response = client.get(url, **({"HTTP_ACCEPT": "application/json"} if api else {}))
            assert response.status_code == 200, (url, response.status_code)
            if not api:
                # The page's rows, not an empty list: the first ticket of the page is there.
                assert b"T-" in response.content

        return call

    def selector(query: dict):
        def call():
            table = table_for(query)
            assert table.rows

        return call

    # A row value: both databases seek it in the index (an OR of the two is a filter).
    after = " AND (t.sla_due_at, t.id) > (%s, %s)"
    due = boundary.sla_due_at
    rows1 = (LIST_FLOOR.format(after=""), [team, status])
    rows_deep = (LIST_FLOOR.format(after=after), [team, status, due, boundary.pk])
    skip = (LIST_BOUNDARY, [team, status, (deep_page - 1) * PAGE_SIZE - 1])

    def sought(sql):
        return lambda found: (sql, [team, status, *found[0]])

    keys = sorted(set(entity.choice_lists.values()))
    shown = [
        (PAGE_SHOWN[0].format(keys=", ".join(["%s"] * len(keys))), keys),
        *((sql, []) for sql in PAGE_SHOWN[1:-1]),
        (PAGE_SHOWN[-1], [agent.pk]),
    ]
    columns = ", ".join(f"t.{f.column}" for f in Ticket._meta.concrete_fields)
    api1 = (API_FLOOR.format(columns=columns, after=""), [team, status])
    api_deep = API_FLOOR.format(columns=columns, after=after)
    counted = (LIST_COUNT, [team, status])
    # The page's rows alone (the selector's answer); the page's with what else it shows; the
    # API's with its count.
    page1_floor = _floor(rows1)
    typed_floor = _floor(skip, sought(LIST_FLOOR.format(after=after)))
    cursor_floor = _floor(rows_deep)
    url = "/r/tickets/?" + urlencode(params)
    figures = [
        (
            "list.page1",
            "list page, team & status, by SLA due, page 1",
            get(url),
            _floor(*shown, rows1),
        ),
        (
            f"list.page{deep_page}.typed",
            f"list page, the same, page {deep_page} by typed number",
            get("/r/tickets/?" + urlencode({**params, "page": deep_page})),
            _floor(*shown, skip, sought(LIST_FLOOR.format(after=after))),
        ),
    ]
    if cursor:
        figures.append(
            (
                f"list.page{deep_page}.cursor",
                f"list page, the same, page {deep_page} by the next-page link (keyset)",
                get("/r/tickets/?" + urlencode({**params, "page": deep_page, "cursor": cursor})),
                _floor(*shown, rows_deep),
            )
        )
    figures += [
        (
            "api.page1",
            "API, team & status, ordering=sla_due_at, page 1",
            get("/api/v1/tickets/?" + urlencode(api_params), api=True),
            _floor(counted, api1),
        ),
        (
            f"api.page{deep_page}.typed",
            f"API, the same, page={deep_page}",
            get("/api/v1/tickets/?" + urlencode({**api_params, "page": deep_page}), api=True),
            _floor(counted, skip, sought(api_deep)),
        ),
    ]
    if api_cursor:
        figures.append(
            (
                f"api.page{deep_page}.cursor",
                f"API, the same, page {deep_page} by the `next` link (keyset)",
                get("/api/v1/tickets/?" + urlencode({**api_params, "cursor": api_cursor}), True),
                _floor((api_deep, [team, status, due, boundary.pk])),
            )
        )
    figures += [
        ("selector.page1", "selector: `Table(...).rows`, page 1", selector(params), page1_floor),
        (
            f"selector.page{deep_page}.typed",
            f"selector: `Table(...).rows`, page {deep_page} by typed number",
            selector({**params, "page": deep_page}),
            typed_floor,
        ),
    ]
    if cursor:
        figures.append(
            (
                f"selector.page{deep_page}.cursor",
                f"selector: `Table(...).rows`, page {deep_page} by the next-page link",
                selector({**params, "page": deep_page, "cursor": cursor}),
                cursor_floor,
            )
        )
    notes = [
        f"- List: team «{TEAMS[0][1]}», status «in progress»: {matching:,} tickets; the deep "
        f"page is page {deep_page} (rows {(deep_page - 1) * PAGE_SIZE + 1:,}–"
        f"{deep_page * PAGE_SIZE:,}), as an agent (role support_agent, scope all).",
        f"- Rows floor (the selector's): `{LIST_FLOOR.format(after='')}`; the deep page adds "
        f"`{after.strip()}`, and a typed page number first finds the row before it: "
        f"`{LIST_BOUNDARY}`.",
        "- List page floor (decision 0102): the rows floor and what else the page shows, read "
        "bare in the same round — the filters' and the filter builder's options (every "
        "pick-list at once, the teams, the users, the product groups, the SLA policies, the "
        "articles; 200 at most, names only) and the user's saved views: "
        + "; ".join(f"`{sql}`" for sql in PAGE_SHOWN)
        + ". Not in it: the session and the user, the menu's badges, the access log's entry "
        "(every page's), which the page's figure includes.",
        f"- API floor: the API's answer is every column of 50 tickets (its serializer shows "
        f"them all; {len(Ticket._meta.concrete_fields)} columns of `service_ticket`, "
        f"`{API_FLOOR.format(columns='…', after='')}`) and, on a first or a typed page, "
        f"the capped count `{LIST_COUNT}`; the page by `next` link carries its count.",
    ]
    plans = [
        ("floor, page 1", _plan_of(LIST_FLOOR.format(after=""), [team, status])),
        (
            f"floor, page {deep_page}",
            _plan_of(LIST_FLOOR.format(after=after), [team, status, due, boundary.pk]),
        ),
    ]
    for key, _description, call, _bare_floor in figures:
        if key.startswith(("list.", "api.")):
            found = _main_statement(call, "service_ticket")
            if found:
                plans.append((f"{key}: the page's statement", _plan_of(*found)))
    return figures, notes, plans


# --- 2. the worker's tick ---------------------------------------------------------------------

TICK_FLOOR = (
    "SELECT c.ticket_id, c.id, c.{moment} FROM service_slaclock c{join} "
    "WHERE c.running_since IS NOT NULL AND c.met_at IS NULL "
    "AND c.{moment} > %s AND c.{moment} <= %s{condition} ORDER BY c.{moment}, c.id LIMIT 2000"
)


def _tick_floor(kind: str, start, end, type_id=None) -> tuple[str, list]:
    moment = "warn_at" if kind == "sla_warning" else "due_at"
    join = " JOIN service_ticket t ON t.id = c.ticket_id" if type_id else ""
    condition = " AND t.ticket_type_id = %s" if type_id else ""
    sql = TICK_FLOOR.format(moment=moment, join=join, condition=condition)
    return sql, [start, end, *([type_id] if type_id else [])]


def tick_figures(ctx: dict) -> tuple[list, list[str], list]:
    from django.conf import settings

    from kesher.automation.models import Rule
    from kesher.automation.schedule import scan_scheduled
    from kesher.automation.services import rule_create
    from kesher.org.models import User
    from kesher.platform.models import Choice
    from kesher.service.models import SlaClock
    from kesher.service.sla import due_clocks

    admin = User.objects.create_superuser("bench_admin", "admin@bench.example", "bench-pass")
    support = Choice.objects.get(list_key="ticket_type", value="technical_support").pk
    action = [{"type": "update_fields", "values": {"priority": "urgent"}}]
    rules = [
        ("sla_warning", None),
        ("sla_breached", None),
        ("sla_breached", support),
    ]
    for kind, type_id in rules:
        condition = (
            {"all": [{"field": "ticket_type", "op": "eq", "value": "technical_support"}]}
            if type_id
            else {}
        )
        rule_create(
            actor=admin,
            data={
                "name": f"bench {kind} {type_id or ''}",
                "entity": "tickets",
                "trigger_kind": kind,
                "actions": action,
                **({"condition": condition} if condition else {}),
            },
        )
    rule_ids = list(Rule.objects.filter(entity="tickets").values_list("pk", flat=True))
    # Clocks fall due only in working hours: the tick is the one at the last moment before the
    # data set's "now" at which running clocks fell due (a working day's busiest kind of tick).
    now = (
        SlaClock.objects.filter(
            running_since__isnull=False, met_at__isnull=True, due_at__lte=ctx["now"]
        )
        .order_by("-due_at")
        .values_list("due_at", flat=True)
        .first()
    ) or ctx["now"]
    tick = datetime.timedelta(seconds=settings.KESHER_TICK_SECONDS)

    def scan(window: datetime.timedelta):
        def call():
            Rule.objects.filter(pk__in=rule_ids).update(scanned_until=now - window)
            scan_scheduled(now)

        return call

    def floor(window: datetime.timedelta):
        statements = [_tick_floor(kind, now - window, now, t) for kind, t in rules]

        def run():
            from django.db import connection

            with connection.cursor() as cursor:
                for sql, params in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        return run

    day = datetime.timedelta(days=1)

    def find_day():
        due_clocks("due_at", now - day, now)

    day_sql, day_params = _tick_floor("sla_breached", now - day, now)
    counts = {}
    for label, window in (("tick", tick), ("hour", datetime.timedelta(hours=1)), ("day", day)):
        counts[label] = [len(due_clocks(m, now - window, now)[0]) for m in ("warn_at", "due_at")]
    figures = [
        (
            "tick.20s",
            f"worker tick, 3 SLA rules, each over the last {tick.seconds} s",
            scan(tick),
            floor(tick),
        ),
        (
            "tick.hour",
            "worker tick, 3 SLA rules, each over the last hour",
            scan(datetime.timedelta(hours=1)),
            floor(datetime.timedelta(hours=1)),
        ),
        (
            "find.day",
            "`due_clocks('due_at')` over a day (one full batch)",
            find_day,
            _bare(day_sql, day_params),
        ),
    ]
    notes = [
        f"- Tick: rules «warning», «breach», «breach of technical support» (a condition), the "
        f"tick at {now:%Y-%m-%d %H:%M} UTC (clocks fall due in working hours only); clocks "
        f"found (warning / breach) in {tick.seconds} s: {counts['tick']}, in an hour: "
        f"{counts['hour']}, in a day: {counts['day']} (capped at the batch of 2,000); `now` "
        "fixed, so each round finds the same clocks; the figure includes rewinding each rule's "
        "`scanned_until` (one UPDATE).",
        "- Tick floor: per rule `" + _tick_floor("sla_breached", now, now)[0] + "` (the "
        "condition's rule joins the ticket).",
    ]
    plans = [
        ("tick floor, breach", _plan_of(*_tick_floor("sla_breached", now - tick, now))),
        ("tick floor, warning", _plan_of(*_tick_floor("sla_warning", now - tick, now))),
        (
            "tick floor, breach with a condition",
            _plan_of(*_tick_floor("sla_breached", now - tick, now, support)),
        ),
    ]
    found = _main_statement(scan(tick), "service_slaclock")
    if found:
        plans.append(("tick: the scan's statement", _plan_of(*found)))
    return figures, notes, plans


# --- 3. incoming e-mail ------------------------------------------------------------------------


def _messages(count: int, ctx: dict, rng: random.Random) -> list[bytes]:
    """``count`` raw messages: 60% new tickets (4 in 5 from known contacts), 40% replies to an
    earlier message of the set by ``In-Reply-To`` and ``References``."""
    from email.message import EmailMessage

    from kesher.customers.models import Contact

    known = list(Contact.objects.order_by("pk").values_list("email", flat=True)[:2000])
    sent: list[tuple[str, str, str]] = []
    raw = []
    moment = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=2)
    for n in range(count):
        message = EmailMessage()
        message["To"] = MAILBOX
        message["Date"] = format_datetime(moment + datetime.timedelta(seconds=n))
        message_id = make_msgid(idstring=f"bench{n}", domain="client.example")
        message["Message-ID"] = message_id
        if sent and rng.random() < 0.4:
            parent_id, sender, subject = rng.choice(sent)
            message["From"] = sender
            message["Subject"] = f"Re: {subject}"
            message["In-Reply-To"] = parent_id
            message["References"] = parent_id
            body = "תודה, ניסיתי שוב וזה עדיין לא עובד.\n\n> " + subject
        else:
            sender = rng.choice(known) if rng.random() < 0.8 else f"new{n}@unknown-{n % 50}.example"
            subject = f"{rng.choice(SUBJECTS)} — {n}"
            message["From"] = f"לקוח <{sender}>"
            message["Subject"] = subject
            body = "שלום,\nמאז העדכון של אתמול המערכת לא מגיבה. נודה לטיפולכם.\n" * 3
            sent.append((message_id, f"לקוח <{sender}>", subject))
        message.set_content(body)
        raw.append(bytes(message))
    return raw


class _BareMail:
    """The floor of one message: the stdlib parse and the same rows written by hand-written
    SQL in one transaction (``RETURNING`` the new ids)."""

    def __init__(self, ctx: dict):
        from bench.generate import BulkWriter
        from kesher.activities.models import Interaction
        from kesher.customers.models import Contact
        from kesher.platform.models import Choice
        from kesher.service.models import Mailbox, SlaClock, SlaPolicy, Ticket, TicketEmail

        self.mailbox = Mailbox.objects.get(address=MAILBOX)
        self.team = self.mailbox.team_id
        self.handlers = ctx["agents"][0]
        self.turn = 0
        self.status = Choice.objects.get(list_key="ticket_status", value="new").pk
        self.priority = Choice.objects.get(list_key="ticket_priority", value="medium")
        self.channel = Choice.objects.get(list_key="ticket_channel", value="email").pk
        self.kind = Choice.objects.get(list_key="interaction_kind", value="email").pk
        policy_row = SlaPolicy.objects.filter(priority=self.priority).first() or (
            SlaPolicy.objects.filter(priority__isnull=True).first()
        )
        self.policy = policy_row
        self.clocks = _Clocks(datetime.datetime.now(datetime.UTC))
        self.statements = {}
        for name, model, columns in (
            ("ticket", Ticket, [
                "created_at", "updated_at", "subject", "description", "account_id",
                "contact_id", "channel_id", "priority_id", "status_id", "team_id", "owner_id",
                "handler_id", "sla_policy_id", "sla_due_at", "number",
            ]),
            ("clock", SlaClock, [
                "ticket_id", "kind", "target_seconds", "warn_percent", "started_at",
                "running_since", "due_at", "warn_at",
            ]),
            ("email", TicketEmail, [
                "message_id", "direction", "outcome", "ticket_id", "mailbox_id", "sender",
                "subject", "interaction_id", "created_at",
            ]),
            ("interaction", Interaction, [
                "created_at", "updated_at", "kind_id", "direction", "subject", "body",
                "occurred_at", "link_type", "link_id", "owner_id",
            ]),
            ("contact", Contact, ["created_at", "updated_at", "first_name", "last_name",
                                  "email"]),
        ):  # fmt: skip
            self.statements[name] = self._insert(BulkWriter(model, columns))
        participants = Interaction.participant_contacts.through._meta.db_table
        self.participant_sql = (
            f"INSERT INTO {participants} (interaction_id, contact_id) VALUES (%s, %s)"
        )

    @staticmethod
    def _insert(writer) -> tuple[str, tuple]:
        from django.db import connection

        quoted = ", ".join(connection.ops.quote_name(c) for c in writer.columns)
        marks = ", ".join(["%s"] * len(writer.columns))
        sql = f"INSERT INTO {writer.table} ({quoted}) VALUES ({marks}) RETURNING id"
        return sql, writer.extra_values

    def _write(self, cursor, name: str, *values) -> int:
        sql, extra = self.statements[name]
        cursor.execute(sql, [*values, *extra])
        return cursor.fetchone()[0]

    def receive(self, raw: bytes) -> None:
        from django.db import connection, transaction
        from django.utils import timezone

        message = BytesParser(policy=policy.default).parsebytes(raw)
        message_id = str(message["Message-ID"]).strip() + ".floor"
        referenced = [f"{m}.floor" for m in str(message.get("In-Reply-To", "")).split()]
        name, address = parseaddr(str(message["From"]))
        subject = str(message["Subject"])
        body = message.get_body(preferencelist=("plain", "html")).get_content().strip()
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            ticket = None
            if referenced:
                marks = ", ".join(["%s"] * len(referenced))
                cursor.execute(
                    f"SELECT ticket_id FROM service_ticketemail WHERE message_id IN ({marks}) "
                    "AND ticket_id IS NOT NULL ORDER BY created_at DESC, id DESC LIMIT 1",
                    referenced,
                )
                row = cursor.fetchone()
                ticket = row[0] if row else None
            cursor.execute(
                "SELECT c.id, ca.account_id FROM customers_contact c LEFT JOIN "
                "customers_contactaccount ca ON ca.contact_id = c.id WHERE c.email = %s "
                "ORDER BY c.id, ca.is_primary DESC, ca.id LIMIT 1",
                [address],
            )
            found = cursor.fetchone()
            contact, account = found if found else (None, None)
            if contact is None:
                first, _space, last = (name or address).partition(" ")
                contact = self._write(cursor, "contact", now, now, first, last, address)
            outcome = "threaded" if ticket else "opened"
            if ticket is None:
                self.turn = (self.turn + 1) % len(self.handlers)
                handler = self.handlers[self.turn]
                policy_row = self.policy
                first_target = round(float(policy_row.first_response_hours) * 3600)
                resolution_target = round(float(policy_row.resolution_hours) * 3600)
                start = now.replace(second=0, microsecond=0)
                first = self.clocks.moments(start, first_target, policy_row.warn_percent)
                resolution = self.clocks.moments(start, resolution_target, policy_row.warn_percent)
                ticket = self._write(
                    cursor, "ticket", now, now, subject[:200], body, account, contact,
                    self.channel, self.priority.pk, self.status, self.team, handler, handler,
                    policy_row.pk, min(first[0], resolution[0]), "",
                )  # fmt: skip
                cursor.execute(
                    "UPDATE service_ticket SET number = %s WHERE id = %s",
                    [f"F-{ticket:06d}", ticket],
                )
                for kind, target, (due, warn) in (
                    ("first_response", first_target, first),
                    ("resolution", resolution_target, resolution),
                ):
                    self._write(
                        cursor, "clock", ticket, kind, target, policy_row.warn_percent, now,
                        now, due, warn,
                    )  # fmt: skip
            interaction = self._write(
                cursor, "interaction", now, now, self.kind, "in", subject[:200], body, now,
                "tickets", ticket, None,
            )  # fmt: skip
            cursor.execute(self.participant_sql, [interaction, contact])
            self._write(
                cursor, "email", message_id, "in", outcome, ticket, self.mailbox.pk,
                address, subject, interaction, now,
            )  # fmt: skip


def mail_figure(ctx: dict, count: int, warmup: int, rng: random.Random, profile) -> dict:
    from kesher.service.mail import POLL_LIMIT, MailIntake
    from kesher.service.models import Ticket, TicketEmail

    messages = _messages(count + warmup, ctx, rng)
    bare = _BareMail(ctx)
    mailbox = bare.mailbox
    before = Ticket.objects.count()
    real_times, floor_times = [], []
    for n, raw in enumerate(messages):
        if n % POLL_LIMIT == 0:
            # As the worker's poll (``mailbox_poll``) takes a backlog: a poll of at most
            # POLL_LIMIT messages, each handed to the poll's intake.
            intake = MailIntake(mailbox)
        if profile is not None and n >= warmup and n < warmup + 200:
            started = time.perf_counter()
            profile.run(lambda raw=raw, intake=intake: intake.receive(raw), 1)
        else:
            started = time.perf_counter()
            intake.receive(raw)
        elapsed = time.perf_counter() - started
        started = time.perf_counter()
        bare.receive(raw)
        floor_elapsed = time.perf_counter() - started
        if n >= warmup:
            real_times.append(elapsed * 1000)
            floor_times.append(floor_elapsed * 1000)
    outcomes = dict(
        TicketEmail.objects.exclude(message_id__endswith=".floor")
        .values_list("outcome")
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("pk"))
        .values_list("outcome", "n")
    )
    return {
        "real": real_times,
        "floor": floor_times,
        "outcomes": outcomes,
        "tickets_made": Ticket.objects.count() - before,
    }


# --- the run -----------------------------------------------------------------------------------


def _row(key, description, times, floor_times, target_ms, ratio_target) -> str:
    from bench.timing import percentile

    p50, p95 = percentile(times, 50), percentile(times, 95)
    floor_p95 = percentile(floor_times, 95)
    ratio = p95 / floor_p95 if floor_p95 else float("inf")
    ok = p95 <= target_ms and (ratio_target is None or ratio <= ratio_target)
    target = f"≤ {target_ms} ms" + (f", ≤ ×{ratio_target}" if ratio_target else "")
    return (
        f"| {key} — {description} | {p50:.1f} | {p95:.1f} | {percentile(floor_times, 50):.2f} "
        f"| {floor_p95:.2f} | ×{ratio:.1f} | {target} | {'meets' if ok else 'MISSES'} |"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--tickets", type=int, default=300_000)
    parser.add_argument("--accounts", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--deep-page", type=int, default=200)
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--mail-warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--only", default="", help="list, tick or mail (default: all)")
    parser.add_argument("--profile", default="", help="a figure's key, or mail")
    parser.add_argument("--results-dir", default=str(RESULTS))
    parser.add_argument("--pg-name", default=PG_NAME, help="the throw-away PostgreSQL database")
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=options.pg_name, prefix="kesher-service-")
    try:
        plan = {"tickets": options.tickets, "accounts": options.accounts, "seed": options.seed}
        ctx = _setup(plan)
        from django.db import connection

        from bench.timing import machine_and_run_lines, measure

        vendor = connection.vendor
        wanted = {p for p in options.only.split(",") if p} or {"list", "tick", "mail"}
        figures, notes, plans = [], [], []
        if "list" in wanted:
            f, n, p = list_figures(ctx, options.deep_page)
            figures += [(*item, LIST_TARGET) for item in f]
            notes += n
            plans += p
        if "tick" in wanted:
            f, n, p = tick_figures(ctx)
            figures += [(*item, (TICK_TARGET, None)) for item in f]
            notes += n
            plans += p
        profile = None
        if options.profile and options.profile != "mail":
            call = next(c for k, _d, c, _f, _t in figures if k == options.profile)
            profile = _Profile(options.profile, vendor)
            profile.run(call, 30)
            profile.write()
        gc.collect()
        gc.freeze()
        samples = measure(
            [(call, floor) for _k, _d, call, floor, _t in figures],
            runs=options.runs,
            warmup=options.warmup,
        )
        rows = [
            _row(key, description, times, floor_times, *target)
            for (key, description, _c, _f, target), (times, floor_times) in zip(
                figures, samples, strict=True
            )
        ]
        load_after_reads = " / ".join(f"{v:.2f}" for v in __import__("os").getloadavg())
        mail_lines = []
        if "mail" in wanted:
            mail_profile = _Profile("mail", vendor) if options.profile == "mail" else None
            mail = mail_figure(
                ctx, options.messages, options.mail_warmup, random.Random(options.seed),
                mail_profile,
            )  # fmt: skip
            if mail_profile:
                mail_profile.write()
            real, floor = sum(mail["real"]), sum(mail["floor"])
            from bench.timing import percentile

            ratio = real / floor if floor else float("inf")
            verdict = "meets" if ratio <= MAIL_RATIO else "MISSES"
            mail_lines = [
                "",
                "## Incoming e-mail",
                "",
                "| | messages | total s | per message p50 ms | p95 ms | messages/s | ratio | "
                "target | |",
                "|---|---:|---:|---:|---:|---:|---:|---|---|",
                f"| mail — `email_receive`, one worker | {len(mail['real']):,} | {real / 1000:.1f} "
                f"| {percentile(mail['real'], 50):.1f} | {percentile(mail['real'], 95):.1f} | "
                f"{len(mail['real']) / (real / 1000):.0f} | ×{ratio:.1f} | total ≤ ×{MAIL_RATIO} "
                f"| {verdict} |",
                f"| mail.bare (floor) — stdlib parse + hand-written INSERTs | "
                f"{len(mail['floor']):,} | {floor / 1000:.1f} | "
                f"{percentile(mail['floor'], 50):.1f} | {percentile(mail['floor'], 95):.1f} | "
                f"{len(mail['floor']) / (floor / 1000):.0f} | | | |",
                "",
                f"- Outcomes of the received messages (warm-up included): {mail['outcomes']}; "
                f"tickets opened: {mail['tickets_made']:,} (the floor's included).",
                f"- Each message is received, then its floor runs ({options.mail_warmup} warm-up "
                "messages first, not counted), into the same tables beside the 300,000 tickets.",
            ]
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.service"]
        command += argv if argv is not None else sys.argv[1:]
        plan_lines = []
        for label, text in plans:
            plan_lines += [f"**{label}**", "", "```", text, "```", ""]
        report = "\n".join(
            [
                f"# The service desk — {options.db}",
                "",
                'Issue 18 "Performance" (`bench/service.py` says what is built and measured): '
                "the ticket list by team and status sorted by SLA due time, the worker's SLA "
                "tick, incoming e-mail.",
                "",
                "| figure | p50 ms | p95 ms | floor p50 ms | floor p95 ms | ratio p95 | target | |",
                "|---|---:|---:|---:|---:|---:|---|---|",
                *rows,
                *mail_lines,
                "",
                "## Set-up",
                "",
                f"- Data: {ctx['tickets']:,} open tickets (25% new, 55% in progress, 20% waiting "
                f"for the customer) in {len(TEAMS)} teams, {ctx['clocks']:,} SLA clocks "
                f"({ctx['running']:,} running), {options.accounts:,} accounts with a contact "
                f"each; made in {ctx['seconds']:.0f} s.",
                *notes,
                f"- Reads: {options.runs} rounds after {options.warmup} warm-up rounds; each "
                "round runs every figure, then its floor. Load average after them: "
                f"{load_after_reads}.",
                f"- Database: {where} ({engine_version()}).",
                *machine_and_run_lines(command),
                "## Query plans",
                "",
                *plan_lines,
            ]
        )
        out = Path(options.results_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / f"service-{options.db}.md").write_text(report, encoding="utf-8")
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
