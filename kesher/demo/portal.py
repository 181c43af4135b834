"""The demo's customer portal (issue 18 item 6; decision 0079): the contact of the customer the
demo's sent quote is for signs in to the portal with the demo password, and finds the quote
waiting for him, a ticket he opened there and the public help center. How to sign in is printed
with the staff's demo users (``sign_in_lines``)."""

from __future__ import annotations

from django.contrib.auth.hashers import make_password

from kesher.customers.models import Contact, ContactAccount
from kesher.demo.organization import DEMO_PASSWORD
from kesher.org.models import User
from kesher.platform.models import Choice
from kesher.platform.records.services import record_update
from kesher.portal.models import PortalUser
from kesher.portal.services import portal_invite, portal_ticket_open
from kesher.quotes.models import Quote

__all__ = ["create_portal", "sign_in_lines"]

# The address of the demo's portal customer when his contact has none.
PORTAL_EMAIL = "portal@demo.kesher.example"


def _customer_contact(actor) -> Contact | None:
    """A contact of the customer the demo's first sent quote is for: one linked to its account,
    else the first contact with an e-mail address, linked to it now (as a rep would)."""
    from kesher.customers.services import contact_link_account

    quote = Quote.objects.filter(status=Quote.Status.SENT).order_by("pk").first()
    links = ContactAccount.objects.select_related("contact").order_by("-is_primary", "pk")
    if quote is None:
        link = links.first()
        return link.contact if link else None
    link = links.filter(account_id=quote.account_id).first()
    if link is not None:
        return link.contact
    contact = Contact.objects.exclude(email="").order_by("pk").first()
    if contact is not None:
        contact_link_account(contact, actor=actor, account=quote.account)
    return contact


def create_portal(users: dict[str, User], *, rep: str) -> PortalUser | None:
    """Invite the contact (through ``portal_invite``, as a rep would), give him the demo
    password, and open one ticket in his name in the portal."""
    actor = users[rep]
    contact = _customer_contact(actor)
    if contact is None:
        return None
    if not contact.email:
        contact = record_update(contact, actor=actor, data={"email": PORTAL_EMAIL})
    portal_user = portal_invite(contact, actor=actor, language="he")
    PortalUser.objects.filter(pk=portal_user.pk).update(password=make_password(DEMO_PASSWORD))
    portal_user.refresh_from_db()
    technical = Choice.objects.filter(list_key="ticket_type", value="technical_support").first()
    subtype = Choice.objects.filter(list_key="ticket_subtype", value="software_install").first()
    account = (
        ContactAccount.objects.filter(contact=contact).order_by("-is_primary", "pk").first()
    ).account
    sent = Quote.objects.filter(status=Quote.Status.SENT, account__contact_links__contact=contact)
    if sent.exists():
        account = sent.order_by("pk").first().account
    portal_ticket_open(
        portal_user,
        data={
            "account": account,
            "subject": "הדוח החודשי נתקע בעת ההפקה",
            "description": "מאז העדכון האחרון הדוח החודשי נתקע באמצע. אפשר לעזור?",
            "ticket_type": technical,
            "subtype": subtype,
        },
    )
    return portal_user


def sign_in_lines(base: str) -> list[str]:
    """How to sign in to the portal as the demo's customer (printed by ``load_demo``)."""
    portal_user = (
        PortalUser.objects.filter(is_active=True, invited_by__isnull=False)
        .select_related("contact")
        .order_by("pk")
        .first()
    )
    if portal_user is None:
        return []
    return [
        "Customer portal (a customer's contact, not a staff user):",
        f"  Open      {base}/portal/",
        f"  E-mail    {portal_user.email}",
        f"  Password  {DEMO_PASSWORD}  ({portal_user.contact})",
    ]
