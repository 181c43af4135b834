"""Every write of reports and dashboards (REQ CX-8): through the platform's record services,
so each change is versioned, audited and refused whole when anything is wrong."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kesher.platform import access, jsonlimits
from kesher.platform.access import can
from kesher.platform.models import SavedView
from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.reports import engine
from kesher.reports.models import Dashboard, Report

__all__ = [
    "check_may_change",
    "dashboard_add_widget",
    "dashboard_create",
    "dashboard_delete",
    "dashboard_remove_widget",
    "dashboard_update",
    "report_create",
    "report_delete",
    "report_update",
]

WIDTHS = (3, 4, 6, 8, 12)
# Widgets that are no report: "targets" — the reader's sales targets against their actuals;
# "list" — the first records of a saved view ({"kind": "list", "view": <id>}).
WIDGET_KINDS = ("targets",)
LIST_WIDGET = "list"
MAX_WIDGETS = 24


def _list_view(widget: dict, actor) -> int:
    """The saved view a list widget shows: one the writer may read (his own or a shared one),
    of an entity he may see."""
    view = widget.get("view")
    found = (
        SavedView.objects.for_user(actor).filter(pk=view).first()
        if isinstance(view, int) and not isinstance(view, bool)
        else None
    )
    if found is None or not can(actor, found.entity, "view"):
        raise ValidationError({"widgets": [_("A list widget names a saved view you may read.")]})
    return found.pk


def _json(text: str, key: str):
    try:
        return jsonlimits.loads(text)
    except ValueError:
        raise ValidationError({key: [_("Enter valid JSON.")]}) from None


def _checked_definition(data: dict, actor, current: Report | None = None) -> dict:
    """``data`` with its definition checked for ``actor`` and its entity taken from it."""
    data = dict(data)
    definition = data.get("definition", current.definition if current else None)
    if definition in (None, ""):
        definition = {}  # the count of the entity's records
    if isinstance(definition, str):  # a form's text
        definition = _json(definition, "definition")
    if isinstance(definition, dict):
        definition = dict(definition)
        entity = data.get("entity") or definition.get("entity") or (current and current.entity)
        definition["entity"] = entity
    try:
        parsed = engine.parse(definition, actor)
    except ValidationError as exc:
        raise ValidationError(
            {
                "definition": [
                    f"{k}: {m}" if k != "definition" else m
                    for k, ms in exc.message_dict.items()
                    for m in ms
                ]
            }
        ) from None
    data["definition"] = parsed.raw
    data["entity"] = parsed.entity.key
    return data


@transaction.atomic
def report_create(*, actor, data: dict, m2m=None) -> Report:
    """Save a report whose definition ``actor`` may run (no field hidden from him)."""
    return record_create("reports", actor=actor, data=_checked_definition(data, actor), m2m=m2m)


def check_may_change(record, actor) -> None:
    """A report or dashboard shared with ``actor`` is his to read, not to change: only those in
    his grant's own scope are (decision 0071)."""
    if actor is None:
        return
    mine = access.scope_queryset(
        type(record)._base_manager.filter(pk=record.pk), actor, shared=False
    )
    if not mine.exists():
        raise ValidationError(
            {"owner": [_("Only its owner or an administrator can change what is shared with you.")]}
        )


def report_delete(report: Report, *, actor, expected_version=None) -> None:
    check_may_change(report, actor)
    record_delete(report, actor=actor, expected_version=expected_version)


def dashboard_delete(dashboard: Dashboard, *, actor, expected_version=None) -> None:
    check_may_change(dashboard, actor)
    record_delete(dashboard, actor=actor, expected_version=expected_version)


@transaction.atomic
def report_update(report: Report, *, actor, data: dict, m2m=None, expected_version=None) -> Report:
    check_may_change(report, actor)
    if "definition" in data or "entity" in data:
        data = _checked_definition(data, actor, report)
    return record_update(report, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


def _checked_widgets(data: dict, actor) -> dict:
    data = dict(data)
    if "widgets" not in data:
        return data
    widgets = data.get("widgets") or []
    if isinstance(widgets, str):  # a form's text
        widgets = _json(widgets, "widgets") or []
    if not isinstance(widgets, list) or len(widgets) > MAX_WIDGETS:
        raise ValidationError({"widgets": [_("A dashboard holds at most 24 widgets.")]})
    cleaned = []
    ids = []
    for widget in widgets:
        width = widget.get("width", 6) if isinstance(widget, dict) else None
        if width not in WIDTHS:
            raise ValidationError({"widgets": [_("A widget's width is 3, 4, 6, 8 or 12.")]})
        if isinstance(widget, dict) and widget.get("kind") == LIST_WIDGET:
            cleaned.append({"kind": LIST_WIDGET, "view": _list_view(widget, actor), "width": width})
            continue
        if isinstance(widget, dict) and widget.get("kind") in WIDGET_KINDS:
            # Not a report: the sales targets against their actuals (REQ RE-2, SA-7).
            cleaned.append({"kind": widget["kind"], "width": width})
            continue
        if not isinstance(widget, dict) or not isinstance(widget.get("report"), int):
            raise ValidationError({"widgets": [_("Each widget names a report by its id.")]})
        ids.append(widget["report"])
        cleaned.append({"report": widget["report"], "width": width})
    known = set(Report.objects.visible_to(actor).filter(pk__in=ids).values_list("pk", flat=True))
    if set(ids) - known:
        raise ValidationError({"widgets": [_("Unknown report.")]})
    data["widgets"] = cleaned
    return data


@transaction.atomic
def dashboard_create(*, actor, data: dict, m2m=None) -> Dashboard:
    """A dashboard of reports ``actor`` may read."""
    data = _checked_widgets(data, actor)
    data.setdefault("widgets", [])
    return record_create("dashboards", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def dashboard_update(
    dashboard: Dashboard, *, actor, data: dict, m2m=None, expected_version=None
) -> Dashboard:
    check_may_change(dashboard, actor)
    return record_update(
        dashboard,
        actor=actor,
        data=_checked_widgets(data, actor),
        m2m=m2m,
        expected_version=expected_version,
    )


@transaction.atomic
def dashboard_add_widget(
    dashboard: Dashboard | None, *, actor, report: Report, width: int = 6
) -> Dashboard:
    """Put ``report`` last on ``dashboard`` (None: on a new dashboard of the actor's own),
    as ``width`` twelfths of the row: the widget editor of the report's page (issue 21)."""
    widget = {"report": report.pk, "width": width}
    if dashboard is None:
        return dashboard_create(actor=actor, data={"name": _("My dashboard"), "widgets": [widget]})
    locked = Dashboard.objects.select_for_update().get(pk=dashboard.pk)
    return dashboard_update(
        locked,
        actor=actor,
        data={"widgets": [*(locked.widgets or []), widget]},
        expected_version=locked.version,
    )


@transaction.atomic
def dashboard_remove_widget(dashboard: Dashboard, *, actor, index: int) -> Dashboard:
    """Take the ``index``-th widget off ``dashboard``."""
    locked = Dashboard.objects.select_for_update().get(pk=dashboard.pk)
    widgets = list(locked.widgets or [])
    if not isinstance(index, int) or not 0 <= index < len(widgets):
        raise ValidationError({"widgets": [_("Unknown widget.")]})
    del widgets[index]
    return dashboard_update(
        locked, actor=actor, data={"widgets": widgets}, expected_version=locked.version
    )
