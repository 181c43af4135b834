"""The consent ledger's answer (Communications Law §30A; ISRAEL.md "Advertising messages"):
who may receive an advertising message on a channel now.

The latest ledger entry for a person, channel and purpose holds. A consent or a recorded
existing-customer exception allows; a refusal — by link, reply or by hand — forbids every later
message until a new consent; no entry at all forbids. The answer is one query for a whole
audience (a correlated subquery on ``consent_contact`` / ``consent_lead``), so a send checks
consent when it queues and again, for each batch, right before the messages leave.
"""

from __future__ import annotations

from django.db.models import OuterRef, Q, QuerySet, Subquery

from kesher.marketing.models import Consent

__all__ = ["ALLOWING", "allowed", "latest_kind", "with_consent"]

ALLOWING = (Consent.Kind.CONSENT, Consent.Kind.EXISTING_CUSTOMER)


def _latest(person: str, channel: str, purpose: str) -> Subquery:
    return Subquery(
        Consent.objects.filter(**{person: OuterRef("pk")}, channel=channel, purpose=purpose)
        .order_by("-given_at", "-id")
        .values("kind")[:1]
    )


def with_consent(queryset: QuerySet, person: str, channel: str, purpose: str) -> QuerySet:
    """``queryset`` of contacts or leads (``person`` "contact" / "lead") annotated with
    ``consent_kind``: the kind of the latest ledger entry, or None."""
    return queryset.annotate(consent_kind=_latest(person, channel, purpose))


def allowed(queryset: QuerySet, person: str, channel: str, purpose: str) -> QuerySet:
    """Only the people of ``queryset`` the ledger allows to receive the message now."""
    return with_consent(queryset, person, channel, purpose).filter(Q(consent_kind__in=ALLOWING))


def latest_kind(*, contact=None, lead=None, channel: str, purpose: str) -> str | None:
    """The kind of the latest entry for one person, or None when there is none."""
    person = {"contact": contact} if contact is not None else {"lead": lead}
    entry = (
        Consent.objects.filter(**person, channel=channel, purpose=purpose)
        .order_by("-given_at", "-id")
        .values_list("kind", flat=True)
        .first()
    )
    return entry
