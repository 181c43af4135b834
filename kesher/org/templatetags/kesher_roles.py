"""Template helpers for roles: their rights as a role's page lists them."""

from django import template

from kesher.org.models import RolePermission, Scope
from kesher.org.services import grantable_entities, role_grants
from kesher.platform.access import ACTIONS

register = template.Library()


@register.simple_tag
def role_rows(role) -> list[tuple]:
    """``(entity, [right labels], scope label)`` for each kind of record the role may use."""
    grants = role_grants(role)
    labels = {a: RolePermission._meta.get_field(f"can_{a}").verbose_name for a in ACTIONS}
    rows = []
    for entity in grantable_entities():
        grant = grants[entity.key]
        rights = [labels[action] for action in ACTIONS if grant[action]]
        if rights:
            rows.append((entity, rights, Scope(grant["scope"]).label))
    return rows
