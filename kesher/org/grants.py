"""Granting roles an app's entities from a data migration: apps added after the roles table
give the built-in roles their rights this way (tests/test_access_matrix.py reads the GRANTS)."""

__all__ = ["apply_grants"]


def apply_grants(apps, grants: dict) -> None:
    """``grants``: role key → {entity key: (view, add, change, delete, scope)}. Uses the
    migration's historical models; a role that does not exist is skipped, an existing grant is
    kept as an administrator may have changed it."""
    Role = apps.get_model("org", "Role")
    RolePermission = apps.get_model("org", "RolePermission")
    for key, entities in grants.items():
        role = Role.objects.filter(key=key).first()
        if role is None:
            continue
        for entity, (view, add, change, delete, scope) in entities.items():
            RolePermission.objects.get_or_create(
                role=role,
                entity=entity,
                defaults={
                    "can_view": view,
                    "can_add": add,
                    "can_change": change,
                    "can_delete": delete,
                    "scope": scope,
                },
            )
