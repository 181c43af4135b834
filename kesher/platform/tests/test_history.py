"""The timeline reads in its reader's language and time zone, and names only what he may see
(issue 14 items 2 and 7; decision 0042; REQ OR-3, OR-8, CX-1)."""

import datetime
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from kesher.customers.models import Account, Contact
from kesher.customers.services import account_update, contact_link_account
from kesher.customers.tests.factories import choice, make_account, make_contact
from kesher.platform.models import AuditEntry, Choice, CustomField, Tag
from kesher.platform.records.history import describe
from kesher.platform.records.services import write_audit
from kesher.platform.stamps import remembered_for_request
from kesher.platform.ui.display import format_money, format_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def fields(db):
    """Custom fields of accounts: money, a pick-list with labels in both languages, a date and
    a date-time."""
    Choice.objects.create(list_key="region", value="north", label_he="צפון", label_en="North")
    for key, label_he, label_en, kind in (
        ("budget", "תקציב", "Budget", "money"),
        ("region", "אזור", "Region", "choice"),
        ("renewal", "חידוש", "Renewal", "date"),
        ("call_at", "מועד שיחה", "Call time", "datetime"),
    ):
        CustomField.objects.create(
            entity="accounts",
            key=key,
            label_he=label_he,
            label_en=label_en,
            type=kind,
            choice_list="region" if kind == "choice" else "",
        )


def timeline_of(client, key: str, pk: int) -> str:
    html = client.get(f"/r/{key}/{pk}/timeline/").content.decode()
    return re.sub(r"\s+", " ", html[html.index('id="timeline"') : html.index("</ol>")])


def entries_of(record) -> list:
    """The record's entries, oldest first."""
    return list(
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
        .select_related("actor")
        .order_by("pk")
    )


def test_a_change_written_in_hebrew_reads_in_english_for_an_english_reader(
    users, client_for, fields
):
    """A Hebrew user changes an account; an English reader in New York reads the labels, the
    pick-list values and the dates as he reads anything, the money in shekels."""
    writer = users["admin"]
    with translation.override("he"):
        account = make_account(writer, name="אקמה", status=choice("account_status", "lead"))
        account_update(
            account,
            actor=writer,
            data={
                "status": choice("account_status", "active"),
                "club_member": True,
                "club_joined_on": datetime.date(2026, 1, 5),
                "custom": {
                    "budget": "12345.5",
                    "region": "north",
                    "renewal": "2026-02-01",
                    "call_at": "2026-03-01T08:30:00+00:00",
                },
            },
        )
    reader = users["read_only"]
    reader.language, reader.time_zone = "en", "America/New_York"
    reader.save(update_fields=["language", "time_zone"])

    english = timeline_of(client_for(reader), "accounts", account.pk)
    for text in (
        "Status",
        "Lead",
        "Active customer",
        "Customer club member",
        "Yes",
        "05/01/2026",
        "Budget",
        "₪12,345.50",
        "Region",
        "North",
        "Renewal",
        "01/02/2026",
        "Call time",
        "01/03/2026 03:30",  # 08:30 UTC in New York
    ):
        assert text in english, text
    for text in ("לקוח פעיל", "צפון", "custom_fields", "north", "2026-03-01", "10:30"):
        assert text not in english, text

    hebrew = timeline_of(client_for(writer), "accounts", account.pk)
    for text in ("לקוח פעיל", "תקציב", "צפון", "01/03/2026 10:30"):
        assert text in hebrew, text
    assert "Active customer" not in hebrew


def test_a_sales_rep_does_not_read_the_name_of_an_account_he_may_not_see(users, client_for):
    """The administrator links rep1's contact to rep2's account: rep1 reads that a link was made
    to a record he cannot see, never its name; the administrator reads it with the role."""
    admin, rep1, rep2 = users["admin"], users["sales_rep"], users["sales_rep2"]
    contact = make_contact(rep1, first_name="דנה", owner=rep1)
    theirs = make_account(rep2, name="Globex Secret", owner=rep2)
    contact_link_account(contact, actor=admin, account=theirs, role="CEO")

    rep1.language = "en"
    rep1.save(update_fields=["language"])
    page = timeline_of(client_for(rep1), "contacts", contact.pk)
    assert "Globex Secret" not in page
    assert "a record you cannot see" in page
    assert "Globex Secret (CEO)" in timeline_of(client_for(admin), "contacts", contact.pk)


def test_several_links_name_the_visible_ones_and_count_the_others(users):
    rep1, rep2 = users["sales_rep"], users["sales_rep2"]
    mine = make_account(rep1, name="Mine", owner=rep1)
    hidden = [make_account(rep2, name=f"Theirs {n}", owner=rep2) for n in (1, 2)]
    contact = make_contact(rep1, owner=rep1)
    write_audit(contact, actor=rep1, action="update", changes={"accounts": [[], [mine, *hidden]]})
    write_audit(contact, actor=rep1, action="update", changes={"accounts": [hidden, []]})
    with translation.override("en"):
        linked, unlinked = describe(entries_of(contact)[-2:], rep1)
        assert linked.rows == [("accounts", "", "Mine and 2 more you cannot see")]
        assert unlinked.rows == [("accounts", "2 records you cannot see", "")]
        (linked,) = describe(entries_of(contact)[-2:-1], users["admin"])
        assert linked.rows == [("accounts", "", "Mine, Theirs 1, Theirs 2")]


def test_a_deleted_record_is_said_to_be_deleted_to_who_sees_every_record(users):
    admin = users["admin"]
    gone = make_account(admin, name="Gone Ltd")
    contact = make_contact(admin)
    contact_link_account(contact, actor=admin, account=gone)
    Account.objects.filter(pk=gone.pk).delete()
    with translation.override("en"):
        (entry,) = describe([entries_of(contact)[-1]], admin)
    assert entry.rows == [("accounts", "", "a deleted record")]


def test_entries_written_before_values_were_stored_still_read(users, fields):
    """Format 1 held its writer's text: shown as it was, labels and custom pick-lists in the
    reader's language; a linked record's name only to who sees every record of its kind."""
    admin, rep1 = users["admin"], users["sales_rep"]
    contact = make_contact(rep1, owner=rep1)
    account = make_account(rep1, owner=rep1)
    old = {
        "city": ["חיפה", "אילת"],
        "status": [None, "VIP"],
        "owner": ["rep1", "rep2"],
        "club_member": [None, True],
        "custom_fields.region": [None, "north"],
        "מוזג מ": [None, "#5 דנה"],
    }
    common = {"object_repr": "x", "actor": admin, "action": "update"}
    account_entry = AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Account),
        object_id=account.pk,
        changes=old,
        **common,
    )
    contact_entry = AuditEntry.objects.create(
        content_type=ContentType.objects.get_for_model(Contact),
        object_id=contact.pk,
        changes={"accounts": [None, "Globex (CEO)"]},
        **common,
    )
    with translation.override("en"):
        (entry,) = describe([account_entry], rep1)
        assert entry.rows == [
            ("city", "חיפה", "אילת"),
            ("status", "", "VIP"),
            ("owner", "rep1", "rep2"),
            ("customer club member", "", "Yes"),
            ("Region", "", "North"),
            ("מוזג מ", "", "#5 דנה"),
        ]
        # rep1 sees only his own accounts: the old text may name someone else's.
        assert describe([contact_entry], rep1)[0].rows == [
            ("accounts", "", "a record you cannot see")
        ]
        assert describe([contact_entry], admin)[0].rows == [("accounts", "", "Globex (CEO)")]


def test_a_timeline_costs_the_same_queries_for_5_entries_and_for_200(users, client_for, fields):
    """Names, pick-list labels and custom labels are fetched once for all the entries
    (REQ OR-8; no N+1)."""
    admin, rep1 = users["admin"], users["sales_rep"]
    owners = [users[k] for k in ("admin", "manager", "sales_rep", "sales_rep2")]
    statuses = [choice("account_status", v) for v in ("lead", "prospect", "active", "vip")]
    tags = [Tag.objects.create(name=f"tag {n}") for n in range(4)]
    few, many = make_account(admin, name="Few"), make_account(admin, name="Many")
    for account, count in ((few, 5), (many, 200)):
        for n in range(count):
            write_audit(
                account,
                actor=admin,
                action="update",
                changes={
                    "owner": [owners[n % 4], owners[(n + 1) % 4]],
                    "status": [statuses[n % 4], statuses[(n + 1) % 4]],
                    "tags": [[], tags[: n % 4 + 1]],
                    "custom_fields.region": [None, "north"],
                    "custom_fields.budget": [n, n + 1000],
                },
            )

    def cost(account) -> int:
        entries = entries_of(account)
        with remembered_for_request(), CaptureQueriesContext(connection) as queries:
            describe(entries, rep1)
        assert all(entry.rows for entry in entries)
        return len(queries)

    cost(few)  # the reader's grants, loaded once per user
    # The custom fields' stamp, then users, pick-list values, tags, custom labels.
    assert cost(many) == cost(few) <= 5
    client = client_for(admin)
    page_queries = []
    for account in (few, many):
        client.get(f"/r/accounts/{account.pk}/timeline/")  # warm the per-process caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/r/accounts/{account.pk}/timeline/").status_code == 200
        page_queries.append(len(queries))
    assert page_queries[0] == page_queries[1]


def test_money_and_numbers_read_with_separators():
    assert format_money("12345.5") == "₪12,345.50"
    assert format_money(-80) == "-₪80.00"
    assert format_money(0) == "₪0.00"
    assert format_number("1234567.125") == "1,234,567.125"
    assert format_number(18) == "18"
    assert format_money("n/a") == "n/a"
    assert format_money("80", "USD") == "$80.00"
    assert format_money("-1234", "CHF") == "-CHF 1,234.00"


def test_pages_show_money_in_its_currency_and_other_decimals_with_separators(users):
    """A deal's amount reads ``₪48,000.00`` (``$`` in dollars) on its page, its list and merge
    fields, never ``48000.00``; a decimal that is no money keeps its places."""
    from decimal import Decimal

    from kesher.platform.ui.display import field_display
    from kesher.projects.models import Project
    from kesher.sales.models import Opportunity

    deal = Opportunity(amount=Decimal("48000.00"), currency="ILS")
    assert field_display(deal, "amount") == "₪48,000.00"
    deal.currency = "USD"
    assert field_display(deal, "amount") == "$48,000.00"
    assert field_display(Project(budget_hours=Decimal("1250.5")), "budget_hours") == "1,250.5"
    client = Client()
    client.force_login(users["admin"])
    from kesher.sales.tests.factories import make_opportunity

    saved = make_opportunity(users["admin"], name="מרכזייה", amount=Decimal("48000"))
    assert "₪48,000.00" in client.get(f"/r/opportunities/{saved.pk}/").content.decode()
    assert "₪48,000.00" in client.get("/r/opportunities/").content.decode()


def test_a_tasks_history_names_its_record_for_who_may_see_it_and_hides_is_open(users):
    """A task's link to its record reads as the record's name (decision 0019's pair of type
    and id), and its ``is_open`` flag, which mirrors the status, is no row of its own."""
    from kesher.activities.services import task_update
    from kesher.activities.tests.factories import make_task

    admin, rep1, rep2 = users["admin"], users["sales_rep"], users["sales_rep2"]
    account = make_account(rep1, name="Acme of rep1", owner=rep1)
    task = make_task(admin, account, assignee=rep2, title="לחזור ללקוח")
    task_update(task, actor=rep2, data={"status": choice("task_status", "done")})
    created, closed = entries_of(task)
    assert created.changes["link_id"] == [None, {"ref": "accounts", "id": account.pk}]
    assert "is_open" not in created.changes
    assert "is_open" not in closed.changes
    with translation.override("en"):
        rows = {label: (old, new) for label, old, new in describe([created], rep1)[0].rows}
        assert rows["about (record)"] == ("", "Acme of rep1")
        assert rows["about (type)"] == ("", "account")
        rows = {label: new for label, _old, new in describe([created], rep2)[0].rows}
        assert rows["about (record)"] == "a record you cannot see"
        (closed,) = describe([closed], rep2)
    labels = [label for label, _old, _new in closed.rows]
    assert "status" in labels
    assert "open" not in labels
