"""The pipeline board: a column per stage with its count and sum, cards coloured by their time
in the stage, moves by drag or by the card's menu, scoped to the reader, in a fixed number of
queries (REQ SA-2, SA-3, OR-3)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesher.customers.tests.factories import choice, make_account
from kesher.platform.models import Choice, SavedView
from kesher.sales.models import Opportunity, Pipeline
from kesher.sales.selectors import board
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = pytest.mark.django_db


def _pipeline():
    return Pipeline.objects.get(order=1)


def _columns(result):
    return {c.stage.key: c for c in result.columns}


def test_columns_count_and_sum_in_stage_order(users):
    rep = users["sales_rep"]
    make_opportunity(rep, stage=stage("proposal"), amount="1000.50")
    make_opportunity(rep, stage=stage("proposal"), amount="2000")
    make_opportunity(rep, stage=stage("won"), amount="500", currency="USD")
    result = board(rep, _pipeline())
    assert [c.stage.key for c in result.columns][:3] == ["potential", "proposal", "order"]
    columns = _columns(result)
    assert (columns["proposal"].count, columns["proposal"].total) == (2, "₪3,000.50")
    assert columns["potential"].count == 0
    assert columns["won"].cards[0].amount == "500.00 USD"


def test_a_rep_sees_only_his_deals_and_only_accounts_he_may_see(users):
    rep, other = users["sales_rep"], users["sales_rep2"]
    foreign = make_account(other, name="חשבון של אחר")
    make_opportunity(rep, name="שלי", stage=stage("proposal"), account=foreign, owner=rep)
    make_opportunity(other, name="של אחר", stage=stage("proposal"))
    column = _columns(board(rep, _pipeline()))["proposal"]
    assert [c.deal.name for c in column.cards] == ["שלי"]
    assert column.count == 1
    assert column.cards[0].account_name == ""  # the account is not his: its name is not shown
    manager_view = _columns(board(users["manager"], _pipeline()))["proposal"]
    assert [c.deal.name for c in manager_view.cards] == ["שלי"]  # rep2 is not in his department


def test_cards_are_coloured_by_time_in_stage(users):
    rep = users["sales_rep"]
    now = timezone.now()
    fresh = make_opportunity(rep, stage=stage("proposal"))
    late = make_opportunity(rep, stage=stage("proposal"))
    stuck = make_opportunity(rep, stage=stage("proposal"))
    Opportunity.objects.filter(pk=late.pk).update(
        stage_entered_at=now - datetime.timedelta(days=8),
        stuck_at=now + datetime.timedelta(days=1),
    )
    Opportunity.objects.filter(pk=stuck.pk).update(
        stage_entered_at=now - datetime.timedelta(days=10),
        stuck_at=now - datetime.timedelta(days=1),
    )
    states = {c.deal.pk: c.state for c in _columns(board(rep, _pipeline()))["proposal"].cards}
    assert states == {fresh.pk: "ok", late.pk: "warning", stuck.pk: "stuck"}
    only_stuck = _columns(board(rep, _pipeline(), stuck_only=True))["proposal"]
    assert [c.deal.pk for c in only_stuck.cards] == [stuck.pk]


def test_the_board_reads_the_same_number_of_queries_for_5_and_50_deals(users):
    rep = users["sales_rep"]
    account = make_account(rep, name="לקוח")

    def queries():
        with CaptureQueriesContext(connection) as captured:
            board(rep, _pipeline())
        return len(captured.captured_queries)

    for index in range(5):
        make_opportunity(rep, stage=stage(("potential", "proposal")[index % 2]), account=account)
    queries()  # per-process caches (field visibility) filled once
    few = queries()
    for index in range(45):
        make_opportunity(rep, stage=stage(("order", "won", "proposal")[index % 3]), account=account)
    assert queries() == few


def test_the_page_in_hebrew_and_english(users, client_for):
    rep = users["sales_rep"]
    make_opportunity(rep, name="עסקת ענן", stage=stage("proposal"), amount="1200")
    client = client_for(rep)
    page = client.get(f"/sales/board/{_pipeline().pk}/", HTTP_ACCEPT_LANGUAGE="he")
    html = page.content.decode()
    assert page.status_code == 200
    assert "עסקת ענן" in html
    assert "₪1,200.00" in html
    assert 'dir="rtl"' in html
    assert client.get("/sales/board/").status_code == 302
    assert (
        client_for(users["support_agent"]).get(f"/sales/board/{_pipeline().pk}/").status_code == 200
    )


def test_moving_from_the_board_redraws_it_and_refuses_a_missing_lost_reason(users, client_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, name="עסקה", stage=stage("proposal"))
    client = client_for(rep)
    url = f"/sales/board/move/{deal.pk}/"
    answer = client.post(url, {"stage": stage("order").pk, "version": 1}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    assert 'id="board"' in answer.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("order")
    refused = client.post(url, {"stage": stage("lost").pk, "version": 2}, HTTP_HX_REQUEST="true")
    html = refused.content.decode()
    assert 'id="board-error"' in html
    assert "סיבת הפסד" in html
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("order")
    stale = client.post(url, {"stage": stage("won").pk, "version": 1}, HTTP_HX_REQUEST="true")
    assert 'id="board-error"' in stale.content.decode()
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("order")


def test_another_reps_deal_cannot_be_moved(users, client_for):
    deal = make_opportunity(users["sales_rep"], stage=stage("proposal"))
    answer = client_for(users["sales_rep2"]).post(
        f"/sales/board/move/{deal.pk}/", {"stage": stage("order").pk}
    )
    assert answer.status_code == 404
    assert (
        client_for(users["read_only"])
        .post(f"/sales/board/move/{deal.pk}/", {"stage": stage("order").pk})
        .status_code
        == 403
    )
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("proposal")


def test_the_api_moves_with_if_match(users, api_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, stage=stage("proposal"))
    api = api_for(rep, "en")
    url = f"/api/v1/opportunities/{deal.pk}/move/"
    stale = api.post(url, {"stage": stage("order").pk}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    moved = api.post(url, {"stage": stage("order").pk}, format="json", HTTP_IF_MATCH='"1"')
    assert moved.status_code == 200, moved.content
    assert moved["ETag"] == '"2"'
    refused = api.post(url, {"stage": stage("lost").pk}, format="json")
    assert refused.status_code == 400
    assert refused.json() == {"lost_reason": ["A lost deal needs its lost reason."]}
    assert Opportunity.objects.get(pk=deal.pk).stage == stage("order")


def test_the_api_move_reads_the_deals_stage_with_the_deal(users, api_for):
    """The stage asked for is read once; the deal's own comes joined to the deal."""
    rep = users["sales_rep"]
    deal = make_opportunity(rep, stage=stage("proposal"))
    api = api_for(rep, "en")
    url = f"/api/v1/opportunities/{deal.pk}/move/"
    api.post(url, {"stage": stage("order").pk}, format="json")  # per-process caches filled
    back = stage("proposal").pk
    with CaptureQueriesContext(connection) as captured:
        moved = api.post(url, {"stage": back}, format="json")
    assert moved.status_code == 200, moved.content
    stage_reads = [
        q for q in captured.captured_queries if q["sql"].startswith('SELECT "sales_stage"')
    ]
    assert len(stage_reads) == 1
    # The deal is read before the move and locked by it; the answer is the row it wrote.
    deal_reads = [
        q for q in captured.captured_queries if q["sql"].startswith('SELECT "sales_opportunity"')
    ]
    assert len(deal_reads) == 2
    assert (moved.json()["stage"], moved.json()["version"], moved["ETag"]) == (back, 3, '"3"')


def test_a_stuck_deal_is_flagged_on_its_page(users, client_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, stage=stage("proposal"))
    client = client_for(rep)
    assert 'id="deal-stuck"' not in client.get(f"/r/opportunities/{deal.pk}/").content.decode()
    Opportunity.objects.filter(pk=deal.pk).update(
        stuck_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert 'id="deal-stuck"' in client.get(f"/r/opportunities/{deal.pk}/").content.decode()


def test_the_home_page_lists_the_reps_deals_stuck_first(users, client_for):
    rep = users["sales_rep"]
    make_opportunity(rep, name="עסקה רגילה", stage=stage("potential"), owner=rep)
    stuck = make_opportunity(rep, name="עסקה תקועה", stage=stage("proposal"), owner=rep)
    Opportunity.objects.filter(pk=stuck.pk).update(
        stuck_at=timezone.now() - datetime.timedelta(days=1)
    )
    make_opportunity(users["sales_rep2"], name="של אחר", stage=stage("potential"))
    html = client_for(rep).get("/").content.decode()
    card = html[html.index('id="home-deals"') :]
    assert card.index("עסקה תקועה") < card.index("עסקה רגילה")
    assert "של אחר" not in card


def test_the_home_cards_deals_are_ordered_by_priority_then_customer_rating(users, client_for):
    """REQ TK-8: the deal's priority first, then its customer's rating, then the stuck; the
    orders are the pick-lists' (an administrator's reordering counts)."""
    rep = users["sales_rep"]
    rated_a = make_account(rep, name="לקוח A", rating=choice("account_rating", "a"))
    stuck = make_opportunity(rep, name="תקועה בלי עדיפות", owner=rep)
    Opportunity.objects.filter(pk=stuck.pk).update(
        stuck_at=timezone.now() - datetime.timedelta(days=1)
    )
    make_opportunity(rep, name="עדיפות C", owner=rep, priority=choice("opportunity_priority", "c"))
    make_opportunity(rep, name="עדיפות A", owner=rep, priority=choice("opportunity_priority", "a"))
    make_opportunity(
        rep,
        name="C אצל לקוח A",
        owner=rep,
        account=rated_a,
        priority=choice("opportunity_priority", "c"),
    )
    html = client_for(rep).get("/").content.decode()
    card = html[html.index('id="home-deals"') :]
    names = ["עדיפות A", "C אצל לקוח A", "עדיפות C", "תקועה בלי עדיפות"]
    assert [card.index(n) for n in names] == sorted(card.index(n) for n in names)
    Choice.objects.filter(list_key="opportunity_priority", value="a").update(order=10)
    card = client_for(rep).get("/").content.decode()
    card = card[card.index('id="home-deals"') :]
    assert card.index("C אצל לקוח A") < card.index("עדיפות A")


def test_a_saved_view_narrows_the_board_and_a_broken_one_is_set_aside(users, client_for):
    rep = users["sales_rep"]
    make_opportunity(rep, name="גדולה", stage=stage("proposal"), amount="90000")
    make_opportunity(rep, name="קטנה", stage=stage("proposal"), amount="100")
    big = SavedView.objects.create(
        entity="opportunities",
        name="גדולות",
        owner=rep,
        filter={"all": [{"field": "amount", "op": "gte", "value": 1000}]},
    )
    client = client_for(rep)
    html = client.get(f"/sales/board/{_pipeline().pk}/?view={big.pk}").content.decode()
    assert "גדולה" in html
    assert "קטנה" not in html
    SavedView.objects.filter(pk=big.pk).update(
        filter={"all": [{"field": "custom.gone", "op": "eq", "value": 1}]}
    )
    html = client.get(f"/sales/board/{_pipeline().pk}/?view={big.pk}").content.decode()
    assert 'id="board-error"' in html
    assert "קטנה" in html


def test_a_full_column_shows_its_longest_waiting_cards_in_four_queries(users, client_for):
    """A column holds more deals than it shows: its first cards are the longest in the stage,
    its count and sum are all of them; the board is read in four queries (stages, counts and
    sums, every column's first cards, their accounts' names), for a rep as for a manager
    (REQ SA-2, SA-3, OR-3)."""
    from kesher.sales.selectors import CARDS_PER_COLUMN

    rep = users["sales_rep"]
    account = make_account(rep, name="לקוח")
    now = timezone.now()
    waiting = {}
    for days in range(CARDS_PER_COLUMN + 5):
        deal = make_opportunity(
            rep, stage=stage("proposal"), owner=rep, account=account, amount="10"
        )
        entered = now - datetime.timedelta(days=days)
        Opportunity.objects.filter(pk=deal.pk).update(stage_entered_at=entered)
        waiting[deal.pk] = entered
    make_opportunity(rep, stage=stage("order"), owner=rep)
    make_opportunity(users["sales_rep2"], stage=stage("proposal"))  # not the rep's
    expected = sorted(waiting, key=lambda pk: (waiting[pk], pk))[:CARDS_PER_COLUMN]
    pipeline = _pipeline()
    for reader in (rep, users["manager"]):
        board(reader, pipeline)  # per-process caches (field visibility) filled once
        with CaptureQueriesContext(connection) as captured:
            result = board(reader, pipeline)
        # The four, and the stamp that tells the per-process caches they are current.
        assert len(captured.captured_queries) == 5
        columns = _columns(result)
        proposal = columns["proposal"]
        assert [card.deal.pk for card in proposal.cards] == expected
        assert (proposal.count, proposal.more) == (CARDS_PER_COLUMN + 5, 5)
        assert proposal.total == "₪300.00"
        assert columns["order"].count == 1
        assert {card.account_name for card in proposal.cards} == {"לקוח"}
    html = client_for(rep).get(f"/sales/board/{_pipeline().pk}/").content.decode()
    # Each card's move menu offers every stage, its own column's selected.
    card = html[html.index(f'id="deal-{expected[0]}"') :]
    menu = card[card.index("<select") : card.index("</select>")]
    assert f'<option value="{stage("proposal").pk}" selected>' in menu
    assert f'<option value="{stage("order").pk}">' in menu
    assert menu.count("<option") == len(result.columns)


def test_the_board_page_reads_no_more_for_more_cards(users, client_for):
    """The page's cards read nothing of their own (the card query reads only what they show:
    no column left out may be read back card by card)."""
    rep = users["sales_rep"]
    account = make_account(rep, name="לקוח")
    client = client_for(rep)
    url = f"/sales/board/{_pipeline().pk}/"

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    make_opportunity(rep, stage=stage("proposal"), owner=rep, account=account)
    queries()
    few = queries()
    for index in range(12):
        make_opportunity(
            rep, stage=stage(("order", "won", "proposal")[index % 3]), owner=rep, account=account
        )
    assert queries() == few


def test_the_board_page_reads_its_pipeline_with_the_switcher(users, client_for):
    """The board's pipeline is found among the active ones the page offers to switch to: one
    read of the pipelines, not two; an inactive one is still shown by its address."""
    client = client_for(users["sales_rep"])
    pipeline = _pipeline()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/sales/board/{pipeline.pk}/").status_code == 200
    reads = [q for q in captured.captured_queries if 'FROM "sales_pipeline"' in q["sql"]]
    assert len(reads) == 1
    type(pipeline).objects.filter(pk=pipeline.pk).update(active=False)
    assert client.get(f"/sales/board/{pipeline.pk}/").status_code == 200
    assert client.get("/sales/board/987654/").status_code == 404
