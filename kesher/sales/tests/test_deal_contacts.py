"""A deal's contacts and their roles (REQ SA-6): added with the picker, their role changed
and removed on the deal's page; read and written through the API; each change audited on the
deal; contacts out of the reader's or writer's sight neither shown nor touched (OR-3)."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.tests.factories import make_contact
from kesher.platform.models import AuditEntry
from kesher.sales.models import Opportunity, OpportunityContact
from kesher.sales.services import opportunity_link_contact
from kesher.sales.tests.factories import make_opportunity

pytestmark = pytest.mark.django_db

DEALS = "/api/v1/opportunities/"


def _roles(deal):
    return set(
        OpportunityContact.objects.filter(opportunity=deal).values_list("contact_id", "role")
    )


def test_the_deals_page_adds_changes_and_removes_contacts_in_roles(users, client_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, owner=rep)
    dana = make_contact(rep, first_name="דנה", last_name="לוי")
    client = client_for(rep)
    page = client.get(f"/r/opportunities/{deal.pk}/").content.decode()
    assert 'id="deal-contact-add"' in page
    assert 'hx-get="/pick/contacts/"' in page  # the search-as-you-type picker
    answer = client.post(
        f"/sales/opportunities/{deal.pk}/contacts/", {"contact": dana.pk, "role": "מקבלת החלטה"}
    )
    assert answer.status_code == 302
    assert _roles(deal) == {(dana.pk, "מקבלת החלטה")}
    client.post(
        f"/sales/opportunities/{deal.pk}/contacts/{dana.pk}/", {"action": "role", "role": "משתמשת"}
    )
    assert _roles(deal) == {(dana.pk, "משתמשת")}
    html = client.get(f"/r/opportunities/{deal.pk}/").content.decode()
    assert 'value="משתמשת"' in html[html.index('id="deal-contacts"') :]
    client.post(f"/sales/opportunities/{deal.pk}/contacts/{dana.pk}/", {"action": "remove"})
    assert _roles(deal) == set()
    changes = [
        e.changes["contacts"]
        for e in AuditEntry.objects.filter(object_id=deal.pk).order_by("id")
        if "contacts" in e.changes
    ]
    assert [[bool(before), bool(after)] for before, after in changes] == [
        [False, True],
        [True, True],
        [True, False],
    ]


def test_the_page_refuses_a_contact_out_of_sight_and_a_reader_without_change(users, client_for):
    rep = users["sales_rep"]
    deal = make_opportunity(rep, owner=rep)
    hidden = make_contact(users["sales_rep2"], first_name="סוד")
    answer = client_for(rep).post(
        f"/sales/opportunities/{deal.pk}/contacts/", {"contact": hidden.pk}
    )
    assert answer.status_code == 404
    assert _roles(deal) == set()
    other_deal = make_opportunity(users["sales_rep2"], owner=users["sales_rep2"])
    mine = make_contact(rep, first_name="שלי")
    answer = client_for(rep).post(
        f"/sales/opportunities/{other_deal.pk}/contacts/", {"contact": mine.pk}
    )
    assert answer.status_code == 404
    assert _roles(other_deal) == set()


def test_the_api_reads_and_writes_contacts_with_roles_keeping_what_the_writer_cannot_see(
    users, api_for
):
    rep = users["sales_rep"]
    dana = make_contact(rep, first_name="דנה", last_name="לוי")
    yossi = make_contact(rep, first_name="יוסי", last_name="כהן")
    hidden = make_contact(users["sales_rep2"], first_name="סוד", last_name="חסוי")
    api = api_for(rep)
    created = api.post(
        f"{DEALS}?force=true",
        {
            "name": "עסקה עם אנשי קשר",
            "stage": make_opportunity(rep).stage_id,
            "contacts": [{"contact": dana.pk, "role": "מקבלת החלטה"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["contacts"] == [
        {"contact": dana.pk, "contact_display": "דנה לוי", "role": "מקבלת החלטה"}
    ]
    deal_id = body["id"]
    deal = Opportunity.objects.get(pk=deal_id)
    opportunity_link_contact(deal, actor=users["admin"], contact=hidden, role="סודי")
    read = api.get(f"{DEALS}{deal_id}/").json()
    assert (len(read["contacts"]), read["hidden_contacts"]) == (1, 1)
    assert "חסוי" not in str(read)
    changed = api.patch(
        f"{DEALS}{deal_id}/",
        {"contacts": [{"contact": yossi.pk, "role": "משתמש"}, {"contact": dana.pk}]},
        format="json",
        HTTP_IF_MATCH=f'"{read["version"]}"',
    )
    assert changed.status_code == 200, changed.json()
    assert _roles(deal) == {(dana.pk, ""), (yossi.pk, "משתמש"), (hidden.pk, "סודי")}
    refused = api.patch(f"{DEALS}{deal_id}/", {"contacts": [{"contact": hidden.pk}]}, format="json")
    assert refused.status_code == 400
    assert _roles(deal) == {(dana.pk, ""), (yossi.pk, "משתמש"), (hidden.pk, "סודי")}


def test_the_deals_list_reads_contacts_in_a_fixed_number_of_queries(users, api_for):
    rep = users["sales_rep"]

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert api_for(rep).get(DEALS).status_code == 200
        return len(queries)

    first = make_opportunity(rep, owner=rep)
    opportunity_link_contact(first, actor=rep, contact=make_contact(rep), role="א")
    few = count()
    for _n in range(5):
        deal = make_opportunity(rep, owner=rep)
        opportunity_link_contact(deal, actor=rep, contact=make_contact(rep), role="ב")
    assert count() == few


def test_the_schema_documents_contacts_with_roles(api_schema):
    schema = json.dumps(api_schema(), ensure_ascii=False)
    assert "hidden_contacts" in schema
    assert "contact_display" in schema
