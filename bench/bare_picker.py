"""The floor of the record pickers: the same GET, through the same middleware and session
sign-in, answered by a view that finds the same suggestions with one hand-written statement per
entity — the search index's ranges for what was typed (``?alt=<prefix>:<kinds>``, one per way
the picker reads the text: a name's word, an e-mail's start, a phone's last digits; given in
the form the index stores them), the same 400 candidates the picker takes — for a sales rep
(``?owner=<id>``) among his own records, as the picker takes them (decision 0054) — joined to
the records, sorted and cut to the page —
and writes them as the same buttons with a string join. No registry, no ORM, no templates: what
answering a picker costs before Kesher does anything.

Mounted beside Kesher's URLs by ``bench/urls.py`` (``/bench/pick/…``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.utils.html import escape

__all__ = ["bare_link_picker", "bare_record_picker", "floor_statement"]

CANDIDATES = 400
TABLES = {
    "contacts": (
        "customers_contact",
        "last_name, first_name, id",
        "first_name || ' ' || last_name",
    ),
    "accounts": ("customers_account", "name, id", "name"),
}


def floor_statement(key: str, alternatives, *, owner_id: int | None, limit: int):
    """The hand-written SQL of one entity's suggestions: (sql, params). ``alternatives`` are
    (token prefix, token kinds) in the order the picker tries them; the first 400 index entries
    met in the first range, then in the next, are the candidates (as the picker takes them: in
    the index's order, which no ORDER BY needs to ask for — on PostgreSQL asking for it would
    sort every match, since the pattern-ops index is not in the column's collation order)."""
    table, order, title = TABLES[key]
    branches, params = [], []
    # A rep's candidates are his own records' (the picker scopes them likewise).
    own = f" AND +object_id IN (SELECT id FROM {table} WHERE owner_id = %s)" if owner_id else ""
    for part, (prefix, kinds) in enumerate(alternatives):
        marks = ", ".join(["%s"] * len(kinds))
        # The prefix as each database reads it from the token index: SQLite compares text
        # by code point, so a range; PostgreSQL's pattern-ops index answers LIKE 'x%'.
        if connection.vendor == "sqlite":
            match, bounds = "token >= %s AND token < %s", [prefix, prefix + "\U0010ffff"]
        else:
            match, bounds = "token LIKE %s", [connection.ops.prep_for_like_query(prefix) + "%"]
        branches.append(
            f"SELECT * FROM (SELECT object_id FROM platform_searchtoken"
            f" WHERE entity = %s AND kind IN ({marks}) AND {match}{own}"
            f" LIMIT {CANDIDATES}) AS branch{part}"
        )
        params += [key, *kinds, *bounds, *([owner_id] if owner_id else [])]
    sql = (
        "WITH candidates AS MATERIALIZED (SELECT object_id FROM ("
        + " UNION ALL ".join(branches)
        + f") AS ranges LIMIT {CANDIDATES})"
        f" SELECT r.id, {title} FROM {table} r"
        f" WHERE r.id IN (SELECT object_id FROM candidates)"
        f" ORDER BY {order} LIMIT {limit}"
    )
    return sql, params


def alternatives_of(request) -> list[tuple[str, tuple[int, ...]]]:
    result = []
    for value in request.GET.getlist("alt"):
        prefix, _sep, kinds = value.rpartition(":")
        result.append((prefix, tuple(int(k) for k in kinds.split(","))))
    return result


def _owner(request) -> int | None:
    owner = request.GET.get("owner")
    return int(owner) if owner else None


def _suggestions(request, keys, limit: int) -> HttpResponse:
    alternatives, owner, target = alternatives_of(request), _owner(request), request.GET["target"]
    parts = []
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute(*floor_statement(key, alternatives, owner_id=owner, limit=limit))
            parts += [
                f'<button type="button" class="list-group-item list-group-item-action" '
                f'data-pick="{pk}" data-target="{escape(target)}" data-label="{escape(title)}">'
                f"<bdi>{escape(title)}</bdi></button>"
                for pk, title in cursor.fetchall()
            ]
    return HttpResponse("".join(parts))


@login_required
def bare_record_picker(request, key):
    return _suggestions(request, (key,), 10)


@login_required
def bare_link_picker(request):
    return _suggestions(request, ("accounts", "contacts"), 8)
