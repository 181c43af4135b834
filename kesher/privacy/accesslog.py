"""The access log's writing side (REQ OR-8, issue 25 item 1): the notes a request's views made
(``kesher.platform.accesslog``) become rows in one bulk insert at the request's end, off the
path of the page's own queries; with ``KESHER_ACCESS_LOG`` off nothing is collected."""

import psycopg
from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg.pq import TransactionStatus

from kesher.platform import accesslog
from kesher.platform.events import Event
from kesher.privacy.models import AccessAction, AccessEntry

__all__ = ["AccessLogMiddleware", "entries_for", "insert", "note_change", "write_for"]

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


def write_for(user, notes) -> None:
    """What work done for ``user`` outside a request noted (``accesslog.recorded``): the
    worker's scheduled e-mails of reports."""
    if settings.KESHER_ACCESS_LOG and notes and user is not None:
        insert(entries_for(user, notes, api=False))


class AccessLogMiddleware:
    """Collects what the request's views noted and writes it in one INSERT at the end."""

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
            insert(entries_for(user, notes, api=api))
        return response
