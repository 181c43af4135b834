"""The consent ledger (Communications Law §30A, ISRAEL.md "Advertising messages"; REQ CU-11):
per person, channel and purpose; the latest entry holds; the existing-customer exception only
with its conditions; a refusal holds until a new consent; the club is its own purpose."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from kesher.customers.models import Contact
from kesher.marketing.consent import allowed, latest_kind
from kesher.marketing.models import Consent
from kesher.marketing.services import consent_create, consent_refuse
from kesher.marketing.tests.conftest import choice, make_contacts
from kesher.sales.models import Lead
from kesher.sales.tests.factories import make_lead

pytestmark = pytest.mark.django_db


def entry(actor, **data):
    return consent_create(
        actor=actor,
        data={"channel": "email", "method": choice("consent_method", "form"), **data},
    )


def test_no_entry_means_no_advertising_and_the_latest_entry_holds(users):
    manager = users["manager"]
    person = make_contacts(manager, 1, consent_kind=None)[0]
    people = Contact.objects.filter(pk=person.pk)
    assert not allowed(people, "contact", "email", "advertising").exists()
    entry(manager, contact=person, kind="consent")
    assert allowed(people, "contact", "email", "advertising").exists()
    consent_refuse(contact=person, channel="email", method="reply", actor=manager)
    assert not allowed(people, "contact", "email", "advertising").exists()
    # A new consent, given later, holds again.
    entry(manager, contact=person, kind="consent", given_at=timezone.now() + datetime.timedelta(1))
    assert allowed(people, "contact", "email", "advertising").exists()
    # Another channel is its own question.
    assert not allowed(people, "contact", "sms", "advertising").exists()


def test_the_customer_club_is_its_own_purpose(users):
    manager = users["manager"]
    person = make_contacts(manager, 1)[0]
    people = Contact.objects.filter(pk=person.pk)
    assert allowed(people, "contact", "email", "advertising").exists()
    assert not allowed(people, "contact", "email", "club").exists()
    entry(manager, contact=person, kind="consent", purpose="club")
    assert latest_kind(contact=person, channel="email", purpose="club") == "consent"


def test_the_existing_customer_exception_needs_its_conditions(users):
    manager = users["manager"]
    person = make_contacts(manager, 1, consent_kind=None)[0]
    with pytest.raises(ValidationError) as error:
        entry(manager, contact=person, kind="existing_customer", informed=True)
    assert {"purchase_reference", "offered_refusal", "similar_products"} <= set(
        error.value.message_dict
    )
    with pytest.raises(ValidationError):
        entry(
            manager,
            contact=person,
            kind="existing_customer",
            channel="phone",
            purchase_reference="הזמנה 5",
            informed=True,
            offered_refusal=True,
            similar_products=True,
        )
    ok = entry(
        manager,
        contact=person,
        kind="existing_customer",
        purchase_reference="הזמנה 5",
        informed=True,
        offered_refusal=True,
        similar_products=True,
    )
    assert ok.recorded_by == manager
    assert not Consent.objects.filter(contact=person).exclude(pk=ok.pk).exists()


def test_an_entry_is_for_a_contact_or_a_lead(users):
    manager = users["manager"]
    lead = make_lead(manager, email="lead@example.co.il")
    person = make_contacts(manager, 1, consent_kind=None)[0]
    with pytest.raises(ValidationError):
        entry(manager, kind="consent")
    with pytest.raises(ValidationError):
        entry(manager, kind="consent", contact=person, lead=lead)
    entry(manager, kind="consent", lead=lead)
    assert allowed(Lead.objects.filter(pk=lead.pk), "lead", "email", "advertising").exists()


def test_the_ledger_shows_on_the_person_page(users, client_for):
    manager = users["manager"]
    person = make_contacts(manager, 1)[0]
    body = client_for(users["admin"]).get(f"/r/contacts/{person.pk}/").content.decode()
    assert "/r/consents/" in body or "consents" in body


def test_bad_api_input_is_refused_with_nothing_written(users, api_for):
    manager = users["manager"]
    person = make_contacts(manager, 1, consent_kind=None)[0]
    answer = api_for(manager).post(
        "/api/v1/consents/",
        {"contact": person.pk, "channel": "fax", "kind": "consent"},
        format="json",
    )
    assert answer.status_code == 400
    assert "channel" in answer.json()
    assert not Consent.objects.filter(contact=person).exists()
    answer = api_for(manager).post(
        "/api/v1/consents/",
        {"contact": person.pk, "channel": "email", "kind": "consent", "source": "API"},
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    assert Consent.objects.get(contact=person).recorded_by == manager


def test_consents_written_together_are_checked_audited_indexed_and_told_once(
    users, django_capture_on_commit_callbacks
):
    """A form's consents, one per channel, in one write (decision 0114): each checked as one
    entry is (a bad row: nothing written), each audited and searchable, and their "created"
    events delivered together after commit."""
    from kesher.marketing.services import consents_create
    from kesher.platform import events
    from kesher.platform.models import AuditEntry
    from kesher.platform.records.search import search

    lead = make_lead(users["manager"], last_name="ביחד")
    row = {"lead": lead, "kind": Consent.Kind.CONSENT, "source": "טופס משותף"}
    with pytest.raises(ValidationError) as refused:
        consents_create(actor=None, rows=[{**row, "channel": "email"}, {**row, "channel": "fax"}])
    assert "channel" in refused.value.message_dict
    assert not Consent.objects.filter(lead=lead).exists()

    delivered = []

    def seen(event):
        if event.entity == "consents":
            delivered.append((event.name, event.object_id))

    events.subscribe(events.CREATED, seen)
    try:
        with django_capture_on_commit_callbacks(execute=True) as hooks:
            entries = consents_create(
                actor=users["manager"],
                rows=[{**row, "channel": "email"}, {**row, "channel": "sms"}],
            )
            assert delivered == []  # not before the commit
        assert len(hooks) == 1  # one delivery for both
    finally:
        events.unsubscribe(events.CREATED, seen)
    assert sorted(delivered) == sorted((events.CREATED, e.pk) for e in entries)
    stored = Consent.objects.filter(lead=lead).order_by("channel")
    assert [(c.channel, c.recorded_by) for c in stored] == [
        ("email", users["manager"]),
        ("sms", users["manager"]),
    ]
    assert latest_kind(lead=lead, channel="sms", purpose=stored[0].purpose) == "consent"
    audited = AuditEntry.objects.filter(object_id__in=[e.pk for e in entries], action="create")
    assert audited.filter(content_type__model="consent").count() == 2
    found = {e.key: rows for e, rows in search(users["admin"], "משותף", entities=["consents"])}
    assert {r.pk for r in found["consents"]} == {e.pk for e in entries}
