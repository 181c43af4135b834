"""Quotes and orders in the platform registry: list, detail, forms, API, search, export and
automation come from these registrations; lines, issuing and acceptance are the app's own
pages and API (REQ SA-10, SV-12; decision 0068)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, ListedOn, Section, register
from kesher.quotes import doctemplates, services
from kesher.quotes.models import DocumentTemplate, Order, OrderLine, Quote, QuoteLine

TOTALS = ("gross", "discount", "net", "vat", "total")
# A document's cost (the sum of its lines' costs) is hidden wherever the products' cost price
# is (decision 0103).
COST_HIDDEN_WITH = {"cost": ("products", "cost_price")}
LINE_FIELDS = ("position", "product", "name", "sku", "quantity", "period", "periods", "optional")


def line_entity(key, model, *, whole: str, link: str, label, label_plural, nav_order, extra=()):
    """A document's lines as an entity of their own, read with the document (decision 0103):
    reportable by product and product group (REQ SA-14), listed and read through the API,
    never written but by the document's services. Their cost is the product's cost price and
    is hidden with it."""
    return register(
        Entity(
            key=key,
            model=model,
            large=True,
            label=label,
            label_plural=label_plural,
            icon="≡",
            nav_order=nav_order,
            in_navigation=False,
            list_columns=(link, "position", "product", "name", "quantity", "net", "total"),
            sections=(
                Section(label_plural, (link, *LINE_FIELDS)),
                Section(_("Price"), (*services.LINE_PRICES, *extra)),
                Section(_("Cost"), ("unit_cost",)),
            ),
            headline_fields=(link, "product", "quantity", "total"),
            filter_fields=(link, "product", "optional"),
            ordering_fields=("position", "quantity", "net", "total", "id"),
            default_ordering=(link, "position"),
            select_related=(link, "product"),
            title_related=(),
            owner_field=None,
            scope_via=(link,),
            part_of=whole,
            hidden_with={"unit_cost": ("products", "cost_price")},
            importable=False,
            custom_fields=False,
        )
    )


quotes = register(
    Entity(
        key="quotes",
        model=Quote,
        large=True,
        linkable=True,
        label=_("quote"),
        label_plural=_("Quotes"),
        icon="🧾",
        nav_order=33,
        list_columns=("number", "name", "account", "status", "total", "valid_until", "owner"),
        form_fields=(
            "name",
            "account",
            "contact",
            "opportunity",
            "company",
            "currency",
            "doc_date",
            "valid_until",
            "owner",
            "terms",
            "notes",
        ),
        sections=(
            Section(
                _("Quote"),
                ("number", "revision", "name", "account", "contact", "opportunity", "status"),
            ),
            Section(_("Terms"), ("company", "currency", "doc_date", "valid_until", "terms")),
            Section(_("Totals"), (*TOTALS, "exchange_rate")),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("status", "total", "valid_until", "owner"),
        listed_on=(
            ListedOn("accounts", "account", _("Quotes"), ("number", "name", "status", "total")),
            ListedOn(
                "opportunities", "opportunity", _("Quotes"), ("number", "name", "status", "total")
            ),
        ),
        search_words=("number", "name"),
        filter_fields=("status", "account", "owner", "opportunity", "company"),
        ordering_fields=("created_at", "number", "total", "valid_until", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("account", "owner"),
        company_field="company",
        region_field="account__region",
        status_field="status",
        hidden_with=COST_HIDDEN_WITH,
        create_service=services.quote_create,
        update_service=services.quote_update,
        importable=False,
        api_example={
            "name": "הצעת מחיר — מחשבים ניידים",
            "account": 12,
            "opportunity": 40,
            "currency": "ILS",
            "valid_until": "2026-12-31",
            "terms": "שוטף + 30",
        },
    )
)

orders = register(
    Entity(
        key="orders",
        model=Order,
        large=True,
        linkable=True,
        label=_("order"),
        label_plural=_("Orders"),
        icon="📦",
        nav_order=34,
        list_columns=("number", "name", "account", "status", "total", "doc_date", "owner"),
        form_fields=(
            "name",
            "account",
            "contact",
            "opportunity",
            "company",
            "currency",
            "doc_date",
            "owner",
            "notes",
        ),
        sections=(
            Section(
                _("Order"),
                ("number", "name", "account", "contact", "opportunity", "quote", "status"),
            ),
            Section(_("Terms"), ("company", "currency", "doc_date")),
            Section(_("Totals"), (*TOTALS, "exchange_rate")),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("status", "total", "doc_date", "owner"),
        listed_on=(
            ListedOn("accounts", "account", _("Orders"), ("number", "name", "status", "total")),
        ),
        search_words=("number", "name"),
        filter_fields=("status", "account", "owner", "company"),
        ordering_fields=("created_at", "number", "total", "doc_date", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("account", "owner"),
        company_field="company",
        region_field="account__region",
        status_field="status",
        hidden_with=COST_HIDDEN_WITH,
        create_service=services.order_create,
        update_service=services.order_update,
        importable=False,
        api_example={"name": "מכירה מהירה בחנות", "account": 12, "currency": "ILS"},
    )
)

quote_lines = line_entity(
    "quote-lines",
    QuoteLine,
    whole="quotes",
    link="quote",
    label=_("quote line"),
    label_plural=_("Quote lines"),
    nav_order=331,
)

order_lines = line_entity(
    "order-lines",
    OrderLine,
    whole="orders",
    link="order",
    label=_("order line"),
    label_plural=_("Order lines"),
    nav_order=341,
)

document_templates = register(
    Entity(
        key="document-templates",
        model=DocumentTemplate,
        label=_("document template"),
        label_plural=_("Document templates"),
        icon="🖨",
        nav_order=976,
        list_columns=("name", "document_type", "company", "active"),
        form_fields=(
            "name",
            "document_type",
            "company",
            "show_company_details",
            "details_he",
            "terms_he",
            "footer_he",
            "details_en",
            "terms_en",
            "footer_en",
            "active",
        ),
        sections=(
            Section(
                _("Document template"),
                ("name", "document_type", "company", "show_company_details", "active"),
            ),
            Section(_("Hebrew"), ("details_he", "terms_he", "footer_he")),
            Section(_("English"), ("details_en", "terms_en", "footer_en")),
        ),
        search_words=("name",),
        filter_fields=("document_type", "company", "active"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        importable=False,
        create_service=doctemplates.document_template_create,
        update_service=doctemplates.document_template_update,
        api_example={
            "name": "הצעות מחיר",
            "document_type": "quote",
            "company": None,
            "show_company_details": True,
            "details_he": "בנק הפועלים, סניף 600, חשבון 123456",
            "terms_he": "המחירים אינם כוללים מע״מ. ההצעה {{ number }} בתוקף עד {{ valid_until }}.",
            "footer_he": "תודה שבחרתם בנו · www.example.co.il",
            "details_en": "Bank Hapoalim, branch 600, account 123456",
            "terms_en": "Prices exclude VAT. Quote {{ number }} is valid until {{ valid_until }}.",
            "footer_en": "Thank you for choosing us · www.example.co.il",
            "active": True,
        },
    )
)
