"""Writes on the organization: departments (tree paths), users, roles and their grants, API
tokens."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kesher.org.models import ApiToken, Department, Role, RolePermission, Scope, User
from kesher.platform.access import ACTIONS
from kesher.platform.records.audit import Fact, register_fact, register_fact_family
from kesher.platform.records.services import (
    record_create,
    record_delete,
    record_update,
    write_audit,
)
from kesher.platform.registry import registry

# A user's audit entries name the API tokens made and revoked for him.
API_TOKEN = register_fact("api_token", gettext_lazy("API token"))

__all__ = [
    "ADMIN_ROLE",
    "api_token_create",
    "api_token_revoke",
    "department_create",
    "department_update",
    "grantable_entities",
    "role_create",
    "role_delete",
    "role_grants",
    "role_set_grants",
    "role_update",
    "user_create",
    "user_delete",
    "user_set_language",
    "user_update",
]

# The built-in administrator role (kesher/org/migrations/0002_default_roles.py).
ADMIN_ROLE = "admin"
ROLES_ENTITY = "roles"


def _path_for(department: Department) -> str:
    parent_path = department.parent.path if department.parent_id else "/"
    return f"{parent_path}{department.pk}/"


@transaction.atomic
def department_create(*, actor, data: dict, m2m=None) -> Department:
    """Create a department under its parent (REQ OR-1)."""
    department = record_create("departments", actor=actor, data=data, m2m=m2m)
    department.path = _path_for(department)
    department.save(update_fields=["path"])
    return department


@transaction.atomic
def department_update(
    department: Department, *, actor, data: dict, m2m=None, expected_version=None
):
    """Change a department; moving it re-paths its whole subtree and refuses cycles."""
    new_parent = data.get("parent", department.parent_id)
    new_parent_id = getattr(new_parent, "pk", new_parent)
    if new_parent_id:
        parent = Department.objects.get(pk=new_parent_id)
        if parent.path.startswith(department.path):
            raise ValidationError(
                {
                    "parent": [
                        _("A department cannot be placed under itself or its sub-departments.")
                    ]
                }
            )
    old_path = department.path
    department = record_update(
        department, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )
    new_path = _path_for(department)
    if new_path != old_path:
        for node in Department.objects.filter(path__startswith=old_path).select_for_update():
            node.path = new_path + node.path[len(old_path) :]
            node.save(update_fields=["path"])
        department.path = new_path
    return department


@transaction.atomic
def user_create(*, actor, data: dict, m2m=None, password: str | None = None) -> User:
    """Create a user; without a password the user sets one through "forgot password"."""
    data = {**data, "password": make_password(None)}
    user = record_create("users", actor=actor, data=data, m2m=m2m)
    if password:
        from django.contrib.auth.password_validation import validate_password

        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _lock_administration() -> None:
    """Serialize the writes that could leave Kesher without an administrator: two
    administrators demoting each other at once would each still see the other (PostgreSQL;
    SQLite's writes are serial already)."""
    Role.objects.select_for_update().filter(key=ADMIN_ROLE).first()


def _an_administrator_remains(field: str) -> None:
    """Refuse (and so roll back) a write after which no active user administers Kesher: no
    one could then manage users, roles or settings (issue 24 item 4)."""
    administrators = User.objects.filter(is_active=True).filter(
        Q(role__is_admin=True) | Q(is_superuser=True)
    )
    if not administrators.exists():
        raise ValidationError(
            {
                field: [
                    _(
                        "Kesher needs at least one active administrator: make another user an "
                        "administrator first."
                    )
                ]
            }
        )


@transaction.atomic
def user_update(user: User, *, actor, data: dict, m2m=None, expected_version=None) -> User:
    """Change a user. A user cannot deactivate himself, and the last active administrator
    cannot be deactivated or given a role that does not administer — by any route: the page,
    the API, a bulk update or an import all come here."""
    if "is_active" in data and not data["is_active"] and getattr(actor, "pk", None) == user.pk:
        raise ValidationError({"is_active": [_("You cannot deactivate yourself.")]})
    guarded = "is_active" in data or "role" in data or "is_superuser" in data
    if guarded:
        _lock_administration()
    user = record_update(user, actor=actor, data=data, m2m=m2m, expected_version=expected_version)
    if guarded:
        _an_administrator_remains("is_active" if "is_active" in data else "role")
    return user


@transaction.atomic
def user_delete(user: User, *, actor) -> None:
    """Delete a user; not oneself, and not the last active administrator."""
    if getattr(actor, "pk", None) == user.pk:
        raise ValidationError({"__all__": [_("You cannot delete yourself.")]})
    _lock_administration()
    record_delete(user, actor=actor)
    _an_administrator_remains("__all__")


def user_set_language(user: User, language: str) -> None:
    if language not in dict(User._meta.get_field("language").choices):
        raise ValidationError({"language": [_("Unknown language.")]})
    if user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


@transaction.atomic
def api_token_create(*, user: User, name: str, actor=None) -> tuple[ApiToken, str]:
    """Make a personal API token; returns the token row and the key, which is shown only now."""
    name = (name or "").strip() or _("API token")
    key, key_hash = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:8], key_hash=key_hash)
    write_audit(user, actor=actor or user, action="update", changes={API_TOKEN: [None, str(token)]})
    return token, key


@transaction.atomic
def api_token_revoke(token: ApiToken, *, actor) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        write_audit(
            token.user, actor=actor, action="update", changes={API_TOKEN: [str(token), None]}
        )


# --- roles and their grants (REQ OR-3) ---------------------------------------------------------


def role_create(*, actor, data: dict, m2m=None) -> Role:
    """Add a role; it may do nothing until its grants are set."""
    return record_create(ROLES_ENTITY, actor=actor, data=data, m2m=m2m)


def role_update(role: Role, *, actor, data: dict, m2m=None, expected_version=None) -> Role:
    """Rename a role, or make it an administrator's. Its key stays (the apps' data migrations
    grant their new entities to roles by key), and the administrator role keeps every right."""
    errors = {}
    if "key" in data and data["key"] != role.key:
        errors["key"] = [_("The key of a role cannot change.")]
    if role.key == ADMIN_ROLE and data.get("is_admin", True) is not True:
        errors["is_admin"] = [_("The administrator role keeps every right.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        _lock_administration()
        role = record_update(
            role, actor=actor, data=data, m2m=m2m, expected_version=expected_version
        )
        if "is_admin" in data:
            _an_administrator_remains("is_admin")
    return role


@transaction.atomic
def role_delete(role: Role, *, actor) -> None:
    """Delete a role no one has; the administrator role stays."""
    if role.key == ADMIN_ROLE:
        raise ValidationError({"key": [_("The administrator role cannot be deleted.")]})
    holders = User.objects.filter(role=role).count()
    if holders:
        raise ValidationError(
            {
                "key": [
                    ngettext(
                        "%(count)s user has this role: give them another role first.",
                        "%(count)s users have this role: give them another role first.",
                        holders,
                    )
                    % {"count": holders}
                ]
            }
        )
    record_delete(role, actor=actor)


def grantable_entities() -> list:
    """The entities a role's grants are about: every registered one but roles themselves,
    which only administrators manage (a role that could change roles could grant itself
    everything), and parts of another entity's records (a document's lines), which are read
    with the whole."""
    return [
        entity for entity in registry.all() if entity.key != ROLES_ENTITY and entity.part_of is None
    ]


def _grant_dict(permission: RolePermission | None) -> dict:
    if permission is None:
        return {**dict.fromkeys(ACTIONS, False), "scope": Scope.OWN.value}
    return {
        **{action: getattr(permission, f"can_{action}") for action in ACTIONS},
        "scope": permission.scope,
    }


def role_grants(role: Role) -> dict[str, dict]:
    """What the role may do with each grantable entity: ``{key: {"view": bool, "add": bool,
    "change": bool, "delete": bool, "scope": "own"|"department"|"region"|"company"|"all"}}``. An
    administrator role may do everything, everywhere. Reads ``role.permissions.all()`` (so a
    prefetch serves a whole list)."""
    if role.is_admin:
        full = {**dict.fromkeys(ACTIONS, True), "scope": Scope.ALL.value}
        return {entity.key: dict(full) for entity in grantable_entities()}
    stored = {permission.entity: permission for permission in role.permissions.all()}
    return {entity.key: _grant_dict(stored.get(entity.key)) for entity in grantable_entities()}


def _grant_fact(rest: str) -> Fact:
    """How a role's entry reads ``grants.<entity>.<right>``: "Accounts: delete", and the
    scope's values by their labels."""
    entity_key, _dot, right = rest.rpartition(".")
    try:
        kind = registry.get(entity_key).label_plural
    except KeyError:
        kind = entity_key
    if right == "scope":
        return Fact(format_lazy("{}: {}", kind, gettext_lazy("scope")), choices=dict(Scope.choices))
    if right in ACTIONS:
        label = RolePermission._meta.get_field(f"can_{right}").verbose_name
        return Fact(format_lazy("{}: {}", kind, label))
    return Fact(rest)


# A role's entries name each right it gained or lost: ``grants.accounts.delete``.
register_fact_family("grants.", _grant_fact)


def _grant_changes(key: str, old: dict, new: dict) -> dict:
    rights = [right for right in (*ACTIONS, "scope") if old[right] != new[right]]
    return {f"grants.{key}.{right}": [old[right], new[right]] for right in rights}


def _clean_grant(key: str, sent, current: dict) -> tuple[dict, dict]:
    """(the grant to store, errors by ``grants.<key>[.<right>]``)."""
    prefix = f"grants.{key}"
    if sent is None:
        return _grant_dict(None), {}
    if not isinstance(sent, dict):
        return current, {
            prefix: [_("Send the rights as an object: view, add, change, delete, scope.")]
        }
    grant, errors = dict(current), {}
    for name, value in sent.items():
        if name in ACTIONS:
            if isinstance(value, bool):
                grant[name] = value
            else:
                errors[f"{prefix}.{name}"] = [_("Enter true or false.")]
        elif name == "scope":
            if value in Scope.values:
                grant[name] = value
            else:
                errors[f"{prefix}.scope"] = [
                    _("Choose one of: %(scopes)s.") % {"scopes": ", ".join(Scope.values)}
                ]
        else:
            errors[f"{prefix}.{name}"] = [_("Unknown right.")]
    if not errors and not grant["view"] and any(grant[a] for a in ("add", "change", "delete")):
        errors[prefix] = [_("A right to add, change or delete needs the right to view.")]
    if not any(grant[action] for action in ACTIONS):
        grant["scope"] = Scope.OWN.value  # no rights: no scope to keep
    return grant, errors


@transaction.atomic
def role_set_grants(role: Role, *, actor, grants: dict) -> Role:
    """Change what ``role`` may do: ``grants`` maps entity keys to the rights to change
    (``{"view": true, "scope": "department"}``; rights not sent stay) or to None (no rights).
    Entities not named keep their grants. Audited on the role, and in force at once in every
    process: the grants' cache follows a stamp (``kesher/platform/stamps.py``)."""
    # Lock the role: its grants are read, merged with what was sent and written back.
    role = Role.objects.select_for_update().get(pk=role.pk)
    if not isinstance(grants, dict):
        raise ValidationError({"grants": [_("Send the grants as an object, by kind of record.")]})
    if role.is_admin:
        raise ValidationError(
            {"grants": [_("An administrator role may do everything; its grants do not change.")]}
        )
    current = role_grants(role)
    stored = {permission.entity: permission for permission in role.permissions.all()}
    errors, changed = {}, {}
    for key, sent in grants.items():
        if key == ROLES_ENTITY:
            errors[f"grants.{key}"] = [_("Only administrators manage roles.")]
            continue
        if key not in current:
            errors[f"grants.{key}"] = [_("No such kind of record.")]
            continue
        grant, problems = _clean_grant(key, sent, current[key])
        errors.update(problems)
        if grant != current[key]:
            changed[key] = grant
    if errors:
        raise ValidationError(errors)
    for key, grant in changed.items():
        values = {f"can_{action}": grant[action] for action in ACTIONS}
        permission = stored.get(key)
        if not any(grant[action] for action in ACTIONS):
            if permission is not None:
                permission.delete()
        elif permission is None:
            RolePermission.objects.create(role=role, entity=key, scope=grant["scope"], **values)
        else:
            for name, value in {**values, "scope": grant["scope"]}.items():
                setattr(permission, name, value)
            permission.save(update_fields=[*values, "scope"])
    if changed:
        role.version += 1
        role.updated_at = timezone.now()
        role.save(update_fields=["version", "updated_at"])
        changes = {}
        for key, grant in changed.items():
            changes.update(_grant_changes(key, current[key], grant))
        write_audit(role, actor=actor, action="update", changes=changes)
    return role
