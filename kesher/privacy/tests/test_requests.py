"""Data-subject requests (REQ OR-8, issue 25 item 2): a request is due in 30 days; everything
about a person is found in every kind of record, handed over as JSON, CSV and a page, and erased
everywhere — pages, API, search, timeline, notifications — while a record the law keeps keeps
its required fields and is marked."""

import datetime
import json
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesher.activities.messages import REMINDER
from kesher.activities.models import Notification
from kesher.activities.services import notify
from kesher.activities.tests.factories import make_interaction
from kesher.customers.tests.factories import make_account, make_contact
from kesher.marketing.services import consent_create
from kesher.objects.schema import custom_object_create
from kesher.objects.testing import kinds_reloaded
from kesher.platform.customfields.schema import custom_field_create
from kesher.platform.models import AuditEntry, Choice, SearchToken
from kesher.platform.records.attachments import attachment_add
from kesher.platform.records.services import record_create, record_update
from kesher.platform.registry import registry
from kesher.privacy import services
from kesher.privacy.models import RequestStatus
from kesher.privacy.selectors import subject_data
from kesher.quotes.tests.factories import make_quote
from kesher.sales.tests.factories import make_opportunity
from kesher.service.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

NAME = "Mizrahi"
EMAIL = "yael.m@example.co.il"
PHONE_DIALLED = "050-1234567"


@pytest.fixture
def memberships(users):
    """An administrator's own kind of record, with a link to a person (decision 0073)."""
    with kinds_reloaded():
        custom_object_create(
            actor=users["admin"],
            data={
                "key": "memberships",
                "name_he": "חברות",
                "name_en": "Membership",
                "plural_he": "חברויות",
                "plural_en": "Memberships",
                "has_owner": True,
            },
        )
        custom_field_create(
            actor=users["admin"],
            data={
                "entity": "memberships",
                "key": "member",
                "label_he": "חבר",
                "label_en": "Member",
                "type": "link",
                "link_entity": "contacts",
            },
        )
        registry.refresh()
        yield registry.get("memberships")


@pytest.fixture
def person(users, memberships):
    """Yael, with a ticket, an interaction, a consent, a membership, a file and a notification."""
    rep = users["sales_rep"]
    family = make_account(rep, name="Family business")
    yael = make_contact(
        rep,
        first_name="Yael",
        last_name=NAME,
        email=EMAIL,
        mobile=PHONE_DIALLED,
        israeli_id="123456782",
        city="Haifa",
        account_links=[{"account": family, "role": f"Owner, {NAME}"}],
    )
    make_opportunity(rep, name=f"Deal with {NAME}", account=family, m2m={"contacts": [yael]})
    make_quote(rep, family, contact=yael, notes=f"Quoted to {EMAIL}")
    record_update(yael, actor=rep, data={"city": "Akko"})  # a change in her history
    ticket = make_ticket(
        rep,
        contact=yael,
        subject=f"Refund for Yael {NAME}",
        description=f"Call her back on {PHONE_DIALLED}",
    )
    make_interaction(rep, yael, subject=f"Call with {NAME}", body=f"Wrote to {EMAIL}")
    consent_create(
        actor=rep,
        data={
            "contact": yael,
            "channel": "email",
            "kind": "consent",
            "method": Choice.objects.get(list_key="consent_method", value="form"),
            "proof": f"Signed by Yael {NAME}",
        },
    )
    record_create(
        "memberships", actor=rep, data={"name": f"Gold: {NAME}", "custom": {"member": yael.pk}}
    )
    attachment_add(
        yael, actor=rep, uploaded=SimpleUploadedFile("id.txt", b"scan", content_type="text/plain")
    )
    notify(
        users["manager"],
        verb="reminder",
        message=REMINDER,
        params={"title": f"Refund for Yael {NAME}"},
        record=ticket,
    )
    return yael


def deletion(officer, person, **data):
    return services.request_create(
        actor=officer, data={"contact": person, "kind": "deletion", **data}
    )


def test_a_request_is_due_thirty_days_after_it_arrives(officer, users):
    yael = make_contact(users["sales_rep"], first_name="Yael")
    request = services.request_create(
        actor=officer,
        data={"contact": yael, "kind": "access", "received_on": datetime.date(2026, 1, 4)},
    )
    assert request.due_on == datetime.date(2026, 2, 3)
    assert request.status == RequestStatus.OPEN


def test_everything_about_a_person_is_found_in_every_kind_of_record(person):
    subject_data(person)  # content types and the registry, once per process
    with CaptureQueriesContext(connection) as queries:
        data = subject_data(person)
    kinds = {group.key: len(group.records) for group in data.found}
    # Two statements find which kinds hold anything of her (linked, then "about"); then one
    # read per kind found, the custom links (their definitions, then one read each), her files
    # and her history — never a query per kind that holds nothing (decision 0098).
    assert len(queries) <= 2 + len(kinds) + 2 + 2, [q["sql"][:80] for q in queries]
    for key in (
        "tickets",
        "interactions",
        "consents",
        "memberships",
        "activities.notification",
        "opportunities",
        "quotes",
        "customers.contactaccount",
    ):
        assert kinds.get(key) == 1, (key, kinds)
    assert [a.name for a in data.attachments] == ["id.txt"]
    assert len(data.history) == 4  # created, linked to her account, moved to Akko, a file


def test_the_person_s_data_is_handed_over_as_json_csv_and_a_page(
    officer, person, client_for, api_for
):
    request = services.request_create(actor=officer, data={"contact": person, "kind": "access"})
    client = client_for(officer)
    page = client.get(f"/privacy/requests/{request.pk}/data/").content.decode()
    assert f"Refund for Yael {NAME}" in page
    assert f"Gold: {NAME}" in page
    exported = json.loads(client.get(f"/privacy/requests/{request.pk}/data.json").content)
    assert exported["person"]["fields"]["email"] == EMAIL
    assert {r["kind"] for r in exported["records"]} >= {"tickets", "consents", "memberships"}
    assert "Akko" in json.dumps(exported["history"])
    csv = client.get(f"/privacy/requests/{request.pk}/data.csv").content.decode("utf-8-sig")
    assert f"Signed by Yael {NAME}" in csv
    assert api_for(officer).get(f"/api/v1/privacy-requests/{request.pk}/data/").json() == exported
    # Handing it over is an export of the person, in the access log.
    assert client.post(f"/privacy/requests/{request.pk}/answered/").status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.ANSWERED
    assert request.answered_at


def test_only_a_request_to_delete_anonymizes(officer, person):
    request = services.request_create(actor=officer, data={"contact": person, "kind": "access"})
    with pytest.raises(ValidationError):
        services.request_anonymize(request, actor=officer)
    person.refresh_from_db()
    assert person.last_name == NAME


def test_anonymizing_erases_the_person_everywhere(officer, users, person, client_for, api_for):
    """Pages, API, search, timeline and notifications (issue 25 "Tests that must pass")."""
    request = deletion(officer, person)
    response = client_for(officer).post(f"/privacy/requests/{request.pk}/anonymize/")
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.ANONYMIZED
    secrets = (NAME, EMAIL, "1234567", "123456782", "Yael")

    def clean(text: str) -> bool:
        return not any(secret.lower() in text.lower() for secret in secrets)

    admin = users["admin"]
    pages = [
        f"/r/contacts/{person.pk}/",
        f"/r/contacts/{person.pk}/timeline/",
        "/r/tickets/",
        "/r/interactions/",
        "/r/memberships/",
        "/r/consents/",
        "/r/opportunities/",
        "/r/quotes/",
    ]
    for url in pages:
        page = client_for(admin).get(url)
        assert page.status_code == 200, url
        assert clean(page.content.decode()), url
    for url in (
        "/api/v1/contacts/",
        "/api/v1/tickets/",
        "/api/v1/interactions/",
        "/api/v1/consents/",
        "/api/v1/opportunities/",
        "/api/v1/quotes/",
    ):
        assert clean(api_for(admin).get(url).content.decode()), url
    notes = api_for(users["manager"]).get("/api/v1/notifications/").content.decode()
    assert clean(notes)
    assert clean(str([n.display_text for n in Notification.objects.all()]))
    for word in ("mizrahi", "yael"):
        assert not SearchToken.objects.filter(token__startswith=word).exists()
        found = client_for(admin).get("/search/", {"q": word}).content.decode()
        assert f"/r/contacts/{person.pk}/" not in found
    history = json.dumps(
        list(AuditEntry.objects.values("changes", "object_repr")), ensure_ascii=False
    )
    assert clean(history)
    person.refresh_from_db()
    assert (person.email, person.mobile, person.israeli_id) == ("", "", "")
    assert person.birthday is None
    # The links stay: the ticket is still the (anonymous) person's.
    assert subject_data(person).found


def test_a_record_the_law_keeps_keeps_its_required_fields_and_is_marked(
    officer, person, monkeypatch, client_for
):
    tickets = registry.get("tickets")
    # Standing in for an issued tax invoice (a billing app marks its issued documents so).
    monkeypatch.setattr(tickets, "retained_by_law", lambda ticket: True)
    monkeypatch.setattr(tickets, "retained_fields", ("subject",))
    request = services.request_anonymize(deletion(officer, person), actor=officer)
    ticket = tickets.model.objects.get(contact=person)
    assert ticket.subject == f"Refund for Yael {NAME}"
    assert PHONE_DIALLED not in ticket.description
    assert request.outcome["kept"] == [
        {"entity": "tickets", "id": ticket.pk, "fields": ["subject"]}
    ]
    # The request's page names the kinds by their names, not their keys.
    page = client_for(officer).get(f"/r/privacy-requests/{request.pk}/").content.decode()
    outcome = page.split('id="request-outcome"')[1].split("</section>")[0]
    assert f"<bdi>פניות #{ticket.pk}</bdi>" in outcome
    assert "<bdi>tickets" not in outcome
    assert AuditEntry.objects.filter(
        object_id=ticket.pk, changes__has_key="privacy.kept_by_law"
    ).exists()


def test_the_backups_made_before_are_said_to_age_out(officer, person, client_for, settings):
    """The erasure says until when the backups made before it hold his data (issue 25)."""
    settings.KESHER_BACKUP_KEEP_DAYS = 0
    settings.KESHER_BACKUP_EVERY_HOURS = 0
    request = services.request_anonymize(deletion(officer, person), actor=officer)
    assert request.outcome["backups_until"] is None
    page = client_for(officer).get(f"/r/privacy-requests/{request.pk}/").content.decode()
    assert "KESHER_BACKUP_KEEP_DAYS" in page
    settings.KESHER_BACKUP_KEEP_DAYS = 30
    other = make_contact(officer, first_name="Other", last_name="Person")
    request = services.request_anonymize(deletion(officer, other), actor=officer)
    until = datetime.datetime.fromisoformat(request.outcome["backups_until"])
    assert until - request.answered_at == datetime.timedelta(days=30)
    page = client_for(officer).get(f"/r/privacy-requests/{request.pk}/").content.decode()
    assert timezone.localtime(until).strftime("%d/%m/%Y") in page


def test_anonymizing_twice_is_refused(officer, person):
    request = services.request_anonymize(deletion(officer, person), actor=officer)
    with pytest.raises(ValidationError):
        services.request_anonymize(request, actor=officer)


def test_a_phone_is_found_however_it_was_written(users):
    yael = make_contact(users["sales_rep"], first_name="Yael", mobile=PHONE_DIALLED)
    pattern = re.compile("|".join(services.phone_patterns(yael)))
    written = "+972501234567, +972 50-123-4567, 050-1234567, 050 123 4567"
    assert services.scrub(written, pattern, "x") == "x, x, x, x"
