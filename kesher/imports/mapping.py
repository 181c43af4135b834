"""Columns → fields: the fields an entity can take from a file, suggestions from Hebrew and
English header names, and the per-column transforms (REQ IM-1).

A mapping is JSON: ``{"columns": {"<column index>": {"field": "phone", "transform": "auto",
"values": {"VIP": "vip"}}}, "match": "email", "source": "old-crm", "skip_invalid": false,
"date_order": "dmy"}``. Field keys are model field names, ``custom.<key>`` for custom fields,
``external_id`` for the old system's id, the name of a link field (a foreign key or a
many-to-many field to a registered entity: a contact's ``accounts``) for the records a cell
names by their external id or their entity's lookup keys — a many-to-many cell may name several,
separated by ``;`` (``SEPARATOR``) — ``about.<entity>.<key>`` (interactions, tasks) for the
record a row is about, found by the old system's id, our id or a natural key (``lookup``), and
``attachment`` / ``attachment_title`` for a file of the zip uploaded with the sheet
(``archive``). A link column's ``"missing"`` ("report", "create", "leave") says what to do with
values naming no record (decision 0048); ``"duplicates"`` ("skip", "import") what to do with
rows repeating a phone or e-mail.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.platform.customfields.types import type_of
from kesher.platform.customfields.values import definitions_for
from kesher.platform.fields import CompanyNumberField, IsraeliIdField, PhoneField
from kesher.platform.models import Choice, CustomField
from kesher.platform.registry import Entity, registry
from kesher.platform.visibility import hidden_fields

__all__ = [
    "EXTERNAL_ID",
    "MISSING_CHOICES",
    "SEPARATOR",
    "Target",
    "normalize_header",
    "parse_bool",
    "parse_date",
    "parse_datetime",
    "split_cell",
    "suggest",
    "targets_for",
]

EXTERNAL_ID = "external_id"
# A many-to-many cell naming several records: "אלפא בע״מ; בטא" (decision 0048). Not a comma:
# company names hold commas. A line break inside the cell (Alt+Enter in Excel) separates too.
SEPARATOR = ";"
_SEPARATORS = re.compile(r"[;\n]")
# What to do with a link cell naming no record the importer may see (a column's "missing"):
# report the row as bad (the default), create the missing records, or leave the link out.
MISSING_REPORT, MISSING_CREATE, MISSING_LEAVE = "report", "create", "leave"
MISSING_CHOICES = (MISSING_REPORT, MISSING_CREATE, MISSING_LEAVE)
# Mappings saved before link columns were generic named a contact's accounts "account".
RENAMED = {"account": "accounts"}
ABOUT = "about."
ATTACHMENT = "attachment"
ATTACHMENT_TITLE = "attachment_title"

_MARKS = re.compile("[\u0591-\u05c7\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u200b-\u200d]")
_PUNCT = re.compile(r"[\W_]+", re.UNICODE)
_FINALS = str.maketrans("ךםןףץ", "כמנפצ")

# Common header names of Hebrew and English spreadsheets, beyond the fields' own labels.
SYNONYMS = {
    "first_name": ("שם פרטי", "first", "firstname", "given name", "שם"),
    "last_name": ("שם משפחה", "משפחה", "last", "lastname", "surname", "family name"),
    "email": ("דואל", "דוא ל", "אימייל", "מייל", "email address", "e mail", "mail"),
    "phone": ("טלפון", "טל", "tel", "telephone", "phone number", "מספר טלפון"),
    "mobile": ("נייד", "טלפון נייד", "סלולרי", "פלאפון", "cell", "cellphone", "mobile phone"),
    "israeli_id": ("תז", "ת ז", "תעודת זהות", "מספר זהות", "id number", "teudat zehut"),
    "company_number": ("חפ", "ח פ", "מספר חברה", "עוסק מורשה", "company id", "registration"),
    "name": ("שם החברה", "שם הלקוח", "לקוח", "חברה", "company", "company name", "account name"),
    "city": ("עיר", "ישוב", "יישוב", "town"),
    "title": ("תפקיד", "position", "job title", "role"),
    "birthday": ("תאריך לידה", "יום הולדת", "date of birth", "dob", "birth date"),
    "street": ("כתובת", "רחוב", "address"),
    "zip_code": ("מיקוד", "zip", "postal code", "postcode"),
    "website": ("אתר", "אתר אינטרנט", "web", "url", "site"),
    "notes": ("הערות", "הערה", "comments", "remarks"),
    "owner": ("אחראי", "נציג", "בעלים", "sales rep", "account manager"),
    EXTERNAL_ID: ("מזהה", "מספר לקוח", "מס לקוח", "קוד", "id", "external id", "old id", "code"),
    "accounts": ("חברה", "לקוח", "company", "account", "organization", "ארגון"),
    ATTACHMENT: ("קובץ", "קובץ מצורף", "מסמך", "file", "file name", "document"),
    ATTACHMENT_TITLE: ("כותרת הקובץ", "שם המסמך", "file title", "document title"),
    "occurred_at": ("תאריך", "מועד", "date", "when"),
    "due_at": ("תאריך יעד", "לביצוע עד", "due", "due date"),
    "assignee": ("מבצע", "אחראי", "assigned to"),
    "subject": ("נושא", "topic"),
    "body": ("תוכן", "פירוט", "description", "details"),
}


def normalize_header(text: str) -> str:
    """Header text for comparison: no niqqud or direction marks, no punctuation, lower case,
    final Hebrew letters as their ordinary forms."""
    text = unicodedata.normalize("NFKC", text or "")
    text = _MARKS.sub("", text)
    text = _PUNCT.sub(" ", text.lower()).strip()
    return text.translate(_FINALS)


@dataclass
class Target:
    """A field a column can fill."""

    key: str
    label: str
    labels: tuple[str, ...]  # Hebrew and English labels and the field name, for suggestions
    # text, phone, date, datetime, boolean, choice, user, link, links (many-to-many), number,
    # external_id, about, attachment
    kind: str
    required: bool = False
    model_field: models.Field | None = None
    definition: CustomField | None = None
    choice_list: str = ""
    # link, links: the registered entity the cell names records of
    entity_key: str = ""

    @property
    def many(self) -> bool:
        return self.kind == "links"


def split_cell(target: Target, text: str) -> list[str]:
    """A cell's values: several for a many-to-many column (``SEPARATOR``), else the cell."""
    if not target.many:
        return [text]
    return list(dict.fromkeys(p.strip() for p in _SEPARATORS.split(text) if p.strip()))


def _labels(text) -> tuple[str, ...]:
    result = []
    for language in ("he", "en"):
        with translation.override(language):
            result.append(str(text))
    return tuple(dict.fromkeys(result))


def _kind(model_field: models.Field) -> str:
    if isinstance(model_field, PhoneField):
        return "phone"
    if isinstance(model_field, IsraeliIdField | CompanyNumberField):
        return "text"
    if isinstance(model_field, models.BooleanField):
        return "boolean"
    if isinstance(model_field, models.DateTimeField):
        return "datetime"
    if isinstance(model_field, models.DateField):
        return "date"
    if isinstance(model_field, models.IntegerField | models.DecimalField | models.FloatField):
        return "number"
    if model_field.many_to_one:
        related = model_field.related_model
        if related is Choice:
            return "choice"
        if related._meta.label_lower == "org.user":
            return "user"
        return "link"
    return "text"


def targets_for(entity: Entity, user=None) -> dict[str, Target]:
    """Every field of ``entity`` a column can fill: form fields, custom fields, the external id,
    and the records of other entities a link field names; with ``user``, not the fields he does
    not see (decision 0047: a column cannot fill them, nor match records by them)."""
    hidden = hidden_fields(entity, user)
    result: dict[str, Target] = {
        EXTERNAL_ID: Target(
            EXTERNAL_ID,
            _("External id (old system)"),
            _labels(gettext_lazy("External id (old system)")),
            "external_id",
        )
    }
    meta = entity.model._meta
    names = list(entity.form_fields)
    names += [f.name for f in meta.many_to_many if f.name not in names]
    for name in names:
        model_field = meta.get_field(name)
        if not getattr(model_field, "concrete", False) or name in hidden:
            continue
        if not model_field.editable or model_field.primary_key:
            continue
        kind = _kind(model_field)
        entity_key = ""
        if model_field.many_to_many:
            entity_key = _link_entity(model_field)
            if not entity_key:
                continue
            kind = "links"
        elif kind == "link":
            # A model that is no entity (a user's role) is named by its key or name, unscoped.
            entity_key = _link_entity(model_field)
        choice_list = entity.choice_lists.get(name, "")
        required = not model_field.blank and not model_field.has_default()
        labels = (*_labels(model_field.verbose_name), name.replace("_", " "))
        if kind == "links":  # a column of accounts may be headed "לקוח" or "Account"
            linked = registry.get(entity_key)
            labels += (*_labels(linked.label), *_labels(linked.label_plural))
        result[name] = Target(
            name,
            str(model_field.verbose_name),
            labels,
            kind,
            required=required,
            model_field=model_field,
            choice_list=choice_list,
            entity_key=entity_key,
        )
    if entity.has_custom_fields:
        for definition in definitions_for(entity):
            key = f"custom.{definition.key}"
            if key in hidden:
                continue
            result[key] = Target(
                key,
                definition.label,
                (definition.label_he, definition.label_en, definition.key.replace("_", " ")),
                type_of(definition).import_kind,
                required=definition.required,
                definition=definition,
                choice_list=definition.choice_list,
            )
    if "link_type" in entity.form_fields and "link_id" in entity.form_fields:
        result.update(about_targets())
    for key, label in (
        (ATTACHMENT, gettext_lazy("Attachment: file name in the zip")),
        (ATTACHMENT_TITLE, gettext_lazy("Attachment: title")),
    ):
        result[key] = Target(key, str(label), _labels(label), key)
    return result


def _link_entity(model_field: models.Field) -> str:
    """The key of the registered entity a foreign key or many-to-many field links to; "" for
    other models, and for a many-to-many field whose link rows need a value of their own
    (the file could not give it)."""
    from kesher.platform.bulk.writes import link_row_defaults

    related = model_field.related_model
    if not registry.has_model(related):
        return ""
    if model_field.many_to_many and link_row_defaults(model_field) is None:
        return ""
    return registry.for_model(related).key


def about_targets() -> dict[str, Target]:
    """ "About: account by external id", "About: contact by e-mail"… for each linkable entity."""
    from kesher.platform.records.links import linkable_keys

    result = {}
    for entity_key in linkable_keys():
        entity = registry.get(entity_key)
        meta = entity.model._meta
        keys = {
            EXTERNAL_ID: gettext_lazy("external id (old system)"),
            "id": gettext_lazy("id in Kesher"),
        }
        for name in entity.link_lookup_keys:
            keys[name] = meta.get_field(name).verbose_name
        for name, what in keys.items():
            key = f"{ABOUT}{entity_key}.{name}"
            labels = []
            for language in ("he", "en"):
                with translation.override(language):
                    labels.append(
                        _("About: %(entity)s by %(key)s") % {"entity": entity.label, "key": what}
                    )
            result[key] = Target(
                key,
                _("About: %(entity)s by %(key)s") % {"entity": entity.label, "key": what},
                tuple(dict.fromkeys(labels)),
                "about",
            )
    return result


def suggest(headers: list[str], targets: dict[str, Target]) -> dict[str, str]:
    """Column index → suggested field key: exact matches of labels and common names first, then
    close ones (rapidfuzz); a field is suggested for one column only."""
    from rapidfuzz import fuzz

    names: list[tuple[str, str]] = []  # (normalized name, key), labels before synonyms
    for key, target in targets.items():
        names += [(normalize_header(label), key) for label in target.labels if label]
    for key, words in SYNONYMS.items():
        if key in targets:
            names += [(normalize_header(w), key) for w in words]
    result: dict[str, str] = {}
    used: set[str] = set()
    normalized = [normalize_header(h) for h in headers]
    for i, header in enumerate(normalized):
        for name, key in names:
            if header and header == name and key not in used:
                result[str(i)], used = key, used | {key}
                break
    for i, header in enumerate(normalized):
        if str(i) in result or len(header) < 3:
            continue
        best, best_key = 0.0, None
        for name, key in names:
            if key in used or len(name) < 3:
                continue
            score = fuzz.ratio(header, name)
            if score > best:
                best, best_key = score, key
        if best_key and best >= 85:
            result[str(i)], used = best_key, used | {best_key}
    return result


# --- transforms ---------------------------------------------------------------------------------

TRUE_WORDS = {"כן", "yes", "y", "true", "1", "v", "✓", "✔", "on", "נכון"}
# "v" and "x" as Israeli sheets use them: a tick for yes, a cross for no.
FALSE_WORDS = {"לא", "no", "n", "false", "0", "x", "off", "-", "לא נכון"}
EXCEL_EPOCH = datetime.date(1899, 12, 30)


def parse_bool(text: str) -> bool:
    word = normalize_header(text) if text.strip() not in ("-", "✓", "✔") else text.strip()
    if word in TRUE_WORDS or text.strip().lower() in TRUE_WORDS:
        return True
    if word in FALSE_WORDS or text.strip().lower() in FALSE_WORDS:
        return False
    raise ValidationError(_("Enter yes or no (כן/לא)."))


_DATE = re.compile(r"^(\d{1,4})[./\-](\d{1,2})[./\-](\d{1,4})$")


def parse_datetime(text: str, order: str = "dmy") -> datetime.datetime:
    """A date as ``parse_date`` reads it, with an optional time ("31/12/2024 14:30"), or an
    Excel serial with a fraction of a day; local time of the installation."""
    text = text.strip()
    serial = re.fullmatch(r"(\d{1,5})\.(\d+)", text)
    if serial:
        moment = datetime.datetime.combine(
            parse_date(serial.group(1)), datetime.time()
        ) + datetime.timedelta(days=float("0." + serial.group(2)))
        return timezone.make_aware(moment.replace(microsecond=0))
    day_text, _sep, time_text = text.partition(" ")
    day = parse_date(day_text, order)
    moment = datetime.time()
    time_text = time_text.strip()
    if time_text:
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", time_text)
        try:
            if not match:
                raise ValueError
            moment = datetime.time(int(match[1]), int(match[2]), int(match[3] or 0))
        except ValueError:
            raise ValidationError(_("Enter a date and time such as 31/12/2024 14:30.")) from None
    return timezone.make_aware(datetime.datetime.combine(day, moment))


def parse_date(text: str, order: str = "dmy") -> datetime.date:
    """dd/mm/yyyy, d.m.yy, yyyy-mm-dd, and Excel serial numbers (days since 1899-12-30)."""
    text = text.strip()
    if " " in text:  # "2024-03-01 00:00:00" from a spreadsheet cell
        text = text.split(" ", 1)[0]
    if re.fullmatch(r"\d{1,5}(\.0+)?", text):
        serial = int(float(text))
        if 1 <= serial <= 2_958_465:
            return EXCEL_EPOCH + datetime.timedelta(days=serial)
    match = _DATE.match(text)
    if match:
        a, b, c = match.groups()
        try:
            if len(a) == 4:
                return datetime.date(int(a), int(b), int(c))
            day, month = (a, b) if order == "dmy" else (b, a)
            year = int(c)
            if len(c) <= 2:
                # Two-digit years: up to 20 years ahead is this century, else the last.
                now = timezone.localdate().year
                year += 2000 if 2000 + year <= now + 20 else 1900
            return datetime.date(year, int(month), int(day))
        except ValueError:
            pass
    raise ValidationError(_("Enter a date such as 31/12/2024."))


def resolve_choice(target: Target, text: str, values: dict, cache: dict) -> str | int:
    """A pick-list cell → the Choice id (built-in fields) or key (custom fields): an explicit
    value map first, then the value key, then the Hebrew or English label."""
    key = (target.choice_list, text)
    if key not in cache:
        mapped = values.get(text, values.get(text.strip(), text.strip()))
        wanted = normalize_header(str(mapped))
        found = None
        for choice in _choices(target.choice_list, cache):
            if str(mapped) == choice.value or wanted in (
                normalize_header(choice.value),
                normalize_header(choice.label_he),
                normalize_header(choice.label_en),
            ):
                found = choice
                break
        cache[key] = found
    found = cache[key]
    if found is None:
        raise ValidationError(
            _("“%(value)s” is not one of the values of this list.") % {"value": text[:60]}
        )
    return found.value if target.definition is not None else found.pk


def _choices(list_key: str, cache: dict) -> list[Choice]:
    key = ("list", list_key)
    if key not in cache:
        cache[key] = list(Choice.objects.filter(list_key=list_key, active=True))
    return cache[key]
