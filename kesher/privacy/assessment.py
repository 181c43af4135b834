"""The security self-assessment of the Data Security Regulations 2017 (issue 25 item 4): the
level the database's facts give (First Schedule, as summarized in the admin guide's data
protection page), and the measures that level asks for — each met by the assessor's answer or
by what Kesher itself knows (the access log is on, serious incidents were reported).

The thresholds live on each assessment (data); the list of measures is the regulations' text."""

from __future__ import annotations

import datetime
from calendar import monthrange
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kesher.customers.models import Contact
from kesher.org.models import User
from kesher.platform.records.services import record_create, record_update
from kesher.privacy.models import SecurityAssessment, SecurityIncident, SecurityLevel, Severity

__all__ = [
    "Requirement",
    "assessment_create",
    "assessment_update",
    "level_of",
    "requirements",
]

# The definitions document is reviewed at least once a year (§2(c)).
REVIEW_MONTHS = 12
ORDER = {SecurityLevel.BASIC: 0, SecurityLevel.MEDIUM: 1, SecurityLevel.HIGH: 2}


def level_of(assessment: SecurityAssessment) -> str:
    """The level the facts give: medium for a public body, a database whose purpose is passing
    data to others, or one with sensitive data; high for the last two when they hold at least
    ``people_threshold`` people or more than ``users_threshold`` authorized users."""
    passes_or_sensitive = assessment.passes_to_others or assessment.sensitive_data
    large = (assessment.people or 0) >= assessment.people_threshold or (
        assessment.authorized_users or 0
    ) > assessment.users_threshold
    if passes_or_sensitive and large:
        return SecurityLevel.HIGH
    if passes_or_sensitive or assessment.public_body:
        return SecurityLevel.MEDIUM
    return SecurityLevel.BASIC


def _derive(assessment: SecurityAssessment, old: dict) -> list[str]:
    """The level from the facts, written with the row (the columns ``record_update`` adds)."""
    assessment.level = level_of(assessment)
    return ["level"]


def _add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, or that month's last."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return day.replace(year=year, month=month, day=min(day.day, monthrange(year, month)[1]))


def assessment_create(*, actor, data: dict, m2m: dict | None = None) -> SecurityAssessment:
    """Record a self-assessment: blank counts are counted (contacts, active users), a blank
    next review is a year on, and the level follows from the facts."""
    data = dict(data)
    if data.get("people") in (None, ""):
        data["people"] = Contact.objects.count()
    if data.get("authorized_users") in (None, ""):
        data["authorized_users"] = User.objects.filter(is_active=True).count()
    assessed = data.get("assessed_on")
    if not assessed:
        assessed = data["assessed_on"] = timezone.localdate()
    if not data.get("next_review_on") and isinstance(assessed, datetime.date):
        data["next_review_on"] = _add_months(assessed, REVIEW_MONTHS)
    return record_create("security-assessments", actor=actor, data=data, m2m=m2m, derive=_derive)


def assessment_update(
    assessment: SecurityAssessment, *, actor, data: dict, m2m=None, expected_version=None
) -> SecurityAssessment:
    """Change an assessment; its level follows its facts again, in the same write."""
    return record_update(
        assessment,
        actor=actor,
        data=data,
        m2m=m2m,
        expected_version=expected_version,
        derive=_derive,
    )


@dataclass(frozen=True)
class Requirement:
    """One measure the assessment's level asks for: the regulation, what it asks, whether it
    is met, and how that is known (the assessor's answer, or Kesher's own state)."""

    regulation: str
    text: str
    met: bool
    known_by: str  # "answer" or "kesher"
    field: str = ""


# (regulation, the assessment's field, from which level)
ANSWERED = (
    ("§2", "definitions_document", SecurityLevel.BASIC),
    ("§4", "security_procedure", SecurityLevel.BASIC),
    ("§8", "authorizations_reviewed", SecurityLevel.BASIC),
    ("§10", "log_reviewed", SecurityLevel.MEDIUM),
    ("§18", "backups_checked", SecurityLevel.BASIC),
    ("§16", "audit_done", SecurityLevel.MEDIUM),
    ("§5", "risk_survey_done", SecurityLevel.HIGH),
)


def requirements(assessment: SecurityAssessment) -> list[Requirement]:
    """What the assessment's level asks, in the regulations' order, met or not; one query
    (are there serious incidents not reported?) whatever the level."""
    rank = ORDER[SecurityLevel(assessment.level)]
    found = []
    for regulation, name, since in ANSWERED:
        if ORDER[since] <= rank:
            label = SecurityAssessment._meta.get_field(name).verbose_name
            found.append(
                Requirement(regulation, str(label), bool(getattr(assessment, name)), "answer", name)
            )
    if rank >= ORDER[SecurityLevel.MEDIUM]:
        found.append(
            Requirement(
                "§10",
                str(_("Kesher keeps the automatic access log")),
                bool(settings.KESHER_ACCESS_LOG),
                "kesher",
            )
        )
    unreported = SecurityIncident.objects.filter(severity=Severity.SERIOUS, reported=False)
    found.append(
        Requirement(
            "§11",
            str(_("Every serious security incident in the register was reported to the Authority")),
            not unreported.exists(),
            "kesher",
        )
    )
    found.sort(key=lambda r: (int(r.regulation.strip("§")), r.known_by))
    return found
