"""What the report builder and the filter bar offer, and how their form fields become a
definition and a runtime filter (REQ CX-8)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.platform.access import can
from kesher.platform.customfields.values import definitions_for
from kesher.platform.lists import filterlang
from kesher.platform.lists.savedviews import parse_filter
from kesher.platform.models import Choice, localized
from kesher.platform.registry import Entity, registry
from kesher.reports import engine

__all__ = [
    "FieldOption",
    "date_field_of",
    "definition_from",
    "field_options",
    "reportable_entities",
    "runtime_filter",
]

SKIPPED = {"custom", "password", "version", "path", "key_hash", "search_tokens"}
FILTER_PERIODS = ("this_month", "last_month", "this_quarter", "this_year", "last_year")


@dataclass(frozen=True)
class FieldOption:
    path: str
    label: str
    kind: str


def reportable_entities(user) -> list[Entity]:
    return [e for e in registry.all() if can(user, e.key, "view")]


def _concrete(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if f.name not in SKIPPED and not f.name.endswith("_hash")
    ]


def field_options(entity: Entity, user) -> list[FieldOption]:
    """Every field a report on ``entity`` may name for ``user``: its own, those one link away
    and its custom fields; those hidden from him are not offered."""
    options = []
    custom = {d.key: d for d in definitions_for(entity)}

    def offer(path: str, label: str) -> None:
        try:
            ref = filterlang.resolve_field(entity, path, custom, user)
        except ValidationError:
            return
        if ref.kind in engine.GROUPABLE or ref.kind == "number":
            options.append(FieldOption(path, label, ref.kind))

    for f in _concrete(entity.model):
        offer(f.name, str(f.verbose_name))
    for definition in custom.values():
        offer(f"custom.{definition.key}", localized(definition, "label"))
    for f in _concrete(entity.model):
        if not isinstance(f, models.ForeignKey) or f.related_model is Choice:
            continue
        related = f.related_model
        if registry.has_model(related) and not can(user, registry.for_model(related).key, "view"):
            continue
        for g in _concrete(related):
            if g.primary_key:
                continue
            offer(f"{f.name}.{g.name}", f"{f.verbose_name} › {g.verbose_name}")
    return options


def date_field_of(definition: dict, entity: Entity) -> str | None:
    """The date the filter bar's period applies to: the report's ``date_field``, its KPI
    period's, its first date grouping's, or the record's creation."""
    if definition.get("date_field"):
        return definition["date_field"]
    if isinstance(definition.get("period"), dict) and definition["period"].get("field"):
        return definition["period"]["field"]
    for group in definition.get("group_by") or []:
        if isinstance(group, dict) and group.get("bucket"):
            return group.get("field")
    names = {f.name for f in entity.model._meta.concrete_fields}
    return "created_at" if "created_at" in names else None


BAR_CHOICES = ("department", "region", "company")


def _path(orm_path: str | None) -> str | None:
    """An entity's ORM path (``account__region``) as the filter language names it, if it is at
    most one link away."""
    if not orm_path or orm_path.count("__") > 1:
        return None
    return orm_path.replace("__", ".")


def bar_fields(entity: Entity) -> dict[str, str]:
    """The filter bar's department, region and company as fields of ``entity``: the owner's
    department, the entity's region and company (``Entity.region_field`` / ``company_field``);
    those it has not are left out, and a report on it is not narrowed by them."""
    out = {}
    owner = _path(entity.owner_field)
    if owner and "." not in owner:
        out["department"] = f"{owner}.department"
    for name, orm_path in (("region", entity.region_field), ("company", entity.company_field)):
        path = _path(orm_path)
        if path:
            out[name] = path
    return out


def bar_options(user) -> dict[str, list]:
    """The departments, regions and companies the filter bar offers ``user``: those he may see."""
    out: dict[str, list] = {}
    for name, key in zip(BAR_CHOICES, ("departments", "regions", "companies"), strict=True):
        if key in registry and can(user, key, "view"):
            out[name] = list(registry.get(key).queryset().visible_to(user).order_by("pk")[:200])
        else:
            out[name] = []
    return out


def _subtree(department_id: int) -> list[int]:
    """The department's id and its sub-departments' (one query by the tree's ``path``)."""
    from kesher.org.models import Department

    path = Department.objects.filter(pk=department_id).values_list("path", flat=True).first()
    if not path:
        return [department_id]
    return list(
        Department.objects.filter(path__startswith=path).order_by("pk").values_list("pk", flat=True)
    )


def runtime_filter(params, definition: dict, entity: Entity, user=None):
    """The reader's filter bar as a filter-language expression: ``period`` on the report's date,
    ``owner`` ("me" or a user id) on the record's owner, ``department`` (the owner's, with
    its sub-departments),
    ``region`` and ``company`` (ids), and ``filter`` (the language itself). A ValidationError
    under "filter" for a bad one."""
    parts = []
    period = params.get("period", "")
    if period:
        field = date_field_of(definition, entity)
        if period not in filterlang.PERIODS or field is None:
            raise ValidationError(
                {"filter": [_("Unknown period: %(value)s.") % {"value": period[:40]}]}
            )
        parts.append({"field": field, "op": "period", "value": period})
    owner = params.get("owner", "")
    if owner and entity.owner_field and "__" not in entity.owner_field:
        value = "me" if owner == "me" else int(owner) if owner.isdigit() else None
        if value is None:
            raise ValidationError(
                {"filter": [_("The value for %(field)s must be a record id.") % {"field": "owner"}]}
            )
        parts.append({"field": entity.owner_field, "op": "eq", "value": value})
    for name, path in bar_fields(entity).items():
        value = params.get(name, "")
        if not value:
            continue
        if not value.isdigit():
            raise ValidationError(
                {"filter": [_("The value for %(field)s must be a record id.") % {"field": name}]}
            )
        try:
            ref = filterlang.resolve_field(entity, path, user=user)
        except ValidationError:
            continue  # a field hidden from the reader: this report is not narrowed by it
        if name == "department":
            # The department with its sub-departments (decision 0103): "Sales" counts "Sales
            # North" too, as the department scope reaches the subtree.
            parts.append({"field": path, "op": "in", "value": _subtree(int(value))})
            continue
        op = "has" if ref.kind == "multi" else "eq"
        parts.append({"field": path, "op": op, "value": int(value)})
    raw = params.get("filter", "")
    expression = parse_filter(raw) if raw else None
    if expression:
        parts.append(expression)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else {"all": parts}


def definition_from(params, entity_key: str) -> dict:
    """A definition from the builder's form fields (``g1``/``g1b`` … groupings and buckets,
    ``m1a``/``m1f`` … figures, ``filter``, ``sort``, ``desc``, ``limit``, ``display``,
    ``chart``, ``period``/``period_field``); checked later by ``engine.parse``."""
    definition: dict = {"entity": entity_key}
    groups = []
    for i in range(1, engine.MAX_GROUPS + 1):
        name = params.get(f"g{i}", "")
        if name:
            group = {"field": name}
            if params.get(f"g{i}b"):
                group["bucket"] = params[f"g{i}b"]
            groups.append(group)
    if groups:
        definition["group_by"] = groups
    measures = []
    for i in range(1, 4):
        agg = params.get(f"m{i}a", "")
        if agg:
            measure = {"agg": agg}
            if params.get(f"m{i}f"):
                measure["field"] = params[f"m{i}f"]
            measures.append(measure)
    definition["measures"] = measures or [{"agg": "count"}]
    raw = params.get("filter", "").strip()
    if raw:
        definition["filter"] = parse_filter(raw)
    if params.get("sort"):
        definition["sort"] = {"by": params["sort"], "desc": params.get("desc") == "1"}
    limit = params.get("limit", "").strip()
    if limit:
        definition["limit"] = int(limit) if limit.isdigit() else limit
    definition["display"] = params.get("display") or "table"
    definition["chart"] = params.get("chart") or "bar"
    target = params.get("target", "").strip()
    source = params.get("target_from", "")
    if source:
        level, _sep, figure = source.partition(":")
        definition["target"] = {"sales_target": figure, "level": level}
    elif target:
        definition["target"] = target
    if params.get("period") and params.get("period_field"):
        definition["period"] = {"field": params["period_field"], "period": params["period"]}
    return definition


# The builder's choices of a gauge's target from the sales targets: "<level>:<figure>".
TARGET_CHOICES = (
    ("person:amount", gettext_lazy("My sales target (amount)")),
    ("department:amount", gettext_lazy("My department's sales target (amount)")),
    ("company:amount", gettext_lazy("The company's sales target (amount)")),
    ("person:count", gettext_lazy("My sales target (number of deals)")),
    ("department:count", gettext_lazy("My department's sales target (number of deals)")),
    ("company:count", gettext_lazy("The company's sales target (number of deals)")),
)


def _target_from(target) -> str:
    if isinstance(target, dict):
        return f"{target.get('level', '')}:{target.get('sales_target', '')}"
    return ""


def form_values(definition: dict) -> dict:
    """The builder's form fields for a saved definition (the reverse of ``definition_from``)."""
    import json

    values: dict = {
        "entity": definition.get("entity", ""),
        "display": definition.get("display", "table"),
        "chart": definition.get("chart", "bar"),
        "limit": definition.get("limit") or "",
        "target": ""
        if isinstance(definition.get("target"), dict)
        else definition.get("target") or "",
        "target_from": _target_from(definition.get("target")),
    }
    for i, group in enumerate(definition.get("group_by") or [], start=1):
        values[f"g{i}"] = group.get("field", "")
        values[f"g{i}b"] = group.get("bucket", "")
    for i, measure in enumerate(definition.get("measures") or [], start=1):
        values[f"m{i}a"] = measure.get("agg", "")
        values[f"m{i}f"] = measure.get("field", "")
    if definition.get("filter"):
        values["filter"] = json.dumps(definition["filter"], ensure_ascii=False)
    sort = definition.get("sort") or {}
    values["sort"] = sort.get("by", "")
    values["desc"] = "1" if sort.get("desc") else ""
    period = definition.get("period") or {}
    values["period"] = period.get("period", "")
    values["period_field"] = period.get("field", "")
    return values
