"""Whether Kesher may send anything out of this process (REQ IM-6; decision 0029).

In the practice environment (``KESHER_PRACTICE=1``) e-mail goes to files under
``var/practice/outbox/`` instead of a mail server (the settings switch the backend), and every
other outgoing channel — the SMS and WhatsApp gateways, webhooks, calendar invitations — must
ask ``outgoing_suppressed()`` before it sends and, when it answers True, record the message as
not sent instead. A trainee's practice campaign must never reach a real customer.
"""

from django.conf import settings

__all__ = ["outgoing_suppressed"]


def outgoing_suppressed() -> bool:
    """True in the practice environment: send nothing to the outside world."""
    return bool(settings.KESHER_PRACTICE)
