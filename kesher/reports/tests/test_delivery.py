"""Reports as files and by e-mail (issue 21 "Delivery"; decision 0099): CSV, XLSX and PDF of a
report hold the reader's figures only; a scheduled report is run once per recipient as that
recipient, queued through the outbox (suppressed in the practice environment), once per due
time; refusals are translated and write nothing."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from kesher.integrations.delivery import deliver_messages
from kesher.integrations.models import OutgoingMessage
from kesher.org.models import Role
from kesher.platform.models import AuditEntry
from kesher.reports import delivery, exports
from kesher.reports.models import ReportDeliveryFile, ReportSchedule
from kesher.reports.services import report_create
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("Asia/Jerusalem")


@pytest.fixture
def deals(users):
    owners = [users["sales_rep"], users["sales_rep"], users["sales_rep2"], users["manager"]]
    return [
        make_opportunity(users["admin"], name=f"עסקה {i}", owner=o, amount=Decimal(100 * (i + 1)))
        for i, o in enumerate(owners)
    ]


@pytest.fixture
def report(users, deals):
    """Deals by owner, shared with the sales reps' role."""
    made = report_create(
        actor=users["admin"],
        data={
            "name": "עסקאות לפי בעלים",
            "definition": {
                "entity": "opportunities",
                "group_by": [{"field": "owner"}],
                "measures": [{"agg": "count"}, {"agg": "sum", "field": "amount"}],
            },
        },
        m2m={"shared_roles": [Role.objects.get(key="sales_rep")]},
    )
    return made


def _csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_exports_hold_only_the_reader_s_figures(report, users, client_for):
    rep = client_for(users["sales_rep"]).get(f"/reports/{report.pk}/export/csv/")
    assert rep.status_code == 200
    assert rep["Content-Type"].startswith("text/csv")
    assert "attachment" in rep["Content-Disposition"]
    rows = _csv_rows(rep.content)
    assert rows[0] == ["אחראי", "ספירה", "סה״כ: סכום"]
    assert rows[1:] == [["rep1", "2", "300.0"]]  # his two deals, no one else's name
    admin = _csv_rows(client_for(users["admin"]).get(f"/reports/{report.pk}/export/csv/").content)
    assert sorted(r[0] for r in admin[1:]) == ["manager1", "rep1", "rep2"]
    assert sum(int(r[1]) for r in admin[1:]) == 4


def test_xlsx_is_right_to_left_with_numbers(report, users, client_for):
    answer = client_for(users["admin"]).get(f"/reports/{report.pk}/export/xlsx/")
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet.sheet_view.rightToLeft
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("אחראי", "ספירה", "סה״כ: סכום")
    assert {v[0]: (v[1], v[2]) for v in values[1:]}["rep1"] == (2, 300)


def test_pdf_and_refusals(report, users, client_for):
    client = client_for(users["sales_rep"])
    answer = client.get(f"/reports/{report.pk}/export/pdf/", {"period": "this_year"})
    assert answer.status_code == 200
    assert answer.content.startswith(b"%PDF")
    assert client.get(f"/reports/{report.pk}/export/doc/").status_code == 404
    bad = client.get(f"/reports/{report.pk}/export/csv/", {"filter": '{"field": "nope"}'})
    assert bad.status_code == 400
    assert "report-errors" in bad.content.decode()
    # Not shared with the support agent: no such report for him.
    assert client_for(users["support_agent"]).get(
        f"/reports/{report.pk}/export/csv/"
    ).status_code in (403, 404)


def test_the_api_export(report, users, api_for):
    answer = api_for(users["sales_rep"], language="en").get(
        f"/api/v1/reports/{report.pk}/export/xlsx/"
    )
    assert answer.status_code == 200
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert not sheet.sheet_view.rightToLeft
    assert list(sheet.iter_rows(values_only=True))[1:] == [("rep1", 2, 300)]
    assert api_for(users["support_agent"]).get(
        f"/api/v1/reports/{report.pk}/export/csv/"
    ).status_code in (403, 404)
    assert (
        api_for(users["sales_rep"]).get(f"/api/v1/reports/{report.pk}/export/exe/").status_code
        == 404
    )


def _schedule(users, report, **data):
    return delivery.schedule_create(
        actor=users["admin"],
        data={"report": report, "frequency": "daily", "hour": 7, "formats": "xlsx", **data},
        m2m={"recipients": [users["admin"], users["sales_rep"]]},
    )


def _names_in(message) -> set[str]:
    (name, content, _mime), *_ = delivery.delivery_attachments(message)
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    return {row[0] for row in list(sheet.iter_rows(values_only=True))[1:]}


def test_each_recipient_gets_his_own_figures_once(report, users):
    schedule = _schedule(users, report, note="לישיבת ההנהלה")
    assert schedule.next_run_at is not None
    assert schedule.next_run_at.astimezone(ZONE).hour == 7
    due = schedule.next_run_at
    assert delivery.schedules_send_due(now=due - datetime.timedelta(minutes=1)) == 0
    assert delivery.schedules_send_due(now=due) == 2
    messages = {m.to: m for m in OutgoingMessage.objects.filter(link_type="report-schedules")}
    assert _names_in(messages["rep1@example.co.il"]) == {"rep1"}
    assert _names_in(messages["admin1@example.co.il"]) == {"rep1", "rep2", "manager1"}
    assert "לישיבת ההנהלה" in messages["rep1@example.co.il"].body_html
    assert messages["rep1@example.co.il"].subject == "דוח: עסקאות לפי בעלים"
    schedule.refresh_from_db()
    assert schedule.last_run_at == due
    assert schedule.next_run_at == due + datetime.timedelta(days=1)
    # Another tick at the same moment sends nothing more.
    assert delivery.schedules_send_due(now=due) == 0
    assert deliver_messages() == 2
    sent = {m.to[0]: m for m in mail.outbox}
    assert sent["rep1@example.co.il"].attachments[0][0].endswith(".xlsx")


def test_the_practice_environment_suppresses_them(report, users, settings):
    settings.KESHER_PRACTICE = True
    schedule = _schedule(users, report)
    assert delivery.schedules_send_due(now=schedule.next_run_at) == 2
    statuses = set(
        OutgoingMessage.objects.filter(link_type="report-schedules").values_list(
            "status", flat=True
        )
    )
    assert statuses == {OutgoingMessage.Status.SUPPRESSED}
    assert deliver_messages() == 0
    assert mail.outbox == []


def test_a_recipient_who_may_no_longer_read_it_is_skipped(report, users):
    schedule = _schedule(users, report, formats="pdf_xlsx")
    report.shared_roles.clear()
    assert delivery.schedules_send_due(now=schedule.next_run_at) == 1
    (message,) = OutgoingMessage.objects.filter(link_type="report-schedules")
    assert message.to == "admin1@example.co.il"
    files = delivery.delivery_attachments(message)
    assert [f[2] for f in files] == ["application/pdf", exports.MIME_TYPES["xlsx"]]


def test_refusals_are_translated_and_write_nothing(report, users):
    private = report_create(
        actor=users["admin"],
        data={"name": "פרטי", "definition": {"entity": "opportunities"}},
    )
    cases = [
        ({"report": private}, [users["sales_rep"]], "recipients", "רשאי"),
        ({"report": report}, [], "recipients", "נמען"),
        ({"report": report, "hour": 30}, [users["admin"]], "hour", ""),
        ({"report": report, "day_of_month": 31}, [users["admin"]], "day_of_month", ""),
    ]
    for data, recipients, field, word in cases:
        with pytest.raises(ValidationError) as error:
            delivery.schedule_create(
                actor=users["admin"], data=data, m2m={"recipients": recipients}
            )
        assert field in error.value.message_dict
        assert word in " ".join(error.value.message_dict[field])
    # A rep cannot schedule a report he may not read.
    with pytest.raises(ValidationError) as error:
        delivery.schedule_create(
            actor=users["sales_rep"],
            data={"report": private},
            m2m={"recipients": [users["sales_rep"]]},
        )
    assert "report" in error.value.message_dict
    assert not ReportSchedule.objects.exists()
    assert not AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(ReportSchedule)
    ).exists()


def test_the_api_and_page_create_and_refuse(report, users, api_for, client_for):
    api = api_for(users["sales_rep"])
    refused = api.post(
        "/api/v1/report-schedules/",
        {"report": report.pk, "recipients": [users["support_agent"].pk], "frequency": "weekly"},
        format="json",
    )
    assert refused.status_code == 400
    assert "רשאי" in str(refused.json())
    assert not ReportSchedule.objects.exists()
    made = api.post(
        "/api/v1/report-schedules/",
        {"report": report.pk, "recipients": [users["sales_rep"].pk], "frequency": "weekly"},
        format="json",
    )
    assert made.status_code == 201, made.json()
    schedule = ReportSchedule.objects.get()
    assert schedule.owner == users["sales_rep"]
    assert schedule.next_run_at.astimezone(ZONE).weekday() == 6  # Sunday
    page = client_for(users["sales_rep"]).get(f"/reports/{report.pk}/")
    assert f"/r/report-schedules/new/?report={report.pk}" in page.content.decode()
    form = client_for(users["sales_rep"]).get(f"/r/report-schedules/new/?report={report.pk}")
    assert form.status_code == 200


@pytest.mark.parametrize(
    ("frequency", "after", "expected"),
    [
        ("daily", datetime.datetime(2026, 12, 7, 6, 0), datetime.datetime(2026, 12, 7, 7, 0)),
        ("daily", datetime.datetime(2026, 12, 7, 7, 0), datetime.datetime(2026, 12, 8, 7, 0)),
        # 7 December 2026 is a Monday: the next Sunday is the 13th.
        ("weekly", datetime.datetime(2026, 12, 7, 8, 0), datetime.datetime(2026, 12, 13, 7, 0)),
        ("monthly", datetime.datetime(2026, 12, 7, 8, 0), datetime.datetime(2027, 1, 1, 7, 0)),
    ],
)
def test_next_run(frequency, after, expected):
    schedule = ReportSchedule(frequency=frequency, weekday=6, day_of_month=1, hour=7)
    got = delivery.next_run(schedule, after.replace(tzinfo=ZONE))
    assert got == expected.replace(tzinfo=ZONE)


def test_old_files_are_removed(report, users):
    schedule = _schedule(users, report)
    delivery.schedules_send_due(now=schedule.next_run_at)
    assert ReportDeliveryFile.objects.count() == 2
    ReportDeliveryFile.objects.update(
        created_at=timezone.now() - delivery.KEEP_FILES - datetime.timedelta(hours=1)
    )
    delivery.schedules_send_due(now=timezone.now())
    assert not ReportDeliveryFile.objects.exists()


def test_the_page_form_creates_and_refuses(report, users, client_for):
    client = client_for(users["sales_rep"])
    values = {
        "report": report.pk,
        "recipients": [users["support_agent"].pk],
        "frequency": "monthly",
        "weekday": 6,
        "day_of_month": 5,
        "hour": 8,
        "formats": "pdf",
        "note": "",
        "active": "on",
    }
    refused = client.post("/r/report-schedules/new/", values)
    assert refused.status_code in (200, 400)
    assert "רשאי" in refused.content.decode()
    assert not ReportSchedule.objects.exists()
    made = client.post(
        "/r/report-schedules/new/", {**values, "recipients": [users["sales_rep"].pk]}
    )
    assert made.status_code == 302
    schedule = ReportSchedule.objects.get()
    assert schedule.next_run_at.astimezone(ZONE).day == 5
    assert schedule.next_run_at.astimezone(ZONE).hour == 8
    detail = client.get(made["Location"])
    assert detail.status_code == 200
