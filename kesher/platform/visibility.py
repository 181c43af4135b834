"""Field-level visibility: which fields of an entity a user does not see (REQ CX-9; issue
"Platform v2" item 8; decision 0047).

An administrator hides a field, built-in or custom, or a whole section of the record's page from
chosen roles with a field rule (``FieldRule.hidden_roles``). ``hidden_fields(entity, user)`` is
the one answer every surface asks — the record's page and forms, lists and their filters,
saved views, export, the API, bulk updates, the importer, search and the record picker, the
timeline, e-mail merge fields, and the reports to come — so a hidden value is nowhere to be
read, sorted, filtered or searched by. Administrators see everything; so does the system
(``user`` None: automation, the worker).

The answer is kept per process for each entity and role under the stamps of what it is made of
(field rules and custom fields, roles): a request asks it without a query.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy

from kesher.platform import stamps
from kesher.platform.access import is_admin
from kesher.platform.customfields.values import definitions_for
from kesher.platform.models import AuditEntry, FieldRule
from kesher.platform.records.audit import FORMAT_KEY
from kesher.platform.registry import Entity, registry

__all__ = [
    "MORE_DETAILS",
    "audit_key",
    "find_section",
    "hidden_fields",
    "hides_anything",
    "section_choices",
    "section_fields",
    "sections_of",
    "shown_changes",
    "without_hidden_changes",
]

# Where the record's page shows custom fields that name no section.
MORE_DETAILS = gettext_lazy("More details")
NOTHING: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PageSection:
    """A section of an entity's page: its stored name, its title, and its fields (built-in
    names and ``custom.<key>``)."""

    name: str
    title: object
    fields: tuple[str, ...]

    def answers_to(self, name: str) -> bool:
        """Whether ``name`` names this section: its stored name, or its title in any of the
        interface's languages (an API client may write the Hebrew title)."""
        wanted = name.strip().casefold()
        return wanted == self.name.casefold() or wanted in {
            _title_in(self.title, code).casefold() for code, _label in settings.LANGUAGES
        }


def _title_in(title, language: str | None) -> str:
    with translation.override(language):
        return str(title).strip()


def sections_of(entity: Entity | str) -> list[PageSection]:
    """The entity's page sections: the registration's, then each custom-field section (inactive
    fields too: hiding a section hides what it will hold when they come back). A custom section
    titled like a built-in one is the same section, as the reader sees it."""
    entity = registry.get(entity) if isinstance(entity, str) else entity
    sections: dict[str, PageSection] = {}
    for section in entity.sections:
        # Stored under the title's source text: one name whatever the reader's language.
        name = _title_in(section.title, None)
        sections[name.casefold()] = PageSection(name, section.title, tuple(section.fields))
    if entity.has_custom_fields:
        for definition in definitions_for(entity, active_only=False):
            title = definition.section.strip() or MORE_DETAILS
            found = next((s for s in sections.values() if s.answers_to(str(title))), None)
            key = f"custom.{definition.key}"
            if found is None:
                name = definition.section.strip() or _title_in(MORE_DETAILS, None)
                sections[name.casefold()] = PageSection(name, title, (key,))
            else:
                sections[found.name.casefold()] = PageSection(
                    found.name, found.title, (*found.fields, key)
                )
    return list(sections.values())


def find_section(entity: Entity | str, name: str) -> PageSection | None:
    return next((s for s in sections_of(entity) if s.answers_to(name)), None)


def section_fields(entity: Entity | str, name: str) -> frozenset[str]:
    """The fields of the section ``name`` (by stored name or title), none if there is none."""
    found = find_section(entity, name)
    return frozenset(found.fields) if found else NOTHING


def section_choices() -> list:
    """Every entity's sections for a form's select: grouped by entity, titled in the reader's
    language, valued by their stored names."""
    groups: list[tuple[str, str | list[tuple[str, str]]]] = [("", "—")]
    for entity in registry.all():
        options = [(s.name, str(s.title)) for s in sections_of(entity)]
        if options:
            groups.append((str(entity.label_plural), options))
    return groups


def _role_keys() -> dict[int, str]:
    from kesher.org.models import Role

    return stamps.cached(
        stamps.ROLES, "role-keys", lambda: dict(Role.objects.values_list("pk", "key"))
    )


def _hiding_rules() -> dict[str, list[FieldRule]]:
    """Every active rule that hides something, by entity: one query per process and change."""

    def load():
        rules: dict[str, list[FieldRule]] = {}
        for rule in FieldRule.objects.filter(active=True).order_by("pk"):
            if rule.hidden_roles:
                rules.setdefault(rule.entity, []).append(rule)
        return rules

    return stamps.cached(stamps.FIELDS, "hiding-rules", load)


def _hidden_for_role(key: str, role_id: int) -> frozenset[str]:
    entity = registry.get(key)
    names: set[str] = {
        name
        for name, (other, other_field) in entity.hidden_with.items()
        if other_field in _hidden_for_role(other, role_id)
    }
    rules = _hiding_rules().get(key)
    if not rules:
        return frozenset(names) if names else NOTHING
    role = _role_keys().get(role_id)
    for rule in rules:
        if role not in rule.hidden_roles:
            continue
        if rule.section:
            names |= section_fields(entity, rule.section)
        elif rule.field:
            names.add(rule.field)
    return frozenset(names)


def hidden_fields(entity: Entity | str, user) -> frozenset[str]:
    """The fields of ``entity`` that ``user`` does not see: built-in field names and
    ``custom.<key>`` for custom fields (a hidden section contributes all of its fields).

    Empty for administrators, superusers and the system (``user`` None). Kept per process for
    each entity and role until a field rule, a custom field or a role changes (``stamps``):
    no query in a request, whether the role hides something or not.
    """
    if user is None or not getattr(user, "is_authenticated", False) or is_admin(user):
        return NOTHING
    role_id = getattr(user, "role_id", None)
    if role_id is None:
        return NOTHING  # a user with no role sees no records at all
    key = entity if isinstance(entity, str) else entity.key
    return stamps.cached(
        (stamps.FIELDS, stamps.ROLES),
        f"hidden:{key}:{role_id}",
        lambda: _hidden_for_role(key, role_id),
    )


def hides_anything() -> bool:
    """Whether any active rule hides anything from anyone (kept like ``hidden_fields``): lets
    a caller skip finding out who will read something when nothing is hidden."""
    return bool(_hiding_rules())


def audit_key(name: str) -> str:
    """The key under which an audit entry records a change of field ``name``
    (``custom.<key>`` is ``custom_fields.<key>`` there, as in the API)."""
    if name.startswith("custom."):
        return f"custom_fields.{name.removeprefix('custom.')}"
    return name


def shown_changes(entity: Entity | str, user, changes: dict) -> dict:
    """An audit entry's ``changes`` without those of fields ``user`` does not see: for the
    timeline, its renderer and notifications of changes."""
    hidden = hidden_fields(entity, user)
    if not hidden or not changes:
        return changes
    keys = {audit_key(name) for name in hidden}
    return {name: change for name, change in changes.items() if name not in keys}


def without_hidden_changes(entries, entity: Entity | str, user) -> list:
    """A record's timeline as ``user`` may read it: each audit entry keeps only the changes of
    fields he sees, and an update that changed nothing else is left out; what apps add
    (``TimelineItem``) passes as it is. Entries are changed in memory only, never saved."""
    if not hidden_fields(entity, user):
        return list(entries)
    shown = []
    for entry in entries:
        if isinstance(entry, AuditEntry) and isinstance(entry.changes, dict):
            kept = shown_changes(entity, user, entry.changes)
            # The format marker (decision 0042) is no change of its own.
            changed = set(kept) - {FORMAT_KEY}
            if entry.changes and not changed and entry.action == AuditEntry.Action.UPDATE:
                continue
            entry.changes = kept
        shown.append(entry)
    return shown
