"""The edit lock: a record with a pending approval is not edited nor deleted (REQ AU-3, issue 5
item 5). Registered as a platform edit guard, so every ``record_update`` / ``record_delete`` —
pages, the API, imports, automation — asks it.

It must cost nothing on the hot write path: the entities that have any approval process are
cached, so a save of any other entity asks no query at all; a save of one of them asks one
indexed query (decision 0036).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from kesher.approvals.models import PROCESSES_STAMP, ApprovalProcess, ApprovalRequest
from kesher.platform import stamps
from kesher.platform.models import localized
from kesher.platform.registry import registry

__all__ = [
    "entities_with_processes",
    "locked_among",
    "pending_approval_reason",
]


def entities_with_processes() -> list[str]:
    """Keys of the entities any approval process (active or not) applies to: kept per process
    until a process changes anywhere (the ``approvals`` stamp, decision 0038), so every process
    locks a record the moment its first process exists."""
    return stamps.cached(
        PROCESSES_STAMP,
        "entities",
        lambda: sorted(set(ApprovalProcess.objects.values_list("entity", flat=True))),
    )


def _reason(name_he: str, name_en: str) -> str:
    process = ApprovalProcess(name_he=name_he, name_en=name_en)
    return _(
        "Waiting for approval (%(process)s): the record cannot be changed until it is decided."
    ) % {"process": localized(process, "name")}


def locked_among(entity_key: str, ids: list[int]) -> dict[int, str]:
    """The records among ``ids`` with a pending approval, with the reason (one query a chunk
    of a bulk action; none for an entity without approval processes)."""
    if entity_key not in entities_with_processes() or not ids:
        return {}
    pending = ApprovalRequest.objects.filter(
        link_type=entity_key, link_id__in=ids, status=ApprovalRequest.Status.PENDING
    ).values_list("link_id", "process__name_he", "process__name_en")
    return {pk: _reason(name_he, name_en) for pk, name_he, name_en in pending}


def pending_approval_reason(instance) -> str | None:
    """Why ``instance`` is locked (a pending approval), or None."""
    if not registry.has_model(instance):
        return None
    key = registry.for_model(instance).key
    if key not in entities_with_processes():
        return None
    names = (
        ApprovalRequest.objects.filter(
            link_type=key, link_id=instance.pk, status=ApprovalRequest.Status.PENDING
        )
        .values_list("process__name_he", "process__name_en")
        .first()
    )
    if names is None:
        return None
    return _reason(*names)
