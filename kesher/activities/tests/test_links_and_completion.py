"""The everyday defects a new user met in tasks and interactions (issue 14 item 7; REQ CU-4,
TK-2, TK-3): the record an activity is about is chosen with one picker and named on its page
only to whoever may see it; a delegated task is completed in one click by its delegate, even on
a record outside his scope, and the delegator hears of it; sub-tasks are listed on the parent;
new forms start with the current user as owner or assignee."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from kesher.activities.models import Notification, Task
from kesher.activities.services import task_complete, task_update
from kesher.activities.tests.factories import choice, make_interaction, make_task
from kesher.customers.tests.factories import make_account, make_contact
from kesher.platform.models import AuditEntry, Choice

pytestmark = pytest.mark.django_db


@pytest.fixture
def delegated(users):
    """rep2 hands rep1 a task about rep2's account, which rep1 may not see."""
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep2, name="נמל חיפה בע״מ")
    task = make_task(rep2, account, title="לאשר הזמנה", assignee=rep)
    return task, account


# --- services ----------------------------------------------------------------------------------


def test_delegate_completes_task_on_record_outside_his_scope(users, delegated):
    """REQ TK-3: the delegate closes it; the delegator is told, in his own language."""
    task, _account = delegated
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    rep2.language = "en"
    rep2.save(update_fields=["language"])
    done = task_complete(task, actor=rep)
    assert (done.status.value, done.is_open) == ("done", False)
    assert done.closed_at is not None
    notice = Notification.objects.get(user=rep2, verb="done")
    with translation.override("en"):
        assert notice.display_text == "Task done: לאשר הזמנה"
    assert (notice.link_type, notice.link_id) == ("tasks", task.pk)
    assert AuditEntry.objects.filter(object_id=task.pk, action="update", actor=rep).exists()
    assert not Notification.objects.filter(user=rep, verb="done").exists()


def test_completing_a_closed_task_is_refused_and_writes_nothing(users):
    rep = users["sales_rep"]
    task = make_task(rep)
    task_complete(task, actor=rep)
    version = Task.objects.get(pk=task.pk).version
    with pytest.raises(ValidationError) as error:
        task_complete(task, actor=rep)
    assert error.value.message_dict == {"status": ["המשימה כבר סגורה."]}
    assert Task.objects.get(pk=task.pk).version == version


def test_the_done_status_is_whichever_the_administrator_marks(users):
    """The status "complete" sets is data: the first active one marked done and closed."""
    rep = users["sales_rep"]
    task = make_task(rep)
    Choice.objects.filter(list_key="task_status", value="done").update(active=False)
    with pytest.raises(ValidationError) as error:
        task_complete(task, actor=rep)
    assert "status" in error.value.message_dict
    finished = Choice.objects.create(
        list_key="task_status",
        value="finished",
        label_he="הסתיימה",
        label_en="Finished",
        extra={"closed": True, "done": True},
    )
    assert task_complete(task, actor=rep).status == finished


def test_completing_the_last_subtask_closes_its_parent(users):
    """REQ TK-2: one click on the last open sub-task closes a parent set to follow them."""
    rep = users["sales_rep"]
    parent = make_task(rep, title="הכנת הצעה", close_with_subtasks=True)
    first = make_task(rep, title="מחירון", parent=parent)
    second = make_task(rep, title="אישור מנהל", parent=parent)
    task_complete(first, actor=rep)
    assert Task.objects.get(pk=parent.pk).is_open
    task_complete(second, actor=rep)
    assert not Task.objects.get(pk=parent.pk).is_open


def test_a_link_sent_back_unchanged_is_kept_not_judged(users, delegated):
    """The delegate saves the task (a form sends its link back) without seeing or losing the
    record; a new link must still be to a record he may see."""
    task, account = delegated
    rep = users["sales_rep"]
    saved = task_update(
        task,
        actor=rep,
        data={"title": "לאשר הזמנה היום", "link_type": "accounts", "link_id": str(account.pk)},
    )
    assert (saved.title, saved.link_type, saved.link_id) == (
        "לאשר הזמנה היום",
        "accounts",
        account.pk,
    )
    other = make_account(users["sales_rep2"])
    with pytest.raises(ValidationError) as error:
        task_update(saved, actor=rep, data={"link_type": "accounts", "link_id": other.pk})
    assert "link_id" in error.value.message_dict
    mine = make_account(rep)
    moved = task_update(saved, actor=rep, data={"link_type": "accounts", "link_id": mine.pk})
    assert moved.link_id == mine.pk


def test_an_unchanged_parent_is_not_judged_again(users):
    """A sub-task of a closed parent can still be edited; choosing a closed parent cannot."""
    rep = users["sales_rep"]
    parent = make_task(rep, title="אב")
    child = make_task(rep, title="בן", parent=parent)
    task_complete(parent, actor=rep)
    saved = task_update(child, actor=rep, data={"title": "בן שני", "parent": parent.pk})
    assert (saved.title, saved.parent_id) == ("בן שני", parent.pk)
    orphan = make_task(rep, title="יתום")
    with pytest.raises(ValidationError) as error:
        task_update(orphan, actor=rep, data={"parent": parent})
    assert error.value.message_dict == {"parent": ["משימת האב כבר נסגרה."]}


# --- the link picker ---------------------------------------------------------------------------


def _picked(html: str) -> set[tuple[str, int]]:
    return {
        (kind, int(pk)) for kind, pk in re.findall(r'data-kind="([\w-]+)" data-pick="(\d+)"', html)
    }


def test_link_picker_finds_by_name_phone_and_email_across_entities(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep, name="גלבוע מערכות", phone="04-8123456")
    contact = make_contact(rep, first_name="גלעד", last_name="לוי", email="gilad@galboa.co.il")
    hidden = make_account(users["sales_rep2"], name="גלבוע סחר", phone="04-8123499")
    client = client_for(rep)
    url = reverse("link_picker")
    found = client.get(url, {"q": "גל", "target": "id_link_id", "kind_target": "id_link_type"})
    html = found.content.decode()
    assert _picked(html) == {("accounts", account.pk), ("contacts", contact.pk)}
    assert "גלבוע סחר" not in html  # another rep's account: not offered, not named
    assert 'data-target="id_link_id" data-kind-target="id_link_type"' in html
    assert "04-812-3456" in html  # the phone tells two of a name apart
    assert _picked(client.get(url, {"q": "3456"}).content.decode()) == {("accounts", account.pk)}
    assert _picked(client.get(url, {"q": "gilad@"}).content.decode()) == {("contacts", contact.pk)}
    assert _picked(client.get(url, {"q": "3499"}).content.decode()) == set()
    assert client.get(url, {"q": ""}).content.decode().strip() == ""
    assert hidden.pk  # made, and out of rep1's scope


def test_link_picker_reads_a_bounded_number_of_rows(
    users, client_for, django_assert_max_num_queries
):
    rep = users["sales_rep"]
    for n in range(30):
        make_account(rep, name=f"אורן {n}")
        make_contact(rep, first_name="אורן", last_name=str(n))
    client = client_for(rep)
    client.get("/")
    # The session and user, then per entity its matching tokens, their sort keys, the rows.
    with django_assert_max_num_queries(10):
        html = client.get(reverse("link_picker"), {"q": "אורן"}).content.decode()
    assert len(_picked(html)) == 16  # eight of each entity


# --- forms -------------------------------------------------------------------------------------


def _input(html: str, name: str) -> str:
    return re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', html).group(0)


def test_new_task_form_picks_its_record_and_parent_and_starts_with_me(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep, name="אורן תעשיות")
    client = client_for(rep)
    html = client.get("/r/tasks/new/").content.decode()
    assert 'type="hidden" name="link_type"' in html
    assert 'type="hidden" name="link_id"' in html
    assert 'hx-get="/pick-link/"' in html
    assert '<label class="form-label" for="id_link_id-search">בנוגע ל</label>' in html
    assert '<select name="parent"' not in html  # a picker, not a list of every task
    assert 'hx-get="/pick/tasks/"' in html
    assert f'<option value="{rep.pk}" selected>' in _select(html, "assignee")
    linked = client.get(f"/r/tasks/new/?link_type=accounts&link_id={account.pk}").content.decode()
    assert 'value="אורן תעשיות"' in linked
    html = client.get("/r/interactions/new/").content.decode()
    assert f'<option value="{rep.pk}" selected>' in _select(html, "owner")
    assert 'hx-get="/pick-link/"' in html


def _select(html: str, name: str) -> str:
    return re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)


def test_create_form_saves_the_picked_record(users, client_for):
    rep = users["sales_rep"]
    contact = make_contact(rep, first_name="דנה", last_name="כהן")
    response = client_for(rep).post(
        "/r/tasks/new/",
        {
            "title": "לשלוח הצעה לדנה",
            "status": choice("task_status", "open").pk,
            "assignee": rep.pk,
            "link_type": "contacts",
            "link_id": contact.pk,
            "recurrence": "",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302
    assert (task.link_type, task.link_id, task.assignee_id) == ("contacts", contact.pk, rep.pk)


def test_edit_form_of_a_delegated_task_hides_its_record_and_keeps_it(users, client_for, delegated):
    task, account = delegated
    client = client_for(users["sales_rep"])
    html = client.get(f"/r/tasks/{task.pk}/edit/").content.decode()
    assert account.name not in html
    assert "רשומה שאין לך הרשאה לפתוח" in html
    assert f'name="link_id" value="{account.pk}"' in html  # sent back unchanged
    response = client.post(
        f"/r/tasks/{task.pk}/edit/",
        {
            "title": "לאשר הזמנה עד הצהריים",
            "status": task.status_id,
            "assignee": task.assignee_id,
            "link_type": "accounts",
            "link_id": account.pk,
            "version": task.version,
            "recurrence": "",
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.link_id) == ("לאשר הזמנה עד הצהריים", account.pk)


def test_quick_task_form_starts_about_the_page_record_and_may_pick_another(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep, name="אורן תעשיות")
    contact = make_contact(rep, first_name="רון")
    client = client_for(rep)
    url = reverse("activities_quick", args=["tasks", "accounts", account.pk])
    form = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'value="אורן תעשיות"' in form
    assert f'<option value="{rep.pk}" selected>' in _select(form, "assignee")
    client.post(
        url,
        {
            "title": "להתקשר לרון",
            "assignee": rep.pk,
            "link_type": "contacts",
            "link_id": contact.pk,
        },
    )
    task = Task.objects.get()
    assert (task.link_type, task.link_id) == ("contacts", contact.pk)


# --- the task's and the interaction's pages ----------------------------------------------------


def test_task_page_links_to_its_record_and_lists_subtasks(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep, name="אורן תעשיות")
    parent = make_task(rep, account, title="הכנת הצעה")
    child = make_task(users["manager"], title="בדיקת מלאי", parent=parent, assignee=rep)
    closed = make_task(rep, title="מחירון", parent=parent)
    task_complete(closed, actor=rep)
    client = client_for(rep)
    html = client.get(f"/r/tasks/{parent.pk}/").content.decode()
    about = re.search(r'<div id="record-about">.*?</div>', html, re.S).group(0)
    assert f'href="/r/accounts/{account.pk}/"' in about
    assert "אורן תעשיות" in about
    subtasks = re.search(r'<ul [^>]*id="subtask-list">.*?</ul>', html, re.S).group(0)
    assert "בדיקת מלאי" in subtasks
    assert "מחירון" in subtasks
    assert subtasks.count('class="btn btn-sm btn-outline-success') == 1  # the open one only
    assert 'id="complete-task"' in html
    assert f"?parent={parent.pk}&amp;link_type=accounts&amp;link_id={account.pk}" in html
    child_page = client.get(f"/r/tasks/{child.pk}/").content.decode()
    assert f'<a href="/r/tasks/{parent.pk}/" id="parent-task">' in child_page


def test_delegate_sees_the_task_page_but_not_its_record(users, client_for, delegated):
    task, account = delegated
    html = client_for(users["sales_rep"]).get(f"/r/tasks/{task.pk}/").content.decode()
    assert account.name not in html
    assert f"/r/accounts/{account.pk}/" not in html
    assert "רשומה שאין לך הרשאה לפתוח (לקוח)" in html
    assert 'id="complete-task"' in html
    assert client_for(users["sales_rep"]).get(f"/r/accounts/{account.pk}/").status_code == 404


def test_interaction_page_names_its_record_only_to_who_may_see_it(users, client_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep2, name="נמל חיפה בע״מ")
    call = make_interaction(rep2, account, subject="שיחת תיאום", m2m={"participant_users": [rep]})
    owner_page = client_for(rep2).get(f"/r/interactions/{call.pk}/").content.decode()
    assert f'href="/r/accounts/{account.pk}/"' in owner_page
    participant_page = client_for(rep).get(f"/r/interactions/{call.pk}/").content.decode()
    assert "שיחת תיאום" in participant_page
    assert account.name not in participant_page
    assert "רשומה שאין לך הרשאה לפתוח (לקוח)" in participant_page


@pytest.mark.parametrize("count", [3, 30])
def test_task_page_query_count_does_not_grow(
    users, client_for, django_assert_max_num_queries, count
):
    rep = users["sales_rep"]
    account = make_account(rep)
    parent = make_task(rep, account, title="אב")
    for n in range(count):
        make_task(rep, account, title=f"תת {n}", parent=parent)
    client = client_for(rep)
    client.get(f"/r/tasks/{parent.pk}/")
    # 11: the follow button asks once whether the reader follows the task (kesher.collab).
    with django_assert_max_num_queries(11):
        html = client.get(f"/r/tasks/{parent.pk}/").content.decode()
    assert html.count("data-task-row=") == count


# --- one click ---------------------------------------------------------------------------------


def test_one_click_from_the_task_list_replaces_the_row(users, client_for, delegated):
    """htmx posts the row's form; the answer is the same row, closed, without its button."""
    task, _account = delegated
    client = client_for(users["sales_rep"])
    page = client.get("/activities/tasks/").content.decode()
    row = re.search(rf'<tr data-task-row="{task.pk}".*?</tr>', page, re.S).group(0)
    assert f'hx-post="/activities/tasks/{task.pk}/complete/"' in row
    assert 'hx-target="closest [data-task-row]"' in row
    assert 'name="csrfmiddlewaretoken"' in row
    assert 'aria-label="סימון כבוצעה: לאשר הזמנה"' in row  # a name per button
    url = reverse("activities_task_complete", args=[task.pk])
    answer = client.post(url, {"row": "table"}, headers={"HX-Request": "true"}).content.decode()
    assert answer.startswith(f'<tr data-task-row="{task.pk}"')
    assert "task-complete" not in answer
    assert 'role="status">בוצעה</span>' in answer
    assert not Task.objects.get(pk=task.pk).is_open
    assert Notification.objects.filter(user=users["sales_rep2"], verb="done").count() == 1
    again = client.post(url, {"row": "table"}, headers={"HX-Request": "true"}).content.decode()
    assert 'role="alert">המשימה כבר סגורה.</span>' in again
    assert Notification.objects.filter(user=users["sales_rep2"], verb="done").count() == 1


def test_one_click_without_htmx_goes_back_where_it_was_clicked(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    task = make_task(rep, account)
    client = client_for(rep)
    url = reverse("activities_task_complete", args=[task.pk])
    back = f"/r/accounts/{account.pk}/"
    response = client.post(url, {"row": "item", "next": back})
    assert (response.status_code, response["Location"]) == (302, back)
    other = make_task(rep)
    response = client.post(
        reverse("activities_task_complete", args=[other.pk]),
        {"row": "page"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Redirect"] == f"/r/tasks/{other.pk}/"
    offsite = make_task(rep)
    response = client.post(
        reverse("activities_task_complete", args=[offsite.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/r/tasks/{offsite.pk}/"


def test_one_click_access(users, client_for):
    rep = users["sales_rep"]
    mine = make_task(rep)
    theirs = make_task(users["sales_rep2"])
    url = reverse("activities_task_complete", args=[mine.pk])
    assert client_for(rep).get(url).status_code == 405
    assert client_for(users["read_only"]).post(url).status_code == 403
    other = reverse("activities_task_complete", args=[theirs.pk])
    assert client_for(rep).post(other).status_code == 404
    assert Task.objects.filter(is_open=True).count() == 2


def test_record_panel_and_home_offer_one_click(users, client_for):
    rep = users["sales_rep"]
    account = make_account(rep)
    task = make_task(rep, account, title="לחזור ללקוח")
    make_task(rep, title="סגורה")
    task_complete(Task.objects.get(title="סגורה"), actor=rep)
    client = client_for(rep)
    panel = client.get(f"/r/accounts/{account.pk}/").content.decode()
    open_tasks = re.search(r'<ul [^>]*id="open-tasks">.*?</ul>', panel, re.S).group(0)
    assert f'hx-post="/activities/tasks/{task.pk}/complete/"' in open_tasks
    assert '<input type="hidden" name="row" value="item">' in open_tasks
    home = client.get("/").content.decode()
    card = re.search(r'<div class="card h-100" id="home-tasks">.*?</ul>', home, re.S).group(0)
    assert f'hx-post="/activities/tasks/{task.pk}/complete/"' in card
    assert "סגורה" not in card  # open tasks only
    viewer = client_for(users["read_only"]).get(f"/r/accounts/{account.pk}/").content.decode()
    assert "/complete/" not in viewer  # no button for whoever may not change tasks


# --- the API -----------------------------------------------------------------------------------


def test_api_complete(users, api_for, delegated):
    task, _account = delegated
    rep = users["sales_rep"]
    url = f"/api/v1/tasks/{task.pk}/complete/"
    done = api_for(rep).post(url)
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["id"], body["status"]) == (task.pk, choice("task_status", "done").pk)
    assert done["ETag"] == f'"{body["version"]}"'
    assert Notification.objects.filter(user=users["sales_rep2"], verb="done").count() == 1
    again = api_for(rep).post(url)
    assert (again.status_code, again.json()) == (400, {"status": ["המשימה כבר סגורה."]})
    english = api_for(rep, "en").post(url)
    assert english.json() == {"status": ["This task is already closed."]}
    fresh = make_task(rep)
    assert (
        api_for(users["read_only"]).post(f"/api/v1/tasks/{fresh.pk}/complete/").status_code == 403
    )
    theirs = make_task(users["sales_rep2"])
    assert api_for(rep).post(f"/api/v1/tasks/{theirs.pk}/complete/").status_code == 404
    assert api_for(rep).get(url).status_code == 405
    assert Task.objects.get(pk=theirs.pk).is_open


def test_api_complete_is_in_the_schema(api_schema):
    schema = api_schema()
    operation = schema["paths"]["/api/v1/tasks/{id}/complete/"]["post"]
    assert operation["operationId"] == "tasks_complete"
    assert operation["tags"] == ["tasks"]
    assert "200" in operation["responses"]
