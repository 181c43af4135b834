"""Service: tickets, the teams (queues) that handle them, SLA policies and each ticket's SLA
clocks (REQ SV-1 … SV-5, SV-7, SV-9; seed 001, "כרטיס פנייה"; decision 0061).

A ticket's type, subtype and subtype level 2, its priority, channel and status are
administrators' pick-lists; a subtype belongs to a type and a level-2 subtype to a subtype
(``Choice.parent``). A status an administrator marks "waiting for the customer" pauses the
ticket's clocks, one marked "resolved" meets its resolution clock.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform.fields import ACTIVE_USERS, choice_fk, owner_fk
from kesher.platform.models import KesherModel, localized

__all__ = ["SlaClock", "SlaPolicy", "Team", "Ticket"]


class Team(KesherModel):
    """A team and its queue of tickets: who is in it and how a new ticket is assigned to one of
    them (REQ SV-11; issue 18 item 3)."""

    class Assignment(models.TextChoices):
        MANUAL = "manual", _("By hand")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("members"),
        blank=True,
        related_name="service_teams",
        limit_choices_to=ACTIVE_USERS,
    )
    assignment = models.CharField(
        _("assignment"), max_length=20, choices=Assignment.choices, default=Assignment.MANUAL
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last assigned"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_he", "id"]
        verbose_name = _("service team")
        verbose_name_plural = _("service teams")

    def __str__(self):
        return localized(self, "name")


class SlaPolicy(KesherModel):
    """Response and resolution targets in business hours for the tickets it matches: by type,
    priority and customer (a VIP contract); the first matching active policy in order applies
    (REQ SV-9)."""

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("The first active policy that matches a ticket applies.")
    )
    ticket_type = choice_fk("ticket_type", _("ticket type"))
    priority = choice_fk("ticket_priority", _("priority"))
    accounts = models.ManyToManyField(
        "customers.Account",
        verbose_name=_("customers"),
        blank=True,
        related_name="sla_policies",
        help_text=_("Empty: every customer."),
    )
    first_response_hours = models.DecimalField(
        _("first response (business hours)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("2000"))],
    )
    next_response_hours = models.DecimalField(
        _("next response (business hours)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("2000"))],
        help_text=_("After the customer answers; empty: no target."),
    )
    resolution_hours = models.DecimalField(
        _("resolution (business hours)"),
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("2000"))],
    )
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the target)"),
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return localized(self, "name")


class Ticket(KesherModel):
    """A service request: the card that frames everything done about it — its tasks,
    meetings, e-mails and calls (REQ SV-1, SV-7) — with its classification (SV-2), priority
    (SV-3), status (SV-4), the responsible user who owns closing it and the user handling it
    (SV-5), and its SLA clocks (SV-9)."""

    number = models.CharField(_("number"), max_length=20, blank=True, editable=False)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    account = models.ForeignKey(
        "customers.Account",
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    project = models.ForeignKey(
        "projects.Project",
        verbose_name=_("project"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    channel = choice_fk("ticket_channel", _("channel"))
    ticket_type = choice_fk("ticket_type", _("ticket type"))
    subtype = choice_fk("ticket_subtype", _("subtype"))
    subtype2 = choice_fk("ticket_subtype2", _("subtype level 2"))
    priority = choice_fk("ticket_priority", _("priority"))
    status = choice_fk("ticket_status", _("status"))
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
        limit_choices_to={"active": True},
    )
    # The responsible user owns closing the ticket; the handler works on it (seed 001).
    owner = owner_fk("responsible_tickets", _("responsible user"))
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handling user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handled_tickets",
        limit_choices_to=ACTIVE_USERS,
    )
    sla_policy = models.ForeignKey(
        SlaPolicy,
        verbose_name=_("SLA policy"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    sla_due_at = models.DateTimeField(
        _("SLA due"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The earliest target of the ticket's running clocks."),
    )
    first_responded_at = models.DateTimeField(
        _("first response"), null=True, blank=True, editable=False
    )
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True, editable=False)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due"),
            models.Index(fields=["team", "status", "sla_due_at"], name="ticket_team_status"),
            models.Index(fields=["handler", "sla_due_at"], name="ticket_handler_due"),
            models.Index(fields=["number"], name="ticket_number"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}".strip()

    def clean(self):
        errors = {}
        if self.subtype_id and self.subtype.parent_id != self.ticket_type_id:
            errors["subtype"] = _("This subtype does not belong to the ticket type.")
        if self.subtype2_id and self.subtype2.parent_id != self.subtype_id:
            errors["subtype2"] = _("This level-2 subtype does not belong to the subtype.")
        if self.contact_id and self.account_id:
            from kesher.customers.models import ContactAccount

            if not ContactAccount.objects.filter(
                contact_id=self.contact_id, account_id=self.account_id
            ).exists():
                errors["contact"] = _("This contact is not at the account.")
        if self.project_id and self.account_id and self.project.account_id != self.account_id:
            errors["project"] = _("This project is of another account.")
        if errors:
            raise ValidationError(errors)


class SlaClock(models.Model):
    """One SLA target of a ticket, counted in business time: first response, a next response
    (one per customer answer) or resolution (REQ SV-9; decision 0061).

    While it runs, ``running_since`` holds when its current stretch began and ``due_at`` /
    ``warn_at`` the moments it breaches and warns; a pause ("waiting for the customer") adds the
    stretch to ``spent_seconds`` and clears ``running_since``. The worker finds the moments by
    the partial indexes over running clocks only.
    """

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("First response")
        NEXT_RESPONSE = "next_response", _("Next response")
        RESOLUTION = "resolution", _("Resolution")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    kind = models.CharField(_("clock"), max_length=20, choices=Kind.choices)
    target_seconds = models.PositiveIntegerField(_("target (business seconds)"))
    warn_percent = models.PositiveSmallIntegerField(
        _("warn at (percent of the target)"), default=75
    )
    started_at = models.DateTimeField(_("started"))
    running_since = models.DateTimeField(null=True, blank=True)
    spent_seconds = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(_("due"))
    warn_at = models.DateTimeField(_("warning"))
    met_at = models.DateTimeField(_("met"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="sla_clock_due_running",
                condition=Q(running_since__isnull=False, met_at__isnull=True),
            ),
            models.Index(
                fields=["warn_at"],
                name="sla_clock_warn_running",
                condition=Q(running_since__isnull=False, met_at__isnull=True),
            ),
            models.Index(fields=["ticket", "kind"], name="sla_clock_ticket"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.get_kind_display()}"

    @property
    def paused(self) -> bool:
        return self.met_at is None and self.running_since is None

    def breached(self, now=None) -> bool:
        """Past its target: met late, paused after its target passed, or running past its due
        moment."""
        if self.met_at is not None:
            return self.met_at > self.due_at
        if self.running_since is None:
            return self.spent_seconds >= self.target_seconds
        return self.due_at <= (now or timezone.now())

    def warning(self, now=None) -> bool:
        """Past its warning share of the target, not yet breached, not met."""
        if self.met_at is not None or self.breached(now):
            return False
        if self.running_since is None:
            return self.spent_seconds * 100 >= self.target_seconds * self.warn_percent
        return self.warn_at <= (now or timezone.now())
