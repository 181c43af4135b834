"""Service's own pages: the ticket's "responded" action and the live narrowing of its dependent
pick-lists (REQ SV-2, SV-9)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.platform.models import Choice
from kesher.platform.ui.pages import entity_for, record_for
from kesher.service.forms import DEPENDENTS
from kesher.service.services import ticket_record_response


@login_required
@require_POST
def ticket_respond(request, pk):
    """Record that the customer was answered: the response clocks are met (REQ SV-9)."""
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk)
    ticket_record_response(ticket, actor=request.user)
    messages.success(request, _("The response was recorded."))
    return redirect(reverse("entity_detail", args=["tickets", ticket.pk]))


@login_required
def ticket_options(request, field):
    """The options of a dependent pick-list of the ticket for its parent's value (htmx)."""
    if field not in DEPENDENTS:
        raise Http404
    entity = entity_for("tickets", request.user, "view")
    parent = DEPENDENTS[field]
    raw = request.GET.get(parent, "")
    list_key = entity.choice_lists[field]
    values = Choice.objects.none()
    if raw.isdigit():
        values = Choice.objects.filter(list_key=list_key, active=True, parent_id=int(raw))
    choices = [(c.pk, c.label) for c in values.order_by("order", "pk")]
    return render(
        request, "platform/widgets/options.html", {"choices": choices, "placeholder": True}
    )
