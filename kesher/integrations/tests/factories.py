"""Templates, records and messages for the integrations tests, made through the services."""

from __future__ import annotations

import itertools

from kesher.customers.tests.factories import make_account
from kesher.integrations.services import email_template_create, send_email

_sequence = itertools.count(1)

HEBREW_BODY = (
    "<p>שלום {{ name }},</p><p>איש הקשר שלך: {{ owner }}.</p>"
    '<p><a href="https://kesher.example/help">עזרה</a></p>'
)


def make_template(actor, **data):
    data.setdefault("name", f"template {next(_sequence)}")
    data.setdefault("entity", "accounts")
    data.setdefault("subject_he", "שלום {{ name }}")
    data.setdefault("body_he", HEBREW_BODY)
    data.setdefault("subject_en", "Hello {{ name }}")
    data.setdefault("body_en", "<p>Hello {{ name }},</p><p>Your contact: {{ owner }}.</p>")
    return email_template_create(actor=actor, data=data)


def queue_email(actor, *, record=None, key=None, **extra):
    template = extra.pop("template", None) or make_template(actor)
    record = record or make_account(actor, name="דנה כהן", owner=actor)
    return send_email(
        template_id=template.pk,
        record=record,
        to=extra.pop("to", ["dana@example.co.il"]),
        language=extra.pop("language", "he"),
        source="test",
        idempotency_key=key or f"test-{next(_sequence)}",
    )
