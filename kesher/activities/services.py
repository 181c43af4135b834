"""Writes on activities: interactions, tasks, notifications. Views, the API, the worker and
automation call these, never the ORM directly (STYLE.md "every write is an action")."""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.activities import messages
from kesher.activities.calendar import WorkWeek, add_business_time
from kesher.activities.models import (
    ActivityPreferences,
    AlertRule,
    BusinessCalendar,
    Interaction,
    ManualAlert,
    Notification,
    Task,
)
from kesher.platform import jsonlimits, stamps
from kesher.platform.models import Choice
from kesher.platform.records.links import linkable_keys, resolve_link
from kesher.platform.records.services import record_create, record_update, with_default_owner
from kesher.platform.registry import registry

__all__ = [
    "alert_rule_create",
    "alert_rule_update",
    "calendar_feed_regenerate",
    "calendar_feed_revoke",
    "calendar_for",
    "calendar_of",
    "digest_set",
    "interaction_create",
    "interaction_update",
    "manual_alert_create",
    "manual_alert_update",
    "notification_mark_all_read",
    "notification_mark_read",
    "notify",
    "task_complete",
    "task_create",
    "task_delegate",
    "task_update",
]


def _pk(value):
    return getattr(value, "pk", value)


def _same_id(value, pk) -> bool:
    """Whether ``value`` (a record, an id or its text; blank for none) names row ``pk``."""
    value = _pk(value)
    if value in (None, ""):
        return pk is None
    return str(value) == str(pk)


def _check_link(data: dict, actor, current=None) -> None:
    """A new link must name a registered entity's record the actor may see (else 400). A link
    sent back unchanged is kept as it is: the delegate of a task on a record outside his scope
    saves the task without seeing, or losing, its record (REQ TK-3)."""
    if "link_type" not in data and "link_id" not in data:
        return
    link_type = data.get("link_type", getattr(current, "link_type", ""))
    link_id = data.get("link_id", getattr(current, "link_id", None))
    unchanged = (
        current is not None
        and (link_type or "") == current.link_type
        and _same_id(link_id, current.link_id)
    )
    if not unchanged:
        resolve_link(link_type or "", link_id, actor)


# --- interactions ------------------------------------------------------------------------------


def _touch_last_contact(interaction: Interaction, contact_ids: set | None = None) -> None:
    """Move the last-contact date (``Entity.last_contact_field``) of the record the interaction
    is about, and of its participating contacts (``contact_ids`` when the caller knows them),
    forward to this interaction (REQ CU-3, CU-9). A derived value, so a conditional UPDATE
    without an audit entry: two interactions logged at once both keep the later date."""
    when = interaction.occurred_at
    if when is None or when > timezone.now():
        return  # a planned meeting is not a contact yet
    touched: dict[str, set] = {}
    if interaction.link_type in registry:
        touched.setdefault(interaction.link_type, set()).add(interaction.link_id)
    participants = Interaction.participant_contacts.field.related_model
    if contact_ids is None:
        contact_ids = set(interaction.participant_contacts.values_list("pk", flat=True))
    if contact_ids and registry.has_model(participants):
        touched.setdefault(registry.for_model(participants).key, set()).update(contact_ids)
    for key, ids in touched.items():
        entity = registry.get(key)
        name = entity.last_contact_field
        if name:
            later = Q(**{f"{name}__isnull": True}) | Q(**{f"{name}__lt": when})
            entity.model.objects.filter(later, pk__in=ids).update(**{name: when})


@transaction.atomic
def interaction_create(*, actor, data: dict, m2m: dict | None = None) -> Interaction:
    """Log an interaction; its owner is the actor unless given; it moves the linked account's
    and contact's last contact date (REQ CU-3)."""
    _check_link(data, actor)
    interaction = record_create("interactions", actor=actor, data=data, m2m=m2m)
    # A new interaction's participants are those given: no read back when they are records.
    given = (m2m or {}).get("participant_contacts") or []
    known = all(isinstance(c, models.Model) for c in given)
    _touch_last_contact(interaction, {c.pk for c in given} if known else None)
    _invite_to_meeting(interaction, actor)
    return interaction


def _invite_to_meeting(interaction: Interaction, actor) -> None:
    """A planned meeting booked for others (the back office books for field salespeople,
    REQ SA-13): its owner and participating users get a notification and an email with an
    .ics invitation (issue 4 item 4), except the one who booked it."""
    if interaction.kind.value != "meeting" or interaction.occurred_at <= timezone.now():
        return
    people = {interaction.owner_id: interaction.owner} if interaction.owner_id else {}
    people.update({u.pk: u for u in interaction.participant_users.all()})
    people.pop(getattr(actor, "pk", None), None)
    for person in people.values():
        notify(
            person,
            verb=Notification.Verb.MEETING,
            message=messages.MEETING,
            params={
                "when": messages.moment(interaction.occurred_at),
                "subject": interaction.subject,
            },
            record=interaction,
            email=True,
        )


@transaction.atomic
def interaction_update(interaction, *, actor, data: dict, m2m=None, expected_version=None):
    _check_link(data, actor, interaction)
    interaction = record_update(
        interaction, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )
    _touch_last_contact(interaction)
    return interaction


# --- business calendar -------------------------------------------------------------------------


def calendar_for(user=None) -> WorkWeek:
    """The business calendar of the user's company, else the default one, else the standard
    Israeli week (Sunday–Thursday 08:30–17:30)."""
    company_id = None
    if user is not None and getattr(user, "pk", None):
        company_id = user.companies.values_list("pk", flat=True).first()
    return calendar_of(company_id)


# The stamp a change of a business calendar renews (kesher/platform/stamps.py).
CALENDARS = "calendars"


def _calendar_weeks() -> dict[int | None, WorkWeek]:
    """Every business calendar's week by its company (None: the default one)."""
    weeks: dict[int | None, WorkWeek] = {}
    for row in BusinessCalendar.objects.order_by("pk"):
        weeks.setdefault(row.company_id, row.week())
    return weeks


def calendar_of(company_id: int | None = None) -> WorkWeek:
    """The business calendar of the company, else the default one, else the standard week.
    The calendars are read once per process until one changes (stamp "calendars"): a deal's
    move, a ticket's clock and a task's due time each asked for it (bench/sales.py)."""
    weeks = stamps.cached(CALENDARS, "weeks", _calendar_weeks)
    week = weeks.get(company_id) if company_id else None
    return week or weeks.get(None) or WorkWeek()


# --- tasks -------------------------------------------------------------------------------------


def _done_status() -> Choice | None:
    """The status that completes a task: the first active one an administrator's settings
    mark both done and closed (built in: "done")."""
    return (
        Choice.objects.filter(list_key="task_status", active=True, extra__done=True)
        .filter(extra__closed=True)
        .order_by("order", "pk")
        .first()
    )


def _default_status() -> Choice | None:
    statuses = Choice.objects.filter(list_key="task_status", active=True)
    return (
        next((c for c in statuses if c.extra.get("default")), None)
        or statuses.filter(value="open").first()
    )


def _as_choice(value) -> Choice | None:
    if value is None or isinstance(value, Choice):
        return value
    return Choice.objects.filter(pk=value).first()


def _is_closed(status) -> bool:
    status = _as_choice(status)
    return bool(status and status.extra.get("closed"))


def _is_done(status) -> bool:
    status = _as_choice(status)
    return bool(status and status.extra.get("done"))


def _sla_due(task_type, start, assignee) -> datetime.datetime | None:
    task_type = _as_choice(task_type)
    hours = (task_type.extra or {}).get("sla_hours") if task_type else None
    if not hours:
        return None
    return add_business_time(start, float(hours), calendar_for(assignee))


def _check_task_rules(data: dict, actor, current: Task | None) -> None:
    """Rules that need other rows or the clock, as field errors (REQ TK-1, TK-2)."""
    errors = {}
    parent = data.get("parent")
    # A parent sent back unchanged is not judged again (it may be closed by now, or out of
    # the editor's scope): only a newly chosen one must be open and visible.
    if parent is not None and not (current is not None and _same_id(parent, current.parent_id)):
        pk = _pk(parent)
        visible = Task.objects.visible_to(actor).filter(pk=pk).first()
        if visible is None:
            errors["parent"] = [_("No such task, or you may not see it.")]
        elif current is not None and (pk == current.pk or _is_descendant(pk, current.pk)):
            errors["parent"] = [_("A task cannot be a sub-task of itself or of its sub-tasks.")]
        elif not visible.is_open:
            errors["parent"] = [_("The parent task is already closed.")]
    reminder = data.get("reminder_at")
    changed = reminder is not None and (current is None or reminder != current.reminder_at)
    # Decision: a reminder set in the past would fire at once, which is nearly always a typing
    # mistake (yesterday's date); it is refused. A reminder after the due time is allowed.
    if changed and reminder < timezone.now() - datetime.timedelta(minutes=1):
        errors["reminder_at"] = [_("The reminder time has already passed.")]
    if errors:
        raise ValidationError(errors)


def _is_descendant(candidate_pk, ancestor_pk) -> bool:
    """Whether task ``candidate_pk`` lies under ``ancestor_pk`` (walks up, bounded)."""
    seen = set()
    current = candidate_pk
    while current is not None and current not in seen and len(seen) < 100:
        if current == ancestor_pk:
            return True
        seen.add(current)
        current = Task._base_manager.filter(pk=current).values_list("parent_id", flat=True).first()
    return False


@transaction.atomic
def task_create(*, actor, data: dict, m2m: dict | None = None) -> Task:
    """Create a task. Blank assignee: the actor; blank status: the default (open). Assigning it
    to someone else delegates it: the actor follows it (REQ TK-3). The SLA due time is the
    type's standard time in business hours from now (REQ TK-4)."""
    data = dict(data)
    _check_link(data, actor)
    _check_task_rules(data, actor, None)
    data = with_default_owner(registry.get("tasks"), data, actor)
    if not data.get("status"):
        data["status"] = _default_status()
    actor_user = actor if getattr(actor, "pk", None) else None
    data["created_by"] = actor_user
    if actor_user and _pk(data["assignee"]) != actor_user.pk:
        data["delegated_by"] = actor_user
    data["is_open"] = not _is_closed(data["status"])
    data["closed_at"] = None if data["is_open"] else timezone.now()
    assignee = _user(data.get("assignee"))
    data["sla_due_at"] = _sla_due(data.get("task_type"), timezone.now(), assignee)
    task = record_create("tasks", actor=actor, data=data, m2m=m2m)
    if task.delegated_by_id and task.assignee_id:
        _notify_assigned(task)
    return task


def _user(value):
    from kesher.org.models import User

    if value is None or isinstance(value, User):
        return value
    return User.objects.filter(pk=value).first()


@transaction.atomic
def task_update(task: Task, *, actor, data: dict, m2m=None, expected_version=None) -> Task:
    """Change a task. Closing it notifies its delegator, creates the next one of a recurring
    task and closes the parent when its flag says so and all sub-tasks are closed (REQ TK-2,
    TK-3); handing it to someone else delegates it."""
    data = dict(data)
    # Lock the row: the old status decides what closing does, and must not change meanwhile.
    current = Task._base_manager.select_for_update().get(pk=task.pk)
    _check_link(data, actor, current)
    _check_task_rules(data, actor, current)
    if "status" in data and not data["status"]:
        raise ValidationError({"status": [_("This field cannot be blank.")]})
    was_open = current.is_open
    if "status" in data:
        closed = _is_closed(data["status"])
        data["is_open"] = not closed
        if closed and was_open:
            data["closed_at"] = timezone.now()
        elif not closed:
            data["closed_at"] = None
    if "reminder_at" in data and data["reminder_at"] != current.reminder_at:
        data["reminder_sent_at"] = None
    if "due_at" in data and data["due_at"] != current.due_at:
        data["overdue_notified_at"] = None
    if "task_type" in data and _pk(data["task_type"]) != current.task_type_id:
        data["sla_due_at"] = _sla_due(data["task_type"], current.created_at, current.assignee)
        data["sla_notified_at"] = None
    new_assignee = None
    if "assignee" in data and _pk(data["assignee"]) != current.assignee_id:
        new_assignee = _user(data["assignee"])
        if new_assignee is not None and getattr(actor, "pk", None) != new_assignee.pk:
            data["delegated_by"] = actor
    task = record_update(
        current, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )
    if new_assignee is not None and task.delegated_by_id == getattr(actor, "pk", None):
        _notify_assigned(task)
    if was_open and not task.is_open:
        _after_close(task, actor)
    return task


def task_delegate(task: Task, *, actor, assignee, expected_version=None) -> Task:
    """Hand a task to another user; the actor follows it (REQ TK-3)."""
    return task_update(
        task, actor=actor, data={"assignee": assignee}, expected_version=expected_version
    )


@transaction.atomic
def task_complete(task: Task, *, actor) -> Task:
    """Mark an open task done in one step, whoever may change it: the assignee of a task
    delegated to him on a record outside his scope too. Closing it does what any close does:
    the delegator is notified, a recurring task's next one is made, a parent may close
    (REQ TK-2, TK-3)."""
    # Lock the row: two clicks at once must close it once (one notice, one next occurrence).
    current = Task._base_manager.select_for_update().get(pk=task.pk)
    if not current.is_open:
        raise ValidationError({"status": [_("This task is already closed.")]})
    status = _done_status()
    if status is None:
        raise ValidationError(
            {"status": [_("No task status is marked done; an administrator sets one.")]}
        )
    return task_update(current, actor=actor, data={"status": status})


def _after_close(task: Task, actor) -> None:
    done = _is_done(task.status)
    if task.delegated_by_id and task.delegated_by_id != getattr(actor, "pk", None):
        verb = Notification.Verb.DONE
        notify(
            task.delegated_by,
            verb=verb,
            message=messages.TASK_DONE if done else messages.TASK_CANCELLED,
            params={"title": task.title},
            record=task,
            email=True,
        )
    if done and task.recurrence:
        _next_occurrence(task, actor)
    if task.parent_id:
        parent = Task._base_manager.select_for_update().get(pk=task.parent_id)
        if parent.is_open and parent.close_with_subtasks:
            siblings_open = Task._base_manager.filter(parent_id=parent.pk, is_open=True).exists()
            if not siblings_open:
                task_update(parent, actor=actor, data={"status": _done_status()})


def _shift(value, recurrence: str):
    if value is None:
        return None
    if recurrence == Task.Recurrence.DAILY:
        return value + datetime.timedelta(days=1)
    if recurrence == Task.Recurrence.WEEKLY:
        return value + datetime.timedelta(weeks=1)
    local = timezone.localtime(value)
    year, month = (local.year, local.month + 1) if local.month < 12 else (local.year + 1, 1)
    day = min(local.day, _days_in(year, month))
    return local.replace(year=year, month=month, day=day)


def _days_in(year: int, month: int) -> int:
    following = datetime.date(year + (month == 12), month % 12 + 1, 1)
    return (following - datetime.timedelta(days=1)).day


def _next_occurrence(task: Task, actor) -> Task:
    """The next task of a recurring one, with its dates moved on by one period."""
    now = timezone.now()
    reminder = _shift(task.reminder_at, task.recurrence)
    return task_create(
        actor=actor,
        data={
            "title": task.title,
            "notes": task.notes,
            "task_type": task.task_type,
            "priority": task.priority,
            "due_at": _shift(task.due_at, task.recurrence),
            "reminder_at": reminder if reminder is None or reminder > now else None,
            "assignee": task.assignee,
            "recurrence": task.recurrence,
            "link_type": task.link_type,
            "link_id": task.link_id,
        },
    )


def _notify_assigned(task: Task) -> None:
    notify(
        task.assignee,
        verb=Notification.Verb.ASSIGNED,
        message=messages.ASSIGNED,
        params={"user": str(task.delegated_by), "title": task.title},
        record=task,
        email=True,
    )


# --- notifications -----------------------------------------------------------------------------


def notify(
    user, *, verb: str, message: str, params: dict | None = None, record=None, email: bool = False
) -> Notification | None:
    """Leave a notification for ``user``: ``message`` is a key of ``kesher.activities.messages``
    and ``params`` its parameters, put into words when it is read, in the reader's language.
    With ``email`` the worker also emails it, once."""

    if user is None or not user.is_active:
        return None
    link_type = registry.for_model(record).key if record is not None else ""
    return Notification.objects.create(
        user=user,
        verb=verb,
        message=message,
        params=params or {},
        link_type=link_type,
        link_id=record.pk if record is not None else None,
        email_wanted=email and bool(user.email),
    )


def notification_mark_read(notification: Notification, *, actor) -> Notification:
    """Mark one of the actor's own notifications read."""
    if notification.user_id != actor.pk:
        raise ValidationError({"notification": [_("This is not your notification.")]})
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notification_mark_all_read(*, actor) -> int:
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- alerts on records (issue 4 item 6) ----------------------------------------------------------


def _check_condition(data: dict, current: AlertRule | None = None) -> None:
    """A rule's condition must compile in the filter language of its entity (else 400)."""
    from kesher.platform.lists.filterlang import compile_filter

    if isinstance(data.get("condition"), str):
        # Written as JSON text (a form's textarea, a client that sends text): read it.
        try:
            data["condition"] = jsonlimits.loads(data["condition"])
        except ValueError:
            raise ValidationError({"condition": [_("Enter valid JSON.")]}) from None
    entity_key = data.get("entity", getattr(current, "entity", "accounts"))
    condition = data.get("condition", getattr(current, "condition", None))
    if "condition" not in data and "entity" not in data:
        return
    if entity_key not in linkable_keys():
        raise ValidationError({"entity": [_("Choose the kind of record this is about.")]})
    if not isinstance(condition, dict) or not condition:
        raise ValidationError({"condition": [_("Write the condition in the filter language.")]})
    try:
        compile_filter(registry.get(entity_key), condition)
    except ValidationError as error:
        messages = error.message_dict.get("filter") or error.messages
        raise ValidationError({"condition": messages}) from None


@transaction.atomic
def alert_rule_create(*, actor, data: dict, m2m: dict | None = None) -> AlertRule:
    """An alert rule; its condition must compile in the filter language (else 400)."""
    data = dict(data)
    _check_condition(data)
    return record_create("alert-rules", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def alert_rule_update(rule, *, actor, data: dict, m2m=None, expected_version=None) -> AlertRule:
    data = dict(data)
    _check_condition(data, rule)
    return record_update(rule, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


def _check_alert(data: dict, actor, current: ManualAlert | None = None) -> None:
    if current is None or "link_type" in data or "link_id" in data:
        link_type = data.get("link_type", getattr(current, "link_type", ""))
        link_id = data.get("link_id", getattr(current, "link_id", None))
        if not link_type or link_id in (None, ""):
            raise ValidationError({"link_id": [_("Choose the record the alert is about.")]})
        resolve_link(link_type, link_id, actor)
    expires = data.get("expires_at")
    if "expires_at" in data and expires is not None and expires <= timezone.now():
        raise ValidationError({"expires_at": [_("The expiry must be in the future.")]})


@transaction.atomic
def manual_alert_create(*, actor, data: dict, m2m: dict | None = None) -> ManualAlert:
    """Put an alert on a record the actor may see, until ``expires_at``."""
    _check_alert(data, actor)
    return record_create("manual-alerts", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def manual_alert_update(alert, *, actor, data: dict, m2m=None, expected_version=None):
    _check_alert(data, actor, alert)
    return record_update(alert, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


# --- calendar feed and digest settings (issue 4 items 4, 5) ---------------------------------------


def hash_feed_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _preferences(user) -> ActivityPreferences:
    prefs, _created = ActivityPreferences.objects.select_for_update().get_or_create(user=user)
    return prefs


@transaction.atomic
def calendar_feed_regenerate(*, actor) -> str:
    """A new secret calendar-feed token for the actor; the old link stops working. Returns the
    token, which is shown once and stored only hashed (REQ OR-6)."""
    token = secrets.token_urlsafe(32)
    prefs = _preferences(actor)
    prefs.ical_token_hash = hash_feed_token(token)
    prefs.ical_created_at = timezone.now()
    prefs.save(update_fields=["ical_token_hash", "ical_created_at"])
    return token


@transaction.atomic
def calendar_feed_revoke(*, actor) -> None:
    """The actor's calendar link stops working at once."""
    ActivityPreferences.objects.filter(user=actor).update(
        ical_token_hash=None, ical_created_at=None
    )


@transaction.atomic
def digest_set(*, actor, enabled: bool) -> ActivityPreferences:
    """Turn the actor's daily email digest of notifications on or off."""
    prefs = _preferences(actor)
    prefs.daily_digest = bool(enabled)
    prefs.save(update_fields=["daily_digest"])
    return prefs
