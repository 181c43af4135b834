"""Customers through the pages: form POSTs validated like the API with nothing written on bad
input, stale edits refused, hostile text escaped everywhere it is shown, relationships read
from both sides (REQ CU-1, CU-2, CU-5, CX-3; DESIGN.md "Reliability and security rules")."""

import re

import pytest

from kesher.customers.models import Account
from kesher.customers.services import account_update
from kesher.customers.tests.factories import (
    INVALID_COMPANY_NUMBER,
    INVALID_ISRAELI_ID,
    VALID_COMPANY_NUMBER,
    choice,
    make_account,
    make_contact,
    make_relationship,
)
from kesher.platform.models import AuditEntry

pytestmark = pytest.mark.django_db

NEW = "/r/accounts/new/"
SCRIPT = "<script>alert('x')</script>"


def form_data(**values):
    """What the account form posts: its required fields plus ``values``."""
    return {"kind": "organization", "name": "Acme", "country": "ישראל", **values}


def edit_data(account, **values):
    """The edit form as the browser would post it for ``account`` (hidden version included)."""
    data = {
        "kind": account.kind,
        "name": account.name,
        "phone": account.phone,
        "city": account.city,
        "country": account.country,
        "owner": account.owner_id or "",
        "version": account.version,
    }
    data.update(values)
    return data


def field_errors(response, field: str) -> list[str]:
    html = response.content.decode()
    return re.findall(rf'data-error-for="{field}">([^<]*)<', html)


def row_counts():
    return Account.objects.count(), AuditEntry.objects.count()


def test_account_created_from_the_form_is_normalized(users, client_for):
    response = client_for(users["sales_rep"]).post(
        NEW,
        form_data(phone="052-555-1234", company_number="51-617915-7", email="a@b.co.il"),
    )
    assert response.status_code == 302
    account = Account.objects.get()
    assert response["Location"] == f"/r/accounts/{account.pk}/"
    assert account.phone == "+972525551234"
    assert account.company_number == VALID_COMPANY_NUMBER
    # A blank owner on the form means the creating user (REQ OR-3: reps see their own).
    assert account.owner == users["sales_rep"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"israeli_id": INVALID_ISRAELI_ID}, "israeli_id"),
        ({"company_number": INVALID_COMPANY_NUMBER}, "company_number"),
        ({"phone": "phone me maybe"}, "phone"),
        ({"email": "nobody-at-example"}, "email"),
        ({"website": "javascript alert"}, "website"),
        ({"name": "א" * 201}, "name"),
        ({"zip_code": "1" * 11}, "zip_code"),
        ({"status": 999999}, "status"),
        ({"status": "active"}, "status"),
        ({"club_joined_on": "31/31/2024"}, "club_joined_on"),
        ({"kind": "person", "company_number": VALID_COMPANY_NUMBER}, "company_number"),
    ],
)
def test_bad_form_input_shows_the_field_error_and_writes_nothing(users, client_for, values, field):
    before = row_counts()
    response = client_for(users["admin"]).post(NEW, form_data(**values))
    assert response.status_code == 200
    assert field_errors(response, field), response.content.decode()[:2000]
    assert row_counts() == before


def test_pick_list_value_of_another_list_or_inactive_is_refused_on_the_form(users, client_for):
    client = client_for(users["admin"])
    response = client.post(NEW, form_data(status=choice("industry", "tech").pk))
    assert field_errors(response, "status")
    retired = choice("account_status", "vip")
    retired.active = False
    retired.save(update_fields=["active"])
    response = client.post(NEW, form_data(status=retired.pk))
    assert field_errors(response, "status")
    assert not Account.objects.exists()


def test_inactive_user_cannot_be_chosen_as_owner_on_the_form(users, client_for):
    response = client_for(users["admin"]).post(NEW, form_data(owner=users["inactive"].pk))
    assert field_errors(response, "owner")
    assert not Account.objects.exists()
    form = client_for(users["admin"]).get(NEW).content.decode()
    owner_select = re.search(r'<select name="owner".*?</select>', form, re.S).group(0)
    assert f'value="{users["sales_rep"].pk}"' in owner_select
    assert f'value="{users["inactive"].pk}"' not in owner_select


@pytest.mark.parametrize(
    ("values", "field", "english"),
    [
        ({"email": "nobody-at-example"}, "email", "Enter a valid email address."),
        ({"israeli_id": INVALID_ISRAELI_ID}, "israeli_id", "Enter a valid Israeli ID number."),
    ],
)
def test_form_errors_are_in_the_users_language(users, client_for, values, field, english):
    user = users["admin"]
    hebrew = field_errors(client_for(user).post(NEW, form_data(**values)), field)
    user.language = "en"
    user.save(update_fields=["language"])
    assert field_errors(client_for(user).post(NEW, form_data(**values)), field) == [english]
    assert len(hebrew) == 1
    assert any("\u0590" <= ch <= "\u05ff" for ch in hebrew[0]), hebrew
    assert not Account.objects.exists()


def test_edit_form_saves_and_bumps_the_version(users, client_for):
    account = make_account(users["admin"], name="Acme", city="חיפה")
    response = client_for(users["admin"]).post(
        f"/r/accounts/{account.pk}/edit/", edit_data(account, city="אילת")
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.city, account.version) == ("אילת", 2)


def test_edit_form_renders_the_current_version_hidden(users, client_for):
    account = make_account(users["admin"])
    account = account_update(account, actor=users["admin"], data={"city": "לוד"})
    html = client_for(users["admin"]).get(f"/r/accounts/{account.pk}/edit/").content.decode()
    assert re.search(r'<input type="hidden" name="version" value="2"', html)


def test_stale_edit_form_shows_a_conflict_and_overwrites_nothing(users, client_for):
    account = make_account(users["admin"], name="Acme", city="חיפה")
    stale = edit_data(account, city="עכו")
    client = client_for(users["admin"])
    assert (
        client.post(f"/r/accounts/{account.pk}/edit/", edit_data(account, city="אילת"))
    ).status_code == 302
    audit_before = AuditEntry.objects.count()
    response = client.post(f"/r/accounts/{account.pk}/edit/", stale)
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()
    account.refresh_from_db()
    assert (account.city, account.version) == ("אילת", 2)
    assert AuditEntry.objects.count() == audit_before


def test_bad_edit_writes_nothing(users, client_for):
    account = make_account(users["admin"], name="Acme", phone="0525551234")
    response = client_for(users["admin"]).post(
        f"/r/accounts/{account.pk}/edit/", edit_data(account, city="אילת", phone="x")
    )
    assert field_errors(response, "phone")
    account.refresh_from_db()
    assert (account.city, account.phone, account.version) == ("", "+972525551234", 1)


def test_nul_and_bidi_controls_are_stripped_from_the_form(users, client_for):
    response = client_for(users["admin"]).post(
        NEW, form_data(name="Ac\x00me\u202e", city="\u2067חיפה\u2069")
    )
    assert response.status_code == 302
    account = Account.objects.get()
    assert (account.name, account.city) == ("Acme", "חיפה")


# --- Escaping: markup in names is stored, and shown as text ---------------------------------


def assert_escaped(html: str):
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html


def test_markup_in_a_name_is_stored_and_shown_escaped_everywhere(users, client_for):
    client = client_for(users["admin"])
    response = client.post(NEW, form_data(name=SCRIPT, notes="'; DROP TABLE x; --"))
    assert response.status_code == 302
    account = Account.objects.get()
    assert account.name == SCRIPT
    assert account.notes == "'; DROP TABLE x; --"

    assert_escaped(client.get(f"/r/accounts/{account.pk}/").content.decode())
    assert_escaped(client.get("/r/accounts/").content.decode())
    assert_escaped(client.get("/search/", {"q": "script"}).content.decode())
    partial = client.get("/search/", {"q": "script"}, HTTP_HX_REQUEST="true")
    assert_escaped(partial.content.decode())
    assert_escaped(client.get("/pick/accounts/", {"q": "script"}).content.decode())
    assert_escaped(client.get(f"/r/accounts/{account.pk}/edit/").content.decode())


def test_markup_in_a_contact_name_is_escaped_on_the_account_panel(users, client_for):
    admin = users["admin"]
    account = make_account(admin, name="Acme")
    make_contact(admin, first_name=SCRIPT, account_links=[{"account": account, "role": SCRIPT}])
    make_relationship(
        admin, "partner", from_account=account, to_account=make_account(admin, name=SCRIPT)
    )
    assert_escaped(client_for(admin).get(f"/r/accounts/{account.pk}/").content.decode())


# --- Detail page: contacts with roles, relationships both ways, timeline --------------------


def test_account_page_lists_contacts_with_their_roles(users, client_for):
    admin = users["admin"]
    acme = make_account(admin, name="Acme")
    make_contact(
        admin,
        first_name="רות",
        last_name="לוי",
        account_links=[{"account": acme, "role": "מנכ״לית"}],
    )
    html = client_for(admin).get(f"/r/accounts/{acme.pk}/").content.decode()
    assert "רות לוי" in html
    assert "מנכ״לית" in html


def test_relationship_is_shown_with_the_reverse_label_on_the_other_record(users, client_for):
    admin = users["admin"]
    admin.language = "en"
    admin.save(update_fields=["language"])
    holding = make_account(admin, name="Holding Ltd")
    daughter = make_account(admin, name="Daughter Ltd")
    make_relationship(admin, "parent", from_account=holding, to_account=daughter)
    client = client_for(admin)
    on_holding = client.get(f"/r/accounts/{holding.pk}/").content.decode()
    on_daughter = client.get(f"/r/accounts/{daughter.pk}/").content.decode()
    assert "Parent company of" in on_holding
    assert "Daughter Ltd" in on_holding
    assert "Subsidiary of" in on_daughter
    assert "Subsidiary of" not in on_holding


def test_relationship_added_from_the_page(users, client_for):
    admin = users["admin"]
    a, b = make_account(admin, name="A"), make_account(admin, name="B")
    client = client_for(admin)
    data = {
        "type": choice("relationship_type", "supplier").pk,
        "target_kind": "account",
        "to_account": b.pk,
    }
    assert client.post(f"/r/accounts/{a.pk}/relate/", data).status_code == 302
    assert a.relations_out.get().to_account == b
    # The same again is refused with a message and adds nothing.
    client.post(f"/r/accounts/{a.pk}/relate/", data)
    assert a.relations_out.count() == 1
    # Relating a record to itself is refused.
    client.post(f"/r/accounts/{a.pk}/relate/", {**data, "to_account": a.pk})
    assert a.relations_out.count() == 1


def test_contact_created_from_the_account_page_is_linked_with_its_role(users, client_for):
    admin = users["admin"]
    acme = make_account(admin, name="Acme")
    response = client_for(admin).post(
        f"/r/accounts/{acme.pk}/add-contact/",
        {"first_name": "דנה", "last_name": "כהן", "role": "רכש", "phone": "054-7654321"},
    )
    assert response.status_code == 302
    link = acme.contact_links.select_related("contact").get()
    assert (link.contact.first_name, link.role, link.contact.phone) == (
        "דנה",
        "רכש",
        "+972547654321",
    )


def test_timeline_on_the_detail_page_shows_changes(users, client_for):
    admin = users["admin"]
    account = make_account(admin, name="Acme", city="חיפה")
    client = client_for(admin)
    client.post(f"/r/accounts/{account.pk}/edit/", edit_data(account, city="אילת"))
    page = client.get(f"/r/accounts/{account.pk}/").content.decode()
    # The page loads its timeline after it shows (htmx), from the timeline's own address.
    assert f'id="timeline" hx-get="/r/accounts/{account.pk}/timeline/"' in page
    html = client.get(f"/r/accounts/{account.pk}/timeline/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    timeline = timeline[: timeline.index("</ol>")]
    assert "חיפה" in timeline
    assert "אילת" in timeline
    # The newest change comes first.
    assert timeline.index("אילת") < timeline.rindex("Acme")
