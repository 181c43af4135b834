"""The agent's desk on a ticket: canned replies with merge fields, the reply by e-mail from the
ticket's page and the API, merging duplicates and splitting a ticket, the raw-MIME endpoint
(REQ IN-1, SV-7; issue 18 items 3, 4; decision 0072)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kesher.activities.models import Interaction, Task
from kesher.activities.services import interaction_create, task_create
from kesher.customers.tests.factories import make_contact
from kesher.integrations.models import OutgoingMessage
from kesher.platform.models import AuditEntry, Choice
from kesher.service.models import CannedReply, Mailbox, Ticket, TicketEmail
from kesher.service.services import (
    canned_reply_create,
    canned_reply_text,
    ticket_merge,
    ticket_split,
)
from kesher.service.tests.factories import make_ticket
from kesher.service.tests.test_mail import raw_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(users):
    agent = users["support_agent"]
    Mailbox.objects.create(address="support@kesher-demo.co.il", name="תמיכה")
    contact = make_contact(users["admin"], first_name="דנה", email="dana@customer.co.il")
    ticket = make_ticket(agent, subject="המדפסת לא מדפיסה", contact=contact)
    reply = canned_reply_create(
        actor=users["admin"],
        data={
            "name": "קיבלנו",
            "body_he": "שלום {{ contact.first_name }}, קיבלנו את פנייה {{ number }}.",
            "body_en": "Hello {{ contact.first_name }}, we have ticket {{ number }}.",
        },
    )
    return {"agent": agent, "ticket": ticket, "reply": reply, "contact": contact}


def _note(actor, ticket, subject):
    return interaction_create(
        actor=actor,
        data={
            "kind": Choice.objects.get(list_key="interaction_kind", value="note"),
            "subject": subject,
            "link_type": "tickets",
            "link_id": ticket.pk,
        },
    )


def test_a_canned_reply_fills_the_tickets_merge_fields(users, desk):
    ticket, reply = desk["ticket"], desk["reply"]
    he = canned_reply_text(reply, ticket, language="he", reader=desk["agent"])
    assert he == f"שלום דנה, קיבלנו את פנייה {ticket.number}."
    en = canned_reply_text(reply, ticket, language="en", reader=desk["agent"])
    assert en == f"Hello דנה, we have ticket {ticket.number}."


def test_a_canned_reply_refuses_unknown_merge_fields(users):
    with pytest.raises(ValidationError) as error:
        canned_reply_create(actor=users["admin"], data={"name": "x", "body_he": "{{ nope }}"})
    assert "body_he" in error.value.message_dict
    assert not CannedReply.objects.exists()


def test_the_reply_form_offers_canned_replies_and_sends(users, desk, client_for):
    """The reply box with the canned replies filled for this ticket, one click away; sending
    queues the e-mail and logs it on the ticket."""
    ticket = desk["ticket"]
    client = client_for(desk["agent"])
    page = client.get(f"/r/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-reply"' in page
    assert 'id="ticket-merge"' in page
    form = client.get(f"/service/tickets/{ticket.pk}/reply/", HTTP_HX_REQUEST="true")
    html = form.content.decode()
    assert f"שלום דנה, קיבלנו את פנייה {ticket.number}." in html
    assert "dana@customer.co.il" in html
    sent = client.post(
        f"/service/tickets/{ticket.pk}/reply/", {"body": "שלום, טופל.", "key": "abc"}
    )
    assert sent.status_code == 302
    again = client.post(
        f"/service/tickets/{ticket.pk}/reply/", {"body": "שלום, טופל.", "key": "abc"}
    )
    assert again.status_code == 302
    assert OutgoingMessage.objects.count() == 1
    assert Interaction.objects.filter(link_id=ticket.pk, direction="out").count() == 1
    empty = client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "", "key": "e"})
    assert empty.status_code == 200
    assert OutgoingMessage.objects.count() == 1


def test_read_only_may_not_reply_merge_or_split(users, desk, client_for, api_for):
    ticket = desk["ticket"]
    reader = users["read_only"]
    page = client_for(reader).get(f"/r/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-reply"' not in page
    for action in ("reply", "merge", "split"):
        assert client_for(reader).get(f"/service/tickets/{ticket.pk}/{action}/").status_code in (
            403,
            404,
        )
    api = api_for(reader)
    assert (
        api.post(f"/api/v1/tickets/{ticket.pk}/reply/", {"body": "x", "idempotency_key": "k"})
    ).status_code == 403
    assert not OutgoingMessage.objects.exists()


def test_the_api_replies_once_and_answers_a_translated_400(users, desk, api_for):
    ticket = desk["ticket"]
    api = api_for(desk["agent"], "en")
    url = f"/api/v1/tickets/{ticket.pk}/reply/"
    first = api.post(url, {"body": "Fixed.", "idempotency_key": "k"}, format="json")
    assert first.status_code == 201
    assert first.json()["delivery"] == "queued"
    assert ticket.number in first.json()["subject"]
    second = api.post(url, {"body": "Fixed.", "idempotency_key": "k"}, format="json")
    assert second.json()["message_id"] == first.json()["message_id"]
    assert OutgoingMessage.objects.count() == 1
    bare = make_ticket(desk["agent"])
    refused = api_for(desk["agent"], "he").post(
        f"/api/v1/tickets/{bare.pk}/reply/", {"body": "x", "idempotency_key": "z"}, format="json"
    )
    assert refused.status_code == 400
    assert "דוא״ל" in refused.json()["to"][0]
    canned = api.get(f"/api/v1/tickets/{ticket.pk}/canned-replies/").json()
    assert canned[0]["text"] == f"Hello דנה, we have ticket {ticket.number}."


def test_merging_moves_everything_and_closes_the_duplicate(users, desk):
    """Interactions, tasks, e-mails and the thread move to the survivor; the duplicate is
    closed as merged with its history; mail answering it threads into the survivor."""
    agent = desk["agent"]
    survivor = desk["ticket"]
    duplicate = make_ticket(agent, subject="שוב המדפסת", contact=desk["contact"])
    _note(agent, duplicate, "התקשרה שוב")
    task_create(
        actor=agent,
        data={"title": "לבדוק מדפסת", "link_type": "tickets", "link_id": duplicate.pk},
    )
    from kesher.service.mail import email_receive

    email_receive(raw_mail(subject=f"שאלה {duplicate.number}", message_id="<d1@c.co.il>"))
    ticket_merge(duplicate, into=survivor, actor=agent)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor
    assert duplicate.resolved_at is not None
    assert duplicate.status.value == "closed"
    assert survivor.number in duplicate.resolution
    assert Interaction.objects.filter(link_type="tickets", link_id=duplicate.pk).count() == 0
    assert Interaction.objects.filter(link_type="tickets", link_id=survivor.pk).count() == 2
    assert Task.objects.get(title="לבדוק מדפסת").link_id == survivor.pk
    assert TicketEmail.objects.get(message_id="<d1@c.co.il>").ticket == survivor
    later = email_receive(raw_mail(subject="Re", in_reply_to="<d1@c.co.il>"))
    assert later.ticket == survivor
    by_number = email_receive(raw_mail(subject=f"Re: {duplicate.number}"))
    assert by_number.ticket == survivor
    assert AuditEntry.objects.filter(object_id=duplicate.pk, action="update").exists()
    with pytest.raises(ValidationError):
        ticket_merge(duplicate, into=survivor, actor=agent)
    with pytest.raises(ValidationError):
        ticket_merge(survivor, into=survivor, actor=agent)


def test_merging_from_the_page_and_the_api(users, desk, client_for, api_for):
    agent = desk["agent"]
    survivor = desk["ticket"]
    one = make_ticket(agent, subject="כפולה 1")
    two = make_ticket(agent, subject="כפולה 2")
    response = client_for(agent).post(
        f"/service/tickets/{one.pk}/merge/", {"into": survivor.pk}, HTTP_HX_REQUEST="true"
    )
    assert response.headers["HX-Redirect"] == f"/r/tickets/{survivor.pk}/"
    assert Ticket.objects.get(pk=one.pk).merged_into == survivor
    answer = api_for(agent).post(
        f"/api/v1/tickets/{two.pk}/merge/", {"into": survivor.pk}, format="json"
    )
    assert answer.json() == {"into": survivor.pk}
    # A ticket the user may not see is "no such ticket", the same as a missing one.
    rep = users["sales_rep"]
    mine = make_ticket(rep, subject="שלי")
    hidden = api_for(rep).post(
        f"/api/v1/tickets/{mine.pk}/merge/", {"into": survivor.pk}, format="json"
    )
    assert hidden.status_code == 400
    assert Ticket.objects.get(pk=mine.pk).merged_into is None


def test_splitting_moves_the_chosen_interactions(users, desk, client_for):
    agent = desk["agent"]
    ticket = desk["ticket"]
    keep = _note(agent, ticket, "מדפסת")
    move = _note(agent, ticket, "סורק")
    with pytest.raises(ValidationError):
        ticket_split(ticket, actor=agent, subject="", interactions=[])
    new = ticket_split(ticket, actor=agent, subject="הסורק לא סורק", interactions=[move.pk])
    assert new.contact == ticket.contact
    assert Interaction.objects.get(pk=move.pk).link_id == new.pk
    assert Interaction.objects.get(pk=keep.pk).link_id == ticket.pk
    page = client_for(agent).get(f"/service/tickets/{ticket.pk}/split/").content.decode()
    assert "מדפסת" in page
    assert "סורק" not in page


def test_forwarded_raw_mime_opens_a_ticket_once(users, desk, api_for):
    """The endpoint for providers that forward mail; for those who administer mailboxes."""
    raw = raw_mail(subject="הודעה מועברת", message_id="<fwd@c.co.il>")
    refused = api_for(desk["agent"]).post(
        "/api/v1/service/inbound-email/", raw, content_type="message/rfc822"
    )
    assert refused.status_code == 403
    api = api_for(users["admin"])
    first = api.post("/api/v1/service/inbound-email/", raw, content_type="message/rfc822")
    assert first.status_code == 200
    assert first.json()["outcome"] == "opened"
    assert first.json()["duplicate"] is False
    second = api.post("/api/v1/service/inbound-email/", raw, content_type="message/rfc822")
    assert second.json()["duplicate"] is True
    assert Ticket.objects.filter(subject="הודעה מועברת").count() == 1


def test_the_reply_page_and_the_api_write_in_the_customers_language(
    users, desk, client_for, api_for
):
    """An agent working in English answers a Hebrew-speaking customer in Hebrew (his language,
    not the page's); the API does the same unless its caller chooses the language."""
    ticket, agent = desk["ticket"], desk["agent"]
    agent.language = "en"
    agent.save()
    client = client_for(agent)
    assert 'lang="en"' in client.get(f"/service/tickets/{ticket.pk}/reply/").content.decode()
    sent = client.post(f"/service/tickets/{ticket.pk}/reply/", {"body": "שלום", "key": "ui"})
    assert sent.status_code == 302
    assert OutgoingMessage.objects.get().language == "he"
    api = api_for(agent, "en")
    url = f"/api/v1/tickets/{ticket.pk}/reply/"
    assert api.post(url, {"body": "x", "idempotency_key": "a"}, format="json").status_code == 201
    chosen = {"body": "x", "idempotency_key": "b", "language": "en"}
    assert api.post(url, chosen, format="json").status_code == 201
    languages = dict(OutgoingMessage.objects.values_list("idempotency_key", "language"))
    assert languages[f"ticket-reply:{ticket.pk}:a"] == "he"
    assert languages[f"ticket-reply:{ticket.pk}:b"] == "en"
