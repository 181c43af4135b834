"""The demo's document templates (issue 16 item 5; decision 0085): one for every document
with the bank details and a footer, and one for quotes with general terms that name the
quote's number and validity — made through the service, as an administrator would."""

from __future__ import annotations

from kesher.org.models import User
from kesher.quotes.doctemplates import document_template_create

__all__ = ["create_document_templates"]


def create_document_templates(admin: User) -> None:
    document_template_create(
        actor=admin,
        data={
            "name": "כל המסמכים",
            "document_type": "",
            "details_he": "בנק הפועלים (12), סניף 600, חשבון 123456",
            "details_en": "Bank Hapoalim (12), branch 600, account 123456",
            "footer_he": "תודה שבחרתם בנו · שירות לקוחות 03-5551234",
            "footer_en": "Thank you for choosing us · customer service +972-3-555-1234",
        },
    )
    document_template_create(
        actor=admin,
        data={
            "name": "הצעות מחיר",
            "document_type": "quote",
            "details_he": "בנק הפועלים (12), סניף 600, חשבון 123456",
            "details_en": "Bank Hapoalim (12), branch 600, account 123456",
            "terms_he": (
                "הצעה {{ number }} בתוקף עד {{ valid_until }}. המחירים אינם כוללים מע״מ.\n"
                "ביטול הזמנה לאחר אישורה כרוך בדמי ביטול של 5%."
            ),
            "terms_en": (
                "Quote {{ number }} is valid until {{ valid_until }}. Prices exclude VAT.\n"
                "An order cancelled after its confirmation bears a 5% cancellation fee."
            ),
            "footer_he": "תודה שבחרתם בנו · שירות לקוחות 03-5551234",
            "footer_en": "Thank you for choosing us · customer service +972-3-555-1234",
        },
    )
