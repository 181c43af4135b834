"""Time-based and idle triggers, found by the worker tick (issue 5 item 2).

Each scheduled rule keeps the end of the window it scanned last (``Rule.scanned_until``). A
tick scans the moving window (last scanned → now): the records whose moment — the date field
plus or minus the offset, in calendar or business time — falls in it are read by a range on
the field's index, so a tick costs the same over a million records as over a thousand. A run's
``dedupe_key`` (rule, record, occurrence) makes a window scanned twice fire nothing twice.
"""

from __future__ import annotations

import datetime
import logging

from django.db import transaction
from django.utils import timezone

from kesher.automation.engine import compile_rule, queue_scanned
from kesher.automation.models import Rule
from kesher.automation.triggers import UNITS, triggers
from kesher.platform.lists.filterlang import CustomValue, resolve_field
from kesher.platform.registry import registry

__all__ = ["due_by_field", "idle_records", "scan_rule", "scan_scheduled", "subtract_business_time"]

logger = logging.getLogger("kesher.automation")
BATCH = 2000


def _week(config: dict):
    """The business calendar the rule counts in: its company's, else the default one."""
    from kesher.activities.services import calendar_of

    return calendar_of(config.get("calendar"))


def _business_hours(config: dict, week) -> float:
    if config["unit"] == "days":
        start = datetime.datetime.combine(datetime.date(2026, 1, 4), week.day_start)
        end = datetime.datetime.combine(datetime.date(2026, 1, 4), week.day_end)
        return config["offset"] * (end - start).total_seconds() / 3600
    return config["offset"] * UNITS[config["unit"]] / 3600


def subtract_business_time(end: datetime.datetime, hours: float, week) -> datetime.datetime:
    """The latest moment from which ``hours`` working hours end at or before ``end``
    (the inverse of ``add_business_time``, found by bisection to the second)."""
    from kesher.activities.calendar import add_business_time

    low = end - datetime.timedelta(hours=hours * 7 + 24 * 30)
    high = end
    while (high - low) > datetime.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if add_business_time(middle, hours, week) <= end:
            low = middle
        else:
            high = middle
    return low


def _moment_bounds(config: dict, start, end):
    """The field values whose moment lies in (start, end], as (low, high) datetimes."""
    if not config.get("business"):
        delta = datetime.timedelta(seconds=config["offset"] * UNITS[config["unit"]])
        if config["direction"] == "after":
            return start - delta, end - delta
        return start + delta, end + delta
    from kesher.activities.calendar import add_business_time

    week = _week(config)
    hours = _business_hours(config, week)
    if config["direction"] == "after":
        return subtract_business_time(start, hours, week), subtract_business_time(end, hours, week)
    return add_business_time(start, hours, week), add_business_time(end, hours, week)


def _stored(kind: str, moment: datetime.datetime, custom: bool):
    """A moment as the field stores it: a local date, a datetime, or custom values' text."""
    if kind == "date":
        day = timezone.localtime(moment).date()
        return day.isoformat() if custom else day
    if custom:
        return moment.astimezone(datetime.UTC).isoformat(timespec="seconds")
    return moment


def due_by_field(compiled, start, end, config=None) -> tuple[list, datetime.datetime]:
    """The (record id, occurrence) pairs whose moment is in (start, end] and that meet the
    rule's condition, at most BATCH, and the end of the window actually covered."""
    config = config or compiled.rule.trigger_config
    entity = registry.get(compiled.rule.entity)
    ref = resolve_field(entity, config["field"])
    low, high = _moment_bounds(config, start, end)
    queryset = entity.model._base_manager.all()
    if ref.custom is not None:
        queryset = queryset.annotate(_due=CustomValue(ref.custom.key, ref.kind))
        column = "_due"
    else:
        column = ref.lookup
    custom = ref.custom is not None
    queryset = queryset.filter(
        **{
            f"{column}__gt": _stored(ref.kind, low, custom),
            f"{column}__lte": _stored(ref.kind, high, custom),
        }
    )
    if compiled.q is not None:
        queryset = queryset.alias(**compiled.aliases).filter(compiled.q)
    rows = list(queryset.order_by(column, "pk").values_list("pk", column)[:BATCH])
    found = [(pk, str(value)) for pk, value in rows]
    if len(rows) < BATCH:
        return found, end
    # More are due than one batch: cover up to the last value read; the next tick goes on
    # from there (its first rows again, which their dedupe keys keep from firing twice).
    return found, _covered(config, rows[-1][1], start)


def _covered(config: dict, value, start) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    elif not isinstance(value, datetime.datetime):
        value = datetime.datetime.combine(value, datetime.time())
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    low, _high = _moment_bounds(config, start, start)
    # The moment of the last value read: the window's start moved by how far the value is
    # past the window's low bound (exact for calendar time, a lower bound for business time).
    return max(start, start + (value - low) - datetime.timedelta(microseconds=1))


def idle_records(compiled, start, end):
    """Records not changed for the rule's number of days: ``updated_at`` + days in the window."""
    config = {
        "field": "updated_at",
        "offset": compiled.rule.trigger_config["days"],
        "unit": "days",
        "direction": "after",
        "business": False,
    }
    return due_by_field(compiled, start, end, config)


def scan_rule(rule: Rule, now=None) -> int:
    """Scan one scheduled rule's window up to ``now``; returns how many runs it made."""
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the rule: two workers' ticks must not scan the same window at once.
        locked = Rule._base_manager.select_for_update().filter(pk=rule.pk, enabled=True).first()
        if locked is None:
            return 0
        start = locked.scanned_until or now
        if start >= now:
            if locked.scanned_until is None:
                Rule._base_manager.filter(pk=locked.pk).update(scanned_until=now)
            return 0
        compiled = compile_rule(locked)
        found, covered = compiled.trigger.scan(compiled, start, now)
        if found:
            # One statement queues them all (a run per record, its dedupe key the occurrence).
            window = [start.isoformat(), covered.isoformat()]
            queue_scanned(
                locked,
                {pk: f"{locked.pk}:{pk}:{occurrence}"[:200] for pk, occurrence in found},
                info={"event": locked.trigger_kind, "window": window},
            )
        Rule._base_manager.filter(pk=locked.pk).update(scanned_until=covered)
    return len(found)


def scan_scheduled(now=None) -> int:
    """The tick's job: scan every enabled time-based and idle rule."""
    kinds = [t.kind for t in triggers() if t.scan is not None]
    made = 0
    for rule in Rule.objects.filter(enabled=True, trigger_kind__in=kinds).order_by("pk"):
        try:
            made += scan_rule(rule, now)
        except Exception:
            # One rule's failure (a field deleted since) must not stop the others.
            logger.exception("automation rule %s: scan failed", rule.pk)
    return made
