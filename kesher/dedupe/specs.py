"""What duplicates are matched on, per entity, and the finder the platform's create page and
API call (the registry's ``Entity.duplicate_finder`` hook; REQ IM-3).

Another app makes its entity deduplicable with one ``register_spec(DedupeSpec(...))``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from rapidfuzz import fuzz

from kesher.dedupe.normalize import (
    digits_only,
    normalize_email,
    normalize_name,
    normalize_phone_key,
)
from kesher.platform.records import search as search_index
from kesher.platform.registry import register_duplicate_finder, registry

__all__ = [
    "REASON_LABELS",
    "DedupeSpec",
    "DuplicateFinder",
    "find_candidates",
    "name_threshold",
    "register_spec",
    "spec_for",
    "specs",
]

REASON_LABELS = {
    "israeli_id": _("same ID number"),
    "company_number": _("same company number"),
    "email": _("same email"),
    "phone": _("same phone"),
    "name": _("similar name"),
}
# A shared key is near-certain; a phone is shared by a household or an office switchboard.
REASON_SCORES = {"israeli_id": 100, "company_number": 100, "email": 95, "phone": 90}
MAX_CANDIDATES = 10


def name_threshold() -> int:
    """The token-sort ratio (0–100) from which two normalised names count as similar."""
    return settings.KESHER_DEDUPE_NAME_THRESHOLD


@dataclass(frozen=True)
class DedupeSpec:
    """The fields of one entity that duplicates are matched on."""

    key: str
    name_fields: tuple[str, ...]
    phone_fields: tuple[str, ...] = ()
    email_fields: tuple[str, ...] = ()
    # Exact identity keys compared as digits: "israeli_id", "company_number".
    id_fields: tuple[str, ...] = ()
    # Names are compared only within one value of this field (a city), when set.
    block_field: str | None = None
    # The scan's sorted-neighbourhood order; an index on it lets the database stream it.
    sort_fields: tuple[str, ...] = ()
    company_names: bool = False

    @property
    def entity(self):
        return registry.get(self.key)

    def name_of(self, values) -> str:
        """The normalised name from a record or a dict of field values."""
        get = values.get if isinstance(values, dict) else lambda f, d="": getattr(values, f, d)
        text = " ".join(str(get(f, "") or "") for f in self.name_fields)
        return normalize_name(text, company=self.company_names)

    def block_of(self, values) -> str:
        if not self.block_field:
            return ""
        get = values.get if isinstance(values, dict) else lambda f, d="": getattr(values, f, d)
        return normalize_name(str(get(self.block_field, "") or ""))


_specs: dict[str, DedupeSpec] = {}


def register_spec(spec: DedupeSpec) -> DedupeSpec:
    """Make ``spec.key`` deduplicable: the create warning, the scan, the queue and merge."""
    _specs[spec.key] = spec
    register_duplicate_finder(spec.key, DuplicateFinder(spec))
    return spec


def spec_for(key: str) -> DedupeSpec | None:
    return _specs.get(key)


def specs() -> list[DedupeSpec]:
    return [_specs[k] for k in registry if k in _specs]


def _exact_query(spec: DedupeSpec, data: dict) -> tuple[Q, dict]:
    """A filter for records sharing a key with ``data``, and each key's reason."""
    query = Q()
    keys: dict[str, set] = {}
    phones = {normalize_phone_key(data.get(f)) for f in spec.phone_fields} - {""}
    if phones:
        keys["phone"] = phones
        for field in spec.phone_fields:
            query |= Q(**{f"{field}__in": phones})
    emails = {normalize_email(data.get(f)) for f in spec.email_fields} - {""}
    if emails:
        keys["email"] = emails
        for field in spec.email_fields:
            for email in emails:
                query |= Q(**{f"{field}__iexact": email})
    for field in spec.id_fields:
        number = digits_only(data.get(field))
        try:
            # An invalid number is the create's own error to report, by field; and the
            # field would refuse it as a lookup value too.
            number = spec.entity.model._meta.get_field(field).to_python(number)
        except ValidationError:
            number = ""
        if number:
            keys[field] = {number}
            query |= Q(**{field: number})
    return query, keys


def _reasons(spec: DedupeSpec, obj, keys: dict) -> list[str]:
    found = []
    if (
        "phone" in keys
        and {normalize_phone_key(getattr(obj, f)) for f in spec.phone_fields} & (keys["phone"])
    ):
        found.append("phone")
    if (
        "email" in keys
        and {normalize_email(getattr(obj, f)) for f in spec.email_fields} & (keys["email"])
    ):
        found.append("email")
    for field in spec.id_fields:
        if field in keys and digits_only(getattr(obj, field)) in keys[field]:
            found.append(field)
    return found


def find_candidates(spec: DedupeSpec, actor, data: dict, *, exclude=None) -> list[dict]:
    """Records ``actor`` may see that look like the record ``data`` describes, best first.

    Shared phone, email, ID or company number, or a similar name (rapidfuzz token-sort ratio
    over normalised names, at least ``name_threshold()``) — by name only within the same
    ``block_field`` value when both records have one. Name candidates come from the search
    index by the first letters of each word, so the check stays fast over a million records.
    """
    model = spec.entity.model
    visible = model.objects.visible_to(actor)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    found: dict[int, dict] = {}
    query, keys = _exact_query(spec, data)
    if keys:
        for obj in visible.filter(query)[:MAX_CANDIDATES]:
            reasons = _reasons(spec, obj, keys)
            score = max((REASON_SCORES[r] for r in reasons), default=0)
            found[obj.pk] = {"obj": obj, "score": score, "reasons": reasons}
    name = spec.name_of(data)
    if len(name.replace(" ", "")) >= 2:
        block = spec.block_of(data)
        prefixes = " ".join(word[:3] for word in name.split()[:3])
        hits = search_index.search(actor, prefixes, entities=[spec.key], limit=50)
        threshold = name_threshold()
        for obj in hits[0][1] if hits else []:
            if exclude is not None and obj.pk == exclude:
                continue
            other_block = spec.block_of(obj)
            if block and other_block and block != other_block:
                continue
            score = round(fuzz.token_sort_ratio(name, spec.name_of(obj)))
            if score < threshold:
                continue
            entry = found.setdefault(obj.pk, {"obj": obj, "score": 0, "reasons": []})
            entry["reasons"].append("name")
            entry["score"] = max(entry["score"], score)
    ranked = sorted(found.values(), key=lambda c: (-c["score"], c["obj"].pk))[:MAX_CANDIDATES]
    for candidate in ranked:
        obj = candidate["obj"]
        candidate.update(
            id=obj.pk,
            display=str(obj),
            url=reverse("entity_detail", args=[spec.key, obj.pk]),
            reason_labels=[str(REASON_LABELS[r]) for r in candidate["reasons"]],
        )
    return ranked


class DuplicateFinder:
    """What the platform's generic create page and API call before creating a record."""

    template = "dedupe/create_warning.html"
    message = _(
        "Records like this one already exist. Open one of them, or create the record anyway."
    )
    force_label = _("Create anyway")
    queue_label = _("Possible duplicates")

    def __init__(self, spec: DedupeSpec):
        self.spec = spec

    def find(self, actor, data: dict) -> list[dict]:
        return find_candidates(self.spec, actor, data)

    @staticmethod
    def as_json(candidates: list[dict]) -> list[dict]:
        return [
            {
                "id": c["id"],
                "display": c["display"],
                "url": c["url"],
                "score": c["score"],
                "reasons": c["reasons"],
            }
            for c in candidates
        ]


register_spec(
    DedupeSpec(
        key="accounts",
        name_fields=("name",),
        phone_fields=("phone", "mobile"),
        email_fields=("email",),
        id_fields=("company_number", "israeli_id"),
        sort_fields=("name",),
        company_names=True,
    )
)
register_spec(
    DedupeSpec(
        key="contacts",
        name_fields=("first_name", "last_name"),
        phone_fields=("phone", "mobile"),
        email_fields=("email",),
        id_fields=("israeli_id",),
        block_field="city",
        sort_fields=("city", "last_name", "first_name"),
    )
)
