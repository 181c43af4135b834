"""The ticket list's filters on a record of a large table (account, contact, project, product):
a search-as-you-type picker, never a <select> of the table's first records (REQ CU-4, the
users' rule on choosing records; the list's time, bench/service.py)."""

from __future__ import annotations

import re

import pytest

from kesher.customers.tests.factories import make_account
from kesher.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(users):
    admin = users["admin"]
    ours = make_account(admin, name="חשמל הצפון")
    theirs = make_account(admin, name="מים הדרום")
    return {
        "ours": ours,
        "theirs": theirs,
        "first": make_ticket(admin, subject="אין חשמל במשרד", account=ours),
        "second": make_ticket(admin, subject="נזילה במטבח", account=theirs),
    }


def test_the_account_filter_is_a_picker_and_filters_the_list(users, client_for, tickets):
    client = client_for(users["admin"])
    page = client.get("/r/tickets/").content.decode()
    # No account is listed as an option: the picker asks as the user types.
    assert "<option" not in page.split('id="f-account"')[1].split("</div>")[0]
    assert 'for="f-account-search"' in page
    assert 'hx-get="/pick/accounts/"' in page

    page = client.get("/r/tickets/", {"account": tickets["ours"].pk}).content.decode()
    assert "אין חשמל במשרד" in page
    assert "נזילה במטבח" not in page
    # The chosen account is shown by name in the picker's box.
    box = re.search(r'id="f-account-search"[^>]*value="([^"]*)"', page)
    assert box is not None
    assert box.group(1) == "חשמל הצפון"


def test_the_typed_text_of_a_picker_is_not_the_list_search(users, client_for, tickets):
    """The picker's own query input belongs to no form: the list's search box is the only q."""
    page = client_for(users["admin"]).get("/r/tickets/").content.decode()
    search = re.search(r'<input[^>]*id="f-account-search"[^>]*>', page, re.S)
    assert search is not None
    assert 'form="f-account-typed"' in search.group(0)
    assert 'id="f-account-typed"' not in page


def test_a_picker_names_only_an_account_the_reader_may_see(users, client_for, tickets):
    """A rep filtering by another rep's account gets no name of it, and no rows."""
    rep2 = users["sales_rep2"]
    own = make_account(rep2, name="גינון השרון", owner=rep2)
    make_ticket(rep2, subject="המשאבה לא עובדת", account=own)
    theirs = make_account(users["admin"], name="אפייה בע״מ", owner=users["sales_rep"])
    client = client_for(rep2)
    assert "המשאבה לא עובדת" in client.get("/r/tickets/").content.decode()

    page = client.get("/r/tickets/", {"account": theirs.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "אפייה בע״מ" not in html
    assert "המשאבה לא עובדת" not in html
