"""Scheduled reports by e-mail (issue 21 "Delivery"; decision 0099).

A schedule names a report, its recipients (users of Kesher, never outside addresses: each one
is a reader with his own permissions) and when to send it. At each due time the worker's tick
runs the report **once per recipient, as that recipient** — ``visible_to(recipient)``, the
fields he may see, his language and time zone — renders the attachments (PDF and/or XLSX) and
queues one e-mail per recipient through the outbox, which the practice environment suppresses
(``kesher.integrations.services.send_email_message``). A recipient who may no longer read the
report (his role changed, the report is no longer shared with him) is skipped, so a schedule
never mails anyone a figure he could not open on the page.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesher.platform import accesslog
from kesher.platform.access import can
from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.reports import engine, exports
from kesher.reports.models import Report, ReportDeliveryFile, ReportSchedule

__all__ = [
    "MAX_RECIPIENTS",
    "delivery_attachments",
    "may_read",
    "next_run",
    "schedule_create",
    "schedule_delete",
    "schedule_update",
    "schedules_send_due",
]

logger = logging.getLogger("kesher.reports")
MAX_RECIPIENTS = 50
# Schedules sent by one tick at most; the rest wait for the next one.
PER_TICK = 20
# Files of sent e-mails are kept this long, then removed (the e-mail keeps its text).
KEEP_FILES = datetime.timedelta(days=30)
FORMATS = {
    ReportSchedule.Formats.PDF: ("pdf",),
    ReportSchedule.Formats.XLSX: ("xlsx",),
    ReportSchedule.Formats.BOTH: ("pdf", "xlsx"),
}


def may_read(user, report: Report) -> bool:
    """Whether ``user`` may open ``report`` on its page: it is his or shared with him, he may
    see its entity and every field it names."""
    if not user.is_active or not can(user, "reports", "view"):
        return False
    if not can(user, report.entity, "view"):
        return False
    if not Report.objects.visible_to(user).filter(pk=report.pk).exists():
        return False
    try:
        engine.parse(report.definition, user)
    except ValidationError:
        return False
    return True


def next_run(schedule: ReportSchedule, after: datetime.datetime) -> datetime.datetime:
    """The first due time after ``after``, at the schedule's hour in the organization's time
    zone: every day, on its weekday, or on its day of the month."""
    zone = timezone.get_default_timezone()
    day = after.astimezone(zone).date()
    for offset in range(63):
        candidate_day = day + datetime.timedelta(days=offset)
        if (
            schedule.frequency == ReportSchedule.Frequency.WEEKLY
            and candidate_day.weekday() != schedule.weekday
        ):
            continue
        if (
            schedule.frequency == ReportSchedule.Frequency.MONTHLY
            and candidate_day.day != schedule.day_of_month
        ):
            continue
        candidate = datetime.datetime.combine(
            candidate_day, datetime.time(schedule.hour or 0), tzinfo=zone
        )
        if candidate > after:
            return candidate
    raise AssertionError("no due time within two months")  # pragma: no cover


def _normalized(data: dict, m2m: dict | None) -> tuple[dict, dict]:
    """``data`` and ``m2m`` as the services take them from a form, the API or a caller passing
    ids: the recipients (given in either) as users, among ``m2m``."""
    from kesher.org.models import User

    data, m2m = dict(data), dict(m2m or {})
    if "recipients" in data:
        m2m["recipients"] = data.pop("recipients")
    if "recipients" in m2m:
        given = list(m2m["recipients"] or [])
        ids = [u for u in given if isinstance(u, int) and not isinstance(u, bool)]
        users = {u.pk: u for u in User.objects.filter(pk__in=ids)}
        if any(not isinstance(u, User) and u not in users for u in given):
            raise ValidationError({"recipients": [_("Unknown user.")]})
        m2m["recipients"] = [u if isinstance(u, User) else users[u] for u in given]
    return data, m2m


def _check(data: dict, m2m: dict, actor, current: ReportSchedule | None = None) -> None:
    """Refuse, naming the field, a report the actor may not read and recipients who may not
    read it or have no e-mail address (nothing is written)."""
    errors: dict[str, list[str]] = {}
    report = data.get("report", current.report if current else None)
    visible = Report.objects.visible_to(actor) if actor is not None else Report.objects.all()
    if report in (None, ""):
        errors["report"] = [_("This field is required.")]
        report = None
    else:
        pk = report.pk if isinstance(report, Report) else report
        found = visible.filter(pk=pk).first() if isinstance(pk, int) else None
        if found is None:
            errors["report"] = [_("Unknown report.")]
        elif not isinstance(report, Report):
            data["report"] = found
        report = found
    if "recipients" in m2m or current is None:
        recipients = list(m2m.get("recipients") or [])
    else:
        recipients = list(current.recipients.all())
    if not recipients:
        errors["recipients"] = [_("Choose at least one recipient.")]
    elif len(recipients) > MAX_RECIPIENTS:
        errors["recipients"] = [_("At most %(n)s recipients.") % {"n": MAX_RECIPIENTS}]
    elif report is not None:
        for user in recipients:
            name = user.get_full_name() or user.get_username()
            if not user.email:
                errors.setdefault("recipients", []).append(
                    _("%(name)s has no e-mail address.") % {"name": name}
                )
            elif not may_read(user, report):
                errors.setdefault("recipients", []).append(
                    _("%(name)s may not read this report: share it with him first.")
                    % {"name": name}
                )
    if errors:
        raise ValidationError(errors)


def _check_may_change(schedule: ReportSchedule, actor) -> None:
    from kesher.reports.services import check_may_change

    check_may_change(schedule, actor)


def _set_next_run(schedule: ReportSchedule) -> None:
    due = next_run(schedule, timezone.now()) if schedule.active else None
    ReportSchedule.objects.filter(pk=schedule.pk).update(next_run_at=due)
    schedule.next_run_at = due


@transaction.atomic
def schedule_create(*, actor, data: dict, m2m=None) -> ReportSchedule:
    """Schedule a report the actor may read for recipients who may read it."""
    data, m2m = _normalized(data, m2m)
    _check(data, m2m, actor)
    schedule = record_create("report-schedules", actor=actor, data=data, m2m=m2m)
    _set_next_run(schedule)
    return schedule


@transaction.atomic
def schedule_update(
    schedule: ReportSchedule, *, actor, data: dict, m2m=None, expected_version=None
) -> ReportSchedule:
    data, m2m = _normalized(data, m2m)
    _check_may_change(schedule, actor)
    _check(data, m2m, actor, schedule)
    schedule = record_update(
        schedule, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )
    _set_next_run(schedule)
    return schedule


def schedule_delete(schedule: ReportSchedule, *, actor, expected_version=None) -> None:
    _check_may_change(schedule, actor)
    record_delete(schedule, actor=actor, expected_version=expected_version)


# --- sending ---------------------------------------------------------------------------------


def _language(user) -> str:
    return user.language if getattr(user, "language", "") in ("he", "en") else "he"


Files = list[tuple[str, bytes, str]]


def _files_and_body(schedule: ReportSchedule, user) -> tuple[str, str, Files]:
    """The subject, the body and the files of ``schedule``'s e-mail to ``user``, made as
    ``user`` (his records, his fields) in his language and time zone."""
    from kesher.reports.views import result_context

    report = schedule.report
    zone = getattr(user, "time_zone", "") or settings.TIME_ZONE
    with translation.override(_language(user)), timezone.override(zone):
        definition = engine.parse(report.definition, user)
        result = engine.run(definition, user)
        context = result_context(result, report.name, "chart")
        context.update(
            reader=user.get_full_name() or user.get_username(), description=report.description
        )
        engine.note_result(result, "export")
        files = []
        for fmt in FORMATS[schedule.formats]:
            content = exports.render(result, fmt, report.name, context)
            files.append((exports.filename(report.name, fmt), content, exports.MIME_TYPES[fmt]))
        subject = _("Report: %(name)s") % {"name": report.name}
        body = render_to_string(
            "reports/email/scheduled.html",
            {
                **context,
                "report": report,
                "schedule": schedule,
                "recipient": context["reader"],
                "link": settings.KESHER_BASE_URL.rstrip("/")
                + reverse("report_detail", args=[report.pk]),
            },
        )
    return subject, body, files


def _send_one(schedule: ReportSchedule, user, stamp: datetime.datetime) -> bool:
    from kesher.integrations.models import OutgoingMessage
    from kesher.integrations.services import send_email_message

    key = f"report-schedule:{schedule.pk}:{user.pk}:{stamp:%Y%m%d%H}"
    if OutgoingMessage.objects.filter(idempotency_key=key).exists():
        return False
    if not user.email or not may_read(user, schedule.report):
        logger.info("scheduled report %s: %s may not read it, skipped", schedule.pk, user.pk)
        return False
    # What the file holds reaches him: the access log keeps it as his export, as if he had
    # downloaded it (issue 25: who received a person's data).
    with accesslog.recorded(user):
        subject, body, files = _files_and_body(schedule, user)
    message = send_email_message(
        to=[user.email],
        subject=subject,
        body_html=body,
        language=_language(user),
        record=schedule,
        source=_("Scheduled report"),
        idempotency_key=key,
    )
    ReportDeliveryFile.objects.bulk_create(
        ReportDeliveryFile(
            message=message, schedule=schedule, name=name, mime_type=mime, content=content
        )
        for name, content, mime in files
    )
    return True


def schedules_send_due(now: datetime.datetime | None = None) -> int:
    """Send every due schedule (at most ``PER_TICK``) to each of its recipients; returns the
    number of e-mails queued. Each recipient's e-mail is queued once per due time, whatever
    the number of ticks or workers (the outbox's idempotency key); one recipient's failure
    does not stop the others."""
    now = now or timezone.now()
    sent = 0
    due = list(
        ReportSchedule.objects.filter(active=True, next_run_at__lte=now)
        .order_by("next_run_at", "pk")
        .values_list("pk", flat=True)[:PER_TICK]
    )
    for pk in due:
        with transaction.atomic():
            schedule = (
                ReportSchedule.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("report")
                .filter(pk=pk, active=True, next_run_at__lte=now)
                .first()
            )
            if schedule is None:
                continue
            stamp = schedule.next_run_at
            for user in schedule.recipients.all().order_by("pk"):
                try:
                    with transaction.atomic():
                        sent += _send_one(schedule, user, stamp)
                except Exception:
                    logger.exception("scheduled report %s to user %s failed", pk, user.pk)
            schedule.last_run_at = now
            schedule.next_run_at = next_run(schedule, now)
            schedule.save(update_fields=["last_run_at", "next_run_at"])
    ReportDeliveryFile.objects.filter(created_at__lt=now - KEEP_FILES).delete()
    return sent


def delivery_attachments(message) -> list[tuple[str, bytes, str]]:
    """The files of a scheduled report's e-mail, read by the outbox at delivery; none left
    (removed): raise, so the e-mail is not sent without them."""
    files = [
        (f.name, bytes(f.content), f.mime_type)
        for f in ReportDeliveryFile.objects.filter(message_id=message.pk).order_by("pk")
    ]
    if not files:
        raise FileNotFoundError(f"scheduled report message {message.pk}: its files were removed")
    return files
