"""Projects' and time entries' writes (REQ PR-1, PR-2; decision 0069).

Every write of a time entry comes here or through the generic write path, which asks
``entry_locked_reason`` first: submitted and approved hours are not edited by the UI, the API,
an import, a bulk action or automation. Only the week's submission, the project manager's
approval and his returning of hours move an entry's state, each audited.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.platform.access import is_admin
from kesher.platform.records.services import (
    record_create,
    record_delete,
    record_update,
    write_audit,
)
from kesher.projects.models import (
    MINUTES_PER_DAY,
    Project,
    ProjectTemplate,
    RunningTimer,
    TimeEntry,
)

__all__ = [
    "absence_create",
    "absence_update",
    "entries_approve",
    "entries_locked_among",
    "entries_return",
    "entry_locked_reason",
    "may_report_on",
    "payroll_export",
    "payroll_reopen",
    "project_delete",
    "project_from_template",
    "time_entry_create",
    "time_entry_update",
    "timesheet_save",
    "week_start",
    "week_submit",
]


def week_start(day: datetime.date) -> datetime.date:
    """The Sunday that starts the Israeli work week of ``day``."""
    return day - datetime.timedelta(days=(day.weekday() + 1) % 7)


def entry_locked_reason(instance) -> str | None:
    """Why a time entry may not be changed: it was submitted, approved or billed (REQ PR-2)."""
    if isinstance(instance, TimeEntry) and instance.state != TimeEntry.State.DRAFT:
        if instance.exported_at is not None:
            return _(
                "These hours were exported to payroll and are locked; an administrator may "
                "reopen the month's export."
            )
        if instance.state == TimeEntry.State.BILLED:
            return _("Billed hours are locked: they are on an invoice.")
        if instance.state == TimeEntry.State.APPROVED:
            return _("Approved hours are locked.")
        return _("Submitted hours are not changed; ask the project manager to return them.")
    return None


def entries_locked_among(entity_key: str, ids: list[int]) -> dict[int, str]:
    if entity_key != "time-entries" or not ids:
        return {}
    rows = TimeEntry._base_manager.filter(pk__in=ids).exclude(state=TimeEntry.State.DRAFT)
    return {
        pk: entry_locked_reason(TimeEntry(state=state, exported_at=exported)) or ""
        for pk, state, exported in rows.values_list("pk", "state", "exported_at")
    }


def _manages(user, project: Project) -> bool:
    """The project's manager, or an administrator, decides its hours."""
    return project.owner_id == user.pk or is_admin(user)


def may_report_on(user, project: Project) -> bool:
    """An employee reports hours on a project he may see: one he manages or is on the team of,
    or one his role's scope reaches (``Project.objects.visible_to``)."""
    return Project.objects.visible_to(user).filter(pk=project.pk).exists()


def _resolve(model, value):
    if value is None or isinstance(value, model):
        return value
    return model._base_manager.filter(pk=value).first()


def _check_reporter(actor, data: dict, *, employee=None) -> None:
    """Hours are reported by the employee himself, or for him by the project's manager, on a
    project the employee may see."""
    from kesher.org.models import User

    project = _resolve(Project, data.get("project"))
    if project is None:
        return
    if "user" in data or employee is None:
        employee = _resolve(User, data.get("user")) or actor
        if employee.pk != actor.pk and not _manages(actor, project):
            raise ValidationError(
                {"user": [_("Only the project manager reports hours for others.")]}
            )
    if not (may_report_on(employee, project) or _manages(actor, project)):
        raise ValidationError(
            {"project": [_("The employee may not report hours on this project.")]}
        )


@transaction.atomic
def project_delete(project: Project, *, actor, expected_version=None, **options) -> None:
    """Delete a project with its draft hours; one with submitted or approved hours stays."""
    # Lock the project: an entry submitted meanwhile must not be deleted with it.
    Project._base_manager.select_for_update().filter(pk=project.pk).first()
    if project.time_entries.exclude(state=TimeEntry.State.DRAFT).exists():
        raise ValidationError(
            _("This project has submitted or approved hours; close it instead of deleting it.")
        )
    record_delete(project, actor=actor, expected_version=expected_version)


def time_entry_create(*, actor, data: dict, m2m: dict | None = None) -> TimeEntry:
    """Report time: by the employee on his project, or by the project's manager for him."""
    _check_reporter(actor, data)
    return record_create("time-entries", actor=actor, data=data, m2m=m2m)


def time_entry_update(entry: TimeEntry, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a draft entry (the generic path refuses a submitted or approved one)."""
    if "project" in data or "user" in data:
        _check_reporter(
            actor, {"project": data.get("project", entry.project), **data}, employee=entry.user
        )
    return record_update(entry, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


def _set_state(entries, state: str, *, actor, approved: bool = False) -> int:
    now = timezone.now()
    count = 0
    for entry in entries:
        changes = {"state": [entry.state, state]}
        fields = {"state": state, "version": entry.version + 1, "updated_at": now}
        if approved:
            fields.update(approved_by=actor, approved_at=now)
        TimeEntry._base_manager.filter(pk=entry.pk).update(**fields)
        write_audit(entry, actor=actor, action="update", changes=changes)
        count += 1
    return count


@transaction.atomic
def timesheet_save(*, actor, week: datetime.date, cells: dict) -> int:
    """Save a week's grid: ``cells`` maps (project id, day) to minutes and an optional
    description. A cell with one draft entry changes it, an empty cell deletes it, a new value
    creates one; a submitted or approved cell is left as it is. Returns how many changed."""
    start = week_start(week)
    days = [start + datetime.timedelta(days=i) for i in range(7)]
    # Lock the employee's week while it is rewritten: two tabs saving at once must not both
    # create the same cell.
    existing = list(
        TimeEntry._base_manager.select_for_update()
        .filter(user=actor, date__range=(days[0], days[-1]))
        .order_by("id")
    )
    by_cell: dict[tuple[int, datetime.date], list[TimeEntry]] = {}
    for entry in existing:
        by_cell.setdefault((entry.project_id, entry.date), []).append(entry)
    projects = {p.pk: p for p in Project.objects.filter(pk__in={pid for pid, _ in cells})}
    errors: list[str] = []
    changed = 0
    for (project_id, day), minutes in cells.items():
        if day not in days:
            continue
        project = projects.get(project_id)
        if project is None or not may_report_on(actor, project):
            errors.append(_("You may not report hours on one of these projects."))
            continue
        current = by_cell.get((project_id, day), [])
        if any(e.state != TimeEntry.State.DRAFT for e in current):
            continue
        total = sum(e.minutes for e in current)
        if minutes == total:
            continue
        if len(current) > 1:
            errors.append(_("A day with several entries is changed on the entries' list."))
            continue
        if current and minutes == 0:
            record_delete(current[0], actor=actor)
        elif current:
            record_update(current[0], actor=actor, data={"minutes": minutes})
        else:
            record_create(
                "time-entries",
                actor=actor,
                data={"user": actor, "project": project, "date": day, "minutes": minutes},
            )
        changed += 1
    if errors:
        raise ValidationError(sorted(set(errors)))
    return changed


@transaction.atomic
def week_submit(*, actor, week: datetime.date) -> int:
    """Submit the employee's draft entries of the week to the project managers."""
    start = week_start(week)
    entries = list(
        TimeEntry._base_manager.select_for_update()
        .filter(
            user=actor,
            date__range=(start, start + datetime.timedelta(days=6)),
            state=TimeEntry.State.DRAFT,
        )
        .order_by("id")
    )
    if not entries:
        raise ValidationError(_("There are no draft hours in this week to submit."))
    return _set_state(entries, TimeEntry.State.SUBMITTED, actor=actor)


def _managed_submitted(actor, ids):
    # Lock them: two managers (or two tabs) deciding at once decide each entry once.
    rows = list(
        TimeEntry._base_manager.select_for_update(of=("self",))
        .select_related("project")
        .filter(pk__in=ids, state=TimeEntry.State.SUBMITTED)
        .order_by("id")
    )
    if any(not _manages(actor, e.project) for e in rows):
        raise ValidationError(_("Only the project's manager approves its hours."))
    return rows


@transaction.atomic
def entries_approve(*, actor, ids) -> int:
    """The project manager approves submitted hours; approved hours are locked (REQ PR-2)."""
    return _set_state(
        _managed_submitted(actor, ids), TimeEntry.State.APPROVED, actor=actor, approved=True
    )


def _absence_in_reach(actor, absence) -> None:
    from kesher.projects.models import Absence

    if not Absence.objects.visible_to(actor).filter(pk=absence.pk).exists():
        raise ValidationError(
            {"user": [_("You record absences only for yourself or the people of your team.")]}
        )


@transaction.atomic
def absence_create(*, actor, data: dict, m2m: dict | None = None):
    """Record an absence: one's own, or one of his team's for a manager (decision 0122) — the
    person must be within the actor's reach, else nothing is written."""
    if not data.get("user"):
        data = {**data, "user": actor}
    absence = record_create("absences", actor=actor, data=data, m2m=m2m)
    _absence_in_reach(actor, absence)
    return absence


@transaction.atomic
def absence_update(absence, *, actor, data: dict, m2m=None, expected_version=None):
    """Change an absence; moved to another person, he must be within the actor's reach."""
    if "user" in data and not data["user"]:
        data = {**data, "user": absence.user_id and absence.user}
    absence = record_update(
        absence, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )
    _absence_in_reach(actor, absence)
    return absence


def _month_entries(actor, month: datetime.date):
    from kesher.projects.payroll import month_range

    return TimeEntry.objects.visible_to(actor).filter(
        state__in=TimeEntry.APPROVED_STATES, date__range=month_range(month)
    )


@transaction.atomic
def payroll_export(*, actor, month: datetime.date) -> int:
    """Mark the month's approved hours the actor's payroll counts as exported (issue 20 item 2;
    decision 0122): locked like billed hours, they are what a repeated export reads again.
    Those already exported keep their first time. An audit entry each; returns how many were
    marked now."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from kesher.platform.models import AuditEntry
    from kesher.platform.records.audit import encoded
    from kesher.platform.records.inserts import insert_rows

    entries = list(
        _month_entries(actor, month)
        .filter(exported_at__isnull=True)
        .select_for_update(of=("self",))
        .order_by("id")
        .values_list("pk", "date", "minutes")
    )
    if not entries:
        return 0
    now = timezone.now()
    ids = [pk for pk, _day, _minutes in entries]
    for start in range(0, len(ids), 5000):
        TimeEntry._base_manager.filter(pk__in=ids[start : start + 5000]).update(exported_at=now)
    meta = AuditEntry._meta
    changes, at = (
        meta.get_field(name).get_db_prep_save(value, connection)
        for name, value in (("changes", encoded({"exported_at": [None, now]})), ("at", now))
    )
    columns = ["content_type", "object_id", "object_repr", "actor", "action", "changes", "at"]
    kind = ContentType.objects.get_for_model(TimeEntry).pk
    insert_rows(
        AuditEntry,
        [meta.get_field(name).column for name in columns],
        [
            (kind, pk, f"{day:%d/%m/%Y} · {minutes}", actor.pk, "update", changes, at)
            for pk, day, minutes in entries
        ],
    )
    return len(entries)


@transaction.atomic
def payroll_reopen(*, actor, month: datetime.date) -> int:
    """An administrator reopens a month's payroll export (decision 0122): its hours lose the
    mark, and those not billed go back to the project manager's approval — he approves them
    again or returns them to the employee to correct. Billed hours stay billed. Audited per
    entry; returns how many were reopened."""
    if not is_admin(actor):
        raise ValidationError(_("Only an administrator reopens an exported payroll month."))
    entries = list(
        _month_entries(actor, month)
        .filter(exported_at__isnull=False)
        .select_for_update(of=("self",))
        .order_by("id")
    )
    now = timezone.now()
    for entry in entries:
        changes: dict = {"exported_at": [entry.exported_at, None]}
        fields: dict = {"exported_at": None, "version": entry.version + 1, "updated_at": now}
        if entry.state == TimeEntry.State.APPROVED:
            changes["state"] = [entry.state, TimeEntry.State.SUBMITTED.value]
            fields["state"] = TimeEntry.State.SUBMITTED
        TimeEntry._base_manager.filter(pk=entry.pk).update(**fields)
        write_audit(entry, actor=actor, action="update", changes=changes)
    return len(entries)


@transaction.atomic
def entries_return(*, actor, ids) -> int:
    """The project manager returns submitted hours to the employee to correct."""
    return _set_state(_managed_submitted(actor, ids), TimeEntry.State.DRAFT, actor=actor)


@transaction.atomic
def project_from_template(template: ProjectTemplate, *, opportunity, actor=None) -> Project:
    """A won deal's project as its template says (REQ PR-1; decision 0106): named after the
    deal, of its customer, managed by its owner, from today; a sub-project per phase and a
    task about it per task template. Once per deal and template: the deal's row is locked and
    the project made from it before is returned again."""
    from kesher.activities.task_templates import task_from_template
    from kesher.sales.models import Opportunity

    Opportunity._base_manager.select_for_update().filter(pk=opportunity.pk).first()
    made = Project._base_manager.filter(opportunity=opportunity, template=template).first()
    if made is not None:
        return made
    if opportunity.account_id is None:
        raise ValidationError(_("The deal has no customer to make a project for."))
    common = {
        "account": opportunity.account,
        "owner": opportunity.owner,
        "stage": template.stage,
        "billing_mode": template.billing_mode,
        "start_date": timezone.localdate(),
    }
    project = record_create(
        "projects",
        actor=actor,
        data={
            **common,
            "name": opportunity.name[:200],
            "opportunity": opportunity,
            "budget_hours": template.budget_hours,
            "description": template.description,
        },
    )
    Project._base_manager.filter(pk=project.pk).update(template=template)
    project.template = template
    for phase in template.phase_names():
        record_create("projects", actor=actor, data={**common, "name": phase, "parent": project})
    for task_template in template.task_templates.order_by("name", "id"):
        task_from_template(task_template, record=project, actor=actor)
    return project


# --- the running timer (decision 0116) ------------------------------------------------------


def running_timer(user) -> RunningTimer | None:
    """The user's running timer, with its project, or None."""
    return RunningTimer.objects.select_related("project").filter(user=user).first()


@transaction.atomic
def timer_start(
    *, actor, project, task=None, ticket=None, description: str = "", billable: bool = True
) -> tuple[RunningTimer, TimeEntry | None]:
    """Start the actor's timer on a project he may report on (a task or ticket of it). A
    timer already running is stopped first, its time becoming an entry: one clock per person.
    Returns the new timer and the entry the old one made, if any."""
    from kesher.platform.access import can

    if not can(actor, "time-entries", "add"):
        raise ValidationError(_("You may not report hours."))
    project = _resolve(Project, project)
    if project is None or not may_report_on(actor, project):
        raise ValidationError(
            {"project": [_("The employee may not report hours on this project.")]}
        )
    # The probe that a time entry's own checks make: the task and ticket are of the project.
    probe = TimeEntry(project=project, task_id=_pk(task), ticket_id=_pk(ticket))
    probe.clean()
    made = None
    if RunningTimer.objects.select_for_update().filter(user=actor).exists():
        made = timer_stop(actor=actor)
    timer = RunningTimer.objects.create(
        user=actor,
        project=project,
        task_id=_pk(task),
        ticket_id=_pk(ticket),
        description=(description or "")[:500],
        billable=billable,
        started_at=timezone.now(),
    )
    return timer, made


def _pk(value):
    return getattr(value, "pk", value) or None


@transaction.atomic
def timer_stop(*, actor, description: str | None = None) -> TimeEntry | None:
    """Stop the actor's timer: a draft time entry of the minutes it ran (at least one, at most
    a day) on the day it started. None when it ran under a minute: nothing to report. Refused
    when no timer runs — two clicks on "stop" make one entry."""
    timer = RunningTimer.objects.select_for_update().filter(user=actor).first()
    if timer is None:
        raise ValidationError(_("No timer is running."))
    minutes = min(timer.elapsed_minutes(), MINUTES_PER_DAY)
    timer.delete()
    if minutes < 1:
        return None
    return time_entry_create(
        actor=actor,
        data={
            "project": timer.project,
            "task": timer.task_id,
            "ticket": timer.ticket_id,
            "date": timezone.localtime(timer.started_at).date(),
            "minutes": minutes,
            "billable": timer.billable,
            "description": timer.description if description is None else description[:500],
        },
    )


def timer_discard(*, actor) -> None:
    """Throw the actor's running timer away, reporting nothing."""
    timer = RunningTimer.objects.filter(user=actor).first()
    if timer is not None:  # no statement that writes when none runs
        timer.delete()
