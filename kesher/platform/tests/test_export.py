"""Export of lists and saved views (REQ IM-5): what the user sees, only what they may see,
formulas neutralized (DESIGN.md security rules)."""

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from kesher.customers.models import Account
from kesher.platform.lists.export import neutralize
from kesher.platform.models import CustomField

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("x")', '\'=HYPERLINK("x")'),
        ("+972", "'+972"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("שלום", "שלום"),
        (None, ""),
    ],
)
def test_formulas_are_neutralized(value, expected):
    assert neutralize(value) == expected


def test_csv_export_follows_columns_filter_and_scope(users, client_for):
    CustomField.objects.create(entity="accounts", key="score", label_he="ציון", type="integer")
    rep, other = users["sales_rep"], users["sales_rep2"]
    Account.objects.create(name="=cmd|' /C calc'!A0", owner=rep, custom={"score": 5})
    Account.objects.create(name="שלי", city="חיפה", owner=rep, custom={"score": 9})
    Account.objects.create(name="לא שלי", owner=other, custom={"score": 9})
    expression = {"field": "custom.score", "op": "gte", "value": 1}
    response = client_for(rep).get(
        "/r/accounts/export.csv",
        {"columns": "name,city,custom.score", "filter": json.dumps(expression), "sort": "name"},
    )
    assert response["Content-Disposition"].startswith("attachment")
    rows = read_csv(response)
    assert rows[0] == ["שם", "עיר", "ציון"]
    assert sorted(r[0] for r in rows[1:]) == sorted(["'=cmd|' /C calc'!A0", "שלי"])
    assert ["שלי", "חיפה", "9"] in rows


def test_xlsx_export_is_right_to_left_in_hebrew(users, client_for):
    Account.objects.create(name="+1 בדיקה", owner=users["admin"])
    response = client_for(users["admin"]).get("/r/accounts/export.xlsx", {"columns": "name"})
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = workbook.active
    assert sheet.sheet_view.rightToLeft
    assert [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))] == ["'+1 בדיקה"]


def test_export_needs_view_permission(users, client_for):
    assert client_for(None).get("/r/accounts/export.csv").status_code == 302
    assert client_for(users["sales_rep"]).get("/r/users/export.csv").status_code == 200
    assert client_for(users["sales_rep"]).get("/r/field-rules/export.csv").status_code == 403
