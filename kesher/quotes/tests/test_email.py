"""A quote e-mailed to the customer with its PDF (issue 16 item 4; decision 0077): through
the outbox, at most once, suppressed in the practice environment, on the quote's timeline."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from kesher.activities.models import Interaction
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.models import OutgoingMessage
from kesher.platform.models import Attachment
from kesher.quotes.models import Quote
from kesher.quotes.services import quote_email
from kesher.quotes.tests.factories import line, make_quote

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def quote(users, account, catalogue):
    return make_quote(users["sales_rep"], account, line(catalogue["laptop"], "2"))


def test_e_mailed_once_with_the_pdf_attached(quote, users):
    rep = users["sales_rep"]
    message = quote_email(quote, actor=rep, to=["buyer@example.co.il"], note="שלום דנה")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT  # the draft was issued
    assert quote.number == "Q-00001"
    assert message.status == OutgoingMessage.Status.QUEUED
    assert message.link_type == "quotes"
    assert message.link_id == quote.pk
    assert quote.number in message.subject
    assert "/q/" in message.body_html  # the customer's link to accept it
    assert "שלום דנה" in message.body_html
    assert quote.emailed_pdf.name == "Q-00001.pdf"
    assert Attachment.objects.filter(object_id=quote.pk, name="Q-00001.pdf").count() == 1
    # Asking again (a double click, a retried request) sends nothing more.
    assert quote_email(quote, actor=rep, to=["other@example.co.il"]).pk == message.pk
    assert OutgoingMessage.objects.filter(link_type="quotes", link_id=quote.pk).count() == 1
    assert deliver_messages() == 1
    assert deliver_messages() == 0
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["buyer@example.co.il"]
    assert sent.attachments[0][0] == "Q-00001.pdf"
    assert sent.attachments[0][1].startswith(b"%PDF")
    assert sent.attachments[0][2] == "application/pdf"
    # On the quote's timeline: the message, and the e-mail as an interaction.
    assert Interaction.objects.filter(
        link_type="quotes", link_id=quote.pk, direction="out", kind__value="email"
    ).exists()


def test_the_practice_environment_sends_nothing(quote, users, settings):
    settings.KESHER_PRACTICE = True
    message = quote_email(quote, actor=users["sales_rep"], to=["buyer@example.co.il"])
    assert message.status == OutgoingMessage.Status.SUPPRESSED
    assert deliver_messages() == 0
    assert mail.outbox == []


def test_to_the_customer_s_own_address_in_english(quote, users, account):
    account.email = "office@example.com"
    account.save(update_fields=["email"])
    message = quote_email(quote, actor=users["sales_rep"], language="en")
    assert message.to == "office@example.com"
    assert message.language == "en"
    assert message.subject == "Quote Q-00001"
    quote.refresh_from_db()
    assert quote.emailed_pdf.name == "Q-00001-en.pdf"


def test_refusals_write_nothing(users, account, catalogue):
    rep = users["sales_rep"]
    over = make_quote(rep, account, line(catalogue["laptop"], "1", "30"))
    with pytest.raises(ValidationError, match="אישור"):
        quote_email(over, actor=rep, to=["buyer@example.co.il"])
    plain = make_quote(rep, account, line(catalogue["laptop"], "1"))
    with pytest.raises(ValidationError) as error:
        quote_email(plain, actor=rep)  # the customer has no address, none was given
    assert "to" in error.value.message_dict
    plain.refresh_from_db()
    assert plain.status == Quote.Status.DRAFT
    assert not plain.number  # the number went back with the rollback
    assert not OutgoingMessage.objects.exists()
    assert not Attachment.objects.exists()


def test_from_the_page_and_the_api(quote, users, client_for, api_for):
    rep, other = users["sales_rep"], users["sales_rep2"]
    assert api_for(other).post(f"/api/v1/quotes/{quote.pk}/email/").status_code == 404
    refused = api_for(rep).post(
        f"/api/v1/quotes/{quote.pk}/email/", {"to": ["not-an-address"]}, format="json"
    )
    assert refused.status_code == 400
    answer = client_for(rep).post(
        f"/quotes/{quote.pk}/email/",
        {"to": "buyer@example.co.il", "language": "he", "note": ""},
        follow=True,
    )
    assert answer.status_code == 200
    assert "buyer@example.co.il" in answer.content.decode()
    again = api_for(rep).post(f"/api/v1/quotes/{quote.pk}/email/", {}, format="json")
    assert again.status_code == 200
    assert again.json()["quote"]["status"] == "sent"
    assert again.json()["message"]["to"] == "buyer@example.co.il"
    assert OutgoingMessage.objects.count() == 1
