"""The rights of a role: one page, a matrix of kinds of record × rights and scope, for
administrators (REQ OR-3; issue "Platform v2" item 10)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.org.models import Role, RolePermission, Scope
from kesher.org.services import grantable_entities, role_grants, role_set_grants
from kesher.org.sso_views import admin_required
from kesher.platform.access import ACTIONS

__all__ = ["role_rights"]


def _posted_grants(post) -> dict[str, dict]:
    """The whole matrix as the form sent it: an unticked box is a right not given."""
    return {
        entity.key: {
            **{action: post.get(f"{entity.key}.{action}") == "on" for action in ACTIONS},
            "scope": post.get(f"{entity.key}.scope", Scope.OWN.value),
        }
        for entity in grantable_entities()
    }


def _labels() -> dict:
    return {a: RolePermission._meta.get_field(f"can_{a}").verbose_name for a in ACTIONS}


def _rows(grants: dict, errors: dict) -> list[dict]:
    labels = _labels()
    return [
        {
            "entity": entity,
            "cells": [(action, labels[action], grants[entity.key][action]) for action in ACTIONS],
            "scope": grants[entity.key]["scope"],
            "errors": [
                message
                for key, messages_ in errors.items()
                if key == f"grants.{entity.key}" or key.startswith(f"grants.{entity.key}.")
                for message in messages_
            ],
        }
        for entity in grantable_entities()
    ]


@admin_required
def role_rights(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    grants, errors = role_grants(role), {}
    if request.method == "POST" and not role.is_admin:
        posted = _posted_grants(request.POST)
        try:
            role_set_grants(role, actor=request.user, grants=posted)
        except ValidationError as exc:
            errors = exc.message_dict
            grants = {key: {**grants[key], **value} for key, value in posted.items()}
        else:
            messages.success(request, _("The rights of %(role)s are saved.") % {"role": role})
            return redirect(reverse("entity_detail", args=["roles", role.pk]))
    context = {
        "role": role,
        "rows": _rows(grants, errors),
        "actions": list(_labels().items()),
        "scopes": Scope.choices,
        "errors": errors,
    }
    return render(request, "org/role_rights.html", context)
