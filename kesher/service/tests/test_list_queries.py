"""What the ticket list page reads (issue 18 "Performance", decision 0102): each kind of record
its filters and its filter builder offer is read once a page, by name only — the owner's and the
handler's users were read by each filter, product groups by the filter and again by the builder,
SLA policies and articles whole."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.tests.factories import make_account
from kesher.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _reading(captured, table: str) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if f'FROM "{table}"' in q["sql"]]


def test_the_ticket_list_reads_each_kind_of_option_once_by_name(users, client_for):
    admin = users["admin"]
    make_ticket(admin, subject="אין חשמל במשרד", account=make_account(admin, name="חשמל הצפון"))
    client = client_for(admin)
    client.get("/r/tickets/")  # the session's and the stamps' first reads
    with CaptureQueriesContext(connection) as captured:
        page = client.get("/r/tickets/").content.decode()
    assert "אין חשמל במשרד" in page
    # The users of the owner and handler filters and of the builder: one statement.
    users_read = [sql for sql in _reading(captured, "org_user") if "LIMIT 200" in sql]
    assert len(users_read) == 1, users_read
    assert '"password"' not in users_read[0]
    for table in ("catalogue_productgroup", "service_slapolicy", "service_article"):
        read = _reading(captured, table)
        assert len(read) == 1, (table, read)
        # Their names alone, not a policy's targets or an article's body.
        assert '"custom"' not in read[0], read[0]
    # Every pick-list at once, and the page's one statement of tickets.
    assert len(_reading(captured, "platform_choice")) == 1
    assert len(_reading(captured, "service_ticket")) == 1
    # Besides those: the session, the user, the stamps, the menu's badges, the team filter's
    # teams, the saved views and the access log's entry.
    assert len(captured.captured_queries) <= 17, [q["sql"][:80] for q in captured]
