"""Model fields every app uses: Israeli data validated and normalized wherever a value enters
Kesher, links to pick-lists and to the owning user.

``Model.full_clean`` runs ``to_python`` and the validators, so services, forms, the API and
the importer all store the same normalized value (REQ CX-3).
"""

import functools
import re
from types import ModuleType
from typing import TYPE_CHECKING

import phonenumbers
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from stdnum import exceptions as stdnum_errors
from stdnum.il import hp, idnr

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

__all__ = [
    "ACTIVE_USERS",
    "CompanyNumberField",
    "IsraeliIdField",
    "LowercaseEmailField",
    "PhoneField",
    "RoleKeysField",
    "SectionNameField",
    "choice_fk",
    "format_phone_national",
    "money",
    "normalize_phone",
    "owner_fk",
]

ACTIVE_USERS = {"is_active": True}


def normalize_phone(value: str, region: str | None = None) -> str:
    """Return ``value`` as E.164 (``+972525551234``); raise ValidationError if it is no phone."""
    value = (value or "").strip()
    if not value:
        return ""
    if value in _canonical:
        return value
    region = region or _default_region()
    national = _ISRAELI_NATIONAL.fullmatch(value.translate(_SEPARATORS)) if region == "IL" else None
    normalized = "+972" + national[1] if national else _e164(value, region)
    if len(_canonical) >= _CANONICAL_LIMIT:
        _canonical.clear()
    _canonical.add(normalized)
    return normalized


@functools.cache
def _default_region() -> str:
    # Read once: Django's settings object costs a tenth of a phone's normalizing (issue 26).
    return settings.KESHER_DEFAULT_PHONE_REGION


@receiver(setting_changed)
def _forget_default_region(setting, **kwargs):
    if setting == "KESHER_DEFAULT_PHONE_REGION":
        _default_region.cache_clear()


# The everyday Israeli forms ("054-123-4567", "03 555 1234"): a trunk 0, then a number of the
# lengths and leading digits phonenumbers' metadata for IL accepts as they are (its general
# pattern ``[57]\d{8}|[1-489]\d{7}``, less the 1 of special numbers and of 01x, which is an
# international prefix). phonenumbers strips the 0 and formats "+972" and the rest; so does
# this, without parsing (an import of 100,000 rows spent 5 s in parse). Anything else is
# parsed. test_phone_fields checks both agree.
_ISRAELI_NATIONAL = re.compile(r"0([2-489]\d{7}|[57]\d{8})")
_SEPARATORS = str.maketrans("", "", " -.()")

# Numbers this process already produced in E.164 (which normalizes to itself whatever the
# region): a stored or just-cleaned number is looked up, matched and saved again and again —
# an import parsed each one five times. Bounded, and emptied when full.
_CANONICAL_LIMIT = 100_000
_canonical: set[str] = set()


@functools.lru_cache(maxsize=65536)
def _e164(value: str, region: str) -> str:
    # Remembered: a value is normalized again by every clean, lookup and save it goes through
    # (an import of 100,000 rows did so five times a number). A bad number raises, and an
    # exception is not remembered.
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(_("Enter a valid phone number."), code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@functools.lru_cache(maxsize=4096)
def format_phone_national(value: str) -> str:
    """A stored E.164 number as people read it: national format for Israel, else international."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    if phonenumbers.region_code_for_number(number) == settings.KESHER_DEFAULT_PHONE_REGION:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class PhoneField(models.CharField):
    """A phone number stored in E.164, Israel as the default region."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        return normalize_phone(super().to_python(value) or "")

    def formfield(self, **kwargs):
        # People type "+972 (0)52-555-1234": the form takes the typed text, the stored E.164
        # value is checked against max_length after normalization.
        return super().formfield(**{"max_length": 40, **kwargs})


# Lower-case addresses every version of Django's EmailValidator accepts: a dot-atom local
# part and host names of letters, digits and inner hyphens under a top-level domain of letters.
PLAIN_EMAIL = re.compile(
    r"[a-z0-9_%+-]+(?:\.[a-z0-9_%+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    re.ASCII,
)


class LowercaseEmailField(models.EmailField):
    """An e-mail address stored in lower case (issue 14 item 7): whatever writes it — a form,
    the API, an import, a bulk update, a plain ``save`` — and whatever compares with it (an
    exact lookup lower-cases its value too), so one address is one value everywhere."""

    def to_python(self, value):
        value = super().to_python(value)
        return value.strip().lower() if isinstance(value, str) else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value.lower() if isinstance(value, str) else value

    def clean(self, value, model_instance):
        # An everyday address passes every check Django's own would make (the e-mail and
        # length validators) and is taken at once: checking it the long way was a tenth of an
        # import's time (issue 26). Anything else goes the long way, with its messages.
        value = self.to_python(value)
        if (
            type(value) is str
            and len(value) <= (self.max_length or 0)
            and not getattr(self, "_validators", None)  # none declared on the field itself
            and PLAIN_EMAIL.fullmatch(value)
        ):
            return value
        return super().clean(value, model_instance)

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str) and value != value.lower():
            value = value.lower()
            setattr(model_instance, self.attname, value)
        return value


class _StdnumField(models.CharField):
    """A check-digit number validated and compacted by python-stdnum."""

    stdnum_module: ModuleType  # validate() raises stdnum's ValidationError
    error_message: "StrOrPromise" = ""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 9)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = (super().to_python(value) or "").strip()
        if not value:
            return ""
        try:
            return self.stdnum_module.validate(value)
        except stdnum_errors.ValidationError as exc:
            raise ValidationError(self.error_message, code="invalid") from exc

    def formfield(self, **kwargs):
        # "51-617915-7" is a valid way to type a nine-digit number; it is compacted on save.
        return super().formfield(**{"max_length": 20, **kwargs})


class IsraeliIdField(_StdnumField):
    """Israeli identity number (teudat zehut), nine digits with a check digit."""

    stdnum_module = idnr
    error_message = _("Enter a valid Israeli ID number.")


class CompanyNumberField(_StdnumField):
    """Israeli company number (ח.פ.), nine digits with a check digit."""

    stdnum_module = hp
    error_message = _("Enter a valid company number.")


def money(field: models.DecimalField, currency_field: str | None = None) -> models.DecimalField:
    """Marks ``field`` as an amount of money, in the currency its record's ``currency_field``
    names (None: shekels), so pages, lists, merge fields and the history show it as people
    write money (``₪48,000.00``). A mark on the field, not a class of its own: the column and
    its migrations stay a plain DecimalField's."""
    field.money_currency_field = currency_field  # type: ignore[attr-defined]
    return field


def choice_fk(
    list_key: str,
    verbose_name,
    *,
    required: bool = False,
    related_name: str = "+",
    db_index: bool = True,
):
    """A foreign key to one admin-editable pick-list, limited to its list's active values
    (decision 0015): the services, forms and API all refuse a value of another list.
    ``db_index=False`` where a composite index leads with it."""
    return models.ForeignKey(
        "platform.Choice",
        db_index=db_index,
        verbose_name=verbose_name,
        null=not required,
        blank=not required,
        on_delete=models.PROTECT,
        related_name=related_name,
        limit_choices_to={"list_key": list_key, "active": True},
    )


def owner_fk(related_name: str = "+", verbose_name=None, *, db_index: bool = True):
    """The user a record belongs to, for the "own" and "department" scopes (REQ OR-3); only an
    active user can be given. ``db_index=False`` where a composite index leads with the owner
    already (a second index on the same column only costs every insert)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        db_index=db_index,
        verbose_name=verbose_name or _("owner"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name=related_name,
        limit_choices_to=ACTIVE_USERS,
    )


def role_choices() -> list[tuple[str, str]]:
    """Every role as (key, name in the reader's language), for forms and pages that name roles;
    read once per process until a role changes (``stamps``)."""
    from kesher.org.models import Role
    from kesher.platform import stamps

    roles = stamps.cached(
        stamps.ROLES,
        "role-names",
        lambda: list(
            Role.objects.order_by("name_he", "pk").values_list("key", "name_he", "name_en")
        ),
    )
    english = (get_language() or "he")[:2] == "en"
    return [(key, (name_en if english else "") or name_he) for key, name_he, name_en in roles]


class RoleKeysField(models.JSONField):
    """A list of role keys (``["sales_rep"]``): stored as keys, which stay the same when a
    role is renamed, and shown and chosen by the roles' names (issue "Platform v2" item 8)."""

    def formfield(self, **kwargs):
        from kesher.platform.ui.forms import Checkboxes

        return forms.MultipleChoiceField(
            choices=role_choices,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
            widget=Checkboxes,
        )

    def value_display(self, value) -> str:
        names = dict(role_choices())
        return ", ".join(names.get(key, key) for key in value or [])


class SectionNameField(models.CharField):
    """The name of a section of an entity's page: a built-in section by its title's source text
    (the same whatever the reader's language), a custom-field section by its text. Chosen from
    the sections of every entity, shown in the reader's language."""

    def formfield(self, **kwargs):
        from kesher.platform.visibility import section_choices

        return forms.ChoiceField(
            choices=section_choices,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
        )

    def value_display(self, value) -> str:
        # A built-in title is stored as its source text, which the catalogue translates.
        return gettext(value) if value else ""
