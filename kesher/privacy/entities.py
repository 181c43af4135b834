"""Data-subject requests in the platform registry: their list, page, forms and API come from
this registration; only a role granted them (the privacy officer's) reads them, and the same
grant opens the access log (REQ OR-8, issue 25)."""

from django.utils.translation import gettext_lazy as _

from kesher.platform.registry import Entity, Section, register
from kesher.privacy import services
from kesher.privacy.models import SubjectRequest

REQUESTS = "privacy-requests"

subject_requests = register(
    Entity(
        key=REQUESTS,
        model=SubjectRequest,
        label=_("data-subject request"),
        label_plural=_("Data-subject requests"),
        icon="🛡",
        nav_order=960,
        list_columns=("contact", "kind", "status", "received_on", "due_on", "owner"),
        form_fields=("contact", "kind", "status", "received_on", "due_on", "owner", "notes"),
        sections=(
            Section(
                _("Request"),
                ("contact", "kind", "status", "received_on", "due_on", "answered_at", "owner"),
            ),
            Section(_("Notes"), ("notes",)),
        ),
        headline_fields=("kind", "status", "due_on", "owner"),
        filter_fields=("kind", "status", "owner", "contact"),
        ordering_fields=("due_on", "received_on", "id"),
        default_ordering=("due_on", "id"),
        select_related=("contact", "owner"),
        # The privacy officer's grant reaches every request; none is any one user's alone.
        owner_field=None,
        status_field="status",
        importable=False,
        create_service=services.request_create,
        api_example={"contact": 12, "kind": "access", "received_on": "2026-01-04"},
    )
)
