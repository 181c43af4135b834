"""The demo's marketing (issue 19): three campaigns with their budgets and actual costs — a
winter newsletter, paid Google ads and a customer conference — the leads and deals they
brought (first and last touch), a consent ledger for the customers with an e-mail address
(consents, the existing-customer exception and two refusals), and the newsletter sent to the
marketer's segment, so the campaign pages show what each campaign brought and its ROI.

Ad platforms' lead forms (decision 0114, 0117): a Meta form for the social-networks campaign and
a Google Ads form for the paid search campaign, each with its table of the provider's campaigns,
and the leads each brought — received through the same webhook services as real ones, Meta's
fields from a demo client (nothing leaves the machine), one fetch that failed waiting for
"fetch again". In the practice environment they are kept as not received, as real ones are.

Everything goes through marketing's services. The newsletter is sent by the same worker code
as any send, into Django's dummy mail backend: demo addresses never reach a mail server.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal

from django.test.utils import override_settings
from django.utils import timezone

from kesher.customers.models import Contact
from kesher.marketing import leadads
from kesher.marketing.models import AdLead, Campaign
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
    (
        "פרסום ממומן ברשתות החברתיות",
        "paid_ads",
        "active",
        -21,
        45,
        "8000",
        ("facebook", "paid_social", "winter-leads"),
    ),
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
    "פרסום ממומן ברשתות החברתיות": [
        (20, "Meta Ads — פייסבוק ואינסטגרם, שבועיים ראשונים", "2600"),
        (6, "Meta Ads — פייסבוק ואינסטגרם, שבועיים שניים", "2350"),
    ],
}

SOCIAL, SEARCH = "פרסום ממומן ברשתות החברתיות", "פרסום ממומן בגוגל"
META_FORM = "1184467205531920"
GOOGLE_FORM = "40000018825"
# The provider's campaigns behind each form: id, name in the ad platform, Kesher campaign.
AD_CAMPAIGNS = {
    "meta": [
        ("120211473300550", "חורף — לידים — פייסבוק", SOCIAL),
        ("120211473300612", "חורף — לידים — אינסטגרם", SOCIAL),
    ],
    "google": [("21874411223", "חיפוש — CRM לעסקים קטנים", SEARCH)],
}
# Meta's leads: lead id, days ago, platform, ad campaign, answers, consent, the fetch failed.
META_LEADS = [
    (
        "30500112233001",
        12,
        "fb",
        "120211473300550",
        ("ליאת ברגר", "liat.berger@example.co.il", "052-6104477", "ניהול לידים ומכירות"),
        True,
        False,
    ),
    (
        "30500112233002",
        9,
        "ig",
        "120211473300612",
        ("עידו שפירא", "ido.shapira@example.co.il", "054-7319920", "שירות לקוחות ותמיכה"),
        True,
        False,
    ),
    (
        "30500112233003",
        5,
        "ig",
        "120211473300612",
        ("רותם אזולאי", "rotem.a@example.co.il", "050-2286654", "דיוור ללקוחות"),
        False,
        False,
    ),
    (
        "30500112233004",
        3,
        "fb",
        "120211473300550",
        ("מאיר דהן", "meir.dahan@example.co.il", "053-4418812", "ניהול לידים ומכירות"),
        True,
        False,
    ),
    ("30500112233005", 1, "fb", "120211473300550", (), False, True),
]
# Google's leads: lead id, days ago, name, e-mail, phone, company, a provider's test lead.
GOOGLE_LEADS = [
    (
        "Cj0KCQiA-demo-0001",
        15,
        "אורית גולן",
        "orit@golan-law.example.co.il",
        "+972523349911",
        "גולן ושות׳ עורכי דין",
        False,
    ),
    (
        "Cj0KCQiA-demo-0002",
        8,
        "חיים פרץ",
        "haim@peretz-build.example.co.il",
        "+972547712030",
        "פרץ בנייה",
        False,
    ),
    (
        "Cj0KCQiA-demo-0003",
        2,
        "נועם ישראלי",
        "noam@israeli-acc.example.co.il",
        "+972506638214",
        "ישראלי רואי חשבון",
        False,
    ),
]


class DemoGraph:
    """Meta's Graph API for the demo: the leads above, and one call that timed out."""

    answers: dict = {}

    def lead(self, lead_id: str) -> dict:
        answer = DemoGraph.answers[lead_id]
        if isinstance(answer, Exception):
            raise answer
        return answer


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
    _ad_leads(campaigns, admin, users)


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


def _ad_leads(campaigns: dict[str, Campaign], admin: User, users: dict[str, User]) -> None:
    """The two ad lead forms, their tables of the provider's campaigns, and the leads each
    brought, through the webhooks' own services (decision 0114, 0117)."""
    today = timezone.now()
    forms = {
        "meta": record_create(
            "lead-ad-sources",
            actor=admin,
            data={
                "name": "פייסבוק ואינסטגרם — טופס תיאום הדגמה",
                "provider": "meta",
                "form_id": META_FORM,
                "campaign": campaigns[SOCIAL],
                "source": _choice("lead_source", "social_ad"),
                "field_map": {
                    "full_name": "full_name",
                    "email": "email",
                    "phone_number": "mobile",
                    "מה_מעניין_אותך?": "interest",
                },
                "consent_field": "marketing_optin",
                "consent_channels": "email sms",
                "consent_text_he": "אני מסכים/ה לקבל מקשר מערכות דיוור פרסומי בדוא״ל וב-SMS",
                "consent_text_en": "I agree to receive advertising from Kesher by e-mail and SMS",
                "owner": users["omer"],
            },
        ),
        "google": record_create(
            "lead-ad-sources",
            actor=admin,
            data={
                "name": "Google Ads — טופס לידים בחיפוש",
                "provider": "google",
                "form_id": GOOGLE_FORM,
                "campaign": campaigns[SEARCH],
                "source": _choice("lead_source", "word_ad"),
                "source_detail": _choice("lead_source_detail", "google"),
                "field_map": {
                    "FULL_NAME": "full_name",
                    "EMAIL": "email",
                    "PHONE_NUMBER": "mobile",
                    "COMPANY_NAME": "company_name",
                },
                # The demo's own key, drawn at load: nobody outside knows it.
                "google_key": secrets.token_urlsafe(24),
                "owner": users["itay"],
            },
        ),
    }
    for provider, rows in AD_CAMPAIGNS.items():
        for external_id, name, campaign in rows:
            record_create(
                "lead-ad-campaigns",
                actor=admin,
                data={
                    "ad_source": forms[provider],
                    "external_id": external_id,
                    "name": name,
                    "campaign": campaigns[campaign],
                },
            )
    received = {}
    for lead_id, days, platform, ad_campaign, answers, consented, failed in META_LEADS:
        leadads.meta_receive(
            {
                "object": "page",
                "entry": [
                    {
                        "id": "109876543210",
                        "changes": [
                            {
                                "field": "leadgen",
                                "value": {
                                    "leadgen_id": lead_id,
                                    "page_id": "109876543210",
                                    "form_id": META_FORM,
                                },
                            }
                        ],
                    }
                ],
            }
        )
        received[lead_id] = days
        if failed:
            DemoGraph.answers[lead_id] = TimeoutError("The Graph API did not answer in 15 s")
            continue
        name, email, phone, interest = answers
        DemoGraph.answers[lead_id] = {
            "id": lead_id,
            "form_id": META_FORM,
            "campaign_id": ad_campaign,
            "platform": platform,
            "field_data": [
                {"name": "full_name", "values": [name]},
                {"name": "email", "values": [email]},
                {"name": "phone_number", "values": [phone]},
                {"name": "מה_מעניין_אותך?", "values": [interest]},
            ],
            "custom_disclaimer_responses": [
                {"checkbox_key": "marketing_optin", "is_checked": "1" if consented else ""}
            ],
        }
    with override_settings(KESHER_META_GRAPH_CLIENT="kesher.demo.marketing.DemoGraph"):
        while leadads.fetch_meta_leads(limit=50):
            pass
    key = forms["google"].google_key
    for lead_id, days, name, email, phone, company, test in GOOGLE_LEADS:
        columns = {
            "FULL_NAME": name,
            "EMAIL": email,
            "PHONE_NUMBER": phone,
            "COMPANY_NAME": company,
        }
        leadads.google_receive(
            {
                "lead_id": lead_id,
                "api_version": "1.0",
                "form_id": int(GOOGLE_FORM),
                "campaign_id": int(AD_CAMPAIGNS["google"][0][0]),
                "google_key": key,
                "is_test": test,
                "user_column_data": [
                    {"column_id": k, "column_name": k.title(), "string_value": v}
                    for k, v in columns.items()
                    if v
                ],
            }
        )
        received[lead_id] = days
    # Received over the last weeks, as the ads ran.
    for lead_id, days in received.items():
        AdLead.objects.filter(external_id=lead_id).update(
            created_at=today - datetime.timedelta(days=days, hours=3)
        )
