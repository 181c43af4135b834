"""From a won deal to a draft invoice in a real browser, in Hebrew (right to left): the deal
is won on the board and its project is made from the template by the automation rule; the
project manager runs the timer from the project's page, a team member types his week on the
timesheet and submits it, the manager approves the hours, makes the draft invoice of them and
sees the project's profitability and everyone's utilisation; the member records his reserve
duty, which takes its days off his capacity on the planning board and in utilisation, and the
administrator exports the month's payroll, which locks its hours (decision 0122).

REQ PR-1, PR-2, PR-3, PR-4, RE-1, OR-7; issue 20; decisions 0116, 0122.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kesher.automation.engine import invalidate_rules
from kesher.automation.services import rule_create
from kesher.billing.models import TaxDocument
from kesher.catalogue.tests.factories import make_product
from kesher.customers.tests.factories import make_account
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.projects.models import Absence, Project, RunningTimer, TimeEntry
from kesher.projects.services import week_start
from kesher.projects.tests.factories import add_member
from kesher.sales.tests.factories import make_opportunity, stage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_won_deal_becomes_a_project_hours_and_a_draft_invoice(
    users, open_page, log_in, screenshot, settings
):
    # The worker runs what a request queues, as soon as it commits (one process here).
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    invalidate_rules()
    admin, rep, employee = users["admin"], users["sales_rep"], users["sales_rep2"]
    template = record_create(
        "project-templates",
        actor=admin,
        data={
            "name": "הטמעה",
            "phases": "אפיון\nהטמעה",
            "budget_hours": Decimal("80"),
            "billing_mode": Choice.objects.filter(list_key="project_billing_mode").first(),
        },
    )
    rule_create(
        actor=admin,
        data={
            "name": "עסקה שנסגרה → פרויקט",
            "entity": "opportunities",
            "trigger_kind": "status_entered",
            "trigger_config": {"value": str(stage("won"))},
            "actions": [{"type": "create_project", "template": template.pk}],
        },
    )
    record_create(
        "rate-cards",
        actor=admin,
        data={"name": "בסיס", "valid_from": datetime.date(2020, 1, 1), "hourly_rate": "300"},
    )
    for person, cost in ((rep, "150"), (employee, "100")):
        record_create(
            "cost-rates",
            actor=admin,
            data={"user": person, "valid_from": datetime.date(2020, 1, 1), "hourly_cost": cost},
        )
    hours = make_product(admin, name="שעות ייעוץ", kind="service")
    account = make_account(rep, name="מפעלי הגליל")
    deal = make_opportunity(rep, account=account, name="הטמעת CRM בגליל", owner=rep)

    # The rep wins the deal on the board, with the keyboard: its project is made.
    page = open_page()
    log_in(page, rep.username)
    page.goto("/sales/board/")
    page.locator(f"#move-{deal.pk}").select_option(str(stage("won").pk))
    page.locator(f"#move-{deal.pk}").press("Tab")
    page.keyboard.press("Enter")
    expect(
        page.locator(f".board-column[data-stage='{stage('won').pk}'] #deal-{deal.pk}")
    ).to_be_visible()
    project = Project.objects.get(opportunity=deal)
    assert project.owner == rep
    add_member(rep, project, employee)

    # The manager runs the timer from the project's page; it survives a reload.
    page.goto(f"/r/projects/{project.pk}/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#timer-start").click()
    expect(page.locator("#timer-running")).to_be_visible()
    # Its clock ticks on the page each minute (the browser's clock moved on, not waited for).
    page.clock.install()
    page.reload()
    expect(page.locator("#timer-running")).to_be_visible()
    expect(page.locator("#timer-elapsed")).to_have_text("0:00")
    expect(page.locator("#timer-elapsed")).to_have_attribute("aria-live", "off")
    page.clock.run_for(61_000)
    expect(page.locator("#timer-elapsed")).to_have_text("0:01")
    page.clock.run_for(60 * 60_000)
    expect(page.locator("#timer-elapsed")).to_have_text("1:01")
    # An hour and a half later (moved back here, not waited for).
    RunningTimer.objects.filter(user=rep).update(
        started_at=timezone.now() - datetime.timedelta(minutes=90)
    )
    page.locator("#timer-description").fill("פגישת אפיון")
    page.locator("#timer-stop").click()
    page.wait_for_url("**/projects/timesheet/?week=*")
    mine = TimeEntry.objects.get(user=rep)
    assert (mine.minutes, mine.description) == (90, "פגישת אפיון")
    page.locator("#timesheet-submit").click()
    expect(page.locator(f"input[name='c-{project.pk}-{mine.date.isoformat()}']")).to_be_disabled()

    # The team member types last week on his timesheet and submits it.
    start = week_start(timezone.localdate()) - datetime.timedelta(days=7)
    member = open_page()
    log_in(member, employee.username)
    member.goto(f"/projects/timesheet/?week={start.isoformat()}")
    member.locator(f"input[name='c-{project.pk}-{start.isoformat()}']").click()
    for value in ("8", "7:30", "6"):
        member.keyboard.type(value)
        member.keyboard.press("ArrowLeft")
    member.keyboard.press("Enter")
    expect(member.locator("#timesheet-total")).to_have_text("21:30")
    member.locator("#timesheet-submit").click()
    expect(member.locator(f"input[name='c-{project.pk}-{start.isoformat()}']")).to_be_disabled()

    # The manager approves the hours and invoices them.
    page.goto("/projects/approvals/")
    expect(page.locator("#approvals-form tbody tr")).to_have_count(4)
    page.locator("#approve-hours").click()
    expect(page.locator("#approvals-empty")).to_be_visible()
    page.goto("/projects/invoice/")
    expect(page.locator("#hours-waiting")).to_contain_text("23:00")
    page.locator("#invoice-product-search").fill("שעות")
    page.locator(f"[data-target=invoice-product][data-pick='{hours.pk}']").click()
    page.locator("#invoice-hours").click()
    page.wait_for_url("**/r/tax-documents/*/")
    document = TaxDocument.objects.get()
    assert document.status == TaxDocument.Status.DRAFT
    assert document.account == account
    assert document.net == Decimal("6900.00")  # 23 h × ₪300
    assert set(TimeEntry.objects.values_list("state", flat=True)) == {"billed"}
    screenshot(page, "projects-hours-invoice-he")

    # Its profitability: value ₪6,900, invoiced the same; the rep reads no cost rates.
    page.goto("/projects/profitability/")
    row = page.locator("#profitability-table tbody tr", has_text="הטמעת CRM בגליל")
    expect(row).to_contain_text("₪6,900.00")
    expect(row).not_to_contain_text("₪2,375.00")
    # The administrator sees the cost, 1.5 h × 150 + 21.5 h × 100, and the margin.
    boss = open_page()
    log_in(boss, admin.username)
    boss.goto("/projects/profitability/")
    row = boss.locator("#profitability-table tbody tr", has_text="הטמעת CRM בגליל")
    expect(row).to_contain_text("₪2,375.00")
    expect(row).to_contain_text("₪4,525.00")
    screenshot(boss, "projects-profitability-he")
    # Utilisation: both people, their hours as hours.
    page.goto(f"/projects/utilisation/?date_from={start.isoformat()}")
    expect(page.locator("#utilisation-table tbody tr")).to_have_count(2)
    expect(page.locator("#utilisation-table")).to_contain_text("21:30")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The team member will be on reserve duty next Sunday and Monday: he records it himself.
    next_week = week_start(timezone.localdate()) + datetime.timedelta(days=7)
    member.goto("/r/absences/new/")
    reserve = Choice.objects.get(list_key="absence_kind", value="reserve_duty")
    member.locator("#id_kind").select_option(str(reserve.pk))
    member.locator("#id_start_date").fill(next_week.isoformat())
    member.locator("#id_end_date").fill((next_week + datetime.timedelta(days=1)).isoformat())
    member.locator("#id_notes").fill("צו 8")
    member.locator("form.entity-form button[type=submit], form button.btn-primary").first.click()
    member.wait_for_url("**/r/absences/*/")
    absence = Absence.objects.get()
    assert (absence.user, absence.kind) == (employee, reserve)
    # The administrator plans him 40 hours that week: the board shows the 27 left, in red.
    record_create(
        "allocations",
        actor=admin,
        data={"project": project, "user": employee, "week": next_week, "hours": "40"},
    )
    boss.goto(f"/projects/board/?start={next_week.isoformat()}")
    cell = boss.locator("#planning-board tbody tr", has_text=str(employee)).locator("td").first
    expect(cell).to_contain_text("40")
    expect(cell).to_contain_text("/ 27")
    expect(cell).to_have_class(re.compile("table-danger"))
    screenshot(boss, "projects-board-absence-he")
    # Utilisation to the end of next week: his capacity less the 17.2 hours away.
    boss.goto(
        f"/projects/utilisation/?date_from={start.isoformat()}"
        f"&date_to={(next_week + datetime.timedelta(days=6)).isoformat()}"
    )
    row = boss.locator("#utilisation-table tbody tr", has_text=str(employee))
    expect(row.locator(".utilisation-absent")).to_have_text("17.20")
    screenshot(boss, "projects-utilisation-absence-he")

    # The administrator exports the payroll of last week's month: its hours are locked.
    boss.goto(f"/projects/payroll/?month={start:%Y-%m}")
    with boss.expect_download() as download:
        boss.locator("#payroll-csv").click()
    assert download.value.suggested_filename == f"payroll-{start:%Y-%m}.csv"
    exported = TimeEntry.objects.filter(date__year=start.year, date__month=start.month)
    assert exported.exists()
    assert not exported.filter(exported_at__isnull=True).exists()
    boss.reload()
    expect(boss.locator("#payroll-exported")).to_be_visible()
    expect(boss.locator("#payroll-reopen")).to_be_visible()
    screenshot(boss, "projects-payroll-exported-he")
