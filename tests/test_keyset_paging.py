"""Keyset paging of the list page and the API, index-friendly prefixes, multi-word search
(REQ CU-1 customer database; DESIGN.md "Lists at scale" and "Search")."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from kesher.customers.models import Contact
from kesher.platform import search
from kesher.platform.keyset import Keyset

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
    """The pager's links: the one before the page number is "previous", after it "next"."""
    nav = re.search(r'<nav class="btn-group">(.*?)</nav>', html, re.S).group(1)
    before, _number, after = re.split(r'(<span class="btn btn-sm disabled">\d+</span>)', nav)
    found = {}
    for key, part in (("prev", before), ("next", after)):
        match = re.search(r'href="(\?[^"]*)"', part)
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


def test_keyset_refuses_orderings_it_cannot_seek():
    assert Keyset.for_ordering(Contact, ["last_contact_at"]) is None  # nullable
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
