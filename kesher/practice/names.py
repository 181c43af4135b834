"""Where the practice copy lives (REQ IM-6, IMPL-2; decision 0029). Pure functions with no
Django imports: ``kesher/settings.py`` calls them before Django is set up."""

from __future__ import annotations

from pathlib import Path

__all__ = ["SUFFIX", "practice_database"]

SUFFIX = "_practice"


def practice_database(live: dict, sqlite_path: Path) -> dict:
    """The practice database's settings: the live ones with another file or database name.

    SQLite: the file at ``sqlite_path``; PostgreSQL: the live database's name plus
    ``_practice`` on the same server. Never the live name: the practice process has no
    connection to the live database at all.
    """
    practice = {**live, "OPTIONS": dict(live.get("OPTIONS") or {})}
    if "sqlite3" in practice["ENGINE"]:
        practice["NAME"] = Path(sqlite_path)
    else:
        practice["NAME"] = f"{live['NAME']}{SUFFIX}"
    if str(practice["NAME"]) == str(live["NAME"]):
        raise ValueError("the practice database must not be the live one")
    test = dict(live.get("TEST") or {})
    if test.get("NAME"):
        test["NAME"] = f"{test['NAME']}{SUFFIX}"
    practice["TEST"] = test
    return practice
