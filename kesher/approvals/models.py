"""Approval rounds: processes an administrator defines, and the requests that run through them
(REQ AU-3, e.g. a quote or a discount signed off by managers before it goes to the customer).

A request points at any business record the way an interaction does (the entity's registry key
and the record's id, decision 0019). While a request is pending the record is locked for edits
(``kesher.approvals.lock``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform import stamps
from kesher.platform.models import KesherModel, localized
from kesher.platform.records.links import link_choices

__all__ = [
    "PROCESSES_STAMP",
    "ApprovalDecision",
    "ApprovalLink",
    "ApprovalProcess",
    "ApprovalRequest",
]


class ApprovalProcess(KesherModel):
    """Who signs off records of one entity, in order or all at once (REQ AU-3).

    ``steps`` is a list of approvers, each ``{"approver": "user", "user": <id>}``,
    ``{"approver": "role", "role": "<role key>"}`` or ``{"approver": "manager"}`` (the
    requester's manager); ``kesher.approvals.steps`` validates and describes them.
    """

    class Mode(models.TextChoices):
        ORDERED = "ordered", _("One after another")
        PARALLEL = "parallel", _("All at once")

    name_he = models.CharField(_("Hebrew name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    entity = models.CharField(
        _("records of"), max_length=40, choices=link_choices, default="accounts"
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.ORDERED)
    steps = models.JSONField(
        _("approvers"),
        default=list,
        help_text=_(
            'In order, e.g. [{"approver": "manager"}, {"approver": "role", "role": "admin"}, '
            '{"approver": "user", "user": 7}].'
        ),
    )
    description = models.TextField(_("description"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_he", "id"]
        verbose_name = _("approval process")
        verbose_name_plural = _("approval processes")

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return localized(self, "name")


class ApprovalRequest(models.Model):
    """One run of a process over one record: who asked, where it stands, how it ended."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")

    process = models.ForeignKey(
        ApprovalProcess,
        verbose_name=_("approval process"),
        on_delete=models.PROTECT,
        related_name="requests",
    )
    link_type = models.CharField(_("about (type)"), max_length=40)
    link_id = models.BigIntegerField(_("about (record)"))
    record_repr = models.CharField(_("record"), max_length=300)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="approval_requests",
    )
    # Who or what started it when not a person's click, e.g. "automation rule 4".
    source = models.CharField(_("started by"), max_length=100, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Who ended it: the last approver, the one who rejected, or who cancelled.
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")
        constraints = [
            # One pending round per record; it also answers the edit lock's one query.
            models.UniqueConstraint(
                fields=["link_type", "link_id"],
                condition=Q(status="pending"),
                name="approval_one_pending_per_record",
            )
        ]
        indexes = [
            models.Index(fields=["link_type", "link_id", "-created_at"], name="approval_record"),
            models.Index(fields=["requester", "-created_at"], name="approval_requester"),
        ]

    def __str__(self):
        return f"{self.process} · {self.record_repr}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class ApprovalDecision(models.Model):
    """One step of a request: who may decide it, and once decided, who did, how and why.

    ``active`` marks the steps waiting for a decision now: the current step of an ordered
    round, every undecided step of a parallel one.
    """

    class Approver(models.TextChoices):
        USER = "user", _("A user")
        ROLE = "role", _("Anyone in a role")
        MANAGER = "manager", _("The requester's manager")

    class Decision(models.TextChoices):
        PENDING = "", _("Not decided yet")
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="decisions")
    position = models.PositiveSmallIntegerField(_("step"))
    approver_kind = models.CharField(_("approver"), max_length=10, choices=Approver.choices)
    # The person for a user or manager step (the manager as of the request's start).
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approver"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.ForeignKey(
        "org.Role",
        verbose_name=_("role"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    active = models.BooleanField(default=False)
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, blank=True, default=""
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        ordering = ["request", "position"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="approval_step_unique")
        ]
        indexes = [
            # "Waiting for my approval": the active steps of one person or one role.
            models.Index(
                fields=["approver"], name="approval_waiting_user", condition=Q(active=True)
            ),
            models.Index(fields=["role"], name="approval_waiting_role", condition=Q(active=True)),
        ]

    def __str__(self):
        return f"{self.request_id}#{self.position}"


class ApprovalLink(models.Model):
    """A one-time link emailed to an approver; the signed token carries ``nonce`` only."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="links")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    nonce = models.CharField(max_length=32, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.request_id}:{self.user_id}"


# Which entities have approval processes is cached per process until a process changes.
PROCESSES_STAMP = "approvals"
stamps.renew_on_change(PROCESSES_STAMP, ApprovalProcess)
