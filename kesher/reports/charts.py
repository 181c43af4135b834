"""Chart options for Apache ECharts (decision 0071), built on the server from a report's result:
the page hands them to ``static/kesher/charts.js``, which draws them with the ECharts installed
from the npm registry, right to left in Hebrew. Each data item carries its drill-down URL, so a
click on a bar or a slice opens the list of exactly those records. Every chart is shown above
an accessible table of the same figures, which is all a page shows without the library."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language_bidi

from kesher.reports.engine import Result

__all__ = ["PALETTE", "option_for", "stacked_bars"]

# Bootstrap's palette, readable on white.
PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997", "#ffc107", "#6c757d"]
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans Hebrew', Arial, sans-serif"


def _number(value):
    if value is None:
        return 0
    if isinstance(value, Decimal):
        return float(value)
    return value


def _base(rtl: bool, title: str) -> dict:
    return {
        "aria": {"enabled": True, "label": {"description": title}},
        "color": PALETTE,
        "textStyle": {"fontFamily": FONT},
        "tooltip": {"textStyle": {"align": "right" if rtl else "left"}, "confine": True},
        "legend": {
            "type": "scroll",
            "top": 0,
            ("right" if rtl else "left"): 0,
            "align": "right" if rtl else "left",
        },
        "grid": {"containLabel": True, "left": 8, "right": 8, "top": 40, "bottom": 8},
    }


def _category_axes(option: dict, categories: list[str], rtl: bool) -> None:
    # A right-to-left reader reads the categories from the right, and the values on the right.
    option["xAxis"] = {
        "type": "category",
        "data": categories,
        "inverse": rtl,
        "axisLabel": {"interval": "auto", "hideOverlap": True},
    }
    option["yAxis"] = {"type": "value", "position": "right" if rtl else "left"}


def _series_type(kind: str) -> dict:
    if kind == "area":
        return {"type": "line", "areaStyle": {"opacity": 0.35}}
    return {"type": "line" if kind == "line" else "bar"}


def _gauge(result: Result, rtl: bool, title: str) -> dict | None:
    """The first figure against the definition's target: an arc from 0 to the target (or to
    the figure, if it went past it), with the share of the target in its middle."""
    target = result.definition.target
    if target is None or not result.totals:
        return None
    # A length of time and its target drawn in hours (decision 0122).
    first = result.definition.measures[0]
    value = _number(first.in_hours(result.totals[0]))
    target = first.in_hours(target)
    top = max(float(target), float(value or 0))
    share = round(float(value or 0) * 100 / float(target)) if target else 0
    option = _base(rtl, title)
    option.pop("legend")
    option.pop("grid")
    option["series"] = [
        {
            "type": "gauge",
            "name": result.definition.measures[0].label(),
            "min": 0,
            "max": top,
            "progress": {"show": True, "width": 14},
            "axisLine": {"lineStyle": {"width": 14}},
            "axisLabel": {"show": False},
            "splitLabel": {"show": False},
            "pointer": {"show": False},
            "title": {"show": False},
            "detail": {"valueAnimation": False, "fontSize": 26, "formatter": f"{share}%"},
            "data": [{"value": value, "drill": result.drill_all}],
        }
    ]
    return option


def option_for(result: Result, title: str = "") -> dict | None:
    """The ECharts option of a report's result, or None when it is no chart (a KPI number is
    drawn by the page itself)."""
    definition = result.definition
    kind = definition.chart
    rtl = bool(get_language_bidi())
    if kind == "gauge":
        return _gauge(result, rtl, title)
    if kind == "kpi" or not definition.groups or not result.rows:
        return None
    option = _base(rtl, title)
    first = definition.measures[0]  # a length of time drawn in hours
    first_measure = first.label()
    if kind in ("pie", "donut", "funnel"):
        data = [
            {
                "name": " / ".join(c.label for c in row.groups),
                "value": _number(first.in_hours(row.figures[0])),
                "drill": row.drill,
            }
            for row in result.rows
        ]
        series: dict = {
            "type": "funnel" if kind == "funnel" else "pie",
            "name": first_measure,
            "data": data,
        }
        if kind == "donut":
            series["radius"] = ["45%", "70%"]
        if kind == "funnel":
            series.update({"sort": "none", "left": "10%", "width": "80%", "top": 40})
            series["label"] = {"position": "inside"}
        else:
            series["top"] = 30
        option["series"] = [series]
        option["tooltip"]["trigger"] = "item"
        return option
    option["tooltip"]["trigger"] = "axis"
    if len(definition.groups) >= 2:
        # Categories by the first grouping, one series for each value of the second.
        categories: dict[str, int] = {}
        names: dict[str, dict] = {}
        for row in result.rows:
            category = row.groups[0].label
            categories.setdefault(category, len(categories))
            names.setdefault(row.groups[1].label, {})[category] = row
        labels = list(categories)
        option["series"] = [
            {
                **_series_type(kind),
                "name": name,
                "stack": "all" if kind in ("stacked_bar", "area") else None,
                "data": [
                    {"value": _number(first.in_hours(rows[c].figures[0])), "drill": rows[c].drill}
                    if c in rows
                    else {"value": 0}
                    for c in labels
                ],
            }
            for name, rows in names.items()
        ]
        _category_axes(option, labels, rtl)
        return option
    # The first figure: figures of other units (a sum and a count) on one axis would hide the
    # smaller; the table under the chart holds them all.
    labels = [row.groups[0].label for row in result.rows]
    option["series"] = [
        {
            **_series_type(kind),
            "name": first_measure,
            "data": [
                {"value": _number(first.in_hours(row.figures[0])), "drill": row.drill}
                for row in result.rows
            ],
        }
    ]
    _category_axes(option, labels, rtl)
    return option


def stacked_bars(
    categories: list[str], series: list[tuple[str, str, list]], title: str, *, horizontal=True
) -> dict:
    """A stacked bar chart of ``series`` (name, colour, values) over ``categories``: the task
    report's open / overdue / done per row (REQ TK-7)."""
    rtl = bool(get_language_bidi())
    option = _base(rtl, title)
    option["tooltip"]["trigger"] = "axis"
    option["series"] = [
        {
            "type": "bar",
            "name": name,
            "stack": "all",
            "itemStyle": {"color": colour},
            "data": values,
        }
        for name, colour, values in series
    ]
    if horizontal:
        option["yAxis"] = {
            "type": "category",
            "data": categories,
            "inverse": True,
            "position": "right" if rtl else "left",
        }
        option["xAxis"] = {"type": "value", "inverse": rtl}
    else:
        _category_axes(option, categories, rtl)
    return option
