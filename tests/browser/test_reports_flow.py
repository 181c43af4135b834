"""Reports in a real browser (issue 21, first slice): an administrator builds "revenue by owner"
as a bar chart in Hebrew, sees ECharts draw it right to left, saves it shared with sales reps,
and clicks a bar: the opportunities list opens with exactly that owner's deals. In English a
rep reads the same report — only his own figures — and drills down from the table under it.

REQ CX-8, RE-4, OR-3.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kesher.reports.models import Report
from kesher.sales.tests.factories import make_opportunity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _deals(users):
    for i, (owner, amount) in enumerate(
        [("sales_rep", 1000), ("sales_rep", 2500), ("sales_rep2", 4000), ("manager", 700)]
    ):
        make_opportunity(
            users["admin"], name=f"עסקה {i}", owner=users[owner], amount=Decimal(amount)
        )


def _click_bar(page, index: int, value: float) -> None:
    """Click the middle of bar ``index`` (ECharts draws SVG; its own API gives the pixel)."""
    box = page.locator(".report-chart").first.bounding_box()
    x, y = page.evaluate(
        """([index, value]) => {
            const chart = echarts.getInstanceByDom(document.querySelector('.report-chart'));
            return chart.convertToPixel({seriesIndex: 0}, [index, value / 2]);
        }""",
        [index, value],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def test_an_admin_builds_a_chart_and_drills_into_a_bar(users, open_page, log_in, screenshot):
    _deals(users)
    page = open_page()
    log_in(page, users["admin"].username)
    page.goto("/reports/build/")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.locator("#report-entity").select_option("opportunities")
    page.locator("#report-entity-choose").click()
    page.locator("#report-g1").select_option("owner")
    page.locator("#report-m1a").select_option("sum")
    page.locator("#report-m1f").select_option("amount")
    page.locator("#report-display").select_option("chart")
    page.locator("#report-chart").select_option("bar")
    page.locator("#report-preview").click()
    chart = page.locator(".report-chart.chart-drawn")
    expect(chart).to_be_visible()
    expect(chart.locator("svg")).to_have_count(1)
    page.locator("#report-name").fill("הכנסות לפי בעלים")
    page.locator("#report-roles").select_option(label="איש מכירות")
    page.locator("#report-save").click()
    page.wait_for_url(re.compile(r"/reports/\d+/$"))
    report = Report.objects.get(name="הכנסות לפי בעלים")
    assert report.version == 1
    expect(page.locator(".report-chart.chart-drawn svg")).to_have_count(1)
    # Hebrew axis labels and the table fallback beside the chart.
    expect(page.locator(".report-table")).to_contain_text("rep1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "report-chart-he")
    # Bars in the order of the table: manager1, rep1, rep2 (by owner id); rep1's is the second.
    rows = page.locator(".report-table tbody tr")
    labels = [
        (rows.nth(i).locator("td").first.text_content() or "").strip() for i in range(rows.count())
    ]
    index = labels.index("rep1")
    _click_bar(page, index, 3500)
    page.wait_for_url(re.compile(r"/r/opportunities/\?filter="))
    expect(page.locator("table tbody tr")).to_have_count(2)
    expect(page.locator("table tbody")).to_contain_text("עסקה 1")
    screenshot(page, "report-drill-he")


def test_a_rep_reads_his_own_figures_in_english_and_drills_down(
    users, open_page, log_in, screenshot
):
    _deals(users)
    from kesher.reports.services import report_create

    report = report_create(
        actor=users["admin"],
        data={
            "name": "Revenue by owner",
            "definition": {
                "entity": "opportunities",
                "group_by": [{"field": "owner"}],
                "measures": [{"agg": "sum", "field": "amount"}, {"agg": "count"}],
                "display": "chart",
                "chart": "bar",
            },
        },
        m2m={"shared_roles": [users["sales_rep"].role]},
    )
    rep = users["sales_rep"]
    rep.language = "en"
    rep.save(update_fields=["language"])
    page = open_page(language="en-US")
    log_in(page, rep.username)
    page.goto(f"/reports/{report.pk}/")
    expect(page.locator(".report-chart.chart-drawn svg")).to_have_count(1)
    table = page.locator(".report-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("rep1")
    expect(table).not_to_contain_text("rep2")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("h1")).to_contain_text("Revenue by owner")
    expect(page.locator("#report-filter-bar")).to_contain_text("Period")
    screenshot(page, "report-chart-en")
    page.locator(".report-table-wrap summary").click()
    table.locator("a[data-drill=row]").first.click()
    page.wait_for_url(re.compile(r"/r/opportunities/\?filter="))
    expect(page.locator("table tbody tr")).to_have_count(2)
