"""Page-number pagination whose count stops at a cap: no exact COUNT(*) over a million rows on
every page (DESIGN.md "Lists at scale"). ``count_exact`` tells clients whether it was capped."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

COUNT_CAP = 10_000


class CappedCountPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        page_size = self.get_page_size(request)
        try:
            number = max(1, int(request.query_params.get(self.page_query_param, 1)))
        except ValueError:
            number = 1
        offset = (number - 1) * page_size
        rows = list(queryset[offset : offset + page_size + 1])
        self.has_next = len(rows) > page_size
        self.page_number = number
        self.request = request
        # COUNT over a LIMITed subquery: exact for small sets, bounded work for huge ones.
        capped = queryset.order_by()[: COUNT_CAP + 1].count()
        self.count_exact = capped <= COUNT_CAP
        self.count = min(capped, COUNT_CAP)
        return rows[:page_size]

    def get_next_link(self):
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        from rest_framework.utils.urls import replace_query_param

        return replace_query_param(url, self.page_query_param, self.page_number + 1)

    def get_previous_link(self):
        if self.page_number <= 1:
            return None
        url = self.request.build_absolute_uri()
        from rest_framework.utils.urls import remove_query_param, replace_query_param

        if self.page_number == 2:
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.page_number - 1)

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
