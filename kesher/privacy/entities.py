"""Data-subject requests in the platform registry: their list, page, forms and API come from
this registration; only a role granted them (the privacy officer's) reads them, and the same
grant opens the access log (REQ OR-8, issue 25)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Section, register
from kesher.privacy import assessment, services
from kesher.privacy.models import (
    RetentionRule,
    SecurityAssessment,
    SecurityIncident,
    SubjectRequest,
)

REQUESTS = "privacy-requests"
INCIDENTS = "security-incidents"
RULES = "retention-rules"
ASSESSMENTS = "security-assessments"

subject_requests = register(
    Entity(
        key=REQUESTS,
        model=SubjectRequest,
        label=_("data-subject request"),
        label_plural=_("Data-subject requests"),
        icon="🛡",
        nav_order=960,
        list_columns=("contact", "kind", "status", "received_on", "due_on", "owner"),
        form_fields=(
            "contact",
            "lead",
            "kind",
            "status",
            "received_on",
            "due_on",
            "owner",
            "notes",
        ),
        sections=(
            Section(
                _("Request"),
                (
                    "contact",
                    "lead",
                    "kind",
                    "status",
                    "received_on",
                    "due_on",
                    "answered_at",
                    "owner",
                ),
            ),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("kind", "status", "due_on", "owner"),
        filter_fields=("kind", "status", "owner", "contact", "lead"),
        ordering_fields=("due_on", "received_on", "id"),
        default_ordering=("due_on", "id"),
        select_related=("contact", "lead", "owner"),
        # The privacy officer's grant reaches every request; none is any one user's alone.
        owner_field=None,
        status_field="status",
        importable=False,
        create_service=services.request_create,
        api_example={"contact": 12, "kind": "access", "received_on": "2026-01-04"},
    )
)

security_incidents = register(
    Entity(
        key=INCIDENTS,
        model=SecurityIncident,
        label=_("security incident"),
        label_plural=_("Security incidents"),
        icon="⚠",
        nav_order=961,
        list_columns=("title", "occurred_at", "severity", "records_affected", "reported", "owner"),
        form_fields=(
            "title",
            "occurred_at",
            "discovered_at",
            "severity",
            "records_affected",
            "reported",
            "reported_on",
            "owner",
            "description",
            "measures",
        ),
        sections=(
            Section(
                _("Incident"),
                ("title", "occurred_at", "discovered_at", "severity", "records_affected", "owner"),
            ),
            Section(_("Report to the Authority"), ("reported", "reported_on")),
            Section(_("Details"), ("description", "measures")),
        ),
        headline_fields=("severity", "occurred_at", "reported", "owner"),
        search_words=("title",),
        filter_fields=("severity", "reported", "owner", "occurred_at"),
        ordering_fields=("occurred_at", "id"),
        default_ordering=("-occurred_at", "-id"),
        select_related=("owner",),
        # The register is the organization's, not one user's.
        owner_field=None,
        importable=False,
        api_example={
            "title": "מחשב נייד אבד",
            "occurred_at": "2026-03-01T09:00:00+02:00",
            "severity": "serious",
            "records_affected": 1200,
        },
    )
)

retention_rules = register(
    Entity(
        key=RULES,
        model=RetentionRule,
        label=_("retention rule"),
        label_plural=_("Retention rules"),
        icon="⌛",
        nav_order=962,
        list_columns=("name", "entity", "age_field", "age_months", "action", "active"),
        form_fields=(
            "name",
            "entity",
            "condition",
            "age_field",
            "age_months",
            "action",
            "active",
            "notes",
        ),
        sections=(
            Section(_("Rule"), ("name", "entity", "condition", "age_field", "age_months")),
            Section(_("Then"), ("action", "active")),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("entity", "age_months", "action", "active"),
        search_words=("name",),
        # Not "action": the bulk form's own parameter of that name would be read as its filter.
        filter_fields=("entity", "active"),
        ordering_fields=("name", "id"),
        default_ordering=("name", "id"),
        # The organization's rules, not one user's.
        owner_field=None,
        importable=False,
        custom_fields=False,
        api_example={
            "name": "לידים שלא הומרו",
            "entity": "leads",
            "condition": {"field": "converted_at", "op": "empty"},
            "age_field": "created_at",
            "age_months": 24,
            "action": "delete",
            "active": False,
        },
    )
)

MEASURES = (
    "definitions_document",
    "security_procedure",
    "authorizations_reviewed",
    "log_reviewed",
    "backups_checked",
    "audit_done",
    "risk_survey_done",
)
FACTS = ("people", "authorized_users", "public_body", "passes_to_others", "sensitive_data")

security_assessments = register(
    Entity(
        key=ASSESSMENTS,
        model=SecurityAssessment,
        label=_("security self-assessment"),
        label_plural=_("Security self-assessments"),
        icon="🔒",
        nav_order=963,
        list_columns=("assessed_on", "level", "people", "authorized_users", "next_review_on"),
        form_fields=(
            "assessed_on",
            *FACTS,
            "people_threshold",
            "users_threshold",
            *MEASURES,
            "findings",
            "next_review_on",
            "owner",
        ),
        sections=(
            Section(_("The database"), ("assessed_on", "level", *FACTS, "owner")),
            Section(_("Measures in place"), MEASURES),
            Section(_("Findings"), ("findings", "next_review_on")),
            Section(_("Thresholds of the regulations"), ("people_threshold", "users_threshold")),
        ),
        headline_fields=("level", "assessed_on", "next_review_on", "owner"),
        filter_fields=("level", "assessed_on"),
        ordering_fields=("assessed_on", "id"),
        default_ordering=("-assessed_on", "-id"),
        select_related=("owner",),
        # The organization's assessment, not one user's.
        owner_field=None,
        importable=False,
        custom_fields=False,
        create_service=assessment.assessment_create,
        update_service=assessment.assessment_update,
        api_example={
            "assessed_on": "2026-03-01",
            "passes_to_others": False,
            "sensitive_data": True,
            "definitions_document": True,
            "security_procedure": True,
            "findings": "אין בדיקת שחזור גיבוי — לתאם עד סוף הרבעון",
        },
    )
)
