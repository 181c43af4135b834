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


def test_the_demo_quotes_print_with_its_document_templates(loaded):
    from kesher.quotes.documents import document_html
    from kesher.quotes.models import DocumentTemplate

    assert DocumentTemplate.objects.filter(document_type="quote").exists()
    quote = Quote.objects.filter(status="sent").first()
    html = document_html(quote, language="he")
    assert "בנק הפועלים" in html
    assert f"הצעה {quote.number} בתוקף עד" in html
