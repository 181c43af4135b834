"""An administrator in a real browser changes a role's rights on its one-form matrix, and a
pick-list value's settings on the generic pick-list pages, whose fields follow the chosen list
(REQ OR-3, CX-4, TK-4; issue "Platform v2" item 10)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kesher.org.models import Role, RolePermission
from kesher.platform.models import Choice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_changes_a_roles_rights(users, open_page, log_in, screenshot):
    rep_role = Role.objects.get(key="sales_rep")
    page = open_page()
    log_in(page, users["admin"].username)
    page.goto(f"/r/roles/{rep_role.pk}/")
    expect(page.locator("#role-rights [data-entity='accounts']")).to_be_visible()
    page.locator("#edit-rights").click()
    expect(page.locator("#rights-form")).to_be_visible()
    page.locator("#accounts-delete").check()
    page.locator("select[name='accounts.scope']").select_option("department")
    page.locator("#tasks-view").uncheck()
    page.locator("#tasks-add").uncheck()
    page.locator("#tasks-change").uncheck()
    screenshot(page, "role-rights-he")
    page.locator("#save-rights").click()
    expect(page.locator("#record-title")).to_have_text("איש מכירות")
    grant = RolePermission.objects.get(role=rep_role, entity="accounts")
    assert (grant.can_delete, grant.scope) == (True, "department")
    assert not RolePermission.objects.filter(role=rep_role, entity="tasks").exists()

    # A row that makes no sense is refused as a whole, and said where.
    page.goto(f"/org/roles/{rep_role.pk}/rights/")
    page.locator("#contacts-view").uncheck()
    page.locator("#save-rights").click()
    expect(page.locator("[data-error-for='contacts']")).to_be_visible()
    assert RolePermission.objects.get(role=rep_role, entity="contacts").can_view


def test_pick_list_settings_follow_the_chosen_list(users, open_page, log_in, screenshot):
    page = open_page()
    log_in(page, users["admin"].username)

    # A new task type: choosing its list brings the list's settings into the form.
    page.goto("/r/choices/new/")
    expect(page.locator("[name='extra.sla_hours']")).to_have_count(0)
    page.locator("#id_label_he").fill("ביקור אצל לקוח")
    page.locator("#id_list_key").fill("task_type")
    page.locator("#id_list_key").blur()
    expect(page.locator("[name='extra.sla_hours']")).to_be_visible()
    expect(page.locator("#id_label_he")).to_have_value("ביקור אצל לקוח")  # kept what was typed
    page.locator("#id_value").fill("site_visit")
    page.locator("[name='extra.sla_hours']").fill("24")
    screenshot(page, "pick-list-settings-he")
    page.locator("#save-record").click()
    expect(page.locator("#choice-settings [data-setting='sla_hours']")).to_have_text("24")
    assert Choice.objects.get(list_key="task_type", value="site_visit").extra == {
        "sla_hours": 24,
        "default": False,
    }

    # A task status: its own settings, and the rule between them.
    status = Choice.objects.get(list_key="task_status", value="in_progress")
    page.goto(f"/r/choices/{status.pk}/edit/")
    expect(page.locator("[name='extra.sla_hours']")).to_have_count(0)
    page.locator("[name='extra.done']").check()
    page.locator("#save-record").click()
    expect(page.locator("[data-error-for='extra.closed']")).to_be_visible()
    assert Choice.objects.get(pk=status.pk).extra == {}
