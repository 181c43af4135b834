"""E-mail addresses are stored lower-cased whatever writes them (issue 14 item 7): services,
forms, the API, imports, bulk writes, and the data migration for those stored before."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from kesher.customers.models import Account, Contact
from kesher.customers.tests.factories import make_account, make_contact
from kesher.imports.tests.helpers import check, run, upload
from kesher.platform.records.services import record_update

pytestmark = pytest.mark.django_db


def test_services_store_and_find_e_mails_in_lower_case(users):
    contact = make_contact(users["admin"], first_name="דנה", email="  Dana.Levi@Example.CO.IL ")
    contact.refresh_from_db()
    assert contact.email == "dana.levi@example.co.il"
    record_update(contact, actor=users["admin"], data={"email": "DANA@EXAMPLE.COM"})
    contact.refresh_from_db()
    assert contact.email == "dana@example.com"
    # An exact lookup lower-cases its value too: one address is one value.
    assert Contact.objects.filter(email="Dana@Example.com").get() == contact


def test_a_plain_save_and_a_queryset_update_lower_case_too(users):
    account = make_account(users["admin"], name="אלפא")
    account.email = "Office@Alpha.CO.IL"
    account.save()
    assert Account.objects.values_list("email", flat=True).get() == "office@alpha.co.il"
    Account.objects.update(email="INFO@Alpha.co.il")
    assert Account.objects.values_list("email", flat=True).get() == "info@alpha.co.il"


def test_the_form_stores_the_e_mail_lower_cased(users, client_for):
    response = client_for(users["sales_rep"]).post(
        "/r/accounts/new/",
        {"kind": "organization", "name": "Acme", "country": "ישראל", "email": "Sales@Acme.COM"},
    )
    assert response.status_code == 302
    assert Account.objects.get().email == "sales@acme.com"


def test_the_api_stores_the_e_mail_lower_cased(users, api_for):
    response = api_for(users["admin"]).post(
        "/api/v1/contacts/", {"first_name": "דנה", "email": "Dana@Example.COM"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "dana@example.com"
    assert Contact.objects.get().email == "dana@example.com"


def test_an_import_stores_e_mails_lower_cased(users):
    admin = users["admin"]
    job = check(upload(admin, [["first name", "email"], ["דנה", "Dana@Example.COM"]]), admin)
    job = run(job, admin)
    assert job.created == 1
    assert Contact.objects.get().email == "dana@example.com"


def test_the_data_migration_lower_cases_e_mails_stored_before(users):
    contact = make_contact(users["admin"], first_name="דנה")
    account = make_account(users["admin"], name="אלפא")
    # As an older version stored them: written around the field.
    from django.db import connection

    with connection.cursor() as cursor:
        update = "UPDATE customers_{} SET email = %s WHERE id = %s"
        cursor.execute(update.format("contact"), ["Dana@Example.COM", contact.pk])
        cursor.execute(update.format("account"), ["Office@Alpha.IL", account.pk])
    migration = importlib.import_module("kesher.customers.migrations.0008_email_lower_case")
    migration.lower_case_emails(apps, None)
    contact.refresh_from_db()
    account.refresh_from_db()
    assert (contact.email, account.email) == ("dana@example.com", "office@alpha.il")
