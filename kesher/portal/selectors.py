"""Every read of the portal, scoped to the portal user's own accounts (REQ OR-2; decision
0079): the accounts his contact is linked to; a ticket, quote, order or tax document of any
other account is not found, whatever its id."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL

from kesher.activities.models import Interaction
from kesher.billing.models import TaxDocument
from kesher.customers.models import ContactAccount
from kesher.platform.models import Choice
from kesher.portal.models import PortalFile, PortalPost, PortalUser
from kesher.quotes.models import Order, Quote
from kesher.service.mail import without_quoted
from kesher.service.models import Article, Ticket, TicketEmail

__all__ = [
    "closing_status",
    "portal_account_ids",
    "portal_documents",
    "portal_files",
    "portal_orders",
    "portal_quotes",
    "portal_tickets",
    "public_articles",
    "public_thread",
    "reopening_status",
    "suggested_public_articles",
]

# Quotes the customer sees: those sent to him, and what became of them (never a draft).
SHOWN_QUOTES = (
    Quote.Status.SENT,
    Quote.Status.ACCEPTED,
    Quote.Status.REJECTED,
    Quote.Status.EXPIRED,
)
SHOWN_DOCUMENTS = (TaxDocument.Status.ISSUED, TaxDocument.Status.CANCELLED)
TICKET_LIST_FIELDS = (
    "id",
    "number",
    "subject",
    "created_at",
    "updated_at",
    "resolved_at",
    "status__label_he",
    "status__label_en",
    "status__colour",
)


def portal_account_ids(portal_user: PortalUser) -> list[int]:
    """The accounts the portal user's contact is linked to, read once per request."""
    cached = getattr(portal_user, "_account_ids", None)
    if cached is None:
        cached = list(
            ContactAccount.objects.filter(contact_id=portal_user.contact_id)
            .order_by("account_id")
            .values_list("account_id", flat=True)
        )
        portal_user._account_ids = cached
    return cached


def portal_tickets(portal_user: PortalUser) -> QuerySet[Ticket]:
    """The tickets of his accounts, merged ones left out. (A ticket with no account is no
    customer's: by e-mail it gets the sender's account; one condition keeps the newest-first
    page on the account index.)"""
    return Ticket.objects.filter(
        account_id__in=portal_account_ids(portal_user), merged_into__isnull=True
    )


def newest_first(queryset: QuerySet, account_ids: list[int], size: int) -> QuerySet:
    """The first ``size`` rows of ``queryset`` (rows of the customer's accounts ``account_ids``)
    newest first, read one account at a time: each account's newest by its own range of the
    account index, all in one statement ("id IN (the newest of account 1 UNION ALL … of
    account 2)"). With two accounts, "account IN (1, 2) ORDER BY id DESC" made SQLite read
    every ticket of both and sort them (2,000 for bench/portal.py's customer, decision 0102)."""
    ordered = queryset.order_by("-pk")
    if len(account_ids) < 2:
        return ordered[:size]
    # One account's SQL, made once with a stand-in for the account; each puts its own in.
    its_account = object()
    part = queryset.filter(account_id=RawSQL("%s", [its_account])).order_by("-pk").values("pk")
    sql, part_params = part[:size].query.sql_with_params()
    parts: list[str] = []
    params: list = []
    for number, account in enumerate(account_ids):
        parts.append(f"SELECT * FROM ({sql}) account_{number}")  # noqa: S608 (Django's SQL)
        params.extend(account if p is its_account else p for p in part_params)
    # Django's own SQL of querysets, with their parameters kept apart.
    newest = RawSQL(" UNION ALL ".join(parts), params)  # noqa: S611
    return ordered.filter(pk__in=newest)[:size]


def portal_quotes(portal_user: PortalUser) -> QuerySet[Quote]:
    return Quote.objects.filter(
        account_id__in=portal_account_ids(portal_user), status__in=SHOWN_QUOTES
    )


def portal_orders(portal_user: PortalUser) -> QuerySet[Order]:
    return Order.objects.filter(
        account_id__in=portal_account_ids(portal_user), status=Order.Status.CONFIRMED
    )


def portal_documents(portal_user: PortalUser) -> QuerySet[TaxDocument]:
    """Issued tax documents only: a draft, or one still awaiting its allocation number, is not
    the customer's yet."""
    return TaxDocument.objects.filter(
        account_id__in=portal_account_ids(portal_user), status__in=SHOWN_DOCUMENTS
    )


def public_thread(ticket: Ticket) -> list[Interaction]:
    """What was said between the customer and the staff on the ticket: the e-mails in and out
    and the customer's portal messages, oldest first — never a note, call or any other
    interaction the staff logged for themselves. Each has ``shown_body``: his e-mails without
    the text his mail client quoted (``without_quoted``)."""
    emails = dict(
        TicketEmail.objects.filter(ticket=ticket, interaction__isnull=False).values_list(
            "interaction_id", "direction"
        )
    )
    public = set(emails)
    public.update(PortalPost.objects.filter(ticket=ticket).values_list("interaction_id", flat=True))
    thread = list(
        Interaction.objects.filter(pk__in=public, link_type="tickets", link_id=ticket.pk)
        .select_related("kind")
        .order_by("occurred_at", "pk")
    )
    for item in thread:
        # His e-mails as he wrote them, not the earlier messages his mail client quoted.
        inbound = emails.get(item.pk) == TicketEmail.Direction.INBOUND
        item.shown_body = without_quoted(item.body) if inbound else item.body
    return thread


def portal_files(ticket: Ticket) -> QuerySet[PortalFile]:
    return (
        PortalFile.objects.filter(ticket=ticket)
        .select_related("attachment")
        .order_by("attachment__uploaded_at", "pk")
    )


def public_articles(query: str = "") -> QuerySet[Article]:
    """Published public articles; a query matches a word of the title or the text, in Hebrew
    or English (no stemming: a Hebrew word matches as written, as a prefix or within)."""
    articles = Article.objects.filter(
        status=Article.Status.PUBLISHED, audience=Article.Audience.PUBLIC
    )
    words = [w for w in re.findall(r"\w+", query or "")[:8] if len(w) >= 2]
    for word in words:
        articles = articles.filter(
            Q(title_he__icontains=word)
            | Q(title_en__icontains=word)
            | Q(body_he__icontains=word)
            | Q(body_en__icontains=word)
        )
    return articles.order_by("title_he", "pk")


WORD = re.compile(r"\w{3,}")


def suggested_public_articles(
    *, subject: str = "", ticket_type_id: int | None = None, limit: int = 5
) -> list[Article]:
    """Public articles that may answer a ticket about to be opened: of its type, or sharing a
    word of three letters or more with its subject (REQ SV-8)."""
    wanted = Q(ticket_type_id=ticket_type_id) if ticket_type_id else Q(pk=None)
    for word in WORD.findall(subject or "")[:8]:
        wanted |= Q(title_he__icontains=word) | Q(title_en__icontains=word)
    return list(public_articles().filter(wanted)[:limit])


def _flagged(name: str) -> Choice | None:
    values = Choice.objects.filter(list_key="ticket_status", active=True).order_by("order", "pk")
    return next((c for c in values if (c.extra or {}).get(name)), None)


def closing_status() -> Choice | None:
    """The status a customer's "close" moves his ticket to: the last one marked resolved."""
    values = list(
        Choice.objects.filter(list_key="ticket_status", active=True).order_by("order", "pk")
    )
    resolved = [c for c in values if (c.extra or {}).get("resolved")]
    return resolved[-1] if resolved else None


def reopening_status() -> Choice | None:
    """The status a customer's answer moves a ticket waiting for him to (as his e-mail
    does)."""
    return _flagged("customer_reply")
