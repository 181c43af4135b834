"""Service in the customer 360° view (REQ CU-7; issue 18 item 8): an account's (or a
contact's) tickets the reader may see — how many are open of how many received, the average
time from opening to resolving, and who handled them, most tickets first. It fills the "Open
tickets" slot the activities app keeps (``kesher.activities.overview.SLOTS``)."""

from __future__ import annotations

import datetime

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from kesher.activities.overview import Figure, register_figure
from kesher.platform.access import can
from kesher.platform.registry import registry
from kesher.service.models import Ticket

__all__ = ["service_figures"]

# How each kind of record is a ticket's: the ticket's field that names it.
TICKET_FIELD = {"accounts": "account", "contacts": "contact"}
SHOWN_HANDLERS = 3


def _tickets(record, user):
    """The record's tickets the reader may see (merged ones are not service received), or
    None when he may see no tickets."""
    if not can(user, "tickets", "view"):
        return None
    field = TICKET_FIELD[registry.for_model(record).key]
    return Ticket.objects.visible_to(user).filter(**{field: record}, merged_into__isnull=True)


def service_figures(record, user) -> dict | None:
    """{open, total, handling (a timedelta or None), handlers [(name, count)]} of the record's
    tickets the reader may see: one aggregate and one grouped query, kept on the record for
    the figures that share them; None when he may see no tickets."""
    if hasattr(record, "_service_figures"):
        return record._service_figures
    tickets = _tickets(record, user)
    result = None
    if tickets is not None:
        took = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
        totals = tickets.aggregate(
            total=Count("pk"),
            open=Count("pk", filter=Q(resolved_at__isnull=True)),
            handling=Avg(took, filter=Q(resolved_at__isnull=False)),
        )
        rows = (
            tickets.filter(handler__isnull=False)
            .values("handler__first_name", "handler__last_name", "handler__username")
            .annotate(n=Count("pk"))
            .order_by("-n", "handler__first_name", "handler__username")
        )
        handlers = [
            (
                f"{row['handler__first_name']} {row['handler__last_name']}".strip()
                or row["handler__username"],
                row["n"],
            )
            for row in rows
        ]
        result = {**totals, "handlers": handlers}
    record._service_figures = result
    return result


def _open_tickets(record, user):
    figures = service_figures(record, user)
    if figures is None:
        return None
    return _("%(open)s open of %(total)s") % {"open": figures["open"], "total": figures["total"]}


def _tickets_list(record, user) -> str:
    field = TICKET_FIELD[registry.for_model(record).key]
    return f"{reverse('entity_list', args=['tickets'])}?{field}={record.pk}"


def duration_text(value: datetime.timedelta) -> str:
    """A handling time as people say it: minutes under an hour, hours under two days, else
    days (one decimal)."""
    minutes = value.total_seconds() / 60
    if minutes < 60:
        n = max(1, round(minutes))
        return ngettext("%(n)s minute", "%(n)s minutes", n) % {"n": n}
    hours = minutes / 60
    if hours < 48:
        n = round(hours, 1)
        return _("%(n)s hours") % {"n": f"{n:g}"}
    return _("%(n)s days") % {"n": f"{round(hours / 24, 1):g}"}


def _handling_time(record, user):
    figures = service_figures(record, user)
    if figures is None:
        return None
    if figures["handling"] is None:
        return _("none resolved yet")
    return duration_text(figures["handling"])


def _handled_by(record, user):
    figures = service_figures(record, user)
    if figures is None:
        return None
    handlers = figures["handlers"]
    if not handlers:
        return _("nobody yet")
    parts = [f"{name} ({n})" for name, n in handlers[:SHOWN_HANDLERS]]
    if len(handlers) > SHOWN_HANDLERS:
        parts.append(
            _("%(n)s more") % {"n": len(handlers) - SHOWN_HANDLERS},
        )
    return " · ".join(parts)


register_figure(
    Figure(
        "open_tickets",
        gettext_lazy("Open tickets"),
        _open_tickets,
        entities=("accounts", "contacts"),
        order=40,
        link=_tickets_list,
    )
)
register_figure(
    Figure(
        "handling_time",
        gettext_lazy("Average handling time"),
        _handling_time,
        entities=("accounts", "contacts"),
        order=42,
    )
)
register_figure(
    Figure(
        "handled_by",
        gettext_lazy("Handled by"),
        _handled_by,
        entities=("accounts", "contacts"),
        order=44,
    )
)
