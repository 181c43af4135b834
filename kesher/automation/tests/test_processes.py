"""Process templates: installing new-customer onboarding makes its parts through their services
and the process then runs; a template waiting for a module installs nothing (REQ AU-2, AU-4,
SV-11; issue 5 item 6)."""

import pytest
from django.core.exceptions import ValidationError

from kesher.activities.models import Task, TaskTemplate
from kesher.approvals.models import ApprovalProcess
from kesher.automation.models import InstalledProcess, Rule, RuleActionResult
from kesher.automation.processes import process_install
from kesher.customers.services import account_update
from kesher.customers.tests.factories import make_account, make_contact
from kesher.integrations.models import EmailTemplate, OutgoingMessage
from kesher.platform.models import Choice

pytestmark = pytest.mark.django_db


def test_au4_onboarding_installs_its_parts_and_runs(users, worker):
    admin, rep = users["admin"], users["sales_rep"]
    installed = process_install("customer-onboarding", actor=admin)
    assert sorted(Rule.objects.values_list("trigger_kind", flat=True)) == ["idle", "status_entered"]
    assert TaskTemplate.objects.count() == 3
    assert EmailTemplate.objects.get().entity == "accounts"
    assert ApprovalProcess.objects.get(entity="accounts").steps == [{"approver": "manager"}]
    assert len(installed.created["records"]) == 7
    welcome = Rule.objects.get(trigger_kind="status_entered")
    kickoff = TaskTemplate.objects.get(name="קליטה: פגישת התנעה")
    assert {"type": "create_task", "template": kickoff.pk} in welcome.actions

    account = make_account(rep, name="לקוח חדש בע״מ", owner=rep, email="new@example.co.il")
    active = Choice.objects.get(list_key="account_status", value="active")
    with worker():
        account_update(account, actor=rep, data={"status": active})
    titles = sorted(Task.objects.filter(link_id=account.pk).values_list("title", flat=True))
    assert titles == ["לתאם פגישת התנעה עם לקוח חדש בע״מ", "שיחת ברוכים הבאים ללקוח חדש בע״מ"]
    assert set(Task.objects.values_list("assignee", flat=True)) == {rep.pk}
    message = OutgoingMessage.objects.get()
    assert message.to == "new@example.co.il"
    assert "לקוח חדש בע״מ" in message.subject
    assert list(account.tags.values_list("name", flat=True)) == ["קליטה"]


def test_a_template_installs_once_and_only_by_an_administrator(users):
    with pytest.raises(ValidationError) as refused:
        process_install("customer-onboarding", actor=users["sales_rep"])
    assert "key" in refused.value.message_dict
    assert Rule.objects.count() == 0
    process_install("customer-onboarding", actor=users["admin"])
    with pytest.raises(ValidationError):
        process_install("customer-onboarding", actor=users["admin"])
    assert Rule.objects.count() == 2
    assert InstalledProcess.objects.count() == 1


def test_sv11_service_process_installs_once_tickets_exist(users):
    """The service module (issue 18) brings tickets, so the seed-000 template no longer waits:
    it adds its statuses beside the built-in ones, its task templates and its rules."""
    process_install("service-request", actor=users["admin"])
    statuses = set(Choice.objects.filter(list_key="ticket_status").values_list("value", flat=True))
    assert {"new", "classified", "in_development", "in_qa", "closed"} <= statuses
    assert TaskTemplate.objects.filter(name="שירות: סיווג ומענה ראשון").exists()
    assert Rule.objects.filter(entity="tickets", trigger_kind="created").exists()


def test_sv11_each_hand_over_of_the_service_process_creates_the_next_teams_task(users, worker):
    """Seed 000: support classifies and answers, development fixes, QA verifies. The template
    adds the developers' and QA's roles (with the support agents' rights), and moving the
    ticket to development or to QA gives a task to someone of that role."""
    from conftest import make_user
    from kesher.org.models import Role
    from kesher.org.services import role_grants
    from kesher.service.services import ticket_create, ticket_update

    installed = process_install("service-request", actor=users["admin"])
    developer_role, qa_role = Role.objects.get(key="developer"), Role.objects.get(key="qa")
    assert sorted(installed.created["roles"]) == sorted([developer_role.pk, qa_role.pk])
    support = role_grants(Role.objects.get(key="support_agent"))
    assert role_grants(developer_role)["tickets"] == support["tickets"]
    assert role_grants(qa_role)["tasks"] == support["tasks"]
    developer, tester = make_user("dev1", "developer"), make_user("qa1", "qa")

    dana = make_contact(users["admin"], first_name="דנה", email="dana@customer.example")
    with worker():
        ticket = ticket_create(
            actor=users["support_agent"], data={"subject": "הדוח קורס", "contact": dana}
        )
        other = ticket_create(actor=users["support_agent"], data={"subject": "בלי איש קשר"})
    classify = Task.objects.get(link_type="tickets", link_id=ticket.pk)
    assert (classify.title, classify.assignee) == (
        f"לסווג ולתת מענה ראשון: {ticket.number} הדוח קורס",
        users["support_agent"],
    )
    for status, title, who in (
        ("in_development", "לתקן את התקלה", developer),
        ("in_qa", "לבדוק את התיקון", tester),
    ):
        with worker():
            ticket = ticket_update(
                ticket,
                actor=users["support_agent"],
                data={"status": Choice.objects.get(list_key="ticket_status", value=status)},
            )
        task = Task.objects.filter(link_type="tickets", link_id=ticket.pk).latest("pk")
        assert (task.title, task.assignee) == (f"{title}: {ticket.number} הדוח קורס", who)
    assert Task.objects.filter(link_type="tickets", link_id=ticket.pk).count() == 3

    # Closed: the customer is told by e-mail; a ticket with no contact is closed quietly.
    closed = Choice.objects.get(list_key="ticket_status", value="closed")
    with worker():
        ticket_update(ticket, actor=tester, data={"status": closed})
        ticket_update(other, actor=tester, data={"status": closed})
    message = OutgoingMessage.objects.get()
    assert (message.to, message.link_id) == ("dana@customer.example", ticket.pk)
    assert message.subject == f"הפנייה {ticket.number} נסגרה: הדוח קורס"
    assert "שלום דנה" in message.body_html
    assert not RuleActionResult.objects.filter(outcome="failed").exists()


def test_a_role_the_organization_already_has_is_kept(users):
    """An organization whose developers already have a role keeps it as it is."""
    from kesher.org.models import Role
    from kesher.org.services import role_create, role_grants

    mine = role_create(
        actor=users["admin"],
        data={"key": "developer", "name_he": "המפתחים שלנו", "name_en": "Our developers"},
    )
    installed = process_install("service-request", actor=users["admin"])
    assert installed.created["roles"] == [Role.objects.get(key="qa").pk]
    mine.refresh_from_db()
    assert mine.name_he == "המפתחים שלנו"
    assert role_grants(mine)["tickets"]["view"] is False


def test_a_part_that_no_longer_fits_installs_nothing(users):
    """A pick-list value the template relies on was removed: the install names the part and
    leaves no half-made process behind."""
    Choice.objects.filter(list_key="task_type", value="meeting").delete()
    with pytest.raises(ValidationError) as error:
        process_install("customer-onboarding", actor=users["admin"])
    assert "פגישת התנעה" in error.value.messages[0]
    assert EmailTemplate.objects.count() == 0
    assert TaskTemplate.objects.count() == 0
    assert InstalledProcess.objects.count() == 0


def test_pages_and_api(users, client_for, api_for):
    admin = users["admin"]
    page = client_for(admin).get("/automation/processes/").content.decode()
    assert 'id="install-customer-onboarding"' in page
    assert 'id="install-service-request"' in page  # tickets exist (issue 18)
    assert client_for(users["sales_rep"]).get("/automation/processes/").status_code == 403
    response = client_for(admin).post("/automation/processes/customer-onboarding/install/")
    assert response.status_code == 302
    assert InstalledProcess.objects.filter(key="customer-onboarding").exists()

    api = api_for(admin, "en")
    listed = {row["key"]: row for row in api.get("/api/v1/process-templates/").json()}
    assert listed["customer-onboarding"]["installed_at"]
    assert listed["service-request"]["missing"] == []  # tickets exist (issue 18)
    again = api.post("/api/v1/process-templates/customer-onboarding/install/")
    assert again.status_code == 400
    assert "already installed" in again.json()["non_field_errors"][0]
    assert api.post("/api/v1/process-templates/nothing/install/").status_code == 404
    assert api_for(users["sales_rep"]).get("/api/v1/process-templates/").status_code == 403
