"""``?ordering=`` for entity lists: built-in fields as DRF does, plus custom fields
(``custom.<key>``, REQ CX-1) and a saved view's sort (``?view=``), with empty values last the
same way on SQLite and PostgreSQL, so that the pagination's keyset cursor serves every sort.
Also the simple ``field=value`` filters. Neither sorts nor filters by a field the caller does
not see (decision 0047)."""

import weakref

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.filters import OrderingFilter

from kesher.platform.lists.keyset import with_default_ties


class EntityOrderingFilter(OrderingFilter):
    def remove_invalid_fields(self, queryset, fields, view, request):
        # A field the caller does not see sorts nothing, as one that does not exist (0047).
        hidden = _hidden(view, request)
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        return [term for term in valid if term.lstrip("-") not in hidden]

    def filter_queryset(self, request, queryset, view):
        entity = getattr(view, "entity", None)
        if entity is None or getattr(view, "action", None) != "list":
            return super().filter_queryset(request, queryset, view)
        raw = request.query_params.get(self.ordering_param, "").strip()
        terms = [t.strip() for t in raw.split(",") if t.strip()]
        if len(terms) > 1:
            return super().filter_queryset(request, queryset, view)
        sort = terms[0] if terms else _view_sort(request, entity)
        if not sort or sort.lstrip("-") in _hidden(view, request):
            return queryset
        if not sort.lstrip("-").startswith("custom.") and sort.lstrip("-") not in set(
            view.ordering_fields
        ):
            return queryset
        from kesher.platform.lists.savedviews import sort_expression

        found = sort_expression(entity, sort)
        if found is None:
            return queryset
        aliases, order = found
        if aliases:
            queryset = queryset.alias(**aliases)
        return queryset.order_by(*with_default_ties(order, entity.default_ordering))

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.ordering_param:
                parameter["description"] = (
                    "Sort by a field, descending with a leading '-': a built-in field or a "
                    "custom field as custom.<key>; empty values come last. Without it, the "
                    "sort of the saved view given by ?view= applies."
                )
                parameter["example"] = "-custom.next_meeting"
        return parameters


def _hidden(view, request) -> frozenset[str]:
    from kesher.platform.visibility import hidden_fields

    entity = getattr(view, "entity", None)
    return hidden_fields(entity, request.user) if entity is not None else frozenset()


def _view_sort(request, entity) -> str:
    from kesher.platform.lists.savedviews import saved_view_queryset

    view_id = request.query_params.get("view", "")
    if not view_id.isdigit():
        return ""
    view = saved_view_queryset(request.user).filter(pk=view_id, entity=entity.key).first()
    return view.sort if view is not None else ""


# A viewset class -> (the model, its FilterSet class); a class rebuilt for a new registration
# drops its entry with it.
_filtersets: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class EntityFilterBackend(DjangoFilterBackend):
    """``field=value`` filters of an entity list (its ``filter_fields``); one on a field the
    caller does not see filters nothing, as a parameter naming no field (decision 0047)."""

    def get_filterset_class(self, view, queryset=None):
        # django-filter builds a FilterSet class from ``filterset_fields`` on every request
        # (a class and a filter per field: a tenth of a 50-row list's time); a viewset class
        # is built once per registration (viewsets.entity_view), so its FilterSet is too.
        model = queryset.model if queryset is not None else None
        cached = _filtersets.get(type(view))
        if cached is None or cached[0] is not model:
            cached = _filtersets[type(view)] = (model, super().get_filterset_class(view, queryset))
        return cached[1]

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        hidden = _hidden(view, request) & set(kwargs["data"])
        if hidden:
            data = kwargs["data"].copy()
            for name in hidden:
                data.pop(name)
            kwargs["data"] = data
        return kwargs
