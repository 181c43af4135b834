"""A record an import created says so on its timeline (issue 26 item 3): "created by import
#N (file), row R", told by the import's own row record instead of a "created" audit entry per
record. The link to the import's page is given to whoever may open that import."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.imports.models import ImportRowChange
from kesher.imports.services import import_jobs_for
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.platform.registry import registry


@register_source
def created_by_import(record, user):
    if not registry.has_model(record):
        return []
    created = (
        ImportRowChange.objects.filter(
            entity=registry.for_model(record).key,
            record_id=record.pk,
            action=ImportRowChange.Action.CREATED,
        )
        .select_related("job__actor")
        .first()
    )
    if created is None:
        return []
    job = created.job
    openable = import_jobs_for(user).filter(pk=job.pk).exists()
    return [
        TimelineItem(
            at=job.started_at or job.created_at,
            actor=job.actor,
            title=_("Created by import #%(job)s") % {"job": job.pk},
            action="create",
            changes={_("File"): [None, job.filename], _("Row"): [None, str(created.row)]},
            url=reverse("import_job", args=[job.pk]) if openable else "",
        )
    ]
