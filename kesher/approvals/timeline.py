"""Approvals on a record's timeline: each request, each decision with its comment, and how it
ended (issue 5 item 5: "every decision in the audit log / the record's timeline")."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from kesher.approvals.lock import entities_with_processes
from kesher.approvals.models import ApprovalRequest
from kesher.approvals.selectors import record_requests
from kesher.platform.records.timeline import TimelineItem, register_source
from kesher.platform.registry import registry

LIMIT = 20


@register_source
def approvals_of(record, user) -> list[TimelineItem]:
    """The record's page already checked that ``user`` sees the record."""
    if not registry.has_model(record):
        return []
    key = registry.for_model(record).key
    if key not in entities_with_processes():
        return []
    items = []
    for request in record_requests(key, record.pk, limit=LIMIT):
        url = reverse("approvals_request", args=[request.pk])
        items.append(
            TimelineItem(
                at=request.created_at,
                actor=request.requester,
                title=_("Approval requested"),
                action="approval",
                changes={_("Approval process"): [None, str(request.process)]},
                url=url,
            )
        )
        for step in request.decisions.all():
            if not step.decision:
                continue
            details = {_("Decision"): [None, step.get_decision_display()]}
            if step.comment:
                details[_("Comment")] = [None, step.comment]
            items.append(
                TimelineItem(
                    at=step.decided_at,
                    actor=step.decided_by,
                    title=_("Approval step %(n)s") % {"n": step.position},
                    action="approval",
                    changes=details,
                    url=url,
                )
            )
        if request.status == ApprovalRequest.Status.CANCELLED:
            items.append(
                TimelineItem(
                    at=request.finished_at,
                    actor=request.finished_by,
                    title=_("Approval cancelled"),
                    action="approval",
                    changes={_("Approval process"): [None, str(request.process)]},
                    url=url,
                )
            )
    return items
