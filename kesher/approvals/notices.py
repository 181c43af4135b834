"""Telling people about approvals: approvers get a notification and an email with a signed,
expiring, one-time link to the decision page; the requester hears the outcome (REQ AU-3).

Notifications go through activities' notification centre; the emails leave after commit, so a
rolled-back start sends nothing.
"""

from __future__ import annotations

import datetime
import logging
import secrets

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.messages import in_languages, register_message
from kesher.activities.models import Notification
from kesher.activities.services import notify
from kesher.approvals.models import ApprovalLink, ApprovalRequest
from kesher.approvals.selectors import role_deciders
from kesher.platform.registry import registry

__all__ = ["LINK_SALT", "ask_approvers", "link_max_age", "link_token", "tell_requester"]

logger = logging.getLogger("kesher.approvals")

LINK_SALT = "kesher.approvals.link"
# A role step is announced to this many of its members at most (all may still decide).
ROLE_NOTIFY_MAX = 50

# The notifications, put into words for their reader (the process's name in his language).
WAITING = register_message(
    "approvals.waiting", gettext_lazy("Waiting for your approval: %(process)s · %(record)s")
)
APPROVED = register_message(
    "approvals.approved", gettext_lazy("Approved: %(process)s · %(record)s")
)
REJECTED = register_message(
    "approvals.rejected", gettext_lazy("Rejected: %(process)s · %(record)s")
)


def _params(request: ApprovalRequest) -> dict:
    return {"process": in_languages(request.process, "name"), "record": request.record_repr}


def link_max_age() -> datetime.timedelta:
    return datetime.timedelta(days=getattr(settings, "KESHER_APPROVAL_LINK_DAYS", 7))


def link_token(nonce: str) -> str:
    """The signed token of an email link; it holds only the link row's random nonce."""
    return signing.TimestampSigner(salt=LINK_SALT).sign(nonce)


def _record(request: ApprovalRequest):
    return registry.get(request.link_type).model._base_manager.filter(pk=request.link_id).first()


def _email(user, request: ApprovalRequest, token: str) -> None:
    url = settings.KESHER_BASE_URL.rstrip("/") + reverse("approvals_link", args=[token])
    with translation.override(user.language or "he"):
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _(
            "Waiting for your approval: %(request)s"
        ) % {"request": request}
        body = _(
            "%(requester)s asks for your approval: %(process)s — %(record)s.\n\n"
            "Approve or reject it here (the link works once, for %(days)s days):\n%(url)s"
        ) % {
            "requester": request.requester or _("Kesher"),
            "process": request.process,
            "record": request.record_repr,
            "days": link_max_age().days,
            "url": url,
        }
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:
        # The approver still has the notification and the waiting list; never block the save.
        logger.exception("approval %s: email to user %s failed", request.pk, user.pk)


def ask_approvers(request: ApprovalRequest, steps: list, record) -> None:
    """Notify the people of ``steps`` (now waiting) and email each a one-time link."""
    record = record if record is not None else _record(request)
    for step in steps:
        if step.approver is not None:
            people = [step.approver]
        else:
            people = role_deciders(
                step.role,
                request.link_type,
                request.link_id,
                ROLE_NOTIFY_MAX,
                requester=request.requester,
            )
        for person in people:
            notify(
                person,
                verb=Notification.Verb.ASSIGNED,
                message=WAITING,
                params=_params(request),
                record=record,
            )
            if not person.email:
                continue
            link = ApprovalLink.objects.create(
                request=request, user=person, nonce=secrets.token_hex(16)
            )
            token = link_token(link.nonce)
            transaction.on_commit(lambda person=person, token=token: _email(person, request, token))


def tell_requester(request: ApprovalRequest) -> None:
    """The requester's notification of the outcome."""
    requester = request.requester
    if requester is None:
        return
    approved = request.status == ApprovalRequest.Status.APPROVED
    notify(
        requester,
        verb=Notification.Verb.DONE,
        message=APPROVED if approved else REJECTED,
        params=_params(request),
        record=_record(request),
    )
