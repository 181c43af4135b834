"""Field service's pages (REQ SV-12; issue 18 item 9; decision 0088): the technician's day on
his phone, a visit — parts from his van, closing notes, the customer's signature — and the
search-as-you-type suggestions of his van's products. Thin: the reads are
``kesher.service.fieldday``'s, the writes ``kesher.service.visits``'."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.platform.ui.pages import entity_for, record_for
from kesher.service import fieldday
from kesher.service.models import VisitReport
from kesher.service.visits import NOTES_LIMIT, may_visit, visit_complete, visit_part_use


@login_required
def my_day(request):
    """The signed-in technician's visits: overdue first, then today's in visit order."""
    entity_for("tickets", request.user, "view")
    context = {
        "visits": fieldday.day_visits(request.user),
        "van": fieldday.technician_van(request.user),
        "today": timezone.localdate(),
    }
    return render(request, "service/field/day.html", context)


def _ticket(request, pk):
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk, joined=("status",))
    if not may_visit(request.user, ticket):
        raise PermissionDenied
    return ticket


def _parts_of_visit(ticket, user):
    """What he took from his van onto the ticket since his last report on it."""
    from kesher.stock.models import MoveKind, StockMove

    moves = StockMove.objects.filter(ticket=ticket, actor=user, kind=MoveKind.PART_USE)
    last = (
        VisitReport.objects.filter(ticket=ticket, technician=user)
        .order_by("-completed_at")
        .values_list("completed_at", flat=True)
        .first()
    )
    if last is not None:
        moves = moves.filter(created_at__gt=last)
    return list(moves.select_related("product").prefetch_related("serials").order_by("pk"))


def _visit_context(request, ticket, **extra):
    name, address, phone = fieldday.customer_of(ticket, request.user)
    stop = fieldday.DayVisit(
        ticket=ticket,
        meeting=fieldday.visit_of(ticket, request.user),
        overdue=False,
        customer=name,
        address=address,
        phone=phone,
        links=fieldday.navigation_links(address),
    )
    if ticket.resolved_at is None:
        stop.clock = fieldday.visit_clock(ticket, timezone.now())
    return {
        "stop": stop,
        "ticket": ticket,
        "van": fieldday.technician_van(request.user),
        "parts": _parts_of_visit(ticket, request.user),
        "notes_limit": NOTES_LIMIT,
        "values": {},
        "errors": {},
        **extra,
    }


@login_required
def visit_page(request, pk):
    """A visit on the phone: who and where, the parts, the notes, the signature; completing it
    resolves the ticket (``visit_complete``)."""
    ticket = _ticket(request, pk)
    if request.method == "POST":
        values = {
            "notes": request.POST.get("notes", ""),
            "signed_by": request.POST.get("signed_by", ""),
        }
        try:
            visit_complete(
                ticket,
                actor=request.user,
                notes=values["notes"],
                signed_by=values["signed_by"],
                signature=request.POST.get("signature", ""),
            )
        except ValidationError as error:
            context = _visit_context(request, ticket, values=values, errors=error.message_dict)
            return render(request, "service/field/visit.html", context, status=400)
        messages.success(
            request, _("The visit to %(number)s is complete.") % {"number": ticket.number}
        )
        return redirect("service_my_day")
    return render(request, "service/field/visit.html", _visit_context(request, ticket))


@require_POST
@login_required
def visit_part(request, pk):
    """A part used on the visit, out of the technician's van."""
    ticket = _ticket(request, pk)
    serials = [s.strip() for s in request.POST.get("serials", "").split(",") if s.strip()]
    product = request.POST.get("product", "")
    try:
        visit_part_use(
            ticket,
            actor=request.user,
            product=int(product) if product.isdigit() else None,
            quantity=request.POST.get("quantity", ""),
            serials=serials,
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The part was recorded on the ticket."))
    return redirect(reverse("service_visit", args=[ticket.pk]) + "#visit-parts")


@login_required
def van_products(request):
    """Suggestions for the van's product picker: what the technician's own van holds."""
    entity_for("tickets", request.user, "change")
    rows = fieldday.van_stock(fieldday.technician_van(request.user), request.GET.get("q", ""))
    context = {"rows": rows, "target": request.GET.get("target", "")[:60]}
    return render(request, "service/field/van_options.html", context)
