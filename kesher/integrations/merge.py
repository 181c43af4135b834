"""Merge fields of email templates: a small, safe substitution, not Django's template language.

``{{ name }}`` is the record's title, ``{{ field }}`` one of the fields the entity shows on its
page, ``{{ custom.key }}`` a custom field, ``{{ link.field }}`` a field of a record it links to
(``{{ owner.email }}``; for a record linked many-to-many the singular name, ``{{ account.name }}``
on a contact is its primary account). Values are the registry's display values, HTML-escaped in
the body; nothing else of Django's template language runs (no tags, no filters, no attribute
access beyond the entity's shown fields), and an unknown name is refused when the template is
saved (issue 5 item 9; decision 0033).

A merge field of a field hidden from one of the mail's *readers* renders empty (decision 0047):
the readers are the users it is sent to and the user who sends it; an address of no user is
read with the sender's rights alone (automation sends as the system: every field).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.translation import gettext as _

from kesher.platform.customfields.forms import display_value
from kesher.platform.customfields.values import definitions_for
from kesher.platform.registry import Entity, registry
from kesher.platform.ui.display import field_display
from kesher.platform.visibility import hidden_fields, hides_anything

__all__ = ["MergeField", "available_fields", "check_text", "readers_of", "render_text"]

FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)?)\s*\}\}")
# Anything else that looks like template syntax: a tag, a comment, a filter, a stray brace pair.
TEMPLATE_SYNTAX = re.compile(r"\{%|%\}|\{#|#\}|\{\{|\}\}")
HIDDEN = {"password", "custom", "version"}


@dataclass(frozen=True)
class MergeField:
    """One name a template may use, with the label the editor lists it by."""

    name: str
    label: str


def _shown_fields(entity: Entity) -> list[str]:
    """The entity's fields people see: its list columns, form fields and page sections."""
    names = [*entity.list_columns, *entity.form_fields]
    for section in entity.sections:
        names += section.fields
    seen = []
    for name in names:
        if name not in seen and name not in HIDDEN:
            seen.append(name)
    return seen


def _target_entity(field) -> Entity | None:
    model = field.related_model
    if model is None or not registry.has_model(model):
        return None
    return registry.for_model(model)


def _link_name(field) -> str:
    """``owner`` for a foreign key; the target's singular name (``account``) for a
    many-to-many field, which stands for the first (primary) linked record."""
    if field.many_to_many:
        return field.related_model._meta.model_name
    return field.name


def available_fields(entity_key: str) -> list[MergeField]:
    """Every merge field a template about ``entity_key`` records may use (none: ``name``)."""
    fields = [MergeField("name", _("the record's name"))]
    if not entity_key:
        return fields
    entity = registry.get(entity_key)
    shown = _shown_fields(entity)
    for name in shown:
        if name != "name":
            fields.append(MergeField(name, str(entity.field(name).verbose_name)))
    # Linked records: every link to a registered entity, shown on the page or in a panel
    # (a contact's accounts).
    links = [f for f in entity.model._meta.get_fields() if f.is_relation and f.concrete]
    for field in links:
        target = _target_entity(field)
        if target is None or (field.name not in shown and not field.many_to_many):
            continue
        root = _link_name(field)
        fields.append(MergeField(f"{root}.name", f"{field.verbose_name}: {_('name')}"))
        for sub in _shown_fields(target):
            sub_field = target.field(sub)
            if sub_field.is_relation or sub == "name":
                continue
            label = f"{field.verbose_name}: {sub_field.verbose_name}"
            fields.append(MergeField(f"{root}.{sub}", label))
    for definition in definitions_for(entity):
        fields.append(MergeField(f"custom.{definition.key}", definition.label))
    return fields


def check_text(text: str, entity_key: str, known: set[str] | None = None) -> list[str]:
    """Error messages for ``text``: unknown merge fields and any other template syntax;
    ``known``, when given, the names allowed instead of ``entity_key``'s."""
    if known is None:
        known = {f.name for f in available_fields(entity_key)}
    errors = []
    unknown = sorted({m.group(1) for m in FIELD.finditer(text)} - known)
    if unknown:
        errors.append(
            _("Unknown merge fields: %(names)s. Use one of the fields listed beside the editor.")
            % {"names": ", ".join("{{ " + name + " }}" for name in unknown)}
        )
    if TEMPLATE_SYNTAX.search(FIELD.sub("", text)):
        errors.append(
            _("Only merge fields such as {{ name }} may be used; template tags are not allowed.")
        )
    return errors


def require_valid(texts: dict[str, str], entity_key: str, known: set[str] | None = None) -> None:
    """Raise ValidationError naming each field whose text has unknown merge fields."""
    errors = {name: check_text(text or "", entity_key, known) for name, text in texts.items()}
    errors = {name: messages for name, messages in errors.items() if messages}
    if errors:
        raise ValidationError(errors)


def readers_of(addresses, sender=None) -> list:
    """The users who will read a mail to ``addresses`` sent by ``sender`` (None: the system):
    the active users with those addresses, and the sender. One query; none when no field of
    any entity is hidden from anyone."""
    if not hides_anything():
        return [sender] if sender is not None else []
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    wanted = Q(pk__in=[])
    for address in addresses:
        if address and address.strip():
            wanted |= Q(email__iexact=address.strip())
    users = list(get_user_model().objects.filter(wanted, is_active=True))
    return users + ([sender] if sender is not None else [])


class _Values:
    """The display values of one record, looked up lazily and remembered; empty for a field
    hidden from any of ``readers``."""

    def __init__(self, record, readers=()):
        self.record = record
        self.readers = list(readers)
        known = record is not None and registry.has_model(record)
        self.entity = registry.for_model(record) if known else None
        self._cache: dict[str, str] = {}

    def _hidden(self, entity: Entity | None) -> frozenset[str]:
        if entity is None or not self.readers:
            return frozenset()
        return frozenset().union(*(hidden_fields(entity, user) for user in self.readers))

    def __getitem__(self, name: str) -> str:
        if name not in self._cache:
            self._cache[name] = self._lookup(name)
        return self._cache[name]

    def _lookup(self, name: str) -> str:
        record = self.record
        if record is None:
            return ""
        if name == "name":
            return str(record)
        root, _dot, rest = name.partition(".")
        if name in self._hidden(self.entity) or (rest and root in self._hidden(self.entity)):
            return ""
        if root == "custom":
            return self._custom(rest)
        if not rest:
            return _text(field_display(record, root))
        linked = self._linked(root)
        if linked is None:
            return ""
        if rest == "name":
            return str(linked)
        target = registry.for_model(linked) if registry.has_model(linked) else None
        return "" if rest in self._hidden(target) else _text(field_display(linked, rest))

    def _linked(self, root: str):
        for field in self.record._meta.get_fields():
            if not (field.is_relation and field.concrete) or _link_name(field) != root:
                continue
            if not field.many_to_many:
                return getattr(self.record, field.name)
            related = getattr(self.record, field.name)
            through = field.remote_field.through
            if any(f.name == "is_primary" for f in through._meta.get_fields()):
                source = field.m2m_field_name()
                target = field.m2m_reverse_field_name()
                link = (
                    through.objects.filter(**{source: self.record})
                    .order_by("-is_primary", "pk")
                    .select_related(target)
                    .first()
                )
                return getattr(link, target) if link else None
            return related.order_by("pk").first()
        return None

    def _custom(self, key: str) -> str:
        stored = getattr(self.record, "custom", None) or {}
        if self.entity is None or stored.get(key) in (None, "", []):
            return ""
        for definition in definitions_for(self.entity):
            if definition.key == key:
                return _text(display_value(definition, stored[key]))
        return ""


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def render_text(text: str, record, *, html: bool, readers=()) -> str:
    """``text`` with each merge field replaced by the record's value (escaped when ``html``);
    a field hidden from any of ``readers`` (users, ``readers_of``) is left empty."""
    values = _Values(record, readers)

    def replace(match: re.Match) -> str:
        value = values[match.group(1)]
        return escape(value) if html else value

    return FIELD.sub(replace, text)
