"""Service in the customer 360° view (REQ CU-7; issue 18 item 8): open tickets of those
received, the average handling time and who handled the customer — only tickets the reader
may see, in two queries."""

from __future__ import annotations

import datetime

import pytest

from kesher.activities.overview import figures_for
from kesher.customers.tests.factories import make_account, make_contact
from kesher.platform.access import can
from kesher.service.models import Ticket
from kesher.service.overview import duration_text, service_figures
from kesher.service.services import ticket_update
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db


def test_the_360_view_shows_open_tickets_handling_time_and_handlers(
    users, client_for, api_for, django_assert_max_num_queries
):
    agent, admin = users["support_agent"], users["admin"]
    account = make_account(admin, name="אלפא שירותים")
    contact = make_contact(
        admin, first_name="רותי", last_name="לוי", account_links=[{"account": account}]
    )
    solved = make_ticket(agent, subject="מדפסת", account=account, contact=contact, handler=agent)
    solved = ticket_update(
        solved,
        actor=agent,
        data={"status": choice("ticket_status", "resolved"), "resolution": "הוחלף טונר"},
    )
    Ticket.objects.filter(pk=solved.pk).update(
        created_at=solved.resolved_at - datetime.timedelta(hours=5)
    )
    make_ticket(agent, subject="רשת", account=account, handler=admin)
    make_ticket(agent, subject="עוד", account=account, handler=agent)
    make_ticket(agent, subject="של אחר", account=make_account(admin, name="בטא"))

    can(agent, "tickets", "view")  # the role's grants, read once per request
    with django_assert_max_num_queries(3):
        figures = service_figures(account, agent)
    assert (figures["open"], figures["total"]) == (2, 3)
    assert figures["handling"] == datetime.timedelta(hours=5)
    assert [n for _name, n in figures["handlers"]] == [2, 1]

    shown = {f["key"]: f for f in figures_for(account, agent)}
    assert shown["open_tickets"]["value"] == "2 פתוחות מתוך 3"
    assert shown["open_tickets"]["url"].endswith(f"?account={account.pk}")
    assert shown["handling_time"]["value"] == "5 שעות"
    assert "(2)" in shown["handled_by"]["value"]
    by_contact = {f["key"]: f["value"] for f in figures_for(contact, agent)}
    assert by_contact["open_tickets"] == "0 פתוחות מתוך 1"

    page = client_for(agent).get(f"/r/accounts/{account.pk}/").content.decode()
    assert 'data-figure="handled_by"' in page
    english = api_for(agent, "en").get(f"/api/v1/overview/accounts/{account.pk}/").json()
    values = {f["key"]: f["value"] for f in english["figures"]}
    assert values["open_tickets"] == "2 open of 3"
    assert values["handling_time"] == "5 hours"


def test_only_tickets_the_reader_may_see_count(users):
    account = make_account(users["admin"], name="גמא")
    make_ticket(users["support_agent"], account=account, handler=users["support_agent"])
    shown = {f["key"]: f["value"] for f in figures_for(account, users["sales_rep"])}
    assert shown["open_tickets"] == "0 פתוחות מתוך 0"
    assert shown["handled_by"] == "עוד אף אחד"


def test_handling_time_reads_in_minutes_hours_or_days():
    assert duration_text(datetime.timedelta(minutes=20)) in {"20 minutes", "20 דקות"}
    assert duration_text(datetime.timedelta(hours=3, minutes=30)) in {"3.5 hours", "3.5 שעות"}
    assert duration_text(datetime.timedelta(days=3, hours=12)) in {"3.5 days", "3.5 ימים"}
