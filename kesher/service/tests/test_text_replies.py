"""Replies to SMS / WhatsApp tickets from the ticket (issue 18 item 1; decision 0124): on the
channel the customer wrote on, to the number he wrote from, through the gateway; an SMS's
parts counted and capped; WhatsApp's 24-hour window kept (past it only a template message);
logged on the ticket; sent at most once by the worker (a message in flight when a worker died
is reported, not sent again); suppressed in the practice environment; bad input refused with
nothing written. REQ SV-7, SV-9, IN-3, IM-6."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from kesher.activities.models import Interaction
from kesher.customers.tests.factories import make_account, make_contact
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.gateways import GatewayError, InboundText, sms_parts
from kesher.integrations.models import OutgoingMessage
from kesher.platform.records.services import record_create
from kesher.service.models import Ticket, TicketText
from kesher.service.tests.factories import make_ticket
from kesher.service.texting import text_receive, ticket_text_reply

pytestmark = pytest.mark.django_db

NUMBER = "+972525551234"


class FakeGateway:
    """The gateway the tests send through: it keeps what it was given."""

    sent: list = []
    fail = False

    def send(self, message):
        if FakeGateway.fail:
            raise GatewayError("provider down")
        FakeGateway.sent.append(message)
        return "ok"


@pytest.fixture(autouse=True)
def _gateway(settings):
    settings.KESHER_SMS_BACKEND = f"{__name__}.FakeGateway"
    FakeGateway.sent = []
    FakeGateway.fail = False


@pytest.fixture
def texted(users):
    """A ticket a customer opened by SMS."""
    admin = users["admin"]
    account = make_account(admin, name="מאפיית השרון")
    make_contact(
        admin,
        first_name="נועה",
        last_name="כהן",
        mobile="052-555-1234",
        account_links=[{"account": account}],
    )
    received = text_receive(InboundText("sms", "0525551234", "המדפסת תקועה", "in-1"))
    return received.ticket


def _reply(api_for, user, ticket, language="he", **payload):
    payload.setdefault("idempotency_key", "k1")
    return api_for(user, language).post(
        f"/api/v1/tickets/{ticket.pk}/text-reply/", payload, format="json"
    )


def _nothing_written():
    return (
        not OutgoingMessage.objects.exists()
        and not TicketText.objects.filter(direction="out").exists()
        and not Interaction.objects.filter(direction="out").exists()
    )


def test_an_sms_reply_goes_once_to_the_number_that_wrote_and_is_logged(
    users, api_for, texted, django_capture_on_commit_callbacks
):
    agent = users["support_agent"]
    with django_capture_on_commit_callbacks(execute=True):
        answer = _reply(api_for, agent, texted, channel="sms", body="שלום נועה, הטכנאי בדרך.")
    assert answer.status_code == 201, answer.content
    data = answer.json()
    assert (data["channel"], data["direction"], data["to"]) == ("sms", "out", NUMBER)
    assert (data["delivery"], data["parts"]) == ("queued", 1)
    # Logged on the ticket's thread: an outgoing SMS interaction, which answers the customer.
    logged = Interaction.objects.get(pk=data["interaction"])
    assert (logged.kind.value, logged.direction, logged.link_id) == ("sms", "out", texted.pk)
    assert Ticket.objects.get(pk=texted.pk).first_responded_at is not None

    # The same form sent again sends nothing new; the worker sends the one message once.
    again = _reply(api_for, agent, texted, channel="sms", body="שלום נועה, הטכנאי בדרך.")
    assert again.status_code == 201
    assert again.json()["id"] == data["id"]
    assert deliver_messages() == 1
    assert deliver_messages() == 0
    assert [(m.channel, m.to, m.body) for m in FakeGateway.sent] == [
        ("sms", NUMBER, "שלום נועה, הטכנאי בדרך.")
    ]
    assert OutgoingMessage.objects.get().status == "sent"


def test_a_message_in_flight_when_the_worker_died_is_reported_and_not_sent_again(
    users, api_for, texted, settings, client_for
):
    agent = users["support_agent"]
    _reply(api_for, agent, texted, channel="sms", body="נחזור אליך היום")
    message = OutgoingMessage.objects.get()
    # A worker claimed it and died before it could record the outcome.
    long_ago = timezone.now() - datetime.timedelta(
        seconds=settings.KESHER_MESSAGE_LEASE_SECONDS + 5
    )
    OutgoingMessage.objects.filter(pk=message.pk).update(
        status="sending", claimed_at=long_ago, attempts=1
    )
    assert deliver_messages() == 0
    assert deliver_messages() == 0
    assert FakeGateway.sent == []
    message.refresh_from_db()
    assert message.status == "failed"
    assert "נעצר באמצע השליחה" in message.last_error
    listed = api_for(agent, "en").post(
        f"/api/v1/tickets/{texted.pk}/text-reply/",
        {"channel": "sms", "body": "נחזור אליך היום", "idempotency_key": "k1"},
        format="json",
    )
    assert listed.json()["delivery"] == "failed"
    # The ticket's card says so, with the reason.
    page = client_for(agent).get(f"/r/tickets/{texted.pk}/").content.decode()
    assert 'data-delivery="failed"' in page


def test_whatsapp_past_its_24_hours_takes_only_a_template(users, api_for, texted):
    agent = users["support_agent"]
    text_receive(InboundText("whatsapp", NUMBER, "עדיין תקועה", "w-1"))
    TicketText.objects.filter(channel="whatsapp").update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    channels = api_for(agent).get(f"/api/v1/tickets/{texted.pk}/text-reply/").json()
    assert {c["channel"]: c["template_only"] for c in channels} == {"sms": False, "whatsapp": True}

    refused = _reply(api_for, agent, texted, channel="whatsapp", body="שלום")
    assert refused.status_code == 400
    assert "24" in refused.json()["body"][0]
    assert "וואטסאפ" in refused.json()["body"][0]
    plain = record_create(
        "canned-replies", actor=users["admin"], data={"name": "plain", "body_he": "שלום"}
    )
    refused = _reply(api_for, agent, texted, channel="whatsapp", canned_reply=plain.pk)
    assert refused.status_code == 400
    assert _nothing_written()

    template = record_create(
        "canned-replies",
        actor=users["admin"],
        data={
            "name": "follow-up",
            "body_he": "שלום {{ contact.first_name }}, פנייה {{ number }} עדיין פתוחה.",
            "whatsapp_template": "ticket_follow_up",
        },
    )
    sent = _reply(
        api_for, agent, texted, channel="whatsapp", canned_reply=template.pk, body="משהו אחר"
    )
    assert sent.status_code == 201, sent.content
    assert sent.json()["template"] == "ticket_follow_up"
    deliver_messages()
    [message] = FakeGateway.sent
    assert (message.channel, message.template) == ("whatsapp", "ticket_follow_up")
    assert message.body == f"שלום נועה, פנייה {texted.number} עדיין פתוחה."


def test_whatsapp_inside_its_window_takes_free_text(users, api_for, texted):
    text_receive(InboundText("whatsapp", NUMBER, "עדיין תקועה", "w-2"))
    sent = _reply(api_for, users["support_agent"], texted, channel="whatsapp", body="בודקים")
    assert sent.status_code == 201, sent.content
    assert (sent.json()["template"], sent.json()["parts"]) == ("", None)


@pytest.mark.parametrize(
    ("payload", "field", "english"),
    [
        ({"channel": "whatsapp", "body": "שלום"}, "channel", "did not write to this ticket"),
        ({"channel": "fax", "body": "שלום"}, "channel", "is not a valid choice"),
        ({"channel": "sms", "body": "ש" * 700}, "body", "Too long for an SMS reply: 11 parts"),
        ({"channel": "sms", "body": "\x01 \x02 "}, "body", "Write the reply."),
        ({"channel": "sms", "canned_reply": 999999}, "canned_reply", "active canned replies"),
        ({"channel": "sms", "body": "x", "idempotency_key": ""}, "idempotency_key", "blank"),
    ],
)
def test_bad_replies_are_refused_with_a_translated_reason_and_nothing_written(
    users, api_for, texted, payload, field, english
):
    agent = users["support_agent"]
    answer = _reply(api_for, agent, texted, language="en", **payload)
    assert answer.status_code == 400, answer.content
    assert english in " ".join(answer.json()[field])
    hebrew = _reply(api_for, agent, texted, **payload).json()[field][0]
    assert hebrew != answer.json()[field][0]  # translated
    assert _nothing_written()


def test_a_ticket_no_one_texted_has_no_text_reply(users, api_for):
    ticket = make_ticket(users["support_agent"])
    answer = _reply(api_for, users["support_agent"], ticket, channel="sms", body="שלום")
    assert answer.status_code == 400
    assert _nothing_written()


def test_hostile_text_goes_as_plain_text(users, api_for, texted, client_for):
    body = "<script>alert(1)</script>\u202e שלום"
    sent = _reply(api_for, users["support_agent"], texted, channel="sms", body=body)
    assert sent.status_code == 201
    page = client_for(users["support_agent"]).get(f"/r/tickets/{texted.pk}/").content.decode()
    assert "<script>alert(1)" not in page


def test_nothing_leaves_the_practice_environment(users, api_for, texted, settings):
    settings.KESHER_PRACTICE = True
    sent = _reply(api_for, users["support_agent"], texted, channel="sms", body="שלום")
    assert sent.status_code == 201
    assert sent.json()["delivery"] == "suppressed"
    deliver_messages()
    assert FakeGateway.sent == []


def test_an_agent_answers_only_tickets_he_sees(users, api_for, texted):
    # Sales reps see the tickets of their own accounts; this one is the admin's account's.
    rep = users["sales_rep"]
    answer = _reply(api_for, rep, texted, channel="sms", body="שלום")
    assert answer.status_code in (403, 404)
    assert _nothing_written()


def test_the_reply_form_counts_an_sms_and_sends_from_the_card(users, client_for, texted):
    agent = users["support_agent"]
    client = client_for(agent)
    card = client.get(f"/r/tickets/{texted.pk}/").content.decode()
    assert 'id="ticket-text-reply"' in card
    form = client.get(f"/service/tickets/{texted.pk}/text-reply/").content.decode()
    assert 'id="sms-counter"' in form
    assert 'data-sms-counter="sms-counter"' in form
    posted = client.post(
        f"/service/tickets/{texted.pk}/text-reply/",
        {"channel": "sms", "body": "ש" * 71, "key": "page-1"},
    )
    assert posted.status_code == 302
    assert sms_parts("ש" * 71).parts == 2
    assert TicketText.objects.get(direction="out").outgoing.body_text == "ש" * 71
    too_long = client.post(
        f"/service/tickets/{texted.pk}/text-reply/",
        {"channel": "sms", "body": "ש" * 700, "key": "page-2"},
    )
    assert too_long.status_code == 200
    assert "11" in too_long.content.decode()
    assert TicketText.objects.filter(direction="out").count() == 1


def test_sms_parts_count_as_the_networks_do():
    assert (sms_parts("a" * 160).parts, sms_parts("a" * 161).parts) == (1, 2)
    assert (sms_parts("ש" * 70).parts, sms_parts("ש" * 71).parts) == (1, 2)
    assert sms_parts("{" * 80).length == 160  # the extension table counts two
    assert sms_parts("").parts == 0
    assert sms_parts("a" * 306).parts == 2
    assert sms_parts("a" * 307).parts == 3


def test_the_cards_texts_cost_the_same_for_one_text_or_many(users, client_for, texted):
    """The card's reply button and its list of texts read the thread once, with each reply's
    delivery joined: no query a text."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["support_agent"])
    client.get(f"/r/tickets/{texted.pk}/")
    with CaptureQueriesContext(connection) as one:
        client.get(f"/r/tickets/{texted.pk}/")
    for n in range(2, 7):
        text_receive(InboundText("sms", NUMBER, f"עוד הודעה {n}", f"in-{n}"))
        ticket_text_reply(
            texted,
            actor=users["support_agent"],
            channel="sms",
            body=f"תשובה {n}",
            idempotency_key=f"many-{n}",
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/r/tickets/{texted.pk}/").content.decode()
    assert page.count('data-text-direction="out"') == 5
    assert len(many.captured_queries) == len(one.captured_queries)
