"""The fast path of an import batch (REQ IM-1; issue 6's speed target; decision 0021).

Rows are checked in memory by the same functions the services run — each field's own
``clean`` (phones to E.164, Israeli ID and company-number check digits, e-mail), the model's
``full_clean`` for the fields the file leaves empty, ``validate_custom`` for custom fields and
dependent lists, ``enforce_rules`` for the administrator's field rules — and the new records
of a batch are written with one ``bulk_create``, their audit entries, search tokens, undo
records and external ids in bulk too, their events queued for after commit as a service
queues them.

A row that finds an existing record (update, upsert) and would leave it as it is counts as
unchanged and writes nothing; a row that changes one goes through the entity's update
service (``engine.process_row``), as every row of an entity without this path does.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.imports import duplicates
from kesher.imports.engine import (
    Plan,
    RowError,
    RowValues,
    add_links,
    check_repeat,
    convert_row,
    default_owner,
    errors_to_problems,
    load_links,
    match_value,
    process_row,
    with_loaded_links,
)
from kesher.imports.mapping import EXTERNAL_ID
from kesher.imports.models import ExternalId, ImportIssue, ImportJob, ImportRowChange
from kesher.platform import events
from kesher.platform.bulk.writes import CustomValueMemo
from kesher.platform.customfields.rules import enforce_rules
from kesher.platform.customfields.values import definitions_for, rules_for, validate_custom
from kesher.platform.records import search
from kesher.platform.records.inserts import insert_new, insert_rows
from kesher.platform.records.lookups import emails_in
from kesher.platform.records.services import assign_fields, creation_changes

__all__ = ["apply_batch", "find_existing", "supports"]

Mode = ImportJob.Mode


def supports(plan: Plan) -> bool:
    """Whether the entity's create service adds nothing per record to ``record_create`` but the
    importer as default owner (marked ``bulk_compatible``), and its rows can be checked alone:
    a model without unique fields or constraints, whose uniqueness would need a query a row."""
    if any(c.target.kind == "attachment" for c in plan.columns):
        return False  # each file is stored through the attachment service, row by row
    service = plan.entity.create_service
    if service is not None and not getattr(service, "bulk_compatible", False):
        return False
    meta = plan.entity.model._meta
    unique = [f for f in meta.concrete_fields if f.unique and not f.primary_key]
    return not unique and not meta.constraints and not meta.unique_together


class _Memo:
    """What every row of a job shares, loaded once per run: the entity's custom fields and
    rules, and a record with its defaults that each new row's record starts as a copy of
    (``Model.__init__`` sets every field one by one: a tenth of an import's time)."""

    def __init__(self, plan: Plan):
        entity = plan.entity
        self.entity = entity
        self.has_custom = entity.has_custom_fields
        self.definitions = definitions_for(entity, active_only=False) if self.has_custom else []
        self.rules = rules_for(entity)
        self.clean = CustomValueMemo()
        model = entity.model
        self.model_clean = model.clean is not models.Model.clean
        self._model = model
        self._template = model()
        # Fields whose default is made per record (a fresh dict): made again per copy; but the
        # record's times, which the batch's write sets for all its records (``_written_now``).
        self._fresh = [
            f
            for f in model._meta.concrete_fields
            if callable(f.default) and f.name not in WRITTEN_NOW
        ]
        self._defaults: dict[frozenset, dict] = {}
        self._empty_custom: dict | None = None

    def blank(self):
        """A new unsaved record holding the model's defaults."""
        instance = self._model.__new__(self._model)
        instance.__dict__.update(self._template.__dict__)
        instance._state = ModelState()
        for field in self._fresh:
            setattr(instance, field.attname, field.get_default())
        return instance

    def defaults_checked(self, instance, given: frozenset) -> dict:
        """The problems of the fields a row leaves at their defaults, by field (required
        fields left empty): the same for every row that fills the same fields."""
        if given not in self._defaults:
            errors: dict = {}
            try:
                instance.clean_fields(exclude=set(given))
            except ValidationError as exc:
                errors = exc.update_error_dict({})
            self._defaults[given] = errors
        return self._defaults[given]

    def custom(self, submitted: dict, actor) -> dict:
        """The row's custom values checked as ``record_create`` checks them; rows without any
        share one check (required custom fields left empty fail them all alike)."""
        if submitted or self._empty_custom is None:
            checked = validate_custom(
                self.entity,
                submitted,
                {},
                actor=actor,
                definitions=self.definitions,
                clean=self.clean,
            )
            if submitted:
                return checked
            self._empty_custom = checked
        return dict(self._empty_custom)


def _memo(plan: Plan) -> _Memo:
    key = ("bulk memo",)
    if key not in plan.cache:
        plan.cache[key] = _Memo(plan)
    return plan.cache[key]


def apply_batch(
    plan: Plan, rows: list, start: int, counts: dict, issues: list, *, stop_on_error: bool, write
) -> None:
    """Check a batch's rows, then (``write``) create the new records in bulk and send the
    changing updates through the service. With ``stop_on_error`` one bad row raises RowError
    before anything is written; ``issues`` then holds every bad row of the batch."""
    memo = _memo(plan)
    bad: list[tuple[int, RowError]] = []
    converted: list[tuple[int, list, RowValues]] = []
    for offset, cells in enumerate(rows):
        row = start + offset + 2  # as the user sees it: the header is row 1
        try:
            values = convert_row(plan, cells)
            check_repeat(plan, values, row)
        except RowError as error:
            bad.append((row, error))
            continue
        converted.append((row, cells, values))
    found = find_existing(plan, [(row, values) for row, _c, values in converted])
    repeated = duplicates.find(
        plan,
        [(row, values) for row, _c, values in converted],
        {row for row, _c, _v in converted if found.get(row) is None},
    )
    creates: list[tuple[int, RowValues, models.Model]] = []
    through_service: list[tuple[int, list, RowValues, object]] = []
    load_links(plan, [v.data for _r, _c, v in converted])
    for row, cells, values in converted:
        try:
            record = found.get(row)
            if isinstance(record, RowError):
                raise record
            if row in repeated:
                counts["duplicates"] += 1
                issues += _issues(plan.job, row, repeated[row])
                continue
            if record is None:
                creates.append((row, values, _new_instance(plan, memo, values)))
            elif _unchanged(plan, record, values):
                counts["unchanged"] += 1
            else:
                through_service.append((row, cells, values, record))
        except RowError as error:
            bad.append((row, error))
    for row, error in sorted(bad, key=lambda item: item[0]):
        counts["invalid"] += 1
        issues += _issues(plan.job, row, error)
    if bad and stop_on_error:
        raise RowError([p for _row, error in bad for p in error.problems])
    for row, cells, values, record in through_service:
        try:
            with transaction.atomic():
                outcome = process_row(plan, row, cells, values, record)
        except RowError as error:
            counts["invalid"] += 1
            issues += _issues(plan.job, row, error)
            if stop_on_error:
                raise
            continue
        counts[outcome] += 1
    if write and creates:
        _insert(plan, memo, creates)
    counts["created"] += len(creates)


def _issues(job: ImportJob, row: int, error: RowError) -> list[ImportIssue]:
    return [
        ImportIssue(job=job, row=row, column=column[:200], message=message, value=value[:200])
        for column, message, value in error.problems
    ]


# --- finding existing records, a batch at a time ------------------------------------------------


def find_existing(plan: Plan, converted: list[tuple[int, RowValues]]) -> dict:
    """Row → the record it updates, None (create) or a RowError — one query per batch, with the
    rules of ``engine._existing``."""
    result: dict = {}
    entity = plan.entity
    if plan.mode == Mode.CREATE:
        wanted = {v.external_id for _r, v in converted if v.external_id}
        taken = set()
        if wanted:
            taken = set(
                ExternalId.objects.filter(
                    entity=entity.key, source=plan.source, external_id__in=wanted
                ).values_list("external_id", flat=True)
            )
        column = plan.column_for(EXTERNAL_ID)
        for row, values in converted:
            if values.external_id in taken:
                message = _("A record with this external id was already imported.")
                result[row] = RowError([(column, message, values.external_id)])
        return result
    column = plan.column_for(plan.match)
    keys = {row: match_value(plan, values) for row, values in converted}
    wanted = {str(k) for k in keys.values() if k is not None}
    by_key: dict[str, list] = {}
    if wanted:
        visible = entity.model.objects.visible_to(plan.actor)
        if plan.match == EXTERNAL_ID:
            links = ExternalId.objects.filter(
                entity=entity.key, source=plan.source, external_id__in=wanted
            ).values_list("external_id", "record_id")
            records = visible.in_bulk([pk for _e, pk in links])
            for external_id, pk in links:
                if pk in records:
                    by_key.setdefault(external_id, []).append(records[pk])
        elif plan.match == "email":
            # E-mail matches whatever its case on either side, as in engine (iexact).
            lowered = {w.lower() for w in wanted}
            matching = emails_in(visible, "email", lowered)
            for record in matching:
                by_key.setdefault(record.email.lower(), []).append(record)
            by_key = {w: by_key.get(w.lower(), []) for w in wanted}
        else:
            for record in visible.filter(**{f"{plan.match}__in": wanted}):
                by_key.setdefault(str(getattr(record, plan.match)), []).append(record)
    for row, key in keys.items():
        if key is None:
            if plan.mode == Mode.UPDATE:
                result[row] = RowError([(column, _("Empty: this row cannot be matched."), "")])
            continue
        found = by_key.get(str(key), [])
        if len(found) > 1:
            message = _("Several existing records match this value.")
            result[row] = RowError([(column, message, str(key))])
        elif not found and plan.mode == Mode.UPDATE:
            message = _("No existing record matches this value.")
            result[row] = RowError([(column, message, str(key))])
        elif found:
            result[row] = found[0]
    return result


def _stored(record, name: str):
    return getattr(record, record._meta.get_field(name).attname)


def _unchanged(plan: Plan, record, values: RowValues) -> bool:
    """Would the update service leave ``record`` as it is? Rows adding links or bringing a new
    external id go through the service, which records those too."""
    if values.links:
        return False
    if values.external_id and plan.match != EXTERNAL_ID:
        return False
    for name, value in values.data.items():
        if isinstance(value, models.Model):
            value = value.pk
        if _stored(record, name) != value:
            return False
    stored = getattr(record, "custom", None) or {}
    return all(stored.get(key) == value for key, value in values.custom.items())


# --- new records --------------------------------------------------------------------------------


def _new_instance(plan: Plan, memo: _Memo, values: RowValues):
    """The unsaved record of a row, checked as ``record_create`` checks it; RowError names
    every problem of the row."""
    entity, actor = plan.entity, plan.actor
    data = default_owner(entity, with_loaded_links(plan, values.data), actor)
    instance = memo.blank()
    assign_fields(instance, data)
    # The file's cells were cleaned by their fields in convert_row, and related records were
    # found under the fields' own limits (active users, the list's active values): the model
    # checks the rest — the fields the file leaves at their defaults (the same for every row
    # with the same columns filled: checked once) and its own clean().
    errors: dict[str, list] = dict(memo.defaults_checked(instance, frozenset(data)))
    if memo.model_clean:
        try:
            instance.clean()
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if memo.has_custom:
        try:
            instance.custom = memo.custom(values.custom, actor)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
            instance.custom = {}
    if memo.rules:
        touched = set(data) | {f"custom.{k}" for k in (getattr(instance, "custom", None) or {})}
        try:
            enforce_rules(
                entity,
                instance,
                touched=touched,
                before={},
                actor=actor,
                creating=True,
                rules=memo.rules,
            )
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
    if errors:
        raise RowError(errors_to_problems(plan, ValidationError(errors), values))
    return instance


def _insert(plan: Plan, memo: _Memo, creates: list) -> None:
    """One batch's new records and everything a service writes with each, in bulk."""
    entity, actor, job = plan.entity, plan.actor, plan.job
    instances = [instance for _row, _values, instance in creates]
    _written_now(instances)
    insert_new(entity.model, instances)
    # Their creation is told by the import's row records (below), not by an audit entry each.
    labels: dict = {}  # the rows of a batch share owners and pick-list values
    changed = [
        (instance, *creation_changes(instance, audited_too=False, labels=labels))
        for instance in instances
    ]
    search.index_new(entity, instances)
    created = ImportRowChange.Action.CREATED
    insert_rows(
        ImportRowChange,
        ["job_id", "row", "entity", "record_id", "action", "before"],
        [(job.pk, row, entity.key, instance.pk, created, "{}") for row, _v, instance in creates],
    )
    ExternalId.objects.bulk_create(
        (
            ExternalId(
                entity=entity.key,
                record_id=instance.pk,
                source=plan.source,
                external_id=values.external_id,
                job=job,
            )
            for _row, values, instance in creates
            if values.external_id
        ),
        batch_size=2000,
    )
    add_links(plan, [(instance, values.links) for _r, values, instance in creates], new=True)
    actor_id = getattr(actor, "pk", None)
    events.emit_many(
        [
            events.Event(
                name=events.CREATED,
                entity=entity.key,
                object_id=instance.pk,
                actor_id=actor_id,
                changes=changes,
            )
            for instance, _audited, changes in changed
        ]
    )


WRITTEN_NOW = ("created_at", "updated_at")


def _written_now(instances: list) -> None:
    """Records written in one transaction share its time, as they would share ``now()``."""
    if not instances:
        return
    now = timezone.now()
    stamped = [f.attname for f in instances[0]._meta.concrete_fields if f.name in WRITTEN_NOW]
    for instance in instances:
        for name in stamped:
            setattr(instance, name, now)
