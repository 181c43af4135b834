"""The catalogue in the platform registry: product groups, products, VAT and exchange rates,
price lists and their entries, price rules and discount limits get list, detail, forms, API,
search, import, export and automation from these registrations (REQ SA-8, SA-9, CX-9, OR-4)."""

from django.utils.translation import gettext_lazy as _

from kesher.catalogue import services
from kesher.catalogue.models import (
    DiscountLimit,
    ExchangeRate,
    PriceList,
    PriceListEntry,
    PriceRule,
    Product,
    ProductGroup,
    VatRate,
)
from kesher.platform.registry import Entity, Related, Section, register

product_groups = register(
    Entity(
        key="product-groups",
        model=ProductGroup,
        label=_("product group"),
        label_plural=_("Product groups"),
        icon="🗂",
        nav_order=70,
        list_columns=("name_he", "name_en", "parent", "active"),
        form_fields=("name_he", "name_en", "parent", "order", "active"),
        sections=(
            Section(_("Product group"), ("name_he", "name_en", "parent", "order", "active")),
        ),
        related=(
            Related(_("Sub-groups"), "product-groups", "parent", ("name_he", "active")),
            Related(_("Products"), "products", "group", ("name", "sku", "list_price", "active")),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("parent", "active"),
        ordering_fields=("path", "name_he", "id"),
        default_ordering=("path", "id"),
        select_related=("parent",),
        owner_field=None,
        create_service=services.product_group_create,
        update_service=services.product_group_update,
        lookup_keys=("name_he", "name_en"),
        natural_keys=("name_he",),
        api_example={"name_he": "מחשבים ניידים", "name_en": "Laptops", "parent": 1},
    )
)

products = register(
    Entity(
        key="products",
        model=Product,
        large=True,
        label=_("product"),
        label_plural=_("Products"),
        icon="📦",
        nav_order=71,
        list_columns=("name", "sku", "group", "kind", "list_price", "currency", "active"),
        form_fields=(
            "name",
            "kind",
            "group",
            "sku",
            "barcode",
            "unit",
            "vat_category",
            "list_price",
            "currency",
            "cost_price",
            "active",
            "description",
        ),
        sections=(
            Section(_("Product"), ("name", "kind", "group", "sku", "barcode", "unit", "active")),
            Section(_("Price"), ("list_price", "currency", "vat_category")),
            Section(_("Cost"), ("cost_price",)),
            Section(_("Description"), ("description",)),
        ),
        headline_fields=("kind", "group", "sku", "list_price"),
        related=(
            Related(_("Price rules"), "price-rules", "product", ("name", "kind", "price")),
            Related(
                _("Price list entries"),
                "price-list-entries",
                "product",
                ("price_list", "min_quantity", "price"),
            ),
        ),
        search_words=("name", "sku", "barcode"),
        filter_fields=("group", "kind", "unit", "vat_category", "currency", "active"),
        ordering_fields=("name", "sku", "list_price", "created_at", "id"),
        default_ordering=("name", "id"),
        select_related=("group", "unit", "vat_category"),
        owner_field=None,
        choice_lists={"unit": "product_unit", "vat_category": "vat_category"},
        natural_keys=("sku", "barcode"),
        lookup_keys=("sku", "barcode", "name"),
        api_example={
            "name": "מחשב נייד 14 אינץ׳",
            "kind": "goods",
            "group": 2,
            "sku": "LAP-14",
            "barcode": "7290000000014",
            "vat_category": 1,
            "list_price": "4200.00",
            "currency": "ILS",
            "cost_price": "3100.00",
        },
    )
)

vat_rates = register(
    Entity(
        key="vat-rates",
        model=VatRate,
        label=_("VAT rate"),
        label_plural=_("VAT rates"),
        icon="％",
        nav_order=977,
        list_columns=("category", "valid_from", "rate", "notes"),
        form_fields=("category", "valid_from", "rate", "notes"),
        sections=(Section(_("VAT rate"), ("category", "valid_from", "rate", "notes")),),
        filter_fields=("category",),
        ordering_fields=("valid_from", "id"),
        default_ordering=("-valid_from", "id"),
        select_related=("category",),
        owner_field=None,
        choice_lists={"category": "vat_category"},
        api_example={"category": 1, "valid_from": "2025-01-01", "rate": "18.00"},
    )
)

exchange_rates = register(
    Entity(
        key="exchange-rates",
        model=ExchangeRate,
        label=_("exchange rate"),
        label_plural=_("Exchange rates"),
        icon="💱",
        nav_order=978,
        list_columns=("currency", "valid_from", "rate", "notes"),
        form_fields=("currency", "valid_from", "rate", "notes"),
        sections=(Section(_("Exchange rate"), ("currency", "valid_from", "rate", "notes")),),
        filter_fields=("currency",),
        ordering_fields=("valid_from", "currency", "id"),
        default_ordering=("-valid_from", "id"),
        owner_field=None,
        natural_keys=("currency", "valid_from"),
        api_example={"currency": "USD", "valid_from": "2026-12-01", "rate": "3.650000"},
    )
)

price_lists = register(
    Entity(
        key="price-lists",
        model=PriceList,
        label=_("price list"),
        label_plural=_("Price lists"),
        icon="🏷",
        nav_order=72,
        list_columns=(
            "name",
            "currency",
            "account",
            "segment",
            "company",
            "is_default",
            "valid_from",
            "valid_until",
            "active",
        ),
        form_fields=(
            "name",
            "currency",
            "account",
            "segment",
            "company",
            "is_default",
            "valid_from",
            "valid_until",
            "active",
            "notes",
        ),
        sections=(
            Section(
                _("Price list"),
                ("name", "currency", "is_default", "valid_from", "valid_until", "active"),
            ),
            Section(_("Applies to"), ("account", "segment", "company")),
            Section(_("Notes"), ("notes",)),
        ),
        related=(
            Related(
                _("Prices"),
                "price-list-entries",
                "price_list",
                ("product", "min_quantity", "price"),
            ),
        ),
        search_words=("name",),
        filter_fields=("currency", "segment", "company", "is_default", "active"),
        ordering_fields=("name", "valid_from", "id"),
        default_ordering=("name", "id"),
        select_related=("account", "segment", "company"),
        owner_field=None,
        choice_lists={"segment": "account_status"},
        api_example={
            "name": "מחירון VIP",
            "currency": "ILS",
            "segment": 4,
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
        },
    )
)

price_list_entries = register(
    Entity(
        key="price-list-entries",
        model=PriceListEntry,
        label=_("price list entry"),
        label_plural=_("Price list entries"),
        icon="₪",
        nav_order=73,
        in_navigation=False,
        list_columns=("price_list", "product", "min_quantity", "price"),
        form_fields=("price_list", "product", "min_quantity", "price", "notes"),
        sections=(
            Section(_("Price"), ("price_list", "product", "min_quantity", "price", "notes")),
        ),
        filter_fields=("price_list", "product"),
        ordering_fields=("min_quantity", "id"),
        default_ordering=("price_list", "product", "min_quantity", "id"),
        select_related=("price_list", "product"),
        owner_field=None,
        api_example={"price_list": 1, "product": 7, "min_quantity": "10", "price": "3950.00"},
    )
)

price_rules = register(
    Entity(
        key="price-rules",
        model=PriceRule,
        label=_("price rule"),
        label_plural=_("Price rules"),
        icon="⚖",
        nav_order=74,
        list_columns=(
            "name",
            "kind",
            "product",
            "group",
            "period",
            "addon",
            "min_quantity",
            "price",
        ),
        form_fields=(
            "name",
            "kind",
            "product",
            "group",
            "period",
            "addon",
            "min_quantity",
            "price",
            "currency",
            "discount_percent",
            "valid_from",
            "valid_until",
            "active",
        ),
        sections=(
            Section(_("Price rule"), ("name", "kind", "product", "group", "active")),
            Section(
                _("Price"),
                ("period", "addon", "min_quantity", "price", "currency", "discount_percent"),
            ),
            Section(_("Validity"), ("valid_from", "valid_until")),
        ),
        search_words=("name",),
        filter_fields=("kind", "product", "group", "period", "active"),
        ordering_fields=("name", "id"),
        default_ordering=("kind", "name", "id"),
        select_related=("product", "group", "addon"),
        owner_field=None,
        api_example={
            "name": "השכרת מקרן — לפי שבוע",
            "kind": "period",
            "product": 12,
            "period": "week",
            "min_quantity": "1",
            "price": "450.00",
            "currency": "ILS",
        },
    )
)

discount_limits = register(
    Entity(
        key="discount-limits",
        model=DiscountLimit,
        label=_("discount limit"),
        label_plural=_("Discount limits"),
        icon="✂",
        nav_order=979,
        list_columns=("role", "user", "group", "max_percent"),
        form_fields=("role", "user", "group", "max_percent", "notes"),
        sections=(Section(_("Discount limit"), ("role", "user", "group", "max_percent", "notes")),),
        filter_fields=("role", "user", "group"),
        ordering_fields=("max_percent", "id"),
        default_ordering=("id",),
        select_related=("role", "user", "group"),
        owner_field=None,
        importable=False,
        api_example={"role": 3, "group": 2, "max_percent": "15.00"},
    )
)
