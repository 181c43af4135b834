"""First-use guidance (REQ IMPL-2, seed 004 "fast onboarding"): each module's first page shows a
short hint until the user dismisses it; a dismissed hint is never shown to him again."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy

__all__ = ["Hint", "hint_for_module", "hint_for_path", "hints"]


@dataclass(frozen=True)
class Hint:
    module: str
    path: str  # the module's first page (its list), where the hint shows
    title: object
    text: object


_HINTS = (
    Hint(
        "accounts",
        "/r/accounts/",
        gettext_lazy("Accounts: your customers"),
        gettext_lazy(
            "Each account is a company or a private customer. Open one to see its contacts, "
            "deals, tickets and every interaction on one timeline; “New” adds one, and the "
            "search box finds any by name, phone or e-mail."
        ),
    ),
    Hint(
        "contacts",
        "/r/contacts/",
        gettext_lazy("Contacts: the people you talk to"),
        gettext_lazy(
            "A contact belongs to one or more accounts. Click a phone number to call, and log "
            "each call or meeting on the contact's page so the whole team knows what was said."
        ),
    ),
    Hint(
        "tickets",
        "/r/tickets/",
        gettext_lazy("Tickets: customers' service requests"),
        gettext_lazy(
            "Each request moves through its statuses; moving it to the next status hands it to "
            "the next team with a task. The clock shows how long is left to answer."
        ),
    ),
    Hint(
        "opportunities",
        "/r/opportunities/",
        gettext_lazy("Deals: the sales in progress"),
        gettext_lazy(
            "Move a deal from stage to stage on the board; its value and probability feed the "
            "forecast. Log the next step as a task so nothing falls between the chairs."
        ),
    ),
    Hint(
        "tasks",
        "/r/tasks/",
        gettext_lazy("Tasks: what you have to do"),
        gettext_lazy(
            "Your open tasks, by due date. Tasks come from colleagues and from the "
            "organization's processes; close one as done when you finish it."
        ),
    ),
    Hint(
        "imports",
        "/imports/",
        gettext_lazy("Importing: bring your spreadsheets in"),
        gettext_lazy(
            "Try each import in the practice environment first: upload the file, match its "
            "columns, read the check's report, then import. An import can be undone."
        ),
    ),
    Hint(
        "reports",
        "/reports/",
        gettext_lazy("Reports: figures from your data"),
        gettext_lazy(
            "Choose what to count and how to group it; save the report, put it on a dashboard "
            "or have it e-mailed every week."
        ),
    ),
)


def hints() -> tuple[Hint, ...]:
    return _HINTS


def hint_for_module(module: str) -> Hint | None:
    return next((h for h in _HINTS if h.module == module), None)


def hint_for_path(path: str) -> Hint | None:
    """The hint of the module whose first page ``path`` is: shown there, not on every record's
    page, so a record's page reads nothing more."""
    return next((h for h in _HINTS if path == h.path), None)
