"""Email templates in the platform registry: list, detail, forms and API come from the platform;
the editor with its live preview is the app's own page (issue 5 item 9)."""

from django.utils.translation import gettext_lazy as _

from kesher.integrations import services
from kesher.integrations.models import EmailTemplate
from kesher.platform.registry import Entity, Section, register

email_templates = register(
    Entity(
        key="email-templates",
        model=EmailTemplate,
        label=_("email template"),
        label_plural=_("Email templates"),
        icon="✉",
        nav_order=975,
        list_columns=("name", "entity", "subject_he", "active"),
        form_fields=("name", "entity", "subject_he", "body_he", "subject_en", "body_en", "active"),
        sections=(
            Section(_("Email template"), ("name", "entity", "active")),
            Section(_("Hebrew"), ("subject_he", "body_he")),
            Section(_("English"), ("subject_en", "body_en")),
        ),
        search_words=("name",),
        filter_fields=("entity", "active"),
        ordering_fields=("name", "created_at", "id"),
        default_ordering=("name", "id"),
        owner_field=None,
        create_service=services.email_template_create,
        update_service=services.email_template_update,
        api_example={
            "name": "ברוכים הבאים",
            "entity": "accounts",
            "subject_he": "שלום {{ name }}",
            "body_he": "<p>שלום {{ name }},</p><p>איש הקשר שלך: {{ owner }}.</p>",
            "subject_en": "Hello {{ name }}",
            "body_en": "<p>Hello {{ name }},</p><p>Your contact: {{ owner }}.</p>",
            "active": True,
        },
    )
)
