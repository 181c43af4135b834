"""Bulk actions on any registered entity (REQ IM-4): update a field (built-in or custom), assign
an owner, add or remove a link on a many-to-many field (a tag, a company, a participant), delete
— on chosen records or on every record matching a filter, always within ``visible_to(actor)``
and the actor's role grant.

Each record gets what a single edit gives it: the same validation (model field rules, pick-list
membership, dependent pick-lists, active owners, custom-field types, the model's own ``clean``),
an audit entry with old and new values, a version bump, search re-indexing and events after
commit. Records that fail are skipped and reported with the reason; the rest are changed.

It is set-based, not a loop over ``record_update``: the value is validated once, per-record rules
run in Python over a chunk read with one query, and each chunk is written with one ``UPDATE``
(custom keys set in SQL with ``json_set``/``jsonb_set``; for a link, one insert or delete of
link rows and the version bump) and one audit insert, in a transaction
per chunk (``bulk_writes``). Small sets run in the request; larger ones become a ``BulkJob`` the
worker runs chunk by chunk, resumable after a crash (the job's cursor advances with each chunk's
writes). Entities whose own update or delete service adds rules get that service per record.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from kesher.platform import stamps
from kesher.platform.access import can, is_admin, linkable
from kesher.platform.bulk.writes import (
    KEEP_REJECTED,
    LINK_ACTIONS,
    Outcome,
    apply_chunk,
    link_row_defaults,
    load_chunk,
)
from kesher.platform.customfields.values import (
    EMPTY,
    clean_value,
    definitions_for,
    error_key,
    rules_for,
)
from kesher.platform.lists.filterlang import apply_filter, compile_filter
from kesher.platform.lists.savedviews import parse_filter
from kesher.platform.lists.tables import Filter
from kesher.platform.models import BulkJob, Choice, CustomField, FieldRule
from kesher.platform.records import search
from kesher.platform.records.services import clean_text
from kesher.platform.registry import Entity, registry
from kesher.platform.tasks import on_tick
from kesher.platform.visibility import hidden_fields

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "LINK_ACTIONS",
    "MISSING",
    "Outcome",
    "available_actions",
    "bulk_compatible",
    "bulk_fields",
    "bulk_job_for",
    "bulk_job_run",
    "bulk_prepare",
    "bulk_start",
    "bulk_target_count",
    "job_summary",
    "link_choices",
    "link_fields",
    "link_target",
    "run_bulk_job",
]

logger = logging.getLogger("kesher.bulk")

Action = BulkJob.Action
Status = BulkJob.Status
CHUNK_SIZE = 2000
MAX_IDS = 10_000
SEARCH_LIMIT = 500  # as many search hits as the list page shows for ``q``
# A running job renews ``heartbeat_at`` with every chunk: silent this long, its worker died and it
# is taken up again from its cursor (issue 24 item 6; runners take turns by the job's row lock).
# A queued job may wait long behind others.
STALLED_AFTER = timedelta(seconds=40)
QUEUED_STALLED_AFTER = timedelta(minutes=10)
MISSING = object()


def bulk_compatible(service):
    """Mark an entity's create or update service as adding nothing per record to
    ``record_create`` / ``record_update``, so bulk updates and imports may take their
    set-based paths. Other services run record by record."""
    service.bulk_compatible = True
    return service


def inline_limit() -> int:
    """Sets up to this size run in the request; larger ones in the worker."""
    return getattr(settings, "KESHER_BULK_INLINE_LIMIT", 500)


# --- what may be changed ------------------------------------------------------------------------


def _is_unique(model, model_field) -> bool:
    name = model_field.name
    return (
        model_field.unique
        or any(name in group for group in model._meta.unique_together)
        or any(
            isinstance(c, models.UniqueConstraint) and name in c.fields
            for c in model._meta.constraints
        )
    )


def _builtin_fields(entity: Entity) -> dict[str, models.Field]:
    """The form fields a single edit may change; unique ones cannot take one value many times."""
    result: dict[str, models.Field] = {}
    for name in entity.form_fields:
        model_field = entity.model._meta.get_field(name)
        if (
            isinstance(model_field, models.Field)  # not a reverse relation
            and getattr(model_field, "concrete", False)
            and model_field.editable
            and not model_field.many_to_many
            and not model_field.primary_key
            and not _is_unique(entity.model, model_field)
        ):
            result[name] = model_field
    return result


def bulk_fields(entity: Entity, user=None) -> list[tuple[str, str]]:
    """(key, label) of every field a bulk update may set: built-in, then ``custom.<key>``;
    with ``user``, not those he does not see (decision 0047)."""
    hidden = hidden_fields(entity, user)
    fields = [(name, str(f.verbose_name)) for name, f in _builtin_fields(entity).items()]
    if entity.has_custom_fields:
        fields += [(f"custom.{d.key}", d.label) for d in definitions_for(entity)]
    return [(name, label) for name, label in fields if name not in hidden]


def link_fields(entity: Entity, user=None) -> dict[str, models.ManyToManyField]:
    """The many-to-many fields whose links a bulk action may add or remove, by name: those a
    single edit may change (``form_fields``), whose link rows can be written without asking
    for more (every other column of a ``through`` model has a default, see
    ``link_row_defaults``), and not hidden from ``user`` (decision 0047). The one list the
    form, the API and the services offer."""
    hidden = hidden_fields(entity, user)
    result: dict[str, models.ManyToManyField] = {}
    for name in entity.form_fields:
        if name in hidden:
            continue
        model_field = entity.model._meta.get_field(name)
        if (
            isinstance(model_field, models.ManyToManyField)  # not its reverse relation
            and model_field.many_to_many
            and getattr(model_field, "concrete", False)
            and model_field.editable
            and link_row_defaults(model_field) is not None
        ):
            result[name] = model_field
    return result


def _owner_field(entity: Entity, user=None):
    if entity.owner_field in hidden_fields(entity, user):
        return None
    return _builtin_fields(entity).get(entity.owner_field or "")


def available_actions(entity: Entity, user) -> list[tuple[str, StrOrPromise]]:
    """The actions ``user`` may run on ``entity``, for the bulk form."""
    actions = []
    if can(user, entity.key, "change"):
        actions.append(Action.UPDATE)
        if _owner_field(entity, user) is not None:
            actions.append(Action.ASSIGN_OWNER)
        if link_fields(entity, user):
            actions += [Action.ADD_LINK, Action.REMOVE_LINK]
    if can(user, entity.key, "delete"):
        actions.append(Action.DELETE)
    return [(a.value, a.label) for a in actions]


# --- which records ------------------------------------------------------------------------------


@dataclasses.dataclass
class Targets:
    """Chosen ids and/or a filter-language expression, plus the list page's simple filters and
    search hits; always narrowed to what the actor may see."""

    ids: list[int] | None = None
    filter: dict | None = None
    simple: dict[str, str] = dataclasses.field(default_factory=dict)
    search_ids: list[int] | None = None

    def as_json(self) -> dict:
        data = {"ids": self.ids, "filter": self.filter, "search_ids": self.search_ids}
        data = {k: v for k, v in data.items() if v is not None}
        return {**data, "simple": self.simple} if self.simple else data

    @classmethod
    def from_json(cls, data: dict) -> Targets:
        return cls(
            data.get("ids"), data.get("filter"), data.get("simple") or {}, data.get("search_ids")
        )

    def queryset(self, entity: Entity, actor):
        qs = entity.queryset().visible_to(actor)
        if self.ids is not None:
            qs = qs.filter(pk__in=self.ids)
        if self.filter is not None:
            qs = apply_filter(qs, entity, self.filter, user=actor)
        for name, value in self.simple.items():
            qs = Filter(entity, name, value, actor).apply(qs)
        if self.search_ids is not None:
            qs = qs.filter(pk__in=self.search_ids)
        return qs


def _parse_ids(ids) -> list[int]:
    if not isinstance(ids, list | tuple):
        raise ValidationError({"ids": [_("Enter a list of record ids.")]})
    if len(ids) > MAX_IDS:
        raise ValidationError(
            {
                "ids": [
                    _("Choose at most %(n)s records by id; use a filter for more.") % {"n": MAX_IDS}
                ]
            }
        )
    try:
        return sorted({int(i) for i in ids if not isinstance(i, bool)})
    except (TypeError, ValueError):
        raise ValidationError({"ids": [_("Enter a list of record ids.")]}) from None


def _parse_targets(entity: Entity, actor, *, ids, filter, q, simple) -> Targets:
    if ids is None and filter is None:
        raise ValidationError({"ids": [_("Choose the records: send their ids or a filter.")]})
    targets = Targets(ids=None if ids is None else _parse_ids(ids))
    if filter is not None:
        if isinstance(filter, str):
            filter = parse_filter(filter.strip()) or {}
        compile_filter(entity, filter, actor)  # raises under "filter", naming the problem
        targets.filter = filter
    hidden = hidden_fields(entity, actor)
    for name, value in (simple or {}).items():
        value = str(value).strip()[:200]
        if name not in entity.filter_fields or name in hidden or not value:
            continue
        try:
            Filter(entity, name, value, actor).apply(entity.queryset().none())
        except (ValueError, ValidationError):
            raise ValidationError({name: [_("Enter a valid value.")]}) from None
        targets.simple[name] = value
    q = (q or "").strip()[:200]
    if q and entity.has_search():
        hits = search.search(actor, q, entities=[entity.key], limit=SEARCH_LIMIT)
        targets.search_ids = sorted(obj.pk for _entity, objs in hits for obj in objs)
    return targets


def bulk_target_count(
    entity: Entity, *, actor, ids=None, filter=None, q: str = "", simple=None, cap: int = 10_000
) -> int:
    """How many records a bulk request would reach (at most ``cap`` + 1), for the form."""
    targets = _parse_targets(entity, actor, ids=ids, filter=filter, q=q, simple=simple)
    return targets.queryset(entity, actor).order_by()[: cap + 1].count()


# --- the request, validated ---------------------------------------------------------------------


@dataclasses.dataclass
class BulkPlan:
    """A validated bulk request: what to do to which records, on whose authority."""

    entity: Entity
    actor: Any  # the user acting; a system actor has no pk
    action: str
    targets: Targets
    field: str = ""  # "status", "custom.region", or the many-to-many field of a link: "tags"
    raw_value: object = None  # as the caller sent it
    value: object = None  # cleaned: a related object for a foreign key, the record to (un)link
    model_field: models.Field | None = None
    definition: CustomField | None = None
    definitions: list[CustomField] = dataclasses.field(default_factory=list)
    rules: list[FieldRule] = dataclasses.field(default_factory=list)
    # The registry's display joins the records need for their audit text (found on the first).
    display_joins: set[str] | None = None

    @property
    def params(self) -> dict:
        if self.field:
            return {"field": self.field, "value": self.raw_value}
        return {}

    @property
    def set_based(self) -> bool:
        if self.action == Action.DELETE:
            return self.entity.delete_service is None
        service = self.entity.update_service
        return service is None or getattr(service, "bulk_compatible", False)


def bulk_prepare(
    entity: Entity | str,
    *,
    actor,
    action: str,
    field: str = "",
    value=MISSING,
    ids=None,
    filter=None,
    q: str = "",
    simple: dict | None = None,
) -> BulkPlan:
    """Check the grant and validate everything that does not depend on a record.

    Raises PermissionDenied without the role's change (or delete) grant, and ValidationError
    naming the field for an unknown field, a bad value, a record the actor may not link, or a
    bad filter — nothing is written then.
    """
    entity = registry.get(entity) if isinstance(entity, str) else entity
    if action not in Action.values:
        raise ValidationError({"action": [_("Unknown action.")]})
    if not can(actor, entity.key, "delete" if action == Action.DELETE else "change"):
        raise PermissionDenied(_("Your role does not allow this on these records."))
    targets = _parse_targets(entity, actor, ids=ids, filter=filter, q=q, simple=simple)
    plan = BulkPlan(entity, actor, action, targets)
    if action == Action.ASSIGN_OWNER:
        owner = _owner_field(entity, actor)
        if owner is None:
            raise ValidationError({"action": [_("These records have no owner.")]})
        field = owner.name
    if action in (Action.UPDATE, Action.ASSIGN_OWNER):
        if value is MISSING:
            raise ValidationError({"value": [_("This field is required.")]})
        _prepare_value(plan, field, value)
        plan.rules = rules_for(entity)
    elif action in LINK_ACTIONS:
        plan.field, plan.raw_value = field, value
        plan.model_field = _link_field(entity, field, actor)
        plan.value = link_target(entity, field, value, actor)
    return plan


def _link_field(entity: Entity, name, actor) -> models.ManyToManyField:
    offered = link_fields(entity, actor)
    if isinstance(name, str) and name in offered:
        return offered[name]
    if not name:
        raise ValidationError({"field": [_("Choose the field to change.")]})
    try:
        model_field = entity.model._meta.get_field(name)
    except (FieldDoesNotExist, TypeError):
        model_field = None
    if model_field is not None and model_field.many_to_many:
        message = _("Links on this field cannot be changed in bulk.")
    else:
        message = _("Unknown field: %(field)s.") % {"field": str(name)[:60]}
    raise ValidationError({"field": [message]})


def link_choices(model_field: models.ManyToManyField, actor):
    """The records ``actor`` may link through ``model_field``: those in his scope
    (``linkable``) among the field's own choices (``limit_choices_to``)."""
    related = model_field.related_model
    if registry.has_model(related):
        qs = linkable(registry.for_model(related).queryset(), actor)
    else:
        qs = related._base_manager.all()
    limit = model_field.get_limit_choices_to()
    return qs.complex_filter(limit) if limit else qs


def link_target(entity: Entity, field: str, value, actor):
    """The record ``value`` (its id) names for a link on ``field``, one ``actor`` may link
    (``linkable``: in his scope). A missing record and one out of his scope get the same
    answer, naming the field, so that the answer tells nothing about records he may not see;
    and since he cannot name a hidden record, he can never remove a link to one."""
    model_field = _link_field(entity, field, actor)
    if value is MISSING or value is None or value == "":
        raise ValidationError({"value": [_("This field is required.")]})
    qs = link_choices(model_field, actor)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    is_id = isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
    found = qs.filter(pk=value).first() if is_id else None
    if found is None:
        message = _("No such record, or you may not link it.")
        raise ValidationError({model_field.name: [message]})
    return found


def _prepare_value(plan: BulkPlan, name: str, value) -> None:
    entity = plan.entity
    plan.field, plan.raw_value = name, value
    if isinstance(name, str) and name in hidden_fields(entity, plan.actor):
        # As if the field did not exist: the actor's role does not see it (decision 0047).
        raise ValidationError({"field": [_("Unknown field: %(field)s.") % {"field": name[:60]}]})
    if isinstance(name, str) and name.startswith("custom.") and entity.has_custom_fields:
        key = name.removeprefix("custom.")
        plan.definitions = definitions_for(entity, active_only=False)
        plan.definition = next((d for d in plan.definitions if d.key == key and d.active), None)
        if plan.definition is not None:
            plan.value = _clean_custom_once(plan.definition, value, plan.actor)
            return
    plan.model_field = _builtin_fields(entity).get(name) if isinstance(name, str) else None
    if plan.model_field is None:
        try:
            model_field = entity.model._meta.get_field(name)
        except (FieldDoesNotExist, TypeError):
            model_field = None
        if (
            model_field is not None
            and name in entity.form_fields
            and _is_unique(entity.model, model_field)
        ):
            message = _("Each record needs its own value here; it cannot be set on many at once.")
        elif isinstance(name, str) and name in link_fields(entity, plan.actor):
            message = _("Add or remove one link at a time on this field.")
        else:
            message = _("Unknown field: %(field)s.") % {"field": str(name)[:60]}
        raise ValidationError({"field": [message]})
    plan.value = _clean_builtin(plan.model_field, value, plan.actor)
    list_key = entity.choice_lists.get(plan.model_field.name)
    if list_key and plan.value is not None and getattr(plan.value, "list_key", None) != list_key:
        # The entity's own pick-list (one field may serve several kinds' lists).
        raise ValidationError({plan.model_field.name: [_("No such record.")]})


def _clean_custom_once(definition: CustomField, value, actor):
    """The value's own validity; a dependent pick-list value is checked against its own parent
    here and against each record's parent value later."""
    parent_value = None
    first = value[0] if isinstance(value, list) and value else value
    if definition.parent_id and isinstance(first, str):
        choice = (
            Choice.objects.filter(list_key=definition.choice_list, value=first.strip())
            .select_related("parent")
            .first()
        )
        parent_value = choice.parent.value if choice is not None and choice.parent else None
    try:
        cleaned = clean_value(definition, value, parent_value=parent_value, actor=actor)
    except ValidationError as exc:
        raise ValidationError({error_key(definition.key): exc.messages}) from None
    if cleaned in EMPTY and definition.required:
        raise ValidationError({error_key(definition.key): [_("This field is required.")]})
    return cleaned


def _clean_builtin(model_field: models.Field, value, actor):
    """``Field.clean`` as ``full_clean`` runs it on a single edit, once for every record.

    A foreign key must name an allowed target (``limit_choices_to``: a pick-list's own active
    values, an active owner) the actor may see, as the forms and the API require.
    """
    name = model_field.name
    if isinstance(value, dict | list):
        raise ValidationError({name: [_("Enter a single value.")]})
    value = clean_text(value)
    if value in model_field.empty_values:
        value = None if model_field.null or model_field.many_to_one else ""
        text_like = isinstance(model_field, models.CharField | models.TextField)
        if model_field.blank and (value is None or text_like):
            return value
    try:
        value = model_field.clean(value, model_field.model())
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        value = timezone.make_aware(value)
    if model_field.many_to_one and value is not None:
        related = model_field.related_model
        assert related is not None  # a foreign key's
        qs = related._base_manager.all()
        if registry.has_model(related):
            qs = linkable(registry.for_model(related).queryset(), actor)
        value = qs.filter(pk=value).first()
        if value is None:
            raise ValidationError({name: [_("No such record.")]})
    return value


# --- running ------------------------------------------------------------------------------------


def bulk_start(plan: BulkPlan) -> tuple[Outcome | None, BulkJob | None]:
    """Run a small set now and return its outcome, or queue a job for the worker."""
    qs = plan.targets.queryset(plan.entity, plan.actor)
    limit = inline_limit()
    if qs.order_by()[: limit + 1].count() > limit:
        return None, _create_job(plan, qs)
    outcome = bulk_execute(plan, qs)
    if outcome.rejected_count and not (outcome.updated or outcome.unchanged):
        # Not one record could take the value: answer as a single edit would (400, by field).
        raise ValidationError(_errors_of(outcome.rejected))
    return outcome, None


def _errors_of(rejected: list[dict]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in rejected:
        for key, messages in item["errors"].items():
            known = errors.setdefault(key, [])
            known += [m for m in messages if m not in known][: 10 - len(known)]
    return errors


@transaction.atomic
def bulk_execute(plan: BulkPlan, qs=None) -> Outcome:
    """Apply ``plan`` to every target in this transaction, chunk by chunk."""
    qs = plan.targets.queryset(plan.entity, plan.actor) if qs is None else qs
    outcome, cursor, seen = Outcome(), 0, set[int]()
    while records := load_chunk(plan, qs, cursor, CHUNK_SIZE):
        outcome.merge(apply_chunk(plan, records))
        seen.update(obj.pk for obj in records)
        cursor = records[-1].pk
        if len(records) < CHUNK_SIZE:
            break  # that was the last chunk: no query to find none is left
    _report_missing(plan, outcome, seen)
    return outcome


def _report_missing(plan: BulkPlan, outcome: Outcome, found: set[int]) -> None:
    """Ids sent that the actor may not see (or that do not exist) are named, never touched."""
    targets = plan.targets
    if targets.ids is None or targets.filter or targets.simple or targets.search_ids is not None:
        return
    for pk in targets.ids:
        if pk not in found:
            message = _("No such record, or you may not see it.")
            outcome.reject(pk, "", ValidationError({"ids": [message]}))


def _create_job(plan: BulkPlan, qs) -> BulkJob:
    outcome = Outcome()
    if plan.targets.ids is not None:
        found = set(qs.values_list("pk", flat=True))
        _report_missing(plan, outcome, found)
        total = len(found)
    else:
        total = qs.count()
    job = BulkJob.objects.create(
        entity=plan.entity.key,
        action=plan.action,
        params=plan.params,
        target=plan.targets.as_json(),
        actor=plan.actor if getattr(plan.actor, "pk", None) else None,
        total=total,
        rejected_count=outcome.rejected_count,
        rejected=outcome.rejected,
        heartbeat_at=timezone.now(),
    )
    # The worker must find the committed job row.
    transaction.on_commit(partial(run_bulk_job.enqueue, job.pk))
    return job


def _plan_for(job: BulkJob) -> BulkPlan:
    if job.actor is None or not job.actor.is_active:
        raise PermissionDenied(_("The user who started this job can no longer run it."))
    targets = Targets.from_json(job.target)
    plan = bulk_prepare(
        job.entity,
        actor=job.actor,
        action=job.action,
        field=job.params.get("field", ""),
        value=job.params.get("value", MISSING),
        ids=targets.ids,
        filter=targets.filter,
        simple=targets.simple,
    )
    plan.targets.search_ids = targets.search_ids  # the hits when the job was asked for
    return plan


def bulk_job_run(job_id: int, *, chunk_size: int = CHUNK_SIZE) -> None:
    """Run (or resume) a job: one transaction per chunk, the cursor moving with the writes, so
    a re-run after a crash continues after the last committed chunk and never repeats one."""
    job = BulkJob.objects.select_related("actor").filter(pk=job_id).first()
    if job is None or job.status == Status.DONE:
        return
    language = getattr(job.actor, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            plan = _plan_for(job)
            now = timezone.now()
            BulkJob.objects.filter(pk=job_id).update(
                status=Status.RUNNING,
                started_at=Coalesce(F("started_at"), now),
                heartbeat_at=now,
                error="",
            )
            qs = plan.targets.queryset(plan.entity, plan.actor)
            while _run_chunk(plan, qs, job_id, chunk_size):
                pass
        except (ValidationError, PermissionDenied) as exc:
            messages = getattr(exc, "messages", None) or [str(exc)]
            _fail(job_id, " ".join(str(m) for m in messages))
        except Exception:
            _fail(job_id, _("The job stopped on an unexpected error."))
            raise


def _run_chunk(plan: BulkPlan, qs, job_id: int, size: int) -> bool:
    # A chunk reads the stamps once, as a request does: the automation and webhook listeners
    # its events reach after commit would otherwise read them once per record (a quarter of a
    # 20,000-record job).
    with stamps.remembered_for_request(), transaction.atomic():
        if connection.vendor == "postgresql":
            # The chunk and the job's cursor commit together, so a crash that loses the last
            # commits (PostgreSQL's asynchronous commit never leaves a half-written one) only
            # makes the job redo those chunks; waiting for the WAL flush was a fifth of a
            # 100,000-record update.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        # One runner per chunk: a second worker on the same job waits here, then reads the
        # cursor this one moved.
        job = BulkJob.objects.select_for_update().get(pk=job_id)
        if job.status == Status.DONE:
            return False
        records = load_chunk(plan, qs, job.cursor, size)
        if not records:
            job.status, job.finished_at = Status.DONE, timezone.now()
            job.save(update_fields=["status", "finished_at"])
            return False
        outcome = apply_chunk(plan, records)
        _record_progress(job, outcome, records[-1].pk)
    return True


def _record_progress(job: BulkJob, outcome: Outcome, cursor: int) -> None:
    job.cursor = cursor
    job.done += outcome.total
    job.updated += outcome.updated
    job.unchanged += outcome.unchanged
    job.rejected_count += outcome.rejected_count
    job.rejected = [*job.rejected, *outcome.rejected][:KEEP_REJECTED]
    job.heartbeat_at = timezone.now()
    job.save(
        update_fields=[
            "cursor",
            "done",
            "updated",
            "unchanged",
            "rejected_count",
            "rejected",
            "heartbeat_at",
        ]
    )


def _fail(job_id: int, message: str) -> None:
    BulkJob.objects.filter(pk=job_id).update(
        status=Status.FAILED, error=message[:2000], finished_at=timezone.now()
    )


@task()
def run_bulk_job(job_id: int) -> None:
    """The worker's side of a bulk job (idempotent: see ``bulk_job_run``)."""
    bulk_job_run(job_id)


@on_tick
def resume_stalled_jobs() -> None:
    """Re-queue jobs whose worker stopped (no progress for a while); running them again is
    safe, they continue from their cursor."""
    now = timezone.now()
    stalled = BulkJob.objects.filter(
        Q(status=Status.RUNNING, heartbeat_at__lt=now - STALLED_AFTER)
        | Q(status=Status.QUEUED, heartbeat_at__lt=now - QUEUED_STALLED_AFTER)
    ).values_list("pk", flat=True)
    for job_id in list(stalled[:20]):
        # Queued again, it waits its turn under the queued job's longer patience.
        BulkJob.objects.filter(pk=job_id).update(status=Status.QUEUED, heartbeat_at=timezone.now())
        logger.warning("bulk job %s stalled; queued again", job_id)
        run_bulk_job.enqueue(job_id)


# --- reading jobs -------------------------------------------------------------------------------


def bulk_job_for(user, pk) -> BulkJob | None:
    """The job if ``user`` started it or is an administrator; None otherwise."""
    if not getattr(user, "is_authenticated", False):
        return None
    qs = BulkJob.objects.filter(pk=pk)
    if not is_admin(user):
        qs = qs.filter(actor_id=getattr(user, "pk", None))
    return qs.first()


def job_summary(job: BulkJob) -> dict:
    return {
        "id": job.pk,
        "entity": job.entity,
        "action": job.action,
        "status": job.status,
        "total": job.total,
        "done": job.done,
        "percent": job.percent,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "rejected_count": job.rejected_count,
        "rejected": job.rejected,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }
