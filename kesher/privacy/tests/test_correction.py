"""A correction passed on (Privacy Protection Law §14; issue 25 item 2; decision 0098): whoever
received the person's data in the three years before his request — by an export, a message or
a webhook — is found in Kesher's own logs and told what was corrected, once; the request keeps
whom it told."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from kesher.activities.models import Notification
from kesher.customers.tests.factories import make_contact
from kesher.integrations.models import OutgoingMessage, WebhookDelivery, WebhookSubscription
from kesher.platform.models import AuditEntry
from kesher.platform.records.services import record_update
from kesher.privacy.models import AccessEntry, SubjectRequest
from kesher.privacy.recipients import recipients, request_pass_on, since_for
from kesher.privacy.services import request_create

pytestmark = pytest.mark.django_db

OLD_EMAIL = "dana.old@example.co.il"
NEW_EMAIL = "dana.levi@example.co.il"
ACCOUNTANT = "accountant@example.co.il"


def _sent(contact, to, days_ago):
    at = timezone.now() - datetime.timedelta(days=days_ago)
    return OutgoingMessage.objects.create(
        channel="email",
        to=to,
        subject="Quote",
        body_text="…",
        status="sent",
        sent_at=at,
        link_type="contacts",
        link_id=contact.pk,
        source="test",
        idempotency_key=f"test:{to}:{days_ago}",
    )


@pytest.fixture
def world(users):
    admin = users["admin"]
    person = make_contact(admin, first_name="Dana", last_name="Levi", email=OLD_EMAIL)
    other = make_contact(admin, first_name="Avi", last_name="Cohen")
    now = timezone.now()
    log = AccessEntry.objects
    log.create(user=users["sales_rep"], action="export", entity="contacts", record_id=person.pk)
    # A list of contacts exported a year ago may hold him; one four years ago is too old.
    log.create(
        user=users["manager"],
        action="export",
        entity="contacts",
        at=now - datetime.timedelta(days=365),
    )
    log.create(
        user=users["support_agent"],
        action="export",
        entity="contacts",
        at=now - datetime.timedelta(days=4 * 365),
    )
    # Reading is not passing on; another person's export is not his.
    log.create(user=users["read_only"], action="read", entity="contacts", record_id=person.pk)
    log.create(user=users["read_only"], action="export", entity="contacts", record_id=other.pk)
    _sent(person, ACCOUNTANT, 30)
    _sent(person, OLD_EMAIL, 10)  # to the person himself: nobody else received it
    _sent(other, "someone@example.com", 5)
    crm = WebhookSubscription.objects.create(
        name="Billing system",
        url="https://billing.example.com/hook",
        secret="s",
        events=["created", "updated"],
    )
    WebhookDelivery.objects.create(
        subscription=crm,
        url=crm.url,
        secret="s",
        event="contacts.created",
        payload={"event": "contacts.created", "entity": "contacts", "id": person.pk},
        body="{}",
        status="delivered",
        delivered_at=now - datetime.timedelta(days=100),
        source="test",
        idempotency_key="test:hook",
    )
    return {"person": person, "webhook": crm}


def _correction(officer, person):
    return request_create(actor=officer, data={"contact": person, "kind": "correction"})


def test_the_recipients_are_found_in_the_logs_of_three_years(world, users, officer):
    request = _correction(officer, world["person"])
    found = {(r.kind, r.key): r.how for r in recipients(request.contact, since=since_for(request))}
    assert found == {
        ("user", str(users["sales_rep"].pk)): "export_person",
        ("user", str(users["manager"].pk)): "export_list",
        ("email", ACCOUNTANT): "message",
        ("webhook", str(world["webhook"].pk)): "webhook",
    }


def test_a_correction_is_passed_on_once_to_everyone_who_received_it(
    world, users, officer, django_assert_max_num_queries
):
    person = world["person"]
    request = _correction(officer, person)
    record_update(person, actor=users["admin"], data={"email": NEW_EMAIL})
    with django_assert_max_num_queries(40):
        done = request_pass_on(request, actor=officer)
    assert done.outcome["corrected"] == ["email"]
    told = {(r["kind"], r["told_by"]) for r in done.outcome["passed_on"]}
    assert told == {("user", "notification"), ("email", "email"), ("webhook", "webhook")}
    for key in ("sales_rep", "manager"):
        note = Notification.objects.get(user=users[key])
        assert (note.link_type, note.link_id) == ("contacts", person.pk)
        assert "Dana Levi" in note.display_text
    message = OutgoingMessage.objects.get(to=ACCOUNTANT, status__in=["queued", "suppressed"])
    assert NEW_EMAIL in message.body_html
    delivery = WebhookDelivery.objects.get(event="privacy.corrected")
    assert delivery.payload["corrected"] == {"email": NEW_EMAIL}
    assert AuditEntry.objects.filter(
        object_id=request.pk, changes__has_key="privacy.passed_on"
    ).exists()
    # Once: a second time is refused and sends nothing more.
    with translation.override("en"), pytest.raises(ValidationError, match="already passed on"):
        request_pass_on(done, actor=officer)
    assert Notification.objects.count() == 2


def test_nothing_is_passed_on_before_the_record_is_corrected_nor_for_other_requests(
    world, officer, api_for
):
    person = world["person"]
    request = _correction(officer, person)
    answer = api_for(officer, "he").post(f"/api/v1/privacy-requests/{request.pk}/pass-on/")
    assert answer.status_code == 400
    assert "לא תוקן" in answer.content.decode()
    access = request_create(actor=officer, data={"contact": person, "kind": "access"})
    answer = api_for(officer, "en").post(f"/api/v1/privacy-requests/{access.pk}/pass-on/")
    assert answer.status_code == 400
    assert "Only a request to correct" in answer.content.decode()
    assert not Notification.objects.exists()
    assert not WebhookDelivery.objects.filter(event="privacy.corrected").exists()
    assert SubjectRequest.objects.get(pk=request.pk).outcome == {}


def test_the_officer_reads_and_passes_on_through_the_api_and_the_page(
    world, users, officer, api_for, client_for
):
    person = world["person"]
    request = _correction(officer, person)
    listed = api_for(officer).get(f"/api/v1/privacy-requests/{request.pk}/recipients/")
    assert listed.status_code == 200
    assert {r["how"] for r in listed.json()} == {
        "export_person",
        "export_list",
        "message",
        "webhook",
    }
    for key in ("sales_rep", "manager", "support_agent"):
        refused = api_for(users[key]).get(f"/api/v1/privacy-requests/{request.pk}/recipients/")
        assert refused.status_code == 403
    page = client_for(officer).get(f"/r/privacy-requests/{request.pk}/", HTTP_ACCEPT_LANGUAGE="he")
    html = page.content.decode()
    assert 'id="request-recipients"' in html
    assert ACCOUNTANT in html
    assert 'id="request-pass-on"' in html
    record_update(person, actor=users["admin"], data={"email": NEW_EMAIL})
    client_for(officer).post(f"/privacy/requests/{request.pk}/pass-on/")
    assert SubjectRequest.objects.get(pk=request.pk).outcome["passed_on_at"]
    page = client_for(officer).get(f"/r/privacy-requests/{request.pk}/")
    assert 'id="request-pass-on"' not in page.content.decode()


def test_a_list_export_counts_only_if_it_held_him(world, users, officer):
    """A list's export names its records (id runs): one that held him passed his data on, one
    that did not is no recipient (an export logged before the ids were kept still counts)."""
    person = world["person"]
    log = AccessEntry.objects
    log.create(user=users["sales_rep2"], action="export", entity="contacts", records="")
    log.create(
        user=users["read_only"], action="export", entity="contacts", records=f"1-{person.pk - 1}"
    )
    log.create(
        user=users["support_agent"],
        action="export",
        entity="contacts",
        records=f"{person.pk - 1}-{person.pk + 5},{person.pk + 9}",
    )
    request = _correction(officer, person)
    found = {(r.kind, r.key): r.how for r in recipients(request.contact, since=since_for(request))}
    users_found = {key: how for (kind, key), how in found.items() if kind == "user"}
    assert users_found == {
        str(users["sales_rep"].pk): "export_person",
        str(users["manager"].pk): "export_list",  # logged without its records: may hold him
        str(users["support_agent"].pk): "export_list",
    }


def test_a_lead_only_persons_correction_is_passed_on_from_his_leads_records(
    users, officer, api_for, client_for
):
    """Someone who never became a contact (decision 0115): who exported his lead, was sent a
    message about it or received it by webhook is told what was corrected on the lead."""
    from kesher.sales.tests.factories import make_lead

    admin = users["admin"]
    lead = make_lead(admin, first_name="Noa", last_name="Shalev", email=OLD_EMAIL)
    other = make_lead(admin, first_name="Avi", last_name="Other")
    log = AccessEntry.objects
    log.create(user=users["sales_rep"], action="export", entity="leads", record_id=lead.pk)
    log.create(user=users["manager"], action="export", entity="leads", records=f"{lead.pk}")
    # Another lead's list, and a contacts' export holding the same id, are not his.
    log.create(user=users["read_only"], action="export", entity="leads", records=f"{other.pk}")
    log.create(
        user=users["support_agent"], action="export", entity="contacts", records=f"{lead.pk}"
    )
    OutgoingMessage.objects.create(
        channel="email",
        to=ACCOUNTANT,
        subject="Offer",
        body_text="…",
        status="sent",
        sent_at=timezone.now() - datetime.timedelta(days=20),
        link_type="leads",
        link_id=lead.pk,
        source="test",
        idempotency_key="test:lead-offer",
    )
    crm = WebhookSubscription.objects.create(
        name="Call centre", url="https://calls.example.com/hook", secret="s", events=["created"]
    )
    WebhookDelivery.objects.create(
        subscription=crm,
        url=crm.url,
        secret="s",
        event="leads.created",
        payload={"event": "leads.created", "entity": "leads", "id": lead.pk},
        body="{}",
        status="delivered",
        delivered_at=timezone.now() - datetime.timedelta(days=50),
        source="test",
        idempotency_key="test:lead-hook",
    )
    request = request_create(actor=officer, data={"lead": lead, "kind": "correction"})
    assert request.contact_id is None
    listed = api_for(officer).get(f"/api/v1/privacy-requests/{request.pk}/recipients/").json()
    assert {(r["kind"], r["how"]) for r in listed} == {
        ("user", "export_person"),
        ("user", "export_leads"),
        ("email", "message"),
        ("webhook", "webhook"),
    }
    page = client_for(officer).get(f"/r/privacy-requests/{request.pk}/")
    assert ACCOUNTANT in page.content.decode()
    record_update(lead, actor=admin, data={"email": NEW_EMAIL})
    answer = api_for(officer, "en").post(f"/api/v1/privacy-requests/{request.pk}/pass-on/")
    assert answer.status_code == 200, answer.content
    assert answer.json()["corrected"] == ["email"]
    for key in ("sales_rep", "manager"):
        note = Notification.objects.get(user=users[key])
        assert (note.link_type, note.link_id) == ("leads", lead.pk)
        assert "Noa Shalev" in note.display_text
    assert not Notification.objects.filter(
        user__in=[users["read_only"], users["support_agent"]]
    ).exists()
    message = OutgoingMessage.objects.get(to=ACCOUNTANT, status__in=["queued", "suppressed"])
    assert NEW_EMAIL in message.body_html
    assert (message.link_type, message.link_id) == ("leads", lead.pk)
    delivery = WebhookDelivery.objects.get(event="privacy.corrected")
    assert delivery.payload["entity"] == "leads"
    assert delivery.payload["id"] == lead.pk
    assert delivery.payload["corrected"] == {"email": NEW_EMAIL}


def test_a_message_about_a_record_of_his_is_a_recipient(world, users, officer):
    """Decision 0126: a quote made out to him, e-mailed to his accountant, passed his data on
    as a message about him did; a quote of someone else's, sent elsewhere, did not. The
    recipients cost the same statements whatever he holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.customers.tests.factories import make_account
    from kesher.quotes.tests.factories import make_quote

    admin, person = users["admin"], world["person"]
    family = make_account(admin, name="Levi family")
    request = _correction(officer, person)
    with CaptureQueriesContext(connection) as before:
        recipients(request.contact, since=since_for(request))
    his = make_quote(admin, family, contact=person)
    theirs = make_quote(admin, family)
    for quote, to in ((his, "office@levi.example.co.il"), (theirs, "elsewhere@example.com")):
        OutgoingMessage.objects.create(
            channel="email",
            to=to,
            subject="Quote",
            body_text="…",
            status="sent",
            sent_at=timezone.now(),
            link_type="quotes",
            link_id=quote.pk,
            source="test",
            idempotency_key=f"test:quote:{quote.pk}",
        )
    with CaptureQueriesContext(connection) as after:
        found = {
            (r.kind, r.key): r.how for r in recipients(request.contact, since=since_for(request))
        }
    assert found[("email", "office@levi.example.co.il")] == "message"
    assert ("email", "elsewhere@example.com") not in found
    assert len(after) == len(before)


def test_a_webhook_that_received_a_record_of_his_is_a_recipient(world, users, officer):
    """Decision 0126: a delivery of his ticket to an outside system passed his data on; one of
    another person's ticket did not."""
    from kesher.service.tests.factories import make_ticket

    admin, person = users["admin"], world["person"]
    helpdesk = WebhookSubscription.objects.create(
        name="Helpdesk", url="https://desk.example.com/hook", secret="s", events=["created"]
    )
    other = WebhookSubscription.objects.create(
        name="Other", url="https://other.example.com/hook", secret="s", events=["created"]
    )
    his, theirs = make_ticket(admin, contact=person), make_ticket(admin)
    for subscription, ticket in ((helpdesk, his), (other, theirs)):
        WebhookDelivery.objects.create(
            subscription=subscription,
            url=subscription.url,
            secret="s",
            event="tickets.created",
            payload={"event": "tickets.created", "entity": "tickets", "id": ticket.pk},
            body="{}",
            status="delivered",
            delivered_at=timezone.now(),
            source="test",
            idempotency_key=f"test:ticket:{ticket.pk}",
        )
    request = _correction(officer, person)
    found = {(r.kind, r.key) for r in recipients(request.contact, since=since_for(request))}
    assert ("webhook", str(helpdesk.pk)) in found
    assert ("webhook", str(other.pk)) not in found
