"""The alert "debt overdue" on a customer's page and in his 360° view (REQ CU-8; decision
0076): shown to whoever sees the account — the banner is part of his file — with the overdue
amount in shekels and the due date of the oldest overdue invoice, leading to his issued
documents."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext as _

from kesher.billing.selectors import billing_of
from kesher.platform.ui.display import format_money

__all__ = ["overdue_alerts", "payment_behaviour"]


def payment_behaviour(account, user) -> str | None:
    """The 360° view's "payment behaviour" (REQ CU-7): how many days after his terms the
    customer pays on average, over his paid invoices — None ("—") before any is paid."""
    late = billing_of(account).pays_late_by
    if late is None:
        return None
    if late < 0:
        return _("%(days)s days early on average") % {"days": f"{-late:g}"}
    if late == 0:
        return _("On time")
    return _("%(days)s days late on average") % {"days": f"{late:g}"}


def overdue_alerts(account, user) -> list[dict]:
    """One "danger" alert when ``account`` has overdue invoices, else none. The caller shows
    it only on a page or an overview of an account ``user`` may see."""
    summary = billing_of(account)
    if not summary.overdue_count or summary.oldest_overdue_due is None:
        return []
    message = _("Debt overdue: %(amount)s in %(count)s invoices, the oldest due %(date)s.") % {
        "amount": format_money(summary.overdue),
        "count": summary.overdue_count,
        "date": date_format(summary.oldest_overdue_due, "d/m/Y"),
    }
    if summary.overdue_count == 1:
        message = _("Debt overdue: %(amount)s, due %(date)s.") % {
            "amount": format_money(summary.overdue),
            "date": date_format(summary.oldest_overdue_due, "d/m/Y"),
        }
    query = urlencode({"account": account.pk, "status": "issued"})
    return [
        {
            "level": "danger",
            "message": message,
            "id": account.pk,
            "url": f"{reverse('entity_list', args=['tax-documents'])}?{query}",
        }
    ]
