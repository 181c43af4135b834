"""A new lead is checked against leads, contacts and accounts on create — the page, the API
and imports — by the platform's duplicate check (REQ SA-1, IM-3; decision 0055)."""

import pytest

from kesher.customers.tests.factories import make_account, make_contact
from kesher.imports.tests.helpers import check, upload
from kesher.sales.models import Lead
from kesher.sales.tests.factories import make_lead

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads/"


def test_the_api_finds_a_lead_a_contact_and_an_account_like_the_new_lead(users, api_for):
    rep = users["sales_rep"]
    lead = make_lead(rep, first_name="יעל", last_name="ברק", mobile="054-777-1234")
    contact = make_contact(rep, first_name="Dana", last_name="Levi", email="dana@alpha.example")
    account = make_account(rep, name="אלפא מערכות בע״מ")
    answer = api_for(rep).post(
        LEADS,
        {
            "first_name": "דנה",
            "last_name": "לוי",
            "company_name": "אלפא מערכות",
            "email": "Dana@Alpha.example",
            "phone": "+972 54 7771234",
        },
        format="json",
    )
    assert answer.status_code == 409
    found = {(c["entity"], c["id"]): c["reasons"] for c in answer.json()["duplicates"]}
    assert found == {
        ("contacts", contact.pk): ["email"],
        ("leads", lead.pk): ["phone"],
        ("accounts", account.pk): ["name"],
    }
    assert Lead.objects.count() == 1
    forced = api_for(rep).post(f"{LEADS}?force=true", {"last_name": "לוי"}, format="json")
    assert forced.status_code == 201


def test_records_out_of_scope_or_of_an_entity_not_granted_are_never_named(users, api_for):
    other = users["sales_rep2"]
    make_contact(other, first_name="סוד", last_name="חסוי", email="secret@example.com")
    make_lead(other, last_name="חסוי", email="secret@example.com")
    rep = users["sales_rep"]
    answer = api_for(rep).post(LEADS, {"last_name": "x", "email": "secret@example.com"})
    assert answer.status_code == 201


def test_the_page_warns_naming_what_kind_of_record_is_alike(users, client_for):
    rep = users["sales_rep"]
    make_contact(rep, first_name="דנה", last_name="לוי", mobile="052-555-1234")
    data = {"first_name": "רונית", "last_name": "כהן", "mobile": "0525551234"}
    page = client_for(rep).post("/r/leads/new/", data).content.decode()
    warning = page[page.index('id="duplicate-warning"') :]
    assert "איש קשר" in warning
    assert "דנה לוי" in warning
    assert not Lead.objects.exists()
    rep.language = "en"
    rep.save(update_fields=["language"])
    english = client_for(rep).post("/r/leads/new/", data).content.decode()
    assert "Contact" in english[english.index('id="duplicate-warning"') :]


def test_an_import_skips_leads_that_are_existing_contacts_or_accounts(users):
    rep = users["sales_rep"]
    make_contact(rep, first_name="קיים", email="old@example.com")
    make_account(rep, name="חברה", phone="03-5551234")
    rows = [
        ["last name", "email", "phone"],
        ["א", "OLD@example.com", ""],
        ["ב", "", "035551234"],
        ["ג", "new@example.com", ""],
    ]
    job = upload(rep, rows, entity="leads")
    mapping = {"columns": {"0": "last_name", "1": "email", "2": "phone"}}
    job = check(job, rep, mapping)
    assert (job.created, job.duplicates) == (1, 2)
    assert {i.row: i.message for i in job.issues.all()} == {
        2: "לרשומה קיימת (איש קשר) יש את הדוא״ל הזה.",
        3: "לרשומה קיימת (לקוח) יש את הטלפון הזה.",
    }
