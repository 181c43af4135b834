"""The report engine (REQ CX-8, RE-4; decision 0071): a report definition over any registered
entity, run for one reader as a single grouped SQL query.

A definition is JSON::

    {"entity": "opportunities",
     "filter": {...the filter language...},
     "group_by": [{"field": "stage"}, {"field": "closed_at", "bucket": "month"}],
     "measures": [{"agg": "count"}, {"agg": "sum", "field": "amount"}],
     "sort": {"by": "m0", "desc": true}, "limit": 10,
     "display": "table" | "pivot" | "chart", "chart": "bar" | "stacked_bar" | "line" | ...,
     "period": {"field": "closed_at", "period": "this_month"}}

Fields are named as the filter language names them — the entity's own (``amount``), one hop
through a link (``account.city``, ``owner.department``) and custom fields (``custom.score``) —
and resolved by it, so a field hidden from the reader does not exist for him (decision 0047):
it can be neither grouped, aggregated nor filtered on. Every run starts from
``visible_to(reader)``: a report shared with a rep counts only the rep's records. The figures
are computed by the database (``values()`` + ``annotate()``): one query for the figures, one
for the names of each linked record grouped on, whatever the number of records.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Avg, Count, Max, Min, Q, Sum
from django.db.models.functions import (
    Substr,
    TruncDay,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
    TruncYear,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.platform import accesslog
from kesher.platform.access import can
from kesher.platform.lists import filterlang
from kesher.platform.lists.filterlang import FieldRef
from kesher.platform.models import Choice, localized
from kesher.platform.registry import Entity, registry
from kesher.platform.ui.display import format_money, format_number

__all__ = [
    "AGGREGATES",
    "BUCKETS",
    "CHARTS",
    "DISPLAYS",
    "MAX_GROUPS",
    "Definition",
    "Result",
    "duration_text",
    "money_text",
    "parse",
    "run",
    "sales_target",
]

MAX_GROUPS = 3
MAX_MEASURES = 6
MAX_LIMIT = 1000
# Rows a report returns at most without a "top N" (a grouped report, not an export).
ROW_CAP = 1000
AGGREGATES = {
    "count": gettext_lazy("Count"),
    "sum": gettext_lazy("Sum"),
    "avg": gettext_lazy("Average"),
    "min": gettext_lazy("Minimum"),
    "max": gettext_lazy("Maximum"),
    "distinct": gettext_lazy("Distinct count"),
}
BUCKETS = {
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
    "quarter": gettext_lazy("Quarter"),
    "year": gettext_lazy("Year"),
}
DISPLAYS = {
    "table": gettext_lazy("Table"),
    "pivot": gettext_lazy("Pivot"),
    "chart": gettext_lazy("Chart"),
}
CHARTS = {
    "bar": gettext_lazy("Bars"),
    "stacked_bar": gettext_lazy("Stacked bars"),
    "line": gettext_lazy("Line"),
    "area": gettext_lazy("Area"),
    "pie": gettext_lazy("Pie"),
    "donut": gettext_lazy("Donut"),
    "funnel": gettext_lazy("Funnel"),
    "kpi": gettext_lazy("Number (KPI)"),
    "gauge": gettext_lazy("Gauge against a target"),
}
# Charts of one figure, not grouped: a number, or a gauge against the definition's target.
SINGLE_FIGURE_CHARTS = ("kpi", "gauge")
KPI_PERIODS = ("today", "this_week", "this_month", "this_quarter", "this_year")
_TRUNC = {
    "day": TruncDay,
    "week": TruncWeek,
    "month": TruncMonth,
    "quarter": TruncQuarter,
    "year": TruncYear,
}
# A custom date is ISO text: its day, month and year are its first characters.
_CUSTOM_BUCKET_LENGTH = {"day": 10, "month": 7, "year": 4}
GROUPABLE = {"text", "number", "date", "datetime", "boolean", "choice", "ref"}
NUMERIC_AGGREGATES = {"sum", "avg"}


def _error(key: str, message: str) -> ValidationError:
    return ValidationError({key: [message]})


@dataclass
class Group:
    ref: FieldRef
    bucket: str = ""

    @property
    def path(self) -> str:
        return self.ref.path

    def label(self) -> str:
        name = _field_label(self.ref)
        return f"{name} ({BUCKETS[self.bucket]})" if self.bucket else name


# A duration's unit: how many of it make an hour (``Entity.durations``).
PER_HOUR = {"minutes": 60, "seconds": 3600}


@dataclass
class Measure:
    agg: str
    ref: FieldRef | None = None

    def label(self) -> str:
        if self.ref is None:
            return str(AGGREGATES["count"])
        label = f"{AGGREGATES[self.agg]}: {_field_label(self.ref)}"
        if self.duration_unit:
            return _("%(figure)s (hours)") % {"figure": label}
        return label

    @cached_property
    def duration_unit(self) -> str | None:
        """The unit of a length of time summed, averaged or compared (``Entity.durations``):
        such a figure is shown as hours. None for any other figure."""
        if self.agg not in ("sum", "avg", "min", "max") or self.ref is None:
            return None
        field_ = self.ref.model_field
        if self.ref.custom is not None or field_ is None or not registry.has_model(field_.model):
            return None
        unit = registry.for_model(field_.model).durations.get(field_.name)
        return unit if unit in PER_HOUR else None

    def in_hours(self, value):
        """A duration figure in hours (a Decimal to the hundredth); any other as it is."""
        unit = self.duration_unit
        if unit is None or value is None:
            return value
        return (Decimal(str(value)) / PER_HOUR[unit]).quantize(Decimal("0.01"))

    @property
    def is_money(self) -> bool:
        field_ = self.ref.model_field if self.ref is not None else None
        return self.agg in ("sum", "avg", "min", "max") and isinstance(field_, models.DecimalField)


@dataclass
class Definition:
    """A checked report definition: what ``run`` reads."""

    entity: Entity
    raw: dict
    filter: dict | None
    groups: list[Group]
    measures: list[Measure]
    sort_by: str = ""
    descending: bool = False
    limit: int | None = None
    display: str = "table"
    chart: str = "bar"
    period: tuple[FieldRef, str] | None = None
    target: Decimal | None = None
    # A gauge's target read from the sales targets (``{"sales_target": "amount", "level":
    # "person"}``): what was asked, whether or not a target holds today for this reader.
    target_source: dict | None = None


def _field_label(ref: FieldRef) -> str:
    if ref.custom is not None:
        return localized(ref.custom, "label")
    parts = ref.path.split(".")
    if len(parts) == 1 and ref.model_field is not None:
        return str(ref.model_field.verbose_name)
    # "account.city": the link's name, then the field's.
    assert ref.model_field is not None
    return f"{ref.model_field.model._meta.verbose_name} › {ref.model_field.verbose_name}"


def _resolve(entity: Entity, path, user, key: str) -> FieldRef:
    if isinstance(path, str) and path.count(".") > 1:
        raise _error(key, _("Unknown field: %(field)s.") % {"field": path[:120]})
    try:
        return filterlang.resolve_field(entity, path, user=user)
    except ValidationError as exc:
        raise _error(key, exc.messages[0]) from None


def parse(raw, user) -> Definition:
    """A ``Definition`` from JSON, checked for ``user``: a ValidationError (field -> messages)
    when anything is wrong, naming fields hidden from him as unknown."""
    if not isinstance(raw, dict):
        raise _error("definition", _("The report definition must be an object."))
    key = raw.get("entity")
    if not isinstance(key, str) or key not in registry:
        raise _error("entity", _("Unknown entity."))
    if user is not None and not can(user, key, "view"):
        raise _error("entity", _("You may not see this entity."))
    entity = registry.get(key)
    errors: dict[str, list[str]] = {}
    expression = raw.get("filter") or None
    if expression is not None:
        try:
            filterlang.compile_filter(entity, expression, user)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    groups = []
    group_list = raw.get("group_by") or []
    if not isinstance(group_list, list) or len(group_list) > MAX_GROUPS:
        errors["group_by"] = [_("Group by at most three fields.")]
        group_list = []
    for item in group_list:
        try:
            groups.append(_group(entity, item, user))
        except ValidationError as exc:
            errors.setdefault("group_by", []).extend(exc.messages)
    measures = []
    measure_list = raw.get("measures") or [{"agg": "count"}]
    if not isinstance(measure_list, list) or len(measure_list) > MAX_MEASURES:
        errors["measures"] = [_("Give at most six figures.")]
        measure_list = []
    for item in measure_list:
        try:
            measures.append(_measure(entity, item, user))
        except ValidationError as exc:
            errors.setdefault("measures", []).extend(exc.messages)
    sort = raw.get("sort") or {}
    sort_by, descending = "", False
    if sort:
        names = {f"g{i}" for i in range(len(groups))} | {f"m{i}" for i in range(len(measures))}
        if not isinstance(sort, dict) or sort.get("by") not in names:
            errors["sort"] = [_("Sort by one of the report's columns.")]
        else:
            sort_by, descending = sort["by"], bool(sort.get("desc"))
    limit = raw.get("limit")
    if limit in ("", None):
        limit = None
    elif isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        errors["limit"] = [_("Top N must be a whole number from 1 to 1000.")]
        limit = None
    display = raw.get("display") or "table"
    if display not in DISPLAYS:
        errors["display"] = [_("Unknown display.")]
    elif display == "pivot" and len(groups) < 2:
        errors["display"] = [_("A pivot needs two groupings: its rows and its columns.")]
    chart = raw.get("chart") or "bar"
    if chart not in CHARTS:
        errors["chart"] = [_("Unknown chart type.")]
    period = None
    if raw.get("period"):
        period_raw = raw["period"]
        try:
            if not isinstance(period_raw, dict) or period_raw.get("period") not in KPI_PERIODS:
                raise _error(
                    "period", _("Choose the period: today, this week, month, quarter or year.")
                )
            ref = _resolve(entity, period_raw.get("field"), user, "period")
            if ref.kind not in ("date", "datetime") or ref.custom is not None:
                raise _error("period", _("The period needs a date field."))
            period = (ref, period_raw["period"])
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if chart in SINGLE_FIGURE_CHARTS and display == "chart" and groups:
        errors["chart"] = [_("A KPI number has no groupings.")]
    target = None
    target_source = None
    if isinstance(raw.get("target"), dict):
        try:
            target_source = _target_source(raw["target"], period)
            target = sales_target(target_source, period, user)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    elif raw.get("target") not in (None, ""):
        try:
            if isinstance(raw["target"], bool):
                raise ValueError
            target = Decimal(str(raw["target"]))
            if not target.is_finite() or not 0 < target < Decimal("1e15"):
                raise ValueError
        except (ValueError, ArithmeticError):
            errors["target"] = [_("The target is a number greater than zero.")]
            target = None
        unit = measures[0].duration_unit if measures else None
        if target is not None and unit:
            # A target of a length of time is given in hours, as its figure is shown (7:30),
            # and kept beside the figure in its stored unit (decision 0122).
            target = target * PER_HOUR[unit]
    if (
        chart == "gauge"
        and display == "chart"
        and target is None
        and target_source is None
        and "target" not in errors
    ):
        errors["target"] = [_("A gauge needs a target.")]
    if errors:
        raise ValidationError(errors)
    return Definition(
        entity=entity,
        raw=raw,
        filter=expression,
        groups=groups,
        measures=measures,
        sort_by=sort_by,
        descending=descending,
        limit=limit,
        display=display,
        chart=chart,
        period=period,
        target=target,
        target_source=target_source,
    )


# A gauge against the sales targets (REQ RE-2, SA-7; decision 0103): whose target, which figure
# of it, and the target's period for each KPI period.
TARGET_LEVELS = ("person", "department", "company")
TARGET_MEASURES = ("amount", "count")
TARGET_PERIODS = {"this_month": "month", "this_quarter": "quarter", "this_year": "year"}


def _target_source(raw, period) -> dict:
    """A checked ``{"sales_target": "amount" | "count", "level": "person" | "department" |
    "company"}``; the report's period must be this month, quarter or year."""
    if (
        not isinstance(raw, dict)
        or set(raw) != {"sales_target", "level"}
        or raw["sales_target"] not in TARGET_MEASURES
        or raw["level"] not in TARGET_LEVELS
    ):
        raise _error(
            "target",
            _(
                "A target from the sales targets names the figure (amount or count) and whose "
                "target it is (person, department or company)."
            ),
        )
    if period is None or period[1] not in TARGET_PERIODS:
        raise _error(
            "target",
            _("A target from the sales targets needs the period: this month, quarter or year."),
        )
    return {"sales_target": raw["sales_target"], "level": raw["level"]}


def sales_target(source: dict, period, user) -> Decimal | None:
    """The reader's target of ``source`` for the period holding today: his own (person), his
    department's, or the whole company's, among the sales targets he may see (not a product
    group's); None when none is set or he may not see sales targets. One query."""
    from kesher.sales.models import period_start

    if user is None or "sales-targets" not in registry or not can(user, "sales-targets", "view"):
        return None
    kind = TARGET_PERIODS[period[1]]
    targets = (
        registry.get("sales-targets")
        .queryset()
        .visible_to(user)
        .filter(
            period=kind,
            starts_on=period_start(kind, timezone.localdate()),
            level=source["level"],
            product_group__isnull=True,
        )
    )
    if source["level"] == "person":
        targets = targets.filter(user=user)
    elif source["level"] == "department":
        if not user.department_id:
            return None
        targets = targets.filter(department_id=user.department_id)
    total = targets.aggregate(total=Sum(source["sales_target"]))["total"]
    return Decimal(total) if total else None


def _group(entity: Entity, item, user) -> Group:
    if not isinstance(item, dict):
        raise _error("group_by", _("Each grouping must be an object."))
    ref = _resolve(entity, item.get("field"), user, "group_by")
    if ref.kind not in GROUPABLE or ref.derived is not None:
        raise _error("group_by", _("%(field)s cannot be grouped on.") % {"field": ref.path})
    bucket = item.get("bucket") or ""
    if ref.kind in ("date", "datetime"):
        bucket = bucket or "month"
        if bucket not in BUCKETS:
            raise _error(
                "group_by", _("Unknown date bucket: %(value)s.") % {"value": str(bucket)[:20]}
            )
        if ref.custom is not None and bucket not in _CUSTOM_BUCKET_LENGTH:
            raise _error("group_by", _("A custom date is grouped by day, month or year."))
    elif bucket:
        raise _error("group_by", _("Only dates are bucketed."))
    return Group(ref, bucket)


def _measure(entity: Entity, item, user) -> Measure:
    if not isinstance(item, dict) or item.get("agg") not in AGGREGATES:
        raise _error("measures", _("Each figure is one of: count, sum, avg, min, max, distinct."))
    agg = item["agg"]
    if agg == "count" and not item.get("field"):
        return Measure("count")
    ref = _resolve(entity, item.get("field"), user, "measures")
    if ref.kind == "multi" or ref.derived is not None:
        raise _error("measures", _("%(field)s cannot be aggregated.") % {"field": ref.path})
    if agg in NUMERIC_AGGREGATES and ref.kind != "number":
        raise _error("measures", _("%(field)s is not a number.") % {"field": ref.path})
    if agg in ("min", "max") and ref.kind not in ("number", "date", "datetime"):
        raise _error("measures", _("%(field)s is not a number or a date.") % {"field": ref.path})
    return Measure(agg, ref)


# --- running ---------------------------------------------------------------------------------


@dataclass
class Cell:
    value: object
    label: str


@dataclass
class Row:
    groups: list[Cell]
    figures: list
    drill: str = ""


@dataclass
class Result:
    definition: Definition
    columns: list[str]
    rows: list[Row]
    totals: list = field(default_factory=list)
    truncated: bool = False
    previous: list | None = None  # KPI: the figures of the period before
    drill_all: str = ""

    def as_json(self) -> dict:
        d = self.definition
        return {
            "entity": d.entity.key,
            "columns": [
                *(
                    {"key": f"g{i}", "label": g.label(), "kind": "group"}
                    for i, g in enumerate(d.groups)
                ),
                *(
                    {
                        "key": f"m{i}",
                        "label": m.label(),
                        "kind": "figure",
                        "agg": m.agg,
                        # A length of time: its figures are in this unit (the labels say hours).
                        **({"duration": m.duration_unit} if m.duration_unit else {}),
                    }
                    for i, m in enumerate(d.measures)
                ),
            ],
            "rows": [
                {
                    "groups": [{"value": _jsonable(c.value), "label": c.label} for c in row.groups],
                    "figures": [_jsonable(v) for v in row.figures],
                    "drill": row.drill,
                }
                for row in self.rows
            ],
            "totals": [_jsonable(v) for v in self.totals],
            "previous": None if self.previous is None else [_jsonable(v) for v in self.previous],
            "target": _jsonable(d.target),
            "target_source": d.target_source,
            "truncated": self.truncated,
            "drill": self.drill_all,
        }

    def formatted(self, index: int, value) -> str:
        return format_figure(self.definition.measures[index], value)

    def pivot(self) -> dict:
        """Rows × columns of the first two groupings, the first figure in the cells."""
        row_keys: dict = {}
        column_keys: dict = {}
        cells: dict = {}
        for row in self.rows:
            first, second = row.groups[0], row.groups[1]
            row_keys.setdefault(_key(first.value), first.label)
            column_keys.setdefault(_key(second.value), second.label)
            key = (_key(first.value), _key(second.value))
            value = row.figures[0]
            cells[key] = (value if key not in cells else _combine(cells[key][0], value), row.drill)
        measure = self.definition.measures[0]
        body = []
        for rk, rlabel in row_keys.items():
            line = []
            total = None
            for ck in column_keys:
                value, drill = cells.get((rk, ck), (None, ""))
                line.append({"value": value, "text": format_figure(measure, value), "drill": drill})
                total = _combine(total, value) if measure.agg in ("count", "sum") else None
            body.append({"label": rlabel, "cells": line, "total": format_figure(measure, total)})
        return {"columns": list(column_keys.values()), "rows": body}


def _combine(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _key(value):
    return json.dumps(_jsonable(value))


def _jsonable(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value


def format_figure(measure: Measure, value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if measure.duration_unit:
        return duration_text(value, measure.duration_unit)
    # As every other page writes numbers (``₪1,234.50``): Django's Hebrew formats group no digits.
    if measure.is_money:
        return format_money(round(Decimal(str(value)), 2))
    if measure.agg == "avg" or isinstance(value, float | Decimal):
        return format_number(round(Decimal(str(value)), 2), 2)
    return format_number(value)


def duration_text(value, unit: str = "minutes") -> str:
    """A length of time as hours and minutes (``7:30``, ``1,250:05``), rounded to the minute."""
    minutes = int((Decimal(str(value)) * 60 / PER_HOUR[unit]).to_integral_value())
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    return f"{sign}{format_number(minutes // 60)}:{minutes % 60:02d}"


def money_text(value) -> str:
    """An amount in shekels as figures show it; empty for none."""
    if value is None:
        return ""
    return format_money(round(Decimal(str(value)), 2))


def _expression(ref: FieldRef):
    if ref.custom is not None:
        return ref.expression()
    return models.F(ref.lookup)


def _group_expression(group: Group):
    ref = group.ref
    if group.bucket:
        if ref.custom is not None:
            return Substr(ref.expression(), 1, _CUSTOM_BUCKET_LENGTH[group.bucket])
        trunc = _TRUNC[group.bucket]
        if ref.kind == "datetime":
            return trunc(
                ref.lookup, output_field=models.DateField(), tzinfo=timezone.get_current_timezone()
            )
        return trunc(ref.lookup, output_field=models.DateField())
    return _expression(ref)


def _aggregate(measure: Measure, condition: Q | None = None):
    if measure.ref is None:
        return Count("pk", filter=condition)
    expression = _expression(measure.ref)
    kinds = {"sum": Sum, "avg": Avg, "min": Min, "max": Max}
    if measure.agg == "count":
        return Count(expression, filter=condition)
    if measure.agg == "distinct":
        return Count(expression, distinct=True, filter=condition)
    return kinds[measure.agg](expression, filter=condition)


def base_queryset(definition: Definition, user, runtime_filter=None):
    """The records the report counts for ``user``: visible to him, through the report's filter
    and the reader's own (runtime) filter."""
    entity = definition.entity
    qs = entity.queryset().visible_to(user)
    for expression in (definition.filter, runtime_filter):
        if expression:
            qs = filterlang.apply_filter(qs, entity, expression, user)
    return qs


def run(definition: Definition, user, runtime_filter=None) -> Result:
    """The report's figures for ``user``: a ValidationError (under "filter") for a bad runtime
    filter. The access log notes the reading (``note_result``)."""
    result = _run(definition, user, runtime_filter)
    note_result(result, "report")
    return result


def linked_shown(result: Result) -> dict[str, set[int]]:
    """The records a result names by its groupings on a link (a report of interactions by
    contact names those contacts), by their entity's key."""
    shown: dict[str, set[int]] = {}
    for i, group in enumerate(result.definition.groups):
        key = _linked_entity(group.ref)
        if key is None:
            continue
        ids = shown.setdefault(key, set())
        # A KPI's one row has no groups, whatever the definition says.
        for row in result.rows:
            if i < len(row.groups):
                pk = _record_id(row.groups[i].value)
                if pk is not None:
                    ids.add(pk)
    return shown


def _linked_entity(ref) -> str | None:
    """The key of the entity whose records a grouping on ``ref`` names: a link to a registered
    entity — built in, or an administrator's custom link field (decision 0126) — else None."""
    custom = ref.custom
    if custom is not None:
        if custom.type == "link" and custom.link_entity in registry:
            return custom.link_entity
        return None
    field_ = ref.model_field
    if ref.kind != "ref" or field_ is None or not registry.has_model(field_.related_model):
        return None
    return registry.for_model(field_.related_model).key


def _record_id(value) -> int | None:
    """A grouping's value as a record's id: a link's id; a custom link's as its JSON holds it
    (a number, or digits as text); None for an empty group or anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def note_result(result: Result, action: str) -> None:
    """Tell the access log (issue 25 item 1) what a result showed: ``action`` "report" — the
    report's entity read in aggregate (no record), and each record named by a grouping; or
    "export" — a file that held the records named by its groupings and no other (figures
    name nobody)."""
    entity = result.definition.entity.key
    shown = linked_shown(result)
    if action == "export":
        accesslog.note_export(entity, shown.pop(entity, ()))
        for key, ids in shown.items():
            if ids:
                accesslog.note_export(key, ids)
        return
    accesslog.note(action, entity)
    for key, ids in shown.items():
        if ids:
            accesslog.note(action, key, sorted(ids))


def _run(definition: Definition, user, runtime_filter=None) -> Result:
    qs = base_queryset(definition, user, runtime_filter)
    measures = {f"m{i}": _aggregate(m) for i, m in enumerate(definition.measures)}
    combined = _combined_filter(definition, runtime_filter)
    result = Result(definition, [], [], drill_all=drill_url(definition.entity, combined))
    if definition.period is not None:
        return _kpi(definition, qs, result, combined)
    if not definition.groups:
        totals = qs.aggregate(**measures)
        result.totals = [totals[k] for k in measures]
        result.rows = [Row([], result.totals, result.drill_all)]
        return result
    groups = {f"g{i}": _group_expression(g) for i, g in enumerate(definition.groups)}
    grouped = qs.annotate(**groups).values(*groups).annotate(**measures)
    order = []
    if definition.sort_by:
        name = definition.sort_by
        order.append(
            models.F(name).desc(nulls_last=True)
            if definition.descending
            else models.F(name).asc(nulls_last=True)
        )
    order += [models.F(g).asc(nulls_last=True) for g in groups]
    cap = definition.limit or ROW_CAP
    values = list(grouped.order_by(*order)[: cap + 1])
    result.truncated = len(values) > cap and not definition.limit
    values = values[:cap]
    labels = [_labels(g, [v[f"g{i}"] for v in values]) for i, g in enumerate(definition.groups)]
    for v in values:
        cells = [Cell(v[f"g{i}"], labels[i].get(_key(v[f"g{i}"]), "")) for i in range(len(groups))]
        figures = [v[k] for k in measures]
        drill = drill_url(
            definition.entity,
            _all(
                combined,
                *(
                    _condition(g, c.value, labels[i])
                    for i, (g, c) in enumerate(zip(definition.groups, cells, strict=True))
                ),
            ),
        )
        result.rows.append(Row(cells, figures, drill))
    return result


def _kpi(definition: Definition, qs, result: Result, combined) -> Result:
    """One query: each figure over the period and over the period before it."""
    assert definition.period is not None
    ref, period = definition.period
    (start, end), (before, _start) = _period_bounds(period)
    current = _range_q(ref, start, end)
    previous = _range_q(ref, before, start)
    aggregates = {}
    for i, m in enumerate(definition.measures):
        aggregates[f"m{i}"] = _aggregate(m, current)
        aggregates[f"p{i}"] = _aggregate(m, previous)
    values = qs.aggregate(**aggregates)
    count = len(definition.measures)
    result.totals = [values[f"m{i}"] for i in range(count)]
    result.previous = [values[f"p{i}"] for i in range(count)]
    period_filter = {"field": ref.path, "op": "period", "value": period}
    result.drill_all = drill_url(definition.entity, _all(combined, period_filter))
    result.rows = [Row([], result.totals, result.drill_all)]
    return result


def _period_bounds(period: str):
    """([start, end), [previous start, start)) of a named period in the reader's time zone."""
    today = timezone.localdate()
    if period == "today":
        start = today
        end = today + datetime.timedelta(days=1)
        return (start, end), (start - datetime.timedelta(days=1), start)
    if period == "this_week":
        start = today - datetime.timedelta(days=(today.weekday() + 1) % 7)
        return (start, start + datetime.timedelta(days=7)), (
            start - datetime.timedelta(days=7),
            start,
        )
    months = {"this_month": 1, "this_quarter": 3, "this_year": 12}[period]
    first_month = (today.month - 1) // months * months + 1
    start = today.replace(month=first_month, day=1)
    return (start, _add_months(start, months)), (_add_months(start, -months), start)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _range_q(ref: FieldRef, start, end) -> Q:
    if ref.kind == "datetime":
        return Q(**{f"{ref.lookup}__date__gte": start, f"{ref.lookup}__date__lt": end})
    return Q(**{f"{ref.lookup}__gte": start, f"{ref.lookup}__lt": end})


# --- names and drill-down --------------------------------------------------------------------


def _labels(group: Group, values: list) -> dict:
    """The name shown for each grouped value, keyed by ``_key(value)``: one query for the
    linked records grouped on, none for the rest."""
    ref = group.ref
    out: dict = {}
    present = [v for v in values if v is not None]
    empty = _("(empty)")
    if ref.kind == "choice":
        ids = {v for v in present if isinstance(v, int)}
        texts = {v for v in present if isinstance(v, str)}
        choices = Choice.objects.filter(list_key=ref.choice_list).filter(
            Q(pk__in=ids) | Q(value__in=texts)
        )
        for choice in choices:
            name = localized(choice, "label")
            out[_key(choice.pk)] = name
            out[_key(choice.value)] = name
            out[f"slug:{choice.pk}"] = choice.value
    elif ref.kind == "ref" and ref.model_field is not None:
        model = ref.model_field.related_model
        for obj in model._base_manager.filter(pk__in=set(present)):
            out[_key(obj.pk)] = str(obj)
    elif (
        ref.custom is not None and ref.custom.type == "link" and ref.custom.link_entity in registry
    ):
        # A custom link holds the linked record's id (an enrolment's course): its name.
        model = registry.get(ref.custom.link_entity).model
        ids = {int(v): v for v in present if str(v).isdigit() or isinstance(v, (int, float))}
        for obj in model._base_manager.filter(pk__in=set(ids)):
            out[_key(ids[obj.pk])] = str(obj)
    elif ref.kind == "boolean":
        out[_key(True)] = _("Yes")
        out[_key(False)] = _("No")
    elif ref.kind in ("date", "datetime"):
        for v in present:
            out[_key(v)] = _bucket_label(group.bucket, v)
    elif ref.model_field is not None and ref.model_field.choices:
        names = dict(ref.model_field.flatchoices)
        for v in present:
            out[_key(v)] = str(names.get(v, v))
    elif ref.kind == "number":
        for v in present:
            out[_key(v)] = format_number(v)
    for v in values:
        out.setdefault(_key(v), empty if v in (None, "") else str(v))
    return out


def _bucket_label(bucket: str, value) -> str:
    if isinstance(value, str):  # a custom date's prefix
        day = value
        parts = day.split("-")
        return "/".join(reversed(parts))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if bucket == "year":
        return str(value.year)
    if bucket == "quarter":
        return _("Q%(quarter)s %(year)s") % {
            "quarter": (value.month - 1) // 3 + 1,
            "year": value.year,
        }
    if bucket == "month":
        return value.strftime("%m/%Y")
    if bucket == "week":
        return _("Week of %(day)s") % {"day": value.strftime("%d/%m/%Y")}
    return value.strftime("%d/%m/%Y")


def _bucket_end(bucket: str, start: datetime.date) -> datetime.date:
    """The last day of the bucket starting at ``start``."""
    if bucket == "day":
        return start
    if bucket == "week":
        return start + datetime.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[bucket]
    return _add_months(start, months) - datetime.timedelta(days=1)


def _condition(group: Group, value, labels: dict) -> dict:
    """The filter-language condition selecting the records of one grouped value."""
    ref = group.ref
    path = ref.path
    if value is None or (value == "" and ref.kind in ("text", "choice")):
        return {"field": path, "op": "empty"}
    if group.bucket:
        if isinstance(value, str):  # custom date prefix: compare as text bounds
            if group.bucket == "day":
                return {"field": path, "op": "eq", "value": value}
            if group.bucket == "month":
                first = datetime.date.fromisoformat(value + "-01")
            else:
                first = datetime.date(int(value), 1, 1)
            last = _bucket_end(group.bucket, first)
            return {"field": path, "op": "between", "value": [first.isoformat(), last.isoformat()]}
        start = value.date() if isinstance(value, datetime.datetime) else value
        last = _bucket_end(group.bucket, start)
        return {"field": path, "op": "between", "value": [start.isoformat(), last.isoformat()]}
    if ref.kind == "choice" and ref.custom is None:
        return {"field": path, "op": "eq", "value": labels.get(f"slug:{value}", str(value))}
    if ref.kind in ("date", "datetime"):
        return {"field": path, "op": "eq", "value": _jsonable(value)}
    if isinstance(value, Decimal):
        value = str(value)
    return {"field": path, "op": "eq", "value": value}


def _combined_filter(definition: Definition, runtime_filter) -> dict | None:
    return _all(definition.filter, runtime_filter)


def _all(*expressions) -> dict | None:
    parts = []
    for e in expressions:
        if not e:
            continue
        if isinstance(e, dict) and list(e) == ["all"]:
            parts.extend(e["all"])
        else:
            parts.append(e)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"all": parts}


def drill_url(entity: Entity, expression) -> str:
    """The entity's list page showing exactly the records of a figure (REQ CX-8)."""
    url = reverse("entity_list", args=[entity.key])
    if not expression:
        return url
    return f"{url}?{urlencode({'filter': json.dumps(expression, ensure_ascii=False)})}"
