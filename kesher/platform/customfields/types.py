"""The custom-field types, each declared once (STYLE.md: "a custom-field type declares all its
behaviour in one place"; REQ CX-2, CX-3).

A ``FieldType`` says how a value of its type is checked and stored, which form field edits it,
how a page, a list, an export or the timeline shows it, which operators the filter language
offers on it and how the importer reads it from a cell. Every layer asks the table
(``type_of``) instead of switching on the type itself, so a new type is one entry here.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from stdnum import exceptions as stdnum_errors
from stdnum.il import hp, idnr

from kesher.platform.fields import format_phone_national, normalize_phone
from kesher.platform.models import Choice, CustomField
from kesher.platform.registry import registry

__all__ = ["TYPES", "DisplayContext", "FieldType", "options_of", "type_of"]

MAX_TEXT = 1000
MAX_LONG_TEXT = 20_000
EMPTY: tuple[object, ...] = (None, "", [])


@dataclass
class DisplayContext:
    """What showing many values at once needs, loaded once: pick-list labels by (list, value)
    and the names of linked records by (entity key, id) — a list of 50 rows costs one query
    per kind of link, not one per cell."""

    labels: dict[tuple[str, str], str]
    names: dict[tuple[str, int], str]

    @classmethod
    def for_values(cls, pairs) -> DisplayContext:
        """``pairs``: (definition, stored value) of everything about to be shown."""
        pairs = [(d, v) for d, v in pairs if v not in EMPTY]
        lists = {d.choice_list for d, _v in pairs if type_of(d).choice_list}
        labels = (
            {(c.list_key, c.value): c.label for c in Choice.objects.filter(list_key__in=lists)}
            if lists
            else {}
        )
        wanted: dict[str, set[int]] = {}
        for definition, value in pairs:
            key = _link_target(definition)
            if key is not None and isinstance(value, int):
                wanted.setdefault(key, set()).add(value)
        names = {}
        for key, ids in wanted.items():
            for obj in registry.get(key).model._base_manager.filter(pk__in=ids):
                names[key, obj.pk] = str(obj)
        return cls(labels, names)


@dataclass(frozen=True)
class FieldType:
    """Everything one custom-field type does, in every layer."""

    key: str
    # value (not empty), definition, parent value, actor -> the stored JSON value
    clean: Callable[..., Any]
    # definition, user, values of the record's other custom fields, common kwargs -> form field
    form_field: Callable[..., forms.Field]
    # definition, stored value (not empty), DisplayContext -> text for people
    display: Callable[[CustomField, Any, DisplayContext], str]
    # The filter language's kind of value (its operators): text, number, date, datetime,
    # boolean, choice, multi, ref.
    filter_kind: str
    # How the importer reads a cell before ``clean``: text, phone, date, boolean, choice, user.
    import_kind: str = "text"
    # Whether its values come from a pick-list (``choice_list``).
    choice_list: bool = False
    # Whether a database index can serve its filters and sorts.
    indexable: bool = True
    # The stored value of "nothing".
    empty: Any = None
    # A stored value as the form field's initial value.
    initial: Callable[[Any], Any] = lambda value: value
    # How the global search indexes its values: "word", "email", "phone", or not at all.
    search: str | None = None

    @property
    def many(self) -> bool:
        """Its value is a list (several pick-list values)."""
        return self.filter_kind == "multi"

    @property
    def links(self) -> bool:
        """Its value is the id of a record (a user, or a record of an entity)."""
        return self.filter_kind == "ref"


def type_of(definition: CustomField) -> FieldType:
    try:
        return TYPES[definition.type]
    except KeyError:
        raise ValidationError(_("Unknown field type.")) from None


# --- checking and storing -------------------------------------------------------------------------


def _text(value, limit: int) -> str:
    from kesher.platform.records.services import clean_text

    if not isinstance(value, str):
        raise ValidationError(_("Enter text."))
    value = clean_text(value)
    if len(value) > limit:
        raise ValidationError(
            _("Ensure this value has at most %(limit)d characters (it has %(length)d).")
            % {"limit": limit, "length": len(value)}
        )
    return value


def _number(value, *, integer: bool = False, places: int | None = None):
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number."))
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(_("Enter a number.")) from None
    if not number.is_finite() or abs(number) >= Decimal("1e15"):
        raise ValidationError(_("Enter a number."))
    if integer:
        if number != number.to_integral_value():
            raise ValidationError(_("Enter a whole number."))
        return int(number)
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places))
    return float(number)


def _date(value) -> str:
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."))


def _datetime(value) -> str:
    parsed = value if isinstance(value, datetime.datetime) else None
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise ValidationError(_("Enter a valid date and time."))
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    # Stored in UTC so that stored values sort and compare as text.
    return parsed.astimezone(datetime.UTC).isoformat(timespec="seconds")


def _boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "on", "yes", "כן"):
        return True
    if isinstance(value, str) and value.lower() in ("false", "0", "off", "no", "לא"):
        return False
    raise ValidationError(_("Enter yes or no."))


def _choice(definition: CustomField, value, parent_value) -> str:
    text = _text(value, 200)
    choice = Choice.objects.filter(list_key=definition.choice_list, value=text).first()
    if choice is None or not choice.active:
        if definition.allow_free_text and not definition.parent_id:
            return text
        raise ValidationError(
            _("Select a valid choice. %(value)s is not one of the available choices.")
            % {"value": text[:60]}
        )
    if definition.parent_id:
        parent_key = choice.parent.value if choice.parent else None
        if parent_value in EMPTY:
            raise ValidationError(
                # parent_id is set: the parent exists.
                _("Choose %(parent)s first.") % {"parent": definition.parent.label}  # type: ignore[union-attr]
            )
        if parent_key != parent_value:
            raise ValidationError(
                _("%(value)s does not belong to %(parent)s.")
                % {"value": choice.label, "parent": parent_value}
            )
    return text


def _choices(definition: CustomField, value, parent_value) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if len(values) > 100:
        raise ValidationError(_("Too many values."))
    return list(dict.fromkeys(_choice(definition, v, parent_value) for v in values))


def _record_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(_("Enter a record id."))
    try:
        return int(value)
    except ValueError:
        raise ValidationError(_("Enter a record id.")) from None


def _user(definition: CustomField, value, parent_value, actor) -> int:
    from kesher.org.models import User

    pk = _record_id(value)
    if not User.objects.filter(pk=pk, is_active=True).exists():
        raise ValidationError(_("Choose an active user."))
    return pk


def _link(definition: CustomField, value, parent_value, actor) -> int:
    pk = _record_id(value)
    qs = registry.get(definition.link_entity).queryset()
    if actor is not None:
        qs = qs.visible_to(actor)
    if not qs.filter(pk=pk).exists():
        raise ValidationError(_("No such record."))
    return pk


def _email(value) -> str:
    text = _text(value, 254).lower()
    EmailValidator(message=_("Enter a valid email address."))(text)
    return text


def _url(value) -> str:
    text = _text(value, 500)
    URLValidator(message=_("Enter a valid URL."))(text)
    return text


def _stdnum(module, message) -> Callable[..., str]:
    def clean(definition, value, parent_value, actor) -> str:
        try:
            return module.validate(_text(value, 20))
        except stdnum_errors.ValidationError:
            raise ValidationError(message) from None

    return clean


def _plain(check: Callable[[Any], Any]) -> Callable[..., Any]:
    """A check of the value alone, in the table's signature."""
    return lambda definition, value, parent_value, actor: check(value)


# --- editing --------------------------------------------------------------------------------------


def options_of(definition: CustomField, parent_value, current) -> list[tuple[str, str]]:
    qs = Choice.objects.filter(list_key=definition.choice_list)
    if definition.parent_id:
        qs = qs.filter(parent__value=parent_value) if parent_value else qs.none()
    keep = current if isinstance(current, list) else [current]
    options = [
        (c.value, c.label) for c in qs.order_by("order", "pk") if c.active or c.value in keep
    ]
    known = {value for value, _label in options}
    # A free-text value, or one of a list that changed, still shows as it is stored.
    options += [(v, v) for v in keep if v and v not in known]
    return options


def _form(field_class, **widget_kwargs) -> Callable[..., forms.Field]:
    return lambda definition, user, values, common: field_class(**widget_kwargs, **common)


def _choice_field(definition, user, values, common) -> forms.Field:
    parent_value = values.get(definition.parent.key) if definition.parent_id else None
    choices = options_of(definition, parent_value, values.get(definition.key))
    return forms.ChoiceField(choices=[("", "—"), *choices], **common)


def _choices_field(definition, user, values, common) -> forms.Field:
    parent_value = values.get(definition.parent.key) if definition.parent_id else None
    choices = options_of(definition, parent_value, values.get(definition.key))
    return forms.MultipleChoiceField(choices=choices, **common)


def _user_field(definition, user, values, common) -> forms.Field:
    from kesher.org.models import User

    return forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), **common)


def _link_field(definition, user, values, common) -> forms.Field:
    from kesher.platform.ui.forms import RecordPicker

    target = registry.get(definition.link_entity)
    if target.large:
        return forms.IntegerField(widget=RecordPicker(target.key), **common)
    return forms.ModelChoiceField(queryset=target.queryset().visible_to(user), **common)


def _datetime_initial(value):
    try:
        return datetime.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value


# --- showing --------------------------------------------------------------------------------------


def _as_is(definition, value, context) -> str:
    return str(value)


def _label(definition, value, context) -> str:
    return context.labels.get((definition.choice_list, value), value)


def _labels(definition, value, context) -> str:
    return ", ".join(context.labels.get((definition.choice_list, v), v) for v in value)


def _when(parse) -> Callable[[CustomField, Any, DisplayContext], str]:
    def show(definition, value, context) -> str:
        from kesher.platform.ui.display import format_when

        try:
            return format_when(parse(value))
        except (TypeError, ValueError):
            return str(value)

    return show


def _number_shown(definition, value, context) -> str:
    from kesher.platform.ui.display import format_number

    return format_number(value)


def _money_shown(definition, value, context) -> str:
    from kesher.platform.ui.display import format_money

    return format_money(value)


def _yes_no(definition, value, context) -> str:
    return _("Yes") if value else _("No")


def _link_target(definition: CustomField) -> str | None:
    if definition.type == CustomField.Type.USER:
        return "users"
    if definition.type == CustomField.Type.LINK:
        return definition.link_entity or None
    return None


def _linked_name(definition, value, context) -> str:
    return context.names.get((_link_target(definition), value), f"#{value}")


def _phone_shown(definition, value, context) -> str:
    from kesher.platform.ui.display import PhoneText  # the pages' click-to-dial link

    return PhoneText(value) if value else format_phone_national(value)


T = CustomField.Type
_TEXT = _form(forms.CharField)

TYPES: dict[str, FieldType] = {
    t.key: t
    for t in (
        FieldType(
            T.TEXT, _plain(lambda v: _text(v, MAX_TEXT)), _TEXT, _as_is, "text", search="word"
        ),
        FieldType(
            T.LONG_TEXT,
            _plain(lambda v: _text(v, MAX_LONG_TEXT)),
            _form(forms.CharField, widget=forms.Textarea(attrs={"rows": 3})),
            _as_is,
            "text",
            indexable=False,
        ),
        FieldType(
            T.INTEGER,
            _plain(lambda v: _number(v, integer=True)),
            _form(forms.IntegerField),
            _number_shown,
            "number",
        ),
        FieldType(T.DECIMAL, _plain(_number), _form(forms.DecimalField), _number_shown, "number"),
        FieldType(
            T.MONEY,
            _plain(lambda v: _number(v, places=2)),
            _form(forms.DecimalField, decimal_places=2),
            _money_shown,
            "number",
        ),
        FieldType(
            T.DATE,
            _plain(_date),
            _form(forms.DateField, widget=forms.DateInput(attrs={"type": "date"})),
            _when(datetime.date.fromisoformat),
            "date",
            import_kind="date",
        ),
        FieldType(
            T.DATETIME,
            _plain(_datetime),
            _form(
                forms.DateTimeField,
                widget=forms.DateTimeInput(
                    attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
                ),
            ),
            _when(datetime.datetime.fromisoformat),
            "datetime",
            import_kind="date",
            initial=_datetime_initial,
        ),
        FieldType(
            T.BOOLEAN,
            _plain(_boolean),
            _form(forms.BooleanField),
            _yes_no,
            "boolean",
            import_kind="boolean",
        ),
        FieldType(
            T.CHOICE,
            lambda d, v, parent_value, actor: _choice(d, v, parent_value),
            _choice_field,
            _label,
            "choice",
            import_kind="choice",
            choice_list=True,
        ),
        FieldType(
            T.MULTI_CHOICE,
            lambda d, v, parent_value, actor: _choices(d, v, parent_value),
            _choices_field,
            _labels,
            "multi",
            import_kind="choice",
            choice_list=True,
            indexable=False,
            empty=[],
        ),
        FieldType(T.USER, _user, _user_field, _linked_name, "ref", import_kind="user"),
        FieldType(T.LINK, _link, _link_field, _linked_name, "ref"),
        FieldType(
            T.EMAIL,
            _plain(_email),
            _form(forms.CharField, widget=forms.EmailInput),
            _as_is,
            "text",
            search="email",
        ),
        FieldType(
            T.PHONE,
            _plain(lambda v: normalize_phone(_text(v, 40))),
            _form(
                forms.CharField,
                widget=forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "tel"}),
            ),
            _phone_shown,
            "text",
            import_kind="phone",
            search="phone",
        ),
        FieldType(
            T.URL, _plain(_url), _form(forms.CharField, widget=forms.URLInput), _as_is, "text"
        ),
        FieldType(
            T.ISRAELI_ID,
            _stdnum(idnr, gettext_lazy("Enter a valid Israeli ID number.")),
            _TEXT,
            _as_is,
            "text",
            search="word",
        ),
        FieldType(
            T.COMPANY_NUMBER,
            _stdnum(hp, gettext_lazy("Enter a valid company number.")),
            _TEXT,
            _as_is,
            "text",
            search="word",
        ),
    )
}
