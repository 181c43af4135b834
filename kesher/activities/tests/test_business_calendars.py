"""Business calendars are edited by administrators in the UI and the API (REQ TK-4): a company's
own working week, which its SLAs, business-time tasks and time-based automation count in."""

import datetime

import pytest

from kesher.activities.models import BusinessCalendar
from kesher.activities.services import calendar_for, calendar_of
from kesher.org.models import Company

pytestmark = pytest.mark.django_db

URL = "/api/v1/business-calendars/"


@pytest.fixture
def company():
    return Company.objects.create(name="עובדים בשישי", company_number="515555555")


def test_an_admin_gives_a_company_its_own_week(users, api_for, company):
    api = api_for(users["admin"])
    response = api.post(
        URL,
        {
            "name": "כולל שישי בבוקר",
            "company": company.pk,
            "day_start": "08:00",
            "day_end": "16:00",
            "friday": True,
            "friday_end": "12:00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["display"] == "כולל שישי בבוקר"
    week = calendar_of(company.pk)
    assert (week.day_start, week.day_end, week.friday) == (
        datetime.time(8),
        datetime.time(16),
        True,
    )
    assert calendar_of(None).friday is False  # the default calendar is unchanged
    users["sales_rep"].companies.add(company)
    assert calendar_for(users["sales_rep"]).friday is True
    listed = api.get(URL).json()["results"]
    assert {row["company"] for row in listed} == {None, company.pk}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"day_start": "17:00", "day_end": "09:00"}, "day_end"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"time_zone": "<script>alert(1)</script>"}, "time_zone"),
        ({"day_start": "soon"}, "day_start"),
        ({"friday": "maybe"}, "friday"),
        ({"company": 999999}, "company"),
        ({"company": None}, "company"),  # the default calendar exists already
    ],
)
def test_bad_calendars_are_refused_naming_the_field(users, api_for, company, data, field):
    before = BusinessCalendar.objects.count()
    response = api_for(users["admin"]).post(URL, {"company": company.pk, **data}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert BusinessCalendar.objects.count() == before


def test_errors_are_translated(users, api_for, company):
    data = {"company": company.pk, "day_start": "17:00", "day_end": "09:00"}
    hebrew = api_for(users["admin"]).post(URL, data, format="json").json()
    english = api_for(users["admin"], language="en").post(URL, data, format="json").json()
    assert hebrew["day_end"] != english["day_end"]
    assert english["day_end"] == ["The working day must end after it starts."]


def test_the_pages_show_the_calendars(users, client_for, company):
    BusinessCalendar.objects.create(company=company, friday=True)
    page = client_for(users["admin"]).get("/r/business-calendars/").content.decode()
    assert "עובדים בשישי" in page
    assert "לוח עבודה ברירת מחדל" in page
    assert "17:30" in page
    assert "17:30:00" not in page
    form = client_for(users["admin"]).get("/r/business-calendars/new/").content.decode()
    assert 'type="time"' in form
    assert 'value="08:30"' in form
