"""Admin-editable document templates (issue 16 item 5; decision 0085): saving one (its texts'
merge fields checked, its logo validated), choosing the one a document prints with, and its
texts merged with the document's values for the platform's PDF service.

The texts are plain text with the e-mail templates' merge fields (``kesher.integrations.merge``,
decision 0033) — never Django template code: ``{% … %}``, filters and unknown names are refused
when saved, and the merged values are escaped by the print template. The fields a template may
name are those of the documents it is for: a quote's for quotes, an order's for orders, a tax
document's for tax documents; a template for all documents may use ``{{ name }}`` only.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kesher.integrations import merge
from kesher.platform.models import Attachment
from kesher.platform.pdf import LOGO_MAX_BYTES, logo_data_uri
from kesher.platform.records.attachments import attachment_add
from kesher.platform.records.services import clean_text, record_create, record_update
from kesher.platform.registry import registry
from kesher.quotes.models import DocumentTemplate

__all__ = [
    "MERGE_ENTITIES",
    "TEXT_FIELDS",
    "check_texts",
    "document_template_create",
    "document_template_logo",
    "document_template_update",
    "merge_entity",
    "merge_fields",
    "template_for",
    "template_texts",
]

TEXT_FIELDS = ("details_he", "details_en", "terms_he", "terms_en", "footer_he", "footer_en")
# The entity whose fields a template's texts may name, by the documents it is for.
MERGE_ENTITIES = {"quote": "quotes", "order": "orders", "tax_document": "tax-documents"}
# The image types a logo may be, by their first bytes (the name and the browser's word are
# not trusted).
LOGO_MAGIC = {b"\x89PNG\r\n\x1a\n": ("image/png", "png"), b"\xff\xd8\xff": ("image/jpeg", "jpg")}


def merge_entity(document_type: str) -> str:
    """The registered entity a template for ``document_type`` merges fields from ("" none:
    a template for all documents)."""
    key = MERGE_ENTITIES.get(document_type or "", "")
    return key if key and key in registry else ""


def merge_fields(document_type: str) -> list[merge.MergeField]:
    """The merge fields a template for ``document_type`` may use: its documents' fields; for
    all documents, the fields every kind of document has (``number``, ``account.name``…)."""
    key = merge_entity(document_type)
    if key or document_type:
        return merge.available_fields(key)
    kinds = [merge.available_fields(k) for k in MERGE_ENTITIES.values() if k in registry]
    if not kinds:
        return merge.available_fields("")
    common = set.intersection(*({f.name for f in fields} for fields in kinds))
    return [f for f in kinds[0] if f.name in common]


def _require_valid(texts: dict[str, str], document_type: str) -> None:
    known = {f.name for f in merge_fields(document_type)}
    merge.require_valid(texts, merge_entity(document_type), known)


def _check(data: dict, current: DocumentTemplate | None = None) -> dict:
    """Clean the texts and refuse template syntax and unknown merge fields, naming the field."""
    data = dict(data)
    document_type = data.get("document_type", getattr(current, "document_type", "")) or ""
    if document_type not in DocumentTemplate.DocumentType.values:
        raise ValidationError({"document_type": [_("Choose which documents this is for.")]})
    limits = {f.name: f.max_length for f in DocumentTemplate._meta.fields if f.name in TEXT_FIELDS}
    texts = {}
    for name in TEXT_FIELDS:
        value = data.get(name, getattr(current, name, ""))
        if name in data and isinstance(value, str):
            value = clean_text(value)
            if name.startswith("footer"):
                value = " ".join(value.split())  # one line
            # A TextField's max_length binds only forms; the API comes here too.
            if len(value) > limits[name]:
                raise ValidationError(
                    {name: [_("At most %(n)s characters.") % {"n": limits[name]}]}
                )
            data[name] = value
        if isinstance(value, str):
            texts[name] = value
    _require_valid(texts, document_type)
    return data


def check_texts(template: DocumentTemplate) -> None:
    """Raise ValidationError when an (unsaved) template's texts use template syntax or merge
    fields its documents do not have (the editor's preview)."""
    texts = {name: getattr(template, name) or "" for name in TEXT_FIELDS}
    _require_valid(texts, template.document_type)


@transaction.atomic
def document_template_create(*, actor, data: dict, m2m: dict | None = None) -> DocumentTemplate:
    """A document template; its texts' merge fields must exist for its documents."""
    return record_create("document-templates", actor=actor, data=_check(data), m2m=m2m)


@transaction.atomic
def document_template_update(
    template: DocumentTemplate, *, actor, data: dict, m2m=None, expected_version=None
) -> DocumentTemplate:
    return record_update(
        template,
        actor=actor,
        data=_check(data, template),
        m2m=m2m,
        expected_version=expected_version,
    )


@transaction.atomic
def document_template_logo(template: DocumentTemplate, *, actor, uploaded) -> Attachment:
    """Attach ``uploaded`` as the template's logo: a PNG or JPEG (by its bytes) of at most
    1 MB, stored as ``logo.png`` / ``logo.jpg`` in the template's files (the newest wins)."""
    head = uploaded.read(8)
    uploaded.seek(0)
    kind = next((v for magic, v in LOGO_MAGIC.items() if head.startswith(magic)), None)
    if kind is None:
        raise ValidationError({"logo": [_("The logo must be a PNG or JPEG image.")]})
    if uploaded.size > LOGO_MAX_BYTES:
        raise ValidationError({"logo": [_("The logo must be at most 1 MB.")]})
    uploaded.name = f"logo.{kind[1]}"
    return attachment_add(template, actor=actor, uploaded=uploaded)


def template_for(company, document_type: str) -> DocumentTemplate | None:
    """The active template a document of ``document_type`` for ``company`` prints with: its
    kind's before all documents', its company's before every company's; the newest of equals."""
    company_id = getattr(company, "pk", company)
    candidates = list(
        DocumentTemplate.objects.filter(
            Q(document_type=document_type or "") | Q(document_type=""),
            Q(company__isnull=True) | Q(company_id=company_id),
            active=True,
        ).order_by("-id")[:20]
    )
    if not candidates:
        return None
    return min(
        candidates,
        key=lambda t: (t.document_type != (document_type or ""), t.company_id is None),
    )


def template_texts(template: DocumentTemplate | None, *, language: str, record=None) -> dict:
    """What the print template takes from ``template`` in ``language`` (English falling back
    to Hebrew, text by text), its merge fields filled from ``record`` as plain text (the print
    template escapes it): ``show_details``, ``details``, ``terms``, ``footer`` and ``logo``
    (a ``data:`` URI; empty: the company's own logo)."""
    if template is None:
        return {}
    entity_key = merge_entity(template.document_type)
    kinds = {entity_key} if entity_key else set(MERGE_ENTITIES.values())
    if record is not None and not (
        registry.has_model(record) and registry.for_model(record).key in kinds
    ):
        record = None  # a preview of another kind of document: its names stay empty

    def text(base: str) -> str:
        value = getattr(template, f"{base}_{language}", "") or getattr(template, f"{base}_he")
        return merge.render_text(value, record, html=False) if value else ""

    return {
        "show_details": template.show_company_details,
        "details": text("details"),
        "terms": text("terms"),
        "footer": text("footer"),
        "logo": logo_data_uri(template) if template.pk else "",
    }


def texts_for(*, company, document_type: str, language: str, record=None) -> dict:
    """The template source the platform's PDF service asks (``pdf.register_template_source``)."""
    return template_texts(template_for(company, document_type), language=language, record=record)
