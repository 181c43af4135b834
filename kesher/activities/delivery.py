"""Reminders, overdue and SLA notices, delivered by the worker tick exactly once (REQ TK-1,
TK-3, TK-4; issue 4 item 2: "sent by the worker, never twice").

Each kind of notice has a "sent" column on the task. A worker claims due rows with one UPDATE
that sets the column only where it is still empty and returns the ids it set (on PostgreSQL
the candidates are picked ``FOR UPDATE SKIP LOCKED``), then writes the notifications in the
same transaction: two workers never claim the same row, and a worker killed before it commits
leaves the rows for the next tick. Emails go out after commit, each claimed the same way on
its notification, so a crash can lose an email but never send one twice.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification, Task
from .services import notify

__all__ = ["claim", "deliver_due", "send_pending_emails"]

logger = logging.getLogger("kesher.activities")
BATCH = 500

# kind: (the "sent" column, the time column)
KINDS = {
    "reminder": ("reminder_sent_at", "reminder_at"),
    "overdue": ("overdue_notified_at", "due_at"),
    "sla": ("sla_notified_at", "sla_due_at"),
}


def _claim_sql(table: str, sent: str, when: str, condition: str, order: str) -> str:
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    return (
        f"UPDATE {table} SET {sent} = %s WHERE id IN ("  # noqa: S608  (names are ours, not input)
        f"SELECT id FROM {table} WHERE {condition} AND {sent} IS NULL"
        f" AND {when} IS NOT NULL AND {when} <= %s ORDER BY {order} LIMIT %s{lock}"
        f") AND {sent} IS NULL RETURNING id"
    )


def claim(kind: str, now=None, limit: int = BATCH) -> list[int]:
    """Mark up to ``limit`` due tasks of ``kind`` as sent and return their ids; rows another
    worker claimed (or is claiming) are not returned. Call inside a transaction."""
    now = now or timezone.now()
    sent, when = KINDS[kind]
    sql = _claim_sql(Task._meta.db_table, sent, when, "is_open = %s", when)
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, True, now, limit])
        return [row[0] for row in cursor.fetchall()]


def _text(kind: str, task: Task):
    if kind == "reminder":
        return lambda: _("Reminder: %(title)s") % {"title": task.title}
    if kind == "overdue":
        return lambda: _("Task overdue: %(title)s") % {"title": task.title}
    return lambda: _("SLA breached: %(title)s") % {"title": task.title}


def _recipients(kind: str, task: Task) -> list:
    people = [task.assignee]
    # The delegator follows the task: overdue and SLA news reach him too (REQ TK-3).
    if kind != "reminder" and task.delegated_by_id and task.delegated_by_id != task.assignee_id:
        people.append(task.delegated_by)
    return [p for p in people if p is not None]


def deliver_due(now=None) -> int:
    """Claim due reminders, overdue and SLA-breached tasks and notify; returns how many
    notifications were made. Runs on every worker tick."""
    made = 0
    for kind in KINDS:
        with transaction.atomic():
            ids = claim(kind, now)
            if not ids:
                continue
            tasks = Task._base_manager.filter(pk__in=ids).select_related("assignee", "delegated_by")
            verb = {"reminder": Notification.Verb.REMINDER, "overdue": Notification.Verb.OVERDUE}
            for task in tasks:
                for person in _recipients(kind, task):
                    created = notify(
                        person,
                        verb=verb.get(kind, Notification.Verb.SLA),
                        text=_text(kind, task),
                        record=task,
                        email=True,
                    )
                    made += created is not None
    send_pending_emails()
    return made


def send_pending_emails(limit: int = BATCH) -> int:
    """Email notifications that want it, each claimed first so it goes out at most once."""
    table = Notification._meta.db_table
    lock = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET emailed_at = %s WHERE id IN ("  # noqa: S608
        f"SELECT id FROM {table} WHERE email_wanted = %s AND emailed_at IS NULL"
        f" ORDER BY created_at LIMIT %s{lock}) AND emailed_at IS NULL RETURNING id"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [timezone.now(), True, limit])
        ids = [row[0] for row in cursor.fetchall()]
    sent = 0
    for note in Notification.objects.filter(pk__in=ids).select_related("user"):
        with translation.override(note.user.language or "he"):
            subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{note.text}"
            body = _("%(text)s\n\nOpen it in Kesher: %(url)s") % {
                "text": note.text,
                "url": notification_url(note),
            }
        try:
            send_mail(subject, body, None, [note.user.email])
            sent += 1
        except Exception:
            # The claim stays: a failed email is logged, never retried into a duplicate.
            logger.exception("notification %s: email failed", note.pk)
    return sent


def notification_url(note: Notification) -> str:
    base = settings.KESHER_BASE_URL.rstrip("/")
    if note.link_type and note.link_id:
        return f"{base}/r/{note.link_type}/{note.link_id}/"
    return f"{base}/activities/notifications/"
