"""Reads of activities, each scoped through ``visible_to`` (STYLE.md "selectors")."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from kesher.activities.models import Interaction, Notification, Task
from kesher.org.models import User
from kesher.platform.access import grant
from kesher.platform.models import Choice
from kesher.platform.records.links import resolve_link

__all__ = [
    "REPORT_GROUPS",
    "TASK_TABS",
    "about_record",
    "calendar_people",
    "first_by_rating",
    "not_contacted",
    "notifications_of",
    "parent_task",
    "record_contacts",
    "record_interactions",
    "record_tasks",
    "register_team_activity",
    "subtasks",
    "task_list",
    "task_report",
    "task_row",
    "team_now",
    "unread_count",
    "user_interactions",
    "user_meetings",
    "user_tasks",
]

TASK_TABS = ("mine", "team", "delegated")
# What a task list shows of each task, read with it.
TASK_ROW_RELATED = ("status", "priority", "task_type", "assignee", "delegated_by")


def task_list(user, tab: str = "mine", include_closed: bool = False):
    """Tasks of one tab: "mine" (assigned to me), "team" (assigned to anyone in my department
    subtree), "delegated" (handed by me to others; REQ TK-3)."""
    qs = Task.objects.visible_to(user).select_related(*TASK_ROW_RELATED)
    if tab == "team":
        if user.department_id:
            members = User.objects.filter(department__path__startswith=user.department.path).values(
                "pk"
            )
            qs = qs.filter(assignee__in=members)
        else:
            qs = qs.filter(assignee=user)
    elif tab == "delegated":
        qs = qs.filter(delegated_by=user).exclude(assignee=user)
    else:
        qs = qs.filter(assignee=user)
    if not include_closed:
        qs = qs.filter(is_open=True)
    return qs.order_by("due_at", "id")


def task_row(user, pk: int) -> Task:
    """One task as a task list shows it (after it was marked done, say)."""
    return Task.objects.visible_to(user).select_related(*TASK_ROW_RELATED).get(pk=pk)


def parent_task(task: Task, user) -> Task | None:
    """The parent of ``task`` if ``user`` may see it."""
    if task.parent_id is None:
        return None
    return Task.objects.visible_to(user).filter(pk=task.parent_id).first()


def subtasks(task: Task, user, limit: int = 50) -> list:
    """The sub-tasks of ``task`` that ``user`` may see, open and closed (REQ TK-2)."""
    return list(
        Task.objects.visible_to(user)
        .filter(parent_id=task.pk)
        .select_related("status", "priority", "assignee")
        .order_by("due_at", "id")[:limit]
    )


def about_record(obj, user):
    """The record an interaction or a task is about, if ``user`` may see it, else None: a
    delegate sees the task, never the name of a record outside his scope (REQ OR-3, TK-3)."""
    if not obj.link_type or obj.link_id is None:
        return None
    try:
        return resolve_link(obj.link_type, obj.link_id, user)
    except ValidationError:
        return None


def record_tasks(record_key: str, record_pk: int, user, limit: int = 10) -> list:
    """Open tasks of one record, for its page's panel."""
    return list(
        Task.objects.visible_to(user)
        .filter(link_type=record_key, link_id=record_pk, is_open=True)
        .select_related("status", "priority", "assignee")
        .order_by("due_at", "id")[:limit]
    )


def record_interactions(record_key: str, record_pk: int, user, limit: int = 10) -> list:
    """Recent interactions of one record, for its page's panel."""
    return list(
        Interaction.objects.visible_to(user)
        .filter(link_type=record_key, link_id=record_pk)
        .select_related("kind", "outcome", "owner")
        .order_by("-occurred_at", "-id")[:limit]
    )


def notifications_of(user):
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- calendars (issue 4 item 4) -----------------------------------------------------------------


def calendar_people(viewer):
    """Whose calendar ``viewer`` may open: his own; a department-scoped role (a manager) also
    his department subtree's people; an "all" role (the back office that books meetings for
    field salespeople, REQ SA-13) everyone active."""
    people = User.objects.filter(is_active=True).select_related("department")
    scope = grant(viewer, "tasks").scope if grant(viewer, "tasks").view else "own"
    if scope == "all":
        return people.order_by("first_name", "last_name", "pk")
    if scope == "department" and viewer.department_id:
        people = people.filter(department__path__startswith=viewer.department.path)
        return (people | User.objects.filter(pk=viewer.pk)).order_by(
            "first_name", "last_name", "pk"
        )
    return User.objects.filter(pk=viewer.pk)


def user_meetings(viewer, person, start, end):
    """Meetings ``person`` owns or takes part in between ``start`` and ``end``, as far as
    ``viewer`` may see them."""
    through = Interaction.participant_users.through
    joined = through.objects.filter(user_id=person.pk).values("interaction_id")
    return (
        Interaction.objects.visible_to(viewer)
        .filter(kind__value="meeting", occurred_at__gte=start, occurred_at__lt=end)
        .filter(Q(owner=person) | Q(pk__in=joined))
        .select_related("kind", "owner")
        .order_by("occurred_at", "id")
    )


def user_interactions(user, *, before, limit: int = 5) -> list:
    """The latest interactions ``user`` logged or took part in up to ``before`` (the home
    page's card: a meeting a colleague logged with you is your work too)."""
    through = Interaction.participant_users.through
    joined = through.objects.filter(user_id=user.pk).values("interaction_id")
    return list(
        Interaction.objects.visible_to(user)
        .filter(Q(owner=user) | Q(pk__in=joined), occurred_at__lte=before)
        .select_related("kind", "outcome")
        .order_by("-occurred_at", "-id")[:limit]
    )


def user_tasks(viewer, person, start, end):
    """Tasks assigned to ``person`` due between ``start`` and ``end``, as far as ``viewer``
    may see them."""
    return (
        Task.objects.visible_to(viewer)
        .filter(assignee=person, due_at__gte=start, due_at__lt=end)
        .select_related("status", "priority")
        .order_by("due_at", "id")
    )


def record_contacts(record, viewer, limit: int = 20) -> list:
    """The contacts a meeting about ``record`` would invite, as far as ``viewer`` may see them:
    the record itself when it is a contact, else the contacts related to it (an account's
    people; a later entity's contact field), found from the models' relations, not a list of
    entity keys."""
    contact_model = Interaction.participant_contacts.field.related_model
    contacts = contact_model.objects.visible_to(viewer)
    if isinstance(record, contact_model):
        return list(contacts.filter(pk=record.pk))
    related = [
        f.name
        for f in contact_model._meta.get_fields()
        if f.is_relation and f.related_model is type(record)
    ]
    if not related:
        return []
    condition = Q(pk__in=[])
    for name in related:
        condition |= Q(**{name: record})
    # The contacts' own ordering (by name), which a distinct query keeps.
    return list(contacts.filter(condition).distinct()[:limit])


# --- not contacted for X days (REQ CU-9) ---------------------------------------------------------


def not_contacted(user, days: int, *, owner=None, status=None, city: str = ""):
    """Accounts ``user`` may see whose last contact is more than ``days`` days ago (or never),
    longest-waiting first."""
    from kesher.customers.models import Account

    cutoff = timezone.now() - datetime.timedelta(days=days)
    qs = Account.objects.visible_to(user).filter(
        Q(last_contact_at__lt=cutoff) | Q(last_contact_at__isnull=True)
    )
    if owner:
        qs = qs.filter(owner_id=owner)
    if status:
        qs = qs.filter(status_id=status)
    if city:
        qs = qs.filter(city=city)
    return qs.select_related("owner", "status", "rating").order_by(
        F("last_contact_at").asc(nulls_first=True), "id"
    )


def first_by_rating(accounts, limit: int) -> list:
    """The first ``limit`` of ``accounts`` (in their order) with the best-rated customers
    first — A, then B, then C as the rating pick-list orders them, the unrated last
    (REQ TK-8). One query per rating, each a range of the (rating, last contact) index, rather
    than one sort of every account by its rating's order."""
    ratings = list(
        Choice.objects.filter(list_key="account_rating")
        .order_by("order", "pk")
        .values_list("pk", flat=True)
    )
    rows: list = []
    for rating in [*ratings, None]:
        if len(rows) >= limit:
            break
        rows += list(accounts.filter(rating=rating)[: limit - len(rows)])
    return rows


# --- what my team is doing now (REQ CU-10) -----------------------------------------------------

LONGEST_MEETING = datetime.timedelta(hours=12)
DEFAULT_MEETING_MINUTES = 60

# Other apps' latest work of the team (sales: new deals and stage moves, REQ CU-10): each
# ``source(viewer, member_ids, now, latest)`` returns entries {"at", "user_id", "label",
# "text", "url"} of records the viewer may see, newest first.
_team_sources: list = []


def register_team_activity(source):
    """Add another app's work to "what my team is doing now"."""
    _team_sources.append(source)
    return source


def team_now(viewer, members, now=None, latest: int = 20) -> dict:
    """For each of ``members``: the meeting going on now and the tasks in progress; the team's
    latest interactions; and its latest work in other apps (``register_team_activity``). Four
    queries whatever the team's size, and one per other app; everything through
    ``visible_to(viewer)``."""
    now = now or timezone.now()
    members = list(members)
    ids = [m.pk for m in members]
    meetings = (
        Interaction.objects.visible_to(viewer)
        .filter(
            kind__value="meeting",
            owner_id__in=ids,
            occurred_at__lte=now,
            occurred_at__gt=now - LONGEST_MEETING,
        )
        .select_related("kind")
        .order_by("occurred_at")
    )
    current = {}
    for meeting in meetings:
        minutes = meeting.duration_minutes or DEFAULT_MEETING_MINUTES
        if meeting.occurred_at + datetime.timedelta(minutes=minutes) > now:
            current[meeting.owner_id] = meeting
    in_progress: dict[int, list] = {}
    tasks = (
        Task.objects.visible_to(viewer)
        .filter(assignee_id__in=ids, is_open=True, status__value="in_progress")
        .select_related("status")
        .order_by("due_at", "id")[:500]
    )
    for task in tasks:
        in_progress.setdefault(task.assignee_id, []).append(task)
    recent = list(
        Interaction.objects.visible_to(viewer)
        .filter(owner_id__in=ids, occurred_at__lte=now)  # not meetings still ahead
        .select_related("kind", "owner", "outcome")
        .order_by("-occurred_at", "-id")[:latest]
    )
    rows = [
        {"user": m, "meeting": current.get(m.pk), "tasks": in_progress.get(m.pk, [])}
        for m in members
    ]
    names = {m.pk: m for m in members}
    work = sorted(
        (entry for source in _team_sources for entry in source(viewer, ids, now, latest)),
        key=lambda entry: entry["at"],
        reverse=True,
    )[:latest]
    for entry in work:
        entry["user"] = names.get(entry["user_id"])
    return {"members": rows, "recent": recent, "work": work}


# --- task reports (REQ TK-7) ----------------------------------------------------------------------

REPORT_GROUPS = ("user", "type", "month")


def task_report(user, group: str, start: datetime.datetime, end: datetime.datetime, now=None):
    """Tasks created between ``start`` and ``end`` that ``user`` may see, grouped by assignee,
    task type or month: open, overdue, done, and SLA compliance (tasks with an SLA that were
    closed in time, against those closed late or still open past it). One grouped query."""
    now = now or timezone.now()
    qs = Task.objects.visible_to(user).filter(created_at__gte=start, created_at__lt=end)
    if group == "type":
        keys = ("task_type_id",)
    elif group == "month":
        qs = qs.annotate(month=TruncMonth("created_at"))
        keys = ("month",)
    else:
        keys = ("assignee_id",)
    rows = list(
        qs.order_by()
        .values(*keys)
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(is_open=True)),
            overdue=Count("pk", filter=Q(is_open=True, due_at__lt=now)),
            done=Count("pk", filter=Q(is_open=False, status__extra__done=True)),
            sla_met=Count("pk", filter=Q(is_open=False, closed_at__lte=F("sla_due_at"))),
            sla_missed=Count(
                "pk",
                filter=Q(is_open=False, closed_at__gt=F("sla_due_at"))
                | Q(is_open=True, sla_due_at__lt=now),
            ),
        )
    )
    labels = _report_labels(group, [r[keys[0]] for r in rows])
    result = []
    for row in rows:
        key = row[keys[0]]
        judged = row["sla_met"] + row["sla_missed"]
        result.append(
            {
                "key": key,
                "label": labels.get(key, "—"),
                "total": row["total"],
                "open": row["open"],
                "overdue": row["overdue"],
                "done": row["done"],
                "sla_met": row["sla_met"],
                "sla_missed": row["sla_missed"],
                "sla_percent": round(row["sla_met"] * 100 / judged) if judged else None,
            }
        )
    if group == "month":
        result.sort(key=lambda r: r["key"] or datetime.datetime.min.replace(tzinfo=datetime.UTC))
    else:
        result.sort(key=lambda r: (-r["total"], str(r["label"])))
    return result


def _report_labels(group: str, keys: list) -> dict:

    present = [k for k in keys if k is not None]
    if group == "type":
        return {c.pk: str(c) for c in Choice.objects.filter(pk__in=present)}
    if group == "month":
        return {k: timezone.localtime(k).strftime("%m/%Y") if k else "—" for k in present}
    return {u.pk: str(u) for u in User.objects.filter(pk__in=present)}
