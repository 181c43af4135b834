"""One row of a file → one record, through the entity's own services (REQ IM-1, IM-2).

Every row is written by the entity's ``create_service``/``update_service`` — the same
validation (``full_clean``, custom fields, field rules, the service's own checks), audit,
search index and events as a record typed into the UI. The dry run runs exactly this code
inside a savepoint that is rolled back, so "valid in the dry run" and "written by the import"
can never disagree (decision 0020).
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from kesher.imports import archive, lookup
from kesher.imports.mapping import (
    ABOUT,
    ATTACHMENT,
    ATTACHMENT_TITLE,
    EXTERNAL_ID,
    MISSING_CHOICES,
    MISSING_REPORT,
    RENAMED,
    Target,
    parse_bool,
    parse_date,
    parse_datetime,
    resolve_choice,
    targets_for,
)
from kesher.imports.models import ExternalId, ImportJob, ImportRowChange
from kesher.platform.bulk.writes import audit_rows, link_row_defaults
from kesher.platform.customfields.types import type_of
from kesher.platform.customfields.values import clean_value
from kesher.platform.models import AuditEntry
from kesher.platform.records import audit
from kesher.platform.records.attachments import attachment_add
from kesher.platform.records.services import clean_text, record_create, record_update
from kesher.platform.registry import Entity, registry

__all__ = ["Plan", "RowError", "plan_for", "process_row"]

Mode = ImportJob.Mode
MAX_CELL = 10_000
# The ``entity`` of an undo record for a file stored from the zip.
ATTACHMENT_ENTITY = "attachments"


class RowError(Exception):
    """A row that cannot be written: ``problems`` are (column, message, value)."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems
        super().__init__("; ".join(p[1] for p in problems))


@dataclass
class Column:
    index: int
    header: str
    target: Target
    values: dict = field(default_factory=dict)
    # A link column's values naming no record: "report" (bad rows), "create" or "leave".
    missing: str = MISSING_REPORT


@dataclass
class Plan:
    """A job's mapping, checked and ready to apply to rows."""

    job: ImportJob
    entity: Entity
    actor: object
    columns: list[Column]
    mode: str
    match: str
    source: str
    skip_invalid: bool
    date_order: str = "dmy"
    cache: dict = field(default_factory=dict)
    seen: dict = field(default_factory=dict)  # match value → first row, duplicates in the file
    # A dry run checks each row's attachment but stores none: files outlive a rollback.
    dry_run: bool = False
    archive: object = None  # the job's zip, opened on first use
    stored: list = field(default_factory=list)  # files stored by the batch in flight
    # Link columns' values naming no record the importer may see: column index → values.
    missing: dict = field(default_factory=dict)
    # Rows repeating a phone or e-mail (of the file or of a record) are skipped (decision 0048).
    skip_duplicates: bool = True
    contact_keys: dict = field(default_factory=dict)  # kind → {key → first row of the file}

    def column_for(self, key: str) -> str:
        key = key.replace("custom_fields.", "custom.")
        for column in self.columns:
            if column.target.key == key or (
                key in ("link_type", "link_id") and column.target.kind == "about"
            ):
                return column.header
        return ""


def plan_for(job: ImportJob, actor) -> Plan:
    """Check a job's mapping; a ValidationError names each problem (under ``mapping``)."""
    entity = registry.get(job.entity)
    targets = targets_for(entity, actor)
    mapping = job.mapping or {}
    columns, problems, used = [], [], set()
    for index, spec in sorted((mapping.get("columns") or {}).items(), key=lambda i: int(i[0])):
        key = (spec or {}).get("field") or ""
        if not key:
            continue
        key = RENAMED.get(key, key)
        index = int(index)
        header = job.headers[index] if 0 <= index < len(job.headers) else ""
        if not header:
            problems.append(_("Column %(n)s is not in the file.") % {"n": index + 1})
            continue
        target = targets.get(key)
        if target is None:
            problems.append(
                _("Column “%(column)s”: there is no field “%(field)s”.")
                % {"column": header, "field": key[:60]}
            )
            continue
        if key in used:
            problems.append(_("Two columns are mapped to “%(field)s”.") % {"field": target.label})
            continue
        used.add(key)
        values = spec.get("values") or {}
        if not isinstance(values, dict):
            values = {}
        missing = spec.get("missing") or MISSING_REPORT
        if not target.entity_key:
            # Only a link to an entity can miss a record; the wizard's choice stays with a
            # column whose field was changed, and means nothing for its new field.
            missing = MISSING_REPORT if missing in MISSING_CHOICES else missing
        if missing not in MISSING_CHOICES:
            problems.append(
                _("Column “%(column)s”: choose report, create or leave for missing records.")
                % {"column": header}
            )
            continue
        if missing == "create" and not lookup.creatable(actor, target):
            problems.append(
                _("Column “%(column)s”: you may not create the records it names.")
                % {"column": header}
            )
            continue
        columns.append(
            Column(index, header, target, {str(k): v for k, v in values.items()}, missing)
        )
    mode = job.mode
    match = mapping.get("match") or ""
    if mode == Mode.CREATE:
        for target in targets.values():
            if target.required and target.key not in used:
                problems.append(
                    _("The required field “%(field)s” has no column.") % {"field": target.label}
                )
    else:
        if match != EXTERNAL_ID and match not in entity.natural_keys:
            problems.append(_("Choose the field that finds existing records."))
        elif match not in used:
            problems.append(
                _("The field that finds existing records (“%(field)s”) has no column.")
                % {"field": targets[match].label if match in targets else match}
            )
    if len([c for c in columns if c.target.kind == "about"]) > 1:
        problems.append(_("Map one column only to the record a row is about."))
    if (ATTACHMENT in used or ATTACHMENT_TITLE in used) and not job.archive:
        problems.append(_("Upload the zip of attachments with the file to import attachments."))
    if ATTACHMENT_TITLE in used and ATTACHMENT not in used:
        problems.append(_("Map the column of file names in the zip too."))
    if not columns:
        problems.append(_("Map at least one column to a field."))
    if problems:
        raise ValidationError({"mapping": problems})
    source = str(mapping.get("source") or "import").strip()[:60] or "import"
    order = "mdy" if mapping.get("date_order") == "mdy" else "dmy"
    return Plan(
        job,
        entity,
        actor,
        columns,
        mode,
        match,
        source,
        bool(mapping.get("skip_invalid")),
        date_order=order,
        skip_duplicates=mapping.get("duplicates", "skip") != "import",
    )


# --- cells → values -----------------------------------------------------------------------------


def _convert(plan: Plan, column: Column, text: str):
    target = column.target
    kind = target.kind
    if len(text) > MAX_CELL:
        raise ValidationError(_("The value is too long."))
    if column.values and text in column.values and kind not in ("choice",):
        text = str(column.values[text])
    if kind == "boolean":
        value = parse_bool(text)
        return value
    if kind == "date":
        day = parse_date(text, plan.date_order)
        return day.isoformat() if target.definition is not None else day
    if kind == "datetime":
        return parse_datetime(text, plan.date_order)
    if kind == "choice":
        return resolve_choice(target, text, column.values, plan.cache)
    if kind == "user":
        return lookup.user_id(plan, text)
    if kind == "links":
        return lookup.linked_records(plan, column, text)
    if kind == "link":
        found = lookup.linked_records(plan, column, text)
        return found[0] if found else None
    if kind == "about":
        return lookup.about_record(plan, target, text)
    if kind == ATTACHMENT:
        return archive.member(plan, text)
    if kind == ATTACHMENT_TITLE:
        return clean_text(text)[:150]
    return _clean_cell(plan, target, text)


def _clean_cell(plan: Plan, target: Target, text: str):
    """A text-like cell checked (and normalized: phones to E.164) as the field itself checks
    it, so every bad cell of a row is reported at once; the service checks it again."""
    if target.definition is not None:
        if type_of(target.definition).links:
            return text
        return clean_value(target.definition, text, actor=plan.actor)
    model_field = target.model_field
    if model_field is None:
        return text
    text = clean_text(text)
    if text and _plain_text(model_field) and len(text) <= model_field.max_length:
        return text  # all a plain text field's clean() would check (issue 26: per-row cost)
    return model_field.clean(text, None)


@functools.cache
def _plain_text(model_field) -> bool:
    """A text field whose only check of a non-empty value is its length: no choices, no
    validators of its own, and no normalizing on the way (not a phone, an ID, an e-mail)."""
    return (
        type(model_field) in (models.CharField, models.TextField)
        and model_field.max_length is not None
        and not model_field.choices
        and not model_field._validators
    )


@dataclass
class RowValues:
    data: dict
    custom: dict
    external_id: str = ""
    links: dict = field(default_factory=dict)  # many-to-many field → records to link
    attachment: object = None  # the zip member (ZipInfo) the row attaches
    attachment_title: str = ""


def convert_row(plan: Plan, cells: list[str]) -> RowValues:
    """The row's cells as service ``data``; every bad cell is reported, not just the first."""
    values = RowValues({}, {})
    problems = []
    for column in plan.columns:
        text = cells[column.index].strip() if column.index < len(cells) else ""
        if not text:
            continue
        try:
            value = _convert(plan, column, text)
        except ValidationError as exc:
            problems.append((column.header, " ".join(exc.messages), text[:200]))
            continue
        key = column.target.key
        if key == EXTERNAL_ID:
            values.external_id = text[:200]
        elif column.target.kind == "links":
            if value:
                values.links[key] = value
        elif value is None and column.target.kind == "link":
            continue  # a missing record, left unlinked as the column says
        elif key.startswith(ABOUT):
            values.data["link_type"] = key.removeprefix(ABOUT).rsplit(".", 1)[0]
            values.data["link_id"] = value.pk
        elif key == ATTACHMENT:
            values.attachment = value
        elif key == ATTACHMENT_TITLE:
            values.attachment_title = value
        elif key.startswith("custom."):
            values.custom[key.removeprefix("custom.")] = value
        else:
            values.data[key] = value
    if problems:
        raise RowError(problems)
    return values


# --- finding the record a row updates -----------------------------------------------------------


def match_value(plan: Plan, values: RowValues):
    if plan.match == EXTERNAL_ID:
        return values.external_id or None
    value = values.data.get(plan.match)
    # convert_row cleaned it with its field: already the stored form (a phone in E.164).
    return None if value in (None, "") else value


def _existing(plan: Plan, values: RowValues, row: int):
    """The record this row updates, or None; a row matching several records is refused."""
    if plan.mode == Mode.CREATE:
        if (
            values.external_id
            and ExternalId.objects.filter(
                entity=plan.entity.key, source=plan.source, external_id=values.external_id
            ).exists()
        ):
            raise RowError(
                [
                    (
                        plan.column_for(EXTERNAL_ID),
                        _("A record with this external id was already imported."),
                        values.external_id,
                    )
                ]
            )
        return None
    wanted = match_value(plan, values)
    column = plan.column_for(plan.match)
    if wanted is None:
        if plan.mode == Mode.UPDATE:
            raise RowError([(column, _("Empty: this row cannot be matched."), "")])
        return None
    visible = plan.entity.model.objects.visible_to(plan.actor)
    if plan.match == EXTERNAL_ID:
        ids = list(
            ExternalId.objects.filter(
                entity=plan.entity.key, source=plan.source, external_id=wanted
            ).values_list("record_id", flat=True)
        )
        found = list(visible.filter(pk__in=ids)[:2]) if ids else []
    else:
        lookup = "iexact" if plan.match == "email" else "exact"
        found = list(visible.filter(**{f"{plan.match}__{lookup}": wanted})[:2])
    if len(found) > 1:
        raise RowError([(column, _("Several existing records match this value."), str(wanted))])
    if not found and plan.mode == Mode.UPDATE:
        raise RowError([(column, _("No existing record matches this value."), str(wanted))])
    return found[0] if found else None


def _only_files(plan: Plan) -> bool:
    """An update whose rows only attach files: a record may then have a row per file."""
    return plan.mode != Mode.CREATE and all(
        c.target.key in (plan.match, ATTACHMENT, ATTACHMENT_TITLE) for c in plan.columns
    )


def check_repeat(plan: Plan, values: RowValues, row: int) -> None:
    """The same external id (or match value) twice in one file would write one record twice."""
    key = values.external_id if plan.mode == Mode.CREATE else match_value(plan, values)
    if not key or _only_files(plan):
        return
    first = plan.seen.setdefault(str(key), row)
    if first != row:
        column = plan.column_for(EXTERNAL_ID if plan.mode == Mode.CREATE else plan.match)
        raise RowError(
            [(column, _("The same value appears in row %(row)s.") % {"row": first}, str(key))]
        )


# --- writing ------------------------------------------------------------------------------------


def _jsonable(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def errors_to_problems(plan: Plan, exc: ValidationError, values: RowValues) -> list:
    problems = []
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    for key, messages in errors.items():
        column = "" if key in ("__all__", "non_field_errors") else plan.column_for(key)
        if key not in ("__all__", "non_field_errors") and not column:
            # A field the file does not fill (a required one, or a rule on another field).
            label = key
            try:
                label = str(plan.entity.model._meta.get_field(key).verbose_name)
            except Exception:
                label = key.replace("custom_fields.", "")
            messages = [f"{label}: {m}" for m in messages]
        raw = values.data.get(key, values.custom.get(key.replace("custom_fields.", ""), ""))
        value = "" if hasattr(raw, "pk") else str(_jsonable(raw) or "")[:200]
        problems += [(column, str(m), value) for m in messages]
    return problems


def default_owner(entity: Entity, data: dict, actor) -> dict:
    """Imported records belong to the importer unless the file names an owner, so the
    importer's scope rules apply to them (REQ OR-3)."""
    name = entity.owner_field
    if not name or data.get(name) or not getattr(actor, "pk", None):
        return data
    try:
        model_field = entity.model._meta.get_field(name)
    except Exception:
        return data
    if model_field.many_to_one and model_field.related_model._meta.label_lower == "org.user":
        return {**data, name: actor}
    return data


def _linked_ids(plan: Plan, data: dict):
    meta = plan.entity.model._meta
    for name, value in data.items():
        if isinstance(value, int) and not isinstance(value, bool):
            model_field = meta.get_field(name)
            if model_field.many_to_one:
                yield name, model_field.related_model, value


def load_links(plan: Plan, rows: list[dict]) -> None:
    """Load, once a job, the records that rows' foreign keys name by id (owners, pick-list
    values): found by ``convert_row`` under the fields' own limits, they are handed to the
    services as records, which then need no query to validate them or show them in the audit
    entry."""
    wanted: dict = {}
    for data in rows:
        for _name, model, pk in _linked_ids(plan, data):
            if ("linked", model, pk) not in plan.cache:
                wanted.setdefault(model, set()).add(pk)
    for model, ids in wanted.items():
        found = model._base_manager.in_bulk(ids)
        for pk in ids:
            plan.cache[("linked", model, pk)] = found.get(pk)


def with_loaded_links(plan: Plan, data: dict) -> dict:
    """``data`` with its foreign keys given by id replaced by their records (``load_links``)."""
    load_links(plan, [data])
    result = dict(data)
    for name, model, pk in _linked_ids(plan, data):
        result[name] = plan.cache[("linked", model, pk)] or pk
    return result


_UNSET = object()


def process_row(
    plan: Plan, row: int, cells: list[str], values: RowValues | None = None, found=_UNSET
) -> str:
    """Write one row; return "created", "updated" or "unchanged"; raise RowError.

    ``values`` and ``found`` (the record the row updates, None to create) are given when the
    batch already converted the row and looked its record up (``bulk.find_existing``)."""
    if values is None:
        values = convert_row(plan, cells)
        check_repeat(plan, values, row)
    existing = _existing(plan, values, row) if found is _UNSET else found
    if isinstance(existing, RowError):
        raise existing
    entity, actor = plan.entity, plan.actor
    data = with_loaded_links(plan, values.data)
    if values.custom:
        data["custom"] = values.custom
    try:
        if existing is None:
            service = entity.create_service or (lambda **kw: record_create(entity, **kw))
            # The row record below says the import created it (timeline, undo): no audit entry.
            with audit.creations_recorded_elsewhere():
                record = service(actor=actor, data=default_owner(entity, data, actor))
            outcome = "created"
            ImportRowChange.objects.create(
                job=plan.job,
                row=row,
                entity=entity.key,
                record_id=record.pk,
                action=ImportRowChange.Action.CREATED,
            )
        else:
            before = {
                name: _jsonable(getattr(existing, existing._meta.get_field(name).attname))
                for name in values.data
            }
            if values.custom:
                old = dict(existing.custom or {})
                before["custom"] = {k: old.get(k) for k in values.custom}
            version = getattr(existing, "version", None)
            service = entity.update_service or record_update
            record = service(existing, actor=actor, data=data)
            if version is None:  # a model without a version (users): compare the values
                changed = any(
                    _jsonable(getattr(record, record._meta.get_field(name).attname)) != value
                    for name, value in before.items()
                    if name != "custom"
                )
            else:
                changed = getattr(record, "version", None) != version
            outcome = "updated" if changed else "unchanged"
            if outcome == "updated":
                ImportRowChange.objects.create(
                    job=plan.job,
                    row=row,
                    entity=entity.key,
                    record_id=record.pk,
                    action=ImportRowChange.Action.UPDATED,
                    before=before,
                )
        if values.links and add_links(plan, [(record, values.links)], new=existing is None):
            outcome = "updated" if outcome == "unchanged" else outcome
    except ValidationError as exc:
        raise RowError(errors_to_problems(plan, exc, values)) from None
    _remember_external_id(plan, record, values.external_id)
    if values.attachment is not None:
        # Last: nothing after it can fail and leave a stored file behind a rolled-back row.
        try:
            outcome = _attach(plan, row, record, values, outcome)
        except ValidationError as exc:
            raise RowError(errors_to_problems(plan, exc, values)) from None
    return outcome


def _attach(plan: Plan, row: int, record, values: RowValues, outcome: str) -> str:
    """Store the row's file from the zip on ``record`` through the attachment service; a file
    the record already has (same name and size) is not stored twice."""
    from django.contrib.contenttypes.models import ContentType

    from kesher.platform.models import Attachment
    from kesher.platform.records.attachments import safe_filename

    try:
        upload = archive.read_member(plan, values.attachment, values.attachment_title)
    except ValidationError as exc:
        raise ValidationError({ATTACHMENT: exc.messages}) from None
    same = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        name=safe_filename(upload.name),
        size=upload.size,
    )
    if plan.dry_run or same.exists():
        return outcome
    try:
        attachment = attachment_add(record, actor=plan.actor, uploaded=upload)
    except ValidationError as exc:
        raise ValidationError({ATTACHMENT: exc.messages}) from None
    plan.stored.append(attachment.file.name)
    ImportRowChange.objects.create(
        job=plan.job,
        row=row,
        entity=ATTACHMENT_ENTITY,
        record_id=attachment.pk,
        action=ImportRowChange.Action.CREATED,
    )
    return "updated" if outcome == "unchanged" else outcome


def add_links(plan: Plan, pairs: list[tuple], *, new: bool) -> set[int]:
    """Link each record of ``pairs`` (record, {many-to-many field: records}) to the records it
    is not linked to yet; return the ids of the records that got a link. Links are only added:
    those the record has — to records the importer may not see included — all stay (item 2 of
    issue 14). Per field: one read of the records' links (none for ``new`` records), one insert
    of link rows (the ``through`` model's other columns at their defaults: a contact's role at
    an account empty) and one of audit entries, as a bulk "add link" writes them."""
    meta = plan.entity.model._meta
    by_field: dict[str, list] = {}
    for record, links in pairs:
        for name, targets in links.items():
            if targets:
                by_field.setdefault(name, []).append((record, targets))
    changed: set[int] = set()
    audited: list[tuple] = []
    for name, records in by_field.items():
        model_field = meta.get_field(name)
        through = model_field.remote_field.through
        source, target = model_field.m2m_field_name(), model_field.m2m_reverse_field_name()
        has: dict[int, set] = {}
        if not new:
            rows = through._base_manager.filter(
                **{f"{source}_id__in": [record.pk for record, _t in records]}
            ).values_list(f"{source}_id", f"{target}_id")
            for record_id, target_id in rows:
                has.setdefault(record_id, set()).add(target_id)
        extra = {f.attname: value for f, value in (link_row_defaults(model_field) or {}).items()}
        new_rows = []
        for record, targets in records:
            before = has.get(record.pk, set())
            added = [t.pk for t in targets if t.pk not in before]
            if not added:
                continue
            new_rows += [
                through(**{f"{source}_id": record.pk, f"{target}_id": pk, **extra}) for pk in added
            ]
            related = model_field.related_model
            stored = [audit.refs(related, before), audit.refs(related, before | set(added))]
            audited.append((record, {name: stored}))
            changed.add(record.pk)
        through._base_manager.bulk_create(new_rows, batch_size=2000)
    audit_rows(plan, audited, AuditEntry.Action.UPDATE)
    if changed and not new and any(f.name == "version" for f in meta.concrete_fields):
        # The record changed: whoever holds its old version (an API client's ETag) must re-read.
        plan.entity.model._base_manager.filter(pk__in=changed).update(
            version=models.F("version") + 1
        )
    return changed


def _remember_external_id(plan: Plan, record, external_id: str) -> None:
    if not external_id:
        return
    known = ExternalId.objects.filter(
        entity=plan.entity.key, source=plan.source, external_id=external_id
    ).first()
    if known is None:
        ExternalId.objects.create(
            entity=plan.entity.key,
            record_id=record.pk,
            source=plan.source,
            external_id=external_id,
            job=plan.job,
        )
    elif known.record_id != record.pk:
        raise RowError(
            [
                (
                    plan.column_for(EXTERNAL_ID),
                    _("This external id belongs to another record."),
                    external_id,
                )
            ]
        )
