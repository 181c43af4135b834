"""Keyset paging of the list page and the API, index-friendly prefixes, multi-word search
(REQ CU-1 customer database; DESIGN.md "Lists at scale" and "Search")."""

import base64
import json
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from kesher.customers.models import Account, Contact
from kesher.platform.customfields.schema import custom_field_create
from kesher.platform.lists.filterlang import CustomValue
from kesher.platform.lists.keyset import Keyset
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.records import search

pytestmark = pytest.mark.django_db

LAST_NAMES = ["כהן", "לוי", "מזרחי", "Smith"]


@pytest.fixture
def contacts(users):
    """130 contacts with many ties on last and first name, so pages split inside a tie."""
    rows = [
        Contact(
            first_name=["משה", "דנה", "Anna"][i % 3],
            last_name=LAST_NAMES[i % len(LAST_NAMES)],
            city=["תל אביב-יפו", "תל מונד", "בת ים"][i % 3],
            email=f"moshe.levi{i}@example.co.il",
            owner=users["sales_rep"],
        )
        for i in range(130)
    ]
    Contact.objects.bulk_create(rows)
    for contact in Contact.objects.all():
        search.index_record(contact)
    return rows


def expected_order():
    return list(
        Contact.objects.order_by("last_name", "first_name", "id").values_list("pk", flat=True)
    )


def listed_ids(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'<a href="/r/contacts/(\d+)/">', html)]


def links(html: str) -> dict[str, str]:
    """The pager's "previous" and "next" links."""
    found = {}
    for key in ("prev", "next"):
        match = re.search(rf'href="(\?[^"]*)" rel="{key}" id="page-{key}"', html)
        if match:
            found[key] = match.group(1).replace("&amp;", "&")
    return found


def test_list_pages_follow_the_cursor_and_match_the_full_order(contacts, users, client_for):
    client = client_for(users["admin"])
    url = "/r/contacts/?sort=last_name"
    seen, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        pages.append((url, listed_ids(html), links(html)))
        seen += listed_ids(html)
        next_link = links(html).get("next")
        url = "/r/contacts/" + next_link if next_link else ""
    assert seen == expected_order()
    assert len(pages) == 3
    # Pages after the first are reached by a cursor, not an offset.
    assert "cursor" in parse_qs(urlsplit(pages[1][0]).query)
    assert parse_qs(urlsplit(pages[2][0]).query)["page"] == ["3"]
    # "Previous" from page 3 shows exactly page 2, by a backward cursor.
    previous = pages[2][2]["prev"]
    assert "cursor" in parse_qs(urlsplit(previous).query)
    response = client.get("/r/contacts/" + previous)
    assert listed_ids(response.content.decode()) == pages[1][1]


def test_descending_sort_pages_by_cursor_in_reverse(contacts, users, client_for):
    client = client_for(users["admin"])
    first = client.get("/r/contacts/?sort=-last_name").content.decode()
    second = client.get("/r/contacts/" + links(first)["next"]).content.decode()
    assert listed_ids(first) + listed_ids(second) == list(reversed(expected_order()))[:100]


def test_a_forged_cursor_falls_back_to_the_page_number(contacts, users, client_for):
    client = client_for(users["admin"])
    response = client.get("/r/contacts/?sort=last_name&cursor=bm90LWpzb24&page=2")
    assert response.status_code == 200
    assert listed_ids(response.content.decode()) == expected_order()[50:100]


def test_api_next_and_previous_links_walk_every_row_once(contacts, users, api_for):
    client = api_for(users["admin"])
    url = "/api/v1/contacts/?ordering=last_name&page_size=40"
    seen, pages = [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == expected_order()
    assert pages[0]["count"] == 130
    assert "cursor=" not in pages[1]["previous"]  # back to page 1: its plain address
    assert "cursor=" in pages[2]["previous"]
    back = client.get(pages[2]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[1]["results"]]


@pytest.fixture
def meeting_dates(contacts, users):
    """A custom date on contacts: many ties, a third empty (REQ CX-1 sort by a custom field)."""
    custom_field_create(
        actor=users["admin"],
        data={"entity": "contacts", "key": "next_meeting", "label_he": "פגישה", "type": "date"},
    )
    days = ["2026-12-01", "2026-12-02", "2027-01-15", None]
    for index, contact in enumerate(Contact.objects.order_by("pk")):
        day = days[(index * 7) % len(days)]
        contact.custom = {"next_meeting": day} if day else {}
        if index % 5 == 0 and day:
            contact.last_contact_at = timezone.now() - timedelta(days=index % 3)
        contact.save()
    return days


def custom_order(descending: bool = False) -> list[int]:
    """The reference: dated contacts by (date, id), either way, then the undated by id."""
    rows = [(c.custom.get("next_meeting"), c.pk) for c in Contact.objects.all()]
    dated = sorted((r for r in rows if r[0]), reverse=descending)
    undated = sorted((r for r in rows if not r[0]), reverse=descending)
    return [pk for _day, pk in dated + undated]


def walk_pages(client, url: str) -> list[list[int]]:
    pages = []
    while url:
        html = client.get(url).content.decode()
        pages.append((url, listed_ids(html), links(html)))
        next_link = links(html).get("next")
        url = "/r/contacts/" + next_link if next_link else ""
    return pages


@pytest.mark.parametrize("sort", ["custom.next_meeting", "-custom.next_meeting"])
def test_a_custom_field_sort_pages_by_cursor_with_empty_values_last(
    meeting_dates, users, client_for, sort
):
    client = client_for(users["admin"])
    pages = walk_pages(client, f"/r/contacts/?sort={sort}")
    assert [pk for _url, ids, _links in pages for pk in ids] == custom_order(sort[0] == "-")
    assert all("cursor" in parse_qs(urlsplit(url).query) for url, _ids, _l in pages[1:])
    # Page 3 starts among the undated rows; "previous" crosses back into the dated ones.
    previous = pages[2][2]["prev"]
    back = client.get("/r/contacts/" + previous).content.decode()
    assert listed_ids(back) == pages[1][1]


def test_a_nullable_built_in_sort_puts_empty_values_last_and_pages_by_cursor(users, client_for):
    now = timezone.now()
    Account.objects.bulk_create(
        Account(
            name=f"חברה {i}",
            last_contact_at=now - timedelta(days=i % 4) if i % 3 else None,
            owner=users["sales_rep"],
        )
        for i in range(120)
    )
    client = client_for(users["admin"])
    seen, url, urls = [], "/r/accounts/?sort=-last_contact_at", []
    while url:
        html = client.get(url).content.decode()
        urls.append(url)
        seen += [int(pk) for pk in re.findall(r'<a href="/r/accounts/(\d+)/">', html)]
        next_link = links(html).get("next")
        url = "/r/accounts/" + next_link if next_link else ""
    rows = [(a.last_contact_at, a.pk) for a in Account.objects.all()]
    expected = sorted((r for r in rows if r[0]), reverse=True) + sorted(
        (r for r in rows if not r[0]), reverse=True
    )
    assert seen == [pk for _at, pk in expected]
    assert "cursor" in parse_qs(urlsplit(urls[1]).query)


def test_api_orders_by_a_custom_field_and_its_cursor_walks_every_row(meeting_dates, users, api_for):
    client = api_for(users["admin"])
    url = "/api/v1/contacts/?ordering=-custom.next_meeting&page_size=30"
    seen, pages = [], []
    while url:
        body = client.get(url).json()
        pages.append(body)
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == custom_order(descending=True)
    back = client.get(pages[3]["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in pages[2]["results"]]


def test_a_saved_views_sort_applies_to_the_api_list(meeting_dates, users, api_for):
    view = saved_view_create(
        actor=users["admin"],
        data={"entity": "contacts", "name": "לפי פגישה", "sort": "custom.next_meeting"},
    )
    body = api_for(users["admin"]).get(f"/api/v1/contacts/?view={view.pk}").json()
    assert [row["id"] for row in body["results"]] == custom_order()[:50]


def test_a_cursor_of_the_wrong_type_for_a_custom_sort_is_ignored(meeting_dates, users, api_for):
    keyset = Keyset.for_ordering(
        Contact, [CustomValue("next_meeting", "date").asc(nulls_last=True), "pk"]
    )
    assert keyset.decode(keyset.cursor(Contact.objects.first())) is not None
    forged = base64.urlsafe_b64encode(json.dumps(["n", 5, 1]).encode()).decode()
    assert keyset.decode(forged) is None
    response = api_for(users["admin"]).get(
        f"/api/v1/contacts/?ordering=custom.next_meeting&cursor={forged}"
    )
    assert [row["id"] for row in response.json()["results"]] == custom_order()[:50]


def test_keyset_refuses_orderings_it_cannot_seek():
    assert Keyset.for_ordering(Contact, ["last_contact_at"]) is None  # nullable, NULLs unplaced
    assert Keyset.for_ordering(Contact, ["owner"]) is None  # a relation
    keyset = Keyset.for_ordering(Contact, ["-created_at"])
    assert keyset.order_by() == ["-created_at", "-id"]
    assert keyset.decode("garbage!") is None


def test_text_filter_prefix_uses_hebrew_prefixes(contacts, users, client_for):
    client = client_for(users["admin"])
    html = client.get("/r/contacts/?city=תל&sort=last_name").content.decode()
    in_tel = set(Contact.objects.exclude(city="בת ים").values_list("pk", flat=True))
    assert len(in_tel) == 87
    assert listed_ids(html) == [pk for pk in expected_order() if pk in in_tel][:50]


def test_a_text_filter_prefix_becomes_the_values_it_matches(contacts):
    """On both databases a prefix matching a few stored values filters by them (``=`` or
    ``IN``), which the (city, last_name, first_name, id) index answers in order — a typed deep
    page then skips its rows in that index alone (decision 0056)."""
    from kesher.platform.records.lookups import expand_prefix

    one = expand_prefix(Contact.objects.all(), "city", "תל מ")
    assert set(one.values_list("city", flat=True)) == {"תל מונד"}
    assert '"city" = ' in str(one.query)
    two = expand_prefix(Contact.objects.all(), "city", "תל")
    assert set(two.values_list("city", flat=True)) == {"תל אביב-יפו", "תל מונד"}
    assert '"city" IN (' in str(two.query)
    assert not expand_prefix(Contact.objects.all(), "city", "אביב").exists()


def test_prefix_lookup_matches_exactly_the_values_starting_with_it(contacts):
    cities = set(Contact.objects.filter(city__prefix="תל").values_list("city", flat=True))
    assert cities == {"תל אביב-יפו", "תל מונד"}
    assert not Contact.objects.filter(city__prefix="אביב").exists()


def test_search_finds_an_email_by_its_dotted_start(contacts, users):
    results = search.search(users["admin"], "moshe.levi12", limit=20)
    found = [obj for entity, objs in results if entity.key == "contacts" for obj in objs]
    expected = {f"moshe.levi12{n}@example.co.il" for n in ["", *map(str, range(10))]}
    assert {c.email for c in found} == expected


def test_multi_word_search_is_not_cut_short_by_a_common_first_word(users):
    # 450 Moshes push a single Moshe Levi past any per-word candidate cap.
    Contact.objects.bulk_create(Contact(first_name="משה", last_name="כהן") for _ in range(450))
    levi = Contact.objects.create(first_name="משה", last_name="לוי")
    for contact in Contact.objects.all():
        search.index_record(contact)
    results = search.search(users["admin"], "משה לוי", entities=["contacts"])
    assert [obj.pk for _entity, objs in results for obj in objs] == [levi.pk]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("sort", ["custom.next_meeting", "-custom.next_meeting"])
def test_many_matches_walk_the_sort_index_and_keep_the_order(
    contacts, users, client_for, api_for, monkeypatch, sort
):
    """Decision 0024: when more rows match than the count's cap, SQLite reads the page through
    the sort's expression index (INDEXED BY); the rows and their order are the same."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.platform.api import pagination
    from kesher.platform.lists import tables

    custom_field_create(
        actor=users["admin"],
        data={
            "entity": "contacts",
            "key": "next_meeting",
            "label_he": "פגישה",
            "type": "date",
            "indexed": True,
        },
    )
    days = ["2026-12-01", "2026-12-02", "2027-01-15", None]
    for index, contact in enumerate(Contact.objects.order_by("pk")):
        day = days[(index * 7) % len(days)]
        Contact.objects.filter(pk=contact.pk).update(custom={"next_meeting": day} if day else {})
    monkeypatch.setattr(tables, "COUNT_CAP", 10)
    monkeypatch.setattr(pagination, "COUNT_CAP", 10)
    expected = custom_order(sort[0] == "-")

    with CaptureQueriesContext(connection) as queries:
        pages = walk_pages(client_for(users["admin"]), f"/r/contacts/?city=תל&sort={sort}")
    tel = set(Contact.objects.filter(city__startswith="תל").values_list("pk", flat=True))
    assert [pk for _url, ids, _links in pages for pk in ids] == [pk for pk in expected if pk in tel]
    page_reads = [
        q["sql"]
        for q in queries
        if q["sql"].startswith('SELECT "customers_contact"."id"') and "next_meeting" in q["sql"]
    ]
    assert page_reads
    walked = [sql for sql in page_reads if "INDEXED BY" in sql]
    assert walked == (page_reads if connection.vendor == "sqlite" else [])
    # SQLite counts the first page's matches to decide how to read it; the cursors carry the
    # answer, so the later pages do not count again. PostgreSQL leaves the count to the page.
    assert len(_contact_counts(queries)) == (1 if connection.vendor == "sqlite" else 0)

    url, seen = f"/api/v1/contacts/?ordering={sort}&page_size=40", []
    api = api_for(users["admin"])
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert seen == expected


def _contact_counts(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if q["sql"].startswith("SELECT COUNT(") and "customers_contact" in q["sql"]
    ]


def test_a_large_list_counts_lazily_and_its_later_pages_not_at_all(
    users, contacts, client_for, monkeypatch
):
    """DESIGN.md "Lists at scale": a page of a large list is read without waiting for its
    count, which the page loads by itself; the pages after a capped count do not count again."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.platform.lists import tables

    monkeypatch.setattr(tables, "COUNT_CAP", 100)
    client = client_for(users["admin"])
    with CaptureQueriesContext(connection) as queries:
        first = client.get("/r/contacts/").content.decode()
    assert _contact_counts(queries) == []
    count_url = (
        re.search(r'id="record-count" hx-get="([^"]+)"', first).group(1).replace("&amp;", "&")
    )
    counted = client.get(
        "/r/contacts/" + count_url, headers={"HX-Request": "true"}
    ).content.decode()
    assert "100" in counted
    assert "hx-get" not in counted
    assert counted.strip().startswith('<span class="small text-body-secondary" id="record-count"')

    # A list that fits on one page knows its count without asking.
    small = client.get("/r/contacts/?city=בת ים").content.decode()
    assert re.search(r'id="record-count">43 ', small)


def test_api_pages_after_a_capped_count_do_not_count_again(users, contacts, api_for, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.platform.api import pagination

    monkeypatch.setattr(pagination, "COUNT_CAP", 100)
    api = api_for(users["admin"])
    first = api.get("/api/v1/contacts/?page_size=40").json()
    assert (first["count"], first["count_exact"]) == (100, False)
    with CaptureQueriesContext(connection) as queries:
        second = api.get(first["next"]).json()
    assert _contact_counts(queries) == []
    assert (second["count"], second["count_exact"]) == (100, False)
    small = api.get("/api/v1/contacts/", {"city": "בת ים", "page_size": 40}).json()
    assert (small["count"], small["count_exact"]) == (43, True)
    following = api.get(small["next"]).json()
    assert (following["count"], following["count_exact"]) == (43, True)


# --- typed page numbers (decision 0056) ------------------------------------------------------


def _row_reads(queries) -> list[str]:
    """The statements reading contacts' rows (the page's: its shown columns, decision 0090),
    not their sort values or a count."""
    return [q["sql"] for q in queries if q["sql"].startswith('SELECT "customers_contact"."id", ')]


def test_a_typed_page_number_is_sought_from_the_sort_index(contacts, users, client_for):
    """``page=N`` without a cursor reads the sort values of the row before the page (an
    index-only read), then the page by keyset — never OFFSET over whole rows — and costs one
    statement more than page 1."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(users["admin"])
    client.get("/r/contacts/?sort=last_name")  # what is read once per process
    with CaptureQueriesContext(connection) as first:
        client.get("/r/contacts/?sort=last_name")
    for number, expected in ((2, expected_order()[50:100]), (3, expected_order()[100:])):
        with CaptureQueriesContext(connection) as queries:
            html = client.get(f"/r/contacts/?sort=last_name&page={number}").content.decode()
        assert listed_ids(html) == expected
        assert len(queries) == len(first) + 1
        boundary = [q["sql"] for q in queries if "OFFSET" in q["sql"]]
        assert len(boundary) == 1
        # Only the sort values: what the (last_name, first_name, id) index holds.
        assert boundary[0].startswith(
            'SELECT "customers_contact"."last_name" AS "last_name", '
            '"customers_contact"."first_name" AS "first_name", '
            '"customers_contact"."id" AS "id" FROM "customers_contact" '
        )
        assert _row_reads(queries)
        assert all("OFFSET" not in sql for sql in _row_reads(queries))
    # From a typed page, "next" and "previous" go on by cursor.
    html = client.get("/r/contacts/?sort=last_name&page=2").content.decode()
    following = client.get("/r/contacts/" + links(html)["next"]).content.decode()
    assert listed_ids(following) == expected_order()[100:]
    assert "cursor" in links(following)["prev"]
    # Past the last page: an empty page that says so, and no "next".
    past = client.get("/r/contacts/?sort=last_name&page=9").content.decode()
    assert listed_ids(past) == []
    assert "next" not in links(past)


@pytest.mark.parametrize("sort", ["custom.next_meeting", "-custom.next_meeting"])
def test_a_typed_page_of_a_custom_sort_crosses_into_the_empty_values(
    meeting_dates, users, client_for, sort
):
    client = client_for(users["admin"])
    order = custom_order(sort[0] == "-")
    for number in (2, 3):
        html = client.get(f"/r/contacts/?sort={sort}&page={number}").content.decode()
        assert listed_ids(html) == order[(number - 1) * 50 : number * 50]
    # The same through the API, at another page size.
    api = client_for(users["admin"])
    for number in range(1, 6):
        body = api.get(f"/api/v1/contacts/?ordering={sort}&page_size=30&page={number}").json()
        assert [row["id"] for row in body["results"]] == order[(number - 1) * 30 : number * 30]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("he", "מספרי העמודים מגיעים עד 2 (100 הרשומות הראשונות)"),
        ("en", "Page numbers go up to 2 (the first 100 records)"),
    ],
)
def test_typed_page_numbers_stop_where_seeking_stops_being_cheap(
    contacts, users, client_for, monkeypatch, language, text
):
    from kesher.platform.lists import keyset

    monkeypatch.setattr(keyset, "TYPED_ROWS", 100)  # two pages of 50
    admin = users["admin"]
    admin.language = language
    admin.save(update_fields=["language"])
    client = client_for(admin)
    html = client.get("/r/contacts/?sort=last_name&page=2").content.decode()
    assert 'max="2"' in html
    assert listed_ids(html) == expected_order()[50:100]
    refused = client.get("/r/contacts/?sort=last_name&page=3").content.decode()
    assert listed_ids(refused) == []
    assert text in refused
    assert 'id="page-error"' in refused
    # The "next" link's cursor goes past the typed limit.
    beyond = client.get("/r/contacts/" + links(html)["next"]).content.decode()
    assert listed_ids(beyond) == expected_order()[100:]
    assert 'id="page-error"' not in beyond


def test_the_go_to_page_form_keeps_the_lists_other_parameters(contacts, users, client_for):
    html = client_for(users["admin"]).get("/r/contacts/?sort=last_name&city=בת ים").content
    form = re.search(r'<form method="get"[^>]*id="page-form">(.*?)</form>', html.decode(), re.S)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form[1]))
    assert fields == {"sort": "last_name", "city": "בת ים"}
    assert 'name="page"' in form[1]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("he", "מספרי העמודים מגיעים עד 2 כשבעמוד 40 רשומות (80 הרשומות"),
        ("en", "Page numbers go up to 2 at 40 records a page (the first 80 records)"),
    ],
)
def test_api_typed_pages_are_sought_and_refused_past_the_limit(
    contacts, users, api_for, monkeypatch, language, text
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kesher.platform.lists import keyset

    api = api_for(users["admin"], language=language)
    api.get("/api/v1/contacts/?ordering=last_name&page_size=40")  # read once per process
    with CaptureQueriesContext(connection) as first:
        api.get("/api/v1/contacts/?ordering=last_name&page_size=40")
    with CaptureQueriesContext(connection) as queries:
        body = api.get("/api/v1/contacts/?ordering=last_name&page_size=40&page=3").json()
    assert [row["id"] for row in body["results"]] == expected_order()[80:120]
    assert len(queries) == len(first) + 1
    assert _row_reads(queries)
    assert all("OFFSET" not in sql for sql in _row_reads(queries))
    assert "cursor=" in body["next"]
    assert "cursor=" in body["previous"]
    past = api.get("/api/v1/contacts/?ordering=last_name&page_size=40&page=9").json()
    assert (past["results"], past["next"]) == ([], None)

    monkeypatch.setattr(keyset, "TYPED_ROWS", 80)  # two pages of 40
    refused = api.get("/api/v1/contacts/?ordering=last_name&page_size=40&page=3")
    assert refused.status_code == 400
    assert text in refused.json()["page"][0]
    second = api.get("/api/v1/contacts/?ordering=last_name&page_size=40&page=2").json()
    third = api.get(second["next"]).json()
    assert [row["id"] for row in third["results"]] == expected_order()[80:120]


def test_keyset_boundary_is_none_past_the_end(contacts):
    keyset = Keyset.for_ordering(Contact, ["last_name", "first_name", "id"])
    queryset = Contact.objects.all()
    assert keyset.boundary(queryset, 131) is None
    last = keyset.boundary(queryset, 130)
    assert last is not None
    assert last.values[-1] == expected_order()[-1]


def test_the_schema_documents_the_page_limit(api_schema):
    schema = api_schema()
    parameters = schema["paths"]["/api/v1/contacts/"]["get"]["parameters"]
    page = next(p for p in parameters if p["name"] == "page")
    assert "page 2,000 at 50 a page" in page["description"]
    assert "400" in page["description"]


# --- the list's search box (decision 0056) ---------------------------------------------------


def test_the_lists_search_box_reads_ids_from_the_index_not_whole_records(
    contacts, users, client_for, api_for
):
    """``?q=`` finds the same records as the global search, and reads contacts' rows once:
    the page's own rows (the global search's step that reads them is not run)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Contact.objects.create(first_name="יעל", last_name="ברקוביץ", owner=users["sales_rep"])
    search.index_record(Contact.objects.get(last_name="ברקוביץ"))
    expected = [
        obj.pk
        for _e, objs in search.search(users["admin"], "moshe.levi1", limit=500)
        for obj in objs
    ]
    client = client_for(users["admin"])
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/r/contacts/", {"q": "moshe.levi1"}).content.decode()
    assert sorted(listed_ids(html)) == sorted(expected)
    assert len(expected) == 41  # moshe.levi1, moshe.levi10…19, 100…129
    assert len(_row_reads(queries)) == 1
    body = api_for(users["admin"]).get("/api/v1/contacts/", {"search": "ברקו"}).json()
    assert [row["last_name"] for row in body["results"]] == ["ברקוביץ"]
    assert (
        client.get("/r/contacts/", {"q": "ברקוביץ יעל"})
        .content.decode()
        .count('<a href="/r/contacts/')
        == 1
    )
