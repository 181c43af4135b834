"""The customers' self-service portal (REQ OR-2, SV-10; issue 18 item 6; decision 0079).

A portal user is a contact invited by a staff user: his own principal, never a row of the
staff users' table, so no staff page, API, picker or count ever meets him, and a staff session
is never his. He reaches only what concerns his contact's accounts (``selectors``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.hashers import check_password, is_password_usable, make_password
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["PortalFile", "PortalPost", "PortalUser", "TicketRating"]


class PortalUser(models.Model):
    """A contact's access to the portal: his sign-in address, password hash, language and
    optional second factor (TOTP). Revoking access deactivates it; inviting again restores it.
    """

    class Language(models.TextChoices):
        HEBREW = "he", "עברית"
        ENGLISH = "en", "English"

    contact = models.OneToOneField(
        "customers.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="portal_user",
    )
    email = models.EmailField(_("sign-in e-mail"))
    password = models.CharField(max_length=128, editable=False)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.HEBREW
    )
    totp_secret = models.CharField(max_length=64, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    last_login = models.DateTimeField(_("last sign-in"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("access revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("portal user")
        verbose_name_plural = _("portal users")
        ordering = ["email", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="portal_user_email_unique"),
        ]

    def __str__(self):
        return self.email

    # The names Django's password-reset token generator reads.
    def get_email_field_name(self) -> str:
        return "email"

    def set_password(self, raw: str | None) -> None:
        self.password = make_password(raw)

    def check_password(self, raw: str) -> bool:
        return is_password_usable(self.password) and check_password(raw, self.password)

    @property
    def has_password(self) -> bool:
        return is_password_usable(self.password)

    @property
    def has_totp(self) -> bool:
        return bool(self.totp_secret)


class TicketRating(models.Model):
    """The customer's satisfaction with a ticket (CSAT, 1–5, with a comment), one per ticket,
    shown to staff on the ticket's page (REQ SV-10; issue 18 item 6)."""

    ticket = models.OneToOneField(
        "service.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="portal_rating",
    )
    score = models.PositiveSmallIntegerField(
        _("rating"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    rated_by = models.ForeignKey(
        PortalUser, null=True, on_delete=models.SET_NULL, related_name="ratings"
    )
    rated_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket rating")
        verbose_name_plural = _("ticket ratings")

    def __str__(self):
        return f"{self.ticket_id}: {self.score}"


class PortalPost(models.Model):
    """A message the customer wrote on a ticket in the portal: the ticket's inbound
    interaction it is, so the staff read it on the ticket's page, and the portal shows it in
    the ticket's public conversation (with the e-mails in and out; never an internal note)."""

    ticket = models.ForeignKey("service.Ticket", on_delete=models.CASCADE, related_name="+")
    interaction = models.OneToOneField(
        "activities.Interaction", on_delete=models.CASCADE, related_name="portal_post"
    )
    author = models.ForeignKey(PortalUser, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["ticket", "created_at"], name="portal_post_ticket")]

    def __str__(self):
        return f"{self.ticket_id}/{self.interaction_id}"


class PortalFile(models.Model):
    """A file the customer attached to a ticket in the portal (the platform's attachment, with
    its rules): the only files of a ticket the portal offers back to him."""

    ticket = models.ForeignKey("service.Ticket", on_delete=models.CASCADE, related_name="+")
    attachment = models.OneToOneField(
        "platform.Attachment", on_delete=models.CASCADE, related_name="portal_file"
    )
    author = models.ForeignKey(PortalUser, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["ticket"], name="portal_file_ticket")]

    def __str__(self):
        return str(self.attachment_id)
