"""The API's list pagination (DESIGN.md "Lists at scale", "API conventions").

``count`` stops at a cap — no exact COUNT(*) over a million rows on every page; ``count_exact``
tells clients whether it was capped. ``next`` and ``previous`` carry a keyset ``cursor`` (the
boundary row's sort values and id), so following them costs the same at any depth; a capped
count travels in the cursor too, and the pages it leads to report it without counting again.
``page=N`` jumps to a page by number: the rows before it are skipped in the sort's index alone
and the page is sought from there like a cursor's, up to the page holding row 100,000
(``keyset.TYPED_ROWS``); deeper numbers are refused with a 400 that says to follow ``next``
(decision 0056).
"""

from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from kesher.platform.customfields.schema import sort_index
from kesher.platform.lists.keyset import (
    CURSOR_PARAM,
    TYPED_ROWS,
    Keyset,
    last_typed_page,
    with_default_ties,
)

COUNT_CAP = 1_000


class CappedCountPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
    # Set by paginate_queryset, which runs before the links are asked for.
    request: Request
    keyset: Keyset | None
    first_row: Any
    last_row: Any

    def paginate_queryset(self, queryset, request, view=None):
        page_size = self.get_page_size(request)
        assert page_size is not None  # settings.REST_FRAMEWORK["PAGE_SIZE"] is set
        try:
            number = max(1, int(request.query_params.get(self.page_query_param, 1)))
        except ValueError:
            number = 1
        self.page_number = number
        self.request = request
        entity = getattr(view, "entity", None)
        ordering = queryset.query.order_by or queryset.model._meta.ordering
        if entity is not None:
            ordering = with_default_ties(ordering, entity.default_ordering)
        self.keyset = Keyset.for_ordering(queryset.model, ordering)
        if self.keyset is not None:
            queryset = queryset.order_by(*self.keyset.order_by())
        token = request.query_params.get(CURSOR_PARAM, "")
        position = self.keyset.decode(token) if self.keyset and token else None
        limit = last_typed_page(page_size)
        if position is None and number > limit:
            raise ValidationError(
                {
                    self.page_query_param: [
                        _(
                            "Page numbers go up to %(limit)s at %(size)s records a page (the "
                            "first %(rows)s records); follow the “next” links further on."
                        )
                        % {
                            "limit": f"{limit:,}",
                            "size": page_size,
                            "rows": f"{limit * page_size:,}",
                        }
                    ]
                }
            )
        if position is not None and position.many:
            # The first page counted past the cap; its cursors say so, and later pages trust it.
            capped = COUNT_CAP + 1
        else:
            # COUNT over a LIMITed subquery: exact for small sets, bounded work for huge ones;
            # counted first, since whether many rows match decides how the page is read.
            capped = queryset.order_by()[: COUNT_CAP + 1].count()
        self.count_exact = capped <= COUNT_CAP
        self.count = min(capped, COUNT_CAP)
        walk_index = None
        if self.keyset is not None and not self.count_exact and entity is not None:
            walk_index = sort_index(entity.key, self.keyset)
        if position is None and number > 1 and self.keyset is not None:
            # A typed page: sought from the row before it, read from the sort's index alone.
            offset = (number - 1) * page_size
            position = self.keyset.boundary(queryset, offset, walk_index=walk_index)
            rows: list[Any] = []
            self.has_next = False  # past the last page, unless the page below says otherwise
            if position is not None:
                rows, self.has_next = self.keyset.page(
                    queryset, position, page_size, walk_index=walk_index
                )
        elif self.keyset is None:
            offset = (number - 1) * page_size
            rows = list(queryset[offset : offset + page_size + 1])
            self.has_next = len(rows) > page_size
            rows = rows[:page_size]
        else:
            rows, more = self.keyset.page(queryset, position, page_size, walk_index=walk_index)
            self.has_next = True if position is not None and position.backward else more
        self.first_row, self.last_row = (rows[0], rows[-1]) if rows else (None, None)
        return rows

    def get_next_link(self):
        if not self.has_next:
            return None
        url = replace_query_param(
            self.request.build_absolute_uri(), self.page_query_param, self.page_number + 1
        )
        if self.keyset is None or self.last_row is None:
            return remove_query_param(url, CURSOR_PARAM)
        cursor = self.keyset.cursor(self.last_row, many=not self.count_exact)
        return replace_query_param(url, CURSOR_PARAM, cursor)

    def get_previous_link(self):
        if self.page_number <= 1:
            return None
        url = self.request.build_absolute_uri()
        if self.page_number == 2:
            return remove_query_param(remove_query_param(url, self.page_query_param), CURSOR_PARAM)
        url = replace_query_param(url, self.page_query_param, self.page_number - 1)
        if self.keyset is None or self.first_row is None:
            return remove_query_param(url, CURSOR_PARAM)
        cursor = self.keyset.cursor(self.first_row, backward=True, many=not self.count_exact)
        return replace_query_param(url, CURSOR_PARAM, cursor)

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        base = super().get_paginated_response_schema(schema)
        base["properties"]["count_exact"] = {"type": "boolean", "example": True}
        return base

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["description"] = (
                    "A page number, up to the page holding record "
                    f"{TYPED_ROWS:,} at the page size (page "
                    f"{last_typed_page(self.page_size or 50):,} at {self.page_size or 50} a page); "
                    "a deeper number answers 400. Each page costs the same at any depth; "
                    "follow `next` to go further."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1, "example": 2}
        parameters.append(
            {
                "name": CURSOR_PARAM,
                "required": False,
                "in": "query",
                "description": "Opaque position from a `next` or `previous` link.",
                "schema": {"type": "string"},
            }
        )
        return parameters
