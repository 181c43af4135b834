"""The practice environment's page (REQ IM-6, IMPL-2): its state, "create" / "reset from live"
and "delete", polled by htmx while the worker copies or deletes. Administrators only."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.platform.ui.pages import render_partial
from kesher.practice.selectors import practice_get
from kesher.practice.services import practice_copy, practice_delete

TEMPLATE = "practice/practice.html"


def _context(state) -> dict:
    return {
        "state": state,
        "practice_url": settings.KESHER_PRACTICE_URL,
        "in_practice": settings.KESHER_PRACTICE,
    }


@login_required
def practice(request):
    state = practice_get(request.user)
    return render_partial(request, TEMPLATE, _context(state), "state")


def _act(request, service, done: str):
    practice_get(request.user)  # administrators only: others get 403
    try:
        service(actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.info(request, done)
    return redirect(reverse("practice"))


@require_POST
@login_required
def practice_copy_view(request):
    return _act(
        request,
        practice_copy,
        _("Copying the live data into the practice environment. This page shows when it is done."),
    )


@require_POST
@login_required
def practice_delete_view(request):
    return _act(request, practice_delete, _("Deleting the practice environment."))
