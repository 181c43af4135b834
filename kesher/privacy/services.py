"""Every write of the privacy app (issue 25): data-subject requests and the erasure of a
person's data. The access log is written by its middleware (``kesher.privacy.accesslog``)."""

from __future__ import annotations

import datetime
import re

import phonenumbers
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.customers.models import Contact
from kesher.operations.backups import held_until
from kesher.platform.models import AuditEntry, KesherModel
from kesher.platform.records import audit, search
from kesher.platform.records.services import record_create, write_audit
from kesher.privacy.models import ANSWER_DAYS, RequestKind, RequestStatus, SubjectRequest
from kesher.privacy.selectors import subject_data
from kesher.sales.models import Lead

__all__ = [
    "erased_contact",
    "personal_values",
    "replacement_word",
    "request_anonymize",
    "request_answered",
    "request_create",
    "scrub",
    "text_fields",
    "write_straight",
]

ANONYMIZED = audit.register_fact("privacy.anonymized", gettext_lazy("personal data anonymized"))
KEPT = audit.register_fact("privacy.kept_by_law", gettext_lazy("kept by law, anonymized around"))
# Shorter values (initials) would blank out unrelated words in the records around the person.
SHORTEST_VALUE = 2
# What may stand between a phone's digits as people write them.
SEPARATOR = r"[\s\-.()]*"
NATIONAL = phonenumbers.PhoneNumberFormat.NATIONAL
INTERNATIONAL = phonenumbers.PhoneNumberFormat.INTERNATIONAL


def request_create(*, actor, data: dict, m2m: dict | None = None) -> SubjectRequest:
    """Record a person's request; it is due 30 days after its receipt unless a date is given."""
    data = dict(data)
    received = data.get("received_on") or timezone.localdate()
    data["received_on"] = received
    if not data.get("due_on") and isinstance(received, datetime.date):
        data["due_on"] = received + datetime.timedelta(days=ANSWER_DAYS)
    return record_create("privacy-requests", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def request_answered(request: SubjectRequest, *, actor) -> SubjectRequest:
    """Mark an open request answered (its data was handed over or corrected), once."""
    # Locked: two officers answering at once must not both write the answer.
    locked = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != RequestStatus.OPEN:
        return locked
    now = timezone.now()
    SubjectRequest.objects.filter(pk=locked.pk).update(
        status=RequestStatus.ANSWERED, answered_at=now, version=F("version") + 1
    )
    write_audit(
        locked, actor=actor, action="update", changes={"status": [locked.status, "answered"]}
    )
    locked.refresh_from_db()
    return locked


def personal_values(*people) -> list[str]:
    """The texts that identify the person wherever they were written — from his contact and
    his leads (``people``): names, e-mail, ID number and text custom values; longest first, so
    a full name is replaced before its parts. Phones are matched by their digits
    (``phone_patterns``)."""
    values: set[str] = set()
    for person in people:
        values.update({person.first_name, person.last_name, person.email})
        values.add(f"{person.first_name} {person.last_name}".strip())
        values.add(getattr(person, "israeli_id", ""))
        values.update(
            v for v in (getattr(person, "custom", None) or {}).values() if isinstance(v, str)
        )
    kept = {v.strip() for v in values if v and len(v.strip()) >= SHORTEST_VALUE}
    return sorted(kept, key=lambda v: (-len(v), v))


def phone_patterns(*people) -> list[str]:
    """Each phone of the person as written in any way: "+972 50-123 4567", "050-1234567",
    "0501234567" — its digits, national or international, with any separators between them."""
    patterns = []
    for phone in {p for person in people for p in (person.phone, person.mobile)}:
        if not phone:
            continue
        try:
            number = phonenumbers.parse(phone, "IL")
        except phonenumbers.NumberParseException:
            continue
        national = re.sub(r"\D", "", phonenumbers.format_number(number, NATIONAL))
        international = re.sub(r"\D", "", phonenumbers.format_number(number, INTERNATIONAL))
        for digits in (international, national):
            patterns.append(r"\+?" + SEPARATOR.join(digits))
    return patterns


def _texts(value) -> set[str]:
    """Every text in ``value`` (a text, or JSON made of texts) long enough to replace."""
    if isinstance(value, str):
        return {value.strip()} if len(value.strip()) >= SHORTEST_VALUE else set()
    if isinstance(value, list | dict):
        items = value.values() if isinstance(value, dict) else value
        return set().union(*(_texts(item) for item in items))
    return set()


def _pattern(*people, also: set[str] | None = None) -> re.Pattern | None:
    """``also``: more of his texts (what he typed into a web form, his address)."""
    values = set(personal_values(*people)) | (also or set())
    values = sorted(values, key=lambda v: (-len(v), v))
    parts = [re.escape(v) for v in values] + sorted(phone_patterns(*people))
    if not parts:
        return None
    return re.compile("|".join(parts), re.IGNORECASE)


def scrub(value, pattern: re.Pattern | None, replacement: str):
    """``value`` (a text, or JSON made of texts) with every personal value replaced."""
    if pattern is None:
        return value
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, list):
        return [scrub(item, pattern, replacement) for item in value]
    if isinstance(value, dict):
        return {k: scrub(v, pattern, replacement) for k, v in value.items()}
    return value


def replacement_word() -> str:
    # Stored, so in the organization's language, whoever reads it later.
    with translation.override(settings.LANGUAGE_CODE):
        return _("anonymized")


def text_fields(model) -> list[models.Field]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
        and not f.choices
        and not f.primary_key
    ]


def erased_contact(contact: Contact | Lead, word: str) -> dict:
    """The person's own record — his contact, or a lead of his — emptied of everything
    personal; returns the columns written."""
    model = type(contact)
    values: dict = {}
    for f in text_fields(model):
        if f.name == "first_name":
            values[f.name] = word
        elif f.blank:
            values[f.name] = ""
    for f in model._meta.concrete_fields:
        if type(f) is models.DateField and f.null and f.editable:
            values[f.name] = None
    if any(f.name == "custom" for f in model._meta.concrete_fields):
        values["custom"] = {}
    return values


def _blanked(value, word: str):
    """``value`` with every text replaced by ``word`` (JSON: every text in it)."""
    if isinstance(value, str):
        return word if value else value
    if isinstance(value, list):
        return [_blanked(item, word) for item in value]
    if isinstance(value, dict):
        return {k: _blanked(v, word) for k, v in value.items()}
    return value


def _scrubbed_values(
    record, pattern, word: str, keep: tuple[str, ...], erase: tuple[str, ...] = ()
) -> dict:
    """The columns of ``record`` whose texts (custom values and other JSON included) named the
    person, with the names replaced; ``keep``: the columns the law keeps as they are;
    ``erase``: the columns wholly his (``Entity.erased_fields``), blanked."""
    changed = {}
    model = type(record)
    json_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
    for f in [*text_fields(model), *json_fields]:
        if f.name in keep or f.name in erase:
            continue
        old = getattr(record, f.attname)
        new = scrub(old, pattern, word)
        if new != old:
            changed[f.attname] = new
    for name in erase:
        if name in keep:
            continue
        f = model._meta.get_field(name)
        old = getattr(record, f.attname)
        blank = None if f.null else ""
        new = _blanked(old, word) if isinstance(f, models.JSONField) else blank
        if new != old:
            changed[f.attname] = new
    return changed


def write_straight(record, values: dict) -> None:
    if isinstance(record, KesherModel):
        values = {**values, "version": F("version") + 1, "updated_at": timezone.now()}
    type(record)._base_manager.filter(pk=record.pk).update(**values)


@transaction.atomic
def request_anonymize(request: SubjectRequest, *, actor) -> SubjectRequest:
    """Erase the person of ``request`` (REQ OR-8; Privacy Protection Law §14, Amendment 13):
    his record is emptied, and his names, e-mail, phones and ID number are replaced wherever
    they were written — in the records linked to him, their audit trail's old and new values,
    the search index and the notifications. A record the law keeps (``Entity.retained_by_law``:
    an issued tax document) keeps its ``retained_fields`` and is marked as kept.

    Writes straight to the rows, with an audit entry that says only that it was done: the
    usual write path would copy the old values into the trail. No automation event is sent."""
    # Locked: a second click must not run the erasure twice nor on a refused request.
    locked = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if locked.kind != RequestKind.DELETION:
        raise ValidationError(_("Only a request to delete the data anonymizes the person."))
    if locked.status in (RequestStatus.ANONYMIZED, RequestStatus.REFUSED):
        raise ValidationError(_("This request is closed."))
    if locked.contact_id is None and locked.lead_id is None:
        raise ValidationError(_("The person is no longer in Kesher."))
    contact = (
        Contact.objects.select_for_update().get(pk=locked.contact_id) if locked.contact_id else None
    )
    data = subject_data(contact, lead=locked.lead)
    word = replacement_word()
    # His values as his contact and every lead of his hold them (a web form's typing may
    # differ from the contact's).
    # What he typed into a web form and the address he sent it from, wherever else it was
    # written (a consent's proof names the address).
    typed: set[str] = set()
    for group, record in data.records():
        for name in group.entity.erased_fields if group.entity else ():
            typed |= _texts(getattr(record, group.model._meta.get_field(name).attname))
    pattern = _pattern(*([data.contact] if data.contact else []), *data.leads, also=typed)

    touched: dict[type, list[int]] = {}
    for own in [*([data.contact] if data.contact else []), *data.leads]:
        write_straight(own, erased_contact(own, word))
        write_audit(own, actor=actor, action="update", changes={ANONYMIZED: [None, locked.pk]})
        touched.setdefault(type(own), []).append(own.pk)
    leads = {lead.pk for lead in data.leads}
    counts: dict[str, int] = {"leads": len(leads)} if leads else {}
    kept: list[dict] = []
    for group, record in data.records():
        entity = group.entity
        if group.model is Lead and record.pk in leads:
            continue  # erased whole above
        keep: tuple[str, ...] = ()
        if entity and entity.retained_by_law and entity.retained_by_law(record):
            keep = entity.retained_fields
            kept.append({"entity": group.key, "id": record.pk, "fields": list(keep)})
        erase = entity.erased_fields if entity else ()
        values = _scrubbed_values(record, pattern, word, keep, erase)
        if values:
            write_straight(record, values)
            counts[group.key] = counts.get(group.key, 0) + 1
        if entity is not None:
            touched.setdefault(group.model, []).append(record.pk)
            if keep:
                write_audit(record, actor=actor, action="update", changes={KEPT: [None, locked.pk]})
    _scrub_history(touched, pattern, word)
    _reindex(touched)

    # The backups made before keep his data until they age out by their retention.
    now = timezone.now()
    until = held_until(now)
    outcome = {
        "anonymized": counts,
        "kept": kept,
        "backups_until": until.isoformat() if until else None,
    }
    SubjectRequest.objects.filter(pk=locked.pk).update(
        status=RequestStatus.ANONYMIZED,
        answered_at=now,
        outcome=outcome,
        version=F("version") + 1,
    )
    write_audit(
        locked, actor=actor, action="update", changes={"status": [locked.status, "anonymized"]}
    )
    locked.refresh_from_db()
    return locked


def _scrub_history(touched: dict[type, list[int]], pattern, word: str) -> None:
    """The audit trail of every touched record without the person's values: old and new."""
    condition = Q()
    for model, ids in touched.items():
        condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
    for entry in AuditEntry.objects.filter(condition).only("pk", "changes", "object_repr"):
        changes = scrub(entry.changes, pattern, word)
        title = scrub(entry.object_repr, pattern, word)
        if changes != entry.changes or title != entry.object_repr:
            AuditEntry.objects.filter(pk=entry.pk).update(changes=changes, object_repr=title)


def _reindex(touched: dict[type, list[int]]) -> None:
    """Search tokens made again from the records as they now are."""
    from kesher.platform.registry import registry

    for model, ids in touched.items():
        entity = registry.for_model(model)
        for record in entity.queryset().filter(pk__in=ids):
            search.index_record(record, entity)
