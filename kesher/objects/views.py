"""Templates of kinds of record, listed and installed by administrators (issue 27 item 4)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.objects.blueprints import BLUEPRINTS, blueprint_for, blueprint_install
from kesher.platform.access import is_admin


@login_required
def blueprint_list(request):
    if not is_admin(request.user):
        raise PermissionDenied
    return render(request, "objects/blueprints.html", {"blueprints": list(BLUEPRINTS.values())})


@login_required
@require_POST
def blueprint_install_view(request, key):
    if not is_admin(request.user):
        raise PermissionDenied
    blueprint = blueprint_for(key)
    if blueprint is None:
        raise PermissionDenied
    try:
        definition = blueprint_install(key, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("object_blueprints"))
    messages.success(request, _("“%(name)s” was installed.") % {"name": blueprint.name})
    return redirect(reverse("entity_detail", args=["custom-objects", definition.pk]))
