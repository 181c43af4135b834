"""Automation's "stock falls below its minimum" trigger (REQ SA-11, AU-1; decision 0083), for
rules on warehouses: fired by the stock services once per crossing — when a move takes a
product's level in a warehouse from at or above its minimum to below it — never again on the
moves that keep it below, until it has risen back to the minimum."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.automation.triggers import Trigger, register_trigger

__all__ = ["BELOW_MINIMUM"]

BELOW_MINIMUM = "stock_below_minimum"


def _validate(entity, config: dict) -> dict:
    if entity.key != "warehouses":
        raise ValidationError({"trigger_kind": [_("Only a warehouse's stock falls low.")]})
    if config:
        raise ValidationError({"trigger_config": [_("This trigger has no settings.")]})
    return {}


register_trigger(
    Trigger(
        BELOW_MINIMUM,
        gettext_lazy("Stock falls below its minimum"),
        validate=_validate,
        description=gettext_lazy(
            "A product's level in the warehouse fell below the minimum set for it; once per "
            "crossing, not on every move while it stays low (order, notify the technician)."
        ),
    )
)
