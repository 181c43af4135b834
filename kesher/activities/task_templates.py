"""Task templates: tasks made by automation from a template, about a record (REQ TK-5, SA-5).

The assignee is chosen by the template's rule and must be able to see the record the task is
about; a template that finds nobody raises ``ValidationError`` naming ``assignee_rule`` (the
automation run shows it as the action's error).
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.activities.calendar import add_business_time
from kesher.activities.models import Task, TaskTemplate
from kesher.activities.services import calendar_for, task_create
from kesher.platform.records.links import linkable_keys
from kesher.platform.records.services import display, record_create, record_update
from kesher.platform.registry import registry

__all__ = [
    "render_merge_fields",
    "task_due",
    "task_from_template",
    "task_template_assignee",
    "task_template_create",
    "task_template_preview",
    "task_template_update",
]

MERGE_FIELD = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
FIELD_PATH = re.compile(r"^(custom\.)?[a-z][a-z0-9_]{0,39}$")
UNIT_HOURS = {"minutes": 1 / 60, "hours": 1, "days": 24}


def _check_merge_fields(data: dict) -> None:
    """Merge fields name a field (``{{name}}``, ``{{custom.region}}``); refuse anything else."""
    errors = {}
    for name in ("title", "notes"):
        text = data.get(name) or ""
        bad = [m for m in MERGE_FIELD.findall(text) if not FIELD_PATH.match(m)]
        if bad:
            errors[name] = [_("Unknown merge field: %(field)s.") % {"field": bad[0][:40]}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def task_template_create(*, actor, data: dict, m2m: dict | None = None) -> TaskTemplate:
    """A task template for automation (REQ TK-5); merge fields must name fields."""
    _check_merge_fields(data)
    return record_create("task-templates", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def task_template_update(template, *, actor, data: dict, m2m=None, expected_version=None):
    _check_merge_fields(data)
    return record_update(
        template, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


def render_merge_fields(text: str, record) -> str:
    """``text`` with each ``{{field}}`` replaced by the record's value as people read it; an
    unknown or empty field becomes empty text."""

    def value(match):
        path = match.group(1)
        if path.startswith("custom."):
            shown = (getattr(record, "custom", None) or {}).get(path.removeprefix("custom."))
            return "" if shown is None else str(shown)
        try:
            field = record._meta.get_field(path)
        except FieldDoesNotExist:
            return ""
        if field.many_to_many or field.one_to_many or not field.concrete:
            return ""
        raw = getattr(record, field.name)
        if isinstance(raw, datetime.datetime):
            return timezone.localtime(raw).strftime("%d/%m/%Y %H:%M")
        if isinstance(raw, datetime.date):
            return raw.strftime("%d/%m/%Y")
        shown = display(record, field.name)
        return "" if shown is None else str(shown)

    return MERGE_FIELD.sub(value, text or "")


def _sees(user, record) -> bool:
    if user is None or not user.is_active:
        return False
    model = type(record)
    return model.objects.visible_to(user).filter(pk=record.pk).exists()


def _owner(record):
    entity = registry.for_model(record)
    return getattr(record, entity.owner_field, None) if entity.owner_field else None


def manager_of(user):
    """The owner's manager: ``User.manager`` where the organization has it, else the manager
    of the owner's department (or of the nearest department above it that has one)."""
    if user is None:
        return None
    manager = getattr(user, "manager", None)
    if manager is not None:
        return manager
    department = user.department
    while department is not None:
        if department.manager_id and department.manager_id != user.pk:
            return department.manager
        department = department.parent
    return None


def _department_members(template: TaskTemplate):
    from kesher.org.models import User

    department = template.assignee_department
    return User.objects.filter(
        is_active=True, department__path__startswith=department.path
    ).order_by("pk")


def _least_loaded(candidates):
    counts = dict(
        Task._base_manager.filter(assignee__in=[u.pk for u in candidates], is_open=True)
        .values_list("assignee")
        .annotate(n=Count("pk"))
        .values_list("assignee", "n")
    )
    return min(candidates, key=lambda u: (counts.get(u.pk, 0), u.pk)) if candidates else None


def task_template_assignee(template: TaskTemplate, record, *, claim: bool = True):
    """Who gets the task about ``record``; only people who may see the record (REQ OR-3).
    ``claim=False`` (a dry run) does not move the round-robin turn."""
    rule = template.assignee_rule
    rules = TaskTemplate.AssigneeRule
    if rule == rules.OWNER:
        chosen = _owner(record)
    elif rule == rules.USER:
        chosen = template.assignee_user
    elif rule == rules.MANAGER:
        chosen = manager_of(_owner(record))
    elif rule == rules.ROLE:
        from kesher.org.models import User

        people = User.objects.filter(role=template.assignee_role, is_active=True).order_by("pk")
        chosen = _least_loaded([u for u in people if _sees(u, record)])
    elif rule == rules.LEAST_LOADED:
        chosen = _least_loaded([u for u in _department_members(template) if _sees(u, record)])
    else:
        chosen = _next_in_turn(template, record, claim=claim)
    if chosen is None or not _sees(chosen, record):
        raise ValidationError(
            {"assignee_rule": [_("Nobody who may see this record can get the task.")]}
        )
    return chosen


def _next_in_turn(template: TaskTemplate, record, *, claim: bool):
    if claim:
        # Lock the template: two runs at once must not give the same person the turn.
        template = TaskTemplate._base_manager.select_for_update().get(pk=template.pk)
    people = [u for u in _department_members(template) if _sees(u, record)]
    if not people:
        return None
    after = [u for u in people if template.last_assignee_id and u.pk > template.last_assignee_id]
    chosen = (after or people)[0]
    if claim:
        TaskTemplate._base_manager.filter(pk=template.pk).update(last_assignee=chosen)
    return chosen


def task_due(template: TaskTemplate, assignee, start=None) -> datetime.datetime | None:
    """When a task from ``template`` is due: its offset from ``start`` (now), in business time
    on the assignee's company calendar (a business day is one working day's hours) or not."""
    if template.due_offset is None:
        return None
    start = start or timezone.now()
    if not template.due_business:
        hours = template.due_offset * UNIT_HOURS[template.due_unit]
        return start + datetime.timedelta(hours=hours)
    week = calendar_for(assignee)
    if template.due_unit == TaskTemplate.DueUnit.DAYS:
        # Any date serves: only the length of the working day counts.
        day = datetime.date(2026, 1, 4)
        day_hours = (
            datetime.datetime.combine(day, week.day_end)
            - datetime.datetime.combine(day, week.day_start)
        ).total_seconds() / 3600
        hours = template.due_offset * day_hours
    else:
        hours = template.due_offset * UNIT_HOURS[template.due_unit]
    return add_business_time(start, hours, week)


def task_template_preview(template: TaskTemplate, record) -> dict:
    """What ``task_from_template`` would create, writing nothing (a rule's dry run)."""
    assignee = task_template_assignee(template, record, claim=False)
    return {
        "title": render_merge_fields(template.title, record)[:200],
        "assignee": assignee,
        "due_at": task_due(template, assignee),
    }


@transaction.atomic
def task_from_template(template: TaskTemplate, *, record, actor=None) -> Task:
    """Create the template's task about ``record`` (REQ TK-5); linked to the record when its
    entity is one tasks link to."""
    assignee = task_template_assignee(template, record)
    key = registry.for_model(record).key
    data = {
        "title": render_merge_fields(template.title, record)[:200] or template.name,
        "notes": render_merge_fields(template.notes, record),
        "task_type": template.task_type,
        "priority": template.priority,
        "assignee": assignee,
        "due_at": task_due(template, assignee),
    }
    if key in linkable_keys():
        data.update(link_type=key, link_id=record.pk)
    return task_create(actor=actor, data=data)
