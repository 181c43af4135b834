""" "Not contacted for X days" with its idempotent call-back run (REQ CU-9), the team feed
(REQ CU-10), task reports with SLA compliance (REQ TK-7) and the daily digest (issue 4
item 5)."""

import datetime
from types import SimpleNamespace

import pytest
from django.core import mail
from django.utils import timezone

from kesher.activities import callbacks, messages
from kesher.activities.delivery import send_digests
from kesher.activities.models import CallbackRun, Task
from kesher.activities.selectors import first_by_rating, not_contacted, task_report, team_now
from kesher.activities.services import digest_set, notify, task_update
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.models import Account
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def _aged(account, days):
    when = None if days is None else timezone.now() - datetime.timedelta(days=days)
    Account.objects.filter(pk=account.pk).update(last_contact_at=when)


def test_not_contacted_list_is_scoped_and_filtered(users):
    rep, rep2, manager = users["sales_rep"], users["sales_rep2"], users["manager"]
    old = make_account(rep, name="ישן", city="חיפה")
    never = make_account(rep, name="אף פעם")
    fresh = make_account(rep, name="טרי")
    other = make_account(rep2, name="של אחר")
    _aged(old, 120)
    _aged(never, None)
    _aged(fresh, 5)
    _aged(other, 200)
    assert list(not_contacted(rep, 90)) == [never, old]  # never contacted first
    assert list(not_contacted(rep, 90, city="חיפה")) == [old]
    assert other not in not_contacted(manager, 90)  # rep2 is outside the manager's department
    assert other in not_contacted(users["admin"], 90)


def test_the_call_back_list_puts_the_best_rated_customers_first(users, client_for):
    """REQ TK-8: A-rated customers first, then B, C and the unrated; the longest waiting first
    within each."""
    rep = users["sales_rep"]
    rating = {v: choice("account_rating", v) for v in "abc"}
    unrated = make_account(rep, name="ללא דירוג")
    c_old = make_account(rep, name="דירוג C ותיק", rating=rating["c"])
    a_new = make_account(rep, name="דירוג A", rating=rating["a"])
    a_never = make_account(rep, name="דירוג A אף פעם", rating=rating["a"])
    b_old = make_account(rep, name="דירוג B", rating=rating["b"])
    for account, days in ((unrated, 400), (c_old, 300), (a_new, 100), (a_never, None)):
        _aged(account, days)
    _aged(b_old, 200)
    expected = [a_never, a_new, b_old, c_old, unrated]
    assert first_by_rating(not_contacted(rep, 90), 10) == expected
    assert first_by_rating(not_contacted(rep, 90), 3) == expected[:3]
    html = client_for(rep).get("/activities/not-contacted/").content.decode()
    table = html[html.index('id="not-contacted"') :]
    positions = [table.index(a.name + "<") for a in expected]
    assert positions == sorted(positions)
    assert "A — לקוח מרכזי" in table


def test_callback_run_creates_one_task_per_account_and_is_idempotent(users, client_for):
    rep, manager = users["sales_rep"], users["manager"]
    first = make_account(manager, name="א", owner=rep)
    second = make_account(manager, name="ב", owner=manager)
    _aged(first, 100)
    _aged(second, None)
    client = client_for(manager)
    response = client.post("/activities/not-contacted/", {"days": "90"})
    run = CallbackRun.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"/activities/not-contacted/runs/{run.pk}/")
    assert (run.status, run.total, run.done, run.created) == ("done", 2, 2, 2)
    tasks = Task.objects.filter(task_type=choice("task_type", "call_back"))
    assert {(t.link_id, t.assignee_id) for t in tasks} == {
        (first.pk, rep.pk),
        (second.pk, manager.pk),
    }
    assert all(t.sla_due_at for t in tasks)  # the call-back type's SLA applies
    page = client.get(f"/activities/not-contacted/runs/{run.pk}/").content.decode()
    assert 'id="callback-result"' in page
    # Again: nothing new.
    again = callbacks.callback_start(actor=manager, days=90, filters={})
    assert again.created == 0
    assert tasks.count() == 2
    # Running the same run twice (a worker restarted) does nothing more either.
    CallbackRun.objects.filter(pk=run.pk).update(status="running")
    callbacks.callback_run(run.pk)
    assert tasks.count() == 2
    # Once the call-back is done, a new run asks again.
    task_update(
        tasks.get(link_id=first.pk), actor=rep, data={"status": choice("task_status", "done")}
    )
    assert callbacks.callback_start(actor=manager, days=90, filters={}).created == 1


def test_callback_run_in_the_worker_reports_progress(
    users, monkeypatch, django_capture_on_commit_callbacks
):
    manager = users["manager"]
    for n in range(5):
        _aged(make_account(manager, name=f"לקוח {n}"), 400)
    monkeypatch.setattr(callbacks, "INLINE_LIMIT", 2)
    monkeypatch.setattr(callbacks, "PROGRESS_EVERY", 2)
    enqueued = []
    monkeypatch.setattr(callbacks, "run_callbacks", SimpleNamespace(enqueue=enqueued.append))
    with django_capture_on_commit_callbacks(execute=True):
        run = callbacks.callback_start(actor=manager, days=365, filters={})
    assert run.status == "queued"
    assert enqueued == [run.pk]
    callbacks.callback_run(run.pk)
    run.refresh_from_db()
    assert (run.status, run.done, run.created, run.percent) == ("done", 5, 5, 100)


def test_callback_bad_input_and_access(users, client_for, api_for):
    rep = users["sales_rep"]
    page = client_for(rep).post("/activities/not-contacted/", {"days": "-3"})
    assert page.status_code == 200
    assert "is-invalid" in page.content.decode()
    bad = api_for(rep, "en").post("/api/v1/callback-runs/", {"days": "abc"}, format="json")
    assert bad.status_code == 400
    assert "days" in bad.json()
    assert not CallbackRun.objects.exists()
    viewer = users["read_only"]
    assert client_for(viewer).post("/activities/not-contacted/", {"days": "90"}).status_code == 403
    assert (
        api_for(viewer).post("/api/v1/callback-runs/", {"days": 90}, format="json").status_code
        == 403
    )
    assert not Task.objects.exists()
    ok = api_for(rep).post("/api/v1/callback-runs/", {"days": 30}, format="json")
    assert ok.status_code == 201
    run_id = ok.json()["id"]
    assert api_for(rep).get(f"/api/v1/callback-runs/{run_id}/").json()["status"] == "done"
    assert api_for(users["sales_rep2"]).get(f"/api/v1/callback-runs/{run_id}/").status_code == 404


def test_team_feed(users, client_for, django_assert_max_num_queries):
    manager, rep, rep2 = users["manager"], users["sales_rep"], users["sales_rep2"]
    account = make_account(rep)
    meeting = make_interaction(
        rep,
        account,
        kind=choice("interaction_kind", "meeting"),
        subject="פגישה עכשיו",
        occurred_at=timezone.now() - datetime.timedelta(minutes=10),
        duration_minutes=60,
    )
    make_interaction(
        rep,
        account,
        kind=choice("interaction_kind", "meeting"),
        subject="פגישה שנגמרה",
        occurred_at=timezone.now() - datetime.timedelta(hours=3),
        duration_minutes=30,
    )
    working = make_task(rep, account, title="בעבודה", status=choice("task_status", "in_progress"))
    make_interaction(rep2, make_account(rep2), subject="של צוות אחר")
    with django_assert_max_num_queries(8):
        feed = team_now(manager, [manager, rep])
    row = next(r for r in feed["members"] if r["user"] == rep)
    assert row["meeting"] == meeting
    assert row["tasks"] == [working]
    assert "של צוות אחר" not in {i.subject for i in feed["recent"]}
    page = client_for(manager).get("/activities/team/").content.decode()
    assert "פגישה עכשיו" in page
    assert "בעבודה" in page
    assert "של צוות אחר" not in page
    # A rep sees himself only.
    mine = client_for(rep2).get("/activities/team/").content.decode()
    assert "פגישה עכשיו" not in mine


def test_task_report_counts_and_sla(users, client_for, api_for):
    manager, rep = users["manager"], users["sales_rep"]
    done = choice("task_status", "done")
    call_back = choice("task_type", "call_back")  # SLA 4 business hours
    on_time = make_task(manager, assignee=rep, task_type=call_back)
    task_update(on_time, actor=rep, data={"status": done})
    late = make_task(manager, assignee=rep, task_type=call_back)
    Task.objects.filter(pk=late.pk).update(sla_due_at=timezone.now() - datetime.timedelta(hours=1))
    task_update(late, actor=rep, data={"status": done})
    overdue = make_task(manager, assignee=rep, due_at=timezone.now() + datetime.timedelta(hours=1))
    Task.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    make_task(manager)  # the manager's own open task
    start = timezone.now() - datetime.timedelta(days=1)
    end = timezone.now() + datetime.timedelta(days=1)
    rows = {r["key"]: r for r in task_report(manager, "user", start, end)}
    assert (rows[rep.pk]["total"], rows[rep.pk]["done"], rows[rep.pk]["open"]) == (3, 2, 1)
    assert rows[rep.pk]["overdue"] == 1
    assert (rows[rep.pk]["sla_met"], rows[rep.pk]["sla_missed"]) == (1, 1)
    assert rows[rep.pk]["sla_percent"] == 50
    by_type = {r["key"]: r for r in task_report(manager, "type", start, end)}
    assert by_type[call_back.pk]["total"] == 2
    assert sum(r["total"] for r in task_report(manager, "month", start, end)) == 4
    # Scope: rep2 sees none of these.
    assert task_report(users["sales_rep2"], "user", start, end) == []
    page = client_for(manager).get("/activities/reports/tasks/?group=user").content.decode()
    assert 'data-chart="task-chart"' in page
    assert 'id="task-chart" type="application/json"' in page
    assert 'id="sla-total"' in page
    data = api_for(manager).get("/api/v1/task-report/?group=type").json()
    assert any(r["total"] == 2 for r in data)
    bad = api_for(manager, "en").get("/api/v1/task-report/?group=planet")
    assert bad.status_code == 400


def test_daily_digest_once_a_day(users):
    rep = users["sales_rep"]
    digest_set(actor=rep, enabled=True)
    notify(rep, verb="reminder", message=messages.REMINDER, params={"title": "תזכורת ראשונה"})
    notify(rep, verb="done", message=messages.TASK_DONE, params={"title": "לסגור הצעה"})
    morning = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(8, 0))
    )
    early = morning.replace(hour=5)
    mail.outbox.clear()
    assert send_digests(early) == 0  # before the digest hour
    assert send_digests(morning) == 1
    assert send_digests(morning + datetime.timedelta(hours=2)) == 0
    assert "תזכורת ראשונה" in mail.outbox[-1].body
    digest_set(actor=users["sales_rep2"], enabled=False)
    assert send_digests(morning + datetime.timedelta(days=1)) in (0, 1)
    assert len(mail.outbox) <= 2


def test_a_stalled_run_is_started_again_once(users, monkeypatch):
    manager = users["manager"]
    run = CallbackRun.objects.create(actor=manager, days=90, status="running")
    CallbackRun.objects.filter(pk=run.pk).update(
        updated_at=timezone.now() - datetime.timedelta(minutes=20)
    )
    fresh = CallbackRun.objects.create(actor=manager, days=90, status="running")
    enqueued = []
    monkeypatch.setattr(callbacks, "run_callbacks", SimpleNamespace(enqueue=enqueued.append))
    assert callbacks.resume_stalled_runs() == [run.pk]
    assert enqueued == [run.pk]
    callbacks.resume_stalled_runs()  # touched: not queued twice
    assert enqueued == [run.pk]
    assert fresh.pk not in enqueued
