"""Automation's "a quote is accepted" trigger (REQ SA-10, AU-1): fired by the customer's
acceptance (``kesher.quotes.services.quote_accept``), for rules on quotes."""

from django.utils.translation import gettext_lazy

from kesher.automation.triggers import Trigger, register_trigger
from kesher.quotes.services import QUOTE_ACCEPTED


def _accepted(rule, event) -> list[int]:
    return [event.object_id] if event.entity == rule.entity == "quotes" else []


register_trigger(
    Trigger(
        "quote_accepted",
        gettext_lazy("A quote is accepted"),
        events=(QUOTE_ACCEPTED,),
        match=_accepted,
        description=gettext_lazy(
            "The customer accepted the quote (its link, or a user recording it); its order "
            "exists and its deal has moved."
        ),
    )
)
