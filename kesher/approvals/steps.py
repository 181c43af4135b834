"""A process's approvers: validated when an administrator writes them, described for pages, and
turned into people when a request starts (REQ AU-3)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kesher.approvals.models import ApprovalDecision
from kesher.org.models import Role, User
from kesher.platform import jsonlimits

__all__ = ["MAX_STEPS", "clean_steps", "describe_steps", "manager_of"]

MAX_STEPS = 10
Approver = ApprovalDecision.Approver


def _step_error(number: int, message: str) -> ValidationError:
    return ValidationError(
        {"steps": [_("Step %(number)s: %(problem)s") % {"number": number, "problem": message}]}
    )


def clean_steps(value) -> list[dict]:
    """The steps in their stored form, or ValidationError under ``steps`` naming the step."""
    if isinstance(value, str):
        # Written as JSON text (the form's text box, a client that sends text): read it.
        try:
            value = jsonlimits.loads(value)
        except ValueError:
            raise ValidationError({"steps": [_("Enter valid JSON.")]}) from None
    if not isinstance(value, list) or not value:
        raise ValidationError({"steps": [_("List at least one approver.")]})
    if len(value) > MAX_STEPS:
        raise ValidationError({"steps": [_("At most %(count)s approvers.") % {"count": MAX_STEPS}]})
    steps = []
    for number, step in enumerate(value, start=1):
        kind = step.get("approver") if isinstance(step, dict) else None
        if kind == Approver.USER:
            user_id = step.get("user")
            if not isinstance(user_id, int) or isinstance(user_id, bool):
                raise _step_error(number, _("choose the approving user by id."))
            if not User.objects.filter(pk=user_id, is_active=True).exists():
                raise _step_error(number, _("no such active user."))
            steps.append({"approver": kind, "user": user_id})
        elif kind == Approver.ROLE:
            role_key = step.get("role")
            if not isinstance(role_key, str) or not Role.objects.filter(key=role_key).exists():
                raise _step_error(number, _("choose a role by its key."))
            steps.append({"approver": kind, "role": role_key})
        elif kind == Approver.MANAGER:
            steps.append({"approver": kind})
        else:
            raise _step_error(number, _('"approver" must be "user", "role" or "manager".'))
    return steps


def describe_steps(steps: list[dict]) -> list[str]:
    """Each step as a sentence for pages (two queries whatever the number of steps)."""
    user_ids = [s["user"] for s in steps if s.get("approver") == Approver.USER]
    role_keys = [s["role"] for s in steps if s.get("approver") == Approver.ROLE]
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    roles = {r.key: r for r in Role.objects.filter(key__in=role_keys)} if role_keys else {}
    described = []
    for step in steps:
        kind = step.get("approver")
        if kind == Approver.USER:
            described.append(str(users.get(step["user"], "?")))
        elif kind == Approver.ROLE:
            role = roles.get(step["role"], step["role"])
            described.append(_("Anyone in the role %(role)s") % {"role": role})
        else:
            described.append(str(Approver.MANAGER.label))
    return described


def manager_of(user) -> User | None:
    """The manager of ``user``'s department, or of the nearest department above it that has
    one other than ``user`` (a department's manager answers to the one above)."""
    department = user.department if user is not None else None
    while department is not None:
        manager = department.manager
        if manager is not None and manager.pk != user.pk and manager.is_active:
            return manager
        department = department.parent
    return None
