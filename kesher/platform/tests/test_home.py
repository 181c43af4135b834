"""The home page's "My …" cards: a kind of record the user owns some of gets a card of its
latest; the kinds he owns none of yet share one card of links, so a support agent's home is
not six empty cards before his tickets."""

import re

import pytest

from kesher.customers.tests.factories import make_contact

pytestmark = pytest.mark.django_db


def _card(html: str, card_id: str) -> str:
    found = re.search(rf'id="{card_id}".*?</ul>', html, re.S)
    return found.group(0) if found else ""


def test_owned_kinds_get_a_card_and_the_rest_one_line_of_links(users, client_for):
    rep = users["sales_rep"]
    make_contact(rep, first_name="Dana", last_name="Levi")
    html = client_for(rep).get("/").content.decode()

    none_yet = _card(html, "home-none-yet")
    assert 'href="/r/accounts/"' in none_yet  # he owns no account yet
    assert 'href="/r/contacts/"' not in none_yet  # he owns a contact: it has its card
    assert "Dana Levi" in html
    assert f'href="/r/contacts/?owner={rep.pk}"' in html
    assert f'href="/r/accounts/?owner={rep.pk}"' not in html  # no empty card of its own
