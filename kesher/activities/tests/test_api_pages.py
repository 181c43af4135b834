"""Interactions and tasks through the API and pages: scope, bad input, notifications, panel,
query counts (REQ CU-3, TK-1, OR-3)."""

import re

import pytest
from django.urls import reverse

from kesher.activities import messages
from kesher.activities.models import Interaction, Notification, Task
from kesher.activities.services import notify, task_update
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account

pytestmark = pytest.mark.django_db


def test_rep_sees_only_activities_in_scope(users, api_for, client_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    mine = make_account(rep)
    theirs = make_account(rep2)
    i1 = make_interaction(rep, mine)
    i2 = make_interaction(rep2, theirs)
    t1 = make_task(users["manager"], mine, assignee=rep2)  # on rep's account: rep sees it
    t2 = make_task(rep2, theirs)
    api = api_for(rep)
    ids = {r["id"] for r in api.get("/api/v1/interactions/").json()["results"]}
    assert i1.pk in ids
    assert i2.pk not in ids
    ids = {r["id"] for r in api.get("/api/v1/tasks/").json()["results"]}
    assert t1.pk in ids
    assert t2.pk not in ids
    assert api.get(f"/api/v1/tasks/{t2.pk}/").status_code == 404
    assert client_for(rep).get(f"/r/interactions/{i2.pk}/").status_code == 404
    manager_ids = {
        r["id"] for r in api_for(users["manager"]).get("/api/v1/tasks/").json()["results"]
    }
    assert t1.pk in manager_ids  # rep's account is in the manager's department


def test_api_create_and_errors(users, api_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    other = make_account(users["sales_rep2"])
    api = api_for(rep)
    call = choice("interaction_kind", "call")
    ok = api.post(
        "/api/v1/interactions/",
        {
            "kind": call.pk,
            "subject": "<script>x</script>",
            "link_type": "accounts",
            "link_id": account.pk,
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    assert Interaction.objects.get().subject == "<script>x</script>"
    bad = api.post(
        "/api/v1/interactions/",
        {"kind": call.pk, "subject": "x", "link_type": "accounts", "link_id": other.pk},
        format="json",
    )
    assert bad.status_code == 400
    assert "link_id" in bad.json()
    bad = api_for(rep, "en").post(
        "/api/v1/tasks/", {"title": "", "priority": call.pk, "link_type": "nope"}, format="json"
    )
    assert bad.status_code == 400
    assert {"title", "priority", "link_type"} <= set(bad.json())
    assert Interaction.objects.count() == 1
    assert not Task.objects.exists()


def test_notifications_api_is_own_only(users, api_for):
    rep = users["sales_rep"]
    mine = notify(rep, verb="reminder", message=messages.REMINDER, params={"title": "שלי"})
    theirs = notify(
        users["sales_rep2"], verb="reminder", message=messages.REMINDER, params={"title": "לא"}
    )
    api = api_for(rep)
    rows = api.get("/api/v1/notifications/").json()["results"]
    assert [r["id"] for r in rows] == [mine.pk]
    assert api.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert api.post(f"/api/v1/notifications/{mine.pk}/read/").json()["read"] is True
    assert api.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_quick_log_from_account_page(users, client_for):
    """Two clicks: the button's form comes with "call" chosen; saving logs it on the account."""
    rep = users["sales_rep"]
    account = make_account(rep)
    client = client_for(rep)
    page = client.get(f"/r/accounts/{account.pk}/").content.decode()
    assert 'id="log-interaction"' in page
    assert 'id="record-activities"' in page
    url = reverse("activities_quick", args=["interactions", "accounts", account.pk])
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    call = choice("interaction_kind", "call")
    assert f'value="{call.pk}" selected' in form
    # About the page's record, in the link picker (which could choose another).
    assert 'name="link_type" value="accounts"' in form
    assert f'name="link_id" value="{account.pk}"' in form
    assert f'value="{account.name}"' in form
    response = client.post(
        url,
        {
            "kind": call.pk,
            "subject": "שיחה מהירה",
            "direction": "out",
            "link_type": "accounts",
            "link_id": account.pk,
        },
    )
    assert response.status_code == 302
    interaction = Interaction.objects.get()
    assert (interaction.link_type, interaction.link_id) == ("accounts", account.pk)
    account.refresh_from_db()
    assert account.last_contact_at == interaction.occurred_at
    page = client.get(f"/r/accounts/{account.pk}/").content.decode()
    assert "שיחה מהירה" in page  # panel and timeline
    # One no one owns (an e-mail that came in) ends at its time, no separator after it.
    Interaction.objects.filter(pk=interaction.pk).update(owner=None)
    page = client.get(f"/r/accounts/{account.pk}/").content.decode()
    panel = page[page.index('id="recent-interactions"') :]
    assert re.search(r"\d\d:\d\d</span>", panel[: panel.index("</ul>")])


def test_quick_form_on_other_reps_account_is_404(users, client_for):
    other = make_account(users["sales_rep2"])
    url = reverse("activities_quick", args=["tasks", "accounts", other.pk])
    assert client_for(users["sales_rep"]).get(url).status_code == 404


def test_task_tabs_and_overdue_badge(users, client_for):
    import datetime

    from django.utils import timezone

    manager, rep = users["manager"], users["sales_rep"]
    task = make_task(manager, assignee=rep, due_at=timezone.now() + datetime.timedelta(hours=1))
    Task.objects.filter(pk=task.pk).update(due_at=timezone.now() - datetime.timedelta(hours=1))
    page = client_for(rep).get("/activities/tasks/").content.decode()
    assert "task-overdue" in page
    assert task.title in page
    delegated = client_for(manager).get("/activities/tasks/?tab=delegated").content.decode()
    assert task.title in delegated
    team = client_for(manager).get("/activities/tasks/?tab=team").content.decode()
    assert task.title in team
    task_update(task, actor=rep, data={"status": choice("task_status", "done")})
    notes = client_for(manager).get("/activities/notifications/").content.decode()
    assert "notification-unread" in notes


@pytest.mark.parametrize("count", [3, 30])
def test_query_counts_do_not_grow(users, client_for, django_assert_max_num_queries, count):
    rep = users["sales_rep"]
    account = make_account(rep)
    for n in range(count):
        make_task(rep, account, title=f"משימה {n}")
        make_interaction(rep, account, subject=f"שיחה {n}")
    client = client_for(rep)
    client.get("/activities/tasks/")  # warm the session
    with django_assert_max_num_queries(12):
        assert client.get("/activities/tasks/").status_code == 200
    with django_assert_max_num_queries(40):
        assert client.get(f"/r/accounts/{account.pk}/").status_code == 200


def test_new_task_form_starts_at_the_default_status(users, client_for):
    """The generic form offers a required pick-list's default value (task_status "open")."""
    html = client_for(users["sales_rep"]).get("/r/tasks/new/").content.decode()
    selected = re.search(r'<select name="status"[^>]*>.*?</select>', html, re.S).group(0)
    open_status = choice("task_status", "open")
    assert f'<option value="{open_status.pk}" selected>' in selected
