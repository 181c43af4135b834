"""Reports in the access log (issue 25 item 1: "record pages, lists, searches, exports, API
calls, reports"): running a report notes its entity read in aggregate and each record a
grouping names; its file, by page, API or scheduled e-mail, is an export of exactly those
records — so a correction reaches whoever received a report naming the person, and no one
else."""

import pytest
from django.contrib.auth import get_user_model

from kesher.customers.tests.factories import make_contact
from kesher.org.models import Role
from kesher.privacy.models import AccessEntry
from kesher.privacy.recipients import recipients, since_for
from kesher.privacy.services import request_create
from kesher.reports import delivery
from kesher.reports.services import report_create
from kesher.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(users):
    admin = users["admin"]
    dana = make_contact(admin, first_name="Dana", last_name="Levi")
    avi = make_contact(admin, first_name="Avi", last_name="Cohen")
    make_ticket(admin, contact=dana)
    make_ticket(admin, contact=dana)
    by_contact = report_create(
        actor=admin,
        data={
            "name": "Tickets by contact",
            "definition": {
                "entity": "tickets",
                "group_by": [{"field": "contact"}],
                "measures": [{"agg": "count"}],
            },
        },
        m2m={"shared_roles": [Role.objects.get(key="manager")]},
    )
    by_status = report_create(
        actor=admin,
        data={
            "name": "Contacts",
            "definition": {"entity": "contacts", "measures": [{"agg": "count"}]},
        },
    )
    return {"dana": dana, "avi": avi, "by_contact": by_contact, "by_status": by_status}


def logged(user, **filters):
    return sorted(
        AccessEntry.objects.filter(user=user, **filters).values_list(
            "action", "entity", "record_id", "records", "api"
        ),
        key=str,
    )


def test_running_a_report_notes_its_entity_and_the_records_it_names(
    world, users, client_for, api_for
):
    admin, dana = users["admin"], world["dana"]
    report = world["by_contact"]
    assert client_for(admin).get(f"/reports/{report.pk}/").status_code == 200
    assert logged(admin, action="report") == [
        ("report", "contacts", dana.pk, None, False),
        ("report", "tickets", None, None, False),
    ]
    assert api_for(admin).get(f"/api/v1/reports/{report.pk}/result/").status_code == 200
    assert ("report", "contacts", dana.pk, None, True) in logged(admin, action="report")
    # A reader who sees none of the tickets read the figures, and no one's name.
    manager = users["manager"]
    assert api_for(manager).get(f"/api/v1/reports/{report.pk}/result/").status_code == 200
    assert logged(manager, action="report") == [("report", "tickets", None, None, True)]


def test_a_reports_file_is_an_export_of_the_records_it_names(world, users, client_for, api_for):
    admin, dana = users["admin"], world["dana"]
    report = world["by_contact"]
    assert client_for(admin).get(f"/reports/{report.pk}/export/csv/").status_code == 200
    assert logged(admin, action="export") == [
        ("export", "contacts", None, str(dana.pk), False),
        ("export", "tickets", None, "", False),
    ]
    # Figures over contacts name nobody: the file held no one's data.
    counts = world["by_status"]
    assert api_for(admin).get(f"/api/v1/reports/{counts.pk}/export/csv/").status_code == 200
    assert ("export", "contacts", None, "", True) in logged(admin, action="export")


def test_a_scheduled_reports_email_is_logged_as_its_recipients_export(world, users, officer):
    admin, manager = users["admin"], users["manager"]
    dana, avi = world["dana"], world["avi"]
    schedule = delivery.schedule_create(
        actor=users["admin"],
        data={"report": world["by_contact"], "frequency": "daily", "hour": 7, "formats": "xlsx"},
        m2m={"recipients": [admin, manager]},
    )
    assert delivery.schedules_send_due(now=schedule.next_run_at) == 2
    assert ("export", "contacts", None, str(dana.pk), False) in logged(admin, action="export")
    # The manager's copy, run as him, holds none of the tickets he may not see: no one's data.
    assert ("export", "contacts", None, "", False) not in logged(manager, action="export")
    assert ("export", "tickets", None, "", False) in logged(manager, action="export")
    # A correction of Dana reaches the administrator; one of Avi, whom no file named, no one.
    User = get_user_model()
    for person, expected in ((dana, {admin.pk}), (avi, set())):
        request = request_create(actor=officer, data={"contact": person, "kind": "correction"})
        found = recipients(request.contact, since=since_for(request))
        told = {int(r.key) for r in found if r.kind == "user"}
        assert told == expected, User.objects.filter(pk__in=told)


def test_a_grouping_on_an_admin_defined_link_names_its_records(world, users, client_for):
    """Decision 0126: a report grouped by a custom link field (tickets by who referred them)
    names those records as a built-in link's grouping does — run, and in its file."""
    from kesher.platform.customfields.schema import custom_field_create
    from kesher.platform.registry import registry

    admin, dana, avi = users["admin"], world["dana"], world["avi"]
    custom_field_create(
        actor=admin,
        data={
            "entity": "tickets",
            "key": "referrer",
            "label_he": "ממליץ",
            "label_en": "Referred by",
            "type": "link",
            "link_entity": "contacts",
        },
    )
    registry.refresh()
    make_ticket(admin, contact=dana, custom={"referrer": avi.pk})
    report = report_create(
        actor=admin,
        data={
            "name": "Tickets by referrer",
            "definition": {
                "entity": "tickets",
                "group_by": [{"field": "custom.referrer"}],
                "measures": [{"agg": "count"}],
            },
        },
    )
    assert client_for(admin).get(f"/reports/{report.pk}/").status_code == 200
    assert logged(admin, action="report") == [
        ("report", "contacts", avi.pk, None, False),
        ("report", "tickets", None, None, False),
    ]
    assert client_for(admin).get(f"/reports/{report.pk}/export/csv/").status_code == 200
    assert logged(admin, action="export") == [
        ("export", "contacts", None, str(avi.pk), False),
        ("export", "tickets", None, "", False),
    ]
    # A correction of Avi reaches the administrator who received the file naming him.
    officer = users["admin"]
    request = request_create(actor=officer, data={"contact": avi, "kind": "correction"})
    found = recipients(request.contact, since=since_for(request))
    assert {int(r.key) for r in found if r.kind == "user"} == {admin.pk}
