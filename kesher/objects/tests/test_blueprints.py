"""Templates of kinds of record from seed 003 (issue 27 item 4; REQ AU-1, CX-7)."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from kesher.automation.models import Rule
from kesher.objects.blueprints import BLUEPRINTS, blueprint_install
from kesher.objects.models import CustomObject
from kesher.objects.testing import kinds_reloaded
from kesher.platform.models import Choice, CustomField
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _reloaded():
    with kinds_reloaded():
        yield


def test_contracts_install_with_fields_statuses_and_the_renewal_reminder(users):
    client = Client()
    client.force_login(users["admin"])
    assert client.get("/objects/templates/").status_code == 200
    response = client.post("/objects/templates/contracts/install/")
    assert response.status_code == 302
    assert "contracts" in registry
    assert CustomField.objects.filter(entity="contracts").count() == 6
    assert list(
        Choice.objects.filter(list_key="object-status-contracts").values_list("value", flat=True)
    ) == ["draft", "active", "renewal", "ended"]
    rule = Rule.objects.get(entity="contracts")
    assert rule.trigger_kind == "time"
    assert rule.trigger_config["field"] == "custom.renewal_date"
    # The account's page lists its contracts (the link field's other side).
    assert any(r.entity_key == "contracts" for r in registry.get("accounts").related_lists)
    with pytest.raises(ValidationError):
        blueprint_install("contracts", actor=users["admin"])


@pytest.mark.parametrize("key", list(BLUEPRINTS))
def test_every_template_installs(users, key):
    blueprint_install(key, actor=users["admin"])
    assert CustomObject.objects.filter(key=key).exists()
    assert client_page_ok(users, key)


def client_page_ok(users, key) -> bool:
    client = Client()
    client.force_login(users["admin"])
    return client.get(f"/r/{key}/new/").status_code == 200


def test_only_administrators_install(users):
    with pytest.raises(ValidationError):
        blueprint_install("candidates", actor=users["manager"])
    client = Client()
    client.force_login(users["manager"])
    assert client.post("/objects/templates/candidates/install/").status_code == 403
    assert not CustomObject.objects.exists()


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    """Commits as a request would: events reach the rules and the worker runs the runs."""
    from kesher.automation.engine import invalidate_rules

    invalidate_rules()
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    yield lambda: django_capture_on_commit_callbacks(execute=True)
    invalidate_rules()


def test_courses_install_two_kinds_and_welcome_each_new_student(users, worker):
    """Courses (seed 003): enrolments link a student (a contact) and a course, with a status;
    a new enrolment e-mails the student through the template's rule."""
    from kesher.customers.tests.factories import make_contact
    from kesher.integrations.models import OutgoingMessage
    from kesher.platform.records.services import record_create

    admin = users["admin"]
    blueprint_install("courses", actor=admin)
    assert {"courses", "enrolments"} <= set(registry.keys())
    assert list(
        Choice.objects.filter(list_key="object-status-enrolments").values_list("value", flat=True)
    ) == ["registered", "confirmed", "completed", "cancelled"]
    rule = Rule.objects.get(entity="enrolments")
    assert rule.actions[0]["to_field"] == "custom.student.email"
    # Each side lists the enrolments: the contact's page and the course's page.
    assert any(r.entity_key == "enrolments" for r in registry.get("contacts").related_lists)
    assert any(r.entity_key == "enrolments" for r in registry.get("courses").related_lists)

    student = make_contact(admin, first_name="דנה", last_name="לוי", email="dana@example.co.il")
    course = record_create(
        "courses", actor=admin, data={"name": "אקסל מתקדם", "custom": {"starts_on": "2027-03-01"}}
    )
    with worker():
        record_create(
            "enrolments",
            actor=admin,
            data={"name": "דנה לוי", "custom": {"student": student.pk, "course": course.pk}},
        )
    message = OutgoingMessage.objects.get()
    assert "dana@example.co.il" in message.to
    assert "אקסל מתקדם" in message.subject


def test_donations_link_donors_and_receipts(users):
    """Donations: the donor is a contact; the receipt a tax document of the billing module."""
    blueprint_install("donations", actor=users["admin"])
    fields = dict(CustomField.objects.filter(entity="donations").values_list("key", "link_entity"))
    assert fields["donor"] == "contacts"
    assert fields["receipt"] == "tax-documents"
    assert list(
        Choice.objects.filter(list_key="donation_method").values_list("value", flat=True)
    ) == ["transfer", "card", "cheque", "cash"]
    assert any(r.entity_key == "donations" for r in registry.get("contacts").related_lists)


def test_a_template_whose_second_kind_exists_installs_nothing(users):
    from kesher.objects.schema import custom_object_create

    custom_object_create(
        actor=users["admin"], data={"key": "enrolments", "name_he": "א", "plural_he": "א"}
    )
    with pytest.raises(ValidationError) as caught:
        blueprint_install("courses", actor=users["admin"])
    assert "enrolments" in str(caught.value)
    assert not CustomObject.objects.filter(key="courses").exists()
