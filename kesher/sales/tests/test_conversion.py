"""Converting a lead into an account, a contact and a deal in one step (REQ SA-1): each
optional, existing ones matched by their duplicate keys, the history and source kept,
converting twice refused; through the service, the page and the API."""

import pytest
from django.core.exceptions import ValidationError

from kesher.activities.models import Interaction, Task
from kesher.activities.services import interaction_create, task_create
from kesher.customers.models import Account, Contact
from kesher.customers.tests.factories import choice, make_account, make_contact
from kesher.platform.models import AuditEntry
from kesher.sales.models import Lead, Opportunity
from kesher.sales.services import lead_convert, opportunity_link_contact
from kesher.sales.tests.factories import make_lead, stage

pytestmark = pytest.mark.django_db


def _lead(rep, **extra):
    values = {
        "first_name": "דנה",
        "last_name": "לוי",
        "company_name": "אלפא מערכות",
        "email": "dana@alpha.example",
        "phone": "052-555-1234",
        "title": "מנהלת רכש",
        "source": choice("lead_source", "word_ad"),
        "source_detail": choice("lead_source_detail", "google"),
        "owner": rep,
    }
    return make_lead(rep, **{**values, **extra})


def test_a_lead_becomes_account_contact_and_deal_with_its_history(users):
    rep = users["sales_rep"]
    lead = _lead(rep)
    call = interaction_create(
        actor=rep,
        data={
            "kind": choice("interaction_kind", "call"),
            "subject": "שיחת היכרות",
            "link_type": "leads",
            "link_id": lead.pk,
        },
    )
    task = task_create(
        actor=rep, data={"title": "לשלוח הצעה", "link_type": "leads", "link_id": lead.pk}
    )
    result = lead_convert(
        lead, actor=rep, opportunity={"amount": "48000", "stage": stage("proposal")}
    )
    account, contact, deal = result.account, result.contact, result.opportunity
    assert (account.name, account.email, account.owner) == ("אלפא מערכות", lead.email, rep)
    assert (contact.first_name, contact.last_name, contact.email) == ("דנה", "לוי", lead.email)
    assert list(contact.accounts.all()) == [account]
    assert (deal.account, deal.owner, deal.stage, deal.source) == (
        account,
        rep,
        stage("proposal"),
        lead.source,
    )
    deal.refresh_from_db()
    assert str(deal.amount) == "48000.00"
    assert list(deal.contact_links.values_list("contact", "role")) == [(contact.pk, "מנהלת רכש")]
    # The lead's calls and tasks are on the account now; the calls were with him.
    assert Interaction.objects.get(pk=call.pk).link_type == "accounts"
    assert Interaction.objects.get(pk=call.pk).link_id == account.pk
    assert list(Interaction.objects.get(pk=call.pk).participant_contacts.all()) == [contact]
    assert (Task.objects.get(pk=task.pk).link_type, Task.objects.get(pk=task.pk).link_id) == (
        "accounts",
        account.pk,
    )
    lead.refresh_from_db()
    assert lead.converted_at is not None
    assert (lead.converted_account, lead.converted_contact, lead.converted_opportunity) == (
        account,
        contact,
        deal,
    )
    assert lead.status.value == "converted"
    entry = AuditEntry.objects.filter(object_id=lead.pk, action="update").latest("id")
    assert "converted_opportunity" in entry.changes


def test_converting_twice_is_refused_and_writes_nothing(users):
    rep = users["sales_rep"]
    lead = _lead(rep)
    lead_convert(lead, actor=rep)
    counts = (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    with pytest.raises(ValidationError) as caught:
        lead_convert(Lead.objects.get(pk=lead.pk), actor=rep, opportunity={})
    assert "lead" in caught.value.message_dict
    assert counts == (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())


def test_a_lead_matching_an_existing_contact_and_account_links_to_them(users):
    rep = users["sales_rep"]
    account = make_account(rep, name="אלפא בע״מ", phone="052-555-1234")
    contact = make_contact(rep, first_name="Dana", email="dana@alpha.example")
    lead = _lead(rep)
    result = lead_convert(lead, actor=rep, opportunity={})
    assert (result.account, result.contact) == (account, contact)
    assert sorted(result.matched) == ["account", "contact"]
    assert Account.objects.count() == 1
    assert Contact.objects.count() == 1
    assert result.opportunity.account == account


def test_a_lead_matching_an_existing_contact_links_to_it_instead_of_duplicating(users):
    """By a phone written otherwise; the account is matched by its company name, and the
    contact, not linked to it yet, is linked (REQ SA-1)."""
    rep = users["sales_rep"]
    account = make_account(rep, name="אלפא מערכות בע״מ")
    contact = make_contact(rep, first_name="דנה", last_name="לוי-כץ", mobile="+972525551234")
    lead = _lead(rep, email="", phone="052 555 1234")
    result = lead_convert(lead, actor=rep, opportunity={})
    assert (result.account, result.contact) == (account, contact)
    assert Contact.objects.count() == 1
    assert Account.objects.count() == 1
    assert list(contact.accounts.all()) == [account]
    assert list(result.opportunity.contact_links.values_list("contact", flat=True)) == [contact.pk]
    lead.refresh_from_db()
    assert lead.converted_contact == contact


def test_a_similar_name_alone_is_not_matched(users):
    """Two people may share a name, and "אלפא" is not "אלפא מערכות": new records."""
    rep = users["sales_rep"]
    make_account(rep, name="אלפא")
    make_contact(rep, first_name="דנה", last_name="לוי")
    result = lead_convert(_lead(rep), actor=rep)
    assert result.matched == []
    assert (Account.objects.count(), Contact.objects.count()) == (2, 2)


def test_an_existing_record_out_of_scope_is_not_matched(users):
    """Matching reads only what the converting user may see (REQ OR-3)."""
    make_contact(users["sales_rep2"], first_name="Dana", email="dana@alpha.example")
    rep = users["sales_rep"]
    result = lead_convert(_lead(rep), actor=rep, create_account=False)
    assert result.matched == []
    assert result.contact.owner == rep
    assert result.account is None
    assert result.opportunity is None


def test_each_part_is_optional(users):
    rep = users["sales_rep"]
    result = lead_convert(
        _lead(rep),
        actor=rep,
        create_account=False,
        create_contact=False,
        opportunity={"name": "עסקה בלבד"},
    )
    assert (result.account, result.contact) == (None, None)
    assert result.opportunity.name == "עסקה בלבד"
    assert result.opportunity.stage == stage("potential")
    with pytest.raises(ValidationError):
        lead_convert(
            _lead(rep, email="x@y.example"), actor=rep, create_account=False, create_contact=False
        )


def test_the_api_converts_and_refuses_a_second_time(users, api_for):
    rep = users["sales_rep"]
    lead = _lead(rep)
    api = api_for(rep, "en")
    answer = api.post(
        f"/api/v1/leads/{lead.pk}/convert/",
        {"opportunity": {"amount": "1000.00", "stage": stage("order").pk}},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    deal = Opportunity.objects.get(pk=body["opportunity"])
    assert (deal.account_id, deal.stage) == (body["account"], stage("order"))
    again = api.post(f"/api/v1/leads/{lead.pk}/convert/", {}, format="json")
    assert again.status_code == 400
    assert again.json() == {"lead": ["This lead was already converted."]}
    assert Opportunity.objects.count() == 1


def test_the_api_hides_another_reps_lead_and_refuses_read_only(users, api_for):
    lead = _lead(users["sales_rep"])
    assert (
        api_for(users["sales_rep2"]).post(f"/api/v1/leads/{lead.pk}/convert/", {}).status_code
        == 404
    )
    assert (
        api_for(users["read_only"]).post(f"/api/v1/leads/{lead.pk}/convert/", {}).status_code == 403
    )
    assert not Lead.objects.filter(converted_at__isnull=False).exists()


def test_the_page_converts_from_the_leads_button(users, client_for):
    rep = users["sales_rep"]
    lead = _lead(rep)
    client = client_for(rep)
    page = client.get(f"/r/leads/{lead.pk}/").content.decode()
    assert 'id="convert-lead"' in page
    form = client.get(f"/sales/leads/{lead.pk}/convert/")
    assert form.status_code == 200
    answer = client.post(
        f"/sales/leads/{lead.pk}/convert/",
        {
            "create_account": "on",
            "create_contact": "on",
            "create_opportunity": "on",
            "opportunity_name": "רישוי שנתי",
            "amount": "12000",
            "stage": stage("potential").pk,
        },
    )
    deal = Opportunity.objects.get(name="רישוי שנתי")
    assert answer.status_code == 302
    assert answer["Location"] == f"/r/opportunities/{deal.pk}/"
    assert 'id="convert-lead"' not in client.get(f"/r/leads/{lead.pk}/").content.decode()


def test_the_deals_page_lists_its_contacts_with_roles_the_reader_may_see(users, client_for):
    rep = users["sales_rep"]
    result = lead_convert(_lead(rep), actor=rep, create_account=False, opportunity={})
    hidden = make_contact(users["sales_rep2"], first_name="סוד", last_name="חסוי")
    opportunity_link_contact(result.opportunity, actor=users["admin"], contact=hidden, role="x")
    html = client_for(rep).get(f"/r/opportunities/{result.opportunity.pk}/").content.decode()
    panel = html[html.index('id="deal-contacts"') :]
    assert "דנה לוי" in panel
    assert "מנהלת רכש" in panel
    assert "חסוי" not in html


def test_a_conversion_reads_the_leads_links_with_it(users):
    """The lead is locked with the links the conversion names (its owner, source, status and
    campaigns), not read one by one after it; the whole conversion's statements are fixed."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = users["sales_rep"]
    lead = _lead(rep, status=choice("lead_status", "new"))
    with CaptureQueriesContext(connection) as captured:
        lead_convert(Lead.objects.get(pk=lead.pk), actor=rep, opportunity={"amount": "1000"})
    singles = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT")
        and ('FROM "platform_choice"' in q["sql"] or 'FROM "org_user"' in q["sql"])
    ]
    # The "converted" status is read once; nothing else of the lead's links on its own.
    assert len(singles) == 1, singles
    # The deal made just now has no contacts to check the new link against.
    assert not [
        q
        for q in captured.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "sales_opportunitycontact"' in q["sql"]
    ]
    assert Lead.objects.get(pk=lead.pk).status.value == "converted"
