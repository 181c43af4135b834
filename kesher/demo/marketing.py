"""The demo's marketing (issue 19): three campaigns with their budgets and actual costs — a
winter newsletter, paid Google ads and a customer conference — the leads and deals they
brought (first and last touch), a consent ledger for the customers with an e-mail address
(consents, the existing-customer exception and two refusals), and the newsletter sent to the
marketer's segment, so the campaign pages show what each campaign brought and its ROI.

Everything goes through marketing's services. The newsletter is sent by the same worker code
as any send, into Django's dummy mail backend: demo addresses never reach a mail server.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.test.utils import override_settings
from django.utils import timezone

from kesher.customers.models import Contact
from kesher.marketing.models import Campaign
from kesher.marketing.sending import deliver_batch
from kesher.marketing.services import (
    consent_create,
    consent_refuse,
    lead_touch,
    send_create,
    send_queue,
)
from kesher.org.models import User
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create, record_update
from kesher.sales.models import Lead, Opportunity

__all__ = ["create_marketing"]

# name, type, status, starts (days from today), days long, budget, UTM (source, medium, campaign)
CAMPAIGNS = [
    (
        "ניוזלטר חורף",
        "email",
        "active",
        -10,
        30,
        "3000",
        ("newsletter", "email", "winter-newsletter"),
    ),
    ("פרסום ממומן בגוגל", "paid_ads", "active", -45, 60, "12000", ("google", "cpc", "crm-search")),
    ("כנס לקוחות תל אביב", "event", "completed", -70, 1, "25000", ("", "event", "tlv-conference")),
]

COSTS = {  # campaign name: [(days ago, description, amount)]
    "ניוזלטר חורף": [(9, "עיצוב תבנית הדיוור", "1200"), (8, "כתיבת תוכן", "800")],
    "פרסום ממומן בגוגל": [
        (40, "Google Ads — חודש ראשון", "4800"),
        (10, "Google Ads — חודש שני", "5200"),
    ],
    "כנס לקוחות תל אביב": [
        (75, "אולם והפקה", "14500"),
        (72, "כיבוד", "6200"),
        (70, "חומרים מודפסים", "1900"),
    ],
}

NEWSLETTER = (
    "<p>שלום {{ first_name }},</p>"
    "<p>החורף כבר כאן, ואיתו מודול הדיוור החדש של קשר: דיוור לפלחים, הסכמות לפי חוק "
    "והחזר על ההשקעה של כל קמפיין.</p><p>נשמח לתאם הדגמה.</p>"
)


def _choice(list_key: str, value: str) -> Choice:
    return Choice.objects.get(list_key=list_key, value=value)


def create_marketing(users: dict[str, User], *, marketer: str = "moshe") -> None:
    owner = users[marketer]
    admin = users["admin"]
    today = timezone.localdate()
    campaigns: dict[str, Campaign] = {}
    for name, kind, status, starts, days, budget, (source, medium, tag) in CAMPAIGNS:
        start = today + datetime.timedelta(days=starts)
        campaigns[name] = record_create(
            "campaigns",
            actor=owner,
            data={
                "name": name,
                "campaign_type": _choice("campaign_type", kind),
                "status": _choice("campaign_status", status),
                "starts_on": start,
                "ends_on": start + datetime.timedelta(days=days),
                "budget": Decimal(budget),
                "utm_source": source,
                "utm_medium": medium,
                "utm_campaign": tag,
                "owner": owner,
            },
        )
    for name, lines in COSTS.items():
        for days_ago, description, amount in lines:
            record_create(
                "campaign-costs",
                actor=owner,
                data={
                    "campaign": campaigns[name],
                    "incurred_on": today - datetime.timedelta(days=days_ago),
                    "description": description,
                    "amount": Decimal(amount),
                },
            )
    _attribute(campaigns, admin)
    _consents_and_newsletter(campaigns["ניוזלטר חורף"], owner, admin)


def _attribute(campaigns: dict[str, Campaign], admin: User) -> None:
    """The leads and deals each campaign brought: Google ads the open leads and two deals, the
    conference the won deals, the newsletter touched some of the ads' leads last."""
    ads, event, newsletter = (
        campaigns["פרסום ממומן בגוגל"],
        campaigns["כנס לקוחות תל אביב"],
        campaigns["ניוזלטר חורף"],
    )
    leads = list(Lead.objects.order_by("pk"))
    for n, lead in enumerate(leads):
        lead_touch(lead, campaign=ads if n % 3 else event, actor=admin)
        if n % 2 == 0:
            lead_touch(lead, campaign=newsletter, actor=admin)
    won = list(Opportunity.objects.won().order_by("pk"))
    others = list(Opportunity.objects.exclude(pk__in=[d.pk for d in won]).order_by("pk"))
    for deal in won:
        record_update(deal, actor=admin, data={"campaign": event, "last_campaign": event})
    for deal in others[:2]:
        record_update(deal, actor=admin, data={"campaign": ads, "last_campaign": newsletter})


def _consents_and_newsletter(newsletter: Campaign, owner: User, admin: User) -> None:
    form = _choice("consent_method", "form")
    purchase = _choice("consent_method", "purchase")
    people = list(
        Contact.objects.visible_to(owner).exclude(email="").order_by("pk")[:60].only("pk")
    )
    for n, person in enumerate(people):
        if n % 10 == 9:
            continue  # no entry: no advertising
        if n % 10 == 8:
            consent_create(
                actor=admin,
                data={
                    "contact": person,
                    "channel": "email",
                    "kind": "existing_customer",
                    "method": purchase,
                    "source": "הזמנת רכש",
                    "purchase_reference": f"הזמנה {1000 + n}",
                    "informed": True,
                    "offered_refusal": True,
                    "similar_products": True,
                },
            )
            continue
        consent_create(
            actor=admin,
            data={
                "contact": person,
                "channel": "email",
                "kind": "consent",
                "method": form,
                "source": "טופס הרשמה לניוזלטר באתר",
                "proof": "תיבת הסימון „אני מסכים/ה לקבל דברי פרסומת” סומנה",
            },
        )
        if n % 5 == 0:
            consent_create(
                actor=admin,
                data={
                    "contact": person,
                    "channel": "email",
                    "purpose": "club",
                    "kind": "consent",
                    "method": form,
                    "source": "הצטרפות למועדון הלקוחות",
                },
            )
    for person in people[1:3]:
        consent_refuse(contact=person, channel="email", method="by_hand", actor=admin)
    view = saved_view_create(
        actor=owner,
        data={
            "entity": "contacts",
            "name": "ניוזלטר — אנשי קשר עם דוא״ל",
            "filter": {"field": "email", "op": "not_empty"},
        },
    )
    send = send_create(
        actor=owner,
        data={
            "campaign": newsletter,
            "name": "ניוזלטר חורף — דצמבר",
            "segment": view,
            "subject": "מה חדש בקשר החורף",
            "body": NEWSLETTER,
            "sender_name": "קשר מערכות בע״מ",
            "sender_contact": "03-5551234, info@kesher.example",
            "owner": owner,
        },
    )
    send_queue(send, actor=owner)
    # The demo's addresses are made up: the worker's own code sends into a dummy backend.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        while deliver_batch(limit=500):
            pass
