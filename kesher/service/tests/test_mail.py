"""E-mail in and out of tickets with a fake mailbox, no network (REQ IN-1, SV-7, SV-9; issue 18
item 4; decision 0072): a new message opens a ticket, a reply threads by its headers or the
ticket number, an unknown sender becomes a contact or a lead, auto-replies and Kesher's own mail
never loop, every message counts once, replies go out threaded, logged, at most once, meet the
response clock, and nothing leaves the practice environment."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.core import mail as django_mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.activities.models import Interaction
from kesher.customers.models import Contact
from kesher.customers.tests.factories import make_account, make_contact
from kesher.integrations.delivery import deliver_messages
from kesher.integrations.models import OutgoingMessage
from kesher.platform.models import Attachment
from kesher.sales.models import Lead
from kesher.service.mail import MailIntake, email_receive, mailbox_poll
from kesher.service.models import Mailbox, SlaClock, Team, Ticket, TicketEmail
from kesher.service.services import ticket_reply, ticket_update
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db

SUPPORT = "support@kesher-demo.co.il"


def raw_mail(
    *,
    sender="דנה לוי <dana@customer.co.il>",
    to=SUPPORT,
    subject="המדפסת לא מדפיסה",
    body="שלום, המדפסת במשרד לא מגיבה מאז אתמול.",
    message_id=None,
    in_reply_to=None,
    headers=None,
    attachment=None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if attachment:
        name, data = attachment
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    return message.as_bytes()


class FakeMailbox:
    """What the IMAP source gives the poll: (uid, raw) pairs, and which were marked done."""

    def __init__(self, messages):
        self.queue = list(messages)
        self.done_uids: list[bytes] = []
        self.closed = False

    def messages(self):
        yield from self.queue

    def done(self, uid):
        self.done_uids.append(uid)

    def close(self):
        self.closed = True


@pytest.fixture
def mailbox(users):
    team = Team.objects.create(name_he="תמיכה", assignment=Team.Assignment.ROUND_ROBIN)
    team.members.add(users["support_agent"])
    return Mailbox.objects.create(address=SUPPORT, name="תמיכה", team=team)


def test_a_new_message_opens_a_ticket_for_the_known_contact(users, mailbox):
    """IN-1: the sender's contact and account on the ticket, the channel e-mail, the team's
    queue assigns it, the message an inbound e-mail interaction on the ticket."""
    account = make_account(users["admin"], name="דפוס הגליל")
    contact = make_contact(
        users["admin"],
        first_name="דנה",
        email="dana@customer.co.il",
        account_links=[{"account": account, "role": "", "is_primary": True}],
    )
    received = email_receive(raw_mail(message_id="<first@customer.co.il>"))
    ticket = received.ticket
    assert received.outcome == "opened"
    assert ticket.subject == "המדפסת לא מדפיסה"
    assert (ticket.contact, ticket.account) == (contact, account)
    assert ticket.channel.value == "email"
    assert ticket.team == mailbox.team
    assert ticket.handler == users["support_agent"]
    assert "לא מגיבה" in ticket.description
    interaction = Interaction.objects.get(link_type="tickets", link_id=ticket.pk)
    assert (interaction.direction, interaction.kind.value) == ("in", "email")
    assert list(interaction.participant_contacts.all()) == [contact]
    assert TicketEmail.objects.get(message_id="<first@customer.co.il>").ticket == ticket


def test_a_reply_threads_by_its_headers_or_the_number_in_its_subject(users, mailbox):
    """IN-1: In-Reply-To names a message of the thread; a reply whose headers were lost still
    threads by the quoted ticket number."""
    ticket = email_receive(raw_mail(message_id="<a@customer.co.il>")).ticket
    by_header = email_receive(
        raw_mail(
            subject="Re: שאלה", message_id="<b@customer.co.il>", in_reply_to="<a@customer.co.il>"
        )
    )
    by_number = email_receive(
        raw_mail(subject=f"עוד משהו על {ticket.number}", message_id="<c@customer.co.il>")
    )
    assert by_header.outcome == by_number.outcome == "threaded"
    assert by_header.ticket == by_number.ticket == ticket
    assert Ticket.objects.count() == 1
    assert Interaction.objects.filter(link_type="tickets", link_id=ticket.pk).count() == 3


@pytest.mark.parametrize(
    ("setting", "contacts", "leads"), [("contact", 1, 0), ("lead", 0, 1), ("nothing", 0, 0)]
)
def test_an_unknown_sender_becomes_what_the_mailbox_says(users, mailbox, setting, contacts, leads):
    mailbox.unknown_sender = setting
    mailbox.save()
    received = email_receive(raw_mail(sender="Yossi Cohen <yossi@new.co.il>"))
    assert Contact.objects.filter(email="yossi@new.co.il").count() == contacts
    assert Lead.objects.filter(email="yossi@new.co.il").count() == leads
    assert received.ticket.contact_id == (
        Contact.objects.get(email="yossi@new.co.il").pk if contacts else None
    )
    if contacts:
        assert Contact.objects.get(email="yossi@new.co.il").first_name == "Yossi"


def test_auto_replies_and_own_mail_are_recorded_and_ignored(users, mailbox):
    """An out-of-office answer to our reply must not open a ticket nor answer one, or two
    auto-responders loop; mail from our own address neither."""
    ticket = email_receive(raw_mail(message_id="<x@customer.co.il>")).ticket
    for headers in (
        {"Auto-Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X-Autoreply": "yes"},
    ):
        received = email_receive(
            raw_mail(subject=f"Out of office: {ticket.number}", headers=headers)
        )
        assert received.outcome == "auto_reply"
        assert received.ticket is None
    assert email_receive(raw_mail(sender=SUPPORT)).outcome == "loop"
    assert Ticket.objects.count() == 1
    assert Interaction.objects.filter(link_type="tickets").count() == 1
    assert TicketEmail.objects.filter(outcome__in=["auto_reply", "loop"]).count() == 4


def test_a_mail_bomb_is_received_once_each(users, mailbox, django_assert_max_num_queries):
    """1,000 fetches of 10 distinct messages (a second poll, a provider's retries): ten
    tickets, not a thousand; a repeat costs one query."""
    messages = [raw_mail(subject=f"בעיה {i}", message_id=f"<bomb{i}@x.co.il>") for i in range(10)]
    source = FakeMailbox((str(i).encode(), messages[i % 10]) for i in range(1000))
    results = mailbox_poll(mailbox, source)
    assert len(results) == 1000
    assert len(source.done_uids) == 1000
    assert source.closed
    assert sum(not r.duplicate for r in results) == 10
    assert Ticket.objects.count() == 10
    assert Interaction.objects.filter(link_type="tickets").count() == 10
    with django_assert_max_num_queries(1):
        assert email_receive(messages[0]).duplicate


def test_the_practice_environment_polls_nothing(users, mailbox, settings):
    settings.KESHER_PRACTICE = True
    source = FakeMailbox([(b"1", raw_mail())])
    assert mailbox_poll(mailbox, source) == []
    assert not Ticket.objects.exists()
    assert not source.done_uids


def test_attachments_are_kept_within_the_limit(users, mailbox, settings):
    settings.KESHER_MAX_ATTACHMENT_BYTES = 1000
    small = email_receive(raw_mail(attachment=("חשבונית.pdf", b"%PDF-1.4 small")))
    assert small.attachments == ["חשבונית.pdf"]
    assert Attachment.objects.get(object_id=small.ticket.pk).name == "חשבונית.pdf"
    large = email_receive(raw_mail(attachment=("big.pdf", b"x" * 2000)))
    assert large.attachments == ["✗ big.pdf"]
    assert not Attachment.objects.filter(object_id=large.ticket.pk).exists()


def test_a_customer_reply_reopens_a_ticket_waiting_for_him(users, mailbox):
    """The status marked "a customer's reply moves a waiting ticket here" (data) takes it;
    its clocks run again and a next-response clock starts (REQ SV-9)."""
    ticket = email_receive(raw_mail(message_id="<w@customer.co.il>")).ticket
    ticket_update(
        ticket,
        actor=users["support_agent"],
        data={"status": choice("ticket_status", "waiting_customer")},
    )
    received = email_receive(
        raw_mail(message_id="<w2@customer.co.il>", in_reply_to="<w@customer.co.il>")
    )
    ticket.refresh_from_db()
    assert received.ticket == ticket
    assert ticket.status.value == "in_progress"
    assert ticket.sla_clocks.filter(kind=SlaClock.Kind.NEXT_RESPONSE).exists()


def test_a_reply_goes_out_threaded_logged_once_and_meets_the_first_response(
    users, mailbox, settings, django_capture_on_commit_callbacks
):
    """IN-1, SV-9: from the support address, under the customer's message, the number in the
    subject; an outbound interaction on the ticket; a form sent twice sends once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_contact(users["admin"], first_name="דנה", email="dana@customer.co.il")
    ticket = email_receive(raw_mail(message_id="<q@customer.co.il>")).ticket
    agent = users["support_agent"]
    with django_capture_on_commit_callbacks(execute=True):
        sent = ticket_reply(ticket, actor=agent, body="שלום דנה,\nנבדק.", idempotency_key="k1")
    again = ticket_reply(ticket, actor=agent, body="שלום דנה,\nנבדק.", idempotency_key="k1")
    assert sent == again
    assert OutgoingMessage.objects.count() == 1
    assert Interaction.objects.filter(link_type="tickets", direction="out").count() == 1
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.sla_clocks.get(kind=SlaClock.Kind.FIRST_RESPONSE).met_at is not None
    assert deliver_messages() == 1
    email = django_mail.outbox[0]
    assert email.to == ["dana@customer.co.il"]
    assert ticket.number in email.subject
    assert SUPPORT in email.from_email
    assert email.extra_headers["In-Reply-To"] == "<q@customer.co.il>"
    assert email.extra_headers["Message-ID"] == sent.message_id
    # The customer's answer to our reply threads by our Message-ID.
    answer = email_receive(raw_mail(subject="Re: תודה", in_reply_to=sent.message_id))
    assert answer.ticket == ticket


def test_a_reply_is_suppressed_in_the_practice_environment(users, mailbox, settings):
    settings.KESHER_PRACTICE = True
    contact = make_contact(users["admin"], first_name="דנה", email="dana@customer.co.il")
    ticket = make_ticket(users["support_agent"], contact=contact)
    sent = ticket_reply(ticket, actor=users["support_agent"], body="x", idempotency_key="p")
    assert sent.outgoing.status == OutgoingMessage.Status.SUPPRESSED


def test_a_reply_needs_a_body_and_an_address(users, mailbox):
    ticket = make_ticket(users["support_agent"])
    with pytest.raises(ValidationError) as error:
        ticket_reply(ticket, actor=users["support_agent"], body=" ", idempotency_key="e")
    assert {"body", "to"} <= set(error.value.message_dict)
    assert not OutgoingMessage.objects.exists()
    assert not TicketEmail.objects.exists()


def test_a_poll_receives_each_message_in_a_bounded_number_of_queries(
    users, mailbox, django_assert_max_num_queries
):
    """The poll reads the mailboxes and the pick-lists once for all its messages; a message
    that opens a ticket writes it numbered, with its policy and due moment, in one INSERT
    (SQLite's count: PostgreSQL sends the audit and search rows together), and the nested
    services make no savepoints inside the message's transaction (``one_transaction``). It was
    53 and 29, then 32 and 18."""
    account = make_account(users["admin"], name="דפוס הגליל")
    make_contact(
        users["admin"],
        first_name="דנה",
        email="dana@customer.co.il",
        account_links=[{"account": account, "role": "", "is_primary": True}],
    )
    intake = MailIntake(mailbox)
    intake.receive(raw_mail(message_id="<p0@customer.co.il>"))
    intake.receive(raw_mail(message_id="<p1@customer.co.il>", in_reply_to="<p0@customer.co.il>"))
    with django_assert_max_num_queries(24):
        opened = intake.receive(raw_mail(message_id="<p2@customer.co.il>"))
    with django_assert_max_num_queries(14):
        threaded = intake.receive(
            raw_mail(message_id="<p3@customer.co.il>", in_reply_to="<p2@customer.co.il>")
        )
    ticket = Ticket.objects.get(pk=opened.ticket.pk)
    assert threaded.ticket == ticket
    assert ticket.number == f"T-{ticket.pk:06d}"
    assert ticket.sla_policy is not None
    due = SlaClock.objects.filter(ticket=ticket, running_since__isnull=False).order_by("due_at")
    assert ticket.sla_due_at == due.first().due_at
    assert Ticket.objects.filter(number__icontains=ticket.number.lower()).exists()


@pytest.mark.parametrize(
    "sender",
    ["not an address", "dana@@customer", "<>", None],
    ids=["words", "two-at", "empty", "none"],
)
def test_a_message_without_a_valid_sender_is_set_aside_and_reported(users, mailbox, sender):
    """It opens no ticket and makes no contact, is marked seen (not fetched again every poll),
    and the mailbox shows the problem to its administrator."""
    raw = raw_mail(sender=sender or "x", message_id="<nobody@x.co.il>")
    if sender is None:
        raw = b"\n".join(line for line in raw.split(b"\n") if not line.startswith(b"From:"))
    source = FakeMailbox([(b"7", raw)])
    [received] = mailbox_poll(mailbox, source)
    assert received.outcome == "bad_sender"
    assert source.done_uids == [b"7"]
    assert not Ticket.objects.exists()
    assert not Contact.objects.exists()
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.BAD_SENDER
    assert "<nobody@x.co.il>" in mailbox.problem_detail
    assert mailbox.problem_at is not None
    # A second poll that finds it again does nothing more.
    assert mailbox_poll(mailbox, FakeMailbox([(b"7", raw)]))[0].duplicate


def test_a_failed_poll_is_reported_on_the_mailbox(users, mailbox, monkeypatch):
    import imaplib

    from kesher.service import mail

    class Unreachable:
        def __init__(self, box):
            pass

        def messages(self):
            raise imaplib.IMAP4.error("LOGIN failed")

        def close(self):
            pass

    mailbox.imap_host = "imap.example.invalid"
    mailbox.save()
    monkeypatch.setattr(mail, "ImapSource", Unreachable)
    assert mail.poll_mailboxes() == 0
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.POLL_FAILED
    assert "LOGIN failed" in mailbox.problem_detail


@pytest.mark.parametrize(("language", "agent_language"), [("en", "he"), ("he", "en")])
def test_replies_go_in_the_customers_language_not_the_agents(
    users, mailbox, language, agent_language
):
    from kesher.portal.services import portal_invite

    dana = make_contact(users["admin"], first_name="דנה", email="dana@customer.co.il")
    portal_invite(dana, actor=users["admin"], language=language)
    agent = users["support_agent"]
    agent.language = agent_language
    agent.save()
    ticket = email_receive(raw_mail(message_id="<lang@customer.co.il>")).ticket
    sent = ticket_reply(ticket, actor=agent, body="שלום", idempotency_key="l1")
    assert sent.outgoing.language == language
    assert f'lang="{language}"' in sent.outgoing.body_html


def test_the_language_of_a_customer_without_portal_is_his_custom_field_else_hebrew(users, mailbox):
    from kesher.service.services import customer_language

    contact = make_contact(users["admin"], first_name="John", email="john@customer.co.il")
    ticket = make_ticket(users["support_agent"], contact=contact)
    assert customer_language(ticket) == "he"
    Contact.objects.filter(pk=contact.pk).update(custom={"language": "en"})
    ticket.refresh_from_db()
    assert customer_language(ticket) == "en"


def test_the_contacts_language_field_writes_his_e_mails(users, mailbox):
    """The contact's own ``language`` (set on his page or by the API) comes first; the portal
    language he picks becomes it; the custom field of data written before is the fallback."""
    from kesher.customers.services import contact_create
    from kesher.platform.records.services import record_update
    from kesher.portal.services import portal_invite, portal_set_language
    from kesher.service.services import customer_language

    john = contact_create(
        actor=users["admin"],
        data={"first_name": "John", "email": "john@customer.co.il", "language": "en"},
    )
    ticket = email_receive(
        raw_mail(sender="John <john@customer.co.il>", message_id="<field@customer.co.il>")
    ).ticket
    assert customer_language(ticket) == "en"
    sent = ticket_reply(ticket, actor=users["support_agent"], body="שלום", idempotency_key="f1")
    assert sent.outgoing.language == "en"
    with pytest.raises(ValidationError) as error:
        record_update(john, actor=users["admin"], data={"language": "fr"})
    assert "language" in error.value.message_dict
    portal_user = portal_invite(john, actor=users["admin"])
    assert portal_user.language == "en"  # the invitation in his language
    portal_set_language(portal_user, language="he")
    john.refresh_from_db()
    assert john.language == "he"
    ticket.refresh_from_db()
    assert customer_language(ticket) == "he"


def test_the_migration_copies_the_language_custom_field(users):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("kesher.customers.migrations.0012_contact_language")
    old = make_contact(users["admin"], first_name="Old", email="old@customer.co.il")
    odd = make_contact(users["admin"], first_name="Odd", email="odd@customer.co.il")
    Contact.objects.filter(pk=old.pk).update(custom={"language": "en"})
    Contact.objects.filter(pk=odd.pk).update(custom={"language": "klingon"})
    migration.copy_custom_language(apps, None)
    assert dict(Contact.objects.values_list("first_name", "language")) == {"Old": "en", "Odd": ""}


def test_the_closing_email_goes_in_his_language_and_in_his_conversation(
    users, mailbox, settings, django_capture_on_commit_callbacks
):
    """The automation's closing e-mail (process template "ticket between teams") answers the
    customer's last message — In-Reply-To and References — from the support address, in his
    language; his answer to it threads into the ticket. An agent's copy is not threaded."""
    from kesher.automation.services import rule_create
    from kesher.integrations.services import email_template_create
    from kesher.portal.services import portal_invite

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    admin = users["admin"]
    dana = make_contact(admin, first_name="Dana", email="dana@customer.co.il")
    portal_invite(dana, actor=admin, language="en")
    template = email_template_create(
        actor=admin,
        data={
            "name": "נסגרה",
            "entity": "tickets",
            "subject_he": "הפנייה {{ number }} נסגרה",
            "body_he": "<p>הפנייה נסגרה.</p>",
            "subject_en": "Ticket {{ number }} is closed",
            "body_en": "<p>Your ticket is closed.</p>",
        },
    )
    rule_create(
        actor=admin,
        data={
            "name": "closed",
            "entity": "tickets",
            "trigger_kind": "status_entered",
            "trigger_config": {"value": "closed"},
            "actions": [
                {"type": "send_email", "template": template.pk, "to_field": "contact.email"},
                {
                    "type": "send_email",
                    "template": template.pk,
                    "to_user": users["support_agent"].pk,
                },
            ],
        },
    )
    first = email_receive(raw_mail(message_id="<c1@customer.co.il>")).ticket
    email_receive(raw_mail(message_id="<c2@customer.co.il>", in_reply_to="<c1@customer.co.il>"))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(
            first, actor=users["support_agent"], data={"status": choice("ticket_status", "closed")}
        )
    closing = OutgoingMessage.objects.filter(source__startswith="automation")
    to_customer = closing.get(to="dana@customer.co.il")
    assert to_customer.language == "en"
    assert to_customer.subject == f"Ticket {first.number} is closed"
    assert to_customer.headers["In-Reply-To"] == "<c2@customer.co.il>"
    assert to_customer.headers["References"].split()[:2] == [
        "<c1@customer.co.il>",
        "<c2@customer.co.il>",
    ]
    assert SUPPORT in to_customer.headers["From"]
    internal = closing.get(to=users["support_agent"].email)
    assert "In-Reply-To" not in internal.headers
    answer = email_receive(
        raw_mail(subject="Re: thanks", in_reply_to=to_customer.headers["Message-ID"])
    )
    assert answer.ticket == first


@pytest.mark.parametrize(
    ("language", "words"),
    [("he", "הודעה ללא כתובת שולח תקינה הונחה בצד"), ("en", "without a valid sender address")],
)
def test_the_administrator_sees_the_mailboxs_last_problem(
    users, mailbox, client_for, api_for, language, words
):
    email_receive(raw_mail(sender="not an address", message_id="<np@x.co.il>"), mailbox=mailbox)
    admin = users["admin"]
    admin.language = language
    admin.save()
    client = client_for(admin)
    page = client.get(f"/r/service-mailboxes/{mailbox.pk}/")
    assert page.status_code == 200
    assert words in page.content.decode()
    listed = client.get("/r/service-mailboxes/")
    assert words in listed.content.decode()
    found = api_for(admin, language).get(f"/api/v1/service-mailboxes/{mailbox.pk}/")
    assert found.json()["problem"] == "bad_sender"
    assert "<np@x.co.il>" in found.json()["problem_detail"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "Still broken.\n\nOn Sun, 6 Dec 2026 at 10:00, Support <s@x.co.il> wrote:\n> Restart",
            "Still broken.",
        ),
        ("עדיין תקול.\n\nב-6 בדצמ׳ 2026 ב-10:00, תמיכה כתב:\n> הפעילו מחדש", "עדיין תקול."),
        ("OK thanks\n-----Original Message-----\nFrom: Support\nSent: today", "OK thanks"),
        ("Thanks\nFrom: Support <s@x.co.il>\nSent: Sunday", "Thanks"),
        ("> only a quote\n> nothing else", "> only a quote\n> nothing else"),
        ("line one\nline two", "line one\nline two"),
    ],
    ids=["gmail-en", "gmail-he", "outlook-rule", "outlook-headers", "all-quote", "no-quote"],
)
def test_a_reply_is_shown_without_what_his_mail_client_quoted(text, shown):
    from kesher.service.mail import without_quoted

    assert without_quoted(text) == shown


def test_a_message_that_fails_inside_is_received_whole_or_not_at_all(users, mailbox, monkeypatch):
    """Inside one message's transaction the nested services make no savepoints: a failure deep
    in one (here the interaction's last-contact update) undoes the whole message — no ticket,
    no row for its Message-ID — so the next poll receives it again; the poll, which catches
    the error, goes on with the next message; and the savepoints are back after it."""
    from django.db import connection

    import kesher.activities.services as activities

    touch = activities._touch_last_contact

    def failing(interaction, ids=None):
        if "boom" in interaction.subject:
            raise RuntimeError("the disk is full")
        return touch(interaction, ids)

    monkeypatch.setattr(activities, "_touch_last_contact", failing)
    source = FakeMailbox(
        [
            (b"1", raw_mail(subject="boom", message_id="<f1@customer.co.il>")),
            (b"2", raw_mail(subject="fine", message_id="<f2@customer.co.il>")),
        ]
    )
    results = mailbox_poll(mailbox, source)
    assert [r.outcome for r in results] == ["opened"]
    assert source.done_uids == [b"2"]
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["fine"]
    assert not TicketEmail.objects.filter(message_id="<f1@customer.co.il>").exists()
    assert not Interaction.objects.filter(subject="boom").exists()
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.MESSAGE_FAILED
    assert "savepoint" not in connection.__dict__
    monkeypatch.setattr(activities, "_touch_last_contact", touch)
    again = mailbox_poll(mailbox, FakeMailbox([(b"1", source.queue[0][1])]))
    assert [r.outcome for r in again] == ["opened"]
    assert Ticket.objects.filter(subject="boom").count() == 1


def test_savepoints_are_skipped_only_where_the_message_owns_the_transaction(users):
    """A caller that catches a service's error and goes on (a page re-showing its form) keeps
    its savepoint: the transaction stays usable. Inside ``one_transaction`` the failed block
    dooms the transaction instead (Django's ``atomic(savepoint=False)``), unless the catcher
    keeps its savepoints (``savepoints_kept``)."""
    from django.db import transaction
    from django.db.transaction import TransactionManagementError

    from kesher.service.mail import one_transaction, savepoints_kept
    from kesher.service.services import ticket_create

    with transaction.atomic():
        with pytest.raises(ValidationError):
            ticket_create(actor=users["admin"], data={})
        assert Ticket.objects.count() == 0
    with transaction.atomic(), one_transaction():
        with savepoints_kept(), pytest.raises(ValidationError):
            ticket_create(actor=users["admin"], data={})
        assert Ticket.objects.count() == 0
    with transaction.atomic(), one_transaction():
        with pytest.raises(ValidationError):
            ticket_create(actor=users["admin"], data={})
        with pytest.raises(TransactionManagementError):
            Ticket.objects.count()
        transaction.set_rollback(True)
    assert Ticket.objects.count() == 0
