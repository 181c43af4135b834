"""Two-way, incremental sync of a user's contacts with his CardDAV address book (REQ OR-6, OR-5;
decision 0123), beside the CalDAV sync (decision 0110) and sharing its connection, secrets,
outgoing-address guard, backoff and schedule (``kesher.calsync.dav``).

One run:

1. **Pull** — a sync-collection REPORT (RFC 6578) from the stored token names the cards that
   changed or went; changed ones are read by one addressbook-multiget (RFC 6352) per hundred. An
   expired token lists every card with its ETag and compares. All is read first, then written in
   one transaction with the new token; each card in a savepoint of its own, so a card Kesher
   cannot take (broken, huge, hostile, a value a field refuses) is set aside — never half-written.
2. **Push** — the contacts the policy lets reach the device and the user may see, whose fields
   as a card differ from what was last agreed, are PUT (new: ``If-None-Match: *`` at
   ``<uid>.vcf``; changed: read first, Kesher's properties replaced and the device's others —
   a photo, an address — kept, then ``If-Match`` its ETag); cards whose contact is gone, no
   longer visible or no longer allowed are DELETEd.

**Conflicts, field by field**: each card's mapping keeps the fields as last agreed (``sent``).
A field the device changed and Kesher did not is taken; a field Kesher changed goes out; a field
both changed since the last sync keeps **Kesher's** value. The organization (the account's name)
is Kesher's only.

**Deletion**: a card deleted on the device never deletes the contact; that contact is no longer
sent to that device (``ignored``). A contact deleted in Kesher, no longer visible to the user or
no longer allowed by the policy is deleted from the device.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import vobject
from caldav.lib import error
from caldav.lib.url import URL
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from lxml import etree

from kesher.calsync.dav import (
    ProviderError,
    client_for,
    guarded,
    practice,
    record_outcome,
    status,
    to_read_and_gone,
)
from kesher.calsync.models import ContactConnection, Problem, SyncedCard, SyncPolicy
from kesher.calsync.secrets import decrypt
from kesher.customers.models import Account, Contact, ContactAccount
from kesher.platform.access import can
from kesher.platform.fields import normalize_phone
from kesher.platform.records.services import ConflictError, record_create, record_update

__all__ = [
    "FIELDS",
    "card_fields",
    "connect_addressbook",
    "contact_card",
    "eligible_contacts",
    "sync_contacts",
]

BATCH = 100
MAX_CARD = 256 * 1024  # larger cards (a huge photo, a flood) are left on the device, unread
MOST_CARDS = 10_000  # a phone's address book is no place for a whole customer base
CONTENT_TYPE = {"Content-Type": "text/vcard; charset=utf-8"}
DAV, CARD = "DAV:", "urn:ietf:params:xml:ns:carddav"
NS = {"d": DAV, "c": CARD}
# The fields a card carries, each a contact's; the organization is the account's name.
FIELDS = ("first_name", "last_name", "title", "email", "phone", "mobile", "organization")
FROM_DEVICE = ("first_name", "last_name", "title", "email", "phone", "mobile")
# vCard properties Kesher writes; on a card it updates, the device's others are kept.
MANAGED = ("fn", "n", "org", "title", "tel", "email", "rev", "prodid")
# Control characters (tab and new line kept) and bidi overrides are not stored from a device.
_HOSTILE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


class _Refused(Exception):
    """A card Kesher does not take."""


@dataclass
class Result:
    sent: int = 0
    deleted: int = 0
    received: int = 0
    removed: int = 0
    full: bool = False
    set_aside: list = field(default_factory=list)  # (href, why) of cards not taken


# --- the server ----------------------------------------------------------------------------------


def _body(response) -> bytes:
    """The answer's body as it came (the library keeps a parsed XML answer as ``tree``)."""
    tree = getattr(response, "tree", None)
    if tree is not None:
        return etree.tostring(tree)
    raw = getattr(response, "_raw_body", b"") or getattr(response, "_raw", b"") or b""
    return raw.encode() if isinstance(raw, str) else raw


def _tree(response):
    tree = getattr(response, "tree", None)
    if tree is not None:
        return tree
    raw = _body(response)
    if not raw:
        return None
    try:
        return etree.fromstring(raw, parser=etree.XMLParser(resolve_entities=False))
    except etree.XMLSyntaxError as failure:
        raise ProviderError(Problem.SERVER, f"not XML: {failure}") from failure


def _path(url) -> str:
    return URL.objectify(str(url)).path


def _propfind(client, url: str, props: str, depth: int):
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="{DAV}" xmlns:c="{CARD}">'
        f"<d:prop>{props}</d:prop></d:propfind>"
    )
    response = guarded(client.propfind, url, body, depth, not_found=Problem.NOT_ADDRESS_BOOK)
    if status(response, url) == 404:
        raise ProviderError(Problem.NOT_ADDRESS_BOOK, f"404 {url}")
    return _tree(response)


def _is_addressbook(response) -> bool:
    return response.find(".//d:resourcetype/c:addressbook", NS) is not None


def connect_addressbook(url: str, username: str, password: str) -> tuple:
    """(client, the address book's address): ``url`` itself when it is an address book, else
    the first address book of the account it names. ProviderError when neither."""
    client = client_for(url, username, password)
    tree = _propfind(client, url, "<d:resourcetype/><d:current-user-principal/>", 0)
    first = tree.find("d:response", NS) if tree is not None else None
    if first is not None and _is_addressbook(first):
        return client, url
    principal = tree.findtext(".//d:current-user-principal/d:href", None, NS) if tree else None
    base = URL.objectify(url)
    home = None
    if principal:
        found = _propfind(client, str(base.join(principal)), "<c:addressbook-home-set/>", 0)
        home = found.findtext(".//c:addressbook-home-set/d:href", None, NS) if found else None
    if home:
        listing = _propfind(client, str(base.join(home)), "<d:resourcetype/>", 1)
        books = sorted(
            r.findtext("d:href", "", NS)
            for r in listing.findall("d:response", NS)
            if _is_addressbook(r)
        )
        if books:
            return client, str(base.join(books[0]))
    raise ProviderError(Problem.NOT_ADDRESS_BOOK, url)


def _sync_report(client, url: str, token: str):
    """(new token, {href: etag} changed, {href} deleted) since ``token``; an expired token
    raises ``error.AuthorizationError`` with the ``valid-sync-token`` precondition."""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="{DAV}">'
        f"<d:sync-token>{escape(token)}</d:sync-token><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )
    response = guarded(client.report, url, body, 0, not_found=Problem.NOT_ADDRESS_BOOK)
    code = status(response, url)
    raw = _body(response)
    if code in (403, 409) or (b"valid-sync-token" in raw and code >= 400):
        raise error.AuthorizationError(url)
    if code >= 300:
        raise ProviderError(Problem.NOT_ADDRESS_BOOK, f"{code} {url}")
    tree = _tree(response)
    changed, deleted = {}, set()
    own = _path(url)
    for item in tree.findall("d:response", NS) if tree is not None else []:
        href = _path(URL.objectify(url).join(item.findtext("d:href", "", NS)))
        if href.rstrip("/") == own.rstrip("/"):
            continue
        if "404" in (item.findtext("d:status", "", NS) or ""):
            deleted.add(href)
            continue
        changed[href] = item.findtext(".//d:getetag", "", NS) or ""
    token = tree.findtext("d:sync-token", "", NS) if tree is not None else ""
    return token, changed, deleted


def _multiget(client, url: str, hrefs: list[str]) -> list[tuple[str, str, str]]:
    """[(href, etag, the card's text)] of ``hrefs``, one REPORT per hundred."""
    found = []
    for start in range(0, len(hrefs), BATCH):
        asked = "".join(f"<d:href>{escape(h)}</d:href>" for h in hrefs[start : start + BATCH])
        body = (
            f'<?xml version="1.0" encoding="utf-8"?>'
            f'<c:addressbook-multiget xmlns:d="{DAV}" xmlns:c="{CARD}">'
            f"<d:prop><d:getetag/><c:address-data/></d:prop>{asked}</c:addressbook-multiget>"
        )
        response = guarded(client.report, url, body, 1, not_found=Problem.NOT_ADDRESS_BOOK)
        if status(response, url) >= 300:
            raise ProviderError(Problem.SERVER, f"{response.status} {url}")
        tree = _tree(response)
        for item in tree.findall("d:response", NS) if tree is not None else []:
            data = item.find(".//c:address-data", NS)
            if data is None:
                continue
            href = _path(URL.objectify(url).join(item.findtext("d:href", "", NS)))
            found.append((href, item.findtext(".//d:getetag", "", NS) or "", data.text or ""))
    return found


# --- cards ---------------------------------------------------------------------------------------


def _clean(value, limit: int) -> str:
    return _HOSTILE.sub("", str(value or "")).strip()[:limit]


def _phone(value: str) -> str:
    value = _clean(value, 60)
    if value.lower().startswith("tel:"):
        value = value[4:]
    try:
        return normalize_phone(value)
    except ValidationError:
        return ""


def card_fields(text: str) -> tuple[str, dict] | None:
    """(UID, the card's fields as Kesher holds them) of a vCard 3.0 or 4.0, or None when it is
    not one Kesher can read. Hostile characters are dropped and lengths cut to the fields'."""
    if len(text) > MAX_CARD or len(text.encode("utf-8", "replace")) > MAX_CARD:
        return None
    try:
        card = vobject.readOne(text, ignoreUnreadable=True)
    except Exception:  # vobject raises many kinds on a broken card
        return None
    if getattr(card, "name", "") != "VCARD":
        return None
    contents = card.contents
    uid = _clean(contents["uid"][0].value, 255) if "uid" in contents else ""
    given = family = ""
    if "n" in contents:
        name = contents["n"][0].value
        given = _clean(" ".join(_as_list(getattr(name, "given", ""))), 100)
        family = _clean(" ".join(_as_list(getattr(name, "family", ""))), 100)
    if not given and not family and "fn" in contents:
        full = _clean(contents["fn"][0].value, 200)
        given, _, family = full.partition(" ")
        given, family = given[:100], family[:100]
    fields = dict.fromkeys(FIELDS, "")
    fields.update(first_name=given, last_name=family)
    if "title" in contents:
        fields["title"] = _clean(contents["title"][0].value, 100)
    for item in contents.get("email", []):
        address = _clean(item.value, 254).lower()
        if address.startswith("mailto:"):
            address = address[7:]
        if address:
            fields["email"] = address
            break
    for item in contents.get("tel", []):
        kinds = {str(k).lower() for k in item.params.get("TYPE", [])}
        number = _phone(item.value)
        slot = "mobile" if kinds & {"cell", "mobile", "iphone"} else "phone"
        if number and not fields[slot]:
            fields[slot] = number
    if "org" in contents:
        fields["organization"] = _clean(_as_list(contents["org"][0].value)[0], 200)
    if not fields["first_name"]:
        return None  # a contact needs a first name
    return uid, fields


def _as_list(value) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value] or [""]
    return [str(value or "")]


def _fill(card, uid: str, fields: dict) -> None:
    for name in MANAGED:
        card.contents.pop(name, None)
    if "version" not in card.contents:
        card.add("version").value = "3.0"
    if "uid" not in card.contents:
        card.add("uid").value = uid
    card.add("prodid").value = "-//Kesher CRM//kesher//HE"
    card.add("fn").value = f"{fields['first_name']} {fields['last_name']}".strip()
    card.add("n").value = vobject.vcard.Name(family=fields["last_name"], given=fields["first_name"])
    if fields["organization"]:
        card.add("org").value = [fields["organization"]]
    if fields["title"]:
        card.add("title").value = fields["title"]
    if fields["email"]:
        email = card.add("email")
        email.value = fields["email"]
        email.type_param = "INTERNET"
    for slot, kind in (("mobile", "CELL"), ("phone", "WORK")):
        if fields[slot]:
            tel = card.add("tel")
            tel.value = fields[slot]
            tel.type_param = kind


def contact_card(uid: str, fields: dict, device_text: str = "") -> str:
    """The vCard (3.0) of a contact's ``fields``: over ``device_text`` (the card as the device
    has it) when given, so that what only the device holds — a photo, an address, notes — is
    kept; a card Kesher cannot read is replaced whole."""
    card = None
    if device_text and len(device_text.encode("utf-8", "replace")) <= MAX_CARD:
        try:
            card = vobject.readOne(device_text, ignoreUnreadable=True)
        except Exception:
            card = None
        if card is not None and getattr(card, "name", "") != "VCARD":
            card = None
    if card is None:
        card = vobject.vCard()
    _fill(card, uid, fields)
    return card.serialize()


# --- which contacts ------------------------------------------------------------------------------


def _scoped(user, policy: SyncPolicy):
    """The contacts the policy lets reach ``user``'s device — only those he may see (OR-5)."""
    contacts = Contact.objects.visible_to(user)
    scope = policy.contacts_scope
    if not policy.enabled or scope == SyncPolicy.ContactScope.NONE:
        return contacts.none()
    if scope == SyncPolicy.ContactScope.ACCOUNTS_OWNED:
        owned = ContactAccount.objects.filter(account__owner=user).values("contact_id")
        return contacts.filter(pk__in=owned)
    if scope == SyncPolicy.ContactScope.OWNED:
        return contacts.filter(owner=user)
    if scope == SyncPolicy.ContactScope.VIEW:
        view = policy.contacts_view
        if view is None or view.entity != "contacts":
            return contacts.none()
        from kesher.platform.lists.filterlang import apply_filter
        from kesher.platform.registry import registry

        return apply_filter(contacts, registry.get("contacts"), view.filter, user=user)
    return contacts


def eligible_contacts(user, policy: SyncPolicy, also: Iterable[int] = ()) -> dict[int, dict]:
    """{contact id: its card's fields} of what belongs in ``user``'s address book: the policy's
    contacts (at most ``MOST_CARDS``), plus ``also`` (contacts that came from his device) while
    he may see them. The organization is the name of the contact's primary account among those
    he may see (else the first by name). Three queries, however many contacts."""
    ids = list(_scoped(user, policy).order_by("pk").values_list("pk", flat=True)[:MOST_CARDS])
    also = set(also) - set(ids)
    if also and policy.enabled:
        ids += list(
            Contact.objects.visible_to(user).filter(pk__in=also).values_list("pk", flat=True)
        )
    if not ids:
        return {}
    wanted: dict[int, dict] = {}
    for start in range(0, len(ids), 2000):
        chunk = ids[start : start + 2000]
        rows = Contact.objects.filter(pk__in=chunk).values("pk", *FROM_DEVICE)
        for row in rows:
            pk = row.pop("pk")
            wanted[pk] = {**{k: v or "" for k, v in row.items()}, "organization": ""}
        links = (
            ContactAccount.objects.filter(
                contact_id__in=chunk, account__in=Account.objects.visible_to(user)
            )
            .order_by("contact_id", "-is_primary", "account__name")
            .values_list("contact_id", "account__name")
        )
        for contact_id, name in links:
            if not wanted[contact_id]["organization"]:
                wanted[contact_id]["organization"] = name
    return wanted


# --- one run -------------------------------------------------------------------------------------


def _file_name(uid: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", uid)


def _site() -> str:
    return settings.KESHER_BASE_URL.split("//", 1)[-1].split("/", 1)[0] or "kesher"


class Run:
    def __init__(self, connection: ContactConnection, policy: SyncPolicy | None = None):
        self.connection = connection
        self.policy = policy or SyncPolicy.current()
        self.result = Result()
        self.client = None
        self.url = ""

    # pull ------------------------------------------------------------------------------------

    def _changes(self):
        token = self.connection.sync_token
        try:
            new, changed, deleted = _sync_report(self.client, self.url, token)
        except error.AuthorizationError:
            if not token:
                raise ProviderError(Problem.SIGN_IN, self.url) from None
            new, changed, deleted = _sync_report(self.client, self.url, "")  # expired: all
            token = ""
        return new, changed, deleted, not token

    def pull(self) -> None:
        connection = self.connection
        token, changed, deleted, full = self._changes()
        self.result.full = full
        mapping = {m.href: m for m in connection.cards.all()}
        to_read, deleted = to_read_and_gone(changed, mapping, deleted, full)
        incoming = _multiget(self.client, self.url, to_read) if to_read else []
        with transaction.atomic():
            for href, etag, text in incoming:
                try:
                    with transaction.atomic():  # a card Kesher cannot take is rolled back alone
                        if not self._take(href, etag, text, mapping):
                            raise _Refused
                except (_Refused, ValidationError, IntegrityError, ValueError):
                    self._refused(href, etag, mapping)
            for href in deleted:
                if href in mapping:
                    self._gone(mapping[href])
            connection.sync_token = token
            connection.save(update_fields=["sync_token"])

    def _refused(self, href: str, etag: str, mapping: dict) -> None:
        """A card Kesher does not take (broken, huge, no name, refused by a field's rules):
        nothing of it was written. A synced contact's card gets Kesher's fields again at the
        push; any other is set aside — known, so never read again until it changes, and never
        deleted by Kesher."""
        known = self.connection.cards.filter(href=href).first()
        if known is not None and known.contact_id and not known.ignored:
            known.etag, known.sent = etag, {}
            known.save(update_fields=["etag", "sent"])
            mapping[href] = known
        else:
            if known is None:
                known = SyncedCard(connection=self.connection, href=href, uid=href)
            known.etag, known.ignored, known.contact = etag, True, None
            known.save()
            mapping.pop(href, None)
        self.result.set_aside.append(href)

    def _take(self, href: str, etag: str, text: str, mapping: dict) -> bool:
        """Take one card; False when it cannot be taken (nothing of it is kept)."""
        read = card_fields(text)
        if read is None:
            return False
        uid, device = read
        uid = uid or href
        known = mapping.get(href)
        if known is None:
            known = self.connection.cards.filter(uid=uid).first()
            if known is not None:  # the same card at a new address (a full resync)
                mapping.pop(known.href, None)
                known.href = href
                mapping[href] = known
        if known is not None and known.ignored and known.contact_id is None:
            known.delete()  # set aside before; changed since: read again as new
            mapping.pop(href, None)
            known = None
        if known is None:
            return self._new(href, etag, uid, device, mapping)
        known.etag = etag
        contact = Contact.objects.filter(pk=known.contact_id).first()
        if contact is None or known.ignored:
            known.save(update_fields=["href", "etag"])
            return True
        user = self.connection.user
        if not (self.policy.contacts_from_device and can(user, "contacts", "change")):
            known.sent = {}  # Kesher's fields go back to the device
            known.save(update_fields=["href", "etag", "sent"])
            return True
        sent = known.sent or {}
        mine = {name: getattr(contact, name) or "" for name in FROM_DEVICE}
        data = {
            name: device[name]
            for name in FROM_DEVICE
            if device[name] != sent.get(name, "")  # changed on the device
            and mine[name] == sent.get(name, mine[name])  # and not in Kesher: Kesher wins
            and device[name] != mine[name]
        }
        if data:
            if not self._write(contact, data):
                return False
            self.result.received += 1
        agreed = dict(sent)
        for name in FROM_DEVICE:
            if name in data or device[name] == mine[name]:
                agreed[name] = device[name]
        # A field both sides changed keeps Kesher's: the push sends it (``sent`` differs from
        # it). The organization is Kesher's: a device's own is replaced at the push.
        agreed["organization"] = device["organization"]
        known.sent = agreed
        known.save(update_fields=["href", "etag", "sent"])
        return True

    def _write(self, contact: Contact, data: dict) -> bool:
        """Write the device's changes as the user (audited, rights checked); a field Kesher
        refuses is left out; False when nothing could be written."""
        user = self.connection.user
        for _attempt in range(2):
            try:
                record_update(contact, actor=user, data=data, expected_version=contact.version)
                return True
            except ConflictError:
                return True  # changed in Kesher meanwhile: the next run compares again
            except ValidationError as refused:
                keys = set(getattr(refused, "error_dict", {}) or {})
                data = {k: v for k, v in data.items() if k not in keys}
                if not data or not keys:
                    return False
        return False

    def _new(self, href: str, etag: str, uid: str, device: dict, mapping: dict) -> bool:
        user = self.connection.user
        if not (self.policy.contacts_from_device and can(user, "contacts", "add")):
            return False
        data = {name: device[name] for name in FROM_DEVICE if device[name]}
        contact = None
        for _attempt in range(2):
            try:
                contact = record_create("contacts", actor=user, data={**data, "owner": user})
                break
            except ValidationError as refused:
                keys = set(getattr(refused, "error_dict", {}) or {}) - {"first_name"}
                if not keys or not set(data) & keys:
                    return False
                data = {k: v for k, v in data.items() if k not in keys}
        if contact is None:
            return False
        account = (
            Account.objects.visible_to(user).filter(name=device["organization"]).first()
            if device["organization"]
            else None
        )
        if account is not None and can(user, "contacts", "change"):
            from kesher.customers.services import contact_link_account

            contact_link_account(contact, actor=user, account=account, is_primary=True)
        self.result.received += 1
        mapping[href] = SyncedCard.objects.create(
            connection=self.connection,
            contact=contact,
            uid=uid,
            href=href,
            etag=etag,
            version=contact.version,
            sent={**dict.fromkeys(FIELDS, ""), **data, "from_device": True},
        )
        return True

    def _gone(self, known: SyncedCard) -> None:
        """Deleted on the device: the contact stays in Kesher and is not sent there again."""
        if known.contact_id is None:
            known.delete()
            return
        if not known.ignored:
            known.ignored = True
            known.save(update_fields=["ignored"])
            self.result.removed += 1

    # push ------------------------------------------------------------------------------------

    def push(self) -> None:
        connection, client = self.connection, self.client
        mapped, kept_off, from_device = {}, set(), set()
        for known in connection.cards.all():
            if known.ignored:
                kept_off.add(known.contact_id)
            else:
                mapped[known.contact_id] = known
                if (known.sent or {}).get("from_device"):
                    from_device.add(known.contact_id)
        wanted = eligible_contacts(connection.user, self.policy, from_device)
        for pk in kept_off:
            wanted.pop(pk, None)
        base = URL.objectify(self.url)
        for pk, fields in wanted.items():
            known = mapped.get(pk)
            sent = known.sent if known else {}
            if known and all(sent.get(n, "") == fields[n] for n in FIELDS):
                continue
            self._put(pk, fields, known, base)
        for pk, known in mapped.items():
            if pk is not None and pk in wanted:
                continue
            url = str(base.join(known.href))
            code = status(guarded(client.delete, url), url)
            if code >= 300 and code != 404:
                raise ProviderError(Problem.SERVER, f"{code} {url}")
            known.delete()
            self.result.deleted += 1

    def _put(self, pk: int, fields: dict, known: SyncedCard | None, base) -> None:
        client = self.client
        headers = dict(CONTENT_TYPE)
        if known is None:
            uid = f"contact-{pk}-{uuid.uuid5(uuid.NAMESPACE_DNS, _site()).hex[:8]}@{_site()}"
            href = _path(base.join(f"{_file_name(uid)}.vcf"))
            url = str(base.join(href))
            body = contact_card(uid, fields)
            headers["If-None-Match"] = "*"
        else:
            uid, href = known.uid, known.href
            url = str(base.join(href))
            got = guarded(client.request, url, "GET")
            if status(got, url) == 404:
                return  # deleted on the device meanwhile: the next pull decides
            text = _body(got).decode("utf-8", "replace")
            etag = got.headers.get("ETag", "") if got.headers else ""
            body = contact_card(uid, fields, text)
            if etag:
                headers["If-Match"] = etag
        response = guarded(client.put, url, body, headers)
        code = status(response, url)
        if code == 412 and known is None:
            # Already there (sent before its mapping was kept): it is ours, overwrite.
            response = guarded(client.put, url, body, dict(CONTENT_TYPE))
            code = status(response, url)
        if code in (404, 412):  # changed or deleted on the device meanwhile: next run
            return
        if code >= 300:
            raise ProviderError(Problem.SERVER, f"{code} {url}")
        if known is None:
            known = SyncedCard(connection=self.connection, contact_id=pk, uid=uid, href=href)
        known.etag = response.headers.get("ETag", "") if response.headers else ""
        known.sent = {**fields, "from_device": bool((known.sent or {}).get("from_device"))}
        known.save()
        self.result.sent += 1

    def __call__(self) -> Result:
        connection = self.connection
        password = decrypt(connection.secret)
        if connection.addressbook_url:
            self.client = client_for(connection.addressbook_url, connection.username, password)
            self.url = connection.addressbook_url
        else:
            self.client, self.url = connect_addressbook(
                connection.url, connection.username, password
            )
            connection.addressbook_url = self.url
            connection.save(update_fields=["addressbook_url"])
        if self.policy.enabled:
            self.pull()
        self.push()  # the policy turned off: what was sent is taken back
        return self.result


def sync_contacts(connection: ContactConnection, policy: SyncPolicy | None = None) -> Result:
    """One run for ``connection`` (nothing in the practice environment, REQ IM-6); its outcome
    is kept on the connection as the calendar's is."""
    if practice():
        return Result()
    return record_outcome(connection, Run(connection, policy))
