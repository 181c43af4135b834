"""Reads of the review queue, always through ``visible_to`` (a pair is shown only to whoever
may see both of its records)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from kesher.dedupe.models import DuplicatePair, DuplicateScan
from kesher.dedupe.specs import DedupeSpec, spec_for
from kesher.platform.access import can

__all__ = ["pair_get", "pair_list", "records_by_id", "scan_get", "spec_or_404"]

PAGE_SIZE = 50


def spec_or_404(key: str, user, action: str = "view") -> DedupeSpec:
    spec = spec_for(key)
    if spec is None:
        raise Http404
    if not can(user, key, action):
        raise PermissionDenied
    return spec


def pair_list(spec: DedupeSpec, user, *, status=DuplicatePair.Status.OPEN):
    """Pairs of ``spec``'s entity whose two records ``user`` may see, best score first."""
    visible = spec.entity.model.objects.visible_to(user).values("pk")
    return DuplicatePair.objects.filter(
        entity=spec.key, status=status, record_a__in=visible, record_b__in=visible
    ).order_by("-score", "pk")


def records_by_id(spec: DedupeSpec, user, ids) -> dict:
    entity = spec.entity
    qs = entity.model.objects.visible_to(user).filter(pk__in=set(ids))
    if entity.select_related:
        qs = qs.select_related(*entity.select_related)
    return {obj.pk: obj for obj in qs}


def pair_get(user, pk) -> tuple[DuplicatePair, DedupeSpec]:
    """A pair ``user`` may see both records of, or 404."""
    pair = DuplicatePair.objects.filter(pk=pk).first()
    spec = spec_for(pair.entity) if pair is not None else None
    if spec is None or not can(user, spec.key, "view"):
        raise Http404
    if not pair_list(spec, user, status=pair.status).filter(pk=pair.pk).exists():
        raise Http404
    return pair, spec


def scan_get(user, pk) -> DuplicateScan:
    scan = DuplicateScan.objects.filter(pk=pk).first()
    if scan is None or spec_for(scan.entity) is None or not can(user, scan.entity, "view"):
        raise Http404
    return scan


def may_merge(user, key: str) -> bool:
    return can(user, key, "change") and can(user, key, "delete")
