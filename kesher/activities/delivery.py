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

import datetime
import logging
import zoneinfo
from contextlib import contextmanager

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesher.activities import messages
from kesher.activities.models import ActivityPreferences, Notification, Task
from kesher.activities.services import notify
from kesher.platform.claims import claim_ids

__all__ = ["as_reader", "claim", "deliver_due", "send_digests", "send_pending_emails"]

logger = logging.getLogger("kesher.activities")
BATCH = 500

# kind: (the "sent" column, the time column)
KINDS = {
    "reminder": ("reminder_sent_at", "reminder_at"),
    "overdue": ("overdue_notified_at", "due_at"),
    "sla": ("sla_notified_at", "sla_due_at"),
}


def claim(kind: str, now=None, limit: int = BATCH) -> list[int]:
    """Mark up to ``limit`` due tasks of ``kind`` as sent and return their ids; rows another
    worker claimed (or is claiming) are not returned. Call inside a transaction."""
    now = now or timezone.now()
    sent, when = KINDS[kind]
    # A bare "is_open", as the partial indexes' condition says it: SQLite uses a partial index
    # only when the query repeats each of its terms (a bound "is_open = ?" does not count), and
    # PostgreSQL's generic plans need it spelled out too (bench/results/activities-*.md).
    return claim_ids(
        Task._meta.db_table,
        due=f"is_open AND {sent} IS NULL AND {when} IS NOT NULL AND {when} <= %s",
        due_params=[now],
        order=when,
        limit=limit,
        mark=f"{sent} = %s",
        mark_params=[now],
    )


MESSAGES = {"reminder": messages.REMINDER, "overdue": messages.OVERDUE, "sla": messages.SLA}


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
                        message=MESSAGES[kind],
                        params={"title": task.title},
                        record=task,
                        email=True,
                    )
                    made += created is not None
    send_pending_emails()
    return made


def send_pending_emails(limit: int = BATCH) -> int:
    """Email notifications that want it, each claimed first so it goes out at most once."""
    with transaction.atomic():
        ids = claim_ids(
            Notification._meta.db_table,
            due="email_wanted = %s AND emailed_at IS NULL",
            due_params=[True],
            order="created_at",
            limit=limit,
            mark="emailed_at = %s",
            mark_params=[timezone.now()],
        )
    sent = 0
    for note in Notification.objects.filter(pk__in=ids).select_related("user"):
        with as_reader(note.user):
            text = note.display_text
            subject = f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{text}"
            body = _("%(text)s\n\nOpen it in Kesher: %(url)s") % {
                "text": text,
                "url": notification_url(note),
            }
        try:
            _send(note, subject, body)
            sent += 1
        except Exception:
            # The claim stays: a failed email is logged, never retried into a duplicate.
            logger.exception("notification %s: email failed", note.pk)
    return sent


def _send(note: Notification, subject: str, body: str) -> None:
    """Send one notification's email; a meeting invitation carries its .ics (issue 4 item 4)."""
    meeting = None
    if note.verb == Notification.Verb.MEETING and note.link_type == "interactions":
        from kesher.activities.models import Interaction

        meeting = Interaction._base_manager.filter(pk=note.link_id).select_related("owner").first()
    if meeting is None:
        send_mail(subject, body, None, [note.user.email])
        return
    from kesher.activities.ical import meeting_invitation

    message = EmailMessage(subject, body, None, [note.user.email])
    message.attach(
        "invite.ics",
        meeting_invitation(meeting, note.user),
        "text/calendar; method=REQUEST; charset=utf-8",
    )
    message.send()


def notification_url(note: Notification) -> str:
    base = settings.KESHER_BASE_URL.rstrip("/")
    if note.link_type and note.link_id:
        return f"{base}/r/{note.link_type}/{note.link_id}/"
    return f"{base}/activities/notifications/"


# --- the daily digest (issue 4 item 5) ----------------------------------------------------------

DIGEST_HOUR = 7  # local time of the user's time zone; the first tick after it sends
DIGEST_MAX = 50


def _zone(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(user.time_zone or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _local_now(user, now) -> datetime.datetime:
    return now.astimezone(_zone(user))


@contextmanager
def as_reader(user):
    """The user's language and time zone, as a page he opens would have them: an email he
    reads says what his notifications page says."""
    with translation.override(user.language or "he"), timezone.override(_zone(user)):
        yield


def send_digests(now=None) -> int:
    """Email each user who asked for it the notifications of the last day, once a day after
    ``DIGEST_HOUR`` in the user's time zone. The day is claimed with a conditional UPDATE
    before the email goes out, so two workers never send the same digest."""
    now = now or timezone.now()
    sent = 0
    waiting = ActivityPreferences.objects.filter(
        # A day ahead of UTC at most: the local day is checked per user below.
        Q(digest_sent_on__isnull=True)
        | Q(digest_sent_on__lt=now.date() + datetime.timedelta(days=1)),
        daily_digest=True,
        user__is_active=True,
    ).select_related("user")
    for prefs in waiting[:BATCH]:
        user = prefs.user
        local = _local_now(user, now)
        if local.hour < DIGEST_HOUR or not user.email:
            continue
        today = local.date()
        claimed = (
            ActivityPreferences.objects.filter(pk=prefs.pk, daily_digest=True)
            .filter(Q(digest_sent_on__isnull=True) | Q(digest_sent_on__lt=today))
            .update(digest_sent_on=today)
        )
        if not claimed:
            continue
        since = now - datetime.timedelta(days=1)
        notes = list(
            Notification.objects.filter(user=user, created_at__gte=since).order_by(
                "-created_at", "-id"
            )[:DIGEST_MAX]
        )
        if not notes:
            continue
        with as_reader(user):
            subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _(
                "Your day in Kesher: %(n)s notifications"
            ) % {"n": len(notes)}
            lines = [
                f"• {timezone.localtime(n.created_at).strftime('%d/%m %H:%M')} {n.display_text}"
                f"\n  {notification_url(n)}"
                for n in notes
            ]
            body = "\n".join(lines)
        try:
            send_mail(subject, body, None, [user.email])
            sent += 1
        except Exception:
            logger.exception("digest for user %s failed", user.pk)
    return sent
