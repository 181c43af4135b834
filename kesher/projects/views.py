"""Projects' own pages: the weekly timesheet, its submission, the project manager's approvals
(REQ PR-2), payroll, the planning board and invoicing the approved hours (PR-3, PR-4). Views
stay thin: the selectors read, the services write."""

from __future__ import annotations

import csv
import datetime
import io
import re
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.platform.access import is_admin
from kesher.platform.lists.export import neutralize
from kesher.platform.ui.pages import entity_for, render_partial
from kesher.platform.visibility import hidden_fields
from kesher.projects import invoicing, selectors, services
from kesher.projects.payroll import absence_kinds, payroll_month, rule_for
from kesher.projects.profitability import cost_visible, profitability

CELL = re.compile(r"^c-(\d+)-(\d{4}-\d{2}-\d{2})$")
HOURS_MINUTES = re.compile(r"^(\d{1,2}):([0-5]\d)$")
MAX_MINUTES = 24 * 60


def _week(request) -> datetime.date:
    raw = request.GET.get("week") or request.POST.get("week") or ""
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return timezone.localdate()


def parse_minutes(raw: str) -> int:
    """A cell's hours as minutes: "7:30", "7.5", "7,5" or "" (none). Raises ValueError."""
    raw = raw.strip()
    if not raw:
        return 0
    match = HOURS_MINUTES.match(raw)
    if match:
        minutes = int(match[1]) * 60 + int(match[2])
    else:
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise ValueError(raw) from None
        if not value.is_finite() or value < 0:
            raise ValueError(raw)
        minutes = int((value * 60).to_integral_value())
    if minutes > MAX_MINUTES:
        raise ValueError(raw)
    return minutes


def _sheet_context(request, week, errors=()):
    today = timezone.localdate()
    return {
        "sheet": selectors.timesheet(request.user, week),
        "balance": selectors.month_balance(request.user, today),
        "errors": list(errors),
        "today": today,
    }


@login_required
def timesheet(request):
    """The user's week: projects as rows, Sunday to Saturday as columns (REQ PR-2)."""
    entity_for("time-entries", request.user, "add")
    week = _week(request)
    errors: list[str] = []
    status = 200
    if request.method == "POST":
        cells: dict[tuple[int, datetime.date], int] = {}
        for name, value in request.POST.items():
            match = CELL.match(name)
            if not match:
                continue
            try:
                day = datetime.date.fromisoformat(match[2])
                cells[(int(match[1]), day)] = parse_minutes(value)
            except ValueError:
                errors.append(
                    _("“%(value)s” is not a number of hours (7.5 or 7:30).") % {"value": value}
                )
        if not errors:
            try:
                changed = services.timesheet_save(actor=request.user, week=week, cells=cells)
            except ValidationError as exc:
                errors.extend(exc.messages)
            else:
                if not request.htmx:
                    messages.success(request, _("The week was saved."))
                    return redirect(f"{reverse('projects_timesheet')}?week={week.isoformat()}")
                context = _sheet_context(request, week)
                context["saved"] = changed
                return render_partial(request, "projects/timesheet.html", context, "grid")
        status = 400
    response = render_partial(
        request, "projects/timesheet.html", _sheet_context(request, week, errors), "grid"
    )
    response.status_code = status
    return response


@login_required
@require_POST
def timesheet_submit(request):
    """Submit the week's draft hours to the projects' managers."""
    entity_for("time-entries", request.user, "add")
    week = _week(request)
    try:
        count = services.week_submit(actor=request.user, week=week)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(count)s entries were submitted.") % {"count": count})
    return redirect(f"{reverse('projects_timesheet')}?week={services.week_start(week).isoformat()}")


@login_required
def approvals(request):
    """The submitted hours of the projects the user manages, to approve or return."""
    entity_for("time-entries", request.user, "view")
    if request.method == "POST":
        ids = [int(v) for v in request.POST.getlist("entry") if v.isdigit()]
        action = request.POST.get("action")
        try:
            if not ids:
                raise ValidationError(_("Choose the hours to decide on."))
            if action == "approve":
                count = services.entries_approve(actor=request.user, ids=ids)
                messages.success(request, _("%(count)s entries were approved.") % {"count": count})
            elif action == "return":
                count = services.entries_return(actor=request.user, ids=ids)
                messages.success(request, _("%(count)s entries were returned.") % {"count": count})
            else:
                raise ValidationError(_("Choose approve or return."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            response = render_partial(
                request,
                "projects/approvals.html",
                {"entries": selectors.approval_queue(request.user)},
                "queue",
            )
            response.status_code = 400
            return response
        return redirect(reverse("projects_approvals"))
    return render_partial(
        request,
        "projects/approvals.html",
        {"entries": selectors.approval_queue(request.user)},
        "queue",
    )


def _month(request) -> datetime.date:
    raw = (request.POST if request.method == "POST" else request.GET).get("month", "")
    try:
        return datetime.date.fromisoformat(f"{raw}-01")
    except ValueError:
        return timezone.localdate().replace(day=1)


def _payroll_reader(request) -> bool:
    """May the user read the payroll; True when the hours are hidden from his role."""
    entity_for("payroll-rules", request.user, "view")
    entity_for("time-entries", request.user, "view")
    return "minutes" in hidden_fields("time-entries", request.user)


@login_required
def payroll(request):
    """Hours per employee for the month with overtime by the payroll rule and the days away,
    exported (POST ``payroll/export/``) as CSV/XLSX for the payroll system (REQ PR-4; decision
    0122). Hours hidden from the reader's role by a field rule on time entries' minutes are
    not shown or exported."""
    hidden = _payroll_reader(request)
    month = _month(request)
    rows = [] if hidden else payroll_month(request.user, month)
    return render(
        request,
        "projects/payroll.html",
        {
            "month": month,
            "rows": rows,
            "kinds": absence_kinds(rows),
            "hidden": hidden,
            "rule": rule_for(month),
            "export": None if hidden else selectors.payroll_export_state(request.user, month),
            "can_reopen": is_admin(request.user),
        },
    )


@login_required
@require_POST
def payroll_export(request):
    """The month's payroll as CSV/XLSX; its approved hours are marked exported and locked
    (decision 0122), so that exporting it again gives the same file."""
    if _payroll_reader(request):
        raise PermissionDenied
    entity_for("time-entries", request.user, "change")
    fmt = request.POST.get("format")
    if fmt not in ("csv", "xlsx"):
        messages.error(request, _("Choose CSV or XLSX."))
        return redirect(reverse("projects_payroll"))
    month = _month(request)
    services.payroll_export(actor=request.user, month=month)
    rows = payroll_month(request.user, month)
    return _payroll_file(request, month, rows, fmt)


@login_required
@require_POST
def payroll_reopen(request):
    """An administrator reopens a month's export: its unbilled hours go back to approval."""
    _payroll_reader(request)
    month = _month(request)
    try:
        count = services.payroll_reopen(actor=request.user, month=month)
    except ValidationError as exc:
        raise PermissionDenied(" ".join(exc.messages)) from None
    messages.success(
        request,
        _("%(count)s exported entries were reopened; the unbilled ones wait for approval again.")
        % {"count": count},
    )
    return redirect(f"{reverse('projects_payroll')}?month={month:%Y-%m}")


def _hours(minutes: int) -> str:
    return f"{Decimal(minutes) / 60:.2f}"


def _days(days: Decimal) -> str:
    return f"{days:.1f}" if days else "0"


def _payroll_file(request, month, rows, fmt):
    rule = rule_for(month)
    kinds = absence_kinds(rows)
    header = [
        _("Employee"),
        _("Month"),
        _("Days"),
        _("Regular hours"),
        _("Overtime %(percent)s%%") % {"percent": rule.first_overtime_percent},
        _("Overtime %(percent)s%%") % {"percent": rule.further_overtime_percent},
        _("Rest day %(percent)s%%") % {"percent": rule.rest_day_percent},
        _("Total hours"),
        *(_("%(kind)s (days)") % {"kind": kind} for kind in kinds),
    ]
    lines = [header] + [
        [
            row.employee,
            month.strftime("%Y-%m"),
            row.days,
            _hours(row.regular),
            _hours(row.first_overtime),
            _hours(row.further_overtime),
            _hours(row.rest_day),
            _hours(row.total),
            *(_days(row.absences.get(kind.pk, Decimal(0))) for kind in kinds),
        ]
        for row in rows
    ]
    lines = [[neutralize(cell) for cell in line] for line in lines]
    name = f"payroll-{month:%Y-%m}"
    if fmt == "csv":
        buffer = io.StringIO()
        buffer.write("\ufeff")  # Excel reads the Hebrew as UTF-8
        csv.writer(buffer).writerows(lines)
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=name)
    sheet.sheet_view.rightToLeft = request.LANGUAGE_CODE == "he"
    for line in lines:
        sheet.append(line)
    handle = io.BytesIO()
    workbook.save(handle)
    response = HttpResponse(
        handle.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response


@login_required
def board(request):
    """The planning board: people × 12 weeks, planned hours against capacity (REQ PR-3)."""
    entity_for("allocations", request.user, "view")
    try:
        start = datetime.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = timezone.localdate()
    starts, capacity, rows = selectors.planning_board(request.user, start)
    return render(
        request,
        "projects/board.html",
        {
            "starts": starts,
            "capacity": capacity,
            "rows": rows,
            "previous": starts[0] - datetime.timedelta(days=28),
            "next": starts[0] + datetime.timedelta(days=28),
        },
    )


def _date_or_none(raw: str, name: str):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [_("Enter a valid date.")]}) from None


@login_required
def invoice(request):
    """Invoice the approved hours: draft tax invoices of the chosen approved billable hours,
    one per customer, a line per entry (REQ PR-4; decision 0106)."""
    entity_for("time-entries", request.user, "view")
    entity_for("tax-documents", request.user, "add")
    status = 200
    form = request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        try:
            choice = invoicing.resolve_choice(
                request.user,
                account=form.get("account"),
                project=form.get("project"),
                product=form.get("product"),
                date_from=_date_or_none(form.get("date_from"), "date_from"),
                date_to=_date_or_none(form.get("date_to"), "date_to"),
                doc_date=_date_or_none(form.get("doc_date"), "doc_date"),
            )
            documents = invoicing.invoice_hours(actor=request.user, **choice)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            status = 400
        else:
            messages.success(
                request,
                _("%(count)s draft invoices were made of the approved hours.")
                % {"count": len(documents)},
            )
            if len(documents) == 1:
                return redirect(reverse("entity_detail", args=["tax-documents", documents[0].pk]))
            return redirect(f"{reverse('entity_list', args=['tax-documents'])}?status=draft")
    response = render(
        request,
        "projects/invoice.html",
        {"waiting": invoicing.uninvoiced(request.user), "form": form},
    )
    response.status_code = status
    return response


MAX_PERIOD_DAYS = 3 * 366


def period(params, default: str = "year") -> tuple[datetime.date, datetime.date]:
    """A report's dates from ``date_from``/``date_to`` (by default this year, or this month,
    so far); refuses an unreadable date, an end before the start or more than three years."""
    today = timezone.localdate()
    start = today.replace(day=1) if default == "month" else today.replace(month=1, day=1)
    first = _date_or_none(params.get("date_from", ""), "date_from") or start
    last = _date_or_none(params.get("date_to", ""), "date_to") or today
    if (last - first).days > MAX_PERIOD_DAYS:
        raise ValidationError({"date_to": [_("Choose at most three years.")]})
    if last < first:
        raise ValidationError({"date_to": [_("The end date is before the start date.")]})
    return first, last


@login_required
def profitability_page(request):
    """Each project's approved hours: their value at the rate cards and as invoiced against
    their cost at the employees' cost rates (issue 20 item 5; decision 0116)."""
    entity_for("projects", request.user, "view")
    entity_for("time-entries", request.user, "view")
    status = 200
    try:
        first, last = period(request.GET)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        first, last, status = None, None, 400
    hidden = "minutes" in hidden_fields("time-entries", request.user)
    rows = (
        []
        if hidden or first is None
        else profitability(request.user, date_from=first, date_to=last)
    )
    response = render(
        request,
        "projects/profitability.html",
        {
            "rows": rows,
            "date_from": first,
            "date_to": last,
            "hidden": hidden,
            "show_cost": cost_visible(request.user),
        },
    )
    response.status_code = status
    return response


@login_required
def utilisation_page(request):
    """Each person's reported hours against the period's capacity on the business calendar
    and the payroll rule's daily hours (REQ PR-3, RE-1; decision 0116)."""
    entity_for("time-entries", request.user, "view")
    status = 200
    try:
        first, last = period(request.GET, default="month")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        first, last, status = None, None, 400
    hidden = "minutes" in hidden_fields("time-entries", request.user)
    rows = [] if hidden or first is None else selectors.utilisation(request.user, first, last)
    response = render(
        request,
        "projects/utilisation.html",
        {
            "rows": rows,
            "date_from": first,
            "date_to": last,
            "hidden": hidden,
            "capacity": selectors.capacity_hours(first, last) if first else None,
        },
    )
    response.status_code = status
    return response


def _back(request, fallback: str):
    """Where a timer's button came from (the project's page, the timesheet), else ``fallback``."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


@login_required
@require_POST
def timer_start(request):
    """Start the user's timer on a project (a task or ticket of it) from one click."""
    entity_for("time-entries", request.user, "add")
    try:
        services.timer_start(
            actor=request.user,
            project=request.POST.get("project") or None,
            task=request.POST.get("task") or None,
            ticket=request.POST.get("ticket") or None,
            description=request.POST.get("description", ""),
            billable=request.POST.get("billable", "on") != "off",
        )
    except (ValidationError, ValueError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)
    else:
        messages.success(request, _("The timer is running."))
    return _back(request, reverse("projects_timesheet"))


@login_required
@require_POST
def timer_stop(request):
    """Stop the user's timer: its minutes become a draft time entry."""
    entity_for("time-entries", request.user, "add")
    try:
        entry = services.timer_stop(
            actor=request.user, description=request.POST.get("description") or None
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _back(request, reverse("projects_timesheet"))
    if entry is None:
        messages.info(request, _("The timer ran under a minute: nothing was reported."))
        return _back(request, reverse("projects_timesheet"))
    messages.success(
        request,
        _("%(hours)s h were reported on %(project)s.")
        % {"hours": f"{entry.minutes // 60}:{entry.minutes % 60:02d}", "project": entry.project},
    )
    return redirect(f"{reverse('projects_timesheet')}?week={entry.date.isoformat()}")


@login_required
@require_POST
def timer_discard(request):
    entity_for("time-entries", request.user, "add")
    services.timer_discard(actor=request.user)
    messages.info(request, _("The timer was discarded."))
    return _back(request, reverse("projects_timesheet"))
