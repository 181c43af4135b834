"""Two-way contact sync against a real local Radicale (REQ OR-6, OR-5; decision 0123): create,
change and delete on each side, a conflict field by field, an expired token, a provider's 5xx
and 429, hostile, huge and broken cards — nothing duplicated, lost or half-written — the
administrator's policy, only what the user may see, and the practice environment."""

from __future__ import annotations

import pytest
import vobject
from caldav import DAVClient
from django.db import connection as db_connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesher.calsync.carddav import (
    MAX_CARD,
    _body,
    _sync_report,
    card_fields,
    eligible_contacts,
    sync_contacts,
)
from kesher.calsync.dav import ProviderError
from kesher.calsync.models import ContactConnection, Problem, SyncedCard, SyncPolicy
from kesher.calsync.services import (
    SETTLE,
    connection_save,
    connection_test,
    contact_changed,
    policy_update,
    sync_due,
)
from kesher.calsync.tests.conftest import PASSWORD
from kesher.customers.models import Contact
from kesher.customers.services import account_create, account_update, contact_create
from kesher.platform.events import Event as PlatformEvent
from kesher.platform.models import SavedView
from kesher.platform.records.services import record_delete, record_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def rep(users):
    return users["sales_rep"]


@pytest.fixture
def account(rep):
    return account_create(actor=rep, data={"name": "אקמה בע״מ", "owner": rep})


@pytest.fixture
def book(rep, device_addressbook, caldav_server):
    connection = connection_save(
        actor=rep,
        data={"url": caldav_server.url, "username": "rep", "password": PASSWORD},
        kind="contacts",
    )
    connection.addressbook_url = device_addressbook
    connection.save()
    return connection


@pytest.fixture
def phone():
    """The rep's phone, as a CardDAV client."""
    return DAVClient(url="http://127.0.0.1/", username="rep", password=PASSWORD)


def _contact(actor, account=None, **data):
    values = {"first_name": "דנה", "last_name": "כהן", "owner": actor, **data}
    links = [{"account": account, "role": "", "is_primary": True}] if account else None
    return contact_create(actor=actor, data=values, account_links=links)


def _hrefs(client, url) -> list[str]:
    return sorted(_sync_report(client, url, "")[1])


def _cards(client, url) -> dict[str, vobject.base.Component]:
    """{UID: card} of the address book as the phone reads it."""
    found = {}
    for href in _hrefs(client, url):
        text = _body(client.request(url.split("/rep/")[0] + href, "GET")).decode()
        card = vobject.readOne(text)
        found[card.uid.value] = card
    return found


def _by_name(client, url, name):
    return next(c for c in _cards(client, url).values() if c.fn.value == name)


def _put(client, url, name, text, etag=None):
    headers = {"Content-Type": "text/vcard; charset=utf-8"}
    if etag:
        headers["If-Match"] = etag
    answer = client.request(url + name, "PUT", text, headers)
    assert answer.status in (201, 204), answer.status
    return answer


def _vcard(uid, given, family, *lines, version="4.0"):
    body = "\r\n".join(
        [
            "BEGIN:VCARD",
            f"VERSION:{version}",
            f"UID:{uid}",
            f"FN:{given} {family}",
            f"N:{family};{given};;;",
            *lines,
            "END:VCARD",
            "",
        ]
    )
    return body


def _sync(book):
    book.refresh_from_db()
    return sync_contacts(book)


def test_a_contact_reaches_the_phone_then_its_changes_and_its_deletion_follow(
    users, rep, account, book, phone, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contact = _contact(
            rep,
            account,
            title="מנהלת רכש",
            email="dana@acme.co.il",
            phone="03-5551234",
            mobile="052-5551234",
        )
    book.refresh_from_db()
    assert book.due_at <= timezone.now() + SETTLE  # the change makes the address book due
    assert sync_due(timezone.now() + SETTLE) == 1
    card = _by_name(phone, book.addressbook_url, "דנה כהן")
    assert card.n.value.family == "כהן"
    assert card.org.value == ["אקמה בע״מ"]
    assert card.title.value == "מנהלת רכש"
    assert card.email.value == "dana@acme.co.il"
    tels = {t.type_param: t.value for t in card.contents["tel"]}
    assert tels == {"CELL": "+972525551234", "WORK": "+97235551234"}

    record_update(contact, actor=rep, data={"title": "סמנכ״לית"})
    assert _sync(book).sent == 1
    assert _by_name(phone, book.addressbook_url, "דנה כהן").title.value == "סמנכ״לית"
    assert _sync(book).sent == 0  # nothing changed: nothing sent

    # The account's name is the card's organization.
    account_update(account, actor=rep, data={"name": "אקמה תעשיות"})
    assert _sync(book).sent == 1
    assert _by_name(phone, book.addressbook_url, "דנה כהן").org.value == ["אקמה תעשיות"]

    record_delete(Contact.objects.get(pk=contact.pk), actor=users["admin"])
    assert _sync(book).deleted == 1
    assert _cards(phone, book.addressbook_url) == {}
    assert not SyncedCard.objects.filter(connection=book).exists()


def test_made_changed_and_deleted_on_the_phone(rep, account, book, phone):
    url = book.addressbook_url
    _put(
        phone,
        url,
        "new.vcf",
        _vcard(
            "phone-1",
            "יוסי",
            "לוי",
            "ORG:אקמה בע״מ",
            "TEL;VALUE=uri;TYPE=cell:tel:+972-54-1112222",
            "EMAIL:Yossi@Example.com",
        ),
    )
    result = _sync(book)
    assert result.received == 1
    made = Contact.objects.get(first_name="יוסי")
    assert (made.last_name, made.mobile, made.email) == (
        "לוי",
        "+972541112222",
        "yossi@example.com",
    )
    assert made.owner == rep
    assert list(made.accounts.all()) == [account]  # the organization matched by name
    assert _sync(book).received == 0  # nothing twice

    # Changed on the phone: the card keeps what Kesher does not hold (its note).
    etag = SyncedCard.objects.get(contact=made).etag
    _put(
        phone,
        url,
        "new.vcf",
        _vcard("phone-1", "יוסי", "לוי", "TITLE:קניין", "NOTE:נפגשנו בכנס", "ORG:אחר"),
        etag=etag,
    )
    assert _sync(book).received == 1
    made.refresh_from_db()
    assert made.title == "קניין"
    assert made.mobile == ""  # removed on the phone, unchanged in Kesher: taken
    # The organization is Kesher's: the phone's own is replaced, the note stays.
    card = _cards(phone, url)["phone-1"]
    assert card.org.value == ["אקמה בע״מ"]
    assert card.note.value == "נפגשנו בכנס"

    # Deleted on the phone: the contact stays in Kesher and is not sent there again.
    phone.request(url + "new.vcf", "DELETE")
    assert _sync(book).removed == 1
    assert Contact.objects.filter(pk=made.pk).exists()
    record_update(made, actor=rep, data={"title": "מנהל"})
    assert _sync(book).sent == 0
    assert _cards(phone, url) == {}


def test_a_conflict_keeps_kesher_on_the_field_both_changed_and_merges_the_rest(
    rep, account, book, phone
):
    contact = _contact(rep, account, title="רכש", mobile="052-5551234")
    _sync(book)
    known = SyncedCard.objects.get(contact=contact)
    card = _cards(phone, book.addressbook_url)[known.uid]
    card.title.value = "מהטלפון"
    card.contents.pop("tel")
    card.add("tel").value = "+972 50-999-8888"
    card.contents["tel"][0].type_param = "CELL"
    _put(phone, book.addressbook_url, known.href.rsplit("/", 1)[1], card.serialize(), known.etag)
    record_update(contact, actor=rep, data={"title": "מקסר"})  # both changed the title
    assert _sync(book).received == 1
    contact.refresh_from_db()
    assert contact.title == "מקסר"  # Kesher wins on the field both changed
    assert contact.mobile == "+972509998888"  # only the phone changed it: taken
    card = _cards(phone, book.addressbook_url)[known.uid]
    assert card.title.value == "מקסר"  # and Kesher's goes back to the phone
    assert _sync(book).sent == 0


def test_an_expired_token_resyncs_everything_without_duplicates(rep, account, book, phone):
    for n in range(3):
        _contact(rep, account, first_name=f"איש{n}")
    assert _sync(book).sent == 3
    ContactConnection.objects.filter(pk=book.pk).update(sync_token="http://x/sync/expired")
    result = _sync(book)
    assert result.full is True
    assert (result.sent, result.received, result.removed) == (0, 0, 0)
    assert len(_cards(phone, book.addressbook_url)) == 3
    assert Contact.objects.count() == 3
    assert SyncedCard.objects.filter(connection=book).count() == 3


def test_hostile_huge_and_broken_cards_are_set_aside_with_nothing_half_written(
    rep, book, phone, client_for
):
    url = book.addressbook_url
    _put(
        phone,
        url,
        "hostile.vcf",
        _vcard(
            "evil",
            "<script>alert(1)</script>\u202e\x07",
            "x" * 500,
            "EMAIL:not an address",
            "TEL:בלי מספר",
        ),
    )
    _put(
        phone,
        url,
        "noname.vcf",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:nn\r\nFN: \r\nN:;;;;\r\nEND:VCARD\r\n",
    )
    _put(
        phone,
        url,
        "huge.vcf",
        _vcard("huge", "גדול", "מאוד", "NOTE:" + "א" * (MAX_CARD // 2 + 10)),
    )
    _put(phone, url, "good.vcf", _vcard("good", "טובה", "בסדר", version="3.0"))
    result = _sync(book)
    # The hostile one's name is taken as text, its control characters and overrides dropped,
    # its name cut to the field; the refused e-mail and the non-number are left out.
    evil = Contact.objects.get(last_name__startswith="xxx")
    assert evil.first_name == "<script>alert(1)</script>"
    assert len(evil.last_name) == 100
    assert (evil.email, evil.phone, evil.mobile) == ("", "", "")
    assert Contact.objects.filter(first_name="טובה").exists()
    assert not Contact.objects.filter(first_name="גדול").exists()
    assert Contact.objects.count() == 2
    assert result.received == 2
    assert len(result.set_aside) == 2  # the nameless and the huge, known and never deleted
    assert _sync(book).received == 0
    assert {"noname.vcf", "huge.vcf"} <= {h.rsplit("/", 1)[1] for h in _hrefs(phone, url)}
    page = client_for(rep).get(f"/r/contacts/{evil.pk}/")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.content.decode()


@pytest.mark.parametrize(
    "text",
    [
        "not a vcard at all",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;\r\n",  # never ends
        "BEGIN:VEVENT\r\nUID:x\r\nEND:VEVENT\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:\x00\x01\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nN:" + ";" * 5000 + "\r\nEND:VCARD\r\n",
        "x" * (MAX_CARD + 1),
    ],
)
def test_a_card_kesher_cannot_read_is_none(text):
    assert card_fields(text) is None


def test_a_server_error_writes_nothing_and_is_retried_later(rep, book, phone, caldav_server):
    url = book.addressbook_url
    _put(phone, url, "a.vcf", _vcard("a", "אבי", "אב"))
    caldav_server.fail(500, times=1)
    book.refresh_from_db()
    with pytest.raises(ProviderError):
        sync_contacts(book)
    book.refresh_from_db()
    assert (book.problem, book.failures, book.sync_token) == (Problem.SERVER, 1, "")
    assert book.retry_at > timezone.now()
    assert not Contact.objects.exists()
    assert sync_due() == 0  # waiting
    assert sync_due(book.retry_at) == 1
    book.refresh_from_db()
    assert (book.problem, book.failures) == ("", 0)
    assert Contact.objects.filter(first_name="אבי").count() == 1


def test_a_rate_limit_waits_as_long_as_the_server_asks(rep, book, caldav_server):
    caldav_server.fail(429, retry_after="120")
    with pytest.raises(ProviderError):
        _sync(book)
    book.refresh_from_db()
    assert book.problem == Problem.RATE_LIMITED
    assert 110 < (book.retry_at - timezone.now()).total_seconds() <= 120


def test_the_policy_and_visibility_decide_what_reaches_the_phone(users, rep, account, book, phone):
    admin = users["admin"]
    mine = _contact(rep, account, first_name="שלי")
    owned_only = _contact(rep, None, first_name="בלי חשבון")
    other_account = account_create(actor=admin, data={"name": "זר", "owner": admin})
    _contact(admin, other_account, first_name="של אחר")
    hidden = _contact(users["sales_rep2"], account, first_name="נסתר")
    assert not Contact.objects.visible_to(rep).filter(pk=hidden.pk).exists()

    _sync(book)  # contacts of the accounts he owns (the default), that he may see
    assert {c.fn.value for c in _cards(phone, book.addressbook_url).values()} == {"שלי כהן"}

    policy_update(actor=admin, data={"contacts_scope": "owned"})
    _sync(book)
    names = {c.fn.value for c in _cards(phone, book.addressbook_url).values()}
    assert names == {"שלי כהן", "בלי חשבון כהן"}

    view = SavedView.objects.create(
        entity="contacts",
        name="ללא חשבון",
        owner=admin,
        shared=True,
        filter={"field": "first_name", "op": "eq", "value": "בלי חשבון"},
    )
    policy_update(actor=admin, data={"contacts_scope": "view", "contacts_view": view.pk})
    _sync(book)
    assert {c.fn.value for c in _cards(phone, book.addressbook_url).values()} == {"בלי חשבון כהן"}

    policy_update(actor=admin, data={"contacts_scope": "none"})
    assert _sync(book).deleted == 1
    assert _cards(phone, book.addressbook_url) == {}
    assert Contact.objects.filter(pk__in=[mine.pk, owned_only.pk]).count() == 2


def test_the_policy_refuses_a_view_that_is_not_a_shared_contacts_view(users):
    from django.core.exceptions import ValidationError

    private = SavedView.objects.create(entity="contacts", name="p", owner=users["admin"])
    with pytest.raises(ValidationError) as refused:
        policy_update(actor=users["admin"], data={"contacts_scope": "view"})
    assert "contacts_view" in refused.value.message_dict
    with pytest.raises(ValidationError):
        policy_update(
            actor=users["admin"], data={"contacts_scope": "view", "contacts_view": private.pk}
        )
    assert SyncPolicy.current().contacts_scope == "accounts_owned"


def test_which_contacts_costs_the_same_queries_however_many(rep, account):
    def count():
        with CaptureQueriesContext(db_connection) as seen:
            eligible_contacts(rep, SyncPolicy.current())
        return len(seen)

    _contact(rep, account, first_name="א")
    count()  # the role's grants, read once per process
    few = count()
    for n in range(15):
        _contact(rep, account, first_name=f"ב{n}")
    assert count() == few
    assert len(eligible_contacts(rep, SyncPolicy.current())) == 16


def test_the_calendar_password_is_reused_and_the_practice_environment_never_syncs(
    rep, account, caldav_server, device_addressbook
):
    connection_save(
        actor=rep,
        data={"url": caldav_server.url, "username": "rep", "password": PASSWORD},
    )
    book = connection_save(
        actor=rep, data={"url": caldav_server.url, "username": "rep"}, kind="contacts"
    )
    assert PASSWORD not in book.secret
    ok, found = connection_test(actor=rep, kind="contacts")
    assert ok, found
    assert found.startswith(caldav_server.url + "rep/")
    bad = connection_test(
        actor=rep,
        data={"url": caldav_server.url, "username": "rep", "password": "wrong"},
        kind="contacts",
    )
    assert bad[0] is False
    book.addressbook_url = device_addressbook
    book.save()
    _contact(rep, account)
    with override_settings(KESHER_PRACTICE=True):
        assert sync_due() == 0
        assert sync_contacts(book).sent == 0
        assert connection_test(actor=rep, kind="contacts")[0] is False
    assert not SyncedCard.objects.exists()


def test_a_contact_change_marks_only_the_address_books_it_concerns(users, rep, account, book):
    other = connection_save(
        actor=users["sales_rep2"],
        data={"url": "https://dav.example.com/", "username": "o", "password": "p"},
        kind="contacts",
    )
    ContactConnection.objects.update(due_at=None)
    contact = _contact(rep, account)
    contact_changed(PlatformEvent("updated", "contacts", contact.pk, {}))
    book.refresh_from_db()
    other.refresh_from_db()
    assert book.due_at is not None
    assert other.due_at is None
