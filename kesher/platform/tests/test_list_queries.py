"""What reading a list costs (issue 18 "Performance", decision 0090): the rows read their page
alone, only the columns shown; the filters and the filter builder read every pick-list in one
query, and only when a page draws them; the API builds its filters once."""

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from kesher.customers.tests.factories import choice, make_account
from kesher.platform import stamps
from kesher.platform.lists.tables import Table
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


def _table(user, **params) -> Table:
    request = RequestFactory().get("/r/accounts/", params)
    request.user = user
    return Table(registry.get("accounts"), request)


@pytest.fixture
def accounts(users):
    active = choice("account_status", "active")
    for n in range(12):
        make_account(users["sales_rep"], name=f"Account {n:02}", status=active, notes="x" * 500)
    return active


def test_a_lists_rows_read_their_page_and_nothing_else(users, accounts):
    with stamps.remembered_for_request():  # one read of the stamps a request, as pages have
        table = _table(users["admin"], status=accounts.pk, sort="name")
        with CaptureQueriesContext(connection) as captured:
            html = table.row_html
        assert len(html) == 12
        # The page's one statement: no filter's options, no pick-list, no linked record.
        assert len(captured.captured_queries) == 1, [q["sql"] for q in captured]
        page = captured.captured_queries[0]["sql"]
        # Only the columns shown: not the notes, nor the joined owner's password.
        assert "notes" not in page
        assert "password" not in page
        assert '"name"' in page
        # The shown names, and the status's label, are in the rows without another query.
        assert "Account 00" in html[0]
        assert str(accounts) in html[0]


def test_a_first_cell_left_empty_shows_the_records_name_without_a_query(users, accounts):
    with stamps.remembered_for_request():
        table = _table(users["admin"], columns="email,name", sort="name")
        with CaptureQueriesContext(connection) as captured:
            html = table.row_html
        assert len(captured.captured_queries) == 1
        assert ">Account 00</a>" in html[0]  # the empty e-mail links by the account's name


def test_filters_and_the_builder_read_every_pick_list_in_one_query(users, accounts):
    with stamps.remembered_for_request():
        table = _table(users["admin"])
        with CaptureQueriesContext(connection) as captured:
            options = {f.name: f.options for f in table.filters}
            builder = table.builder()
    pick_lists = [q for q in captured.captured_queries if "platform_choice" in q["sql"]]
    assert len(pick_lists) == 1
    assert (str(accounts.pk), str(accounts)) in options["status"]
    status = next(f for f in builder["fields"] if f["field"] == "status")
    assert [accounts.value, accounts.label] in status["choices"]


def test_a_filters_options_are_drawn_with_the_value_selected_and_escaped(users, accounts):
    table = _table(users["admin"], status=accounts.pk)
    status = next(f for f in table.filters if f.name == "status")
    html = str(status.options_html)
    assert html.startswith('<option value="">—</option>')
    assert f'<option value="{accounts.pk}" selected>' in html
    kind = str(next(f for f in table.filters if f.name == "kind").options_html)
    assert "<option" in kind
    assert " selected" not in kind


def test_the_api_builds_an_entitys_filters_once(users, client_for, accounts):
    from kesher.platform.api import ordering

    client = client_for(users["admin"])
    assert client.get("/api/v1/accounts/", {"status": accounts.pk}).json()["count"] == 12
    built = dict(ordering._filtersets)
    assert client.get("/api/v1/accounts/", {"status": 0}).status_code == 400
    assert client.get("/api/v1/accounts/", {"status": accounts.pk}).json()["count"] == 12
    assert dict(ordering._filtersets) == built
