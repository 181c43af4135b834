"""The quotes' and orders' own API: lines and actions (REQ SA-9, SA-10, SV-12)."""

from __future__ import annotations

import pytest

from kesher.quotes.models import Quote, QuoteLine
from kesher.quotes.tests.factories import make_quote

pytestmark = pytest.mark.django_db


def test_lines_then_send(users, account, catalogue, api_for):
    rep = users["sales_rep"]
    quote = make_quote(rep, account)
    api = api_for(rep)
    laptop = catalogue["laptop"].pk
    answer = api.put(
        f"/api/v1/quotes/{quote.pk}/lines/",
        {
            "lines": [
                {"product": laptop, "quantity": "2"},
                {"product": laptop, "quantity": "1", "optional": True},
            ]
        },
        format="json",
    )
    assert answer.status_code == 200, answer.content
    assert answer.json()["total"] == "212.40"
    assert len(answer.json()["lines"]) == 2
    sent = api.post(f"/api/v1/quotes/{quote.pk}/send/")
    assert sent.status_code == 200
    assert sent.json()["number"] == "Q-00001"
    again = api.put(
        f"/api/v1/quotes/{quote.pk}/lines/",
        {"lines": [{"product": laptop, "quantity": "5"}]},
        format="json",
    )
    assert again.status_code == 400


def test_an_over_limit_quote_is_not_sent_through_the_api(users, account, catalogue, api_for):
    """SA-9: refused with a translated message, nothing written."""
    rep = users["sales_rep"]
    quote = make_quote(rep, account)
    api = api_for(rep)
    api.put(
        f"/api/v1/quotes/{quote.pk}/lines/",
        {"lines": [{"product": catalogue["laptop"].pk, "quantity": "1", "discount_percent": "30"}]},
        format="json",
    )
    refused = api.post(f"/api/v1/quotes/{quote.pk}/send/")
    assert refused.status_code == 400
    assert "אישור" in str(refused.json())
    quote.refresh_from_db()
    assert quote.status == Quote.Status.DRAFT
    assert not quote.number
    assert api.post(f"/api/v1/quotes/{quote.pk}/request-approval/").status_code == 200


def test_a_bad_line_is_a_400_with_nothing_written(users, account, catalogue, api_for):
    rep = users["sales_rep"]
    quote = make_quote(rep, account)
    answer = api_for(rep).put(
        f"/api/v1/quotes/{quote.pk}/lines/",
        {"lines": [{"product": 999999, "quantity": "1"}]},
        format="json",
    )
    assert answer.status_code == 400
    assert not QuoteLine.objects.exists()


def test_another_reps_quote_is_not_found(users, account, api_for):
    quote = make_quote(users["sales_rep"], account)
    assert api_for(users["sales_rep2"]).get(f"/api/v1/quotes/{quote.pk}/lines/").status_code == 404
