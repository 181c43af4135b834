"""Writes on the organization: departments (tree paths), users, API tokens."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.org.models import ApiToken, Department, User
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import record_create, record_update, write_audit

# A user's audit entries name the API tokens made and revoked for him.
API_TOKEN = register_fact("api_token", gettext_lazy("API token"))

__all__ = [
    "api_token_create",
    "api_token_revoke",
    "department_create",
    "department_update",
    "user_create",
    "user_set_language",
]


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
