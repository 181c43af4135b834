"""Reads of the message log and webhook deliveries, always through ``visible_to(user)``."""

from __future__ import annotations

from kesher.integrations.models import OutgoingMessage, WebhookDelivery

__all__ = ["delivery_page", "message_filters", "message_page"]

PAGE_SIZE = 50


def _whole(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def message_filters(params) -> dict:
    """The log's filters from a query string; values outside their lists are dropped."""
    filters = {}
    if params.get("channel") in OutgoingMessage.Channel.values:
        filters["channel"] = params["channel"]
    if params.get("status") in OutgoingMessage.Status.values:
        filters["status"] = params["status"]
    link_type = params.get("link_type", "")
    if link_type and len(link_type) <= 40:
        filters["link_type"] = link_type
    for name in ("link_id", "message"):
        value = _whole(params.get(name))
        if value is not None:
            filters[name] = value
    return filters


def message_page(user, filters: dict, before=None, size: int = PAGE_SIZE):
    """One page of the log, newest first, and the id to continue from (None: the last page).
    Paged by id (keyset), so a deep page costs what the first does."""
    # The HTML stays in the database: the log shows the subject and the text version.
    qs = OutgoingMessage.objects.visible_to(user).defer("body_html")
    lookups = {k: v for k, v in filters.items() if k != "message"}
    if "message" in filters:
        lookups["pk"] = filters["message"]
    qs = qs.filter(**lookups).order_by("-id")
    before = _whole(before)
    if before is not None:
        qs = qs.filter(pk__lt=before)
    rows = list(qs[: size + 1])
    older = rows[size - 1].pk if len(rows) > size else None
    return rows[:size], older


def delivery_page(user, status: str = "", size: int = 100) -> list[WebhookDelivery]:
    qs = WebhookDelivery.objects.visible_to(user).select_related("subscription")
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-id")[:size])
