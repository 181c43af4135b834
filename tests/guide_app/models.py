"""The example entity of docs/development/adding-an-entity.md: the competitors a customer also
works with (REQ CU-7, "competitors the customer works with")."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import choice_fk, owner_fk
from kesher.platform.models import KesherModel


class Competitor(KesherModel):
    """A company that competes with us for our customers, and the accounts it competes at."""

    name = models.CharField(_("name"), max_length=200)
    website = models.URLField(_("website"), blank=True)
    threat_level = choice_fk("competitor_threat", _("threat level"))
    owner = owner_fk("owned_competitors")
    competes_at = models.ManyToManyField(
        "customers.Account",
        verbose_name=_("competes at"),
        blank=True,
        related_name="competitors",
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        indexes = [
            models.Index(fields=["name", "id"], name="competitor_name_id"),
            models.Index(fields=["owner", "name"], name="competitor_owner_name"),
        ]

    def __str__(self):
        return self.name
