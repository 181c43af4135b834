"""Gap-free document numbers: one counter per company and document type (REQ SA-10, OR-4; the
Tax Authority's rule that tax documents are numbered consecutively, docs ISRAEL.md; decision
0068). Quotes and orders use it now; invoices, receipts and credit notes use it next."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

__all__ = ["DocumentSequence", "displayed"]


def displayed(prefix: str, width: int, number: int) -> str:
    """``number`` as printed: ``prefix`` and the number padded to ``width`` digits."""
    return f"{prefix}{number:0{width}d}"


class DocumentSequence(models.Model):
    """The next number of one document type (``quote``, ``order``, ``invoice``…) of one of our
    companies (empty: documents issued without a company). The row is locked by the transaction
    that issues a document and moved on in it, so a rolled-back issue gives its number back and
    no number is used twice or skipped (``kesher.numbering.services.allocate_number``)."""

    company = models.ForeignKey(
        "org.Company",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_sequences",
    )
    doc_type = models.SlugField(_("document type"), max_length=30)
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    next_number = models.PositiveBigIntegerField(
        _("next number"), default=1, validators=[MinValueValidator(1)]
    )
    width = models.PositiveSmallIntegerField(_("digits"), default=5)

    class Meta:
        ordering = ["doc_type", "company", "id"]
        verbose_name = _("document numbering")
        verbose_name_plural = _("document numbering")
        constraints = [
            models.UniqueConstraint(
                fields=["company", "doc_type"],
                condition=Q(company__isnull=False),
                name="sequence_company_type",
            ),
            models.UniqueConstraint(
                fields=["doc_type"], condition=Q(company__isnull=True), name="sequence_type_only"
            ),
        ]

    def __str__(self):
        return f"{self.doc_type} {self.prefix}{self.next_number}"

    def display(self, number: int) -> str:
        """``number`` as printed: the prefix and the number padded to ``width`` digits."""
        return displayed(self.prefix, self.width, number)
