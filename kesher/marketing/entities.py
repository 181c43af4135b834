"""Marketing in the platform registry: campaigns and their costs, the consent ledger, mass
sends (REQ MK-1, MK-2, CU-11; decision 0070), web forms with their fields and submissions and
the lead scoring rules (REQ MK-5, MK-6, IN-4, TK-8; decision 0105) get list, detail, forms, API,
search, import, export and automation from these registrations."""

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from kesher.marketing import calls, services
from kesher.marketing.models import (
    AdLead,
    Campaign,
    CampaignCall,
    CampaignCost,
    Consent,
    DoNotCallNumber,
    EmailBounce,
    FormSubmission,
    LeadAdCampaign,
    LeadAdSource,
    LeadForm,
    LeadFormField,
    ScoringRule,
    Send,
)
from kesher.platform.customfields.picklists import Setting, declare_settings
from kesher.platform.registry import Entity, ListedOn, Related, Section, register

campaigns = register(
    Entity(
        key="campaigns",
        model=Campaign,
        label=_("campaign"),
        label_plural=_("Campaigns"),
        icon="📣",
        nav_order=80,
        list_columns=("name", "campaign_type", "status", "starts_on", "ends_on", "budget", "owner"),
        form_fields=(
            "name",
            "campaign_type",
            "status",
            "starts_on",
            "ends_on",
            "budget",
            "segment",
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "owner",
            "description",
        ),
        sections=(
            Section(
                _("Campaign"),
                ("name", "campaign_type", "status", "starts_on", "ends_on", "owner", "segment"),
            ),
            Section(_("Budget"), ("budget",)),
            Section(_("UTM tags"), ("utm_source", "utm_medium", "utm_campaign")),
            Section(_("Description"), ("description",)),
        ),
        headline_fields=("campaign_type", "status", "starts_on", "budget", "owner"),
        related=(
            Related(
                _("Costs"), "campaign-costs", "campaign", ("incurred_on", "description", "amount")
            ),
            Related(_("Mass sends"), "campaign-sends", "campaign", ("name", "channel", "status")),
            Related(
                _("E-mail bounces"),
                "email-bounces",
                "campaign",
                ("created_at", "address", "kind", "reason"),
            ),
            Related(
                _("Leads (first touch)"), "leads", "campaign", ("last_name", "first_name", "status")
            ),
            Related(
                _("Opportunities (first touch)"),
                "opportunities",
                "campaign",
                ("name", "stage", "amount"),
            ),
        ),
        search_words=("name", "utm_campaign"),
        filter_fields=("campaign_type", "status", "owner", "starts_on"),
        ordering_fields=("starts_on", "name", "budget", "created_at", "id"),
        default_ordering=("-starts_on", "name", "id"),
        select_related=("campaign_type", "status", "owner"),
        status_field="status",
        choice_lists={"campaign_type": "campaign_type", "status": "campaign_status"},
        natural_keys=("name",),
        api_example={
            "name": "ניוזלטר חורף",
            "campaign_type": 1,
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-31",
            "budget": "5000.00",
            "utm_source": "newsletter",
            "utm_medium": "email",
            "utm_campaign": "winter-2026",
        },
    )
)

campaign_costs = register(
    Entity(
        key="campaign-costs",
        model=CampaignCost,
        label=_("campaign cost"),
        label_plural=_("Campaign costs"),
        icon="₪",
        nav_order=81,
        list_columns=("campaign", "incurred_on", "description", "amount"),
        form_fields=("campaign", "incurred_on", "description", "amount"),
        sections=(Section(_("Cost"), ("campaign", "incurred_on", "description", "amount")),),
        search_words=("description",),
        filter_fields=("campaign", "incurred_on"),
        ordering_fields=("incurred_on", "amount", "id"),
        default_ordering=("-incurred_on", "-id"),
        select_related=("campaign",),
        owner_field=None,
        api_example={
            "campaign": 1,
            "incurred_on": "2026-12-03",
            "description": "קידום ממומן",
            "amount": "1200.00",
        },
    )
)

consents = register(
    Entity(
        key="consents",
        model=Consent,
        large=True,
        label=_("consent"),
        label_plural=_("Consent ledger"),
        icon="✉",
        nav_order=82,
        list_columns=("given_at", "contact", "lead", "channel", "purpose", "kind", "method"),
        form_fields=(
            "contact",
            "lead",
            "channel",
            "purpose",
            "kind",
            "given_at",
            "method",
            "source",
            "proof",
            "purchase_reference",
            "informed",
            "offered_refusal",
            "similar_products",
        ),
        sections=(
            Section(
                _("Consent"),
                ("contact", "lead", "channel", "purpose", "kind", "given_at", "method"),
            ),
            Section(_("Proof"), ("source", "proof", "recorded_by")),
            Section(
                _("Existing-customer exception"),
                ("purchase_reference", "informed", "offered_refusal", "similar_products"),
            ),
        ),
        headline_fields=("kind", "channel", "purpose", "given_at"),
        # The ledger on each person's page (the consent register of the privacy toolkit).
        listed_on=(
            ListedOn(
                "contacts", "contact", _("Consents"), ("given_at", "channel", "purpose", "kind")
            ),
            ListedOn("leads", "lead", _("Consents"), ("given_at", "channel", "purpose", "kind")),
        ),
        search_words=("source",),
        filter_fields=("channel", "purpose", "kind", "method", "contact", "lead", "given_at"),
        ordering_fields=("given_at", "id"),
        default_ordering=("-given_at", "-id"),
        select_related=("contact", "lead", "method"),
        owner_field=None,
        choice_lists={"method": "consent_method"},
        create_service=services.consent_create,
        importable=True,
        api_example={
            "contact": 12,
            "channel": "email",
            "purpose": "advertising",
            "kind": "consent",
            "given_at": "2026-12-01T10:00:00+02:00",
            "method": 1,
            "source": "טופס הרשמה באתר",
            "proof": "IP 192.0.2.10, תיבת סימון מסומנת",
        },
    )
)

sends = register(
    Entity(
        key="campaign-sends",
        model=Send,
        label=_("mass send"),
        label_plural=_("Mass sends"),
        icon="📨",
        nav_order=83,
        list_columns=("name", "campaign", "channel", "status", "scheduled_at", "audience"),
        form_fields=(
            "campaign",
            "name",
            "channel",
            "purpose",
            "segment",
            "language",
            "subject",
            "body",
            "sender_name",
            "sender_contact",
            "scheduled_at",
            "owner",
        ),
        sections=(
            Section(
                _("Send"),
                ("campaign", "name", "channel", "purpose", "segment", "language", "owner"),
            ),
            Section(_("Message"), ("subject", "body", "sender_name", "sender_contact")),
            Section(
                _("Sending"), ("status", "scheduled_at", "audience", "queued_at", "finished_at")
            ),
        ),
        headline_fields=("status", "channel", "campaign", "audience"),
        search_words=("name",),
        filter_fields=("campaign", "channel", "status", "owner"),
        ordering_fields=("created_at", "scheduled_at", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("campaign", "segment", "owner"),
        create_service=services.send_create,
        update_service=services.send_update,
        importable=False,
        api_example={
            "campaign": 1,
            "name": "ניוזלטר דצמבר",
            "channel": "email",
            "segment": 3,
            "subject": "מבצעי החורף",
            "body": "<p>שלום {{ first_name }},</p><p>המבצעים שלנו לחורף…</p>",
            "sender_name": "קשר בע״מ",
            "sender_contact": "03-5551234, info@kesher.example",
        },
    )
)

# --- web-to-lead forms (REQ MK-5, IN-4, MK-6; decision 0105) -------------------------------------

lead_forms = register(
    Entity(
        key="lead-forms",
        model=LeadForm,
        label=_("web form"),
        label_plural=_("Web forms"),
        icon="📝",
        nav_order=84,
        list_columns=("name", "slug", "active", "campaign", "source", "owner"),
        form_fields=(
            "name",
            "slug",
            "active",
            "language",
            "title_he",
            "title_en",
            "campaign",
            "source",
            "source_detail",
            "consent_channels",
            "consent_text_he",
            "consent_text_en",
            "thank_you_he",
            "thank_you_en",
            "redirect_url",
            "embed_origins",
            "owner",
        ),
        sections=(
            Section(_("Web form"), ("name", "slug", "active", "language", "owner")),
            Section(_("Title"), ("title_he", "title_en")),
            Section(_("Attribution"), ("campaign", "source", "source_detail")),
            Section(_("Consent"), ("consent_channels", "consent_text_he", "consent_text_en")),
            Section(_("After sending"), ("thank_you_he", "thank_you_en", "redirect_url")),
            Section(_("Embedding"), ("embed_origins",)),
        ),
        headline_fields=("active", "campaign", "owner"),
        related=(
            Related(
                _("Fields"),
                "lead-form-fields",
                "form",
                ("lead_field", "label_he", "required", "position"),
            ),
            Related(
                _("Submissions"),
                "form-submissions",
                "form",
                ("created_at", "lead", "outcome", "utm_source", "utm_campaign"),
            ),
        ),
        search_words=("name", "slug"),
        filter_fields=("active", "campaign", "source", "owner"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        select_related=("campaign", "source", "source_detail", "owner"),
        choice_lists={"source": "lead_source", "source_detail": "lead_source_detail"},
        natural_keys=("slug",),
        api_example={
            "name": "טופס דף נחיתה — חורף",
            "slug": "winter-landing",
            "campaign": 1,
            "consent_channels": "email sms",
            "consent_text_he": "אני מסכים/ה לקבל דיוור פרסומי בדוא״ל וב-SMS",
            "thank_you_he": "תודה! נחזור אליך בהקדם.",
        },
    )
)

lead_form_fields = register(
    Entity(
        key="lead-form-fields",
        model=LeadFormField,
        label=_("web form field"),
        label_plural=_("Web form fields"),
        icon="▭",
        nav_order=85,
        in_navigation=False,
        list_columns=("form", "position", "lead_field", "label_he", "label_en", "required"),
        form_fields=("form", "lead_field", "label_he", "label_en", "required", "position"),
        sections=(
            Section(
                _("Field"), ("form", "lead_field", "label_he", "label_en", "required", "position")
            ),
        ),
        search_words=("label_he", "label_en"),
        filter_fields=("form", "lead_field", "required"),
        ordering_fields=("position", "id"),
        default_ordering=("form", "position", "id"),
        select_related=("form",),
        title_related=("form",),
        owner_field=None,
        scope_via=("form",),
        api_example={"form": 1, "lead_field": "email", "label_he": "דוא״ל", "required": True},
    )
)

form_submissions = register(
    Entity(
        key="form-submissions",
        model=FormSubmission,
        large=True,
        label=_("form submission"),
        label_plural=_("Form submissions"),
        icon="📥",
        nav_order=86,
        in_navigation=False,
        list_columns=("created_at", "form", "lead", "outcome", "utm_source", "utm_campaign"),
        sections=(
            Section(_("Submission"), ("form", "lead", "outcome", "created_at", "consented")),
            Section(
                _("Where from"),
                (
                    "utm_source",
                    "utm_medium",
                    "utm_campaign",
                    "utm_term",
                    "utm_content",
                    "referrer",
                    "ip_address",
                ),
            ),
            Section(_("Values sent"), ("values",)),
        ),
        headline_fields=("form", "outcome", "created_at"),
        # On each lead's page: the forms it came through, with their UTM tags (REQ MK-5).
        listed_on=(
            ListedOn(
                "leads",
                "lead",
                _("Web forms"),
                ("created_at", "form", "utm_source", "utm_campaign", "referrer"),
            ),
        ),
        filter_fields=("form", "outcome", "utm_source", "utm_campaign", "created_at"),
        ordering_fields=("created_at", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("form", "lead"),
        title_related=("form",),
        owner_field=None,
        scope_via=("form",),
        part_of="lead-forms",
        importable=False,
        custom_fields=False,
        # Erasing the person (issue 25): what he typed and the address he sent it from go
        # whole; the form, the time and the campaign's tags stay for the figures.
        erased_fields=("values", "ip_address"),
    )
)

# --- lead scoring (REQ TK-8, MK-4; decision 0105) -------------------------------------------------

scoring_rules = register(
    Entity(
        key="scoring-rules",
        model=ScoringRule,
        label=_("lead scoring rule"),
        label_plural=_("Lead scoring rules"),
        icon="★",
        nav_order=87,
        list_columns=("name", "active", "behaviour", "points", "ceiling"),
        form_fields=("name", "active", "condition", "behaviour", "points", "ceiling"),
        sections=(
            Section(_("Rule"), ("name", "active", "points")),
            Section(_("When"), ("condition", "behaviour", "ceiling")),
        ),
        search_words=("name",),
        filter_fields=("active", "behaviour"),
        ordering_fields=("name", "points", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        natural_keys=("name",),
        api_example={
            "name": "הגיע מהפניה",
            "condition": {"field": "source", "op": "eq", "value": "referral"},
            "points": 20,
        },
    )
)

# --- ad platforms' lead forms (REQ MK-5, IN-4; decision 0114) -------------------------------------


class GoogleKeyForm(forms.ModelForm):
    """An ad lead form's Google Ads key is typed, never shown back; left empty on an edit,
    the stored one stays (decision 0117)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "google_key" in self.fields:
            self.fields["google_key"].widget = forms.PasswordInput(render_value=False)


class GoogleKeyMixin(serializers.Serializer):
    """The Google Ads key is written through the API, never read back."""

    google_key = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=200, trim_whitespace=False
    )


lead_ad_sources = register(
    Entity(
        key="lead-ad-sources",
        model=LeadAdSource,
        label=_("ad lead form"),
        label_plural=_("Ad lead forms"),
        icon="📢",
        nav_order=88,
        list_columns=("name", "provider", "form_id", "active", "campaign", "source", "owner"),
        form_fields=(
            "name",
            "provider",
            "form_id",
            "active",
            "campaign",
            "source",
            "source_detail",
            "field_map",
            "consent_field",
            "consent_channels",
            "consent_text_he",
            "consent_text_en",
            "google_key",
            "owner",
        ),
        sections=(
            Section(_("Ad lead form"), ("name", "provider", "form_id", "active", "owner")),
            Section(_("Attribution"), ("campaign", "source", "source_detail")),
            Section(_("Fields"), ("field_map",)),
            Section(
                _("Consent"),
                ("consent_field", "consent_channels", "consent_text_he", "consent_text_en"),
            ),
        ),
        headline_fields=("provider", "active", "campaign", "owner"),
        related=(
            Related(
                _("Provider's campaigns"),
                "lead-ad-campaigns",
                "ad_source",
                ("external_id", "name", "campaign"),
            ),
            Related(
                _("Leads received"),
                "ad-leads",
                "ad_source",
                ("created_at", "external_id", "status", "lead"),
            ),
        ),
        search_words=("name", "form_id"),
        filter_fields=("provider", "active", "campaign", "source", "owner"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        select_related=("campaign", "source", "source_detail", "owner"),
        choice_lists={"source": "lead_source", "source_detail": "lead_source_detail"},
        audit_exclude=("google_key",),
        update_service=services.lead_ad_source_update,
        form_mixin=GoogleKeyForm,
        serializer_mixin=GoogleKeyMixin,
        api_example={
            "name": "פייסבוק — קמפיין חורף",
            "provider": "meta",
            "form_id": "1234567890",
            "campaign": 1,
            "field_map": {"full_name": "full_name", "phone_number": "mobile", "email": "email"},
            "consent_field": "marketing_optin",
            "consent_channels": "email sms",
            "consent_text_he": "אני מסכים/ה לקבל דיוור פרסומי בדוא״ל וב-SMS",
        },
    )
)

lead_ad_campaigns = register(
    Entity(
        key="lead-ad-campaigns",
        model=LeadAdCampaign,
        label=_("ad campaign"),
        label_plural=_("Ad campaigns"),
        icon="🔗",
        nav_order=89,
        in_navigation=False,
        list_columns=("ad_source", "external_id", "name", "campaign"),
        form_fields=("ad_source", "external_id", "name", "campaign"),
        sections=(Section(_("Ad campaign"), ("ad_source", "external_id", "name", "campaign")),),
        search_words=("external_id", "name"),
        filter_fields=("ad_source", "campaign"),
        ordering_fields=("external_id", "id"),
        default_ordering=("ad_source", "external_id", "id"),
        select_related=("ad_source", "campaign"),
        title_related=("ad_source",),
        owner_field=None,
        scope_via=("ad_source",),
        importable=False,
        custom_fields=False,
        api_example={
            "ad_source": 1,
            "external_id": "120210000000000001",
            "name": "לידים — חורף — מטבחים",
            "campaign": 3,
        },
    )
)

ad_leads = register(
    Entity(
        key="ad-leads",
        model=AdLead,
        large=True,
        label=_("ad lead"),
        label_plural=_("Ad leads"),
        icon="📥",
        nav_order=89,
        in_navigation=False,
        list_columns=("created_at", "provider", "external_id", "ad_source", "status", "lead"),
        sections=(
            Section(
                _("Ad lead"),
                (
                    "provider",
                    "external_id",
                    "form_id",
                    "campaign_ref",
                    "ad_source",
                    "status",
                    "lead",
                    "test",
                ),
            ),
            Section(_("Received"), ("created_at", "claimed_at", "error")),
            Section(_("Values received"), ("values", "payload")),
        ),
        headline_fields=("provider", "status", "created_at"),
        # On each lead's page: the ads it came through (REQ MK-5).
        listed_on=(
            ListedOn("leads", "lead", _("Ad lead forms"), ("created_at", "provider", "ad_source")),
        ),
        filter_fields=("provider", "status", "ad_source", "created_at"),
        ordering_fields=("created_at", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("ad_source", "lead"),
        title_related=("ad_source",),
        owner_field=None,
        # Whoever reads the ad lead forms reads every ad lead, those of no form too (an unknown
        # form's leads wait for the administrator), so no ``scope_via``.
        part_of="lead-ad-sources",
        importable=False,
        custom_fields=False,
        # Erasing the person (issue 25): the values the form asked him go whole, and his
        # values are replaced wherever the raw notification holds them (blanking it whole
        # would make its ids — the lead's, the form's — words to replace everywhere).
        erased_fields=("values",),
    )
)

# Bounces are received by the mail provider's webhook only (``bounces``; decision 0120): read
# wherever campaigns are, on the campaign's page and on the person's.
email_bounces = register(
    Entity(
        key="email-bounces",
        model=EmailBounce,
        large=True,
        label=_("e-mail bounce"),
        label_plural=_("E-mail bounces"),
        icon="↩",
        nav_order=84,
        in_navigation=False,
        list_columns=("created_at", "address", "kind", "reason", "campaign", "status"),
        sections=(
            Section(
                _("E-mail bounce"),
                ("address", "kind", "reason", "created_at", "reference", "status"),
            ),
            Section(_("Sent to"), ("campaign", "recipient", "contact", "lead")),
        ),
        headline_fields=("kind", "created_at", "status"),
        # On each person's page: his address bounced, when and why.
        listed_on=(
            ListedOn(
                "contacts",
                "contact",
                _("E-mail bounces"),
                ("created_at", "address", "kind", "reason"),
            ),
            ListedOn(
                "leads", "lead", _("E-mail bounces"), ("created_at", "address", "kind", "reason")
            ),
        ),
        filter_fields=("kind", "status", "campaign", "contact", "lead", "address", "created_at"),
        ordering_fields=("created_at", "id"),
        default_ordering=("-created_at", "-id"),
        select_related=("campaign", "contact", "lead"),
        owner_field=None,
        part_of="campaigns",
        importable=False,
        custom_fields=False,
        erased_fields=("address", "reason"),
    )
)

# --- phone campaigns and the do-not-call list (REQ MK-1; §30A; decision 0121) ---------------------

# A call list is built by ``calls.call_list_build``, and a call's outcome logged by
# ``calls.call_log``; the generated pages and API read them and let a marketer add a person or
# give a call to another agent (the do-not-call list checked); the agent's "my calls" page and
# the campaign's progress card are marketing's own. Owned by the agent: an agent's role reads its
# own (scope "own"), the marketers all.
campaign_calls = register(
    Entity(
        key="campaign-calls",
        model=CampaignCall,
        large=True,
        label=_("campaign call"),
        label_plural=_("Campaign calls"),
        icon="☎",
        nav_order=84,
        in_navigation=False,
        list_columns=("campaign", "contact", "lead", "phone", "agent", "status", "outcome"),
        # By hand: a marketer adds someone to the list or gives a call to another agent; the
        # list itself is built, and outcomes logged, by marketing's own actions.
        form_fields=("campaign", "contact", "lead", "phone", "agent", "callback_at", "notes"),
        sections=(
            Section(
                _("Call"), ("campaign", "contact", "lead", "phone", "agent", "position", "status")
            ),
            Section(
                _("Outcome"),
                ("outcome", "callback_at", "attempts", "called_at", "opened_at", "notes"),
            ),
            Section(_("What it brought"), ("interaction", "new_lead", "new_deal")),
        ),
        headline_fields=("status", "outcome", "agent", "callback_at"),
        filter_fields=("campaign", "agent", "status", "outcome", "contact", "lead", "callback_at"),
        ordering_fields=("position", "called_at", "callback_at", "id"),
        default_ordering=("campaign", "agent", "position", "id"),
        select_related=("campaign", "contact", "lead", "agent", "outcome"),
        title_related=(),
        owner_field="agent",
        choice_lists={"outcome": "call_outcome"},
        create_service=calls.call_add,
        update_service=calls.call_update,
        importable=False,
        custom_fields=False,
        erased_fields=("notes", "phone"),
    )
)

do_not_call = register(
    Entity(
        key="do-not-call",
        model=DoNotCallNumber,
        large=True,
        label=_("do-not-call number"),
        label_plural=_("Do-not-call list"),
        icon="🚫",
        nav_order=84,
        list_columns=("phone", "source", "added_on", "notes"),
        form_fields=("phone", "source", "added_on", "notes"),
        sections=(Section(_("Number"), ("phone", "source", "added_on", "notes", "added_by")),),
        headline_fields=("source", "added_on"),
        search_words=("source", "notes"),
        search_phones=("phone",),
        filter_fields=("source", "added_on", "phone"),
        ordering_fields=("added_on", "phone", "id"),
        default_ordering=("-added_on", "-id"),
        owner_field=None,
        create_service=calls.do_not_call_add,
        importable=False,
        custom_fields=False,
        natural_keys=("phone",),
        api_example={
            "phone": "052-555-1234",
            "source": "מאגר אל תתקשרו אליי — קובץ דצמבר 2026",
            "added_on": "2026-12-07",
        },
    )
)


# --- what a phone call's outcome does (Choice.extra of ``call_outcome``; decision 0121), edited
# on the pick-list pages ----------------------------------------------------------------------

declare_settings(
    "call_outcome",
    Setting(
        "done",
        "boolean",
        _("Ends the call"),
        help_text=_("The call leaves the agent's list."),
    ),
    Setting("callback", "boolean", _("Asks for a call-back time")),
    Setting(
        "converts",
        "boolean",
        _("Makes a lead or a deal"),
        help_text=_("Attributed to the campaign, as its first and last touch."),
    ),
    Setting(
        "interaction_outcome",
        "text",
        _("Outcome of the logged call"),
        help_text=_("The key of the interaction outcome the call is logged with (e.g. reached)."),
        max_length=50,
    ),
)
