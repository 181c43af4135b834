"""Every write of approvals: processes (admin), and starting, deciding and cancelling a request
(REQ AU-3; issue 5 item 5). The automation engine calls ``approval_start`` with exactly this
signature, and listens to the ``approval_approved`` / ``approval_rejected`` events."""

from __future__ import annotations

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.approvals import notices
from kesher.approvals.models import ApprovalDecision, ApprovalLink, ApprovalProcess, ApprovalRequest
from kesher.approvals.selectors import can_see_record, decidable_step, role_deciders
from kesher.approvals.steps import clean_steps, manager_of
from kesher.platform import events
from kesher.platform.access import can, is_admin
from kesher.platform.models import AuditEntry
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import (
    ConflictError,
    clean_text,
    record_create,
    record_delete,
    record_update,
    write_audit,
)
from kesher.platform.registry import registry

__all__ = [
    "APPROVED",
    "REJECTED",
    "ApprovalForbidden",
    "approval_cancel",
    "approval_decide",
    "approval_link_open",
    "approval_process_create",
    "approval_process_delete",
    "approval_process_update",
    "approval_start",
]

# Event names the automation engine triggers on (issue 5 item 5: "the outcome fires triggers").
APPROVED = "approval_approved"
REJECTED = "approval_rejected"
COMMENT_MAX = 2000
Status = ApprovalRequest.Status
Approver = ApprovalDecision.Approver
# A request's audit entries: which step was decided, how, and the comment given.
STEP = register_fact("step", gettext_lazy("step"))
DECISION = register_fact(
    "decision", gettext_lazy("decision"), choices=ApprovalDecision.Decision.choices
)
COMMENT = register_fact("comment", gettext_lazy("comment"))


class ApprovalForbidden(PermissionDenied):
    """The actor may not do this to the request (not an approver of its current step, not its
    requester); the message says why, in the actor's language."""


# --- processes (administrators) ---------------------------------------------------------------


def _check_process(data: dict) -> dict:
    data = dict(data)
    if "steps" in data:
        data["steps"] = clean_steps(data["steps"])
    return data


@transaction.atomic
def approval_process_create(*, actor, data: dict, m2m: dict | None = None) -> ApprovalProcess:
    """A process: records of one entity signed off by its approvers, in order or all at once."""
    process = record_create("approval-processes", actor=actor, data=_check_process(data), m2m=m2m)
    return process


@transaction.atomic
def approval_process_update(process, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a process; requests already running keep the approvers they started with."""
    process = record_update(
        process, actor=actor, data=_check_process(data), m2m=m2m, expected_version=expected_version
    )
    return process


@transaction.atomic
def approval_process_delete(process, *, actor, expected_version=None) -> None:
    """Delete a process that never ran (one with requests is kept: deactivate it instead)."""
    record_delete(process, actor=actor, expected_version=expected_version)


# --- starting a request -------------------------------------------------------------------------


def _process(process_id, key: str) -> ApprovalProcess:
    try:
        pk = int(process_id)
    except (TypeError, ValueError):
        pk = None
    process = ApprovalProcess.objects.filter(pk=pk, active=True).first() if pk else None
    if process is None or process.entity != key:
        raise ValidationError(
            {"process": [_("Choose an active approval process for this kind of record.")]}
        )
    return process


def _requester(record, actor):
    """The actor; when automation starts a round with no person, the record's owner."""
    if actor is not None:
        return actor
    owner_field = registry.for_model(record).owner_field
    return getattr(record, owner_field, None) if owner_field else None


def _steps_for(process: ApprovalProcess, requester, key: str, record) -> list[ApprovalDecision]:
    """The process's steps as rows of this request, each with the person or role who decides."""
    from kesher.org.models import Role, User

    rows = []
    for position, step in enumerate(process.steps, start=1):
        row = ApprovalDecision(position=position, approver_kind=step["approver"])
        if step["approver"] == Approver.USER:
            row.approver = User.objects.filter(pk=step["user"], is_active=True).first()
            if row.approver is None:
                raise ValidationError(
                    {
                        "process": [
                            _("Step %(n)s: the approving user is inactive.") % {"n": position}
                        ]
                    }
                )
        elif step["approver"] == Approver.MANAGER:
            row.approver = manager_of(requester)
            if row.approver is None:
                raise ValidationError(
                    {
                        "process": [
                            _(
                                "Step %(n)s: the requester has no manager (set a manager on "
                                "the department)."
                            )
                            % {"n": position}
                        ]
                    }
                )
        else:
            row.role = Role.objects.filter(key=step["role"]).first()
            if row.role is None or not role_deciders(
                row.role, key, record.pk, limit=1, requester=requester
            ):
                raise ValidationError(
                    {
                        "process": [
                            _("Step %(n)s: no one in the role may see this record.")
                            % {"n": position}
                        ]
                    }
                )
        if row.approver is not None and not can_see_record(row.approver, key, record.pk):
            raise ValidationError(
                {
                    "process": [
                        _("Step %(n)s: %(user)s may not see this record.")
                        % {"n": position, "user": row.approver}
                    ]
                }
            )
        rows.append(row)
    return rows


@transaction.atomic
def approval_start(*, process_id: int, record, actor, source: str = "") -> ApprovalRequest:
    """Ask for approval of ``record`` through a process; the record is locked until decided.

    ``actor`` is the person asking (None when automation starts it: the record's owner is then
    the requester). The actor must see the record and be allowed to change it.
    """
    if record is None or not registry.has_model(record):
        raise ValidationError({"link_id": [_("Choose the record this is about.")]})
    entity = registry.for_model(record)
    key = entity.key
    process = _process(process_id, key)
    if actor is not None:
        if not can_see_record(actor, key, record.pk):
            raise ValidationError({"link_id": [_("No such record, or you may not see it.")]})
        if not can(actor, key, "change"):
            raise ApprovalForbidden(_("You may not ask for approval of records you cannot change."))
    # Lock the record's row: an edit in flight ends first, and none starts until we commit.
    record = entity.model._base_manager.select_for_update().get(pk=record.pk)
    if ApprovalRequest.objects.filter(
        link_type=key, link_id=record.pk, status=Status.PENDING
    ).exists():
        raise ValidationError({"__all__": [_("This record is already waiting for approval.")]})
    requester = _requester(record, actor)
    rows = _steps_for(process, requester, key, record)
    request = ApprovalRequest.objects.create(
        process=process,
        link_type=key,
        link_id=record.pk,
        record_repr=str(record)[:300],
        requester=requester,
        source=clean_text(source or "")[:100],
    )
    for row in rows:
        row.request = request
        row.active = process.mode == ApprovalProcess.Mode.PARALLEL or row.position == 1
    ApprovalDecision.objects.bulk_create(rows)
    write_audit(
        request,
        actor=actor,
        action=AuditEntry.Action.CREATE,
        changes={"process": [None, process], "record_repr": [None, request.record_repr]},
    )
    notices.ask_approvers(request, [row for row in rows if row.active], record)
    return request


# --- deciding -----------------------------------------------------------------------------------


def _lock(request: ApprovalRequest, expected_version) -> ApprovalRequest:
    # Lock the request: two approvers deciding at once must not both move the round on.
    locked = (
        ApprovalRequest.objects.select_for_update().select_related("process").get(pk=request.pk)
    )
    if expected_version is not None:
        try:
            expected = int(expected_version)
        except (TypeError, ValueError):
            raise ValidationError({"version": [_("Enter a whole number.")]}) from None
        if expected != locked.version:
            raise ConflictError(locked.version)
    return locked


def _comment(comment) -> str:
    if comment is None:
        return ""
    if not isinstance(comment, str):
        raise ValidationError({"comment": [_("Enter text.")]})
    comment = clean_text(comment)
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {"comment": [_("At most %(max)s characters.") % {"max": COMMENT_MAX}]}
        )
    return comment


def _check_pending(request: ApprovalRequest) -> None:
    if not request.is_pending:
        raise ValidationError(
            {
                "__all__": [
                    _("This approval is no longer waiting (%(status)s).")
                    % {"status": request.get_status_display()}
                ]
            }
        )


def _finish(request: ApprovalRequest, status: str, actor, now) -> None:
    """End the round: close its open steps, tell the requester, fire the outcome's event."""
    request.status = status
    request.finished_at = now
    request.finished_by = actor if getattr(actor, "pk", None) else None
    request.decisions.filter(active=True).update(active=False)
    if status in (Status.APPROVED, Status.REJECTED):
        events.emit(
            events.Event(
                name=APPROVED if status == Status.APPROVED else REJECTED,
                entity=request.link_type,
                object_id=request.link_id,
                actor_id=getattr(actor, "pk", None),
                changes={
                    "process": request.process_id,
                    "approval_request": request.pk,
                    "status": status,
                },
            )
        )
        notices.tell_requester(request)


@transaction.atomic
def approval_decide(
    request: ApprovalRequest, *, actor, decision: str, comment: str = "", expected_version=None
) -> ApprovalRequest:
    """Approve or reject the actor's step of ``request``. A rejection ends the round; an
    approval moves an ordered round to its next step, and the last one approves the request.
    Only an approver of a step waiting now may decide (ApprovalForbidden otherwise)."""
    locked = _lock(request, expected_version)
    if decision not in (ApprovalDecision.Decision.APPROVE, ApprovalDecision.Decision.REJECT):
        raise ValidationError({"decision": [_('Choose "approve" or "reject".')]})
    comment = _comment(comment)
    _check_pending(locked)
    step = decidable_step(locked, actor)
    if step is None:
        raise ApprovalForbidden(_("You are not an approver of the step waiting for a decision."))
    now = timezone.now()
    step.decision, step.comment = decision, comment
    step.decided_by, step.decided_at, step.active = actor, now, False
    step.save(update_fields=["decision", "comment", "decided_by", "decided_at", "active"])
    if decision == ApprovalDecision.Decision.REJECT:
        _finish(locked, Status.REJECTED, actor, now)
    else:
        waiting = list(locked.decisions.filter(decision="").order_by("position"))
        if not waiting:
            _finish(locked, Status.APPROVED, actor, now)
        elif locked.process.mode == ApprovalProcess.Mode.ORDERED and not any(
            row.active for row in waiting
        ):
            following = waiting[0]
            following.active = True
            following.save(update_fields=["active"])
            notices.ask_approvers(locked, [following], None)
    locked.version += 1
    locked.save(update_fields=["status", "finished_at", "finished_by", "version"])
    write_audit(
        locked,
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        changes={
            STEP: [None, step.position],
            DECISION: [None, step.decision],
            COMMENT: [None, comment or None],
            "status": [None, locked.status],
        },
    )
    return locked


@transaction.atomic
def approval_cancel(
    request: ApprovalRequest, *, actor, comment: str = "", expected_version=None
) -> ApprovalRequest:
    """Withdraw a pending request (its requester or an administrator); the record unlocks."""
    locked = _lock(request, expected_version)
    comment = _comment(comment)
    _check_pending(locked)
    if not (is_admin(actor) or (actor is not None and locked.requester_id == actor.pk)):
        raise ApprovalForbidden(_("Only the requester or an administrator may cancel it."))
    _finish(locked, Status.CANCELLED, actor, timezone.now())
    locked.version += 1
    locked.save(update_fields=["status", "finished_at", "finished_by", "version"])
    write_audit(
        locked,
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        changes={"status": [Status.PENDING, Status.CANCELLED], COMMENT: [None, comment or None]},
    )
    return locked


# --- the email link ---------------------------------------------------------------------------


@transaction.atomic
def approval_link_open(token: str, *, actor) -> ApprovalRequest:
    """Use an emailed link once: the request it opens, for the approver it was sent to.

    Expired, tampered, used and someone else's links raise ValidationError / ApprovalForbidden.
    """
    try:
        nonce = signing.TimestampSigner(salt=notices.LINK_SALT).unsign(
            token, max_age=notices.link_max_age()
        )
    except signing.SignatureExpired:
        raise ValidationError(
            _("This link has expired. Open the request from “Waiting for my approval”.")
        ) from None
    except signing.BadSignature:
        raise ValidationError(_("This link is not valid.")) from None
    # Lock the link: two clicks at once must not both use it.
    link = (
        ApprovalLink.objects.select_for_update().filter(nonce=nonce).select_related("request")
    ).first()
    if link is None:
        raise ValidationError(_("This link is not valid."))
    if actor is None or link.user_id != actor.pk:
        raise ApprovalForbidden(_("This link was sent to someone else."))
    if link.used_at is not None:
        raise ValidationError(
            _("This link was already used. Open the request from “Waiting for my approval”.")
        )
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link.request
