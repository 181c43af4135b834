"""The report builder, a report's page, dashboards and their widgets (REQ CX-8, RE-4;
decision 0071). Every figure is computed for the reader (``visible_to``), and every figure
links to the list of exactly its records."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.org.models import Role
from kesher.platform import access
from kesher.platform.access import can
from kesher.platform.lists import filterlang
from kesher.platform.models import SavedView
from kesher.platform.registry import registry
from kesher.reports import builder, charts, engine
from kesher.reports.models import Dashboard, Report
from kesher.reports.services import report_create, report_update


def _periods():
    return [
        ("this_month", _("This month")),
        ("last_month", _("Last month")),
        ("this_quarter", _("This quarter")),
        ("this_year", _("This year")),
        ("last_year", _("Last year")),
    ]


def _kpi_periods():
    return [
        ("", "—"),
        ("today", _("Today")),
        ("this_week", _("This week")),
        ("this_month", _("This month")),
        ("this_quarter", _("This quarter")),
        ("this_year", _("This year")),
    ]


def result_context(result: engine.Result, title: str, chart_id: str) -> dict:
    """What ``reports/_result.html`` shows of a result: the chart's option, the pivot or the
    KPI comparison, and the table under them."""
    d = result.definition
    context: dict = {"result": result, "title": title, "chart_id": chart_id, "definition": d}
    context["rows"] = [
        {
            "groups": row.groups,
            "figures": [result.formatted(i, v) for i, v in enumerate(row.figures)],
            "drill": row.drill,
        }
        for row in result.rows
    ]
    context["group_labels"] = [g.label() for g in d.groups]
    context["figure_labels"] = [m.label() for m in d.measures]
    if d.display == "pivot" and len(d.groups) >= 2:
        context["pivot"] = result.pivot()
    if d.period is not None or (d.display == "chart" and d.chart in engine.SINGLE_FIGURE_CHARTS):
        figures = []
        for i, measure in enumerate(d.measures):
            value = result.totals[i] if result.totals else None
            previous = result.previous[i] if result.previous else None
            change = None
            if previous not in (None, 0) and value is not None:
                change = round((float(value) - float(previous)) * 100 / float(previous))
            figures.append(
                {
                    "label": measure.label(),
                    "value": engine.format_figure(measure, value),
                    "previous": engine.format_figure(measure, previous)
                    if result.previous is not None
                    else "",
                    "change": change,
                    "target": engine.format_figure(measure, d.target)
                    if d.target is not None and i == 0
                    else "",
                    "share": round(float(value) * 100 / float(d.target))
                    if d.target is not None and i == 0 and value is not None
                    else None,
                    # A target from the sales targets that none holds today for the reader.
                    "no_target": i == 0 and d.target is None and d.target_source is not None,
                }
            )
        context["kpi"] = figures
    if d.display == "chart":
        context["option"] = charts.option_for(result, title)
    return context


def _run(request, definition: dict, title: str, chart_id: str, params=None) -> dict:
    """Parse and run ``definition`` for the reader with the filter bar's runtime filter."""
    parsed = engine.parse(definition, request.user)
    runtime = builder.runtime_filter(params or request.GET, definition, parsed.entity, request.user)
    result = engine.run(parsed, request.user, runtime)
    return result_context(result, title, chart_id)


@login_required
def report_list(request):
    """The reports and dashboards the reader may open."""
    reports = (
        Report.objects.visible_to(request.user).select_related("owner").order_by("name", "id")
        if can(request.user, "reports", "view")
        else Report.objects.none()
    )
    dashboards = (
        Dashboard.objects.visible_to(request.user).select_related("role").order_by("name", "id")
        if can(request.user, "dashboards", "view")
        else Dashboard.objects.none()
    )
    labels = {e.key: e.label_plural for e in registry.all()}
    return render(
        request,
        "reports/list.html",
        {
            "reports": [(r, labels.get(r.entity, r.entity)) for r in reports],
            "dashboards": dashboards,
            "can_add": can(request.user, "reports", "add"),
        },
    )


def _builder(request, report: Report | None):
    user = request.user
    if report is None and not can(user, "reports", "add"):
        raise PermissionDenied
    if report is not None and not can(user, "reports", "change"):
        raise PermissionDenied
    source = request.POST if request.method == "POST" else request.GET
    entities = builder.reportable_entities(user)
    keys = {e.key for e in entities}
    if source.get("entity"):
        values = dict(source.items())
    elif report is not None:
        values = builder.form_values(report.definition)
        values.update(name=report.name, description=report.description)
    else:
        values = {}
    key = values.get("entity") or ""
    entity = registry.get(key) if key in keys else None
    context: dict = {
        "report": report,
        "entities": entities,
        "entity": entity,
        "values": values,
        "aggregates": list(engine.AGGREGATES.items()),
        "buckets": list(engine.BUCKETS.items()),
        "displays": list(engine.DISPLAYS.items()),
        "charts": list(engine.CHARTS.items()),
        "kpi_periods": _kpi_periods(),
        "target_choices": builder.TARGET_CHOICES,
        "roles": Role.objects.all(),
        "shared_roles": {str(r) for r in source.getlist("shared_roles")}
        if request.method == "POST"
        else {
            str(pk) for pk in (report.shared_roles.values_list("pk", flat=True) if report else [])
        },
        "errors": [],
    }
    if entity is not None:
        context["fields"] = builder.field_options(entity, user)
        context["number_fields"] = [
            f for f in context["fields"] if f.kind in ("number", "date", "datetime")
        ]
        context["sort_choices"] = [
            (f"g{i}", _("Grouping %(n)s") % {"n": i + 1}) for i in range(3)
        ] + [(f"m{i}", _("Figure %(n)s") % {"n": i + 1}) for i in range(3)]
    if entity is not None and (source.get("preview") or request.method == "POST"):
        try:
            definition = builder.definition_from(source, entity.key)
            if request.method == "POST":
                data = {
                    "name": source.get("name", ""),
                    "description": source.get("description", ""),
                    "entity": entity.key,
                    "definition": definition,
                }
                roles = [int(r) for r in source.getlist("shared_roles") if r.isdigit()]
                m2m = {"shared_roles": list(Role.objects.filter(pk__in=roles))}
                if report is None:
                    saved = report_create(actor=user, data=data, m2m=m2m)
                else:
                    saved = report_update(
                        report, actor=user, data=data, m2m=m2m, expected_version=report.version
                    )
                messages.success(request, _("The report was saved."))
                return redirect("report_detail", pk=saved.pk)
            context.update(
                _run(request, definition, values.get("name") or _("Preview"), "chart-preview", {})
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
    status = 400 if context["errors"] else 200
    return render(request, "reports/builder.html", context, status=status)


@login_required
def report_build(request):
    """Build a new report: pick the entity, then its groupings, figures, filter and display;
    "Preview" runs it, "Save" keeps it."""
    return _builder(request, None)


def _report_for(request, pk) -> Report:
    if not can(request.user, "reports", "view"):
        raise PermissionDenied
    return get_object_or_404(Report.objects.visible_to(request.user), pk=pk)


def _mine(user, report: Report) -> bool:
    """Whether the report is in the reader's own scope, not only shared with him."""
    return access.scope_queryset(Report.objects.filter(pk=report.pk), user, shared=False).exists()


@login_required
def report_edit(request, pk):
    if not can(request.user, "reports", "change"):
        raise PermissionDenied
    report = _report_for(request, pk)
    if not _mine(request.user, report):
        raise PermissionDenied
    return _builder(request, report)


@login_required
def report_detail(request, pk):
    """A saved report, run for the reader, with the filter bar (period, owner, filter)."""
    report = _report_for(request, pk)
    context: dict = {"report": report, "periods": _periods(), "errors": []}
    context["params"] = request.GET
    if report.entity in registry:
        fields = builder.bar_fields(registry.get(report.entity))
        context["bar"] = {k: v for k, v in builder.bar_options(request.user).items() if k in fields}
    try:
        context.update(_run(request, report.definition, report.name, f"chart-{report.pk}"))
    except ValidationError as exc:
        context["errors"] = exc.messages
    context["can_change"] = can(request.user, "reports", "change") and _mine(request.user, report)
    context["can_schedule"] = can(request.user, "report-schedules", "add")
    context["my_dashboards"] = list(changeable_dashboards(request.user))
    context["can_new_dashboard"] = can(request.user, "dashboards", "add") and can(
        request.user, "dashboards", "change"
    )
    context["widths"] = [
        (12, _("Whole row")),
        (6, _("Half a row")),
        (4, _("A third of a row")),
        (3, _("A quarter of a row")),
    ]
    context["export_formats"] = [("csv", "CSV"), ("xlsx", "XLSX"), ("pdf", "PDF")]
    context["definition_json"] = json.dumps(report.definition, ensure_ascii=False, indent=2)
    return render(request, "reports/detail.html", context, status=400 if context["errors"] else 200)


@login_required
def report_widget(request, pk):
    """One dashboard widget, loaded by itself (htmx) with the dashboard's filter bar."""
    report = _report_for(request, pk)
    context: dict = {"report": report, "errors": []}
    try:
        context.update(_run(request, report.definition, report.name, f"chart-w{report.pk}"))
    except ValidationError as exc:
        context["errors"] = exc.messages
    return render(request, "reports/widget.html", context)


def _dashboards(user):
    if not can(user, "dashboards", "view"):
        return Dashboard.objects.none()
    return Dashboard.objects.visible_to(user).select_related("role").order_by("name", "id")


@login_required
def dashboard(request, pk=None):
    """A dashboard: the one asked for, else the reader's own, else his role's default."""
    if pk is not None and not can(request.user, "dashboards", "view"):
        raise PermissionDenied
    available = list(_dashboards(request.user))
    if pk is not None:
        chosen = next((d for d in available if d.pk == pk), None)
        if chosen is None:
            raise Http404
    else:
        own = [d for d in available if d.owner_id == request.user.pk]
        by_role = [d for d in available if d.role_id and d.role_id == request.user.role_id]
        chosen = (own or by_role or available or [None])[0]
    widgets = []
    if chosen is not None:
        ids = [w.get("report") for w in chosen.widgets if isinstance(w, dict)]
        readable = {
            r.pk: r
            for r in Report.objects.visible_to(request.user).filter(pk__in=ids)
            if can(request.user, r.entity, "view")
        }
        targets = can(request.user, "sales-targets", "view")
        views = {
            v.pk: v
            for v in SavedView.objects.for_user(request.user).filter(
                pk__in=[w.get("view") for w in chosen.widgets if isinstance(w, dict)]
            )
            if can(request.user, v.entity, "view")
        }
        widgets = [
            {
                "report": readable.get(w.get("report")),
                "view": views.get(w.get("view")),
                "kind": w.get("kind", "report"),
                "width": w.get("width", 6),
                "index": i,
            }
            for i, w in enumerate(chosen.widgets)
            if isinstance(w, dict)
            and (
                w.get("report") in readable
                or (w.get("kind") == "targets" and targets)
                or (w.get("kind") == "list" and w.get("view") in views)
            )
        ]
    query = {
        k: request.GET[k] for k in ("period", "owner", *builder.BAR_CHOICES) if request.GET.get(k)
    }
    return render(
        request,
        "reports/dashboard.html",
        {
            "dashboard": chosen,
            "dashboards": available,
            "widgets": widgets,
            "periods": _periods(),
            "params": request.GET,
            "bar": builder.bar_options(request.user),
            "query": "&".join(f"{k}={v}" for k, v in query.items() if _safe(k, v)),
            "can_change": chosen is not None
            and changeable_dashboards(request.user).filter(pk=chosen.pk).exists(),
        },
    )


def _safe(key: str, value: str) -> bool:
    if key == "period":
        return value in filterlang.PERIODS
    return value == "me" or value.isdigit()


@login_required
def report_export(request, pk, fmt):
    """The report's figures for the reader as CSV, XLSX or PDF, with the filter bar's runtime
    filter (issue 21 "Delivery"; decision 0099). A definition he may not run is refused, in his
    language, and nothing is made."""
    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    from kesher.reports import exports

    if fmt not in exports.FORMATS:
        raise Http404
    report = _report_for(request, pk)
    try:
        context = _run(request, report.definition, report.name, "chart")
    except ValidationError as exc:
        return render(
            request,
            "reports/detail.html",
            {
                "report": report,
                "periods": _periods(),
                "errors": exc.messages,
                "params": request.GET,
            },
            status=400,
        )
    context.update(
        reader=request.user.get_full_name() or request.user.get_username(),
        description=report.description,
    )
    engine.note_result(context["result"], "export")
    content = exports.render(context["result"], fmt, report.name, context)
    response = HttpResponse(content, content_type=exports.MIME_TYPES[fmt])
    response["Content-Disposition"] = (
        content_disposition_header(True, exports.filename(report.name, fmt)) or ""
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def changeable_dashboards(user):
    """The dashboards ``user`` may change: his grant's own scope, not those only shared."""
    if not can(user, "dashboards", "change"):
        return Dashboard.objects.none()
    return access.scope_queryset(Dashboard.objects.all(), user, shared=False).order_by("name", "id")


@login_required
@require_POST
def report_add_to_dashboard(request, pk):
    """The report's page puts it on one of the reader's dashboards, or on a new one of his."""
    from kesher.reports.services import dashboard_add_widget

    report = _report_for(request, pk)
    if not can(request.user, "dashboards", "change"):
        raise PermissionDenied
    chosen = request.POST.get("dashboard", "")
    width = request.POST.get("width", "6")
    if chosen == "new" and not can(request.user, "dashboards", "add"):
        raise PermissionDenied
    try:
        dashboard = None
        if chosen != "new":
            dashboard = (
                changeable_dashboards(request.user)
                .filter(pk=int(chosen) if chosen.isdigit() else 0)
                .first()
            )
            if dashboard is None:
                raise ValidationError({"dashboard": [_("Choose one of your dashboards.")]})
        saved = dashboard_add_widget(
            dashboard,
            actor=request.user,
            report=report,
            width=int(width) if width.isdigit() else 0,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("report_detail", pk=report.pk)
    messages.success(request, _("Added to the dashboard “%(name)s”.") % {"name": saved.name})
    return redirect("dashboard_show", pk=saved.pk)


@login_required
@require_POST
def dashboard_remove(request, pk, index):
    """Take one widget off a dashboard the reader may change."""
    from kesher.reports.services import dashboard_remove_widget

    if not can(request.user, "dashboards", "change"):
        raise PermissionDenied
    dashboard = get_object_or_404(changeable_dashboards(request.user), pk=pk)
    try:
        dashboard_remove_widget(dashboard, actor=request.user, index=index)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("dashboard_show", pk=dashboard.pk)


@login_required
def targets_widget(request):
    """A dashboard's widget of the reader's sales targets holding today, each against its actual
    (REQ RE-2, SA-7): the targets he may see — a rep his own, a manager his department's —
    with the sales app's live attainment (won deals; confirmed orders for a product group)."""
    from kesher.sales.selectors import attainment, current_targets

    if not can(request.user, "sales-targets", "view"):
        raise PermissionDenied
    rows = [
        {
            "target": row.target,
            "amount": engine.money_text(row.target.amount),
            "actual_amount": engine.money_text(row.actual_amount),
            "amount_percent": row.amount_percent,
            "count": row.target.count,
            "actual_count": row.actual_count,
            "count_percent": row.count_percent,
        }
        for row in attainment(current_targets(request.user))
    ]
    return render(request, "reports/targets_widget.html", {"rows": rows})


# Records a dashboard's list widget shows, and the columns beside each one's name.
LIST_ROWS = 10
LIST_COLUMNS = 4


@login_required
def list_widget(request, view: int):
    """A dashboard's widget of a saved view's first records (issue 21 "a grid of widgets
    (reports, lists, KPIs, targets)"; decision 0103): the records the reader may see, through
    the view's filter and sort, with its columns he may see, and a link to the whole list."""
    from kesher.platform.lists.savedviews import column_names, segment, sort_expression
    from kesher.platform.ui.display import field_display

    found = SavedView.objects.for_user(request.user).filter(pk=view).first()
    if found is None:
        raise Http404
    if not can(request.user, found.entity, "view"):
        raise PermissionDenied
    entity = registry.get(found.entity)
    qs = segment(found, request.user)
    order = sort_expression(entity, found.sort) if found.sort else None
    if order is not None:
        aliases, order_by = order
        qs = qs.alias(**aliases).order_by(*order_by)
    else:
        qs = qs.order_by(*entity.default_ordering)
    shown = column_names(entity, request.user)
    concrete = {f.name: f for f in entity.model._meta.concrete_fields}
    columns = [c for c in found.columns if c in shown and c in concrete][:LIST_COLUMNS]
    # The records' names and the linked records the columns name, in the one query.
    links = [c for c in columns if concrete[c].is_relation]
    qs = qs.select_related(*entity.select_related, *links)
    labels = [str(entity.field(c).verbose_name) for c in columns]
    rows = [
        {"record": obj, "cells": [field_display(obj, c) for c in columns]} for obj in qs[:LIST_ROWS]
    ]
    return render(
        request,
        "reports/list_widget.html",
        {
            "view": found,
            "entity": entity,
            "labels": labels,
            "rows": rows,
            "list_url": f"{reverse('entity_list', args=[entity.key])}?view={found.pk}",
        },
    )
