"""Every write of the portal (REQ OR-2, SV-10; decision 0079).

Staff invite a contact and revoke his access; the portal user sets his password (from the
invitation or a reset link) and his second factor; on his own account's records he opens,
answers, closes and rates tickets and accepts quotes — each through the owning app's service
(``ticket_create``, ``ticket_update``, ``interaction_create``, ``attachment_add``,
``quote_accept``) with no staff actor, so the same rules, clocks, audit and automation apply.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.platform.models import Choice
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import clean_text, write_audit
from kesher.portal import auth
from kesher.portal.models import PortalFile, PortalPost, PortalUser, TicketRating
from kesher.portal.selectors import (
    closing_status,
    portal_account_ids,
    reopening_status,
)

__all__ = [
    "COMMENT_LIMIT",
    "portal_invite",
    "portal_quote_accept",
    "portal_revoke",
    "portal_send_reset",
    "portal_set_language",
    "portal_set_password",
    "portal_ticket_close",
    "portal_ticket_comment",
    "portal_ticket_open",
    "portal_ticket_rate",
    "portal_totp_disable",
    "portal_totp_enable",
]

PORTAL_ACCESS = register_fact(
    "portal_access",
    gettext_lazy("portal access"),
    choices=[
        ("invited", gettext_lazy("invited")),
        ("revoked", gettext_lazy("revoked")),
        ("none", gettext_lazy("none")),
    ],
)
CSAT = register_fact("csat", gettext_lazy("customer's rating"))
COMMENT_LIMIT = 20_000
MAX_FILES = 5


def _mail(portal_user: PortalUser, *, template: str, subject: str, key: str, record) -> None:
    """One e-mail to the portal user in his language, through the outbox (suppressed in the
    practice environment, REQ IM-6)."""
    from kesher.integrations.services import send_email_message

    link = settings.KESHER_BASE_URL.rstrip("/") + auth.password_link_path(portal_user)
    with translation.override(portal_user.language):
        body = render_to_string(
            template, {"portal_user": portal_user, "contact": portal_user.contact, "link": link}
        )
        send_email_message(
            to=[portal_user.email],
            subject=str(subject),
            body_html=body,
            language=portal_user.language,
            record=record,
            source=f"portal/{template.rsplit('/', 1)[-1].split('.')[0]}",
            idempotency_key=key,
        )


@transaction.atomic
def portal_invite(contact, *, actor, email: str = "", language: str = "") -> PortalUser:
    """Invite ``contact`` to the portal (or again, after his access was revoked): his portal
    user at his e-mail address, and an e-mail with a link to set his password. An active user
    invited again keeps his password and gets the link anew."""
    from django.core.validators import validate_email

    email = clean_text(email or contact.email or "").strip().lower()
    errors: dict[str, list] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [_("The contact needs an e-mail address to sign in with.")]
    language = language or ""
    if language and language not in PortalUser.Language.values:
        errors["language"] = [_("Choose Hebrew or English.")]
    if not errors:
        taken = (
            PortalUser.objects.annotate(address=Lower("email"))
            .filter(address=email)
            .exclude(contact=contact)
            .exists()
        )
        if taken:
            errors["email"] = [_("Another contact signs in to the portal with this address.")]
    if errors:
        raise ValidationError(errors)
    # Lock the contact's portal row, if any: two invitations at once must make one user.
    portal_user = PortalUser.objects.select_for_update().filter(contact=contact).first()
    before = "none"
    if portal_user is None:
        portal_user = PortalUser(contact=contact, invited_by=actor)
        portal_user.set_password(None)
    else:
        before = "invited" if portal_user.is_active else "revoked"
        if not portal_user.is_active:
            portal_user.set_password(None)  # a revoked user sets a new password
            portal_user.totp_secret = ""
    portal_user.email = email
    # A new portal user reads the contact's language; one invited again keeps his choice.
    known = portal_user.language if before != "none" else contact.language
    portal_user.language = language or known or PortalUser.Language.HEBREW
    portal_user.is_active = True
    portal_user.revoked_at = None
    portal_user.invited_at = timezone.now()
    portal_user.invited_by = actor
    portal_user.save()
    write_audit(contact, actor=actor, action="update", changes={PORTAL_ACCESS: [before, "invited"]})
    with translation.override(portal_user.language):
        subject = _("Your access to the customer portal")
    _mail(
        portal_user,
        template="portal/email/invite.html",
        subject=subject,
        key=f"portal-invite:{portal_user.pk}:{uuid.uuid4().hex}",
        record=contact,
    )
    return portal_user


@transaction.atomic
def portal_revoke(portal_user: PortalUser, *, actor) -> PortalUser:
    """End the contact's access: he cannot sign in, every session of his ends (the session's
    hash no longer matches a revoked user) and his links stop working."""
    locked = PortalUser.objects.select_for_update().get(pk=portal_user.pk)
    if not locked.is_active:
        return locked
    locked.is_active = False
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["is_active", "revoked_at"])
    write_audit(
        locked.contact,
        actor=actor,
        action="update",
        changes={PORTAL_ACCESS: ["invited", "revoked"]},
    )
    return locked


@transaction.atomic
def portal_set_password(portal_user: PortalUser, *, password: str, confirm: str) -> PortalUser:
    """Set the portal user's password (Django's validators, as the staff's)."""
    errors = {}
    if password != confirm:
        errors["confirm"] = [_("The two passwords differ.")]
    else:
        try:
            validate_password(password)
        except ValidationError as error:
            errors["password"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    locked = PortalUser.objects.select_for_update().get(pk=portal_user.pk)
    locked.set_password(password)
    locked.save(update_fields=["password"])
    return locked


def portal_send_reset(email: str) -> bool:
    """Mail a reset link to the active portal user with this address; nothing for any other
    address, and the caller says the same either way (no address is revealed)."""
    address = (email or "").strip().lower()
    portal_user = (
        PortalUser.objects.annotate(address=Lower("email"))
        .filter(address=address, is_active=True)
        .select_related("contact")
        .first()
    )
    if portal_user is None:
        return False
    with translation.override(portal_user.language):
        subject = _("Set a new password for the customer portal")
    _mail(
        portal_user,
        template="portal/email/reset.html",
        subject=subject,
        key=f"portal-reset:{portal_user.pk}:{uuid.uuid4().hex}",
        record=portal_user.contact,
    )
    return True


def portal_set_language(portal_user: PortalUser, *, language: str) -> None:
    """The portal in ``language``; his contact's language follows (the e-mails to him are
    written in it), audited as a change he made."""
    from kesher.customers.models import Contact

    if language not in PortalUser.Language.values:
        return
    PortalUser.objects.filter(pk=portal_user.pk).update(language=language)
    portal_user.language = language
    before = Contact.objects.filter(pk=portal_user.contact_id).values_list("language", flat=True)
    old = before.first()
    if old is not None and old != language:
        Contact.objects.filter(pk=portal_user.contact_id).update(language=language)
        write_audit(
            portal_user.contact,
            actor=None,
            action="update",
            changes={"language": [old, language]},
        )


def portal_totp_enable(portal_user: PortalUser, *, secret: str, code: str) -> None:
    """Turn on the second factor: the code shows the authenticator app holds the secret."""
    from allauth.mfa.totp.internal.auth import validate_totp_code

    if not secret or not validate_totp_code(secret, (code or "").strip()):
        raise ValidationError({"code": [_("The code is not correct.")]})
    PortalUser.objects.filter(pk=portal_user.pk).update(totp_secret=secret)
    portal_user.totp_secret = secret


def portal_totp_disable(portal_user: PortalUser, *, code: str) -> None:
    from allauth.mfa.totp.internal.auth import validate_totp_code

    if not validate_totp_code(portal_user.totp_secret, (code or "").strip()):
        raise ValidationError({"code": [_("The code is not correct.")]})
    PortalUser.objects.filter(pk=portal_user.pk).update(totp_secret="")
    portal_user.totp_secret = ""


# --- tickets ------------------------------------------------------------------------------------


def _attach(ticket, portal_user: PortalUser, files) -> None:
    from kesher.platform.records.attachments import attachment_add

    files = list(files or [])
    if len(files) > MAX_FILES:
        raise ValidationError({"files": [_("At most %(n)s files.") % {"n": MAX_FILES}]})
    for uploaded in files:
        try:
            attachment = attachment_add(ticket, actor=None, uploaded=uploaded)
        except ValidationError as error:
            raise ValidationError({"files": error.messages}) from None
        PortalFile.objects.create(ticket=ticket, attachment=attachment, author=portal_user)


@transaction.atomic
def portal_ticket_open(portal_user: PortalUser, *, data: dict, files=()) -> object:
    """Open a ticket as the customer: his contact and account, the portal channel, the type →
    subtype rules and the field rules of the service desk (``ticket_create``), his files under
    the attachment rules (REQ SV-10)."""
    from kesher.service.services import ticket_create

    accounts = portal_account_ids(portal_user)
    account = data.get("account")
    if account is None and len(accounts) == 1:
        from kesher.customers.models import Account

        account = Account.objects.get(pk=accounts[0])
    if account is None or account.pk not in accounts:
        # A ticket of no account of his would be no one's he could follow.
        raise ValidationError({"account": [_("Choose one of your accounts.")]})
    subject = clean_text(data.get("subject") or "").strip()
    if not subject:
        raise ValidationError({"subject": [_("This field is required.")]})
    values = {
        "subject": subject[:200],
        "description": clean_text(data.get("description") or "").strip()[:COMMENT_LIMIT],
        "contact": portal_user.contact,
        "account": account,
        "channel": Choice.objects.filter(
            list_key="ticket_channel", value="portal", active=True
        ).first(),
        "ticket_type": data.get("ticket_type"),
        "subtype": data.get("subtype"),
        "subtype2": data.get("subtype2"),
    }
    ticket = ticket_create(actor=None, data={k: v for k, v in values.items() if v})
    _attach(ticket, portal_user, files)
    return ticket


@transaction.atomic
def portal_ticket_comment(portal_user: PortalUser, ticket, *, body: str, files=()) -> PortalPost:
    """The customer answers on his ticket: an inbound portal interaction on it (what the staff
    read), in its public conversation; a ticket waiting for him moves on, as his e-mail would
    move it (REQ SV-9)."""
    from kesher.activities.services import interaction_create
    from kesher.service.services import ticket_update

    body = clean_text(body if isinstance(body, str) else "").strip()
    if not body:
        raise ValidationError({"body": [_("Write your message.")]})
    if len(body) > COMMENT_LIMIT:
        raise ValidationError({"body": [_("At most %(n)s characters.") % {"n": COMMENT_LIMIT}]})
    if ticket.resolved_at is not None:
        raise ValidationError({"body": [_("This ticket is closed.")]})
    kind = Choice.objects.get(list_key="interaction_kind", value="portal")
    interaction = interaction_create(
        actor=None,
        data={
            "kind": kind,
            "direction": "in",
            "subject": ticket.subject[:200],
            "body": body,
            "link_type": "tickets",
            "link_id": ticket.pk,
            "owner": ticket.handler or ticket.owner,
        },
        m2m={"participant_contacts": [portal_user.contact]},
    )
    post = PortalPost.objects.create(ticket=ticket, interaction=interaction, author=portal_user)
    _attach(ticket, portal_user, files)
    status = ticket.status
    if status is not None and (status.extra or {}).get("waiting"):
        moved_to = reopening_status()
        if moved_to is not None:
            ticket_update(ticket, actor=None, data={"status": moved_to})
    return post


@transaction.atomic
def portal_ticket_close(portal_user: PortalUser, ticket) -> object:
    """The customer says his request is done: the ticket moves to the closing status (the
    field rules of that status apply as to anyone)."""
    from kesher.service.services import ticket_update

    if ticket.resolved_at is not None:
        return ticket
    closing = closing_status()
    if closing is None:
        raise ValidationError({"__all__": [_("Tickets cannot be closed here.")]})
    data: dict = {"status": closing}
    if not ticket.resolution:
        # A status that requires how the ticket was resolved (a field rule) gets the answer.
        data["resolution"] = _("Closed by the customer in the portal.")
    return ticket_update(ticket, actor=None, data=data)


@transaction.atomic
def portal_ticket_rate(
    portal_user: PortalUser, ticket, *, score, comment: str = ""
) -> TicketRating:
    """The customer rates how his resolved ticket was handled (CSAT 1–5 and a comment), once
    and then as he changes his mind; the staff see it on the ticket."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    errors = {}
    if not 1 <= score <= 5:
        errors["score"] = [_("Choose a rating from 1 to 5.")]
    comment = clean_text(comment if isinstance(comment, str) else "").strip()
    if len(comment) > 2000:
        errors["comment"] = [_("At most %(n)s characters.") % {"n": 2000}]
    if ticket.resolved_at is None:
        errors["__all__"] = [_("A ticket is rated once it is resolved.")]
    if errors:
        raise ValidationError(errors)
    # Lock the ticket's rating row: a double click makes one rating.
    rating = TicketRating.objects.select_for_update().filter(ticket=ticket).first()
    before = rating.score if rating else None
    if rating is None:
        rating = TicketRating(ticket=ticket)
    rating.score, rating.comment = score, comment
    rating.rated_by, rating.rated_at = portal_user, timezone.now()
    rating.save()
    write_audit(ticket, actor=None, action="update", changes={CSAT: [before, score]})
    return rating


def portal_quote_accept(portal_user: PortalUser, quote) -> object:
    """Accept a quote of his account in one click: the quote service's own path (the order,
    the won deal, the trigger, the interaction), as by the customer himself."""
    from kesher.quotes.services import quote_accept

    if quote.account_id not in portal_account_ids(portal_user):
        raise ValidationError({"__all__": [_("This quote is not yours.")]})
    return quote_accept(quote, actor=None, via=_("Accepted in the customer portal"))
