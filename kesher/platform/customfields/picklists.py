"""Settings kept on pick-list values (``Choice.extra``), declared once by the app that owns the
list: a task type's SLA hours, which task statuses close a task, a relationship type's reverse
labels (REQ CX-4, TK-4; issue "Platform v2" item 10).

An app declares its lists' settings with ``declare_settings`` when it loads; from that one
declaration the generic pick-list form shows a field per setting of the value's list, the API's
``extra`` object is validated key by key (errors under ``extra.<key>``), and the value's page
shows them. The platform itself declares only what holds for every list (``default``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from kesher.platform.models import Choice

    # The form ChoiceSettingsForm is mixed into, as the type checker sees it.
    _ChoiceFormBase = forms.ModelForm[Choice]
else:
    _ChoiceFormBase = object

__all__ = [
    "EVERY_LIST",
    "ChoiceSettingsForm",
    "ChoiceSettingsMixin",
    "Setting",
    "clean_settings",
    "declare_settings",
    "error_key",
    "settings_for",
]

EVERY_LIST = "*"
KINDS = ("boolean", "integer", "text")


@dataclass(frozen=True)
class Setting:
    """One setting of a list's values: its key in ``extra``, kind, label and limits."""

    key: str
    kind: str  # one of KINDS
    label: StrOrPromise
    help_text: StrOrPromise = ""
    min_value: int | None = None
    max_value: int | None = None
    max_length: int = 200

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"setting {self.key!r}: unknown kind {self.kind!r}")

    def clean(self, value):
        """The value to store, None to remove the setting; ValidationError when it is not of
        this setting's kind."""
        if value is None:
            return None
        if self.kind == "boolean":
            if not isinstance(value, bool):
                raise ValidationError(_("Enter true or false."))
            return value
        if self.kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(_("Enter a whole number."))
            low = self.min_value if self.min_value is not None else value
            high = self.max_value if self.max_value is not None else value
            if not low <= value <= high:
                raise ValidationError(
                    _("Enter a number from %(min)s to %(max)s.")
                    % {"min": self.min_value, "max": self.max_value}
                )
            return value
        if not isinstance(value, str):
            raise ValidationError(_("Enter text."))
        from kesher.platform.records.services import clean_text

        value = clean_text(value)
        if len(value) > self.max_length:
            raise ValidationError(
                _("Ensure this value has at most %(limit)d characters (it has %(length)d).")
                % {"limit": self.max_length, "length": len(value)}
            )
        return value or None

    def form_field(self) -> forms.Field:
        common: dict[str, Any] = {
            "label": self.label,
            "help_text": self.help_text,
            "required": False,
        }
        if self.kind == "boolean":
            return forms.BooleanField(**common)
        if self.kind == "integer":
            return forms.IntegerField(min_value=self.min_value, max_value=self.max_value, **common)
        return forms.CharField(max_length=self.max_length, **common)

    def describe(self) -> str:
        if self.kind == "integer" and self.min_value is not None:
            return f"{self.key} (integer, {self.min_value}–{self.max_value})"
        return f"{self.key} ({self.kind})"


_declared: dict[str, dict[str, Setting]] = {}
_checks: dict[str, Callable[[dict], dict]] = {}


def declare_settings(
    list_key: str, *settings: Setting, check: Callable[[dict], dict] | None = None
) -> None:
    """Declare the settings of the values of list ``list_key`` (``EVERY_LIST``: of every list).
    ``check(settings)`` may add a rule between them: it returns ``{key: message}``."""
    declared = _declared.setdefault(list_key, {})
    for setting in settings:
        if setting.key in declared:
            raise ValueError(f"setting {setting.key!r} of list {list_key!r} is declared twice")
        declared[setting.key] = setting
    if check is not None:
        _checks[list_key] = check


def settings_for(list_key: str) -> tuple[Setting, ...]:
    """The settings of ``list_key``'s values: the list's own, then those of every list."""
    return (*_declared.get(list_key, {}).values(), *_declared.get(EVERY_LIST, {}).values())


def error_key(key: str) -> str:
    return f"extra.{key}"


def clean_settings(list_key: str, submitted, stored: dict) -> dict:
    """The settings to store: ``stored`` with the ``submitted`` keys changed (None removes
    one). Keys the list does not declare and values of the wrong kind raise ValidationError
    under ``extra.<key>``, naming it."""
    if submitted is None:
        return dict(stored)
    if not isinstance(submitted, dict):
        raise ValidationError({"extra": [_("Send the settings as an object, by key.")]})
    declared = {setting.key: setting for setting in settings_for(list_key)}
    result, errors = dict(stored), {}
    for key, value in submitted.items():
        setting = declared.get(key)
        if setting is None:
            errors[error_key(key)] = [_("This list has no such setting.")]
            continue
        try:
            value = setting.clean(value)
        except ValidationError as exc:
            errors[error_key(key)] = exc.messages
            continue
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    if not errors and list_key in _checks:
        errors = {error_key(k): [message] for k, message in _checks[list_key](result).items()}
    if errors:
        raise ValidationError(errors)
    return result


# --- the generic form and the API ------------------------------------------------------------


def form_name(key: str) -> str:
    return error_key(key)  # so that a service's error lands on its field


class ChoiceSettingsForm(_ChoiceFormBase):
    """Mixed into the pick-list value's generic form (``Entity.form_mixin``): a field for each
    setting its list declares, composed into ``extra`` when the form is cleaned. On the page
    that creates a value, choosing the list brings its settings' fields (htmx)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.extra or {}
        for setting in settings_for(self._list_key()):
            field = setting.form_field()
            field.initial = stored.get(setting.key)
            self.fields[form_name(setting.key)] = field
        if self.instance.pk is None and "list_key" in self.fields:
            self.fields["list_key"].widget.attrs.update(
                {
                    "hx-get": reverse("entity_create", args=["choices"]),
                    "hx-trigger": "change",
                    "hx-include": "closest form",
                    "hx-select": ".record-form",
                    "hx-target": "closest form",
                    "hx-swap": "outerHTML",
                }
            )

    def _list_key(self) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix("list_key"), "") or ""
        return self.initial.get("list_key") or self.instance.list_key or ""

    def clean(self):
        cleaned = super().clean()
        assert cleaned is not None  # a ModelForm's clean() returns its cleaned_data
        declared = settings_for(self._list_key())
        if declared:
            cleaned["extra"] = {
                setting.key: cleaned.pop(form_name(setting.key), None) for setting in declared
            }
        return cleaned


def _settings_help() -> str:
    lists = sorted(key for key in _declared if key != EVERY_LIST)
    described = "; ".join(
        f"{key}: " + ", ".join(setting.describe() for setting in settings_for(key)) for key in lists
    )
    common = ", ".join(s.describe() for s in _declared.get(EVERY_LIST, {}).values())
    return (
        "The value's settings, by key; which keys a list has is declared by the app that owns "
        f"it. Every list: {common}. {described}. On update only the keys sent change; null "
        'removes one. A wrong key or kind answers 400 under "extra.<key>".'
    )


class ChoiceSettingsMixin(serializers.Serializer):
    """The pick-list value's serializer (``Entity.serializer_mixin``): ``extra``, the settings,
    which the services validate against the list's declaration."""

    extra = serializers.JSONField(
        required=False, label=gettext_lazy("settings"), help_text=lazy(_settings_help, str)()
    )
