"""Retention rules at work (REQ OR-8, issue 25 item 3; decision 0078): which records a rule
reaches, the dry run the privacy officer reads before activating it, and the worker's daily run
that deletes or anonymizes them in batches and logs what it did."""

from __future__ import annotations

import calendar
import datetime
import logging

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.customers.models import Contact
from kesher.platform.access import can
from kesher.platform.lists.filterlang import apply_filter, compile_filter
from kesher.platform.models import AuditEntry
from kesher.platform.records import audit, search
from kesher.platform.records.inserts import run_together
from kesher.platform.records.services import write_audit
from kesher.platform.registry import Entity, registry
from kesher.privacy.models import RetentionAction, RetentionRule, RetentionRun
from kesher.privacy.services import erased_contact, replacement_word, text_fields, write_straight

__all__ = ["check_rule", "dry_run", "matching", "rule_run", "run_due_rules"]

RULED = audit.register_fact("privacy.retention", gettext_lazy("retention rule applied"))
logger = logging.getLogger(__name__)

# Records handled in one transaction; the next tick goes on from the last one.
BATCH = 200
# The records a dry run names.
SAMPLE = 10


def check_rule(rule: RetentionRule) -> None:
    """Raise a ValidationError naming the field when the rule cannot run: an unknown kind of
    record, an age field that is not a date, or a condition the filter language refuses."""
    if rule.entity not in registry:
        raise ValidationError({"entity": _("Choose a kind of record.")})
    entity = registry.get(rule.entity)
    try:
        field = entity.model._meta.get_field(rule.age_field)
    except FieldDoesNotExist:
        field = None
    if not isinstance(field, models.DateField):  # DateTimeField is one too
        raise ValidationError({"age_field": _("Name a date field of these records.")})
    try:
        compile_filter(entity, rule.condition)
    except ValidationError as error:
        raise ValidationError({"condition": error.messages}) from error


def cutoff(rule: RetentionRule, today: datetime.date) -> datetime.date:
    """Records dated before this day are older than the rule keeps them."""
    months = today.year * 12 + today.month - 1 - rule.age_months
    year, month = divmod(months, 12)
    # The same day of that month, or its last one (31 March less a month: 28/29 February).
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(today.day, last))


def matching(rule: RetentionRule, today: datetime.date | None = None):
    """Every record the rule reaches today, by id: its condition, and older than its period."""
    entity = registry.get(rule.entity)
    day = cutoff(rule, today or timezone.localdate())
    field = entity.model._meta.get_field(rule.age_field)
    since: datetime.date = day
    if isinstance(field, models.DateTimeField):
        since = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    age = {f"{rule.age_field}__lt": since}
    qs = apply_filter(entity.model._base_manager.all(), entity, rule.condition)
    return qs.filter(**age).order_by("pk")


def _retained(entity: Entity, record) -> bool:
    return bool(entity.retained_by_law and entity.retained_by_law(record))


def dry_run(rule: RetentionRule, user, today: datetime.date | None = None) -> dict:
    """What running the rule today would do, writing nothing: how many records, how many of
    them the law keeps, and the first few by name — only those ``user`` may see; the others
    are counted, not named."""
    check_rule(rule)
    entity = registry.get(rule.entity)
    qs = matching(rule, today)
    total = qs.count()
    kept = 0
    if entity.retained_by_law:
        kept = sum(1 for record in qs.iterator(chunk_size=BATCH) if _retained(entity, record))
    names: list = []
    if can(user, entity.key, "view"):
        visible = entity.queryset().visible_to(user).filter(pk__in=qs.values("pk"))
        names = list(visible.order_by("pk")[:SAMPLE])
    return {
        "entity": entity,
        "total": total,
        "kept": kept,
        "records": names,
        "cutoff": cutoff(rule, today or timezone.localdate()),
    }


def _anonymized_values(record, keep: tuple[str, ...], word: str) -> dict:
    """The record's personal values replaced: a person's record as a data-subject erasure
    empties it; any other record's free texts and custom values (its numbers, dates and links
    stay, as the figures built on them do). ``keep``: the columns the law keeps."""
    if isinstance(record, Contact):
        values = erased_contact(record, word)
    else:
        values = {}
        for f in text_fields(type(record)):
            values[f.attname] = "" if f.blank else word
        if any(f.name == "custom" for f in type(record)._meta.concrete_fields):
            values["custom"] = {}
    return {k: v for k, v in values.items() if k not in keep and getattr(record, k, None) != v}


def _blank_history(model, ids: list[int], word: str, keep: tuple[str, ...] = ()) -> None:
    """The audit trail of the records without their values: every old and new value replaced
    but those of ``keep`` (the trail says who changed what, which stays)."""
    if not ids:
        return
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id__in=ids
    ).only("pk", "changes")
    for entry in entries:
        changes = {
            key: [word if value not in (None, "") else value for value in pair]
            if isinstance(pair, list) and key not in keep
            else pair
            for key, pair in (entry.changes or {}).items()
        }
        if changes != entry.changes or not keep:
            title = {"object_repr": word} if not keep else {}
            AuditEntry.objects.filter(pk=entry.pk).update(changes=changes, **title)


def _anonymize(entity: Entity, record, keep: tuple[str, ...], rule, word: str) -> None:
    values = _anonymized_values(record, keep, word)
    if values:
        write_straight(record, values)
    _blank_history(type(record), [record.pk], word, keep)
    write_audit(record, actor=None, action="update", changes={RULED: [None, rule.pk]})
    record.refresh_from_db()
    search.index_record(record, entity)


def _delete(entity: Entity, record, word: str) -> bool:
    """Delete one record with its search tokens and its trail's values; False when another
    record protects it (nothing is written then)."""
    pk = record.pk
    try:
        with transaction.atomic():
            run_together(search.unindex_statement(record, entity))
            type(record)._base_manager.filter(pk=pk).delete()
    except (ProtectedError, RestrictedError, IntegrityError):
        return False
    _blank_history(type(record), [pk], word)
    return True


def rule_run(rule: RetentionRule, now: datetime.datetime | None = None) -> RetentionRun | None:
    """Run ``rule`` for today, one batch: a new day's run starts from the first record, a day's
    unfinished run goes on after its last one, a finished one does nothing (None). Records the
    law keeps are anonymized around their kept fields and counted, never deleted."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    check_rule(rule)
    entity = registry.get(rule.entity)
    word = replacement_word()
    with transaction.atomic():
        run, _created = RetentionRun.objects.get_or_create(
            rule=rule, day=today, defaults={"started_at": now}
        )
        run = RetentionRun.objects.select_for_update().get(pk=run.pk)
        if run.finished_at is not None:
            return None
        batch = list(matching(rule, today).filter(pk__gt=run.last_id)[:BATCH])
        for record in batch:
            if _retained(entity, record):
                _anonymize(entity, record, entity.retained_fields, rule, word)
                run.kept += 1
            elif rule.action == RetentionAction.ANONYMIZE:
                _anonymize(entity, record, (), rule, word)
                run.anonymized += 1
            elif _delete(entity, record, word):
                run.deleted += 1
            else:
                run.blocked += 1
            run.last_id = record.pk
        if len(batch) < BATCH:
            run.finished_at = timezone.now()
        run.save()
    return run


def run_due_rules() -> None:
    """The worker's job (every tick): one batch of each active rule not finished today. A rule
    that no longer checks (a custom field its condition named was deleted since) is skipped,
    logged, and the others run."""
    today = timezone.localdate()
    done = RetentionRun.objects.filter(day=today, finished_at__isnull=False).values("rule_id")
    for rule in RetentionRule.objects.filter(active=True).exclude(pk__in=done):
        try:
            rule_run(rule)
        except ValidationError as error:
            logger.warning("retention rule %s cannot run: %s", rule.pk, error.messages)
