"""Working together on records (issue 23 item 4): notes with @mentions, followers, and each
user's feed of what happened to what he follows.

A record is named by its entity's key and its id (``entity``, ``record_id``), as
notifications name theirs: notes and follows work on every registered entity, with no
per-entity code.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

__all__ = ["FeedItem", "Follow", "FollowSettings", "Note"]


class Note(models.Model):
    """A note someone wrote on a record, maybe mentioning colleagues (who are told). The body
    is plain text, kept as typed and escaped wherever it is shown."""

    entity = models.CharField(_("kind of record"), max_length=40)
    record_id = models.BigIntegerField(_("record"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="collab_notes",
    )
    body = models.TextField(_("note"))
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentioned"),
        blank=True,
        related_name="collab_mentions",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        indexes = [
            models.Index(fields=["entity", "record_id", "-created_at"], name="collab_note_record")
        ]

    def __str__(self):
        return self.body[:80]


class Follow(models.Model):
    """A user's choice about one record: following it (``following``), or not following a
    record he would follow of himself (its owner who unfollowed it)."""

    class Reason(models.TextChoices):
        CHOSEN = "chosen", _("followed")
        MENTIONED = "mentioned", _("mentioned")
        NOTE = "note", _("wrote a note")
        OWNER = "owner", _("owner")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="collab_follows",
    )
    entity = models.CharField(_("kind of record"), max_length=40)
    record_id = models.BigIntegerField(_("record"))
    following = models.BooleanField(_("following"), default=True)
    reason = models.CharField(_("why"), max_length=10, choices=Reason.choices)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "entity", "record_id"], name="collab_follow_once"
            )
        ]
        indexes = [models.Index(fields=["entity", "record_id"], name="collab_follow_record")]

    def __str__(self):
        return f"{self.user} → {self.entity} #{self.record_id}"


class FollowSettings(models.Model):
    """What a user follows of himself: the records he owns, those he is mentioned in or
    writes a note on. Without a row, both."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="collab_settings",
    )
    follow_owned = models.BooleanField(_("follow the records I own"), default=True)
    follow_mentioned = models.BooleanField(
        _("follow the records I am mentioned in or write a note on"), default=True
    )

    class Meta:
        verbose_name = _("follow settings")
        verbose_name_plural = _("follow settings")

    def __str__(self):
        return str(self.user)


class FeedItem(models.Model):
    """One line of a user's feed: a change of a record he follows (its audit entry) or a note
    on it, by someone else. Written when it happens, for each follower who may see the record
    then; read newest first, keyset paged, checked against his scope again when read."""

    class Kind(models.TextChoices):
        CHANGE = "change", _("change")
        NOTE = "note", _("note")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="collab_feed",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    entity = models.CharField(_("kind of record"), max_length=40)
    record_id = models.BigIntegerField(_("record"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    audit_entry = models.ForeignKey(
        "platform.AuditEntry",
        verbose_name=_("change"),
        null=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    note = models.ForeignKey(
        Note, verbose_name=_("note"), null=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("feed item")
        verbose_name_plural = _("feed items")
        indexes = [
            # The feed's one read: a user's items, newest first, from a keyset.
            models.Index(fields=["user", "-at", "-id"], name="collab_feed_user"),
            # Unfollowing drops the record's items from the feed.
            models.Index(fields=["user", "entity", "record_id"], name="collab_feed_record"),
        ]

    def __str__(self):
        return f"{self.user}: {self.kind} {self.entity} #{self.record_id}"
