"""Reads of the telephony app: who is calling (REQ IN-2), whose extension rang."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from stdnum.il import idnr

from kesher.platform.fields import normalize_phone
from kesher.platform.registry import registry
from kesher.telephony.models import PbxConnection, PhoneExtension

__all__ = ["caller_find", "connection_get", "extension_users", "number_e164"]

# Where a caller is looked for, in order: the people we deal with, then organizations, then
# leads; by each record's phone fields (stored in E.164, indexed).
CALLER_ENTITIES = (
    ("contacts", ("phone", "mobile"), "israeli_id"),
    ("accounts", ("phone", "mobile"), "israeli_id"),
    ("leads", ("phone", "mobile"), ""),
)
_DIGITS = re.compile(r"\D")


def number_e164(raw: str) -> str:
    """A number as a phone system sends it (``052-555-1234``, ``0525551234``,
    ``972525551234``, ``+972 52 555 1234``, ``00972…``) in E.164; empty if it is none."""
    text = (raw or "").strip()
    if not text or text.lower() in ("anonymous", "unknown", "private", "restricted"):
        return ""
    digits = _DIGITS.sub("", text)
    if not text.startswith(("+", "00")) and digits.startswith("972") and len(digits) >= 11:
        text = "+" + digits  # an international number without its plus
    try:
        return normalize_phone(text)
    except ValidationError:
        return ""


def _id_number(raw: str) -> str:
    try:
        return idnr.validate(raw) if raw else ""
    except Exception:  # stdnum's ValidationError family: a mistyped ID matches nobody
        return ""


def caller_find(number: str, id_number: str = ""):
    """The record a caller is (unscoped: who may see it is decided per user when it pops):
    ``(entity_key, record)`` or ``(None, None)``. An ID number typed in the IVR wins over the
    number, which several people may share (a switchboard, a family's line)."""
    typed = _id_number(id_number)
    if typed:
        for key, _phones, id_field in CALLER_ENTITIES:
            if id_field and key in registry:
                found = registry.get(key).model._base_manager.filter(**{id_field: typed})
                record = found.order_by("pk").first()
                if record is not None:
                    return key, record
    e164 = number_e164(number)
    if e164:
        for key, phones, _id_field in CALLER_ENTITIES:
            if key not in registry:
                continue
            model = registry.get(key).model
            for name in phones:
                record = model._base_manager.filter(**{name: e164}).order_by("pk").first()
                if record is not None:
                    return key, record
    return None, None


def connection_get(pk) -> PbxConnection | None:
    try:
        return PbxConnection.objects.filter(pk=int(pk), active=True).first()
    except (TypeError, ValueError):
        return None


def extension_users(connection: PbxConnection, extension: str) -> list:
    """The active users whose extension on ``connection`` this is (several for a group)."""
    if not extension:
        return []
    found = PhoneExtension.objects.filter(
        connection=connection, extension=extension, user__is_active=True
    ).select_related("user")
    return [row.user for row in found.order_by("pk")]
