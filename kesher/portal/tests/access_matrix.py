"""The portal in the access matrix (REQ OR-2; issue 18 item 6; decision 0079).

The customer is a principal of his own ("portal", ``register_session``): every staff page and
API route of every app answers him as nobody (sign in first). His portal pages are registered
here: rep1's account is his (tickets, a file, a sent quote, an order, an issued invoice), rep2's
is another customer's, whose every record answers 404 by id and never shows in a list, search
or suggestion; internal knowledge-base articles neither. The staff's side (invite, revoke, the
API) follows the right to change contacts and the contact's scope.
"""

from __future__ import annotations

import html

from django.core.files.uploadedfile import SimpleUploadedFile

from kesher.customers.models import ContactAccount
from kesher.customers.services import contact_create
from kesher.platform.models import Choice
from kesher.platform.testing.matrix import (
    GATE_PRINCIPALS,
    SEARCH_WORD,
    Outcome,
    Verb,
    World,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    public,
    register_route,
    register_session,
    register_setup,
)
from kesher.portal.auth import HASH_KEY, SESSION_KEY, password_link_path, session_hash
from kesher.portal.models import PortalFile, PortalPost, PortalUser
from kesher.portal.services import portal_invite, portal_ticket_open
from kesher.quotes.models import Order, Quote
from kesher.service.models import Article, Ticket
from kesher.service.services import article_create

SIDES = ("rep1", "rep2")
# Portal pages are asked by the customer, by nobody and by staff sessions (the gate's
# principals and a rep): every staff session is alike to the portal — never a portal session.
ASKERS = (*GATE_PRINCIPALS, "sales_rep", "portal")


def _accounts(world: World, side: str) -> list:
    from kesher.customers.models import Account

    names = [f"Documents customer {side}", f"Billing customer {side}"]
    return [world.record("accounts", side), *Account.objects.filter(name__in=names)]


@register_setup
def _portal_world(world: World) -> None:
    """rep1's customer has a portal user; each side has a sent quote, a confirmed order, an
    issued invoice and a portal file on its ticket; one public and one internal article."""
    for side in SIDES:
        owner = owner_of(world, side)
        contact = contact_create(
            actor=owner,
            data={
                "first_name": f"Portal{side}",
                "email": f"portal-{side}@matrix.example",
                "owner": owner,
            },
        )
        for account in _accounts(world, side):
            ContactAccount.objects.get_or_create(contact=contact, account=account)
        world[f"portal contact {side}"] = contact
        world[f"portal invitee {side}"] = contact_create(
            actor=owner,
            data={
                "first_name": f"Invitee{side}",
                "email": f"invitee-{side}@matrix.example",
                "owner": owner,
            },
        )
        portal_user = portal_invite(contact, actor=owner)
        portal_user.set_password("Matrix-portal-pass-1")
        portal_user.save(update_fields=["password"])
        world[f"portal user {side}"] = portal_user
        # Documents of his own in the states the customer sees, beside the world's (whose
        # states other apps' routes expect as they are); their flows are tested in their apps.
        from kesher.billing.models import TaxDocument
        from kesher.billing.services import document_create

        # On the accounts of the world's own documents: an account with documents cannot be
        # deleted, and the matrix deletes the side's main account.
        from kesher.customers.models import Account
        from kesher.quotes.services import order_create, quote_create

        documents_account = Account.objects.get(name=f"Documents customer {side}")
        billing_account = Account.objects.get(name=f"Billing customer {side}")
        quote = quote_create(
            actor=owner, data={"name": f"Portal quote {side}", "account": documents_account}
        )
        Quote.objects.filter(pk=quote.pk).update(status=Quote.Status.SENT, number=f"PQ-{side}")
        order = order_create(
            actor=owner, data={"name": f"Portal order {side}", "account": documents_account}
        )
        Order.objects.filter(pk=order.pk).update(status=Order.Status.CONFIRMED, number=f"PO-{side}")
        invoice = document_create(
            actor=owner,
            data={
                "kind": "tax_invoice",
                "name": f"Portal invoice {side}",
                "account": billing_account,
            },
        )
        TaxDocument.objects.filter(pk=invoice.pk).update(
            status=TaxDocument.Status.ISSUED, number=f"PI-{side}"
        )
        world[f"portal quote {side}"], world[f"portal order {side}"] = quote, order
        world[f"portal invoice {side}"] = invoice
        world[f"portal ticket {side}"] = ticket = portal_ticket_open(
            portal_user,
            data={
                "subject": f"{SEARCH_WORD} portal ticket {side}",
                "account": world.record("accounts", side),
            },
            files=[SimpleUploadedFile(f"portal-file-{side}.pdf", b"%PDF-1.4")],
        )
        world[f"portal file {side}"] = PortalFile.objects.get(ticket=ticket).attachment_id
    admin = world.users["admin"]
    for audience in ("public", "internal"):
        world[f"article {audience}"] = article_create(
            actor=admin,
            data={
                "title_he": f"{SEARCH_WORD} {audience} article",
                "body_he": "<p>Matrix</p>",
                "audience": audience,
                "status": Article.Status.PUBLISHED,
            },
        )


def _start_session(world: World, client) -> None:
    portal_user = world["portal user rep1"]
    session = client.session
    session[SESSION_KEY] = portal_user.pk
    session[HASH_KEY] = session_hash(portal_user)
    session.save()


register_session("portal", _start_session)


# --- expectations --------------------------------------------------------------------------------


def customer(side: str = "rep1"):
    """The customer of rep1's account gets in (rep2's record: 404); anyone else is sent to the
    portal's sign-in (a redirect that is not the staff's)."""

    def expect(world: World, principal: str) -> Outcome:
        if principal != "portal":
            return Outcome.DECLINED
        return Outcome.ALLOW if side == "rep1" else Outcome.NOT_FOUND

    return expect


def _secrets(world: World) -> list[str]:
    """What of rep2's customer, and of the staff's own articles, the customer may never see."""
    marks = [
        html.escape(f"{SEARCH_WORD} portal ticket rep2"),
        html.escape(world.record("tickets", "rep2").subject),
        "PQ-rep2",
        "PO-rep2",
        "PI-rep2",
        "portal-file-rep2",
        html.escape(f"{SEARCH_WORD} internal article"),
    ]
    return marks


def nothing_of_others(*present: str):
    """An answer that shows none of the secrets, and shows each of ``present``."""

    def check(world: World, principal: str, response) -> str | None:
        page = response.content.decode()
        leaked = [mark for mark in _secrets(world) if mark in page]
        if leaked:
            return f"shows {leaked}"
        missing = [mark for mark in present if html.escape(mark) not in page]
        return f"misses {missing}" if missing else None

    return check


def _portal_page(url, *verbs, what=""):
    register_route("portal", url, *verbs, what=what, principals=ASKERS)


def _get(expect, *present, **extra):
    return Verb("GET", expect, check=nothing_of_others(*present), beyond_scope=True, **extra)


def _written(model, **filters):
    def writes(world, principal, marker):
        values = {k: (marker if v is None else v) for k, v in filters.items()}
        return model.objects.filter(**values).exists()

    return writes


# --- the portal's public pages -------------------------------------------------------------------

_portal_page(
    "/portal/sign-in/",
    Verb("GET", public),
    Verb("POST", public, data=lambda world, marker: {"email": "", "password": ""}),
)
_portal_page("/portal/sign-in/code/", Verb("GET", public), Verb("POST", public))
_portal_page("/portal/sign-out/", Verb("POST", public), Verb("GET", never_allowed))
_portal_page("/portal/password/reset/", Verb("GET", public), Verb("POST", public))
_portal_page(
    "/portal/password/MQ/no-such-token/",
    Verb("GET", lambda world, principal: Outcome.REFUSED),
    Verb("POST", lambda world, principal: Outcome.REFUSED),
    Verb("DELETE", never_allowed),
    what="a link that is no longer valid",
)
_portal_page(
    lambda world: password_link_path(world["portal user rep1"]),
    Verb("GET", public),
    Verb("POST", public, data=lambda world, marker: {"password": "", "confirm": ""}),
    what="the customer's link to set his password",
)
_portal_page(
    "/portal/language/",
    Verb(
        "POST",
        public,
        data=lambda world, marker: {"language": "en", "next": "/portal/"},
        writes=lambda world, principal, marker: (
            principal != "portal"
            or PortalUser.objects.filter(pk=world["portal user rep1"].pk, language="en").exists()
        ),
    ),
    Verb("GET", never_allowed),
)
_portal_page("/portal/accessibility/", Verb("GET", public))

# --- the customer's own pages --------------------------------------------------------------------

_portal_page("/portal/", _get(customer(), f"{SEARCH_WORD} portal ticket rep1"))
_portal_page(
    "/portal/security/",
    _get(customer()),
    Verb("POST", customer(), data=lambda world, marker: {"code": "000000"}),
)
_portal_page(
    "/portal/tickets/?show=all",
    _get(customer(), f"{SEARCH_WORD} portal ticket rep1", f"{SEARCH_WORD} ticket rep1"),
)
_portal_page(
    "/portal/tickets/new/",
    _get(customer()),
    Verb(
        "POST",
        customer(),
        data=lambda world, marker: {
            "subject": marker,
            "description": marker,
            "ticket_type": Choice.objects.filter(list_key="ticket_type").first().pk,
            "account": world.record("accounts", "rep1").pk,
        },
        writes=_written(Ticket, subject=None),
    ),
)
_portal_page(
    lambda world: (
        "/portal/tickets/options/?ticket_type="
        f"{Choice.objects.filter(list_key='ticket_type').first().pk}"
    ),
    _get(customer()),
)
_portal_page(
    f"/portal/tickets/suggest/?subject={SEARCH_WORD}+article",
    _get(customer(), f"{SEARCH_WORD} public article"),
)
_portal_page(
    f"/portal/help/?q={SEARCH_WORD}",
    _get(customer(), f"{SEARCH_WORD} public article"),
)
_portal_page(lambda world: f"/portal/help/{world['article public'].pk}/", _get(customer()))
_portal_page(
    lambda world: f"/portal/help/{world['article internal'].pk}/",
    _get(lambda world, principal: Outcome.NOT_FOUND if principal == "portal" else Outcome.DECLINED),
    what="an internal article",
)
# "Did this help?": sent without an answer, his article page again with the error (nothing
# written); an internal article is not his to answer.
_portal_page(
    lambda world: f"/portal/help/{world['article public'].pk}/vote/",
    Verb("POST", customer()),
    Verb("GET", lambda world, principal: _post_only(world, principal)),
    what="an answer to did-this-help",
)
_portal_page(
    lambda world: f"/portal/help/{world['article internal'].pk}/vote/",
    Verb(
        "POST",
        lambda world, principal: Outcome.NOT_FOUND if principal == "portal" else Outcome.DECLINED,
    ),
    what="an answer on an internal article",
)
_portal_page("/portal/quotes/", _get(customer(), "PQ-rep1"))
_portal_page("/portal/orders/", _get(customer(), "PO-rep1"))
_portal_page("/portal/documents/", _get(customer(), "PI-rep1"))


def _post_only(world: World, principal: str) -> Outcome:
    return Outcome.NOT_ALLOWED if principal == "portal" else Outcome.DECLINED


def _resolved(side):
    def writes(world, principal, marker):
        return Ticket.objects.filter(
            pk=world[f"portal ticket {side}"].pk, resolved_at__isnull=False
        ).exists()

    return writes


for _side in SIDES:
    _portal_page(
        lambda world, side=_side: f"/portal/tickets/{world[f'portal ticket {side}'].pk}/",
        _get(
            customer(_side),
            *([f"{SEARCH_WORD} portal ticket rep1", "portal-file-rep1"] if _side == "rep1" else []),
        ),
        what=f"{_side}'s customer's ticket",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/tickets/{world.record('tickets', side).pk}/",
        _get(customer(_side)),
        what=f"{_side}'s account's ticket opened by staff",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/tickets/{world[f'portal ticket {side}'].pk}/comment/",
        Verb(
            "POST",
            customer(_side),
            data=lambda world, marker: {"body": marker},
            writes=_written(PortalPost, interaction__body=None),
        ),
        Verb("GET", _post_only),
        what=f"an answer on {_side}'s customer's ticket",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/tickets/{world[f'portal ticket {side}'].pk}/close/",
        Verb("POST", customer(_side), writes=_resolved(_side)),
        Verb("GET", _post_only),
        what=f"closing {_side}'s customer's ticket",
    )
    # Rating an open ticket is declined with a message; the rating itself is in test_portal.
    _portal_page(
        lambda world, side=_side: f"/portal/tickets/{world[f'portal ticket {side}'].pk}/rate/",
        Verb("POST", customer(_side), data=lambda world, marker: {"score": "5"}),
        Verb("GET", _post_only),
        what=f"rating {_side}'s customer's open ticket",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/files/{world[f'portal file {side}']}/",
        Verb("GET", customer(_side)),
        what=f"a file on {_side}'s customer's ticket",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/quotes/{world[f'portal quote {side}'].pk}/",
        _get(customer(_side)),
        what=f"{_side}'s customer's quote",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/quotes/{world[f'portal quote {side}'].pk}/pdf/",
        Verb("GET", customer(_side)),
        what=f"{_side}'s customer's quote's PDF",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/quotes/{world[f'portal quote {side}'].pk}/accept/",
        Verb(
            "POST",
            customer(_side),
            writes=lambda world, principal, marker, side=_side: Order.objects.filter(
                quote=world[f"portal quote {side}"]
            ).exists(),
        ),
        Verb("GET", _post_only),
        what=f"accepting {_side}'s customer's quote",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/orders/{world[f'portal order {side}'].pk}/pdf/",
        Verb("GET", customer(_side)),
        what=f"{_side}'s customer's order's PDF",
    )
    _portal_page(
        lambda world, side=_side: f"/portal/documents/{world[f'portal invoice {side}'].pk}/pdf/",
        Verb("GET", customer(_side)),
        what=f"{_side}'s customer's invoice's PDF (a copy)",
    )


# --- the staff's side: invite, revoke, the API ----------------------------------------------------


def _contact(key: str):
    return lambda world: world[key]


def _invited(world, principal, marker):
    return PortalUser.objects.filter(contact=world["portal invitee rep1"], is_active=True).exists()


def _revoked(world, principal, marker):
    return PortalUser.objects.filter(contact=world["portal contact rep1"], is_active=False).exists()


register_route(
    "portal",
    lambda world: f"/portal-access/contacts/{world['portal invitee rep1'].pk}/invite/",
    Verb("POST", permitted("contacts", "change", _contact("portal invitee rep1")), writes=_invited),
    Verb("GET", not_allowed()),
    what="inviting rep1's contact to the portal",
)
register_route(
    "portal",
    lambda world: f"/portal-access/contacts/{world['portal contact rep1'].pk}/revoke/",
    Verb("POST", permitted("contacts", "change", _contact("portal contact rep1")), writes=_revoked),
    Verb("GET", not_allowed()),
    what="revoking rep1's contact's portal access",
)


def _api_lists(world: World, principal: str, response) -> str | None:
    shown = {row["contact"] for row in response.json()}
    for side in SIDES:
        contact = world[f"portal contact {side}"]
        if (contact.pk in shown) != world.sees(principal, contact):
            return f"{'lists' if contact.pk in shown else 'misses'} {side}'s portal user"
    return None


def _invite_expect(world: World, principal: str) -> Outcome:
    # A contact out of the caller's scope is refused as an unknown one (400).
    outcome = permitted("contacts", "change", _contact("portal invitee rep1"))(world, principal)
    return Outcome.REFUSED if outcome is Outcome.NOT_FOUND else outcome


register_route(
    "portal",
    "/api/v1/portal-users/",
    Verb("GET", permitted("contacts", "view"), check=_api_lists),
    Verb(
        "POST",
        _invite_expect,
        data=lambda world, marker: {"contact": world["portal invitee rep1"].pk},
        writes=_invited,
    ),
    Verb("PUT", not_allowed()),
    api=True,
    what="portal users",
)
register_route(
    "portal",
    lambda world: f"/api/v1/portal-users/{world['portal user rep1'].pk}/revoke/",
    Verb("POST", permitted("contacts", "change", _contact("portal contact rep1")), writes=_revoked),
    Verb("GET", not_allowed()),
    api=True,
    what="revoking rep1's contact's portal access",
)
