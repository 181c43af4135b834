"""What every page of Kesher does the same way: find the entity and the record the user may
see, save a form through the entity's service, and answer htmx with a partial."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from kesher.platform import once
from kesher.platform.access import can
from kesher.platform.customfields.forms import custom_data, error_target
from kesher.platform.records.services import ConflictError, record_create, record_update
from kesher.platform.registry import Entity, registry

__all__ = ["entity_for", "record_for", "render_partial", "save_form"]


def render_partial(request, template: str, context: dict, partial: str):
    """The whole page, or just one named partial of it for htmx requests (STYLE.md)."""
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        return render(request, f"{template}#{partial}", context)
    return render(request, template, context)


def entity_for(key: str, user, action: str) -> Entity:
    try:
        entity = registry.get(key)
    except KeyError:
        raise Http404 from None
    if not can(user, key, action):
        raise PermissionDenied
    return entity


def record_for(entity: Entity, user, pk, prefetch=(), joined=()):
    qs = entity.queryset().visible_to(user)
    if entity.select_related or joined:
        qs = qs.select_related(*entity.select_related, *joined)
    if prefetch:
        qs = qs.prefetch_related(*prefetch)
    return get_object_or_404(qs, pk=pk)


def save_form(request, entity: Entity, form, obj=None):
    """Run the entity's service with the form's parsed values; map its errors onto the form.

    A create form's one-time token (``once``) makes a repeated POST answer with the record the
    first made."""
    submitted = once.token(request) if obj is None else ""
    if not submitted:
        return _save(request, entity, form, obj)
    if not once.claim(submitted):
        try:
            made = once.earlier(submitted, entity.queryset().visible_to(request.user))
        except once.StillSaving as exc:
            form.add_error(None, str(exc))
            return None
        if made is not None:
            return made
        if not once.claim(submitted):
            form.add_error(None, str(once.StillSaving()))
            return None
    saved = None
    try:
        saved = _save(request, entity, form, obj)
    finally:
        once.settle(submitted, saved.pk if saved is not None else None)
    return saved


def _save(request, entity: Entity, form, obj):
    data = {}
    m2m = {}
    custom = custom_data(form)
    if custom is not None:
        data["custom"] = custom
    options = getattr(form, "service_options", ())
    # The fields' values, and any its ``clean()`` composed of several (``Entity.form_mixin``);
    # its service options go to the create service by name.
    for name, value in form.cleaned_data.items():
        if name == "version" or name in options:
            continue
        if getattr(form.fields.get(name), "custom_definition", None) is not None:
            continue
        field = entity.model._meta.get_field(name)
        if isinstance(field, models.ManyToManyField):
            m2m[name] = value
        else:
            data[name] = value
    try:
        if obj is None:
            service = entity.create_service
            if service is None:
                return record_create(entity, actor=request.user, data=data, m2m=m2m)
            extra = {name: form.cleaned_data[name] for name in options if name in form.fields}
            return service(actor=request.user, data=data, m2m=m2m, **extra)
        service = entity.update_service or record_update
        return service(
            obj,
            actor=request.user,
            data=data,
            m2m=m2m,
            expected_version=form.cleaned_data.get("version"),
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field_name, errors in exc.error_dict.items():
                target: str | None = error_target(field_name) or field_name
                target = target if target in form.fields else None
                for error in errors:
                    form.add_error(target, error)
        else:
            form.add_error(None, exc)
    except ConflictError as exc:
        form.add_error(None, str(exc))
    return None
