"""Writes on the catalogue: product groups keep their tree paths, everything else takes the
platform's generic write path (REQ SA-8, SA-9)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kesher.catalogue.models import ProductGroup
from kesher.platform.records.services import record_create, record_update

__all__ = ["product_group_create", "product_group_update"]


def _path_for(group: ProductGroup) -> str:
    parent_path = group.parent.path if group.parent_id else "/"
    return f"{parent_path}{group.pk}/"


@transaction.atomic
def product_group_create(*, actor, data: dict, m2m=None) -> ProductGroup:
    """Create a product group under its parent (REQ SA-8)."""
    group = record_create("product-groups", actor=actor, data=data, m2m=m2m)
    group.path = _path_for(group)
    group.save(update_fields=["path"])
    return group


@transaction.atomic
def product_group_update(
    group: ProductGroup, *, actor, data: dict, m2m=None, expected_version=None
):
    """Change a product group; moving it re-paths its whole subtree and refuses cycles."""
    new_parent = data.get("parent", group.parent_id)
    new_parent_id = getattr(new_parent, "pk", new_parent)
    if new_parent_id:
        parent = ProductGroup.objects.filter(pk=new_parent_id).first()
        if parent is not None and parent.path.startswith(group.path):
            raise ValidationError(
                {"parent": [_("A group cannot be placed under itself or its sub-groups.")]}
            )
    old_path = group.path
    group = record_update(group, actor=actor, data=data, m2m=m2m, expected_version=expected_version)
    new_path = _path_for(group)
    if new_path != old_path:
        # Locked: a concurrent move of a node in this subtree would write a stale path.
        for node in ProductGroup.objects.filter(path__startswith=old_path).select_for_update():
            node.path = new_path + node.path[len(old_path) :]
            node.save(update_fields=["path"])
        group.path = new_path
    return group
