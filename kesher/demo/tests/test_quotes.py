"""The demo's quotes and orders (issue 16): a sent quote, one waiting for approval, a draft,
an accepted one with its order, and a quick sale."""

import pytest

from kesher.approvals.models import ApprovalRequest
from kesher.quotes.models import Order, Quote

pytestmark = pytest.mark.django_db


def test_the_demo_has_quotes_in_every_state_and_orders(loaded):
    statuses = set(Quote.objects.values_list("status", flat=True))
    assert {"draft", "sent", "accepted"} <= statuses
    assert ApprovalRequest.objects.filter(link_type="quotes", status="pending").exists()
    assert Order.objects.filter(quote__isnull=False, status="confirmed").exists()
    assert Order.objects.filter(quote__isnull=True, status="confirmed").exists()
    assert all(quote.lines.exists() for quote in Quote.objects.all())
