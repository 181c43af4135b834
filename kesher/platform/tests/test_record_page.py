"""The record page reads from the top (issue 14 item 7; REQ CU-7, CU-8, OR-7): the record's
name, its key fields and its actions; alerts and the 360° figures under them; an in-page
navigation to the activities, the files and the timeline; sections that fold, as real buttons,
remembered per browser; one timeline."""

from __future__ import annotations

import re

import pytest

from kesher.activities.tests.factories import make_task
from kesher.customers.tests.factories import choice, make_account
from kesher.platform.registry import registry
from kesher.platform.ui.views import FOLDED_COOKIE

pytestmark = pytest.mark.django_db


def _account(rep, name="אלפא מערכות"):
    return make_account(
        rep,
        name=name,
        status=choice("account_status", "vip"),
        phone="052-555-1234",
        email="office@alpha.example",
        city="חיפה",
    )


def _header(page: str) -> str:
    return page.split('id="record-title"')[1].split('id="record-action-form"')[0]


def test_the_page_reads_from_the_top(users, client_for):
    rep = users["sales_rep"]
    rep.first_name, rep.last_name = "נועה", "ברק"
    rep.save(update_fields=["first_name", "last_name"])
    account = _account(rep)
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    order = [
        'id="record-title"',
        'id="record-headline"',
        'id="record-action-form"',
        'id="record-alerts"',
        'id="customer-360"',
        'id="record-nav"',
        'id="record-activities"',
        'id="record-details"',
        'id="record-files"',
        'id="record-timeline"',
    ]
    assert [page.index(marker) for marker in order] == sorted(
        page.index(marker) for marker in order
    ), "the page's parts are not in reading order"
    header = _header(page)
    # The key fields the accounts entity declares, as users read them.
    headline = re.findall(r'<dd data-field="([a-z_]+)"', header)
    assert headline == ["status", "owner", "phone", "email", "city"]
    assert "VIP" in header
    assert "נועה ברק" in header
    assert 'href="tel:+972525551234"' in header  # E.164: dials from anywhere (decision 0080)
    # The primary actions, one click each, in the header.
    for action in ('id="edit-record"', 'id="log-interaction"', 'id="new-task"'):
        assert action in header
    assert 'hx-target="#record-action-form"' in header


def test_the_in_page_navigation_reaches_activities_files_and_timeline(users, client_for):
    rep = users["sales_rep"]
    account = _account(rep)
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    nav = page.split('id="record-nav"')[1].split("</nav>")[0]
    anchors = re.findall(r'href="#([a-z0-9-]+)"', nav)
    assert anchors[0] == "record-details"
    assert {"record-activities", "record-files", "record-timeline"} <= set(anchors)
    for anchor in anchors:
        assert f'id="{anchor}"' in page


def test_sections_fold_with_real_buttons_and_come_back_as_left(users, client_for):
    rep = users["sales_rep"]
    account = _account(rep)
    client = client_for(rep)
    page = client.get(f"/r/accounts/{account.pk}/").content.decode()
    buttons = re.findall(r"<h2[^>]*><button ([^>]*)>", page)
    assert len(buttons) >= 5  # the accounts' five sections, then the files
    for attributes in buttons:
        assert 'type="button"' in attributes
        assert re.search(r'aria-expanded="(true|false)"', attributes)
        assert re.search(r'aria-controls="part-[a-z0-9]+"', attributes)
    # Open by default; "Notes", empty, folded.
    assert 'id="part-s0-title"' in page
    assert re.search(r'aria-expanded="true" id="part-s0-title"', page)
    assert re.search(r'aria-expanded="false" id="part-s4-title"', page)
    assert 'class="collapse" id="part-s4"' in page

    # What this browser folded and unfolded on an account's page, every account's page keeps.
    client.cookies[FOLDED_COOKIE] = "contacts.s0-|accounts.s0-|accounts.s4+|accounts.files-"
    other = _account(rep, name="בטא")
    page = client.get(f"/r/accounts/{other.pk}/").content.decode()
    assert re.search(r'aria-expanded="false" id="part-s0-title"', page)
    assert 'class="collapse" id="part-s0"' in page
    assert 'class="collapse show" id="part-s4"' in page
    assert 'class="collapse" id="part-files"' in page
    assert 'class="collapse show" id="part-s1"' in page


def test_a_page_without_activities_has_the_same_frame(users, client_for):
    """An entity nobody links activities to: no activity column, the timeline beside the
    sections, and the header's key fields fall back to the status and the owner."""
    admin = users["admin"]
    department = registry.get("departments").model.objects.first()
    page = client_for(admin).get(f"/r/departments/{department.pk}/").content.decode()
    assert 'class="record-side"' not in page
    assert 'id="log-interaction"' not in page
    assert page.count('id="timeline"') == 1
    assert 'id="record-nav"' in page
    # Its timeline's filter offers no tasks or interactions: none can be about a department.
    select = page.split('id="timeline-kind"')[1].split("</select>")[0]
    kinds = re.findall(r'<option value="([^"]*)">', select)
    assert kinds == ["", "changes"]


def test_the_header_says_a_task_status_due_and_assignee(users, client_for):
    rep = users["sales_rep"]
    task = make_task(rep, _account(rep), title="להכין הצעה")
    page = client_for(rep).get(f"/r/tasks/{task.pk}/").content.decode()
    headline = re.findall(r'<dd data-field="([a-z_]+)"', _header(page))
    assert headline[0] == "status"
    assert "assignee" in headline


def test_every_declared_key_field_is_a_field_of_its_entity():
    for entity in registry.all():
        for name in entity.headline:
            entity.field(name)  # raises FieldDoesNotExist for a misspelt name


@pytest.mark.parametrize("count", [2, 30])
def test_the_page_costs_the_same_whatever_the_record_holds(
    users, client_for, django_assert_max_num_queries, count
):
    rep = users["sales_rep"]
    account = _account(rep)
    for n in range(count):
        make_task(rep, account, title=f"משימה {n}")
    client = client_for(rep)
    client.get(f"/r/accounts/{account.pk}/")
    with django_assert_max_num_queries(40):
        assert client.get(f"/r/accounts/{account.pk}/").status_code == 200
