"""A "הסר" / STOP reply by SMS or WhatsApp refuses advertising on that channel (Communications
Law §30A; ISRAEL.md "Advertising messages"; decision 0105).

The service desk's inbound-text webhook offers each text to the handlers registered with
``register_text_intake`` before the tickets: a text that is one of the refusal words (the
``refusal_word`` pick-list, data an administrator edits) records a refusal in the consent
ledger for every contact and lead with that number, on that channel, and opens no ticket. The
provider's message id makes a text delivered twice count once. In the practice environment
nothing is received (the service desk records it as not received).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kesher.integrations.gateways import InboundText
from kesher.marketing.models import Purpose, TextRefusal
from kesher.platform.models import Choice
from kesher.service.texting import TextReceived, register_text_intake
from kesher.telephony.selectors import number_e164

__all__ = ["REFUSED", "is_refusal", "text_refusal"]

REFUSED = "refused"
WORD = re.compile(r"[\W_]+", re.UNICODE)


def is_refusal(body: str) -> bool:
    """Whether a text is one of the refusal words alone (case, spaces and punctuation aside)."""
    word = WORD.sub("", body or "").casefold()
    if not word or len(word) > 40:
        return False
    words = Choice.objects.filter(list_key="refusal_word", active=True).values_list(
        "value", flat=True
    )
    return word in {WORD.sub("", w).casefold() for w in words}


def _refuse(text: InboundText, sender: str) -> int:
    from kesher.customers.models import Contact
    from kesher.marketing.services import consent_refuse
    from kesher.sales.models import Lead

    same = Q(mobile=sender) | Q(phone=sender)
    people = [("contact", c) for c in Contact.objects.filter(same).order_by("pk")]
    people += [("lead", lead) for lead in Lead.objects.filter(same).order_by("pk")]
    for kind, person in people:
        consent_refuse(
            **{kind: person},
            channel=text.channel,
            purpose=Purpose.ADVERTISING,
            method="reply",
            source=_("Reply “%(text)s” by %(channel)s")
            % {
                "text": text.body.strip()[:40],
                "channel": text.channel,
            },
            proof=f"{text.channel} {text.reference} from {sender}",
        )
    return len(people)


def text_refusal(text: InboundText) -> TextReceived | None:
    """Take a refusal reply: record it for the number's people; None for any other text."""
    if settings.KESHER_PRACTICE or text.channel not in ("sms", "whatsapp"):
        return None
    if not is_refusal(text.body):
        return None
    if TextRefusal.objects.filter(channel=text.channel, reference=text.reference).exists():
        return TextReceived(REFUSED, None, duplicate=True)
    sender = number_e164(text.sender) or text.sender[:40]
    try:
        with transaction.atomic():
            row = TextRefusal.objects.create(
                channel=text.channel, reference=text.reference[:200], sender=sender
            )
            row.people = _refuse(text, sender)
            row.save(update_fields=["people"])
    except IntegrityError:
        # The gateway delivered it twice at once: the other request took it.
        return TextReceived(REFUSED, None, duplicate=True)
    return TextReceived(REFUSED, None)


register_text_intake(text_refusal)
