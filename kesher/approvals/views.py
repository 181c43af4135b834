"""Approval pages: "waiting for my approval", a request with its decision form, starting a round
from a record's page, and the emailed one-time link (thin: parse, load scoped, call the
service, render)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kesher.approvals import selectors, services
from kesher.platform.access import can, is_admin
from kesher.platform.records.links import linkable_keys
from kesher.platform.records.services import ConflictError
from kesher.platform.registry import registry


def _refused(request, exc):
    return render(request, "approvals/refused.html", {"message": str(exc)}, status=403)


def _back(request, default: str):
    """Where to go after a POST: the page that sent it (the record's banner), if ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_GET
@login_required
def waiting(request):
    """The requests waiting for the user's decision, and (tab "mine") those he asked for."""
    tab = "mine" if request.GET.get("tab") == "mine" else "waiting"
    if tab == "mine":
        rows = selectors.request_list(request.user).filter(requester=request.user)[:100]
    else:
        rows = selectors.waiting_for(request.user)[:100]
    return render(request, "approvals/waiting.html", {"tab": tab, "rows": rows})


@require_GET
@login_required
def request_detail(request, pk):
    approval = get_object_or_404(selectors.request_list(request.user), pk=pk)
    context = {
        "approval": approval,
        "step": selectors.decidable_step(approval, request.user) if approval.is_pending else None,
        "record_visible": selectors.can_see_record(
            request.user, approval.link_type, approval.link_id
        ),
        "may_cancel": approval.is_pending
        and (is_admin(request.user) or approval.requester_id == request.user.pk),
    }
    return render(request, "approvals/request.html", context)


@require_POST
@login_required
def decide(request, pk):
    approval = get_object_or_404(selectors.request_list(request.user), pk=pk)
    default = reverse("approvals_request", args=[pk])
    try:
        services.approval_decide(
            approval,
            actor=request.user,
            decision=request.POST.get("decision", ""),
            comment=request.POST.get("comment", ""),
            expected_version=request.POST.get("version") or None,
        )
    except services.ApprovalForbidden as exc:
        return _refused(request, exc)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(default)
    except ConflictError as exc:
        messages.error(request, str(exc))
        return redirect(default)
    if request.POST.get("decision") == "approve":
        messages.success(request, _("You approved it."))
    else:
        messages.success(request, _("You rejected it."))
    return _back(request, default)


@require_POST
@login_required
def cancel(request, pk):
    approval = get_object_or_404(selectors.request_list(request.user), pk=pk)
    default = reverse("approvals_request", args=[pk])
    try:
        services.approval_cancel(
            approval,
            actor=request.user,
            comment=request.POST.get("comment", ""),
            expected_version=request.POST.get("version") or None,
        )
    except services.ApprovalForbidden as exc:
        return _refused(request, exc)
    except (ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect(default)
    messages.success(request, _("The approval request was cancelled."))
    return _back(request, default)


@require_POST
@login_required
def start(request, key, pk):
    """Ask for approval of a record, from the banner on its page."""
    if key not in linkable_keys() or not can(request.user, key, "view"):
        raise Http404
    record = get_object_or_404(registry.get(key).model.objects.visible_to(request.user), pk=pk)
    try:
        services.approval_start(
            process_id=request.POST.get("process"), record=record, actor=request.user
        )
    except services.ApprovalForbidden as exc:
        return _refused(request, exc)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("Approval requested. The record is locked until decided."))
    return redirect(reverse("entity_detail", args=[key, pk]))


@require_GET
@login_required
def open_link(request, token):
    """An emailed link, used once after sign-in: it opens the request's decision page."""
    try:
        approval = services.approval_link_open(token, actor=request.user)
    except services.ApprovalForbidden as exc:
        return _refused(request, exc)
    except ValidationError as exc:
        return render(
            request, "approvals/refused.html", {"message": " ".join(exc.messages)}, status=400
        )
    return redirect(reverse("approvals_request", args=[approval.pk]))
