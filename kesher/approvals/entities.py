"""Approval processes in the platform registry: administrators manage them with the generic
list, pages and API (``/api/v1/approval-processes/``) (REQ AU-3)."""

from django.utils.translation import gettext_lazy as _

from kesher.approvals import services
from kesher.approvals.models import ApprovalProcess
from kesher.platform.registry import Entity, Section, register

approval_processes = register(
    Entity(
        key="approval-processes",
        model=ApprovalProcess,
        label=_("approval process"),
        label_plural=_("Approval processes"),
        icon="✍",
        nav_order=965,
        list_columns=("name_he", "name_en", "entity", "mode", "active"),
        form_fields=("name_he", "name_en", "entity", "mode", "steps", "description", "active"),
        sections=(
            Section(_("Approval process"), ("name_he", "name_en", "entity", "mode", "active")),
            Section(_("Description"), ("description",)),
        ),
        search_words=("name_he", "name_en"),
        filter_fields=("entity", "mode", "active"),
        ordering_fields=("name_he", "created_at", "id"),
        default_ordering=("name_he", "id"),
        owner_field=None,
        create_service=services.approval_process_create,
        update_service=services.approval_process_update,
        delete_service=services.approval_process_delete,
        api_example={
            "name_he": "אישור הנחה מעל 10%",
            "name_en": "Discount over 10%",
            "entity": "accounts",
            "mode": "ordered",
            "steps": [{"approver": "manager"}, {"approver": "role", "role": "admin"}],
            "description": "מנהל הצוות ואחריו מנהל המערכת",
            "active": True,
        },
    )
)
