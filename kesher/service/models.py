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

__all__ = [
    "Article",
    "ArticleCategory",
    "CannedReply",
    "Mailbox",
    "SlaClock",
    "SlaPolicy",
    "Team",
    "Ticket",
    "TicketEmail",
    "VisitReport",
]


class Team(KesherModel):
    """A team and its queue of tickets: who is in it and how a new ticket is assigned to one of
    them (REQ SV-11; issue 18 item 3)."""

    class Assignment(models.TextChoices):
        MANUAL = "manual", _("By hand")
        ROUND_ROBIN = "round_robin", _("Round robin")
        LEAST_LOADED = "least_loaded", _("Least loaded")
        SKILLS = "skills", _("Least loaded with the skill")

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

    # The columns its name reads: a list showing it in a column loads only these.
    title_fields = ("name_he", "name_en")

    def __str__(self):
        return localized(self, "name")


class Skill(KesherModel):
    """A skill: the agents who can handle tickets of one type. A team assigning "least loaded
    with the skill" gives a new ticket to the member having the skill for its type who has
    the fewest open tickets (issue 18 item 3; decision 0094)."""

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    ticket_type = choice_fk("ticket_type", _("ticket type"), required=True)
    agents = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("agents"),
        blank=True,
        related_name="service_skills",
        limit_choices_to=ACTIVE_USERS,
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name_he", "id"]
        verbose_name = _("skill")
        verbose_name_plural = _("skills")

    title_fields = ("name_he", "name_en")

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

    title_fields = ("name_he", "name_en")

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
    # What the ticket is about in the catalogue (issue 16 item 6; seed 001): service by product.
    product_group = models.ForeignKey(
        "catalogue.ProductGroup",
        verbose_name=_("product group"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    product = models.ForeignKey(
        "catalogue.Product",
        verbose_name=_("product"),
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
    solution_article = models.ForeignKey(
        "service.Article",
        verbose_name=_("solved by article"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="solved_tickets",
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        indexes = [
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            models.Index(fields=["sla_due_at", "id"], name="ticket_sla_due"),
            # The queues sorted by SLA due time, ties by id as the lists break them: one range
            # of the index in order, sought from a page's last row (bench/service.py).
            models.Index(
                fields=["team", "status", "sla_due_at", "id"], name="ticket_team_status_due"
            ),
            models.Index(fields=["handler", "sla_due_at", "id"], name="ticket_handler_due_id"),
            models.Index(fields=["number"], name="ticket_number"),
        ]

    # The columns its name reads: a list showing it in a column loads only these.
    title_fields = ("number", "subject")

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


class Mailbox(KesherModel):
    """A support address (REQ IN-1; issue 18 item 4): mail that reaches it opens a ticket in its
    team's queue or, by the ticket's number in the subject or the message's headers, continues
    the ticket it answers; replies from the ticket go out from it."""

    class UnknownSender(models.TextChoices):
        CONTACT = "contact", _("Create a contact")
        LEAD = "lead", _("Create a lead")
        NOTHING = "nothing", _("Keep only the address on the ticket")

    address = models.EmailField(_("address"), unique=True)
    name = models.CharField(_("name"), max_length=100)
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mailboxes",
        limit_choices_to={"active": True},
    )
    unknown_sender = models.CharField(
        _("mail from an unknown sender"),
        max_length=10,
        choices=UnknownSender.choices,
        default=UnknownSender.CONTACT,
    )

    class Protocol(models.TextChoices):
        IMAP = "imap", "IMAP"
        POP3 = "pop3", "POP3"

    class Security(models.TextChoices):
        SSL = "ssl", _("TLS from the start (SSL)")
        STARTTLS = "starttls", _("STARTTLS (the connection turns encrypted before signing in)")

    imap_host = models.CharField(
        _("IMAP server"), max_length=200, blank=True, help_text=_("Empty: mail is forwarded.")
    )
    mail_protocol = models.CharField(
        _("protocol"), max_length=4, choices=Protocol.choices, default=Protocol.IMAP
    )
    mail_security = models.CharField(
        _("encryption"),
        max_length=8,
        choices=Security.choices,
        default=Security.SSL,
        help_text=_("Never without encryption: the password would cross the network readable."),
    )
    imap_port = models.PositiveIntegerField(
        _("IMAP port"),
        default=993,
        help_text=_("Usually IMAP 993 (SSL) or 143 (STARTTLS); POP3 995 (SSL) or 110 (STARTTLS)."),
    )
    imap_user = models.CharField(_("IMAP user"), max_length=200, blank=True)
    imap_password_env = models.CharField(
        _("IMAP password variable"),
        max_length=100,
        blank=True,
        help_text=_("The name of the server's environment variable that holds the password."),
    )
    imap_folder = models.CharField(_("IMAP folder"), max_length=100, default="INBOX")
    active = models.BooleanField(_("active"), default=True)

    class Problem(models.TextChoices):
        BAD_SENDER = "bad_sender", _("A message without a valid sender address was set aside")
        MESSAGE_FAILED = "message_failed", _("A message could not be received (left unread)")
        POLL_FAILED = "poll_failed", _("The mail server could not be read")

    # The latest problem in receiving its mail, for the administrator (kesher.service.mail).
    problem = models.CharField(
        _("last problem"), max_length=20, choices=Problem.choices, blank=True, editable=False
    )
    problem_detail = models.CharField(
        _("problem details"), max_length=500, blank=True, editable=False
    )
    problem_at = models.DateTimeField(_("problem at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["address", "id"]
        verbose_name = _("support mailbox")
        verbose_name_plural = _("support mailboxes")

    def __str__(self):
        return f"{self.name} <{self.address}>"


class TicketEmail(models.Model):
    """One e-mail in a ticket's thread, either way, by its Message-ID: what threads a reply by
    its In-Reply-To / References headers, and what makes a message that arrives twice (a mail
    bomb, a second poll) count once (decision 0072)."""

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class Outcome(models.TextChoices):
        OPENED = "opened", _("Opened a ticket")
        THREADED = "threaded", _("Added to a ticket")
        SENT = "sent", _("Reply")
        AUTO_REPLY = "auto_reply", _("Ignored: an automatic reply")
        LOOP = "loop", _("Ignored: sent by Kesher itself")
        BAD_SENDER = "bad_sender", _("Set aside: no valid sender address")

    message_id = models.CharField(_("Message-ID"), max_length=300, unique=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="emails"
    )
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="emails"
    )
    sender = models.CharField(_("from"), max_length=300, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    interaction = models.ForeignKey(
        "activities.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outgoing = models.ForeignKey(
        "integrations.OutgoingMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket e-mail")
        verbose_name_plural = _("ticket e-mails")
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticket_email_thread")]

    def __str__(self):
        return self.message_id


class TicketText(models.Model):
    """One SMS or WhatsApp message in a ticket's thread, either way. Inbound: a text a
    customer sent to the gateway's webhook, by the provider's id — what makes a text delivered
    twice count once, and which ticket it opened or continued (decision 0094). Outbound: an
    agent's reply from the ticket, by its idempotency key, with the queued message the worker
    sends once (decision 0124). The text itself is the interaction on the ticket."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        WHATSAPP = "whatsapp", _("WhatsApp")

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")

    class Outcome(models.TextChoices):
        OPENED = "opened", _("Opened a ticket")
        THREADED = "threaded", _("Added to a ticket")
        SUPPRESSED = "suppressed", _("Not received: the practice environment")
        SENT = "sent", _("Reply")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.INBOUND
    )
    reference = models.CharField(_("message id"), max_length=200)
    # The customer's number, either way: who wrote, or whom the reply goes to.
    sender = models.CharField(_("customer's number"), max_length=40)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    outgoing = models.ForeignKey(
        "integrations.OutgoingMessage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket = models.ForeignKey(
        Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="texts"
    )
    interaction = models.ForeignKey(
        "activities.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("ticket text message")
        verbose_name_plural = _("ticket text messages")
        constraints = [
            models.UniqueConstraint(fields=["channel", "reference"], name="ticket_text_once")
        ]
        # A number's latest texts: the ticket an unknown number's next text continues.
        indexes = [
            models.Index(fields=["sender", "-created_at"], name="ticket_text_sender"),
            # A ticket's thread of texts, and the channels its replies may take.
            models.Index(fields=["ticket", "created_at"], name="ticket_text_thread"),
        ]

    def __str__(self):
        return f"{self.channel} {self.reference}"


class CannedReply(KesherModel):
    """A ready answer an agent inserts into a reply in one click, with merge fields of the
    ticket (``{{ number }}``, ``{{ contact.first_name }}``), in Hebrew and English (issue 18
    item 3)."""

    name = models.CharField(_("name"), max_length=100)
    body_he = models.TextField(_("text (Hebrew)"), max_length=20_000)
    body_en = models.TextField(_("text (English)"), max_length=20_000, blank=True)
    ticket_type = choice_fk("ticket_type", _("ticket type"))
    # The name of the WhatsApp message template this text was approved as (by Meta, through
    # the provider): outside WhatsApp's 24-hour window only such a reply may be sent.
    whatsapp_template = models.CharField(
        _("WhatsApp template name"),
        max_length=100,
        blank=True,
        help_text=_(
            "The name the template was approved under for WhatsApp. Outside the 24 hours after "
            "the customer's last WhatsApp message, only a canned reply with a template name can "
            "be sent on WhatsApp."
        ),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")

    def __str__(self):
        return self.name


class ArticleCategory(KesherModel):
    """A shelf of the knowledge base (REQ SV-8)."""

    name_he = models.CharField(_("Hebrew name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    order = models.PositiveIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "name_he", "id"]
        verbose_name = _("knowledge base category")
        verbose_name_plural = _("knowledge base categories")

    def __str__(self):
        return localized(self, "name")


class Article(KesherModel):
    """A knowledge-base article in Hebrew and English, its body sanitized rich text; a draft
    until published, internal (staff) or public; suggested on tickets of its type and by
    their subject (REQ SV-8; issue 18 item 5)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Audience(models.TextChoices):
        INTERNAL = "internal", _("Internal")
        PUBLIC = "public", _("Public")

    title_he = models.CharField(_("Hebrew title"), max_length=200)
    title_en = models.CharField(_("English title"), max_length=200, blank=True)
    body_he = models.TextField(_("text (Hebrew)"), max_length=100_000)
    body_en = models.TextField(_("text (English)"), max_length=100_000, blank=True)
    category = models.ForeignKey(
        ArticleCategory,
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    audience = models.CharField(
        _("audience"), max_length=10, choices=Audience.choices, default=Audience.INTERNAL
    )
    ticket_type = choice_fk("ticket_type", _("ticket type"))
    owner = owner_fk("kb_articles")
    # "Did this help?" counted as the answers are given (``article_vote``), so the list shows
    # and sorts them as columns without counting every article's votes (decision 0124).
    helpful_count = models.PositiveIntegerField(_("helpful"), default=0, editable=False)
    not_helpful_count = models.PositiveIntegerField(_("not helpful"), default=0, editable=False)

    class Meta:
        ordering = ["title_he", "id"]
        verbose_name = _("knowledge base article")
        verbose_name_plural = _("knowledge base articles")
        indexes = [models.Index(fields=["status", "title_he"], name="article_status_title")]

    title_fields = ("title_he", "title_en")

    def __str__(self):
        return localized(self, "title")


class ArticleVote(models.Model):
    """One reader's answer to "did this help?" on an article: a staff user's or a portal
    customer's, one per reader and article (voting again changes it) (REQ SV-8; decision
    0094)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    portal_user = models.ForeignKey(
        "portal.PortalUser", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    helpful = models.BooleanField(_("helpful"))
    voted_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("article vote")
        verbose_name_plural = _("article votes")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=True) ^ Q(portal_user__isnull=True),
                name="article_vote_one_reader",
            ),
            models.UniqueConstraint(
                fields=["article", "user"],
                condition=Q(user__isnull=False),
                name="article_vote_once_per_user",
            ),
            models.UniqueConstraint(
                fields=["article", "portal_user"],
                condition=Q(portal_user__isnull=False),
                name="article_vote_once_per_customer",
            ),
        ]

    def __str__(self):
        return f"{self.article_id}: {'+' if self.helpful else '-'}"


class VisitReport(models.Model):
    """A technician's visit to a ticket's customer, completed on his phone (REQ SV-12; issue 18
    item 9; decision 0088): his closing notes, the parts he used from his van (their stock
    moves), the customer's signature (a PNG file attached to the ticket) and who signed. The
    visit itself is a meeting on the ticket; this is what it left behind, shown on the ticket's
    timeline. Written once, by ``kesher.service.visits.visit_complete``."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="visit_reports"
    )
    meeting = models.ForeignKey(
        "activities.Interaction",
        verbose_name=_("visit"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notes = models.TextField(_("closing notes"), max_length=5000)
    signed_by = models.CharField(_("signed by"), max_length=120, blank=True)
    signature = models.ForeignKey(
        "platform.Attachment",
        verbose_name=_("customer signature"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parts = models.ManyToManyField(
        "stock.StockMove", verbose_name=_("parts used"), blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(_("completed"), default=timezone.now)

    class Meta:
        ordering = ["-completed_at", "-id"]
        verbose_name = _("visit report")
        verbose_name_plural = _("visit reports")
        indexes = [
            models.Index(fields=["ticket", "completed_at"], name="visit_report_ticket"),
            models.Index(fields=["meeting"], name="visit_report_meeting"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.completed_at:%Y-%m-%d}"
