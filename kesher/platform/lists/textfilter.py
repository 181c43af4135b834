"""The list's search box (``?q=``) and the API's ``?search=``: the ids of one entity's records
the search index matches (decision 0056).

``search.search`` answers the global search — the first few records of each entity, read whole.
A list reads, scopes, sorts and pages its rows itself and needs only the candidates' ids; asking
``search.search`` for all of them read up to 400 whole records a second time (half of a list
page's time, bench ``list.q.*``). This is ``search.search``'s candidate step for one entity, made
of its own parts: the same terms, index ranges, candidate cap and hidden-field rule (decision
0047); what the reader may see of the records is left to the list's ``visible_to``.
"""

from __future__ import annotations

import operator
import re
from functools import reduce

from kesher.platform.models import SearchToken
from kesher.platform.records import search
from kesher.platform.registry import Entity
from kesher.platform.visibility import hidden_fields

__all__ = ["matching_ids"]


def matching_ids(user, entity: Entity, text: str) -> set[int]:
    """Ids of ``entity``'s records matching every term of ``text`` — at most
    ``search.CANDIDATES`` of them, as the global search — by what ``user`` may see of their
    fields. Not scoped by record: the caller's queryset is ``visible_to(user)`` already."""
    terms = [t for t in re.split(r"\s+", (text or "").strip()) if t][:5]
    joined = "".join(terms)
    if len(terms) > 1 and re.fullmatch(r"[\d+()\-]+", joined):
        terms = [joined]  # a phone typed with spaces
    looked_for = [term for term in terms if search._term_prefixes(term)]
    if not looked_for:
        return set()
    hidden = search._Hidden.of(entity, hidden_fields(entity, user))
    unsearched = hidden.unsearched if hidden else frozenset()
    per_term = [search._term_alternatives(term, entity.key, unsearched) for term in looked_for]
    if not all(per_term):
        return set()
    if len(per_term) == 1:
        ids = search._candidates({entity.key: per_term[0]}, search.CANDIDATES)[entity.key]
    else:
        per_record = [
            SearchToken.objects.filter(
                reduce(operator.or_, [a.q() for a in alternatives])
            ).values_list("object_id", flat=True)
            for alternatives in per_term
        ]
        ids = set(per_record[0].intersection(*per_record[1:])[: search.CANDIDATES])
    if ids and hidden is not None and hidden.check:
        names = ["pk", *hidden.columns(entity)]
        matches = hidden.matcher(entity, looked_for)
        rows = entity.model._default_manager.filter(pk__in=ids).values_list(*names)
        ids = {row[0] for row in rows if matches(dict(zip(names, row, strict=True)))}
    return ids
