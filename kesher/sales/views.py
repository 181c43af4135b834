"""Sales' own pages: converting a lead (REQ SA-1) and the pipeline board (SA-2, SA-3)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from kesher.platform.access import can
from kesher.platform.ui.pages import entity_for, record_for
from kesher.sales.forms import ConvertForm
from kesher.sales.services import lead_convert


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
