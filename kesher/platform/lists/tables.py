"""The list page's table: columns, filters, sort and paging of one entity, from the registry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from kesher.platform.access import linkable
from kesher.platform.customfields.schema import sort_index
from kesher.platform.customfields.types import type_of
from kesher.platform.lists.keyset import (
    CURSOR_PARAM,
    Keyset,
    last_typed_page,
    with_default_ties,
)
from kesher.platform.records import lookups
from kesher.platform.records.many import visible_prefetches
from kesher.platform.registry import Entity
from kesher.platform.visibility import hidden_fields

if TYPE_CHECKING:
    from kesher.platform.models import CustomField

__all__ = ["COUNT_CAP", "PAGE_SIZE", "Column", "Filter", "Table", "with_columns"]

COUNT_CAP = 1_000
PAGE_SIZE = 50


def with_columns(qs, fields, user=None):
    """Join the foreign keys and prefetch the many-to-many fields shown as columns, so a list
    costs the same number of queries for 5 rows or 50 (STYLE.md: no N+1). With ``user``, a
    many-to-many column holds only the linked records he may see, and counts the others."""
    joined = [f for f in fields if f.many_to_one or f.one_to_one]
    many = [f.name for f in fields if f.many_to_many]
    if joined:
        qs = qs.select_related(*(f.name for f in joined))
        unread = [name for f in joined for name in _unnamed_columns(f)]
        if unread:
            qs = qs.defer(*unread)
    if many:
        qs = qs.prefetch_related(*visible_prefetches(qs.model, many, user))
    return qs


def by_name(queryset):
    """``queryset`` reading only its records' names (and keys), when its model says which
    columns its name reads (``title_fields``): options of a filter or a picker."""
    named = getattr(queryset.model, "title_fields", None)
    return queryset if named is None else queryset.only(*named)


def _unnamed_columns(field) -> list[str]:
    """The joined record's columns its name does not read (``relation__column``), when its
    model says which it reads (``title_fields``): a column shows a linked record by its name,
    and loading its every column for 50 rows was a third of reading a page."""
    related = field.related_model
    named = getattr(related, "title_fields", None)
    if named is None:
        return []
    keep = {*named, related._meta.pk.attname}
    return [
        f"{field.name}__{column.name}"
        for column in related._meta.concrete_fields
        if column.attname not in keep and column.name not in keep
    ]


def _pick_list_key(field) -> str | None:
    """The pick-list a link field takes its values from (``fields.choice_fk``: a list's active
    values), or None for any other link."""
    from kesher.platform.models import Choice

    limit = getattr(field, "_limit_choices_to", None)
    if field.related_model is not Choice or not isinstance(limit, dict):
        return None
    if set(limit) != {"list_key", "active"} or limit["active"] is not True:
        return None
    return limit["list_key"]


def _large_entity(model) -> str | None:
    """The key of ``model``'s entity when it is one of the large tables (accounts, contacts…)."""
    from kesher.platform.registry import registry

    if model is None or not registry.has_model(model):
        return None
    entity = registry.for_model(model)
    return entity.key if entity.large else None


class Filter:
    """One simple filter of the list: a pick-list, a user, a yes/no, text, or a record of a
    large table (a search-as-you-type picker)."""

    picker_entity: str | None = None

    def __init__(
        self, entity: Entity, name: str, value: str, user, pick_list=None, link_options=None
    ):
        self.name = name
        self.entity = entity
        self.user = user
        # (list key) -> the list's active values, read with the page's other pick-lists.
        self.pick_list = pick_list
        # (field, list key) -> (pk, name) of the records a link may take, read once a page
        # for every filter and the builder that offer the same records (``Table.link_options``).
        self.link_options = link_options or (
            lambda field, list_key: link_options_of(field, user, list_key)
        )
        field = entity.model._meta.get_field(name)
        assert isinstance(field, models.Field)  # filters are on the model's own fields
        self.field = field
        self.label = self.field.verbose_name
        self.value = value
        if isinstance(self.field, models.BooleanField):
            self.kind = "bool"
        elif self.field.is_relation and _large_entity(self.field.related_model):
            # A record of a large table is chosen by typing its name, never from a <select>
            # of its first 200 records (read on every page: a quarter of a list's time).
            self.kind = "picker"
            self.picker_entity = _large_entity(self.field.related_model)
        elif self.field.is_relation or self.field.choices:
            self.kind = "select"
        else:
            self.kind = "text"

    @cached_property
    def options(self) -> list[tuple[str, str]] | None:
        """A <select>'s (value, label) pairs: read only when a page draws the filter, never
        for the rows alone (the API, exports, ``Table.rows``)."""
        if self.kind != "select":
            return None
        if not self.field.is_relation:
            return [(str(k), str(v)) for k, v in self.field.choices or ()]
        shared = _pick_list_key(self.field)
        if shared is not None and self.pick_list is not None:
            return [(str(c.pk), str(c)) for c in self.pick_list(shared)[:200]]
        # The entity's own pick-list, when the link's condition does not name it.
        list_key = self.entity.choice_lists.get(self.name)
        return [(str(pk), label) for pk, label in self.link_options(self.field, list_key)]

    @property
    def options_html(self) -> str:
        """The <select>'s options as HTML, the current value selected: built here, as the
        rows are (``Table.row_html``), not by a template loop over up to 200 options."""
        parts = ['<option value="">—</option>']
        for value, label in self.options or ():
            selected = " selected" if value == self.value else ""
            parts.append(f'<option value="{escape(value)}"{selected}>{escape(label)}</option>')
        return mark_safe("".join(parts))  # every value and label escaped above

    def apply(self, qs):
        if self.value == "":
            return qs
        if self.kind == "bool":
            return qs.filter(**{self.name: self.value == "1"})
        if self.kind == "text" and not isinstance(self.field, models.CharField | models.TextField):
            # A number or a date typed into the box: the records holding exactly it (a
            # value of the wrong form raises ValueError/ValidationError, and the box is
            # emptied by ``Table.queryset``).
            return qs.filter(**{self.name: self.value})
        if self.kind == "text":
            if self.value.lower() == self.value.upper():
                # No letter case to ignore (Hebrew, digits): a prefix the index answers.
                return lookups.expand_prefix(qs, self.name, self.value)
            return qs.filter(**{f"{self.name}__istartswith": self.value})
        if isinstance(self.field, models.ManyToManyField):
            # Exists keeps one row per record without DISTINCT over a large table.
            through = self.field.remote_field.through
            assert through is not None  # set (or made) when the models are loaded
            source = self.field.m2m_field_name()
            target = self.field.m2m_reverse_field_name()
            link = through._default_manager.filter(
                **{f"{source}_id": models.OuterRef("pk"), f"{target}_id": self.value}
            )
            return qs.filter(models.Exists(link))
        return qs.filter(**{self.name: self.value})


@dataclass
class Column:
    """One column of a list: a built-in field or a custom field (``custom.<key>``)."""

    name: str
    label: str
    field: models.Field | None = None
    custom: CustomField | None = None
    sortable: bool = False

    @property
    def verbose_name(self):
        return self.label


class Table:
    """A list page's state from its query string: ``view`` (a saved view), ``columns``,
    ``filter`` (filter-language JSON), simple per-field filters, ``q``, ``sort``, ``page``."""

    def __init__(self, entity: Entity, request):
        from kesher.platform.customfields.values import definitions_for
        from kesher.platform.lists.savedviews import saved_view_queryset

        self.entity = entity
        self.request = request
        params = request.GET
        self.errors: list[str] = []
        self.view = None
        view_id = params.get("view", "")
        if view_id.isdigit():
            self.view = (
                saved_view_queryset(request.user).filter(pk=view_id, entity=entity.key).first()
            )
        elif view_id:
            # A view the entity comes with ("my team's tickets"), read for this reader.
            self.view = entity.builtin_view(view_id)
        # Fields the user does not see are no columns, filters or sort keys (decision 0047).
        self.hidden = hidden_fields(entity, request.user)
        self.custom_definitions = {
            d.key: d for d in definitions_for(entity) if f"custom.{d.key}" not in self.hidden
        }
        self.available_columns = self._available_columns()
        wanted = params.get("columns", "")
        names = [c for c in wanted.split(",") if c] if wanted else []
        if not names and self.view is not None:
            names = list(self.view.columns)
        if not names:
            names = list(entity.list_columns)
        by_name = {c.name: c for c in self.available_columns}
        self.columns = [by_name[n] for n in names if n in by_name] or [
            by_name[n] for n in entity.list_columns if n in by_name
        ]
        self._pick_lists: dict[str, list] | None = None
        self._link_options: dict[tuple, list] = {}
        self.filters = [
            Filter(
                entity,
                name,
                params.get(name, "").strip(),
                request.user,
                self.pick_list,
                self.link_options,
            )
            for name in entity.filter_fields
            if name not in self.hidden
        ]
        self.filter_json = params.get("filter", "")
        sort = params.get("sort", "") or (self.view.sort if self.view else "")
        sortable = {c.name for c in self.available_columns if c.sortable}
        self.sort = sort if sort.lstrip("-") in sortable else ""
        try:
            self.page = max(1, int(params.get("page", 1)))
        except ValueError:
            self.page = 1
        self.q = params.get("q", "").strip()[:200]
        # Next/previous links carry a keyset cursor; ``page`` is then only the number shown.
        self.cursor = params.get(CURSOR_PARAM, "")
        # A typed page number reaches only so deep (decision 0056); the links go further.
        self.page_limit = last_typed_page(PAGE_SIZE)
        self.page_error = ""
        if self.page > self.page_limit and not self.cursor:
            self.page_error = gettext(
                "Page numbers go up to %(limit)s (the first %(rows)s records). Further on, "
                "go on with “Next”, or narrow the list with a filter or a search."
            ) % {"limit": f"{self.page_limit:,}", "rows": f"{self.page_limit * PAGE_SIZE:,}"}
        self._keyset: Keyset | None = None
        self._rows: list | None = None
        self._count: int | None = None
        # The page's first and last rows, which its cursors start from.
        self._first: models.Model | None = None
        self._last: models.Model | None = None
        self.selectable = False  # row checkboxes for bulk actions; the view decides
        # Checked now, so the page can show what is wrong above the results.
        self.expression = self._expression()
        self._compiled = None  # (Q, aliases) of the expression
        if self.expression is not None:
            from kesher.platform.lists.filterlang import compile_filter

            try:
                self._compiled = compile_filter(entity, self.expression, request.user)
            except ValidationError as exc:
                self.errors.extend(exc.messages)

    def _available_columns(self) -> list[Column]:
        entity = self.entity
        columns = []
        for field in entity.model._meta.get_fields():
            if not isinstance(field, models.Field) or not getattr(field, "concrete", False):
                continue
            if field.name in ("custom", "password", "id"):
                continue
            if field.name in ("version", "path", "key_hash") or field.name in self.hidden:
                continue
            columns.append(
                Column(
                    field.name,
                    str(field.verbose_name),
                    field=field,
                    sortable=field.name in entity.ordering_fields,
                )
            )
        for definition in self.custom_definitions.values():
            columns.append(
                Column(
                    f"custom.{definition.key}",
                    definition.label,
                    custom=definition,
                    sortable=type_of(definition).indexable,
                )
            )
        return columns

    def pick_list(self, list_key: str) -> list:
        """A pick-list's active values: the first use reads every pick-list the entity's fields
        and custom fields take values from, in one query, for the filters above the list and
        the filter builder alike (a query a list, twice, was most of a list page's queries)."""
        from kesher.platform.models import Choice

        if self._pick_lists is None:
            keys = {_pick_list_key(f) for f in self.entity.model._meta.concrete_fields}
            keys |= set(self.entity.choice_lists.values())
            keys |= {d.choice_list for d in self.custom_definitions.values()}
            self._pick_lists = {key: [] for key in keys if key}
            for value in Choice.objects.filter(list_key__in=list(self._pick_lists), active=True):
                self._pick_lists[value.list_key].append(value)
        if list_key not in self._pick_lists:
            self._pick_lists[list_key] = list(Choice.objects.filter(list_key=list_key, active=True))
        return self._pick_lists[list_key]

    def link_options(self, field, list_key: str | None = None) -> list[tuple]:
        """(pk, name) of the records a link field may take (``link_options_of``), read once a
        page for every field offering the same records: the ticket list's owner and handler
        filters read the users once (a query each before), and the builder reads nothing the
        filters read (it read again the links a filter had found empty)."""
        limit = field.get_limit_choices_to() if hasattr(field, "get_limit_choices_to") else None
        key = (field.related_model, repr(limit), list_key)
        if key not in self._link_options:
            self._link_options[key] = link_options_of(field, self.request.user, list_key)
        return self._link_options[key]

    def _expression(self):
        from kesher.platform.lists.savedviews import parse_filter

        expressions = []
        if self.view is not None and self.view.filter:
            expressions.append(self.view.filter)
        try:
            parsed = parse_filter(self.filter_json)
        except ValidationError as exc:
            self.errors.extend(exc.messages)
            parsed = None
        if parsed:
            expressions.append(parsed)
        if not expressions:
            return None
        return expressions[0] if len(expressions) == 1 else {"all": expressions}

    def queryset(self):
        from kesher.platform.lists.savedviews import sort_expression

        entity = self.entity
        qs = entity.queryset().visible_to(self.request.user)
        for f in self.filters:
            try:
                qs = f.apply(qs)
            except (ValueError, ValidationError):
                f.value = ""
        if self.errors:
            return qs.none()
        if self._compiled is not None:
            condition, aliases = self._compiled
            qs = qs.alias(**aliases).filter(condition) if aliases else qs.filter(condition)
        if self.q and entity.has_search():
            from kesher.platform.records.search import matching_ids

            qs = qs.filter(pk__in=matching_ids(self.request.user, entity, self.q))
        if self.sort:
            aliases, order = sort_expression(entity, self.sort)
            if aliases:
                qs = qs.alias(**aliases)
            return qs.order_by(*with_default_ties(order, entity.default_ordering))
        return qs.order_by(*entity.default_ordering)

    def _cells(self, objs) -> list:
        from kesher.platform.customfields.forms import display_value
        from kesher.platform.customfields.types import DisplayContext
        from kesher.platform.ui.display import field_display

        custom = [c.custom for c in self.columns if c.custom is not None]
        context = DisplayContext.for_values(
            (definition, (obj.custom or {}).get(definition.key))
            for obj in objs
            for definition in custom
        )
        rows = []
        for obj in objs:
            cells = []
            for column in self.columns:
                if column.custom is not None:
                    value = (obj.custom or {}).get(column.custom.key)
                    cells.append(display_value(column.custom, value, context))
                else:
                    cells.append(field_display(obj, column.name))
            rows.append((obj, cells))
        return rows

    @property
    def row_html(self) -> list:
        """Each row as escaped HTML, built in Python: rendering 50 rows × columns through the
        template engine was most of a list page's time (bench/README.md, profile)."""
        from django.urls import reverse
        from django.utils.html import conditional_escape, escape
        from django.utils.safestring import mark_safe
        from django.utils.translation import gettext

        link = reverse("entity_detail", args=[self.entity.key, 0])[:-2]
        select = ""
        if self.selectable:
            label = escape(gettext("Select"))
            select = (
                '<td class="select-col"><input class="form-check-input row-select" '
                f'type="checkbox" name="ids" value="{{pk}}" form="bulk-launch" '
                f'aria-label="{label}"></td>'
            )
        rows = []
        for obj, cells in self.rows:
            parts = [select.format(pk=obj.pk)] if select else []
            for index, cell in enumerate(cells):
                if index == 0:
                    text = escape(cell if cell not in (None, "") else obj)
                    parts.append(f'<td><a href="{link}{obj.pk}/">{text}</a></td>')
                elif cell is True:
                    parts.append("<td>✓</td>")
                elif cell is False or cell in (None, ""):
                    parts.append("<td></td>")
                else:
                    # conditional_escape: a value that is its own HTML (a phone's tel: link).
                    parts.append(f"<td><bdi>{conditional_escape(cell)}</bdi></td>")
            rows.append(mark_safe(f"<tr>{''.join(parts)}</tr>"))
        return rows

    @property
    def fields(self) -> list:
        """The model fields among the shown columns."""
        return [c.field for c in self.columns if c.field is not None]

    @property
    def shown(self) -> list:
        """The records the page showed: none when it read no rows (a count, an error)."""
        return [obj for obj, _cells in self._rows or ()]

    @property
    def rows(self):
        if self._rows is None:
            qs = with_columns(self.queryset(), self.fields, self.request.user)
            self._keyset = Keyset.for_ordering(qs.model, qs.query.order_by)
            qs = self._shown_only(qs)
            position = self._keyset.decode(self.cursor) if self._keyset and self.cursor else None
            walk_index = sort_index(self.entity.key, self._keyset)
            if position is not None and position.many:
                # The first page found more rows than the count shows: no need to count again.
                self._count = COUNT_CAP + 1
            elif walk_index is not None:
                # Whether many rows match decides how SQLite reads the page (Keyset.page).
                self._count = self._count_of(qs)
            objs = self._page(qs, position, walk_index if self.count_capped else None)
            if self._count is None and self.page == 1 and not self.has_next:
                self._count = len(objs)
            self._first, self._last = (objs[0], objs[-1]) if objs else (None, None)
            self._rows = self._cells(objs)
        return self._rows

    def _shown_only(self, qs):
        """``qs`` reading only what the page shows of each row, when the model says which
        columns its name reads (``title_fields``; the first cell falls back to the name): the
        shown columns, a linked record's name, a sum's currency, the custom values of custom
        columns and the sort's values the cursors carry. Loading every column of 50 rows (a
        ticket's description, its resolution) was a quarter of reading the page."""
        named = getattr(qs.model, "title_fields", None)
        if named is None:
            return qs
        keep = set(named)
        for column in self.columns:
            field = column.field
            if column.custom is not None:
                keep.add("custom")
            elif field is not None and not field.many_to_many:
                keep.add(field.name)
                currency = getattr(field, "money_currency_field", None)
                if currency:
                    keep.add(currency)
                related = field.related_model
                if related is not None and (field.many_to_one or field.one_to_one):
                    names = getattr(related, "title_fields", None) or [
                        c.name for c in related._meta.concrete_fields
                    ]
                    keep.update(f"{field.name}__{name}" for name in names)
        for term in self._keyset.terms if self._keyset is not None else ():
            keep.add("custom" if term.custom_kind is not None else term.name)
        return qs.only(*keep)

    @staticmethod
    def _count_of(qs) -> int:
        """Matching rows up to one past the cap: exact for small sets, bounded for huge ones."""
        return qs.order_by()[: COUNT_CAP + 1].count()

    def count_only(self) -> None:
        """Count the matching rows without reading a page (the list's lazily loaded count)."""
        self._count = self._count_of(self.queryset())

    def _page(self, qs, position, walk_index) -> list:
        """One page of rows, sought in the sort's index at any depth: from the cursor when
        there is one, else from the row before the typed page number, found by reading the
        sort values alone (``Keyset.boundary``). Orderings that cannot be sought page by
        offset."""
        if position is None and self.page > 1:
            if self.page > self.page_limit:
                # Not sought: the page says so (``page_error``).
                self.has_next = False
                return []
            offset = (self.page - 1) * PAGE_SIZE
            if self._keyset is None:
                objs = list(qs[offset : offset + PAGE_SIZE + 1])
                self.has_next = len(objs) > PAGE_SIZE
                return objs[:PAGE_SIZE]
            position = self._keyset.boundary(qs, offset, walk_index=walk_index)
            if position is None:  # past the last page
                self.has_next = False
                return []
        elif self._keyset is None:
            objs = list(qs[: PAGE_SIZE + 1])
            self.has_next = len(objs) > PAGE_SIZE
            return objs[:PAGE_SIZE]
        objs, more = self._keyset.page(qs, position, PAGE_SIZE, walk_index=walk_index)
        self.has_next = True if position is not None and position.backward else more
        return objs

    @property
    def count(self):
        """Matching rows (at most the cap), or None when the page did not need to count them:
        the page then loads the count by itself (``count_url``), so reading a page of a large
        list never waits for it (DESIGN.md "Lists at scale": count lazily)."""
        if self._count is None:
            return None
        return min(self._count, COUNT_CAP)

    @property
    def count_capped(self):
        return self._count is not None and self._count > COUNT_CAP

    @property
    def count_url(self) -> str:
        return self.url(count="1", page="", cursor="")

    def url(self, **changes) -> str:
        params = {k: v for k, v in self.request.GET.items() if v}
        params.update(changes)
        params = {k: v for k, v in params.items() if v not in ("", None)}
        return "?" + urlencode(params)

    @property
    def page_form_params(self) -> list[tuple[str, str]]:
        """The list's other parameters, kept as hidden fields of the "go to page" form."""
        skipped = {"page", CURSOR_PARAM, "count"}
        return [(k, v) for k, v in self.request.GET.items() if v and k not in skipped]

    @property
    def expression_json(self) -> str:
        """The saved view's and the builder's filter together, for bulk actions ({} = all)."""
        import json

        return json.dumps(self.expression or {}, ensure_ascii=False)

    @property
    def column_names(self) -> str:
        return ",".join(c.name for c in self.columns)

    @property
    def headers(self):
        """(label, sort link or "", arrow) for each column."""
        result = []
        for column in self.columns:
            if not column.sortable:
                result.append((column.label, "", ""))
                continue
            new = "-" + column.name if self.sort == column.name else column.name
            arrow = {column.name: "▲", "-" + column.name: "▼"}.get(self.sort, "")
            result.append((column.label, self.url(sort=new, page="", cursor=""), arrow))
        return result

    @property
    def next_url(self):
        if self.rows is None or not self.has_next:
            return ""
        if self._keyset is not None and self._last is not None:
            cursor = self._keyset.cursor(self._last, many=self.count_capped)
            return self.url(page=self.page + 1, cursor=cursor)
        return self.url(page=self.page + 1, cursor="")

    @property
    def prev_url(self):
        if self.page <= 1:
            return ""
        self.rows  # noqa: B018  (reads the page and its first row)
        if self.page == 2 or self._keyset is None or self._first is None:
            return self.url(page=self.page - 1 if self.page > 2 else "", cursor="")
        cursor = self._keyset.cursor(self._first, backward=True, many=self.count_capped)
        return self.url(page=self.page - 1, cursor=cursor)

    def builder(self) -> dict:
        """The filter builder's data (list pages and the automation rule builder): its fields,
        operators, periods and the words its script writes on the rows it adds."""
        from django.utils.translation import gettext as _

        from kesher.platform.ui.display import OP_LABELS, PERIOD_LABELS

        return {
            "fields": self.builder_fields(),
            "ops": OP_LABELS,
            "periods": PERIOD_LABELS,
            "labels": {
                "field": _("Field"),
                "op": _("Condition"),
                "value": _("Value"),
                "remove": _("Remove the condition"),
                "yes": _("Yes"),
                "no": _("No"),
                "between": _("from, to"),
            },
        }

    def builder_fields(self) -> list[dict]:
        """What the filter builder offers: each filterable field with its kind and values."""
        from kesher.platform.lists.filterlang import MINE, OPS, own_records, resolve_field

        refs = []
        for column in self.available_columns:
            try:
                ref = resolve_field(
                    self.entity, column.name, self.custom_definitions, self.request.user
                )
            except ValidationError:
                continue
            refs.append((column, ref))
        result = []
        for column, ref in refs:
            entry = {
                "field": column.name,
                "label": str(column.label),
                "kind": ref.kind,
                "ops": sorted(OPS[ref.kind]),
            }
            if ref.choice_list:
                entry["choices"] = [[c.value, c.label] for c in self.pick_list(ref.choice_list)]
            elif ref.model_field is not None and ref.kind in ("ref", "multi"):
                # Shared with the simple filters above the list (the same records, one query).
                large = _large_entity(ref.model_field.related_model)
                entry["choices"] = (
                    None
                    if large
                    else [[pk, label] for pk, label in self.link_options(ref.model_field)]
                )
                own = own_records(ref.model_field.related_model)
                if own is not None and ref.kind == "ref" and entry["choices"] is not None:
                    # "Mine": the reader's own (his teams), whoever later opens the view.
                    entry["choices"].insert(0, [MINE, str(own.label)])
            result.append(entry)
        return result


def link_options_of(field, user, list_key: str | None = None, limit: int = 200) -> list[tuple]:
    """(pk, name) of the first ``limit`` records by name a link field may take: its condition
    (``limit_choices_to``), ``list_key`` for a pick-list link, and what ``user`` may link to;
    only the columns the names read (``by_name``)."""
    from kesher.platform.registry import registry

    model = field.related_model
    queryset = model._default_manager.all()
    limit_to = field.get_limit_choices_to() if hasattr(field, "get_limit_choices_to") else None
    if limit_to:
        queryset = queryset.complex_filter(limit_to)
    if list_key is not None:
        queryset = queryset.filter(list_key=list_key)
    if registry.has_model(model):
        queryset = linkable(queryset, user)
    return [(obj.pk, str(obj)) for obj in by_name(queryset)[:limit]]
