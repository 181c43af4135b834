"""Reports and dashboards (REQ CX-8, RE-1 … RE-4; decision 0071). Both are records of the
registry — listed, versioned, audited and reachable through the API like any other — and hold
their definition as data, so an administrator changes a built-in report as he changes any.
Whom they are shared with (users, roles; a dashboard's role) widens who reads them beyond the
grant's scope (``Entity.shared_via``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import owner_fk
from kesher.platform.models import EntityQuerySet, KesherModel, entity_choices


class Report(KesherModel):
    """A saved report: its entity and definition (``kesher.reports.engine``), shared with users
    and roles. Whoever reads it sees the figures of the records he may see."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    entity = models.CharField(_("records of"), max_length=40, choices=entity_choices)
    definition = models.JSONField(
        _("definition"),
        default=dict,
        blank=True,
        help_text=_("Groupings, figures, filter, sort and display (see the reports guide)."),
    )
    owner = owner_fk()
    shared_roles = models.ManyToManyField(
        "org.Role", verbose_name=_("shared with roles"), blank=True, related_name="+"
    )
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with users"),
        blank=True,
        related_name="+",
    )

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self):
        return self.name


class Dashboard(KesherModel):
    """A grid of report widgets for one user or for a role (its members' default home of
    figures). ``widgets`` is a list of ``{"report": <id>, "width": 4 | 6 | 12}``."""

    name = models.CharField(_("name"), max_length=200)
    owner = owner_fk()
    role = models.ForeignKey(
        "org.Role",
        verbose_name=_("default for role"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    widgets = models.JSONField(_("widgets"), default=list, blank=True)
    shared_roles = models.ManyToManyField(
        "org.Role", verbose_name=_("shared with roles"), blank=True, related_name="+"
    )
    shared_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared with users"),
        blank=True,
        related_name="+",
    )

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("dashboard")
        verbose_name_plural = _("dashboards")

    def __str__(self):
        return self.name
