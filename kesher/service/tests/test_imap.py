"""Polling a real IMAP server (REQ IN-1; issue 18 item 4; decision 0072): pymap, started once per
module on 127.0.0.1 over TLS with a certificate from a private authority made for the run. The
poll turns a support mailbox's unseen mail into tickets and replies once each and marks it seen;
a message from a malformed sender is set aside and reported; a broken message stays unseen for a
person without stopping the others; a wrong password, a certificate Kesher does not trust, and
the practice environment write nothing."""

from __future__ import annotations

import logging

import pytest

pytest.importorskip("pymap", reason="pymap (the dev extras' IMAP server) is not installed")

from email.message import EmailMessage
from email.utils import format_datetime

from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.activities.models import Interaction
from kesher.service.mail import ImapSource, mailbox_poll, poll_mailboxes
from kesher.service.models import Mailbox, Team, Ticket, TicketEmail
from kesher.service.tests.imap_server import ImapServer, make_certificates
from kesher.service.tests.pop3_server import Pop3Server

pytestmark = pytest.mark.django_db

SUPPORT = "support@kesher-demo.co.il"
PASSWORD_ENV = "KESHER_TEST_IMAP_PASSWORD"
PASSWORD = "imap-test-password"  # the test server's only user


def raw_mail(
    message_id,
    *,
    subject="המדפסת לא מדפיסה",
    sender="דנה לוי <dana@customer.co.il>",
    in_reply_to=None,
    headers=None,
    body="שלום, המדפסת במשרד לא מגיבה מאז אתמול.",
):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()


NEW = raw_mail("<new@customer.co.il>")
REPLY = raw_mail(
    "<reply@customer.co.il>",
    subject="Re: המדפסת לא מדפיסה",
    in_reply_to="<new@customer.co.il>",
    body="ניסיתי להפעיל מחדש, לא עזר.",
)
AUTO_REPLY = raw_mail(
    "<ooo@customer.co.il>",
    subject="Out of office",
    headers={"Auto-Submitted": "auto-replied"},
    body="אני מחוץ למשרד עד יום ראשון.",
)
# The same message delivered twice (a forwarding rule, a list): the same Message-ID.
DUPLICATE = raw_mail("<new@customer.co.il>")
# A sender address no contact can carry: set aside, not fetched again, told on the mailbox.
BAD_SENDER = raw_mail("<bad@customer.co.il>", sender="שבור <dana@>", subject="כתובת שבורה")
# A message whose receiving fails (the file store refuses its attachment): it waits for a person.
BROKEN = raw_mail("<broken@customer.co.il>", subject="קובץ")


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("imap-tls"))


@pytest.fixture(scope="module")
def imap_server(certificates):
    server = ImapServer(certificates, user=SUPPORT, password=PASSWORD).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(users, imap_server, certificates, settings, monkeypatch):
    """A support mailbox on the test server, whose authority the deployment trusts
    (``KESHER_IMAP_CA_FILE``), its password in the environment as in production."""
    settings.KESHER_IMAP_CA_FILE = str(certificates.ca_file)
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    team = Team.objects.create(name_he="תמיכה", assignment=Team.Assignment.ROUND_ROBIN)
    team.members.add(users["support_agent"])
    return Mailbox.objects.create(
        address=SUPPORT,
        name="תמיכה",
        team=team,
        imap_host=imap_server.host,
        imap_port=imap_server.port,
        imap_user=SUPPORT,
        imap_password_env=PASSWORD_ENV,
    )


def nothing_written():
    return not (
        Ticket.objects.exists()
        or TicketEmail.objects.exists()
        or Interaction.objects.filter(link_type="tickets").exists()
    )


def test_a_poll_receives_the_inbox_once_and_marks_it_seen(mailbox, imap_server):
    """A new request opens a ticket, the reply threads into it by In-Reply-To, the auto-reply
    is recorded and ignored, the second copy counts once; all four are marked seen, so the
    next poll fetches nothing and writes nothing."""
    imap_server.fill([NEW, REPLY, AUTO_REPLY, DUPLICATE])
    results = mailbox_poll(mailbox, ImapSource(mailbox))
    assert [(r.outcome, r.duplicate) for r in results] == [
        ("opened", False),
        ("threaded", False),
        ("auto_reply", False),
        ("opened", True),
    ]
    ticket = Ticket.objects.get()
    assert results[0].ticket == results[1].ticket == results[3].ticket == ticket
    assert ticket.team == mailbox.team
    assert ticket.channel.value == "email"
    bodies = Interaction.objects.filter(link_type="tickets", link_id=ticket.pk)
    assert sorted(bodies.values_list("direction", flat=True)) == ["in", "in"]
    assert "לא עזר" in "".join(bodies.values_list("body", flat=True))
    assert TicketEmail.objects.filter(mailbox=mailbox).count() == 3
    assert imap_server.unseen() == []

    assert mailbox_poll(mailbox, ImapSource(mailbox)) == []
    assert Ticket.objects.count() == 1
    assert TicketEmail.objects.count() == 3


def test_the_worker_tick_polls_each_mailbox_with_a_server(mailbox, imap_server):
    """``poll_mailboxes`` polls the mailbox on the server and skips one that only receives
    forwarded mail (no IMAP server)."""
    Mailbox.objects.create(address="forwarded@kesher-demo.co.il", name="הפניה")
    imap_server.fill([NEW, REPLY])
    assert poll_mailboxes() == 2
    assert Ticket.objects.count() == 1
    assert imap_server.unseen() == []
    assert poll_mailboxes() == 0
    assert TicketEmail.objects.count() == 2


def test_a_malformed_sender_is_set_aside_seen_and_reported(mailbox, imap_server):
    imap_server.fill([BAD_SENDER, NEW])
    results = mailbox_poll(mailbox, ImapSource(mailbox))
    assert [r.outcome for r in results] == ["bad_sender", "opened"]
    assert imap_server.unseen() == []
    assert Ticket.objects.count() == 1
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.BAD_SENDER
    assert "<bad@customer.co.il>" in mailbox.problem_detail
    assert mailbox_poll(mailbox, ImapSource(mailbox)) == []


def test_a_broken_message_stays_unseen_and_the_others_are_received(
    mailbox, imap_server, caplog, monkeypatch
):
    from kesher.service import mail

    def refused(ticket, message):
        if ticket.subject == "קובץ":
            raise ValidationError({"file": ["The file store refused it."]})
        return []

    monkeypatch.setattr(mail, "_keep_attachments", refused)
    imap_server.fill([NEW, BROKEN, AUTO_REPLY])
    with caplog.at_level(logging.ERROR, logger="kesher.service"):
        results = mailbox_poll(mailbox, ImapSource(mailbox))
    assert [r.outcome for r in results] == ["opened", "auto_reply"]
    assert imap_server.unseen() == [b"<broken@customer.co.il>"]
    (failure,) = [r for r in caplog.records if "not received" in r.getMessage()]
    assert isinstance(failure.exc_info[1], ValidationError)
    assert not TicketEmail.objects.filter(message_id="<broken@customer.co.il>").exists()
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.MESSAGE_FAILED
    # The next poll tries it again (a person may fix the cause or move the message meanwhile).
    assert mailbox_poll(mailbox, ImapSource(mailbox)) == []
    assert imap_server.unseen() == [b"<broken@customer.co.il>"]
    assert Ticket.objects.count() == 1


def test_a_wrong_password_is_a_warning_and_writes_nothing(
    mailbox, imap_server, monkeypatch, caplog
):
    imap_server.fill([NEW, REPLY])
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password")
    with caplog.at_level(logging.WARNING, logger="kesher.service"):
        assert poll_mailboxes() == 0
    assert [r.levelname for r in caplog.records if "polling failed" in r.getMessage()] == [
        "WARNING"
    ]
    assert nothing_written()
    assert len(imap_server.unseen()) == 2


@pytest.mark.parametrize("trusted", ["system authorities only", "another private authority"])
def test_a_certificate_kesher_does_not_trust_is_refused(
    mailbox, imap_server, settings, tmp_path, caplog, trusted
):
    """The server's certificate is verified (imaplib on its own would accept any): without its
    authority in ``KESHER_IMAP_CA_FILE`` the poll connects to nothing and writes nothing."""
    settings.KESHER_IMAP_CA_FILE = (
        "" if trusted == "system authorities only" else str(make_certificates(tmp_path).ca_file)
    )
    imap_server.fill([NEW])
    with caplog.at_level(logging.WARNING, logger="kesher.service"):
        assert poll_mailboxes() == 0
    failures = [r for r in caplog.records if "polling failed" in r.getMessage()]
    assert len(failures) == 1
    assert "CERTIFICATE_VERIFY_FAILED" in str(failures[0].exc_info[1])
    assert nothing_written()
    assert imap_server.unseen() == [b"<new@customer.co.il>"]


def test_a_certificate_for_another_host_name_is_refused(mailbox, settings, tmp_path, caplog):
    """The name is checked too: a certificate the trusted authority signed for another mail
    server does not vouch for this one."""
    elsewhere = make_certificates(tmp_path, hosts=("mail.other-company.co.il",))
    settings.KESHER_IMAP_CA_FILE = str(elsewhere.ca_file)
    server = ImapServer(elsewhere, user=SUPPORT, password=PASSWORD).start()
    try:
        server.fill([NEW])  # the tests' own client checks the authority, not the name
        mailbox.imap_port = server.port
        mailbox.save()
        with caplog.at_level(logging.WARNING, logger="kesher.service"):
            assert poll_mailboxes() == 0
        (failure,) = [r for r in caplog.records if "polling failed" in r.getMessage()]
        assert "not valid for '127.0.0.1'" in str(failure.exc_info[1])
        assert nothing_written()
        assert server.unseen() == [b"<new@customer.co.il>"]
    finally:
        server.stop()


def test_the_practice_environment_polls_nothing(mailbox, imap_server, settings):
    settings.KESHER_PRACTICE = True
    imap_server.fill([NEW])
    assert poll_mailboxes() == 0
    assert mailbox_poll(mailbox, ImapSource(mailbox)) == []
    assert nothing_written()
    assert imap_server.unseen() == [b"<new@customer.co.il>"]


# --- STARTTLS and POP3 ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def starttls_server(certificates):
    server = ImapServer(certificates, user=SUPPORT, password=PASSWORD, starttls=True).start()
    yield server
    server.stop()


def test_an_imap_mailbox_by_starttls_is_polled_over_tls(mailbox, starttls_server):
    """Port 143's way: a plain connection turned TLS by STARTTLS (certificate verified) before
    signing in; the same messages come in once each."""
    mailbox.mail_security = Mailbox.Security.STARTTLS
    mailbox.imap_port = starttls_server.port
    mailbox.save()
    starttls_server.fill([NEW, REPLY])
    assert poll_mailboxes() == 2
    assert Ticket.objects.count() == 1
    assert TicketEmail.objects.filter(mailbox=mailbox).count() == 2
    assert starttls_server.unseen() == []


def test_starttls_checks_the_certificate_too(mailbox, starttls_server, settings, caplog):
    mailbox.mail_security = Mailbox.Security.STARTTLS
    mailbox.imap_port = starttls_server.port
    mailbox.save()
    settings.KESHER_IMAP_CA_FILE = ""
    starttls_server.fill([NEW])
    with caplog.at_level(logging.WARNING, logger="kesher.service"):
        assert poll_mailboxes() == 0
    assert nothing_written()
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.POLL_FAILED
    assert "CERTIFICATE_VERIFY_FAILED" in mailbox.problem_detail


@pytest.fixture
def pop3(certificates):
    started = []

    def start(**options):
        server = Pop3Server(certificates, user=SUPPORT, password=PASSWORD, **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.mark.parametrize("security", [Mailbox.Security.SSL, Mailbox.Security.STARTTLS])
def test_a_pop3_mailbox_is_received_once_and_emptied(mailbox, pop3, security):
    """POP3 over TLS (port 995) or STLS (port 110): each message received once, then deleted
    from the server (POP3 keeps no "seen"); a repeat counts once; the next poll finds none."""
    server = pop3(starttls=security == Mailbox.Security.STARTTLS)
    mailbox.mail_protocol = Mailbox.Protocol.POP3
    mailbox.mail_security = security
    mailbox.imap_port = server.port
    mailbox.save()
    server.fill([NEW, REPLY, AUTO_REPLY, DUPLICATE])
    assert poll_mailboxes() == 4
    ticket = Ticket.objects.get()
    assert TicketEmail.objects.filter(mailbox=mailbox).count() == 3
    assert Interaction.objects.filter(link_type="tickets", link_id=ticket.pk).count() == 2
    assert server.maildrop == []
    assert poll_mailboxes() == 0


def test_a_pop3_message_that_fails_stays_on_the_server(mailbox, pop3, monkeypatch):
    import kesher.service.mail as mail

    server = pop3()
    mailbox.mail_protocol = Mailbox.Protocol.POP3
    mailbox.imap_port = server.port
    mailbox.save()
    keep = mail._keep_attachments

    def failing(ticket, message):
        if "קובץ" in str(message["Subject"]):
            raise OSError("the file store is full")
        return keep(ticket, message)

    monkeypatch.setattr(mail, "_keep_attachments", failing)
    server.fill([BROKEN, NEW])
    assert poll_mailboxes() == 1
    assert server.maildrop == [BROKEN]
    assert not TicketEmail.objects.filter(message_id="<broken@customer.co.il>").exists()
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.MESSAGE_FAILED


def test_a_server_without_starttls_never_gets_the_password(mailbox, pop3):
    """STARTTLS asked and the server does not offer it: the poll fails before signing in — no
    falling back to a password sent readable."""
    server = pop3(starttls=True, offer_stls=False)
    mailbox.mail_protocol = Mailbox.Protocol.POP3
    mailbox.mail_security = Mailbox.Security.STARTTLS
    mailbox.imap_port = server.port
    mailbox.save()
    server.fill([NEW])
    assert poll_mailboxes() == 0
    assert server.logins == 0
    assert nothing_written()
    mailbox.refresh_from_db()
    assert mailbox.problem == Mailbox.Problem.POLL_FAILED
    assert "STLS" in mailbox.problem_detail
