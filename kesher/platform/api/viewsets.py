"""One DRF viewset per registered entity, generated: scoped reads, service writes, ETags."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ManyToManyField
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from kesher.org.middleware import activate_preferences
from kesher.platform import accesslog, once
from kesher.platform.api.exceptions import PreconditionFailed
from kesher.platform.api.ordering import EntityFilterBackend, EntityOrderingFilter
from kesher.platform.api.serializers import serializer_for
from kesher.platform.records.many import visible_prefetches
from kesher.platform.records.search import matching_ids
from kesher.platform.records.services import record_delete
from kesher.platform.registry import Entity, registry

if TYPE_CHECKING:
    from rest_framework.decorators import ViewSetAction

    from kesher.platform.api.serializers import EntitySerializer

__all__ = [
    "ApiRootView",
    "EntityViewSet",
    "api_urls",
    "entity_endpoints",
    "entity_view",
    "saved_view_urls",
    "viewset_for",
]


def _if_match(request) -> int | None:
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    header = header.removeprefix("W/").strip('"')
    try:
        return int(header)
    except ValueError:
        return -1


class EntityViewSet(viewsets.ModelViewSet):
    entity: Entity
    filter_backends = [EntityFilterBackend, EntityOrderingFilter]

    def get_queryset(self):
        entity = self.entity
        qs = entity.queryset().visible_to(self.request.user)
        joins = entity.select_related
        if self.action == "list" and entity.title_related is not None:
            # A list's rows give related records as ids: only what their names read is joined.
            joins = entity.title_related
        if joins:
            qs = qs.select_related(*joins)
        m2m = [
            name
            for name in entity.form_fields
            if isinstance(entity.model._meta.get_field(name), ManyToManyField)
        ]
        if m2m:
            qs = qs.prefetch_related(*visible_prefetches(entity.model, m2m, self.request.user))
        serializer_class = cast("type[EntitySerializer]", self.get_serializer_class())
        qs = serializer_class.for_reading(qs, self.request.user)
        text = self.request.query_params.get("search", "").strip()
        if text and entity.has_search():
            qs = qs.filter(pk__in=matching_ids(self.request.user, entity, text))
        return self._filtered(qs).order_by(*entity.default_ordering)

    def _filtered(self, qs):
        """``?view=<saved view id or built-in view key>`` and ``?filter=<filter-language
        JSON>`` (DESIGN.md API)."""
        from kesher.platform.lists.filterlang import apply_filter
        from kesher.platform.lists.savedviews import parse_filter, saved_view_queryset

        params = self.request.query_params
        if self.action != "list":
            return qs
        view_id = params.get("view")
        if view_id:
            view = self.entity.builtin_view(view_id) or (
                saved_view_queryset(self.request.user)
                .filter(pk=view_id if view_id.isdigit() else 0, entity=self.entity.key)
                .first()
            )
            if view is None:
                raise DjangoValidationError({"view": [_("No such saved view.")]})
            qs = apply_filter(qs, self.entity, view.filter, user=self.request.user)
        expression = parse_filter(params.get("filter"))
        if expression is not None:
            qs = apply_filter(qs, self.entity, expression, user=self.request.user)
        return qs

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # Token-authenticated calls are known only now, after the middleware ran: answer in
        # the user's own language (unless the request asked for one) and time zone.
        if request.user.is_authenticated:
            activate_preferences(request, request.user)

    def get_serializer_context(self):
        context = dict(super().get_serializer_context())
        context["expected_version"] = getattr(self, "_expected_version", None)
        return context

    def create(self, request, *args, **kwargs):
        """A create; one sent again with the same ``Idempotency-Key`` answers 200 with the
        record the first made (``kesher.platform.once``)."""
        submitted = once.api_token(request, self.entity.key)
        if not submitted:
            return self._create(request, *args, **kwargs)
        if not once.claim(submitted):
            try:
                made = once.earlier(submitted, self.entity.queryset().visible_to(request.user))
            except once.StillSaving as exc:
                return Response({"detail": str(exc)}, status=409)
            if made is not None:
                body = self.get_serializer(made).data
                return Response(body, status=200, headers={"Idempotent-Replayed": "true"})
            if not once.claim(submitted):
                return Response({"detail": str(once.StillSaving())}, status=409)
        response = None
        try:
            response = self._create(request, *args, **kwargs)
        finally:
            made_pk = response.data.get("id") if response and response.status_code == 201 else None
            once.settle(submitted, made_pk)
        return response

    def _create(self, request, *args, **kwargs):
        finder = self.entity.duplicate_finder
        forced = request.query_params.get("force", "").lower() in ("1", "true", "yes")
        if finder is None or forced:
            return super().create(request, *args, **kwargs)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Records like this one the caller may see: 409 with them, unless ?force=true (IM-3).
        duplicates = finder.find(request.user, serializer.validated_data)
        if duplicates:
            body = {"detail": str(finder.message), "duplicates": finder.as_json(duplicates)}
            return Response(body, status=409)
        self.perform_create(serializer)
        return Response(
            serializer.data, status=201, headers=self.get_success_headers(serializer.data)
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        action = "search" if request.query_params.get("search", "").strip() else "list"
        rows = response.data.get("results", ()) if isinstance(response.data, dict) else ()
        accesslog.note(action, self.entity.key, (row["id"] for row in rows if "id" in row))
        return response

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if response.data.get("id") is not None:
            accesslog.note("read", self.entity.key, (response.data["id"],))
        if "version" in response.data:
            response["ETag"] = f'"{response.data["version"]}"'
        return response

    def update(self, request, *args, **kwargs):
        instance = self.get_object()
        expected = _if_match(request)
        if expected is not None and getattr(instance, "version", expected) != expected:
            raise PreconditionFailed(instance.version)
        self._expected_version = expected
        serializer = self.get_serializer(
            instance, data=request.data, partial=kwargs.pop("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        obj = serializer.save()
        data = self.get_serializer(obj).data
        headers = {"ETag": f'"{obj.version}"'} if hasattr(obj, "version") else {}
        return Response(data, headers=headers)

    def perform_destroy(self, instance):
        expected = _if_match(self.request)
        if expected is not None and getattr(instance, "version", expected) != expected:
            raise PreconditionFailed(instance.version)
        service = self.entity.delete_service or record_delete
        options = {}
        replacement = self.request.query_params.get("replacement")
        candidates = self.entity.replacement_candidates
        if candidates is not None and replacement:
            options["replacement"] = (
                candidates(instance)
                .visible_to(self.request.user)
                .filter(pk=replacement if replacement.isdigit() else 0)
                .first()
            )
            if options["replacement"] is None:
                raise DjangoValidationError({"replacement": [_("No such record.")]})
        service(instance, actor=self.request.user, **options)


def _duplicate_parameters(entity: Entity) -> list:
    if entity.duplicate_finder is None:
        return []
    return [
        OpenApiParameter(
            "force",
            bool,
            description=(
                "Create even if records like this one exist. Without it, a create that looks "
                'like existing records answers 409 with {"detail": ..., "duplicates": [...]}.'
            ),
        )
    ]


_IDEMPOTENCY_KEY = OpenApiParameter(
    once.HEADER,
    str,
    OpenApiParameter.HEADER,
    description=(
        "Optional: a key of the client's choosing (1–255 printable ASCII characters, e.g. a "
        "UUID). A create sent again with the same key by the same caller — a retry after a "
        "timeout — makes nothing new: it answers 200 with the record the first made and the "
        "header Idempotent-Replayed: true (kept an hour). A create that failed frees its key."
    ),
)


def _duplicate_examples(entity: Entity) -> list:
    if entity.duplicate_finder is None:
        return []
    return [
        OpenApiExample(
            "Possible duplicates (409)",
            value={
                "detail": "Records like this one already exist.",
                "duplicates": [
                    {
                        "entity": entity.key,
                        "id": 17,
                        "display": "דנה כהן",
                        "url": f"/r/{entity.key}/17/",
                        "score": 95,
                        "reasons": ["email", "name"],
                    }
                ],
            },
            response_only=True,
            status_codes=["409"],
        )
    ]


def viewset_for(entity: Entity) -> type[EntityViewSet]:
    filterable = list(entity.filter_fields)
    schema = extend_schema_view(
        list=extend_schema(
            summary=f"List {entity.key}",
            parameters=[
                OpenApiParameter(
                    "search",
                    str,
                    description=(
                        "Name prefix, email or the last digits of a phone; the first 400 "
                        "matches, ordered and paged as the list is."
                    ),
                ),
                OpenApiParameter(
                    "filter",
                    str,
                    description=(
                        'Filter-language JSON, e.g. {"all": [{"field": "city", "op": "eq", '
                        '"value": "חיפה"}, {"field": "custom.score", "op": "gte", "value": 80}]}'
                    ),
                ),
                OpenApiParameter(
                    "view",
                    str,
                    description=(
                        "Apply a saved view's filter (its id) or a built-in view's (its key"
                        + (
                            ": " + ", ".join(v.key for v in entity.builtin_views)
                            if entity.builtin_views
                            else ""
                        )
                        + ")."
                    ),
                ),
            ],
        ),
        retrieve=extend_schema(summary=f"Get one of {entity.key} (ETag = version)"),
        create=extend_schema(
            summary=f"Create one of {entity.key}",
            examples=[
                OpenApiExample(f"A new one of {entity.key}", value=entity.api_example),
                OpenApiExample(
                    "Validation error (400)",
                    value={"company_number": ["מספר ח.פ. אינו תקין."]},
                    response_only=True,
                    status_codes=["400"],
                ),
                *_duplicate_examples(entity),
            ]
            if entity.api_example
            else _duplicate_examples(entity),
            parameters=[*_duplicate_parameters(entity), _IDEMPOTENCY_KEY],
        ),
        update=extend_schema(
            summary=f"Replace one of {entity.key}",
            parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        ),
        partial_update=extend_schema(
            summary=f"Change fields of one of {entity.key}",
            parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER)],
        ),
        destroy=extend_schema(summary=f"Delete one of {entity.key}"),
    )
    attrs = {
        "entity": entity,
        "serializer_class": serializer_for(entity),
        "filterset_fields": filterable,
        "ordering_fields": list(entity.ordering_fields),
        "queryset": entity.queryset().none(),
        "__doc__": str(_("Records of this entity the caller may see.")),
    }
    cls = type(f"{entity.model.__name__}ViewSet", (EntityViewSet,), attrs)
    return schema(cls)


# Typed as ``as_view`` takes them (a method name, or the action itself).
LIST_ACTIONS: dict[str, str | ViewSetAction[Any]] = {"get": "list", "post": "create"}
DETAIL_ACTIONS: dict[str, str | ViewSetAction[Any]] = {
    "get": "retrieve",
    "put": "update",
    "patch": "partial_update",
    "delete": "destroy",
}
# (entity key, detail) -> (the Entity it was built for, the view): rebuilt when an entity of
# that key is registered again (admin-defined entities change while Kesher runs).
_views: dict[tuple[str, bool], tuple[Entity, Callable]] = {}


def entity_view(entity: Entity, *, detail: bool) -> Callable:
    """The DRF view of ``entity``'s list or detail endpoint, built once per registration."""
    cached = _views.get((entity.key, detail))
    if cached is None or cached[0] is not entity:
        view = viewset_for(entity).as_view(
            DETAIL_ACTIONS if detail else LIST_ACTIONS, basename=entity.key, detail=detail
        )
        cached = _views[entity.key, detail] = (entity, view)
    return cached[1]


@csrf_exempt  # DRF checks CSRF itself for session-authenticated requests
def _entity_list(request, key, **kwargs):
    return entity_view(registry.get(key), detail=False)(request, **kwargs)


@csrf_exempt
def _entity_detail(request, key, **kwargs):
    return entity_view(registry.get(key), detail=True)(request, **kwargs)


class ApiRootView(APIView):
    """The API's resources: one per registered entity, as the registry is now."""

    schema = None

    def get(self, request, format=None):
        return Response(
            {
                entity.key: reverse(
                    "api_entity_list", kwargs={"key": entity.key}, request=request, format=format
                )
                for entity in registry.all()
            }
        )


def api_urls():
    """Every entity's endpoints, found by key when the request comes: an entity registered
    while Kesher runs is served at once (the ``entity`` converter matches only registered
    keys, so other apps' ``/api/v1/…`` routes still resolve). ``.json`` suffixes as DRF's
    routers have them."""
    return [
        path("", ApiRootView.as_view(), name="api_root"),
        path(".<api_format:format>", ApiRootView.as_view()),
        path("<entity:key>/", _entity_list, name="api_entity_list"),
        path("<entity:key>.<api_format:format>", _entity_list, name="api_entity_list"),
        path("<entity:key>/<int:pk>/", _entity_detail, name="api_entity_detail"),
        path("<entity:key>/<int:pk>.<api_format:format>", _entity_detail, name="api_entity_detail"),
    ]


def entity_endpoints(endpoints: list) -> list:
    """drf-spectacular preprocessing hook: the entities' endpoints as the registry is when the
    schema is made (the URL patterns above name no entity, so the enumerator skips them)."""
    from drf_spectacular.generators import EndpointEnumerator

    patterns = [
        pattern
        for entity in registry.all()
        for pattern in (
            path(f"{entity.key}/", entity_view(entity, detail=False)),
            path(f"{entity.key}/<int:pk>/", entity_view(entity, detail=True)),
        )
    ]
    # The entities' endpoints follow the other /api/v1/ routes, as the router's came first.
    generated = EndpointEnumerator(patterns)._get_api_endpoints(patterns, "api/v1/")
    return generated + endpoints


def saved_view_urls():
    from rest_framework.routers import SimpleRouter

    from kesher.platform.api.savedviews import SavedViewViewSet

    router = SimpleRouter()
    router.register("saved-views", SavedViewViewSet, basename="saved-views")
    return router.urls
