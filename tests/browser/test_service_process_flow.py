"""Seed 000's service process in a real browser, in Hebrew (issue 18 "Tests that must pass";
item 7): the administrator installs the process template in one click; a customer opens a
request in the portal, which gives support a task; a support agent classifies it and answers
by e-mail (the message, the ticket's number in its subject, leaves through the outgoing-mail
worker); the customer's e-mail answer threads into the same ticket and moves it on from
"waiting for the customer"; a developer and a QA tester move it through development and QA,
each hand-over giving the next one a task, and closing it e-mails the customer; the SLA clocks
show all along; the customer rates the closed request in the portal and the agent sees it.

REQ SV-1 … SV-4, SV-7, SV-9 … SV-11, AU-2, IN-1, OR-2.
"""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from playwright.sync_api import expect
from rest_framework.test import APIClient

from conftest import make_user
from kesher.activities.models import Task
from kesher.automation.models import InstalledProcess
from kesher.customers.tests.factories import make_account, make_contact
from kesher.integrations.delivery import deliver_messages
from kesher.portal.models import TicketRating
from kesher.portal.services import portal_invite
from kesher.service.models import Mailbox, Ticket, TicketEmail
from tests.browser.conftest import htmx_settled

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PORTAL_PASSWORD = "Portal-pass-2026!"  # the customer's password in this test
SUPPORT = "support@kesher-demo.example"


def _customer(users):
    rep = users["sales_rep"]
    account = make_account(rep, name="ביל-טק מערכות חיוב בע״מ")
    contact = make_contact(
        rep,
        first_name="גיא",
        last_name="לוי",
        email="guy@billtech.example",
        account_links=[{"account": account}],
    )
    portal_user = portal_invite(contact, actor=rep)
    portal_user.set_password(PORTAL_PASSWORD)
    portal_user.save(update_fields=["password"])
    return contact


def _signed_in(open_page, live_server, user):
    """A page of ``user``'s, signed in by a session made on the server's side (signing in
    through the form is the main flow's test; here, four people would spend most of the
    test's time hashing passwords)."""
    client = Client()
    client.force_login(user)
    page = open_page()
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )
    return page


def _tasks(ticket) -> list[tuple[str, str]]:
    rows = Task.objects.filter(link_type="tickets", link_id=ticket.pk).order_by("pk")
    return [(task.title, task.assignee.username) for task in rows]


def _move(page, ticket, status, **fields):
    """The ticket's edit page: its status (and any other field), saved."""
    page.goto(f"/r/tickets/{ticket.pk}/edit/")
    for name, label in fields.items():
        page.locator(f"[name={name}]").select_option(label=label)
        htmx_settled(page)
    page.locator("[name=status]").select_option(label=status)
    page.locator("form [type=submit]").last.click()
    page.wait_for_url(f"**/r/tickets/{ticket.pk}/")
    htmx_settled(page)  # the page's timeline, loaded after it shows


def _do_my_task(page, title):
    """One's task, on one's tasks page: there, and marked done in one click."""
    page.goto("/activities/tasks/")
    row = page.locator("#task-table [data-task-row]", has_text=title)
    row.locator(".task-complete").click()
    expect(row.locator(".task-closed-badge")).to_be_visible()


def _clock(page, kind):
    return page.locator(f"#sla-clocks [data-clock={kind}]")


def _customer_answers_by_email(users, contact, sent):
    """The customer's mail program answers the agent's e-mail: In-Reply-To its Message-ID,
    the subject "Re:" it; the provider forwards the raw message to the receive endpoint."""
    answer = EmailMessage()
    answer["From"] = f"גיא לוי <{contact.email}>"
    answer["To"] = SUPPORT
    answer["Subject"] = sent.subject  # already "Re: …", the number in it
    answer["Message-ID"] = "<answer-1@billtech.example>"
    answer["In-Reply-To"] = sent.extra_headers["Message-ID"]
    answer["References"] = sent.extra_headers["Message-ID"]
    answer.set_content("בדקנו: הקובץ נוצר, אבל החשבוניות בו ריקות.\n\n> שלום גיא, ...")
    forwarder = APIClient()
    forwarder.force_authenticate(users["admin"])
    response = forwarder.post(
        "/api/v1/service/inbound-email/", answer.as_bytes(), content_type="message/rfc822"
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_seed_000_a_request_goes_from_the_portal_through_support_development_and_qa(
    users, open_page, live_server, screenshot, settings
):
    # The worker runs what a request queues, as soon as it commits (one process here).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    agent = users["support_agent"]
    Mailbox.objects.create(address=SUPPORT, name="תמיכה")
    contact = _customer(users)

    # The administrator installs the service process in one click.
    admin = _signed_in(open_page, live_server, users["admin"])
    admin.goto("/automation/processes/")
    admin.locator("#install-service-request").click()
    expect(admin.locator(".alert-success")).to_be_visible()
    expect(admin.locator("[data-process=service-request] .badge")).to_have_text("מותקן")
    assert InstalledProcess.objects.filter(key="service-request").exists()
    # Its roles exist now: the organization's developer and QA tester get them.
    developer = make_user("dev1", "developer", first_name="דני")
    tester = make_user("qa1", "qa", first_name="קרן")

    # The customer opens a request in the portal, in Hebrew.
    portal = open_page()
    portal.goto("/portal/sign-in/")
    expect(portal.locator("html")).to_have_attribute("dir", "rtl")
    portal.get_by_label("דוא״ל").fill(contact.email)
    portal.get_by_label("סיסמה").fill(PORTAL_PASSWORD)
    portal.locator("#portal-sign-in").click()
    expect(portal).to_have_url(re.compile(r"/portal/$"))
    portal.locator("#portal-new-ticket").click()
    htmx_settled(portal)
    portal.locator("#id_ticket_type").select_option(label="תמיכה טכנית")
    htmx_settled(portal)
    portal.locator("#id_subject").fill("קובץ החיוב החודשי יוצא ריק")
    portal.locator("#id_description").fill("מאז העדכון, קובץ החיוב של החודש יוצא בלי חשבוניות.")
    portal.locator("#portal-ticket-submit").click()
    expect(portal).to_have_url(re.compile(r"/portal/tickets/\d+/$"))
    ticket = Ticket.objects.get(subject="קובץ החיוב החודשי יוצא ריק")
    assert (ticket.status.value, ticket.channel.value) == ("new", "portal")
    # The template's first trigger: support's task to classify and answer first.
    assert _tasks(ticket) == [
        (f"לסווג ולתת מענה ראשון: {ticket.number} קובץ החיוב החודשי יוצא ריק", agent.username)
    ]

    # The support agent finds the task, classifies the request and answers by e-mail.
    desk = _signed_in(open_page, live_server, agent)
    desk.goto(f"/r/tickets/{ticket.pk}/")
    expect(desk.locator("h1")).to_contain_text(ticket.number)
    expect(_clock(desk, "first_response")).to_have_attribute("data-state", "running")
    expect(_clock(desk, "resolution")).to_have_attribute("data-state", "running")
    _move(desk, ticket, "סווגה", subtype="תיקון מערכת")
    ticket.refresh_from_db()
    assert (ticket.status.value, ticket.subtype.value) == ("classified", "system_repair")
    desk.locator("#ticket-reply").click()
    form = desk.locator("#reply-form")
    expect(form).to_contain_text(contact.email)
    form.locator("textarea").fill("שלום גיא, האם הקובץ נוצר בכלל, או שהוא לא נוצר?")
    with desk.expect_navigation():
        form.locator("#reply-send").click()
    htmx_settled(desk)
    expect(_clock(desk, "first_response")).to_have_attribute("data-state", "met")
    deliver_messages()
    (sent,) = [m for m in mail.outbox if m.to == [contact.email] and ticket.number in m.subject]
    assert sent.from_email.endswith(f"<{SUPPORT}>")
    assert "האם הקובץ נוצר" in sent.body
    _do_my_task(desk, f"לסווג ולתת מענה ראשון: {ticket.number}")
    _move(desk, ticket, "ממתינה ללקוח")
    expect(_clock(desk, "resolution")).to_have_attribute("data-state", "paused")

    # The customer answers by e-mail: into the same ticket, which moves on.
    received = _customer_answers_by_email(users, contact, sent)
    assert (received["outcome"], received["duplicate"]) == ("threaded", False)
    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status.value == "in_progress"
    assert TicketEmail.objects.filter(ticket=ticket, direction="in").count() == 1
    desk.goto(f"/r/tickets/{ticket.pk}/")
    htmx_settled(desk)
    expect(_clock(desk, "resolution")).to_have_attribute("data-state", "running")
    expect(_clock(desk, "next_response")).to_have_attribute("data-state", "running")
    screenshot(desk, "seed000-customer-answered-he")
    # The agent reads the customer's words: the latest e-mail on the ticket.
    with desk.expect_navigation():
        desk.locator("#recent-interactions a").first.click()
    expect(desk.locator("body")).to_contain_text("החשבוניות בו ריקות")

    # The code must change: to development; the developer gets his task.
    _move(desk, ticket, "בפיתוח")
    assert _tasks(ticket)[-1] == (
        f"לתקן את התקלה: {ticket.number} קובץ החיוב החודשי יוצא ריק",
        developer.username,
    )
    dev = _signed_in(open_page, live_server, developer)
    _do_my_task(dev, f"לתקן את התקלה: {ticket.number}")
    _move(dev, ticket, "בבדיקת איכות")
    assert _tasks(ticket)[-1] == (
        f"לבדוק את התיקון: {ticket.number} קובץ החיוב החודשי יוצא ריק",
        tester.username,
    )

    # QA verifies the fix and closes the request; the clocks say what was met.
    qa = _signed_in(open_page, live_server, tester)
    _do_my_task(qa, f"לבדוק את התיקון: {ticket.number}")
    _move(qa, ticket, "סגורה")
    expect(_clock(qa, "resolution")).to_have_attribute("data-state", "met")
    expect(qa.locator("#sla-clocks")).to_contain_text("מענה ראשון")
    screenshot(qa, "seed000-closed-by-qa-he")
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None
    assert len(_tasks(ticket)) == 3
    assert not Task.objects.filter(link_type="tickets", link_id=ticket.pk, is_open=True).exists()
    # The last trigger: the customer is told by e-mail.
    deliver_messages()
    (told,) = [m for m in mail.outbox if m.subject.startswith(f"הפנייה {ticket.number} נסגרה")]
    assert told.to == [contact.email]
    assert "שלום גיא" in told.body

    # The customer sees it closed, with the conversation, and rates it.
    portal.goto(f"/portal/tickets/{ticket.pk}/")
    expect(portal.locator("#portal-thread")).to_contain_text("האם הקובץ נוצר")
    expect(portal.locator("#portal-thread")).to_contain_text("החשבוניות בו ריקות")
    expect(portal.locator("#rate")).to_be_visible()
    portal.get_by_label("5", exact=True).check()
    portal.get_by_label("הערה (לא חובה)").fill("טיפול יסודי, תודה!")
    portal.locator("#portal-rate").click()
    expect(portal.locator("#portal-rating")).to_contain_text("5")
    screenshot(portal, "seed000-customer-rated-he")
    assert TicketRating.objects.get(ticket=ticket).score == 5

    # The agent sees the rating on the ticket.
    desk.goto(f"/r/tickets/{ticket.pk}/")
    expect(desk.locator("#ticket-csat")).to_contain_text("5/5")
