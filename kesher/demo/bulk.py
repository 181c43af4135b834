"""Creating many new records at once with the result ``record_create`` gives one at a time.

The demo's hundreds of customers would take most of the start-up budget through the
per-record services (a dozen queries each). Here each record gets the same model validation
(without the per-row foreign-key lookups: the loader only links rows it has just created or
pick-list values it read), the same normalized values, one "create" audit entry by the system
with the same changes, the same search tokens and the same "created" event; the inserts are
batched. ``test_demo`` checks the result against ``account_create`` field by field.
"""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models

from kesher.customers.models import Contact, ContactAccount
from kesher.customers.services import audited_account_link
from kesher.platform import events
from kesher.platform.customfields.values import validate_custom
from kesher.platform.models import AuditEntry
from kesher.platform.records import audit, search
from kesher.platform.records.services import clean_text, creation_changes
from kesher.platform.registry import registry

__all__ = ["bulk_link_contacts", "bulk_record_create"]

BATCH = 500


def _foreign_keys(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.is_relation]


def _build(model, data: dict, foreign_keys: list[str]):
    instance = model()
    for name, value in data.items():
        setattr(instance, name, clean_text(value))
    try:
        # What record_create's full_clean checks, minus one lookup per foreign key.
        instance.full_clean(exclude=foreign_keys)
    except ValidationError as exc:
        raise ValidationError(f"{model.__name__} {data!r}: {exc}") from exc
    return instance


def _creation_changes(instance, m2m: dict) -> tuple[dict, dict]:
    # What record_create writes: the audit's changes and the event's, many-to-many included.
    audited, shown = creation_changes(instance)
    for name, values in m2m.items():
        if values:
            model = instance._meta.get_field(name).related_model
            audited[name] = [audit.refs(model, []), audit.refs(model, [v.pk for v in values])]
            shown[name] = [[], sorted(str(v) for v in values)]
    return audited, shown


def bulk_record_create(entity_key: str, rows: list[tuple[dict, dict]]) -> list[models.Model]:
    """Create one record of ``entity_key`` per ``(data, m2m)`` row, by the system (no actor)."""
    entity = registry.get(entity_key)
    model = entity.model
    foreign_keys = _foreign_keys(model)
    has_custom = entity.has_custom_fields
    # No values are submitted, so every record gets the same custom-field defaults.
    custom = validate_custom(entity, {}, {}) if has_custom else {}
    instances = []
    for data, _m2m in rows:
        instance = _build(model, data, foreign_keys)
        if has_custom:
            instance.custom = dict(custom)
        instances.append(instance)
    model.objects.bulk_create(instances, batch_size=BATCH)

    for name in {name for _data, m2m in rows for name in m2m}:
        field = model._meta.get_field(name)
        through = field.remote_field.through
        source = field.m2m_field_name()
        target = field.m2m_reverse_field_name()
        links = [
            through(**{f"{source}_id": instance.pk, f"{target}_id": value.pk})
            for instance, (_data, m2m) in zip(instances, rows, strict=True)
            for value in m2m.get(name, ())
        ]
        through.objects.bulk_create(links, batch_size=BATCH)

    content_type = ContentType.objects.get_for_model(model)
    all_changes = [
        _creation_changes(instance, m2m)
        for instance, (_data, m2m) in zip(instances, rows, strict=True)
    ]
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                content_type=content_type,
                object_id=instance.pk,
                object_repr=str(instance)[:300],
                actor=None,
                action=AuditEntry.Action.CREATE,
                changes=audit.encoded(audited),
            )
            for instance, (audited, _shown) in zip(instances, all_changes, strict=True)
        ),
        batch_size=BATCH,
    )
    if entity.has_search():
        search.index_new(entity, instances)
    for instance, (_audited, changes) in zip(instances, all_changes, strict=True):
        events.emit(
            events.Event(
                name=events.CREATED,
                entity=entity.key,
                object_id=instance.pk,
                actor_id=None,
                changes=changes,
            )
        )
    return instances


def bulk_link_contacts(links: list[tuple[Contact, models.Model, str, bool]]) -> None:
    """Link contacts to accounts, each with its role, audited as ``contact_link_account`` does
    (an "update" entry on the contact naming the account and the role)."""
    foreign_keys = ["contact", "account"]
    rows = []
    for contact, account, role, is_primary in links:
        rows.append(
            _build(
                ContactAccount,
                {"contact": contact, "account": account, "role": role, "is_primary": is_primary},
                foreign_keys,
            )
        )
    ContactAccount.objects.bulk_create(rows, batch_size=BATCH)
    content_type = ContentType.objects.get_for_model(Contact)
    AuditEntry.objects.bulk_create(
        (
            AuditEntry(
                content_type=content_type,
                object_id=link.contact.pk,
                object_repr=str(link.contact)[:300],
                actor=None,
                action=AuditEntry.Action.UPDATE,
                changes=audit.encoded(
                    {"accounts": [None, audited_account_link(link.account, link.role)]}
                ),
            )
            for link in rows
        ),
        batch_size=BATCH,
    )
