"""Merging two records of one entity into one (REQ IM-3).

The winner keeps its id; each field takes the winner's or the loser's value as chosen (custom
fields too); every record that pointed at the loser is re-pointed at the winner — found by
introspection, so links added by later apps move too:

* every foreign key to the model (``_meta`` reverse relations, hidden ones included), which
  covers many-to-many through tables, auto-created (tags) or explicit (``ContactAccount``);
  a row that would then clash with a row the winner already has (a contact linked to the same
  account twice) or link a record to itself is dropped, and the merge says so;
* every generic link by content type and object id (``Attachment``, the ``AuditEntry`` history,
  any later app's ``GenericForeignKey``), so the loser's history shows on the winner's timeline.

Then an audit entry on the winner says what was merged and which fields were taken, and the
loser is deleted through its entity's delete service. All in one transaction. The entry holds
field keys and kinds of records, read in the reader's language (decision 0042).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.dedupe.models import DuplicatePair
from kesher.dedupe.specs import spec_for
from kesher.platform.access import can
from kesher.platform.customfields.values import definitions_for, error_key
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import (
    ConflictError,
    record_delete,
    record_update,
    write_audit,
)
from kesher.platform.registry import Entity, registry

__all__ = [
    "LOSER",
    "WINNER",
    "MergeResult",
    "default_choices",
    "merge_fields",
    "merge_records",
    "pair_dismiss",
]

WINNER = "winner"
LOSER = "loser"
CUSTOM_PREFIX = "custom_fields."

# The merge's audit entries: on the loser, where it went; on the winner, where it came from
# (the loser's id and name: it is deleted), the fields taken from it ({"fields": [keys]}) and
# the records moved and duplicate links dropped, counted by kind ({"counts": {model: n}}).
MERGED_INTO = register_fact("merged_into", gettext_lazy("merged into"))
MERGED_FROM = register_fact("merged_from", gettext_lazy("merged from"))
FIELDS_TAKEN = register_fact("fields_taken", gettext_lazy("fields taken"))
RECORDS_MOVED = register_fact("records_moved", gettext_lazy("records moved"))
LINKS_DROPPED = register_fact("links_dropped", gettext_lazy("duplicate links dropped"))


@dataclass
class MergeResult:
    winner: models.Model
    loser_id: int
    fields_taken: list[str] = field(default_factory=list)
    # Related rows moved, by the plural name of their model.
    moved: dict[str, int] = field(default_factory=dict)
    # Rows of the loser that would have duplicated a row of the winner, dropped.
    dropped: list[str] = field(default_factory=list)
    # The same two by kind of record (``app_label.model``), for the audit entry.
    moved_kinds: dict[str, int] = field(default_factory=dict)
    dropped_kinds: dict[str, int] = field(default_factory=dict)

    def count_moved(self, model, count: int) -> None:
        label = _moved_label(model)
        self.moved[label] = self.moved.get(label, 0) + count
        kind = model._meta.label_lower
        self.moved_kinds[kind] = self.moved_kinds.get(kind, 0) + count

    def count_dropped(self, model, row) -> None:
        self.dropped.append(f"{model._meta.verbose_name}: {row}")
        kind = model._meta.label_lower
        self.dropped_kinds[kind] = self.dropped_kinds.get(kind, 0) + 1

    def as_json(self) -> dict:
        return {
            "winner": self.winner.pk,
            "loser": self.loser_id,
            "fields_taken": self.fields_taken,
            "moved": self.moved,
            "dropped": self.dropped,
        }


def merge_fields(entity: Entity) -> list[str]:
    """The built-in fields whose value is chosen in a merge: the entity's form fields that
    hold one value (many-to-many fields are united instead)."""
    names = []
    for name in entity.form_fields:
        model_field = entity.model._meta.get_field(name)
        if model_field.concrete and model_field.editable and not model_field.many_to_many:
            names.append(name)
    return names


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge_value(obj, name: str):
    if name.startswith(CUSTOM_PREFIX):
        return (obj.custom or {}).get(name.removeprefix(CUSTOM_PREFIX))
    return getattr(obj, name)


def choice_keys(entity: Entity, winner, loser) -> list[str]:
    keys = merge_fields(entity)
    if hasattr(winner, "custom"):
        custom = sorted(set(winner.custom or {}) | set(loser.custom or {}))
        keys += [error_key(k) for k in custom]
    return keys


def default_choices(entity: Entity, winner, loser) -> dict[str, str]:
    """Each field's default: the winner's value, or the loser's where the winner has none."""
    return {
        key: LOSER
        if _empty(merge_value(winner, key)) and not _empty(merge_value(loser, key))
        else WINNER
        for key in choice_keys(entity, winner, loser)
    }


def _parse_choices(entity: Entity, winner, loser, fields) -> dict[str, str]:
    choices = default_choices(entity, winner, loser)
    if fields is None:
        return choices
    if not isinstance(fields, dict):
        raise ValidationError(
            {"fields": [_('Send an object of field names, each "winner" or "loser".')]}
        )
    errors = {}
    for key, side in fields.items():
        if key not in choices:
            errors[str(key)[:100]] = [_("Unknown field.")]
        elif side not in (WINNER, LOSER):
            errors[key] = [_('Choose "winner" or "loser".')]
        else:
            choices[key] = side
    if errors:
        raise ValidationError(errors)
    return choices


def _check_access(entity: Entity, actor, winner, loser) -> None:
    if not (can(actor, entity.key, "change") and can(actor, entity.key, "delete")):
        raise PermissionDenied(_("You may not merge these records."))
    visible = entity.model.objects.visible_to(actor).filter(pk__in=[winner.pk, loser.pk])
    if visible.count() != 2:
        raise PermissionDenied(_("You may not merge these records."))


def _check_version(obj, expected) -> None:
    if expected is None or expected == "":
        return
    try:
        expected = int(expected)
    except (TypeError, ValueError):
        raise ValidationError({"version": [_("Enter a whole number.")]}) from None
    if obj.version != expected:
        raise ConflictError(obj.version)


@transaction.atomic
def merge_records(
    winner,
    loser,
    *,
    actor,
    fields: dict | None = None,
    winner_version=None,
    loser_version=None,
) -> MergeResult:
    """Merge ``loser`` into ``winner`` (two records of one entity) and delete ``loser``.

    ``fields`` maps a field name (``custom_fields.<key>`` for custom fields) to ``"winner"`` or
    ``"loser"``; fields not named keep the default of ``default_choices``. Stale versions raise
    ``ConflictError``; an actor who may not change both records and delete the loser gets
    ``PermissionDenied``.
    """
    if type(winner) is not type(loser):
        raise ValidationError({"loser": [_("Only records of the same kind can be merged.")]})
    if winner.pk == loser.pk:
        raise ValidationError({"loser": [_("A record cannot be merged with itself.")]})
    entity = registry.for_model(winner)
    if spec_for(entity.key) is None:
        raise ValidationError({"entity": [_("Records of this kind cannot be merged.")]})
    _check_access(entity, actor, winner, loser)
    # Lock both rows (in id order, so two merges of the same pair cannot deadlock): nobody may
    # change them between the version check and the delete.
    locked = {
        obj.pk: obj
        for obj in entity.model._base_manager.select_for_update()
        .filter(pk__in=[winner.pk, loser.pk])
        .order_by("pk")
    }
    winner, loser = locked[winner.pk], locked[loser.pk]
    if hasattr(winner, "version"):
        _check_version(winner, winner_version)
        _check_version(loser, loser_version)
    choices = _parse_choices(entity, winner, loser, fields)
    data, custom, taken = {}, {}, []
    for key, side in choices.items():
        if side != LOSER or merge_value(loser, key) == merge_value(winner, key):
            continue
        taken.append(key)
        if key.startswith(CUSTOM_PREFIX):
            custom[key.removeprefix(CUSTOM_PREFIX)] = merge_value(loser, key)
        else:
            data[key] = merge_value(loser, key)
    if custom:
        data["custom"] = custom
    result = MergeResult(winner=winner, loser_id=loser.pk, fields_taken=taken)
    _repoint_foreign_keys(entity, winner, loser, actor, result)
    _repoint_generic_links(winner, loser, result)
    _update_pairs(entity.key, winner.pk, loser.pk, actor)
    loser_label = f"#{loser.pk} {loser}"
    write_audit(loser, actor=actor, action="update", changes={MERGED_INTO: [None, winner]})
    (entity.delete_service or record_delete)(loser, actor=actor)
    if data:
        winner = (entity.update_service or record_update)(
            winner, actor=actor, data=data, m2m=None, expected_version=None
        )
    elif hasattr(winner, "version"):
        # The winner's related records changed: a client holding the old version must re-read.
        type(winner)._base_manager.filter(pk=winner.pk).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        winner.refresh_from_db()
    summary = {MERGED_FROM: [None, loser_label]}
    if taken:
        summary[FIELDS_TAKEN] = [None, {"fields": taken}]
    if result.moved_kinds:
        summary[RECORDS_MOVED] = [None, {"counts": result.moved_kinds}]
    if result.dropped_kinds:
        summary[LINKS_DROPPED] = [None, {"counts": result.dropped_kinds}]
    write_audit(winner, actor=actor, action="update", changes=summary)
    result.winner = winner
    return result


def value_label(entity: Entity, key: str) -> str:
    """A merge field's label in the active language (a custom field's own label)."""
    if key.startswith(CUSTOM_PREFIX):
        custom_key = key.removeprefix(CUSTOM_PREFIX)
        for definition in definitions_for(entity, active_only=False):
            if definition.key == custom_key:
                return definition.label
        return custom_key
    try:
        return str(entity.model._meta.get_field(key).verbose_name)
    except FieldDoesNotExist:
        return key


def _reverse_foreign_keys(model):
    """(related model, foreign key) for every foreign key to ``model``, hidden ones included:
    those of many-to-many through tables are how such links are stored."""
    for rel in model._meta.get_fields(include_hidden=True):
        if rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one):
            yield rel.related_model, rel.field


def _needs_row_checks(related_model, fk) -> bool:
    """Whether moving a row may break a rule: a uniqueness that includes the key, a check
    constraint, or a second link to the same model (a record related to itself)."""
    opts = related_model._meta
    if fk.unique or any(fk.name in group for group in opts.unique_together):
        return True
    for constraint in opts.constraints:
        if isinstance(constraint, models.CheckConstraint):
            return True
        if isinstance(constraint, models.UniqueConstraint) and fk.name in constraint.fields:
            return True
    return any(
        f is not fk and f.is_relation and f.related_model is fk.related_model
        for f in opts.concrete_fields
    )


def _moved_label(related_model) -> str:
    return str(related_model._meta.verbose_name_plural)


def _repoint_foreign_keys(entity: Entity, winner, loser, actor, result: MergeResult) -> None:
    for related_model, fk in _reverse_foreign_keys(entity.model):
        rows = related_model._base_manager.filter(**{fk.name: loser.pk})
        bump = {}
        if any(f.name == "version" for f in related_model._meta.concrete_fields):
            bump = {"version": F("version") + 1}
        if not _needs_row_checks(related_model, fk):
            count = rows.update(**{fk.attname: winner.pk}, **bump)
        else:
            count = 0
            for row in rows.order_by("pk"):
                setattr(row, fk.attname, winner.pk)
                try:
                    row.clean()
                    row.validate_unique()
                    row.validate_constraints()
                except ValidationError:
                    result.count_dropped(related_model, row)
                    if registry.has_model(related_model):
                        setattr(row, fk.attname, loser.pk)
                        record_delete(row, actor=actor)
                    else:
                        related_model._base_manager.filter(pk=row.pk).delete()
                    continue
                related_model._base_manager.filter(pk=row.pk).update(
                    **{fk.attname: winner.pk}, **bump
                )
                count += 1
        if count:
            result.count_moved(related_model, count)


def generic_links() -> list[tuple[type, str, str]]:
    """(model, content-type field, object-id field) of every generic link in the project: the
    ``GenericForeignKey`` fields, and models that store the pair without declaring one (the
    audit log's ``content_type`` + ``object_id``)."""
    found = []
    for model in apps.get_models():
        declared = {
            (f.ct_field, f.fk_field)
            for f in model._meta.private_fields
            if isinstance(f, GenericForeignKey)
        }
        for f in model._meta.concrete_fields:
            if f.is_relation and f.related_model is ContentType:
                id_name = f.name.replace("content_type", "object_id")
                try:
                    model._meta.get_field(id_name)
                except FieldDoesNotExist:
                    continue
                declared.add((f.name, id_name))
        found += [(model, ct, fk) for ct, fk in sorted(declared)]
    return found


def _repoint_generic_links(winner, loser, result: MergeResult) -> None:
    content_type = ContentType.objects.get_for_model(type(winner))
    for model, ct_field, id_field in generic_links():
        count = model._base_manager.filter(**{ct_field: content_type, id_field: loser.pk}).update(
            **{id_field: winner.pk}
        )
        if count:
            result.count_moved(model, count)


def _update_pairs(key: str, winner_id: int, loser_id: int, actor) -> None:
    """The merged pair is done; the loser's other open pairs now name the winner."""
    now = timezone.now()
    a, b = sorted((winner_id, loser_id))
    DuplicatePair.objects.filter(entity=key, record_a=a, record_b=b).update(
        status=DuplicatePair.Status.MERGED, resolved_by=actor, resolved_at=now
    )
    others = DuplicatePair.objects.filter(entity=key).filter(
        Q(record_a=loser_id) | Q(record_b=loser_id)
    )
    for pair in others.exclude(record_a=a, record_b=b):
        other = pair.record_b if pair.record_a == loser_id else pair.record_a
        new_a, new_b = sorted((other, winner_id))
        clash = DuplicatePair.objects.filter(entity=key, record_a=new_a, record_b=new_b)
        if other == winner_id or clash.exists():
            pair.delete()
        else:
            DuplicatePair.objects.filter(pk=pair.pk).update(record_a=new_a, record_b=new_b)
    if not DuplicatePair.objects.filter(entity=key, record_a=a, record_b=b).exists():
        DuplicatePair.objects.create(
            entity=key,
            record_a=a,
            record_b=b,
            status=DuplicatePair.Status.MERGED,
            resolved_by=actor,
            resolved_at=now,
        )


@transaction.atomic
def pair_dismiss(pair: DuplicatePair, *, actor) -> DuplicatePair:
    """Mark a pair as "not duplicates"; later scans leave it dismissed."""
    if pair.status != DuplicatePair.Status.OPEN:
        raise ValidationError({"status": [_("This pair was already handled.")]})
    pair.status = DuplicatePair.Status.DISMISSED
    pair.resolved_by = actor if getattr(actor, "pk", None) else None
    pair.resolved_at = timezone.now()
    pair.save(update_fields=["status", "resolved_by", "resolved_at"])
    return pair
