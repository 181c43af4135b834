"""Automation's "an invoice is overdue" trigger (REQ CU-7, CU-8, AU-1; decision 0076), for
rules on tax documents: found by the worker's tick, once per invoice.

An issued invoice becomes overdue when its due date has passed with a balance still open: at
the start of the day after its due date, or — issued or given its allocation number after
that — when it was. Each tick scans the rule's moving window (``Rule.scanned_until`` → now)
for the invoices whose due date passed in it or that changed in it while already past due,
and still owe something (a partial payment leaves it owed). The run's dedupe key (rule,
invoice, due date) fires it once: a window scanned twice, or a later payment that does not
settle it, fires nothing again; an issued invoice's due date never changes. Invoices overdue
before the rule existed do not fire (its first tick starts its window).
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.automation.triggers import Trigger, register_trigger
from kesher.billing.models import INVOICES, TaxDocument
from kesher.billing.selectors import with_balances

__all__ = ["overdue_invoices"]

# Above half an agora: SQLite adds decimals as floating point (selectors._agorot).
OWED = Decimal("0.005")


def overdue_invoices(start, end, among=None) -> list[tuple[int, str]]:
    """(invoice id, its due date) of the issued invoices that became overdue in (start, end]
    and still owe something; ``among``: a queryset of ids narrowing them (a rule's
    condition)."""
    first, today = timezone.localdate(start), timezone.localdate(end)
    invoices = TaxDocument._base_manager.filter(
        kind__in=INVOICES, status=TaxDocument.Status.ISSUED, due_date__lt=today
    ).filter(Q(due_date__gte=first) | Q(updated_at__gt=start))
    if among is not None:
        invoices = invoices.filter(pk__in=among)
    rows = with_balances(invoices).filter(balance__gt=OWED).order_by("due_date", "pk")
    return [(pk, due.isoformat()) for pk, due in rows.values_list("pk", "due_date")]


def _validate(entity, config: dict) -> dict:
    if entity.key != "tax-documents":
        raise ValidationError({"trigger_kind": [_("Only invoices fall overdue.")]})
    if config:
        raise ValidationError({"trigger_config": [_("This trigger has no settings.")]})
    return {}


def _scan(compiled, start, end):
    among = None
    if compiled.q is not None:
        matching = TaxDocument._base_manager.alias(**compiled.aliases).filter(compiled.q)
        among = matching.values("pk")
    return overdue_invoices(start, end, among), end


register_trigger(
    Trigger(
        "invoice_overdue",
        gettext_lazy("An invoice becomes overdue"),
        validate=_validate,
        scan=_scan,
        description=gettext_lazy(
            "An issued invoice passed its due date with a balance still open; once per "
            "invoice, however it is paid later (remind, call, notify)."
        ),
    )
)
