"""Reads of field service: a technician's day (REQ SV-12; issue 18 item 9; decision 0088).

A visit is a meeting (the ``interaction_kind`` keyed ``meeting``) about a ticket, booked the
way every meeting is — from the ticket's card or the calendar. A technician's day is the visits
of today to the tickets he handles or whose visit he owns or takes part in, in visit order,
after the overdue ones: visits of the last weeks whose ticket is still open and that no report
completed. Tickets are read through ``visible_to``; the customer's address and phone only
from an account or contact he may see, without the fields hidden from his role.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from django.db.models import Q
from django.utils import timezone

from kesher.activities.meetings import MEETING
from kesher.activities.models import Interaction
from kesher.platform.fields import format_phone_national
from kesher.platform.visibility import hidden_fields
from kesher.service.models import Ticket, VisitReport
from kesher.service.selectors import ClockView, ticket_clocks

__all__ = [
    "LOOKBACK_DAYS",
    "DayVisit",
    "customer_of",
    "day_visits",
    "navigation_links",
    "technician_van",
    "van_stock",
    "visit_clock",
    "visit_of",
    "wants_day",
]

# How far back an open visit still counts as overdue on today's list.
LOOKBACK_DAYS = 14


@dataclass
class DayVisit:
    """One stop of the technician's day: the ticket, its visit, where and whom to call."""

    ticket: Ticket
    meeting: Interaction
    overdue: bool
    report: VisitReport | None = None
    customer: str = ""
    address: str = ""
    phone: str = ""
    clock: ClockView | None = None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def at(self) -> datetime.datetime:
        return self.meeting.occurred_at

    @property
    def done(self) -> bool:
        return self.report is not None

    @property
    def tel(self) -> str:
        """The number to dial (``tel:``), in E.164."""
        return "".join(c for c in self.phone if c.isdigit() or c == "+")

    @property
    def phone_display(self) -> str:
        return format_phone_national(self.phone)


def navigation_links(address: str) -> dict[str, str]:
    """Waze and Google Maps links that search for ``address`` (built here; nothing is called)."""
    address = " ".join((address or "").split())[:300]
    if not address:
        return {}
    return {
        "waze": "https://waze.com/ul?"
        + urlencode({"q": address, "navigate": "yes"}, quote_via=quote),
        "google": "https://www.google.com/maps/dir/?"
        + urlencode({"api": "1", "destination": address}, quote_via=quote),
    }


def _day_bounds(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    local = timezone.localtime(now)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + datetime.timedelta(days=1)


def _visits(user, since: datetime.datetime, until: datetime.datetime):
    handled = Ticket.objects.filter(handler=user).values("pk")
    return (
        Interaction.objects.filter(
            kind__value=MEETING,
            link_type="tickets",
            occurred_at__gte=since,
            occurred_at__lt=until,
        )
        .filter(Q(owner=user) | Q(participant_users=user) | Q(link_id__in=handled))
        .distinct()
        .order_by("occurred_at", "pk")
    )


def visit_of(ticket: Ticket, user, now: datetime.datetime | None = None) -> Interaction | None:
    """The technician's visit to ``ticket`` that a report completes now: today's first one
    still open, else the latest open one of the last weeks; None when he has none."""
    start, end = _day_bounds(now or timezone.now())
    rows = list(
        _visits(user, start - datetime.timedelta(days=LOOKBACK_DAYS), end).filter(link_id=ticket.pk)
    )
    done = set(VisitReport.objects.filter(meeting__in=rows).values_list("meeting_id", flat=True))
    open_ = [m for m in rows if m.pk not in done]
    today = [m for m in open_ if m.occurred_at >= start]
    return today[0] if today else (open_[-1] if open_ else None)


def customer_of(ticket: Ticket, user) -> tuple[str, str, str]:
    """Name, address and phone (E.164) of the ticket's customer as ``user`` may read them."""
    from kesher.customers.models import Account, Contact

    name, address, phone = "", "", ""
    account = (
        ticket.account_id and Account.objects.visible_to(user).filter(pk=ticket.account_id).first()
    )
    contact = (
        ticket.contact_id and Contact.objects.visible_to(user).filter(pk=ticket.contact_id).first()
    )
    if account:
        hidden = hidden_fields("accounts", user)
        name = account.name
        parts = [getattr(account, f) for f in ("street", "city") if f not in hidden]
        address = ", ".join(p for p in parts if p)
        phone = next(
            (
                getattr(account, f)
                for f in ("phone", "mobile")
                if f not in hidden and getattr(account, f)
            ),
            "",
        )
    if contact:
        hidden = hidden_fields("contacts", user)
        name = f"{contact} · {name}" if name else str(contact)
        phone = (
            next(
                (
                    getattr(contact, f)
                    for f in ("mobile", "phone")
                    if f not in hidden and getattr(contact, f)
                ),
                "",
            )
            or phone
        )
        if not address and "city" not in hidden:
            address = contact.city or ""
    return name, address, phone


def visit_clock(ticket: Ticket, now) -> ClockView | None:
    clocks = [c for c in ticket_clocks(ticket, now) if c.state != "met"]
    if not clocks:
        return None
    return min(clocks, key=lambda c: (c.due_at is None, c.due_at or now))


def day_visits(user, now: datetime.datetime | None = None) -> list[DayVisit]:
    """``user``'s stops: the overdue ones first, then today's in visit order (done included)."""
    now = now or timezone.now()
    start, end = _day_bounds(now)
    meetings = list(_visits(user, start - datetime.timedelta(days=LOOKBACK_DAYS), end))
    tickets = {
        t.pk: t
        for t in Ticket.objects.visible_to(user)
        .filter(pk__in={m.link_id for m in meetings}, merged_into__isnull=True)
        .select_related("status", "priority")
    }
    reports = {
        r.meeting_id: r for r in VisitReport.objects.filter(meeting__in=meetings).order_by("pk")
    }
    chosen: dict[int, DayVisit] = {}
    for meeting in meetings:
        ticket = tickets.get(meeting.link_id)
        if ticket is None:
            continue
        report = reports.get(meeting.pk)
        if meeting.occurred_at < start:
            if report is not None or ticket.resolved_at is not None:
                continue
            chosen[ticket.pk] = DayVisit(ticket=ticket, meeting=meeting, overdue=True)
        elif ticket.pk not in chosen or chosen[ticket.pk].overdue or chosen[ticket.pk].done:
            # Today's visit replaces an overdue one; a done one gives way to one still open.
            chosen[ticket.pk] = DayVisit(
                ticket=ticket, meeting=meeting, overdue=False, report=report
            )
    visits = sorted(chosen.values(), key=lambda v: (not v.overdue, v.at, v.meeting.pk))
    for visit in visits:
        visit.customer, visit.address, visit.phone = customer_of(visit.ticket, user)
        visit.links = navigation_links(visit.address)
        if visit.ticket.resolved_at is None:
            visit.clock = visit_clock(visit.ticket, now)
    return visits


def technician_van(user):
    """The technician's active van, if he has one (REQ SA-11)."""
    from kesher.stock.models import Warehouse

    if not getattr(user, "pk", None):
        return None
    return (
        Warehouse.objects.filter(kind=Warehouse.Kind.VAN, technician=user, active=True)
        .order_by("pk")
        .first()
    )


def van_stock(van, text: str = "", limit: int = 10):
    """The products the van holds (quantity above zero), by name or SKU, each with its level."""
    from kesher.stock.models import StockLevel

    if van is None:
        return []
    rows = StockLevel.objects.filter(warehouse=van, quantity__gt=0).select_related("product")
    text = (text or "").strip()[:100]
    if text:
        rows = rows.filter(Q(product__name__icontains=text) | Q(product__sku__icontains=text))
    return list(rows.order_by("product__name", "product_id")[:limit])


def wants_day(user) -> bool:
    """Whether the "My day" link is offered: the user has a van, or visits on tickets today."""
    if not getattr(user, "pk", None):
        return False
    if technician_van(user) is not None:
        return True
    start, end = _day_bounds(timezone.now())
    return _visits(user, start, end).exists()
