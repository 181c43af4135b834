"""Activities' pages beyond the generic ones (thin: parse, authorize, load with ``visible_to``,
call the service): quick forms on a record's page, task tabs, the notifications center."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kesher.platform.access import can
from kesher.platform.forms import form_for
from kesher.platform.models import Choice
from kesher.platform.registry import registry
from kesher.platform.views import _save

from . import selectors, services
from .links import linkable_keys
from .models import Notification

QUICK_FIELDS = {
    "interactions": ("kind", "direction", "subject", "body", "duration_minutes", "outcome"),
    "tasks": ("title", "task_type", "priority", "due_at", "reminder_at", "assignee", "notes"),
}


class _LinkedEntity:
    """The entity as ``_save`` sees it, with a create service that adds the record link."""

    def __init__(self, entity, key, pk):
        self._entity, self._link = entity, {"link_type": key, "link_id": pk}

    def __getattr__(self, name):
        return getattr(self._entity, name)

    def create_service(self, *, actor, data, m2m=None):
        return self._entity.create_service(actor=actor, data={**data, **self._link}, m2m=m2m)


def _linked_record(request, key, pk):
    if key not in linkable_keys() or not can(request.user, key, "view"):
        raise Http404
    return get_object_or_404(registry.get(key).model.objects.visible_to(request.user), pk=pk)


@login_required
def quick_create(request, what, key, pk):
    """The small form a record's page opens to log an interaction or add a task (issue 4
    item 1: "quick logging from the record page in two clicks")."""
    if what not in QUICK_FIELDS:
        raise Http404
    if not can(request.user, what, "add"):
        raise PermissionDenied
    record = _linked_record(request, key, pk)
    entity = registry.get(what)
    form_class = form_for(entity, request.user, fields=QUICK_FIELDS[what])
    initial = {}
    if what == "interactions":
        call = Choice.objects.filter(list_key="interaction_kind", value="call").first()
        initial = {"kind": call.pk if call else None, "direction": "out"}
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        obj = _save(request, _LinkedEntity(entity, key, record.pk), form)
        if obj is not None:
            messages.success(request, _("%(label)s saved.") % {"label": obj})
            target = reverse("entity_detail", args=[key, record.pk])
            if request.htmx:
                return HttpResponseClientRedirect(target)
            return redirect(target)
    context = {"form": form, "what": what, "entity": entity, "record": record, "key": key}
    template = "activities/quick_form.html"
    if request.htmx:
        return render(request, f"{template}#form", context)
    return render(request, template, context)


@login_required
def task_tabs(request):
    """ "My tasks", "my team's tasks", "delegated by me" (issue 4 item 2)."""
    if not can(request.user, "tasks", "view"):
        raise PermissionDenied
    tab = request.GET.get("tab", "mine")
    if tab not in selectors.TASK_TABS:
        tab = "mine"
    tasks = list(selectors.task_list(request.user, tab)[:200])
    context = {
        "tab": tab,
        "tabs": [
            ("mine", _("My tasks")),
            ("team", _("My team's tasks")),
            ("delegated", _("Delegated by me")),
        ],
        "tasks": tasks,
        "can_add": can(request.user, "tasks", "add"),
    }
    return render(request, "activities/tasks.html", context)


@login_required
def notifications(request):
    """The notifications center: the user's own, newest first (issue 4 item 5)."""
    rows = list(selectors.notifications_of(request.user)[:100])
    return render(request, "activities/notifications.html", {"notifications": rows})


@require_POST
@login_required
def notification_open(request, pk):
    """Mark one notification read and go to its record."""
    note = get_object_or_404(Notification.objects.filter(user=request.user), pk=pk)
    services.notification_mark_read(note, actor=request.user)
    if note.link_type and note.link_id and note.link_type in registry.keys():  # noqa: SIM118
        return redirect(reverse("entity_detail", args=[note.link_type, note.link_id]))
    return redirect(reverse("activities_notifications"))


@require_POST
@login_required
def notifications_read_all(request):
    services.notification_mark_all_read(actor=request.user)
    messages.success(request, _("All notifications marked read."))
    next_url = request.POST.get("next") or reverse("activities_notifications")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("activities_notifications")
    return redirect(next_url)
