"""Audit entries as their reader reads them (decision 0042; issue 14 items 2 and 7).

An entry stores values (``kesher.platform.records.audit``); they are turned into text when
read, for the one reading: labels of fields and custom fields, pick-list values and choices in
his language, dates in his time zone as dd/mm/yyyy (HH:MM), money with ₪ and separators, and a
linked record by its name only when he may see it (``linkable``): otherwise "a record you
cannot see", and a count of those among several. Entries written before values were stored
(format 1) hold their writer's text; it is shown as it was, but the name of a linked record
only to a reader who sees every record of its kind (the name cannot be checked).

``describe`` gives a whole timeline's entries their rows with a bounded number of queries:
one per kind of record they name, one for custom pick-list labels.
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kesher.platform.access import linkable
from kesher.platform.customfields.values import definitions_for
from kesher.platform.fields import PhoneField, format_phone_national
from kesher.platform.models import AuditEntry, Choice, CustomField
from kesher.platform.records.audit import FORMAT_KEY, fact_for, ref_key
from kesher.platform.registry import registry
from kesher.platform.ui.display import format_money, format_number, format_when

__all__ = ["describe"]

CUSTOM_PREFIX = "custom_fields."
T = CustomField.Type


def describe(entries, user) -> list:
    """``entries`` (audit entries among other timeline items) with ``rows`` set on each audit
    entry: ``(label, old, new)`` texts for ``user``, in the active language and time zone."""
    entries = list(entries)
    audits = [entry for entry in entries if isinstance(entry, AuditEntry)]
    reader = _Reader(user)
    plans = [(entry, reader.plan(entry)) for entry in audits]
    reader.fetch()
    for entry, plan in plans:
        entry.rows = [
            (str(label), reader.text(old, how), reader.text(new, how))
            for label, how, old, new in plan
        ]
    return entries


class _Subject:
    """What an entry's keys mean for one kind of record: its fields and custom fields."""

    def __init__(self, model):
        self.model = model
        self.definitions = {}
        if model is not None and registry.has_model(model):
            key = registry.for_model(model).key
            self.definitions = {d.key: d for d in definitions_for(key, active_only=False)}

    def resolve(self, key: str):
        """(label, what its values are): a model field, a custom field, a fact, or None."""
        if key.startswith(CUSTOM_PREFIX):
            definition = self.definitions.get(key.removeprefix(CUSTOM_PREFIX))
            if definition is not None:
                return definition.label, definition
            return key.removeprefix(CUSTOM_PREFIX), None
        if self.model is not None:
            try:
                field = self.model._meta.get_field(key)
            except FieldDoesNotExist:
                field = None
            if field is not None:
                label = getattr(field, "verbose_name", None)
                return label or field.related_model._meta.verbose_name_plural, field
        fact = fact_for(key)
        if fact is not None:
            return fact.label, fact
        return key, None

    def label(self, key: str) -> str:
        return str(self.resolve(key)[0])


class _How:
    """How one key's values read: by its field, custom field or fact."""

    def __init__(self, subject: _Subject, what):
        self.subject, self.what = subject, what


class _Reader:
    """The reader, and what his entries name: fetched together, then read from memory."""

    def __init__(self, user):
        self.user = user
        self.subjects: dict[int, _Subject] = {}
        self.wanted: dict[str, set] = defaultdict(set)
        self.choices: set[tuple[str, str]] = set()
        self.names: dict[tuple[str, int | None], str] = {}
        self.labels: dict[tuple[str, str], str] = {}
        self._sees_all: dict[str, bool] = {}

    # --- the first pass: what the entries need -------------------------------------------------

    def plan(self, entry) -> list[tuple]:
        subject = self.subjects.get(entry.content_type_id)
        if subject is None:
            model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
            subject = self.subjects[entry.content_type_id] = _Subject(model)
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        plan = []
        for key, change in changes.items():
            if key == FORMAT_KEY:
                continue
            old, new = change if isinstance(change, list) and len(change) == 2 else (None, change)
            label, what = subject.resolve(key)
            how = _How(subject, what)
            for value in (old, new):
                self._want(value, how)
            plan.append((label, how, old, new))
        return plan

    def _want(self, value, how: _How) -> None:
        if isinstance(value, dict) and "ref" in value:
            ids = value.get("ids", [value.get("id")])
            self.wanted[str(value["ref"])].update(i for i in ids if isinstance(i, int))
        elif isinstance(how.what, CustomField) and value not in (None, "", []):
            definition = how.what
            if definition.type in (T.USER, T.LINK):
                self._want(self._custom_ref(definition, value), how)
            elif definition.type in (T.CHOICE, T.MULTI_CHOICE):
                for item in value if isinstance(value, list) else [value]:
                    self.choices.add((definition.choice_list, str(item)))

    @staticmethod
    def _custom_ref(definition: CustomField, value) -> dict:
        target = ref_key(get_user_model()) if definition.type == T.USER else definition.link_entity
        return {"ref": target, "id": value}

    def fetch(self) -> None:
        """One query per kind of record named, one for the custom pick-lists' labels."""
        for key, ids in self.wanted.items():
            for obj in self._visible(key).filter(pk__in=ids):
                self.names[(key, obj.pk)] = str(obj)
        if self.choices:
            lists = {list_key for list_key, _value in self.choices}
            values = {value for _list, value in self.choices}
            rows = Choice.objects.filter(Q(list_key__in=lists) & Q(value__in=values))
            self.labels = {(c.list_key, c.value): c.label for c in rows}

    def _model(self, key: str):
        if "." in key:
            try:
                return apps.get_model(key)
            except (LookupError, ValueError):
                return None
        try:
            return registry.get(key).model
        except KeyError:
            return None

    def _visible(self, key: str) -> models.QuerySet:
        """The records of kind ``key`` the reader may see named; a model that is no entity
        (tags) has no scope."""
        model = self._model(key)
        if model is None:
            return Choice.objects.none()
        if "." in key:
            return model._base_manager.all()
        entity = registry.get(key)
        return linkable(model.objects.select_related(*entity.select_related), self.user)

    def sees_all(self, key: str) -> bool:
        """Whether every record of kind ``key`` is in the reader's scope (no query)."""
        if key not in self._sees_all:
            visible = self._visible(key) if self._model(key) is not None else None
            self._sees_all[key] = visible is not None and not visible.query.where
        return self._sees_all[key]

    # --- the second pass: the texts ------------------------------------------------------------

    def text(self, value, how: _How) -> str:
        if value is None or value == "" or value == []:
            return ""
        if isinstance(value, dict) and "ref" in value:
            return self._ref_text(value)
        what = how.what
        if isinstance(what, CustomField):
            return self._custom_text(value, what)
        if isinstance(what, models.Field | models.ForeignObjectRel):
            return self._field_text(value, what)
        if isinstance(value, dict) and "fields" in value:
            return ", ".join(how.subject.label(key) for key in value["fields"])
        if isinstance(value, dict) and "counts" in value:
            return ", ".join(
                f"{self._kind_label(label)}: {format_number(count)}"
                for label, count in sorted(value["counts"].items())
            )
        choices = getattr(what, "choices", None)
        if choices and isinstance(value, str | int) and value in choices:
            return str(choices[value])
        return self._plain(value)

    def _plain(self, value) -> str:
        if isinstance(value, bool):
            return _("Yes") if value else _("No")
        if isinstance(value, list):
            return ", ".join(self._plain(item) for item in value if item not in (None, ""))
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def _kind_label(self, label: str) -> str:
        model = self._model(label) if "." in label else None
        if model is None:
            return label
        declared = model._meta.auto_created
        if declared:
            # A many-to-many field's own table (a contact's tags): named by the field, since
            # Django names the table in the language active when it started.
            for field in declared._meta.many_to_many:
                if field.remote_field.through is model:
                    return str(field.verbose_name)
        return str(model._meta.verbose_name_plural)

    def _ref_text(self, value: dict) -> str:
        key = str(value["ref"])
        if "ids" in value:
            return self._refs_text(key, value["ids"])
        name = self.names.get((key, value.get("id")))
        if name is None:
            return self._with_missing([], 1, deleted=self.sees_all(key))
        note = value.get("note")
        return f"{name} ({note})" if note else name

    def _refs_text(self, key: str, ids: list) -> str:
        names = sorted(name for i in ids if (name := self.names.get((key, i))) is not None)
        missing = len(ids) - len(names)
        return self._with_missing(names, missing, deleted=self.sees_all(key))

    @staticmethod
    def _with_missing(names: list[str], missing: int, *, deleted: bool) -> str:
        if missing and not names:
            if deleted:
                text = ngettext("a deleted record", "%(count)d deleted records", missing)
            else:
                text = ngettext(
                    "a record you cannot see", "%(count)d records you cannot see", missing
                )
            return text % {"count": missing}
        shown = ", ".join(names)
        if not missing:
            return shown
        if deleted:
            more = ngettext("and one deleted", "and %(count)d deleted", missing)
        else:
            more = ngettext(
                "and one more you cannot see", "and %(count)d more you cannot see", missing
            )
        return f"{shown} {more % {'count': missing}}"

    def _field_text(self, value, field) -> str:
        if field.is_relation:
            # Not a reference: format 1 stored the name its writer saw. Shown only to who sees
            # every record of that kind, since which record it names cannot be checked.
            if self.sees_all(ref_key(field.related_model)):
                return self._plain(value)
            count = len(value) if isinstance(value, list) else 1
            return self._with_missing([], count, deleted=False)
        if isinstance(value, bool):
            return self._plain(value)
        if isinstance(value, list):
            return ", ".join(self._field_text(item, field) for item in value)
        if isinstance(field, PhoneField):
            return format_phone_national(str(value))
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(field, models.DateTimeField):
            return _when(value, datetime.datetime)
        if isinstance(field, models.DateField):
            return _when(value, datetime.date)
        if isinstance(field, models.TimeField):
            return _when(value, datetime.time)
        if getattr(field, "money_currency_field", "") is None:  # money in shekels
            return format_money(value)
        if isinstance(field, models.DecimalField | models.FloatField):
            return format_number(value)
        return self._plain(value)

    def _custom_text(self, value, definition: CustomField) -> str:
        kind = definition.type
        if kind == T.MONEY:
            return format_money(value)
        if kind in (T.DECIMAL, T.INTEGER):
            return format_number(value)
        if kind == T.DATE:
            return _when(value, datetime.date)
        if kind == T.DATETIME:
            return _when(value, datetime.datetime)
        if kind in (T.USER, T.LINK):
            return self._ref_text(self._custom_ref(definition, value))
        if kind in (T.CHOICE, T.MULTI_CHOICE):
            items = value if isinstance(value, list) else [value]
            return ", ".join(
                self.labels.get((definition.choice_list, str(item)), str(item)) for item in items
            )
        if kind == T.PHONE:
            return format_phone_national(str(value))
        return self._plain(value)


def _when(value, kind) -> str:
    """ISO text as dd/mm/yyyy (HH:MM) in the reader's time zone; other text unchanged."""
    try:
        parsed = kind.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if kind is datetime.datetime and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, datetime.UTC)
    return format_when(parsed)
