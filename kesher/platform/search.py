"""One search index for every entity (DESIGN.md "Search"): name prefixes, emails, phone suffixes.

Hebrew-aware normalization: niqqud and punctuation are dropped and final letters folded, so
"שָׁלוֹם" and "שלום" match; no stemming. Phone numbers are indexed as reversed digit strings
in national and international form, so the last digits typed in any format find the number.
"""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Q

from .models import SearchToken
from .registry import Entity, registry

__all__ = ["index_record", "normalize", "search", "unindex_record"]

MAX_TOKEN = 80
FINAL_LETTERS = str.maketrans("ךםןףץ", "כמנפצ")
_WORD_SPLIT = re.compile(r"[^\w@.+'\"-]+", re.UNICODE)
_STRIP = re.compile(r"[\"'׳״.\-_]+")


def normalize(text: str) -> str:
    """Lowercase, drop niqqud/marks and bidi controls, fold Hebrew final letters."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    kept = "".join(c for c in decomposed if not unicodedata.category(c).startswith(("M", "Cf")))
    return kept.lower().translate(FINAL_LETTERS)


def words(text: str) -> list[str]:
    result = []
    for raw in _WORD_SPLIT.split(normalize(text)):
        word = _STRIP.sub("", raw)
        if word:
            result.append(word[:MAX_TOKEN])
    return result


def digits(text: str) -> str:
    return re.sub(r"\D", "", text or "")


def phone_tokens(e164: str) -> set[str]:
    """Reversed digits of the international and the national (leading 0) form."""
    all_digits = digits(e164)
    if not all_digits:
        return set()
    tokens = {all_digits[::-1]}
    if e164.startswith("+972"):
        tokens.add(("0" + all_digits[3:])[::-1])
    return tokens


SEARCHED_CUSTOM = {
    "text": SearchToken.Kind.WORD,
    "israeli_id": SearchToken.Kind.WORD,
    "company_number": SearchToken.Kind.WORD,
    "email": SearchToken.Kind.EMAIL,
    "phone": SearchToken.Kind.PHONE,
}


def searched_custom_fields(entity: Entity) -> list:
    """The entity's custom fields whose values are searched (REQ CX-1: text types)."""
    if not any(f.name == "custom" for f in entity.model._meta.concrete_fields):
        return []
    from .models import CustomField

    return list(
        CustomField.objects.filter(entity=entity.key, active=True, type__in=SEARCHED_CUSTOM)
    )


def _tokens(entity: Entity, obj, custom_fields=()) -> set[tuple[int, str]]:
    result: set[tuple[int, str]] = set()
    values = getattr(obj, "custom", None) or {}
    for definition in custom_fields:
        value = values.get(definition.key)
        if not isinstance(value, str) or not value:
            continue
        kind = SEARCHED_CUSTOM[definition.type]
        if kind == SearchToken.Kind.PHONE:
            result.update((kind, token) for token in phone_tokens(value))
        elif kind == SearchToken.Kind.EMAIL:
            result.add((kind, value.strip().lower()[:MAX_TOKEN]))
        else:
            result.update((kind, word) for word in words(value)[:50])
    for name in entity.search_words:
        for word in words(str(getattr(obj, name, "") or "")):
            result.add((SearchToken.Kind.WORD, word))
    for name in entity.search_emails:
        email = (getattr(obj, name, "") or "").strip().lower()
        if email:
            result.add((SearchToken.Kind.EMAIL, email[:MAX_TOKEN]))
    for name in entity.search_phones:
        for token in phone_tokens(getattr(obj, name, "") or ""):
            result.add((SearchToken.Kind.PHONE, token))
    return result


def index_record(obj, entity: Entity | None = None) -> None:
    """(Re)write the search tokens of one record."""
    entity = entity or registry.for_model(obj)
    custom_fields = searched_custom_fields(entity)
    if not entity.has_search() and not custom_fields:
        return
    unindex_record(obj, entity)
    SearchToken.objects.bulk_create(
        SearchToken(entity=entity.key, object_id=obj.pk, kind=kind, token=token)
        for kind, token in _tokens(entity, obj, custom_fields)
    )


def index_many(objs, entity: Entity) -> None:
    """Index freshly created records in one insert (bulk loads, demo data, benchmarks)."""
    custom_fields = searched_custom_fields(entity)
    SearchToken.objects.bulk_create(
        (
            SearchToken(entity=entity.key, object_id=obj.pk, kind=kind, token=token)
            for obj in objs
            for kind, token in _tokens(entity, obj, custom_fields)
        ),
        batch_size=5000,
    )


def unindex_record(obj, entity: Entity | None = None) -> None:
    entity = entity or registry.for_model(obj)
    SearchToken.objects.filter(entity=entity.key, object_id=obj.pk).delete()


def _term_query(term: str) -> Q | None:
    """Which tokens one typed term matches: word prefix, email prefix, or phone suffix."""
    query = Q()
    matched = False
    if "@" in term:
        query |= Q(kind=SearchToken.Kind.EMAIL, token__startswith=term.lower())
        matched = True
    number = digits(term)
    if len(number) >= 3 and len(number) >= len(re.sub(r"[\s()+\-]", "", term)):
        query |= Q(kind=SearchToken.Kind.PHONE, token__startswith=number[::-1])
        matched = True
    for word in words(term)[:1]:
        query |= Q(kind=SearchToken.Kind.WORD, token__startswith=word)
        query |= Q(kind=SearchToken.Kind.EMAIL, token__startswith=word)
        matched = True
    return query if matched else None


def search(user, text: str, *, entities: list[str] | None = None, limit: int = 10):
    """Records matching every term of ``text`` that ``user`` may see, grouped by entity.

    Returns ``[(entity, [obj, ...]), ...]`` in navigation order.
    """
    terms = [t for t in re.split(r"\s+", (text or "").strip()) if t][:5]
    if not terms:
        return []
    # A phone typed with spaces ("052 555 1234") is one term.
    joined = "".join(terms)
    if len(terms) > 1 and re.fullmatch(r"[\d+()\-]+", joined):
        terms = [joined]
    keys = entities or [e.key for e in registry.all() if e.has_search()]
    results = []
    candidate_cap = 400
    for key in keys:
        entity = registry.get(key)
        ids: set[int] | None = None
        for term in terms:
            q = _term_query(term)
            if q is None:
                continue
            found = set(
                SearchToken.objects.filter(q, entity=key)
                .values_list("object_id", flat=True)
                .distinct()[:candidate_cap]
            )
            ids = found if ids is None else ids & found
            if not ids:
                break
        if not ids:
            continue
        qs = entity.model.objects.visible_to(user).filter(pk__in=ids)
        if entity.select_related:
            qs = qs.select_related(*entity.select_related)
        objs = list(qs.order_by(*entity.default_ordering)[:limit])
        if objs:
            results.append((entity, objs))
    return results
