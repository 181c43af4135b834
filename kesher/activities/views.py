"""Activities' pages beyond the generic ones (thin: parse, authorize, load with ``visible_to``,
call the service): quick forms on a record's page, task tabs, the notifications center, the
calendar and its feed, the 360° timeline, "not contacted", the team feed and task reports."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kesher.activities import (
    agenda,
    callbacks,
    ical,
    meetings,
    selectors,
    services,
)
from kesher.activities.models import ActivityPreferences, CallbackRun, Notification, Task
from kesher.org.models import Department, User
from kesher.platform.access import can
from kesher.platform.models import Choice
from kesher.platform.records.links import linkable_keys, resolve_link
from kesher.platform.registry import registry
from kesher.platform.ui.forms import form_for
from kesher.platform.ui.pages import render_partial, save_form

LINK = ("link_type", "link_id")
# An interaction or a task starts about the page's record, in a picker that may choose another
# (the account's contact, say); an alert is always on the page's record.
QUICK_FIELDS = {
    "interactions": ("kind", "direction", "subject", *LINK, "body", "duration_minutes", "outcome"),
    "tasks": (
        "title",
        *LINK,
        "task_type",
        "priority",
        "due_at",
        "reminder_at",
        "assignee",
        "notes",
    ),
    "manual-alerts": ("message", "level", "expires_at"),
}


class _LinkedEntity:
    """The entity as ``save_form`` sees it, with a create service that adds the record link."""

    def __init__(self, entity, key, pk):
        self._entity, self._link = entity, {"link_type": key, "link_id": pk}

    def __getattr__(self, name):
        return getattr(self._entity, name)

    def create_service(self, *, actor, data, m2m=None):
        return self._entity.create_service(actor=actor, data={**data, **self._link}, m2m=m2m)


def _linked_record(request, key, pk):
    if key not in linkable_keys() or not can(request.user, key, "view"):
        raise Http404
    return get_object_or_404(registry.get(key).model.objects.visible_to(request.user), pk=pk)


@login_required
def quick_create(request, what, key, pk):
    """The small form a record's page opens to log an interaction or add a task (issue 4
    item 1: "quick logging from the record page in two clicks")."""
    if what not in QUICK_FIELDS:
        raise Http404
    if not can(request.user, what, "add"):
        raise PermissionDenied
    record = _linked_record(request, key, pk)
    entity = registry.get(what)
    fields = QUICK_FIELDS[what]
    form_class = form_for(entity, request.user, fields=fields)
    initial = {"link_type": key, "link_id": record.pk} if "link_id" in fields else {}
    if what == "interactions":
        call = Choice.objects.filter(list_key="interaction_kind", value="call").first()
        initial.update({"kind": call.pk if call else None, "direction": "out"})
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved_as = entity if "link_id" in fields else _LinkedEntity(entity, key, record.pk)
        obj = save_form(request, saved_as, form)
        if obj is not None:
            messages.success(request, _("%(label)s saved.") % {"label": obj})
            target = reverse("entity_detail", args=[key, record.pk])
            if request.htmx:
                return HttpResponseClientRedirect(target)
            return redirect(target)
    context = {"form": form, "what": what, "entity": entity, "record": record, "key": key}
    template = "activities/quick_form.html"
    if request.htmx:
        return render(request, f"{template}#form", context)
    return render(request, template, context)


@login_required
def task_tabs(request):
    """ "My tasks", "my team's tasks", "delegated by me" (issue 4 item 2)."""
    if not can(request.user, "tasks", "view"):
        raise PermissionDenied
    tab = request.GET.get("tab", "mine")
    if tab not in selectors.TASK_TABS:
        tab = "mine"
    tasks = list(selectors.task_list(request.user, tab)[:200])
    context = {
        "tab": tab,
        "tabs": [
            ("mine", _("My tasks")),
            ("team", _("My team's tasks")),
            ("delegated", _("Delegated by me")),
        ],
        "tasks": tasks,
        "can_add": can(request.user, "tasks", "add"),
    }
    return render(request, "activities/tasks.html", context)


# The rows task lists show, by their partial in activities/task_rows.html.
TASK_ROWS = ("table", "item")


@require_POST
@login_required
def task_complete(request, pk):
    """One click marks a task done, whoever may change it: the delegate of a task on a record
    outside his scope too (REQ TK-3). htmx gets the row it was clicked in, as the task is now;
    on the task's own page, and without htmx, the page reloads."""
    if not can(request.user, "tasks", "change"):
        raise PermissionDenied
    task = get_object_or_404(Task.objects.visible_to(request.user), pk=pk)
    error = ""
    try:
        services.task_complete(task, actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    row = request.POST.get("row", "")
    if request.htmx and row in TASK_ROWS:
        context = {"t": selectors.task_row(request.user, pk), "error": error}
        return render(request, f"activities/task_rows.html#{row}", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Task done: %(title)s") % {"title": task.title})
    target = reverse("entity_detail", args=["tasks", pk])
    next_url = request.POST.get("next", "")
    if row != "page" and url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        target = next_url
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


@login_required
def notifications(request):
    """The notifications center: the user's own, newest first (issue 4 item 5)."""
    rows = list(selectors.notifications_of(request.user)[:100])
    return render(request, "activities/notifications.html", {"notifications": rows})


@require_POST
@login_required
def notification_open(request, pk):
    """Mark one notification read and go to its record."""
    note = get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
    services.notification_mark_read(note, actor=request.user)
    if note.link_type and note.link_id and note.link_type in registry.keys():  # noqa: SIM118
        return redirect(reverse("entity_detail", args=[note.link_type, note.link_id]))
    return redirect(reverse("activities_notifications"))


@require_POST
@login_required
def notifications_read_all(request):
    services.notification_mark_all_read(actor=request.user)
    messages.success(request, _("All notifications marked read."))
    next_url = request.POST.get("next") or reverse("activities_notifications")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("activities_notifications")
    return redirect(next_url)


# --- calendar and its feed (issue 4 item 4) -------------------------------------------------------


def _calendar_person(request):
    """The person whose calendar is shown: the viewer, or someone he may pick (404 else)."""
    people = selectors.calendar_people(request.user)
    wanted = request.GET.get("user")
    if not wanted or wanted == str(request.user.pk):
        return request.user, people
    try:
        return people.get(pk=int(wanted)), people
    except (ValueError, User.DoesNotExist):
        raise Http404 from None


@login_required
def calendar(request):
    """Day, week or month of one person's meetings and tasks; a manager or the back office
    picks a team member (REQ SA-13)."""
    if not (can(request.user, "tasks", "view") or can(request.user, "interactions", "view")):
        raise PermissionDenied
    person, people = _calendar_person(request)
    view = request.GET.get("view", "week")
    day = agenda.parse_day(request.GET.get("date"))
    grid = agenda.build_agenda(request.user, person, view, day)
    prefs = ActivityPreferences.objects.filter(user=request.user).first()
    today = timezone.localdate()
    hours = []
    if grid.view == "day":
        week = services.calendar_for(person)
        hours = grid.hours(week.day_start.hour, week.day_end.hour + bool(week.day_end.minute))
    context = {
        "grid": grid,
        "hours": hours,
        "person": person,
        "people": list(people[:500]),
        "views": [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
        "previous_label": {
            "day": _("Previous day"),
            "week": _("Previous week"),
            "month": _("Previous month"),
        }[grid.view],
        "next_label": {"day": _("Next day"), "week": _("Next week"), "month": _("Next month")}[
            grid.view
        ],
        "weekdays": [
            _("Sunday"),
            _("Monday"),
            _("Tuesday"),
            _("Wednesday"),
            _("Thursday"),
            _("Friday"),
            _("Saturday"),
        ],
        "today": today,
        "showing_today": grid.period_start <= today < grid.period_end,
        # "New meeting" starts on the day shown, or today when that day is past.
        "book_day": max(grid.day, today),
        "feed_active": bool(prefs and prefs.ical_token_hash),
        "feed_url": request.session.pop("activities_new_feed_url", ""),
        "digest": bool(prefs and prefs.daily_digest),
        "can_book": can(request.user, "interactions", "add")
        and meetings.meeting_kind() is not None,
    }
    return render(request, "activities/calendar.html", context)


@login_required
def meeting_new(request):
    """The calendar's "new meeting" (issue 14 item 7): the interaction form shaped for a
    meeting, starting at the slot or day clicked (``at``), for the person whose calendar it was
    (``user``); back to that calendar once saved. htmx asks it for the chosen record's
    contacts, offered as participants in one click."""
    if not can(request.user, "interactions", "add"):
        raise PermissionDenied
    kind = meetings.meeting_kind()
    if kind is None:
        raise Http404
    if request.htmx and request.method == "GET":
        context = {"record_contacts": _record_contacts(request, request.GET)}
        return render(request, "activities/meeting_form.html#record-contacts", context)
    people = selectors.calendar_people(request.user)
    wanted = request.GET.get("user", "")
    owner = people.filter(pk=wanted).first() if wanted.isdigit() else None
    owner = owner or request.user
    initial = {
        "occurred_at": meetings.meeting_start(request.GET.get("at"), owner),
        "duration_minutes": meetings.DEFAULT_MINUTES,
        "owner": owner.pk,
        **{k: request.GET[k] for k in ("link_type", "link_id") if request.GET.get(k)},
    }
    form = meetings.meeting_form(request.user)(request.POST or None, initial=initial, kind=kind)
    view = request.POST.get("view") or request.GET.get("view", "week")
    view = view if view in agenda.VIEWS else "week"
    if request.method == "POST" and form.is_valid():
        meeting = save_form(request, registry.get("interactions"), form)
        if meeting is not None:
            messages.success(request, _("Meeting booked: %(subject)s") % {"subject": meeting})
            shown = people.filter(pk=meeting.owner_id).first() if meeting.owner_id else None
            return redirect(_calendar_url(view, meeting.occurred_at, shown))
    source = (
        form.data
        if form.is_bound
        else {
            "link_type": form.initial.get("link_type"),
            "link_id": form.initial.get("link_id"),
        }
    )
    context = {
        "form": form,
        "groups": _meeting_groups(form),
        "record_contacts": _record_contacts(request, source),
        "view": view,
        "back": _calendar_url(view, initial["occurred_at"], owner),
    }
    return render(request, "activities/meeting_form.html", context)


def _calendar_url(view: str, when: datetime.datetime, person=None) -> str:
    day = timezone.localtime(when).date().isoformat()
    url = f"{reverse('activities_calendar')}?view={view}&date={day}"
    return f"{url}&user={person.pk}" if person is not None else url


def _meeting_groups(form):
    """The form's visible fields in the page's groups; fields no group names (custom fields)
    last. A hidden one (the kind) goes with the form's hidden inputs."""
    placed = {name for _group, names in meetings.LAYOUT for name in names}
    groups = [
        (group, [form[n] for n in names if n in form.fields and not form[n].is_hidden])
        for group, names in meetings.LAYOUT
    ]
    rest = [f for f in form.visible_fields() if f.name not in placed]
    return [*groups, ("more", rest)]


def _record_contacts(request, data) -> list:
    """The contacts of the record a meeting is about, if the user may see it and them."""
    if not data.get("link_id"):
        return []
    try:
        record = resolve_link(data.get("link_type") or "", data.get("link_id"), request.user)
    except ValidationError:
        return []
    return selectors.record_contacts(record, request.user) if record is not None else []


@require_POST
@login_required
def calendar_feed(request):
    """Make a new secret feed link (the old one stops working) or revoke it (REQ OR-6)."""
    if request.POST.get("action") == "revoke":
        services.calendar_feed_revoke(actor=request.user)
        messages.success(request, _("Your calendar link no longer works."))
    else:
        token = services.calendar_feed_regenerate(actor=request.user)
        url = request.build_absolute_uri(reverse("activities_ical", args=[token]))
        # Shown once, on the next page only: the token itself is not stored.
        request.session["activities_new_feed_url"] = url
        messages.success(request, _("A new calendar link was made; any older link stops working."))
    return redirect(reverse("activities_calendar"))


@require_POST
@login_required
def digest_setting(request):
    enabled = request.POST.get("daily_digest") == "on"
    services.digest_set(actor=request.user, enabled=enabled)
    messages.success(
        request,
        _("You will get a daily email digest.") if enabled else _("Daily digest turned off."),
    )
    return redirect(reverse("activities_calendar"))


def ical_feed(request, token):
    """The secret feed Google Calendar and Outlook subscribe to: only its owner's items."""
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    user = ical.feed_for_token(token)
    if user is None:
        raise Http404
    response = HttpResponse(ical.user_feed(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kesher.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- not contacted for X days (REQ CU-9) ----------------------------------------------------------


@login_required
def not_contacted(request):
    """Accounts whose last contact is older than X days, and the one action that asks each
    owner to call back (in the worker, with progress)."""
    if not can(request.user, "accounts", "view"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    errors = {}
    try:
        days, filters = callbacks.clean_filters(source)
    except ValidationError as error:
        errors = error.message_dict
        days, filters = 90, {}
    if request.method == "POST" and not errors:
        if not can(request.user, "tasks", "add"):
            raise PermissionDenied
        run = callbacks.callback_start(actor=request.user, days=days, filters=filters)
        return redirect(reverse("activities_callback_run", args=[run.pk]))
    accounts = selectors.not_contacted(request.user, days, **filters)
    rows = selectors.first_by_rating(accounts, 200)
    context = {
        "days": days,
        "filters": filters,
        "errors": errors,
        "rows": rows,
        "count": accounts.count() if len(rows) == 200 else len(rows),
        "owners": selectors.calendar_people(request.user),
        "statuses": Choice.objects.filter(list_key="account_status", active=True),
        "can_run": can(request.user, "tasks", "add") and bool(rows),
    }
    return render(request, "activities/not_contacted.html", context)


@login_required
def callback_run(request, pk):
    """A call-back run's progress (htmx polls it each second until it ends) and result."""
    run = get_object_or_404(CallbackRun.objects.filter(actor=request.user), pk=pk)
    return render_partial(request, "activities/callback_run.html", {"run": run}, "progress")


# --- what my team is doing now (REQ CU-10) --------------------------------------------------------


@login_required
def team_now(request):
    """A live feed of the viewer's people (the department subtree he may see): current
    meeting, tasks in progress, latest interactions. htmx refreshes it every minute."""
    if not can(request.user, "interactions", "view"):
        raise PermissionDenied
    people = selectors.calendar_people(request.user)
    departments = Department.objects.filter(
        pk__in=people.exclude(department__isnull=True).values("department_id")
    ).order_by("path")
    department = request.GET.get("department", "")
    if department:
        try:
            people = people.filter(department__path__startswith=departments.get(pk=department).path)
        except (ValueError, Department.DoesNotExist):
            raise Http404 from None
    feed = selectors.team_now(request.user, people[:200])
    context = {"feed": feed, "departments": departments, "department": department}
    return render_partial(request, "activities/team.html", context, "feed")


# --- task reports (REQ TK-7) ----------------------------------------------------------------------


def report_period(data) -> tuple[datetime.date, datetime.date]:
    today = timezone.localdate()
    start = agenda.parse_day(data.get("from")) if data.get("from") else today.replace(day=1)
    end = agenda.parse_day(data.get("to")) if data.get("to") else today
    if end < start:
        start, end = end, start
    return start, end


@login_required
def task_reports(request):
    """Open / overdue / done by user, type or month, SLA compliance, and a chart."""
    if not can(request.user, "tasks", "view"):
        raise PermissionDenied
    group = request.GET.get("group", "user")
    group = group if group in selectors.REPORT_GROUPS else "user"
    start, end = report_period(request.GET)
    rows = selectors.task_report(
        request.user,
        group,
        agenda.start_of_day(start),
        agenda.start_of_day(end + datetime.timedelta(days=1)),
    )
    labels = {
        "title": _("Tasks by %(group)s") % {"group": dict(_report_groups())[group]},
        "done": pgettext("task report", "Done"),
        "open_not_overdue": pgettext("task report", "Open"),
        "overdue": pgettext("task report", "Overdue"),
    }
    totals = {
        k: sum(r[k] for r in rows)
        for k in ("total", "open", "overdue", "done", "sla_met", "sla_missed")
    }
    judged = totals["sla_met"] + totals["sla_missed"]
    totals["sla_percent"] = round(totals["sla_met"] * 100 / judged) if judged else None
    context = {
        "rows": rows,
        "totals": totals,
        "group": group,
        "groups": _report_groups(),
        "start": start,
        "end": end,
        "chart": _task_chart(rows, labels),
        "chart_height": 70 + 32 * len(rows),
    }
    return render(request, "activities/reports.html", context)


def _task_chart(rows: list[dict], labels: dict) -> dict:
    """The task report's stacked bars — done, open, overdue per row — drawn by Apache ECharts
    (kesher.reports.charts, decision 0071); the table under it holds the same figures."""
    from kesher.reports.charts import stacked_bars

    series = [
        (labels["done"], "#198754", [r["done"] for r in rows]),
        (labels["open_not_overdue"], "#0d6efd", [r["open"] - r["overdue"] for r in rows]),
        (labels["overdue"], "#dc3545", [r["overdue"] for r in rows]),
    ]
    return stacked_bars([str(r["label"]) for r in rows], series, labels["title"])


def _report_groups():
    return [("user", _("user")), ("type", _("task type")), ("month", _("month"))]
