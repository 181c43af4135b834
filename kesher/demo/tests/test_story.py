"""The demo tells a story (issue 14 item 7): every demo user signs in with the printed details
and finds real work on the home page — open tasks (some overdue), coming meetings, recent
interactions and unread notifications; managers find approvals waiting; a task handed over
on a colleague's customer is completed by its assignee and its delegator is told; the
automation rule has run. Loading twice with ``--once`` adds nothing (REQ IM-6, IMPL-2; the data
exercises CU-3, TK-1 … TK-6, AU-1, AU-3, SA-13)."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.utils import timezone

from kesher.activities.models import Interaction, Notification, Task
from kesher.approvals.models import ApprovalRequest
from kesher.automation.models import RuleRun
from kesher.customers.models import Account
from kesher.demo.organization import USERS
from kesher.demo.story import Clock
from kesher.demo.tests.conftest import SIZE
from kesher.org.models import User

pytestmark = pytest.mark.django_db


def _sign_in(printed: str, username: str) -> Client:
    password = re.search(r"Password\s+(\S+)", printed).group(1)
    client = Client()
    assert client.login(username=username, password=password), username
    return client


def _card(page: str, card_id: str) -> str:
    return re.search(rf'<div class="card h-100" id="{card_id}">.*?</ul>', page, re.S).group(0)


def test_every_demo_user_signs_in_and_finds_real_work_on_the_home_page(loaded):
    printed_names = re.findall(r"^  (\w+)\s{2,}", loaded, re.M)
    active = [u.username for u in USERS if u.is_active]
    assert set(active) - {"admin"} <= set(printed_names)
    for username in active:
        page = _sign_in(loaded, username).get("/").content.decode()
        tasks = _card(page, "home-tasks")
        assert "data-task-row" in tasks, username
        assert "task-overdue" in tasks, f"{username} has no overdue task on the home page"
        meetings = _card(page, "home-meetings")
        assert "/interactions/" in meetings, f"{username} has no coming meeting"
        recent = _card(page, "home-interactions")
        assert "/interactions/" in recent, f"{username} has no recent interaction"
        unread = re.search(r'id="unread-count">(\d+)<', page)
        assert unread, f"{username} has no unread notification"
    # The one who left stays in the history but cannot sign in.
    password = re.search(r"Password\s+(\S+)", loaded).group(1)
    assert not Client().login(username="yossi", password=password)
    _work_is_dated_today_this_week_and_next()


def _work_is_dated_today_this_week_and_next():
    today = Clock.of(datetime.datetime.now(datetime.UTC)).today
    week_ahead = today + datetime.timedelta(days=7)
    for user in User.objects.filter(is_active=True):
        due = {
            t.due_at.date()
            for t in Task.objects.filter(assignee=user, is_open=True).exclude(due_at=None)
        }
        assert any(d < today for d in due), user.username
        assert any(today <= d <= week_ahead for d in due), user.username
        meetings = Interaction.objects.filter(kind__value="meeting").filter(
            Q(owner=user) | Q(participant_users=user)
        )
        coming = {m.occurred_at.date() for m in meetings if m.occurred_at.date() > today}
        assert len(coming) >= 2, f"{user.username}: meetings this week and next"
        assert max(coming) <= today + datetime.timedelta(days=14), user.username
        logged = Interaction.objects.filter(owner=user, occurred_at__lt=timezone.now())
        # Who only reads logs nothing, but takes part; nor does the privacy officer (the
        # demo's books keeper), whose calls are with the people who ask about their data.
        if user.role.key not in ("read_only", "privacy_officer"):
            assert logged.exists(), user.username


def test_approvals_wait_for_managers_and_handed_over_work_comes_back_done(loaded):
    for manager in ("samer", "michal", "moshe", "ronit"):
        page = _sign_in(loaded, manager).get("/approvals/").content.decode()
        waiting = ApprovalRequest.objects.filter(
            status="pending", decisions__active=True, decisions__approver__username=manager
        )
        assert waiting.exists(), manager
        for request in waiting:
            assert request.record_repr in page.replace("&quot;", '"').replace("&#x27;", "'")
    decided = ApprovalRequest.objects.exclude(status="pending").select_related("requester")
    assert {r.status for r in decided} == {"approved", "rejected"}
    for request in decided:
        assert Notification.objects.filter(user=request.requester, read_at=None).exists()
    _a_task_handed_over_is_completed_and_the_delegator_told(loaded)


def _a_task_handed_over_is_completed_and_the_delegator_told(loaded):
    """REQ TK-3: Omer completes, from his home page, the task Samer handed him on Noa's
    customer, which Omer's own scope does not show; Samer is told."""
    omer = User.objects.get(username="omer")
    task = Task.objects.get(assignee=omer, delegated_by__username="samer", is_open=True)
    customer = Account.objects.get(pk=task.link_id)
    assert customer.owner.username == "noa"
    assert not Account.objects.visible_to(omer).filter(pk=customer.pk).exists()
    client = _sign_in(loaded, "omer")
    assert task.title in client.get("/").content.decode().replace("&quot;", '"')
    client.post(f"/activities/tasks/{task.pk}/complete/", {"row": "item", "next": "/"})
    task.refresh_from_db()
    assert not task.is_open
    samer = _sign_in(loaded, "samer").get("/activities/notifications/").content.decode()
    assert task.title in samer.replace("&quot;", '"')
    # Tasks handed over earlier were completed already: their delegators were told then.
    done = Notification.objects.filter(verb="done", link_type="tasks")
    assert {n.user.username for n in done} >= {"samer", "michal", "moshe", "ronit", "yael"}


def test_the_automation_rule_followed_up_the_quotes_sent_and_a_second_load_adds_nothing(loaded):
    """REQ TK-5, TK-6, AU-1: every quote task done this week started the rule; each run made
    a follow-up task for the customer's owner; the run shows on the customer's timeline. ``load_demo
    --once`` again only prints how to sign in."""
    runs = list(RuleRun.objects.select_related("rule"))
    assert runs
    admin = _sign_in(loaded, "admin")
    assert {run.status for run in runs} == {"done"}
    for run in runs:
        account = Account.objects.get(pk=run.record_id)
        follow_up = Task.objects.get(
            link_type="accounts", link_id=account.pk, title__startswith="מעקב אחרי הצעת המחיר"
        )
        assert follow_up.assignee == account.owner
        assert follow_up.is_open
        # Runs show on the record's timeline to those who may see the rules.
        timeline = admin.get(f"/r/accounts/{account.pk}/timeline/").content.decode()
        assert run.rule.name in timeline
    _loading_again_with_once_adds_nothing()


def _loading_again_with_once_adds_nothing():
    counts = [
        m.objects.count() for m in (Interaction, Task, Notification, ApprovalRequest, RuleRun)
    ]
    out = io.StringIO()
    call_command("load_demo", SIZE, "--once", stdout=out)
    assert "already loaded" in out.getvalue()
    assert "Password" in out.getvalue()
    assert [
        m.objects.count() for m in (Interaction, Task, Notification, ApprovalRequest, RuleRun)
    ] == counts


def test_the_story_is_dated_from_the_day_it_is_loaded_on_working_days():
    thursday = Clock(datetime.date(2026, 12, 10))
    assert thursday.working_day(1) == datetime.date(2026, 12, 13)  # Sunday
    assert thursday.working_day(-4) == datetime.date(2026, 12, 6)
    assert thursday.next_week(6, 9).date() == datetime.date(2026, 12, 13)
    saturday = Clock(datetime.date(2026, 12, 12))
    assert saturday.working_day(1) == datetime.date(2026, 12, 13)
    assert saturday.working_day(-1) == datetime.date(2026, 12, 10)
    assert saturday.next_week(0, 9).date() == datetime.date(2026, 12, 14)


def test_each_sales_rep_has_deals_on_the_board_some_stuck_and_leads(loaded):
    """Issue 15: the board, the forecast and the stuck flags have real Hebrew deals."""
    from kesher.demo.story import SALES_REPS
    from kesher.sales.models import Lead, Opportunity

    for username in SALES_REPS:
        client = _sign_in(loaded, username)
        board = client.get("/sales/board/", follow=True).content.decode()
        assert "הטמעת מודול שירות" in board, username
        assert "board-card-stuck" in board, username
        assert Lead.objects.filter(owner__username=username).count() == 3
        assert Lead.objects.filter(owner__username=username, converted_at__isnull=False).exists()
    assert Opportunity.objects.won().exists()
    assert Opportunity.objects.lost().filter(lost_reason__isnull=False).exists()


def test_reps_and_managers_see_their_targets_attainment_and_customers_have_regions(loaded):
    """Issue 15 (REQ SA-7, SA-12, SA-14): every rep's home shows his own targets' attainment, a
    sales manager's his team's; customers sit in their city's district."""
    from kesher.customers.models import Account
    from kesher.sales.models import Lead, SalesTarget

    home = _sign_in(loaded, "omer").get("/").content.decode()
    assert 'id="home-attainment"' in home
    assert "עומר" in home
    assert "איתי" not in home  # another team's rep
    team = _sign_in(loaded, "samer").get("/sales/targets/attainment/").content.decode()
    assert "מכירות צפון" in team
    assert "נועה" in team
    assert SalesTarget.objects.filter(level="company").exists()
    assert Account.objects.filter(region__isnull=False).exists()
    assert not Account.objects.filter(city="חיפה").exclude(region__name_en="Haifa").exists()
    assert not Lead.objects.filter(owner__username="omer", region__isnull=True).exists()


def test_the_service_desk_has_tickets_in_every_state_and_its_queue_views(loaded):
    """Issue 18: an agent finds tickets of seed 001's types, one past its first-response
    target, one near it, one waiting for the customer, one resolved; the queue's views list
    them by SLA due time."""
    from kesher.platform.models import SavedView
    from kesher.service.models import Ticket
    from kesher.service.selectors import ticket_clocks

    states = {
        ticket.subject: {view.clock.kind: view.state for view in ticket_clocks(ticket)}
        for ticket in Ticket.objects.all()
    }
    assert states["המדפסת במשרד הראשי לא מדפיסה חשבוניות"]["first_response"] == "breached"
    assert states["התקנת התוכנה נכשלה במחשב החדש"]["first_response"] == "warning"
    assert states["בקשה למחירון מעודכן לשנת 2027"]["resolution"] == "paused"
    assert states["הרשמה לקורס משתמשים מתקדמים"]["resolution"] == "met"
    client = _sign_in(loaded, "alon")
    for view in SavedView.objects.filter(entity="tickets"):
        page = client.get(f"/r/tickets/?view={view.pk}")
        assert page.status_code == 200, view.name
    unassigned = SavedView.objects.get(entity="tickets", name="פניות לא משויכות")
    page = client.get(f"/r/tickets/?view={unassigned.pk}").content.decode()
    assert "התקנת התוכנה נכשלה במחשב החדש" in page
    assert "חיבור מחשב נייד לרשת המשרד" not in page
    ticket = Ticket.objects.get(subject="המדפסת במשרד הראשי לא מדפיסה חשבוניות")
    page = client.get(f"/r/tickets/{ticket.pk}/").content.decode()
    assert 'id="sla-clocks"' in page
    assert 'data-state="breached"' in page


def test_the_service_desk_has_an_emailed_thread_canned_replies_and_a_merged_duplicate(loaded):
    """Issue 18 items 3, 4 (decision 0072): the customer's e-mail opened a ticket, the agent
    answered with a canned reply, her answer threaded in, her duplicate was merged into it."""
    from kesher.activities.models import Interaction
    from kesher.service.models import CannedReply, Ticket, TicketEmail

    ticket = Ticket.objects.get(subject="הדוח החודשי קורס בעת ההפקה")
    thread = list(TicketEmail.objects.filter(ticket=ticket).values_list("direction", "outcome"))
    assert thread == [("in", "opened"), ("out", "sent"), ("in", "threaded"), ("in", "opened")]
    assert Interaction.objects.filter(link_type="tickets", link_id=ticket.pk).count() == 4
    assert ticket.first_responded_at is not None
    duplicate = Ticket.objects.get(subject="שוב: הדוח לא עולה")
    assert duplicate.merged_into == ticket
    assert CannedReply.objects.count() == 3
    assert ticket.solution_article.title_he == "הדוח החודשי נתקע בעת ההפקה"
    client = _sign_in(loaded, "alon")
    page = client.get(f"/service/tickets/{ticket.pk}/reply/").content.decode()
    assert "קיבלנו את פנייתך" in page
