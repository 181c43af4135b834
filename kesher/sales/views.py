"""Sales' own pages: converting a lead (REQ SA-1), the pipeline board (SA-2, SA-3), the forecast
and the targets' attainment (SA-7, SA-14)."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kesher.customers.models import Contact
from kesher.org.sso_views import admin_required
from kesher.platform.access import can
from kesher.platform.records.services import ConflictError
from kesher.platform.ui.pages import entity_for, record_for, render_partial
from kesher.sales.forms import ConvertForm, SalesSettingsForm
from kesher.sales.models import (
    Opportunity,
    OpportunityContact,
    Pipeline,
    SalesSettings,
    Stage,
    period_end,
    period_start,
)
from kesher.sales.selectors import (
    FORECAST_GROUPS,
    attainment,
    board,
    board_views,
    current_targets,
    forecast,
    money,
    parse_period,
)
from kesher.sales.services import (
    lead_convert,
    opportunity_link_contact,
    opportunity_move_stage,
    opportunity_set_contact_role,
    opportunity_unlink_contact,
    sales_settings_update,
)


def conversion_targets(user) -> dict[str, bool]:
    """Which records the user may create by converting a lead."""
    return {key: can(user, key, "add") for key in ("accounts", "contacts", "opportunities")}


@login_required
def lead_convert_page(request, pk):
    """Convert a lead in one step into an account, a contact and a deal (REQ SA-1)."""
    entity = entity_for("leads", request.user, "change")
    lead = record_for(entity, request.user, pk)
    allowed = conversion_targets(request.user)
    initial = {
        "create_account": allowed["accounts"] and bool(lead.company_name),
        "create_contact": allowed["contacts"] and bool(lead.first_name or lead.last_name),
        "create_opportunity": allowed["opportunities"],
        "opportunity_name": lead.company_name or str(lead),
    }
    form = ConvertForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        wanted = {
            "accounts": form.cleaned_data["create_account"],
            "contacts": form.cleaned_data["create_contact"],
            "opportunities": form.cleaned_data["create_opportunity"],
        }
        if any(wanted[key] and not allowed[key] for key in wanted):
            raise PermissionDenied
        try:
            result = lead_convert(
                lead,
                actor=request.user,
                create_account=wanted["accounts"],
                create_contact=wanted["contacts"],
                opportunity=form.opportunity(),
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The lead was converted."))
            target = next(
                (
                    reverse("entity_detail", args=[key, record.pk])
                    for key, record in (
                        ("opportunities", result.opportunity),
                        ("accounts", result.account),
                        ("contacts", result.contact),
                    )
                    if record is not None
                ),
                reverse("entity_detail", args=["leads", lead.pk]),
            )
            if request.htmx:
                return HttpResponseClientRedirect(target)
            return redirect(target)
    context = {"lead": lead, "form": form, "allowed": allowed}
    template = "sales/convert.html"
    if request.htmx:
        return render(request, f"{template}#form", context)
    return render(request, template, context)


# --- the board (REQ SA-2, SA-3) -----------------------------------------------------------------


def _board_pipelines(pk) -> tuple[Pipeline, list[Pipeline]]:
    """The board's pipeline and the active ones to switch to, in one query when it is one of
    them (an inactive one is still shown by its address)."""
    pipelines = list(Pipeline.objects.filter(active=True).order_by("order", "pk"))
    pipeline = next((p for p in pipelines if p.pk == pk), None)
    return pipeline or get_object_or_404(Pipeline, pk=pk), pipelines


def _board_context(request, pipeline, error: str = "", failed=None, pipelines=None) -> dict:
    user = request.user
    views = list(board_views(user))
    view = next((v for v in views if str(v.pk) == request.GET.get("view")), None)
    owner = request.GET.get("owner", "")
    stuck = request.GET.get("stuck") == "1"
    options = {"owner_id": int(owner) if owner.isdigit() else None, "stuck_only": stuck}
    try:
        columns = board(user, pipeline, view=view, **options)
    except ValidationError:
        # A saved view whose filter no longer fits (a custom field deleted since): the board
        # without it, saying so.
        error = error or _("This saved view's filter no longer applies; showing all deals.")
        view = None
        columns = board(user, pipeline, **options)
    return {
        "pipeline": pipeline,
        "pipelines": (
            pipelines
            if pipelines is not None
            else Pipeline.objects.filter(active=True).order_by("order", "pk")
        ),
        "board": columns,
        "views": views,
        "view": view,
        "mine": owner == str(user.pk),
        "stuck": stuck,
        "can_move": can(user, "opportunities", "change"),
        "can_add": can(user, "opportunities", "add"),
        "error": error,
        "failed": failed,
        "query": request.GET.urlencode(),
    }


@login_required
def board_home(request):
    """The first active pipeline's board."""
    entity_for("opportunities", request.user, "view")
    pipeline = Pipeline.objects.filter(active=True).order_by("order", "pk").first()
    if pipeline is None:
        raise Http404
    return redirect("sales_board", pipeline.pk)


@login_required
def board_page(request, pk):
    """A pipeline's deals, a column per stage with its count and sum; cards coloured by their
    time in the stage, moved by dragging or with their "move to" menu (REQ SA-2, SA-3)."""
    entity_for("opportunities", request.user, "view")
    pipeline, pipelines = _board_pipelines(pk)
    context = _board_context(request, pipeline, pipelines=pipelines)
    return render_partial(request, "sales/board.html", context, "board")


@login_required
@require_POST
def board_move(request, pk):
    """Move one deal to another stage from the board; the board comes back redrawn, with the
    service's message when the move was refused (a required field empty, a stale card)."""
    entity = entity_for("opportunities", request.user, "change")
    deal = record_for(entity, request.user, pk)
    stage = Stage.objects.filter(pk=request.POST.get("stage", "")).first()
    version = request.POST.get("version", "")
    error = ""
    if stage is None:
        error = _("Choose a stage.")
    else:
        try:
            opportunity_move_stage(
                deal,
                actor=request.user,
                stage=stage,
                expected_version=int(version) if version.isdigit() else None,
            )
        except ValidationError as exc:
            error = " ".join(_labelled(exc))
        except ConflictError as exc:
            error = str(exc)
    pipeline = deal.stage.pipeline
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("sales_board", pipeline.pk)
    context = _board_context(request, pipeline, error=error, failed=deal if error else None)
    return render(request, "sales/board.html#board", context)


def _labelled(error: ValidationError) -> list[str]:
    """The service's messages, each after the label of the field it is about."""
    if not hasattr(error, "error_dict"):
        return list(error.messages)
    model = Opportunity._meta
    texts = []
    for name, errors in error.message_dict.items():
        try:
            label = str(model.get_field(name).verbose_name)
        except FieldDoesNotExist:
            label = ""
        for message in errors:
            texts.append(f"{label.capitalize()}: {message}" if label else message)
    return texts


@login_required
def stage_options(request):
    """The active stages of the pipeline chosen on the deal form, as its stage select's
    options (htmx; the platform's dependent pick-lists' way, REQ CX-6)."""
    entity_for("opportunities", request.user, "view")
    pipeline = request.GET.get("pipeline", "")
    stages = (
        Stage.objects.filter(active=True, pipeline_id=pipeline).order_by("order", "pk")
        if pipeline.isdigit()
        else Stage.objects.none()
    )
    choices = [(stage.pk, str(stage)) for stage in stages]
    return render(request, "platform/widgets/options.html", {"choices": choices})


# --- the forecast (issue 15 item 5) --------------------------------------------------------------


@login_required
def forecast_page(request):
    """A quarter's or a month's deals by owner, team or region: open, weighted by probability,
    committed, best case and won (REQ SA-7)."""
    entity_for("opportunities", request.user, "view")
    year, quarter, month = parse_period(request.GET.get("period") or request.GET.get("quarter"))
    by = request.GET.get("by", "owner")
    by = by if by in FORECAST_GROUPS else "owner"
    result = forecast(request.user, year, quarter, month=month, by=by)
    if month:
        previous = f"{year - (month == 1)}-{12 if month == 1 else month - 1:02d}"
        following = f"{year + (month == 12)}-{1 if month == 12 else month + 1:02d}"
    else:
        previous = f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}"
        following = f"{year + 1}-Q1" if quarter == 4 else f"{year}-Q{quarter + 1}"
    context = {
        "forecast": result,
        "previous": previous,
        "following": following,
        "quarter_label": f"{year}-Q{quarter}",
        "months": [f"{year}-{m:02d}" for m in range(3 * quarter - 2, 3 * quarter + 1)],
        "groupings": [
            ("owner", _("Owner")),
            ("department", _("Team")),
            ("region", _("Region")),
        ],
        "rows": [_money_row(row) for row in result.rows],
        "totals": _money_row(result.totals),
    }
    return render(request, "sales/forecast.html", context)


def _money_row(row) -> dict:
    return {
        "name": row.name,
        "open_count": row.open_count,
        "open_amount": money(row.open_amount),
        "weighted_amount": money(row.weighted_amount),
        "commit_amount": money(row.commit_amount),
        "best_case_amount": money(row.best_case_amount),
        "won_amount": money(row.won_amount),
    }


# --- targets against actuals (REQ SA-7, RE-2, SA-14) -----------------------------------------


@login_required
def attainment_page(request):
    """The targets the reader may see for a period, each with its actual from won deals and its
    share reached: a rep his own, a manager his department's (REQ SA-7, SA-14)."""
    entity = entity_for("sales-targets", request.user, "view")
    day = _day(request.GET.get("on"))
    rows = attainment(current_targets(request.user, day))
    context = {
        "entity": entity,
        "day": day,
        "rows": [_attainment_row(a) for a in rows],
        "previous": period_start("month", day - datetime.timedelta(days=1)).isoformat(),
        "following": period_end("month", period_start("month", day)).isoformat(),
        "can_add": can(request.user, "sales-targets", "add"),
    }
    return render(request, "sales/attainment.html", context)


def _day(text: str | None) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text or "")
    except ValueError:
        return timezone.localdate()


def _attainment_row(row) -> dict:
    target = row.target
    return {
        "target": target,
        "amount": money(target.amount) if target.amount is not None else "",
        "actual_amount": money(row.actual_amount),
        "amount_percent": row.amount_percent,
        "count": target.count,
        "actual_count": row.actual_count,
        "count_percent": row.count_percent,
    }


# --- the organization's sales settings (REQ SA-7, RE-2) ------------------------------------------


@admin_required
def settings_page(request):
    """Forecasting on or off, and what targets are measured by; for administrators."""
    current = SalesSettings.current()
    form = SalesSettingsForm(
        request.POST or None,
        initial={"forecasting": current.forecasting, "target_actuals": current.target_actuals},
    )
    if request.method == "POST" and form.is_valid():
        try:
            sales_settings_update(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                form.add_error(None, message)
        else:
            messages.success(request, _("The sales settings are saved."))
            return redirect("sales_settings")
    return render(request, "sales/settings.html", {"form": form})


# --- a deal's contacts and their roles (REQ SA-6) ------------------------------------------------


def _changeable_deal(request, pk) -> Opportunity:
    entity = entity_for("opportunities", request.user, "change")
    return record_for(entity, request.user, pk)


@login_required
@require_POST
def deal_contact_add(request, pk):
    """Add a contact, chosen with the picker, to the deal in a role; one already on the deal
    gets the role."""
    deal = _changeable_deal(request, pk)
    chosen = request.POST.get("contact", "")
    if not chosen.isdigit():
        messages.error(request, _("Choose a contact."))
        return redirect(reverse("entity_detail", args=["opportunities", pk]))
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=chosen)
    role = request.POST.get("role", "")
    link = OpportunityContact.objects.filter(opportunity=deal, contact=contact).first()
    try:
        if link is None:
            opportunity_link_contact(deal, actor=request.user, contact=contact, role=role)
            messages.success(request, _("%(contact)s added to the deal.") % {"contact": contact})
        else:
            opportunity_set_contact_role(link, actor=request.user, role=role)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    return redirect(reverse("entity_detail", args=["opportunities", pk]))


@login_required
@require_POST
def deal_contact_change(request, pk, contact_pk):
    """Change a contact's role in the deal (``action=role``) or take it off (``remove``)."""
    deal = _changeable_deal(request, pk)
    contact = get_object_or_404(Contact.objects.visible_to(request.user), pk=contact_pk)
    if request.POST.get("action") == "remove":
        opportunity_unlink_contact(deal, actor=request.user, contact=contact)
    else:
        link = get_object_or_404(OpportunityContact, opportunity=deal, contact=contact)
        try:
            opportunity_set_contact_role(
                link, actor=request.user, role=request.POST.get("role", "")
            )
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
    return redirect(reverse("entity_detail", args=["opportunities", pk]))
