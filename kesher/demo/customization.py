"""What an administrator would have shaped in the demo: dependent pick-lists, custom fields,
a field rule and shared saved views (REQ MK-6, SV-2, CX-1 … CX-8).

Two dependent lists from the source documents: a lead's source and its secondary source
(MK-6, sales' pick-lists: word-ad campaign → Google / YNET / Walla; referral → customer /
unknown; video ad → YouTube / Keshet), and the service request type in three levels (SV-2:
technical support → connecting a computer / installing software / system repair …).
"""

from __future__ import annotations

from kesher.customers.models import Account, Contact
from kesher.platform.models import Choice, CustomField, FieldRule, SavedView
from kesher.platform.records.services import record_update

# list key: [(value, Hebrew, English, parent value)]
# The lead sources of MK-6 are sales' pick-lists (sales/migrations/0002_defaults.py): the demo
# uses them for the accounts' custom fields too, as (parent, value).
LEAD_SOURCE_DETAILS = [
    ("word_ad", "google"),
    ("word_ad", "ynet"),
    ("word_ad", "walla"),
    ("referral", "customer"),
    ("referral", "unknown"),
    ("video_ad", "youtube"),
    ("video_ad", "keshet"),
]
REQUEST_TYPES = [
    ("tech_support", "תמיכה טכנית", "Technical support", None),
    ("billing", "חשבונות וגבייה", "Billing", None),
    ("sales", "מכירות", "Sales", None),
]
REQUEST_SUBTYPES = [
    ("connect_computer", "חיבור מחשב", "Connecting a computer", "tech_support"),
    ("install_software", "התקנת תוכנה", "Installing software", "tech_support"),
    ("system_repair", "תיקון מערכת", "System repair", "tech_support"),
    ("invoice_copy", "העתק חשבונית", "Invoice copy", "billing"),
    ("payment_terms", "תנאי תשלום", "Payment terms", "billing"),
    ("quote_request", "בקשת הצעת מחיר", "Quote request", "sales"),
]
REQUEST_SUBTYPES_2 = [
    ("network", "רשת", "Network", "connect_computer"),
    ("printer", "מדפסת", "Printer", "connect_computer"),
    ("office", "חבילת אופיס", "Office suite", "install_software"),
    ("antivirus", "אנטי-וירוס", "Antivirus", "install_software"),
    ("hardware", "חומרה", "Hardware", "system_repair"),
    ("operating_system", "מערכת הפעלה", "Operating system", "system_repair"),
]


def _list(list_key: str, rows, parent_list: str | None = None) -> None:
    parents = (
        {c.value: c for c in Choice.objects.filter(list_key=parent_list)} if parent_list else {}
    )
    Choice.objects.bulk_create(
        Choice(
            list_key=list_key,
            value=value,
            label_he=he,
            label_en=en,
            order=order,
            parent=parents.get(parent),
        )
        for order, (value, he, en, parent) in enumerate(rows)
    )


def _field(entity: str, key: str, he: str, en: str, **extra) -> CustomField:
    return CustomField.objects.create(
        entity=entity, key=key, label_he=he, label_en=en, section="שיווק ושירות", **extra
    )


def create_customization(admin) -> None:
    """The pick-lists, fields, rule and views, then values on some of the demo records."""
    _list("request_type", REQUEST_TYPES)
    _list("request_subtype", REQUEST_SUBTYPES, "request_type")
    _list("request_subtype_2", REQUEST_SUBTYPES_2, "request_subtype")
    source = _field(
        "accounts",
        "lead_source",
        "מקור ליד",
        "Lead source",
        type="choice",
        choice_list="lead_source",
        order=1,
    )
    _field(
        "accounts",
        "lead_source_detail",
        "מקור משני",
        "Secondary source",
        type="choice",
        choice_list="lead_source_detail",
        parent=source,
        order=2,
    )
    _field(
        "accounts",
        "annual_revenue",
        "מחזור שנתי",
        "Annual revenue",
        type="money",
        order=3,
    )
    request = _field(
        "contacts",
        "request_type",
        "סוג פנייה",
        "Request type",
        type="choice",
        choice_list="request_type",
        order=1,
    )
    subtype = _field(
        "contacts",
        "request_subtype",
        "תת-סוג",
        "Subtype",
        type="choice",
        choice_list="request_subtype",
        parent=request,
        order=2,
    )
    _field(
        "contacts",
        "request_subtype_2",
        "תת-סוג 2",
        "Subtype 2",
        type="choice",
        choice_list="request_subtype_2",
        parent=subtype,
        order=3,
    )
    FieldRule.objects.create(
        entity="accounts",
        field="zip_code",
        validator="regex",
        pattern=r"\d{5}(\d{2})?",
        message_he="מיקוד בן חמש או שבע ספרות",
        message_en="A zip code of five or seven digits",
    )
    SavedView.objects.create(
        entity="accounts",
        name="לקוחות VIP",
        owner=admin,
        shared=True,
        filter={"all": [{"field": "status", "op": "eq", "value": "vip"}]},
        columns=["name", "phone", "city", "owner", "last_contact_at"],
        sort="-last_contact_at",
    )
    SavedView.objects.create(
        entity="accounts",
        name="הגיעו מגוגל",
        owner=admin,
        shared=True,
        filter={"all": [{"field": "custom.lead_source_detail", "op": "eq", "value": "google"}]},
        columns=["name", "city", "custom.lead_source", "custom.lead_source_detail", "owner"],
    )
    _fill_values()


def _fill_values() -> None:
    """Deterministic values on every third account and every fifth contact, through the
    service, so they are validated and audited like a user's edit."""
    details = LEAD_SOURCE_DETAILS
    for index, account in enumerate(Account.objects.order_by("pk")[::3]):
        parent, child = details[index % len(details)]
        record_update(
            account,
            actor=None,
            data={
                "custom": {
                    "lead_source": parent,
                    "lead_source_detail": child,
                    "annual_revenue": 50_000 * (index % 40 + 1),
                }
            },
        )
    chains = [
        (t, s, s2)
        for s2, _he, _en, s in REQUEST_SUBTYPES_2
        for s_value, _she, _sen, t in REQUEST_SUBTYPES
        if s_value == s
    ]
    for index, contact in enumerate(Contact.objects.order_by("pk")[::5]):
        top, sub, sub2 = chains[index % len(chains)]
        record_update(
            contact,
            actor=None,
            data={
                "custom": {"request_type": top, "request_subtype": sub, "request_subtype_2": sub2}
            },
        )
