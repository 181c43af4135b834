"""What the CalDAV and the CardDAV sync share (decisions 0110, 0123): reaching a user's server
through the outgoing-address guard (decision 0113), the server's failures as a
``ProviderError`` with the wait before the next try, and a run's outcome — the last sync, the
last problem, the backoff — kept on the connection, whichever kind it is."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from caldav import DAVClient
from caldav.lib import error
from django.conf import settings
from django.utils import timezone

from kesher.calsync.models import DavConnection, Problem
from kesher.platform.outgoing import check_url

__all__ = [
    "ProviderError",
    "client_for",
    "guarded",
    "record_outcome",
    "status",
    "to_read_and_gone",
]

logger = logging.getLogger("kesher.calsync")

TIMEOUT = 120  # a large collection's first listing takes a busy server a while
BACKOFF_FIRST = 60
BACKOFF_MOST = 3600


class ProviderError(Exception):
    """The server refused or failed: the run stops, and tries again at ``retry_after``."""

    def __init__(self, problem: str, detail: str = "", retry_after: float | None = None):
        super().__init__(detail or problem)
        self.problem = problem
        self.detail = detail
        self.retry_after = retry_after


def client_for(url: str, username: str, password: str) -> DAVClient:
    # Only public servers, unless the operator allows the host (decision 0113): checked before
    # each run, as the address's name may lead elsewhere since it was saved.
    try:
        check_url(url)
    except OSError as refused:
        raise ProviderError(Problem.UNREACHABLE, str(refused)) from None
    # No sleeping inside a worker's tick: a 429 is the run's end, retried later (``retry_at``).
    return DAVClient(
        url=url,
        username=username,
        password=password,
        timeout=TIMEOUT,
        rate_limit_handle=False,
    )


def guarded(call, *args, not_found: str = Problem.NOT_CALENDAR, **kwargs):
    """``call`` with the server's failures as a ProviderError (an expired sync token, the
    ``DAV:valid-sync-token`` precondition, is let through: the caller starts over)."""
    try:
        return call(*args, **kwargs)
    except error.RateLimitError as failure:
        raise ProviderError(
            Problem.RATE_LIMITED, str(failure), failure.retry_after_seconds
        ) from failure
    except error.AuthorizationError as failure:
        if "{DAV:}valid-sync-token" in (getattr(failure, "preconditions", None) or []):
            raise
        raise ProviderError(Problem.SIGN_IN, str(failure)) from failure
    except error.NotFoundError as failure:
        raise ProviderError(not_found, str(failure)) from failure
    except error.DAVError as failure:
        raise ProviderError(Problem.SERVER, str(failure)) from failure
    except (OSError, ValueError) as failure:  # refused, timed out, no such host, bad address
        raise ProviderError(Problem.UNREACHABLE, repr(failure)) from failure
    except Exception as failure:  # the HTTP library's own connection errors
        if type(failure).__name__ in {"ConnectionError", "Timeout", "ReadTimeout"}:
            raise ProviderError(Problem.UNREACHABLE, repr(failure)) from failure
        raise


def status(response, url: str) -> int:
    """The answer's status; a 5xx, 429, 401 or 403 as the ProviderError it is."""
    code = response.status
    if code == 429 or code >= 500:
        retry = response.headers.get("Retry-After") if response.headers else None
        seconds = float(retry) if retry and retry.isdigit() else None
        problem = Problem.RATE_LIMITED if code == 429 else Problem.SERVER
        raise ProviderError(problem, f"{code} {url}", seconds)
    if code in (401, 403):
        raise ProviderError(Problem.SIGN_IN, f"{code} {url}")
    return code


def to_read_and_gone(
    changed: dict[str, str], known: dict[str, Any], deleted: set[str], full: bool
) -> tuple[list[str], set[str]]:
    """From a sync report (``changed``: href → ETag) and the items synced before (``known``,
    by href, each with its ``etag``): the hrefs to read — new, or their ETag moved — in order,
    and the hrefs gone. A full compare (no token, or an expired one) reports no deletions: what
    the server no longer lists is gone."""
    if full:
        deleted = {href for href in known if href not in changed}
    to_read = [
        href
        for href, etag in changed.items()
        if known.get(href) is None or not etag or known[href].etag != etag
    ]
    return sorted(to_read), deleted


def record_outcome(connection: DavConnection, run: Callable[[], Any]):
    """Run ``run()`` for ``connection`` and keep its outcome on it: the last sync and what went
    each way (the result's ``sent``, ``deleted``, ``received`` and ``removed``), or the problem
    and the next try — the server's Retry-After, else 1, 2, 4 … 60 minutes. A ProviderError is
    raised again once kept."""
    now = timezone.now()
    connection.due_at = None
    try:
        result = run()
    except ProviderError as failure:
        connection.due_at = now  # still to do, once the wait is over
        connection.failures += 1
        wait = failure.retry_after or min(
            BACKOFF_FIRST * 2 ** (connection.failures - 1), BACKOFF_MOST
        )
        connection.retry_at = now + datetime.timedelta(seconds=wait)
        connection.problem = failure.problem
        connection.problem_detail = failure.detail[:500]
        connection.problem_at = now
        connection.save(
            update_fields=[
                "failures",
                "retry_at",
                "problem",
                "problem_detail",
                "problem_at",
                "due_at",
            ]
        )
        logger.warning("%s %s: %s", connection._meta.model_name, connection.pk, failure.detail)
        raise
    connection.failures = 0
    connection.retry_at = None
    connection.last_sync_at = now
    connection.last_sent = result.sent + result.deleted
    connection.last_received = result.received + result.removed
    fields = ["failures", "retry_at", "last_sync_at", "last_sent", "last_received", "due_at"]
    if connection.problem:
        connection.problem, connection.problem_detail, connection.problem_at = "", "", None
        fields += ["problem", "problem_detail", "problem_at"]
    connection.save(update_fields=fields)
    return result


def practice() -> bool:
    """The practice environment never reaches a real server (REQ IM-6)."""
    return bool(settings.KESHER_PRACTICE)
