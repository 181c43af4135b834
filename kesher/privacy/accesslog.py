"""The access log's writing side (REQ OR-8, issue 25 item 1): the notes a request's views made
(``kesher.platform.accesslog``) become rows, kept in the process's memory (``batches``) and
written by a thread of their own, many requests' rows in one INSERT, off the request's path;
with ``KESHER_ACCESS_LOG`` off nothing is collected. Decisions 0078, 0115."""

import atexit
import json
import logging
import os
import threading
import time

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg.pq import TransactionStatus

from kesher.platform import accesslog
from kesher.platform.events import Event
from kesher.privacy.models import AccessAction, AccessEntry

__all__ = [
    "AccessLogMiddleware",
    "Batches",
    "batches",
    "entries_for",
    "insert",
    "note_change",
    "write_for",
]

logger = logging.getLogger(__name__)

# The events of a write that changed a record (not its status entering a value: the same write).
CHANGE_EVENTS = frozenset({"created", "updated", "deleted"})


def note_change(event: Event) -> None:
    """A record written during a request: the services' events arrive after commit, still
    within the request whose notes are being collected (elsewhere: nothing is kept)."""
    if event.name in CHANGE_EVENTS:
        accesslog.note(AccessAction.CHANGE, event.entity, (event.object_id,))


COLUMNS = ("at", "user", "action", "entity", "record_id", "records", "api")


def entries_for(user, notes, *, api: bool) -> list[tuple]:
    """One row per record of each note (an export of a list: one row without a record, the
    records it held in ``records``), its values as the database takes them: the time is
    prepared once for all of them."""
    at = AccessEntry._meta.get_field("at").get_db_prep_save(timezone.now(), connection)
    return [
        (at, user.pk, note.action, note.entity, record_id, note.contained, api)
        for note in notes
        for record_id in note.ids or (None,)
    ]


def insert(rows: list[tuple]) -> None:
    """The rows in one INSERT, with no model instance per row (a list's page is 50 rows)."""
    meta = AccessEntry._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in COLUMNS)
    marks = "(" + ", ".join(["%s"] * len(COLUMNS)) + ")"
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES " + ", ".join(  # noqa: S608
        [marks] * len(rows)
    )
    params = [value for row in rows for value in row]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        # SQLite in WAL mode with synchronous=NORMAL commits without waiting for the disk; a
        # transaction already open (a test's) commits, or not, as its opener decides.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
        return
    # PostgreSQL would wait for the WAL to reach the disk before answering the page: the
    # log's commit is asynchronous instead (only a crash of the database server in the next
    # fraction of a second could lose it; nothing is ever half-written). Decision 0078. The
    # four statements go in one pipeline, one round trip instead of four: under load each
    # round trip waits for the server's process to be scheduled.
    connection.ensure_connection()
    session = connection.connection
    try:
        with connection.wrap_database_errors, session.pipeline(), psycopg.Cursor(session) as cursor:
            cursor.execute("BEGIN")
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(sql, params)
            cursor.execute("COMMIT")
    except BaseException:
        if session.info.transaction_status != TransactionStatus.IDLE:
            session.execute("ROLLBACK")
        raise


# Rows in one INSERT at most: 7 values a row stay far below SQLite's and PostgreSQL's limits on
# a statement's parameters.
CHUNK = 1000


class Batches:
    """The rows of requests that ended, waiting in this process's memory for one INSERT.

    A thread of its own (started with the first row, again after a fork) writes whatever
    waits every ``seconds``, or sooner once ``rows`` wait; ``flush`` writes it at once (the
    log's readers call it, so this process's own recent rows are read too), and at the
    process's exit ``atexit`` does. Rows keep the order they came in, and their time is the
    request's, not the write's. A write that fails leaves its rows first in line for the next
    one and says so in the error log; at exit, rows that could not be written are written to
    the error log whole (ids and actions, never values) — none is ever dropped silently. Only
    a process killed outright (``SIGKILL``, a power cut) loses what waited: at most
    ``seconds``' worth."""

    def __init__(self, *, seconds: float | None = None, rows: int | None = None):
        self._seconds = seconds
        self._rows_max = rows
        self._rows: list[tuple] = []
        self._lock = threading.Lock()  # guards _rows
        self._writing = threading.Lock()  # one write at a time, in order
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    @property
    def seconds(self) -> float:
        if self._seconds is not None:
            return self._seconds
        return settings.KESHER_ACCESS_LOG_BATCH_SECONDS

    @property
    def rows_max(self) -> int:
        return self._rows_max or settings.KESHER_ACCESS_LOG_BATCH_ROWS

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, rows: list[tuple]) -> None:
        """Keep ``rows`` for the next write; wake the writer early once enough wait."""
        with self._lock:
            self._rows.extend(rows)
            waiting = len(self._rows)
            if self._pid != os.getpid():  # first use, or a forked app server's worker
                self._pid = os.getpid()
                self._wake = threading.Event()
                self._thread = threading.Thread(
                    target=self._run, name="kesher-access-log", daemon=True
                )
                self._thread.start()
        if waiting >= self.rows_max:
            self._wake.set()

    def flush(self) -> int:
        """Write every row waiting now, in order, through this thread's connection; the
        number written. On a failure the rows not written go back first in line and the error
        is raised."""
        with self._writing:
            with self._lock:
                rows, self._rows = self._rows, []
            written = 0
            try:
                while written < len(rows):
                    insert(rows[written : written + CHUNK])
                    written += min(CHUNK, len(rows) - written)
            except BaseException:
                with self._lock:
                    self._rows[:0] = rows[written:]
                raise
            return written

    def _run(self) -> None:
        """The writer thread: a write every ``seconds`` (sooner when woken), forever."""
        from django.db import close_old_connections

        while True:
            self._wake.wait(self.seconds)
            self._wake.clear()
            if not self._rows:
                continue
            # The thread's own connection lives as a request's does (CONN_MAX_AGE); one the
            # database dropped is opened again.
            close_old_connections()
            try:
                self.flush()
            except Exception:
                logger.exception(
                    "The access log could not be written; %d entries wait for the next try.",
                    len(self._rows),
                )
                time.sleep(self.seconds)
            finally:
                close_old_connections()

    def flush_at_exit(self) -> None:
        """The process ends: write what waits; what cannot be written goes to the error log."""
        if not self._rows:
            return
        try:
            self.flush()
        except Exception:
            with self._lock:
                rows, self._rows = self._rows, []
            logger.exception(
                "The access log could not be written at exit; its %d entries follow "
                "(at, user, action, entity, record, records, api): %s",
                len(rows),
                json.dumps(rows, default=str),
            )


batches = Batches()
atexit.register(batches.flush_at_exit)


def keep(rows: list[tuple]) -> None:
    """A request's rows: in the batch for the writer thread; or, where a transaction is still
    open at the request's end (its opener — a test, ``ATOMIC_REQUESTS`` — decides whether it
    commits) or batching is off, written now through this connection."""
    if connection.in_atomic_block or batches.seconds <= 0:
        insert(rows)
    else:
        batches.add(rows)


def write_for(user, notes) -> None:
    """What work done for ``user`` outside a request noted (``accesslog.recorded``): the
    worker's scheduled e-mails of reports."""
    if settings.KESHER_ACCESS_LOG and notes and user is not None:
        insert(entries_for(user, notes, api=False))


class AccessLogMiddleware:
    """Collects what the request's views noted and, at its end, hands the rows to the batch."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not settings.KESHER_ACCESS_LOG:
            return self.get_response(request)
        with accesslog.collecting() as notes:
            response = self.get_response(request)
        user = getattr(request, "user", None)
        if notes and user is not None and user.is_authenticated:
            api = request.path.startswith("/api/")
            keep(entries_for(user, notes, api=api))
        return response
