"""Many-to-many links to records the reader may not see (issue "Platform v2" item 2).

A contact may take part in a meeting logged on another rep's account; an interaction may name
participants from every department. Whoever reads or edits a record sees only the linked
records in his scope — their names never reach a page, a list, an export or the API, only how
many others there are — and saving what he sees never drops the links he cannot see.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Prefetch

from kesher.platform.access import linkable
from kesher.platform.registry import registry

__all__ = [
    "hidden_count",
    "keep_hidden_links",
    "scoped_many_fields",
    "visible_prefetches",
    "visible_related",
]


def _is_scoped(field) -> bool:
    """A many-to-many field to an entity whose records are not all everyone's to see."""
    target = field.related_model
    if not registry.has_model(target):
        return False
    entity = registry.for_model(target)
    return bool(entity.owner_field or entity.company_field or entity.scope_via)


def scoped_many_fields(model, names=None) -> list[models.ManyToManyField]:
    fields = [f for f in model._meta.many_to_many if _is_scoped(f)]
    return [f for f in fields if names is None or f.name in names]


def _all_attr(name: str) -> str:
    return f"_{name}_every_link"


def visible_prefetches(model, names, user) -> list:
    """Prefetches for the many-to-many fields among ``names``: a scoped field's own cache holds
    only the records ``user`` may see (so ``record.<name>.all()`` is what he may read), and
    the ids of every linked record are kept aside to count the others."""
    prefetches: list = []
    for name in names:
        field = model._meta.get_field(name)
        if not field.many_to_many:
            continue
        if user is None or not _is_scoped(field):
            prefetches.append(name)
            continue
        target = field.related_model
        prefetches.append(Prefetch(name, queryset=linkable(target._default_manager.all(), user)))
        prefetches.append(
            Prefetch(name, queryset=target._base_manager.only("pk"), to_attr=_all_attr(name))
        )
    return prefetches


def hidden_count(record, name: str) -> int:
    """How many records linked through ``name`` the reader may not see (after
    ``visible_prefetches``; 0 when the field was not read that way)."""
    every = getattr(record, _all_attr(name), None)
    if every is None:
        return 0
    return len(every) - len(getattr(record, name).all())


def visible_related(record, name: str, user) -> list:
    """The linked records ``user`` may see, for a record not read with ``visible_prefetches``
    (the one a service just wrote)."""
    field = record._meta.get_field(name)
    manager = getattr(record, name)
    if user is None or not _is_scoped(field):
        return list(manager.all())
    return list(linkable(manager.all(), user))


def keep_hidden_links(record, name: str, submitted, actor) -> list:
    """The links to save: what the editor submitted, plus the existing links to records he may
    not see (he could not have meant to remove what he was never shown)."""
    field = record._meta.get_field(name)
    submitted = list(submitted)
    if actor is None or record.pk is None or not _is_scoped(field):
        return submitted
    manager = getattr(record, name)
    visible = linkable(field.related_model._default_manager.all(), actor).values("pk")
    hidden = list(manager.exclude(pk__in=visible))
    chosen = {getattr(value, "pk", value) for value in submitted}
    return submitted + [record for record in hidden if record.pk not in chosen]
