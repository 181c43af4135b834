"""The list page's table: columns, filters, sort and paging of one entity, from the registry."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.http import urlencode

from .registry import Entity

COUNT_CAP = 10_000


class Filter:
    """One simple filter of the list: a pick-list, a user, a yes/no, or text."""

    def __init__(self, entity: Entity, name: str, value: str, user):
        self.name = name
        self.field = entity.model._meta.get_field(name)
        self.label = self.field.verbose_name
        self.value = value
        self.options = None
        if isinstance(self.field, models.BooleanField):
            self.kind = "bool"
        elif self.field.is_relation:
            self.kind = "select"
            related = self.field.related_model
            queryset = related._default_manager.all()
            limit = (
                self.field.get_limit_choices_to()
                if hasattr(self.field, "get_limit_choices_to")
                else None
            )
            if limit:
                queryset = queryset.complex_filter(limit)
            from .registry import registry

            if registry.has_model(related):
                queryset = queryset.visible_to(user)
            self.options = [(str(o.pk), str(o)) for o in queryset[:200]]
        elif self.field.choices:
            self.kind = "select"
            self.options = [(str(k), str(v)) for k, v in self.field.choices]
        else:
            self.kind = "text"

    def apply(self, qs):
        if self.value == "":
            return qs
        if self.kind == "bool":
            return qs.filter(**{self.name: self.value == "1"})
        if self.kind == "text":
            return qs.filter(**{f"{self.name}__istartswith": self.value})
        if self.field.many_to_many:
            # Exists keeps one row per record without DISTINCT over a large table.
            through = self.field.remote_field.through
            source = self.field.m2m_field_name()
            target = self.field.m2m_reverse_field_name()
            link = through.objects.filter(
                **{f"{source}_id": models.OuterRef("pk"), f"{target}_id": self.value}
            )
            return qs.filter(models.Exists(link))
        return qs.filter(**{self.name: self.value})


class Table:
    def __init__(self, entity: Entity, request):
        self.entity = entity
        self.request = request
        params = request.GET
        self.columns = [entity.field(c) for c in entity.list_columns]
        self.filters = [
            Filter(entity, name, params.get(name, "").strip(), request.user)
            for name in entity.filter_fields
        ]
        sort = params.get("sort", "")
        self.sort = sort if sort.lstrip("-") in entity.ordering_fields else ""
        try:
            self.page = max(1, int(params.get("page", 1)))
        except ValueError:
            self.page = 1
        self.q = params.get("q", "").strip()[:200]
        self._rows = None

    def queryset(self):
        entity = self.entity
        qs = entity.model.objects.visible_to(self.request.user)
        for f in self.filters:
            try:
                qs = f.apply(qs)
            except (ValueError, ValidationError):
                f.value = ""
        if self.q and entity.has_search():
            from . import search

            ids = [
                obj.pk
                for _e, objs in search.search(
                    self.request.user, self.q, entities=[entity.key], limit=500
                )
                for obj in objs
            ]
            qs = qs.filter(pk__in=ids)
        order = (
            [self.sort, "id" if not self.sort.startswith("-") else "-id"]
            if self.sort
            else list(entity.default_ordering)
        )
        return qs.order_by(*order)

    @property
    def rows(self):
        if self._rows is None:
            qs = self.queryset()
            entity = self.entity
            related = [c.name for c in self.columns if c.many_to_one]
            if related:
                qs = qs.select_related(*related)
            many = [c.name for c in self.columns if c.many_to_many]
            if many:
                # One query for the page's values of each many-to-many column, not one per row.
                qs = qs.prefetch_related(*many)
            offset = (self.page - 1) * 50
            objs = list(qs[offset : offset + 51])
            self.has_next = len(objs) > 50
            objs = objs[:50]
            from .views import field_display

            self._rows = [(o, [field_display(o, c.name) for c in self.columns]) for o in objs]
            self._count = qs.order_by()[: COUNT_CAP + 1].count()
            del entity
        return self._rows

    @property
    def count(self):
        self.rows  # noqa: B018  (computes the count with the page)
        return min(self._count, COUNT_CAP)

    @property
    def count_capped(self):
        self.rows  # noqa: B018
        return self._count > COUNT_CAP

    def url(self, **changes) -> str:
        params = {k: v for k, v in self.request.GET.items() if v}
        params.update(changes)
        params = {k: v for k, v in params.items() if v not in ("", None)}
        return "?" + urlencode(params)

    @property
    def headers(self):
        """(label, sort link or "", arrow) for each column."""
        result = []
        for column in self.columns:
            if column.name not in self.entity.ordering_fields:
                result.append((column.verbose_name, "", ""))
                continue
            new = "-" + column.name if self.sort == column.name else column.name
            arrow = {column.name: "▲", "-" + column.name: "▼"}.get(self.sort, "")
            result.append((column.verbose_name, self.url(sort=new, page=""), arrow))
        return result

    @property
    def next_url(self):
        return self.url(page=self.page + 1) if self.rows is not None and self.has_next else ""

    @property
    def prev_url(self):
        return self.url(page=self.page - 1 if self.page > 2 else "") if self.page > 1 else ""
