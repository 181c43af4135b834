"""Pinned query counts: lists, detail pages and the API cost the same number of queries for 5
records as for 50 (STYLE.md "query counts asserted in tests"; DESIGN.md "Lists at scale")."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kesher.customers.services import account_update
from kesher.customers.tests.factories import (
    choice,
    make_account,
    make_company,
    make_contact,
    make_relationship,
)
from kesher.platform.models import Tag
from kesher.platform.records.attachments import attachment_add

pytestmark = pytest.mark.django_db

# Generous ceilings: the real check is that 50 records cost exactly what 5 do. Each module adds
# its panel to an account's page (deals, tickets, projects, quotes, orders, custom kinds' related
# lists, invoices, and a supplier's purchase orders, invoices and payments), one query each
# whatever the records; the payments tile reads the customer's terms and the terms to choose
# from, the payables tile the supplier's open invoices, the 360° view what was sold by product
# group and the service figures (open tickets; handling time and who handled: two queries,
# decision 0094); the access log writes one row per request.
MAX_QUERIES = 44


class World:
    """A main account with contacts, relationships, files and history, and other accounts,
    grown in steps so the same page can be measured small and large."""

    def __init__(self, users):
        self.users = users
        admin = users["admin"]
        self.company = make_company(admin)
        self.tag = Tag.objects.create(name="VIP")
        self.status = choice("account_status", "active")
        self.industry = choice("industry", "tech")
        self.main = make_account(
            users["sales_rep"],
            name="Main",
            status=self.status,
            industry=self.industry,
            m2m={"companies": [self.company], "tags": [self.tag]},
        )
        self.main_contact = make_contact(
            users["sales_rep"], first_name="Hub", account_links=[{"account": self.main}]
        )
        self.size = 0

    def grow_to(self, size: int):
        users = self.users
        admin, rep = users["admin"], users["sales_rep"]
        for i in range(self.size, size):
            owner = (rep, users["manager"], users["sales_rep2"])[i % 3]
            account = make_account(
                owner,
                name=f"Account {i}",
                phone=f"052-555-{i:04d}",
                status=self.status,
                industry=self.industry,
                m2m={"companies": [self.company], "tags": [self.tag]},
            )
            contact = make_contact(
                owner,
                first_name=f"Contact {i}",
                m2m={"tags": [self.tag]},
                account_links=[{"account": self.main, "role": "buyer"}, {"account": account}],
            )
            self.main_contact_links(account, i)
            make_relationship(admin, "partner", from_account=self.main, to_account=account)
            make_relationship(admin, "referred", from_contact=contact, to_account=self.main)
            account_update(self.main, actor=admin, data={"notes": f"note {i}"})
            attachment_add(
                self.main, actor=admin, uploaded=SimpleUploadedFile(f"f{i}.txt", b"data")
            )
        self.size = size

    def main_contact_links(self, account, i):
        from kesher.customers.services import contact_link_account

        contact_link_account(
            self.main_contact, actor=self.users["admin"], account=account, role=f"r{i}"
        )


def pages(world):
    return {
        "account list": "/r/accounts/",
        "account detail": f"/r/accounts/{world.main.pk}/",
        "contact list": "/r/contacts/",
        "contact detail": f"/r/contacts/{world.main_contact.pk}/",
        "relationship list": "/r/relationships/",
        "api accounts": "/api/v1/accounts/",
        "api contacts": "/api/v1/contacts/",
        # The contact's accounts with their roles, narrowed to the reader's (issue 14 item 10).
        "api contact detail": f"/api/v1/contacts/{world.main_contact.pk}/",
        "api relationships": "/api/v1/relationships/",
        "search": "/search/?q=Account",
    }


@pytest.mark.parametrize("role", ["admin", "manager", "sales_rep"])
def test_query_counts_do_not_grow_with_records(
    users,
    client_for,
    settings,
    tmp_path,
    django_assert_max_num_queries,
    django_assert_num_queries,
    role,
):
    settings.MEDIA_ROOT = tmp_path
    world = World(users)
    world.grow_to(5)
    client = client_for(users[role])
    small = {}
    for page, url in pages(world).items():
        assert client.get(url).status_code == 200  # warms per-process caches (content types)
        with django_assert_max_num_queries(MAX_QUERIES, info=page) as captured:
            assert client.get(url).status_code == 200
        small[page] = len(captured.captured_queries)
    world.grow_to(50)
    for page, url in pages(world).items():
        with django_assert_num_queries(small[page], info=page):
            response = client.get(url)
        assert response.status_code == 200
