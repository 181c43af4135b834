"""Marketing: campaigns with their costs (REQ MK-1), the consent ledger of the Communications
Law §30A (ISRAEL.md "Advertising messages"; CU-11 customer club), mass sends to a segment at
most once per recipient (REQ MK-2); decision 0070.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.platform import stamps
from kesher.platform.fields import PhoneField, choice_fk, format_phone_national, money, owner_fk
from kesher.platform.models import EntityQuerySet, KesherModel

__all__ = [
    "Campaign",
    "CampaignCall",
    "CampaignCost",
    "Channel",
    "Consent",
    "DoNotCallNumber",
    "FormSubmission",
    "LeadForm",
    "LeadFormField",
    "Purpose",
    "Recipient",
    "ScoringRule",
    "Send",
    "TextRefusal",
]

MONEY = {"max_digits": 14, "decimal_places": 2}


class Channel(models.TextChoices):
    """The channels the law names (fixed by the law, not data)."""

    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    PHONE = "phone", _("phone")


class Purpose(models.TextChoices):
    """What a consent is for: advertising, or the customer club's messages (REQ CU-11)."""

    ADVERTISING = "advertising", _("advertising")
    CLUB = "club", _("customer club")


class Campaign(KesherModel):
    """A marketing campaign: its type, dates, budget and actual costs, the segment it targets,
    its UTM tags and who runs it; leads and deals point at it for attribution (REQ MK-1)."""

    name = models.CharField(_("name"), max_length=200)
    campaign_type = choice_fk("campaign_type", _("campaign type"))
    status = choice_fk("campaign_status", _("status"))
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    budget = money(
        models.DecimalField(
            _("budget"), null=True, blank=True, validators=[MinValueValidator(0)], **MONEY
        )
    )
    segment = models.ForeignKey(
        "platform.SavedView",
        verbose_name=_("target segment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"entity__in": ("contacts", "leads")},
        help_text=_("A saved view of contacts or leads."),
    )
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    owner = owner_fk("owned_campaigns", db_index=False)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-starts_on", "name", "id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [
            models.Index(fields=["name", "id"], name="campaign_name_id"),
            models.Index(fields=["owner", "name"], name="campaign_owner_name"),
            models.Index(fields=["utm_campaign"], name="campaign_utm"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("A campaign cannot end before it starts.")})


class CampaignCost(KesherModel):
    """One actual cost of a campaign: an invoice, an ad platform's charge (REQ MK-1, MK-3)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="costs"
    )
    incurred_on = models.DateField(_("date"), default=timezone.localdate)
    description = models.CharField(_("description"), max_length=200)
    amount = money(models.DecimalField(_("amount"), validators=[MinValueValidator(0)], **MONEY))

    class Meta:
        ordering = ["-incurred_on", "-id"]
        verbose_name = _("campaign cost")
        verbose_name_plural = _("campaign costs")
        indexes = [models.Index(fields=["campaign", "incurred_on"], name="campaign_cost_date")]

    def __str__(self):
        return self.description


class Consent(KesherModel):
    """One entry of the consent ledger (Communications Law §30A): a person's consent, the
    existing-customer exception with its conditions, or a refusal, for one channel and purpose.
    Entries are added, never changed: the latest entry for a person, channel and purpose is what
    holds, so a refusal holds for every later message until a new consent (REQ CU-11, MK-2)."""

    class Kind(models.TextChoices):
        CONSENT = "consent", _("consent")
        EXISTING_CUSTOMER = "existing_customer", _("existing customer (exception)")
        REFUSAL = "refusal", _("refusal")

    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consents",
    )
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="consents",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.ADVERTISING
    )
    kind = models.CharField(_("recorded"), max_length=20, choices=Kind.choices)
    given_at = models.DateTimeField(_("when"), default=timezone.now)
    method = choice_fk("consent_method", _("how"))
    proof = models.TextField(
        _("proof"),
        blank=True,
        help_text=_("The signed form, the call recording's reference, the request's address…"),
    )
    source = models.CharField(_("source"), max_length=200, blank=True)
    # The existing-customer exception's conditions (§30A(c)).
    purchase_reference = models.CharField(
        _("purchase or negotiation"),
        max_length=200,
        blank=True,
        help_text=_("The purchase or negotiation in which the customer gave the details."),
    )
    informed = models.BooleanField(_("told they would receive advertising"), default=False)
    offered_refusal = models.BooleanField(_("offered a chance to refuse"), default=False)
    similar_products = models.BooleanField(_("for similar products only"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-given_at", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consent ledger")
        indexes = [
            models.Index(
                fields=["contact", "channel", "purpose", "-given_at", "-id"], name="consent_contact"
            ),
            models.Index(
                fields=["lead", "channel", "purpose", "-given_at", "-id"], name="consent_lead"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.get_channel_display()}"

    def clean(self):
        super().clean()
        if bool(self.contact_id) == bool(self.lead_id):
            raise ValidationError({"contact": _("Choose a contact or a lead (one of them).")})
        if self.kind == self.Kind.EXISTING_CUSTOMER:
            errors = {}
            if not self.purchase_reference.strip():
                errors["purchase_reference"] = _(
                    "The exception needs the purchase or negotiation the details came from."
                )
            for name in ("informed", "offered_refusal", "similar_products"):
                if not getattr(self, name):
                    errors[name] = _("The existing-customer exception holds only when this is so.")
            if self.channel == Channel.PHONE:
                errors["channel"] = _("The exception is for written messages, not calls.")
            if errors:
                raise ValidationError(errors)


class Send(KesherModel):
    """One mass sending of a campaign to a segment evaluated when it is queued (REQ MK-2):
    every advertising message starts with "פרסומת", carries the sender's name and contact
    details and a way to refuse; each recipient gets it at most once (``Recipient``)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SCHEDULED = "scheduled", _("scheduled")
        SENDING = "sending", _("sending")
        DONE = "done", _("done")
        CANCELLED = "cancelled", _("cancelled")

    # Required on the forms; a send (and its log of recipients) outlives a deleted campaign.
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="sends",
    )
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=[c for c in Channel.choices if c[0] != Channel.PHONE],
        default=Channel.EMAIL,
    )
    purpose = models.CharField(
        _("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.ADVERTISING
    )
    segment = models.ForeignKey(
        "platform.SavedView",
        verbose_name=_("segment"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"entity__in": ("contacts", "leads")},
        help_text=_("A saved view of contacts or leads, evaluated when the send is queued."),
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(
        _("message"),
        max_length=50_000,
        help_text=_("Merge fields such as {{ first_name }} are filled for each recipient."),
    )
    sender_name = models.CharField(_("sender's name"), max_length=100)
    sender_contact = models.CharField(
        _("sender's contact details"),
        max_length=200,
        help_text=_("An address or phone number where the recipient can reach the sender."),
    )
    language = models.CharField(
        _("language"), max_length=2, choices=[("he", "עברית"), ("en", "English")], default="he"
    )
    scheduled_at = models.DateTimeField(
        _("send at"), null=True, blank=True, help_text=_("Empty: when you press Send.")
    )
    status = models.CharField(
        _("send status"),
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        editable=False,
    )
    audience = models.PositiveIntegerField(_("audience"), null=True, blank=True, editable=False)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True, editable=False)
    owner = owner_fk("owned_sends", db_index=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("mass send")
        verbose_name_plural = _("mass sends")
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="send_due"),
            models.Index(fields=["owner", "created_at"], name="send_owner"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.channel == Channel.EMAIL and not self.subject.strip():
            raise ValidationError({"subject": _("An e-mail needs a subject.")})


class Recipient(models.Model):
    """One person of a send's audience, written before anything is sent: pending, then
    claimed ("sending") before the message leaves, then sent. A row a dead worker left
    "sending" becomes "outcome unknown" and is never sent again unless an operator chooses;
    people without consent are "skipped". Every status adds up to the audience (REQ MK-2)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        UNKNOWN = "unknown", _("outcome unknown")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped (no consent)")
        SUPPRESSED = "suppressed", _("suppressed (practice)")
        BOUNCED = "bounced", _("not sent: the address bounced")

    send = models.ForeignKey(
        Send, verbose_name=_("mass send"), on_delete=models.CASCADE, related_name="recipients"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.UniqueConstraint(
                fields=["send", "contact"],
                condition=models.Q(contact__isnull=False),
                name="recipient_once_contact",
            ),
            models.UniqueConstraint(
                fields=["send", "lead"],
                condition=models.Q(lead__isnull=False),
                name="recipient_once_lead",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="recipient_due"),
            models.Index(fields=["send", "status"], name="recipient_send_status"),
        ]

    def __str__(self):
        return self.address


# --- web-to-lead forms (REQ MK-5, IN-4, MK-6; decision 0105) -----------------------------------


class LeadForm(KesherModel):
    """A web-to-lead form an administrator builds: the lead fields it asks for (its
    ``fields``), the consent checkbox and the text kept as proof, the campaign and source its
    leads are attributed to, and what the visitor sees after sending. Served by Kesher at
    ``/f/<slug>/`` and embedded in any site by an ``<iframe>`` (REQ MK-5, IN-4, MK-6)."""

    class Language(models.TextChoices):
        HE = "he", "עברית"
        EN = "en", "English"

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(
        _("address"),
        max_length=60,
        unique=True,
        help_text=_("Its public address: /f/<address>/ (letters, digits, dashes)."),
    )
    active = models.BooleanField(_("accepting submissions"), default=True)
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.HE
    )
    title_he = models.CharField(_("title (Hebrew)"), max_length=200, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_forms",
        help_text=_("Its leads are attributed to it (first and last touch)."),
    )
    source = choice_fk("lead_source", _("source"))
    source_detail = choice_fk("lead_source_detail", _("secondary source"))
    consent_channels = models.CharField(
        _("consent for"),
        max_length=40,
        blank=True,
        help_text=_("The consent box's channels, e.g. “email sms”. Empty: no box."),
    )
    consent_text_he = models.TextField(_("consent text (Hebrew)"), blank=True)
    consent_text_en = models.TextField(_("consent text (English)"), blank=True)
    thank_you_he = models.TextField(_("thank-you text (Hebrew)"), blank=True)
    thank_you_en = models.TextField(_("thank-you text (English)"), blank=True)
    redirect_url = models.URLField(
        _("go to after sending"), blank=True, help_text=_("Empty: show the thank-you text.")
    )
    embed_origins = models.CharField(
        _("sites that may embed it"),
        max_length=500,
        blank=True,
        help_text=_("Sites such as https://www.example.co.il, by spaces. Empty: any."),
    )
    owner = owner_fk("owned_lead_forms", db_index=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")
        indexes = [models.Index(fields=["name", "id"], name="lead_form_name")]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        errors = {}
        channels = self.consent_channels.split()
        allowed = {Channel.EMAIL, Channel.SMS, Channel.WHATSAPP}
        if any(c not in allowed for c in channels):
            errors["consent_channels"] = _("Use email, sms or whatsapp, separated by spaces.")
        elif channels and not (self.consent_text_he.strip() or self.consent_text_en.strip()):
            errors["consent_text_he"] = _("A consent checkbox needs the text it shows.")
        if self.source_detail_id and self.source_detail.parent_id != self.source_id:
            errors["source_detail"] = _("This secondary source does not belong to the source.")
        for origin in self.embed_origins.split():
            if not origin.startswith(("https://", "http://")) or any(c in origin for c in ";,'\""):
                errors["embed_origins"] = _("Give each site as https://host, separated by spaces.")
        if errors:
            raise ValidationError(errors)


class LeadFormField(KesherModel):
    """One lead field a web form asks for, with its labels and whether it is required; the
    visitor picks the source and its dependent secondary source when the form asks for them
    (REQ MK-5, MK-6)."""

    class Field(models.TextChoices):
        FIRST_NAME = "first_name", _("first name")
        LAST_NAME = "last_name", _("last name")
        COMPANY_NAME = "company_name", _("company")
        TITLE = "title", _("job title")
        EMAIL = "email", _("email")
        PHONE = "phone", _("phone")
        MOBILE = "mobile", _("mobile")
        CITY = "city", _("city")
        INTEREST = "interest", _("what they are interested in")
        NOTES = "notes", _("notes")
        SOURCE = "source", _("source")
        SOURCE_DETAIL = "source_detail", _("secondary source")

    form = models.ForeignKey(
        LeadForm, verbose_name=_("web form"), on_delete=models.CASCADE, related_name="fields"
    )
    lead_field = models.CharField(_("lead field"), max_length=20, choices=Field.choices)
    label_he = models.CharField(_("label (Hebrew)"), max_length=200, blank=True)
    label_en = models.CharField(_("label (English)"), max_length=200, blank=True)
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["form", "position", "id"]
        verbose_name = _("web form field")
        verbose_name_plural = _("web form fields")
        constraints = [
            models.UniqueConstraint(fields=["form", "lead_field"], name="lead_form_field_once")
        ]

    def __str__(self):
        return f"{self.form} · {self.label_he or self.label_en or self.get_lead_field_display()}"


class FormSubmission(models.Model):
    """One web-form submission as it arrived: the values sent, the UTM tags and referrer, the
    address, and the lead it made or joined. Its ``token`` (signed into the form when served)
    makes a submission sent twice count once (REQ MK-5, IN-4)."""

    class Outcome(models.TextChoices):
        CREATED = "created", _("new lead")
        MATCHED = "matched", _("joined an existing lead")

    form = models.ForeignKey(
        LeadForm,
        verbose_name=_("web form"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
    )
    token = models.CharField(_("submission token"), max_length=64, unique=True)
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="form_submissions",
    )
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    values = models.JSONField(_("values sent"), default=dict)
    consented = models.BooleanField(_("consent given"), default=False)
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=100, blank=True)
    utm_term = models.CharField(_("UTM term"), max_length=100, blank=True)
    utm_content = models.CharField(_("UTM content"), max_length=100, blank=True)
    referrer = models.CharField(_("referrer"), max_length=500, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        indexes = [
            models.Index(fields=["form", "-created_at"], name="submission_form"),
            models.Index(fields=["lead", "-created_at"], name="submission_lead"),
        ]

    def __str__(self):
        return f"{self.form or '—'} · {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"


# --- lead scoring (REQ TK-8, MK-4; decision 0105) ----------------------------------------------


class ScoringRule(KesherModel):
    """One lead-scoring rule: points for a lead whose fields meet a condition (the filter
    language, over leads), or points for each time the lead did something — sent a web form,
    an interaction with him, an e-mail he sent us — up to a ceiling. A lead's score is the sum
    of the active rules' points, written to its score field (REQ TK-8, MK-4)."""

    class Behaviour(models.TextChoices):
        FORM_SUBMISSION = "form_submission", _("sent a web form")
        INTERACTION = "interaction", _("an interaction")
        EMAIL_IN = "email_in", _("an e-mail from him")

    name = models.CharField(_("name"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    condition = models.JSONField(
        _("when the lead's fields meet"),
        null=True,
        blank=True,
        help_text=_('A filter: {"field": "source", "op": "eq", "value": "referral"}'),
    )
    behaviour = models.CharField(
        _("or for each time he"), max_length=20, choices=Behaviour.choices, blank=True
    )
    points = models.IntegerField(_("points"), validators=[MinValueValidator(-1000)])
    ceiling = models.PositiveIntegerField(
        _("at most (points)"),
        null=True,
        blank=True,
        help_text=_("Behaviour: the most points it gives one lead. Empty: no limit."),
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("lead scoring rule")
        verbose_name_plural = _("lead scoring rules")

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if bool(self.condition) == bool(self.behaviour):
            raise ValidationError(
                {"condition": _("Give either a condition on the fields or a behaviour.")}
            )
        if self.points is not None and self.points > 1000:
            raise ValidationError({"points": _("At most 1,000 points.")})
        if self.condition:
            from kesher.platform.lists.filterlang import compile_filter
            from kesher.platform.registry import registry

            try:
                compile_filter(registry.get("leads"), self.condition)
            except ValidationError as error:
                raise ValidationError({"condition": error.messages}) from None


class TextRefusal(models.Model):
    """A "הסר" / STOP reply received by SMS or WhatsApp, by the provider's message id: the
    refusal it recorded for each person with that number, once however often the gateway
    delivers it (Communications Law §30A; decision 0105)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    reference = models.CharField(_("message id"), max_length=200)
    sender = models.CharField(_("from"), max_length=40)
    people = models.PositiveIntegerField(_("people refused"), default=0)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("refusal by reply")
        verbose_name_plural = _("refusals by reply")
        constraints = [
            models.UniqueConstraint(fields=["channel", "reference"], name="text_refusal_once")
        ]

    def __str__(self):
        return self.sender


# The active rules are read once per process until one changes (`scoring.active_rules`).
stamps.renew_on_change(stamps.AUTOMATION, ScoringRule)


class ScoreRecompute(models.Model):
    """Every open lead's score recomputed because the scoring rules changed: a row per change
    (changes made before the worker finished it make it start over, as one run), worked by
    the worker in batches of leads in id order; ``after_id`` — the last lead done — is
    committed with each batch's writes, so a lead is recomputed once per run even when the
    worker dies (REQ TK-8, MK-4; decision 0117)."""

    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    after_id = models.PositiveBigIntegerField(_("done up to lead"), default=0)
    leads_done = models.PositiveIntegerField(_("leads recomputed"), default=0)
    scores_changed = models.PositiveIntegerField(_("scores changed"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("score recomputation")
        verbose_name_plural = _("score recomputations")
        indexes = [
            models.Index(
                fields=["id"],
                name="score_recompute_open",
                condition=models.Q(finished_at__isnull=True),
            )
        ]

    def __str__(self):
        return f"{self.requested_at:%Y-%m-%d %H:%M}"


# --- ad platforms' lead forms (REQ MK-5, IN-4; decision 0114) --------------------------------


class LeadAdSource(KesherModel):
    """One ad platform's lead form as Kesher receives it: which provider and form, which of
    its fields fill which lead field, and the campaign, source and owner its leads get. A row
    with no form id serves every form of its provider that has no row of its own (REQ MK-5,
    IN-4, MK-6)."""

    class Provider(models.TextChoices):
        META = "meta", _("Meta (Facebook, Instagram)")
        GOOGLE = "google", _("Google Ads")

    name = models.CharField(_("name"), max_length=200)
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    form_id = models.CharField(
        _("provider's form id"),
        max_length=100,
        blank=True,
        help_text=_("Empty: every form of this provider without a row of its own."),
    )
    active = models.BooleanField(_("receiving leads"), default=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lead_ad_sources",
        help_text=_("Its leads are attributed to it (first and last touch)."),
    )
    source = choice_fk("lead_source", _("source"))
    source_detail = choice_fk("lead_source_detail", _("secondary source"))
    field_map = models.JSONField(
        _("fields"),
        default=dict,
        blank=True,
        help_text=_(
            'The provider\'s field → the lead\'s, e.g. {"full_name": "full_name", '
            '"phone_number": "mobile"}. Empty: the providers\' standard fields.'
        ),
    )
    consent_field = models.CharField(
        _("consent question"),
        max_length=100,
        blank=True,
        help_text=_("The provider's field or checkbox whose “yes” is the consent. Empty: none."),
    )
    consent_channels = models.CharField(
        _("consent for"),
        max_length=40,
        blank=True,
        help_text=_("The consent's channels, e.g. “email sms”."),
    )
    consent_text_he = models.TextField(_("consent text (Hebrew)"), blank=True)
    consent_text_en = models.TextField(_("consent text (English)"), blank=True)
    google_key = models.CharField(
        _("Google Ads key"),
        max_length=200,
        blank=True,
        help_text=_(
            "The key typed into this form's webhook in Google Ads. Empty: the site's key. "
            "Typed, never shown back."
        ),
    )
    owner = owner_fk("owned_lead_ad_sources", db_index=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("ad lead form")
        verbose_name_plural = _("ad lead forms")
        constraints = [
            models.UniqueConstraint(fields=["provider", "form_id"], name="lead_ad_source_once")
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        from kesher.marketing.leadads import LEAD_TARGETS

        errors = {}
        if not isinstance(self.field_map, dict) or any(
            not isinstance(k, str) or v not in LEAD_TARGETS for k, v in self.field_map.items()
        ):
            errors["field_map"] = _("Map each of the provider's fields to one of: %(fields)s.") % {
                "fields": ", ".join(LEAD_TARGETS)
            }
        channels = self.consent_channels.split()
        if any(c not in {Channel.EMAIL, Channel.SMS, Channel.WHATSAPP} for c in channels):
            errors["consent_channels"] = _("Use email, sms or whatsapp, separated by spaces.")
        elif self.consent_field and not channels:
            errors["consent_channels"] = _("Name the channels the consent is for.")
        elif self.consent_field and not (
            self.consent_text_he.strip() or self.consent_text_en.strip()
        ):
            errors["consent_text_he"] = _("Give the consent text the form shows.")
        if self.source_detail_id and self.source_detail.parent_id != self.source_id:
            errors["source_detail"] = _("This secondary source does not belong to the source.")
        if errors:
            raise ValidationError(errors)


class LeadAdCampaign(KesherModel):
    """One of the provider's campaigns behind an ad lead form and the Kesher campaign its
    leads are attributed to — an administrator's table, so a form that several ad campaigns
    use brings each one's leads to its own campaign; a campaign id not in it takes the form's
    campaign (REQ MK-1, MK-5; decision 0117)."""

    ad_source = models.ForeignKey(
        LeadAdSource,
        verbose_name=_("ad lead form"),
        on_delete=models.CASCADE,
        related_name="campaign_links",
    )
    external_id = models.CharField(
        _("provider's campaign id"),
        max_length=100,
        help_text=_("The campaign's id in Meta Ads Manager or Google Ads."),
    )
    name = models.CharField(
        _("name at the provider"),
        max_length=200,
        blank=True,
        help_text=_("For whoever reads the table: the campaign's name in the ad platform."),
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="lead_ad_links",
    )

    class Meta:
        ordering = ["ad_source", "external_id", "id"]
        verbose_name = _("ad campaign")
        verbose_name_plural = _("ad campaigns")
        constraints = [
            models.UniqueConstraint(
                fields=["ad_source", "external_id"], name="lead_ad_campaign_once"
            )
        ]

    def __str__(self):
        return f"{self.ad_source} · {self.external_id}"

    def clean(self):
        super().clean()
        self.external_id = self.external_id.strip()
        if not self.external_id:
            raise ValidationError({"external_id": _("This field is required.")})


class AdLead(models.Model):
    """One lead an ad platform sent, by the provider's lead id (received once however often
    the provider repeats it): the raw notification, the fields received, and the lead it made
    or joined. A Meta lead waits for its fields to be fetched by the worker, at most once
    (REQ MK-5, IN-4; decision 0114)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for its fields")
        FETCHING = "fetching", _("fetching its fields")
        CREATED = "created", _("new lead")
        MATCHED = "matched", _("joined an existing lead")
        UNCONFIGURED = "unconfigured", _("no ad lead form set up for it")
        REFUSED = "refused", _("refused: its values")
        FAILED = "failed", _("fetching its fields failed")
        UNKNOWN = "unknown", _("outcome unknown")
        SUPPRESSED = "suppressed", _("not received: the practice environment")

    provider = models.CharField(_("provider"), max_length=10, choices=LeadAdSource.Provider.choices)
    external_id = models.CharField(_("provider's lead id"), max_length=100)
    ad_source = models.ForeignKey(
        LeadAdSource,
        verbose_name=_("ad lead form"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="ad_leads",
    )
    form_id = models.CharField(_("provider's form id"), max_length=100, blank=True)
    campaign_ref = models.CharField(_("provider's campaign id"), max_length=100, blank=True)
    payload = models.JSONField(_("as received"), default=dict)
    values = models.JSONField(_("values received"), default=dict)
    test = models.BooleanField(_("a provider's test lead"), default=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices)
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="ad_leads",
    )
    error = models.TextField(_("why"), blank=True)
    claimed_at = models.DateTimeField(_("fetch started"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("ad lead")
        verbose_name_plural = _("ad leads")
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="ad_lead_once")
        ]
        indexes = [
            models.Index(fields=["ad_source", "-created_at"], name="ad_lead_source"),
            models.Index(fields=["lead", "-created_at"], name="ad_lead_lead"),
            models.Index(fields=["status", "id"], name="ad_lead_status"),
        ]

    def __str__(self):
        return f"{self.get_provider_display()} · {self.external_id}"


# --- e-mail bounces (REQ MK-2; decision 0120) ---------------------------------------------------


class EmailBounce(models.Model):
    """A bounce the mail provider reported for an address, by the provider's message id
    (recorded once however often it is reported): hard (the address does not exist), soft
    (a full mailbox, a server down) or a complaint (the recipient marked it as spam). A hard
    bounce or a complaint — or the ``bounce_soft_limit`` soft ones — stop every later e-mail
    send to the address (decision 0120)."""

    class Kind(models.TextChoices):
        HARD = "hard", _("hard bounce")
        SOFT = "soft", _("soft bounce")
        COMPLAINT = "complaint", _("complaint (marked as spam)")

    class Status(models.TextChoices):
        RECORDED = "recorded", _("recorded")
        SUPPRESSED = "suppressed", _("not received: the practice environment")

    address = models.CharField(_("address"), max_length=254)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reference = models.CharField(_("provider's message id"), max_length=200, unique=True)
    reason = models.CharField(_("why"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    recipient = models.ForeignKey(
        Recipient,
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bounces",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bounces",
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_bounces",
    )
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="email_bounces",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    objects = EntityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("e-mail bounce")
        verbose_name_plural = _("e-mail bounces")
        indexes = [
            models.Index(fields=["address", "kind"], name="bounce_address"),
            models.Index(fields=["campaign", "kind"], name="bounce_campaign"),
            models.Index(fields=["contact", "-created_at"], name="bounce_contact"),
            models.Index(fields=["lead", "-created_at"], name="bounce_lead"),
        ]

    def __str__(self):
        return f"{self.address} · {self.get_kind_display()}"


# --- phone campaigns and the do-not-call list (REQ MK-1; Communications Law §30A; decision 0121)


class DoNotCallNumber(KesherModel):
    """A number that must not be called by a phone campaign: imported (a CSV file, the API —
    e.g. from the national "do not call" registry) or added by hand, with where it came from
    and when. Honoured when a call list is built and again when an agent opens a call
    (decision 0121)."""

    phone = PhoneField(_("phone number"), blank=False, unique=True)
    source = models.CharField(
        _("source"),
        max_length=200,
        blank=True,
        help_text=_("Where the number came from: the registry's file, the person's request…"),
    )
    added_on = models.DateField(_("added on"), default=timezone.localdate)
    notes = models.CharField(_("notes"), max_length=500, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-added_on", "-id"]
        verbose_name = _("do-not-call number")
        verbose_name_plural = _("do-not-call list")

    def __str__(self):
        return format_phone_national(self.phone)


class CampaignCall(KesherModel):
    """One person on a phone campaign's call list: the number to call, the agent it was given
    to and the latest outcome he logged (a pick-list, ``call_outcome``). People the segment
    brought who refused calls or whose number is on the do-not-call list are kept as such and
    given to no one (REQ MK-1; decision 0121)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("to call")
        DONE = "done", _("done")
        REFUSED = "refused", _("skipped: refused calls")
        DO_NOT_CALL = "do_not_call", _("skipped: on the do-not-call list")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="calls"
    )
    contact = models.ForeignKey(
        "customers.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_calls",
    )
    lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaign_calls",
    )
    phone = PhoneField(_("phone number"))
    agent = owner_fk("campaign_calls", _("agent"), db_index=False)
    position = models.PositiveIntegerField(_("order"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING
    )
    outcome = choice_fk("call_outcome", _("outcome"))
    callback_at = models.DateTimeField(_("call back at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("calls made"), default=0)
    opened_at = models.DateTimeField(_("last opened"), null=True, blank=True)
    called_at = models.DateTimeField(_("last outcome logged"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    interaction = models.ForeignKey(
        "activities.Interaction",
        verbose_name=_("interaction"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    new_lead = models.ForeignKey(
        "sales.Lead",
        verbose_name=_("lead it brought"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    new_deal = models.ForeignKey(
        "sales.Opportunity",
        verbose_name=_("deal it brought"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["campaign", "agent", "position", "id"]
        verbose_name = _("campaign call")
        verbose_name_plural = _("campaign calls")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"],
                condition=models.Q(contact__isnull=False),
                name="campaign_call_once_contact",
            ),
            models.UniqueConstraint(
                fields=["campaign", "lead"],
                condition=models.Q(lead__isnull=False),
                name="campaign_call_once_lead",
            ),
        ]
        indexes = [
            models.Index(fields=["agent", "campaign", "position"], name="campaign_call_agent"),
            models.Index(fields=["campaign", "status", "outcome"], name="campaign_call_progress"),
            models.Index(fields=["phone"], name="campaign_call_phone"),
        ]

    def __str__(self):
        return format_phone_national(self.phone)
