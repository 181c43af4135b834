"""Whoever received a person's data, and telling them of its correction (Privacy Protection Law
§14: whoever the data was passed to in the last 3 years is told of a correction; issue 25 item
2; decision 0098).

Who received it is read from what Kesher logged when it passed the data on:
The person is the request's contact or, for someone who never became one, his lead (decision
0115): the same four sources are read for the lead's record (its exports, messages about it,
deliveries of it), and the lead's history says what was corrected.

- **exports** in the access log: a user who exported the person (his data, or a list of
  contacts that held him — a list's export names its records as id runs; one logged before
  it did may have held anyone, and counts), or a file of other records that named which it
  held, among them one that names him (the accountant's file of tax documents made out to
  him, a list of his tickets; decision 0126);
- **full exports** of all data (operations' ``DataExport``), by the administrator who made one;
- **messages** sent about the person or a record of his (``link_type``/``link_id``: a record
  that links to him, as his quote does) to an address that is not his own — a quote e-mailed
  to his accountant;
- **webhook deliveries** of the person's contact record, or of a record of his (his ticket),
  to an outside system.

Telling them: a user gets a notification (he holds a file: update or delete it), an address an
e-mail naming the corrected fields and their new values, a webhook the record as it now is
(event ``privacy.corrected``). What was passed on, to whom, is kept on the request.
"""

from __future__ import annotations

import datetime
import html
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, override

from kesher.activities.messages import register_message
from kesher.activities.models import Notification
from kesher.activities.services import notify
from kesher.customers.models import Contact
from kesher.integrations.models import OutgoingMessage, WebhookDelivery, WebhookSubscription
from kesher.integrations.services import send_email_message, send_text, webhook_enqueue
from kesher.operations.models import DataExport
from kesher.org.models import User
from kesher.platform import accesslog
from kesher.platform.models import AuditEntry
from kesher.platform.records import audit
from kesher.platform.records.services import write_audit
from kesher.privacy.models import (
    AccessAction,
    AccessEntry,
    RequestKind,
    RequestStatus,
    SubjectRequest,
)
from kesher.privacy.selectors import linking_kinds, records_naming
from kesher.sales.models import Lead

__all__ = [
    "Recipient",
    "corrections",
    "person_of",
    "recipients",
    "request_pass_on",
]

CONTACTS = "contacts"
LEADS = "leads"
# The law: whoever received the data in the three years before the request.
LOOK_BACK_DAYS = 3 * 365 + 1
CORRECTED = register_message(
    "privacy.corrected",
    gettext_lazy(
        "The details of %(person)s you exported were corrected (%(fields)s): update or delete "
        "your copy"
    ),
)
PASSED_ON = audit.register_fact(
    "privacy.passed_on", gettext_lazy("the correction passed on to those who received the data")
)
# How the data reached a recipient, as shown.
HOW = {
    "export_person": gettext_lazy("exported the person's data"),
    "export_list": gettext_lazy("exported a list of contacts"),
    "export_leads": gettext_lazy("exported a list of leads"),
    "export_records": gettext_lazy("exported records that name him (his documents, tickets…)"),
    "full_export": gettext_lazy("made a full export"),
    "message": gettext_lazy("was sent a message about him"),
    "webhook": gettext_lazy("received his record, or one of his, by webhook"),
}


@dataclass(frozen=True)
class Recipient:
    """Someone the person's data was passed to: ``kind`` "user" (``key``: his id), "email"
    (the address; "sms", "whatsapp" a number) or "webhook" (the subscription's id); ``how``
    what passed it (a key of ``HOW``); ``last`` when."""

    @property
    def how_label(self) -> str:
        return str(HOW.get(self.how, self.how))

    kind: str
    key: str
    label: str
    how: str
    last: datetime.datetime


def since_for(request: SubjectRequest) -> datetime.datetime:
    received = datetime.datetime.combine(request.received_on, datetime.time.min)
    return timezone.make_aware(received) - datetime.timedelta(days=LOOK_BACK_DAYS)


def person_of(request: SubjectRequest) -> Contact | Lead | None:
    """Whom a request is about: its contact, or the lead of someone who never became one."""
    return request.contact if request.contact_id else request.lead


def _own_addresses(contact: Contact | Lead) -> set[str]:
    return {a.strip().lower() for a in (contact.email, contact.phone, contact.mobile) if a}


def recipients(contact: Contact | Lead, *, since: datetime.datetime) -> list[Recipient]:
    """Everyone Kesher passed ``contact``'s data to since ``since``, each once (with the last
    time): five queries — his records of other kinds (``records_naming``: what files of them
    and messages about them passed on), exports, full exports, messages, deliveries — and one
    for the users' names. ``contact`` may be a lead: his lead's exports, messages and
    deliveries are read."""
    entity = LEADS if isinstance(contact, Lead) else CONTACTS
    found: dict[tuple[str, str], Recipient] = {}

    def add(kind: str, key, label: str, how: str, last) -> None:
        known = found.get((kind, str(key)))
        if known is None or known.last < last:
            found[(kind, str(key))] = Recipient(kind, str(key), label, how, last)

    from kesher.privacy.accesslog import batches

    batches.flush()  # this process's exports of the last second count too
    exports = (
        AccessEntry.objects.filter(action=AccessAction.EXPORT, at__gte=since)
        .filter(
            Q(entity=entity, record_id=contact.pk)
            | Q(entity=entity, record_id__isnull=True)
            # Files of other kinds of record that named which they held (decision 0126).
            | (Q(record_id__isnull=True, records__gt="") & ~Q(entity=entity))
        )
        .values_list("user_id", "entity", "record_id", "records", "at")
    )
    users: dict[int, list] = {}
    others: list[tuple[int, str, str, datetime.datetime]] = []
    for user_id, kind, record_id, records, at in exports:
        if kind != entity:
            others.append((user_id, kind, records, at))
            continue
        if record_id:
            how = "export_person"
        elif records is None or accesslog.contains(records, contact.pk):
            # A list's export that held him (or, logged before, may have).
            how = "export_leads" if entity == LEADS else "export_list"
        else:
            continue
        users.setdefault(user_id, []).append((how, at))
    # His records of every kind that links to him (his quotes, tickets, tax documents…): what
    # a file of them, or a message about one, passed on of him. One statement.
    his = records_naming(contact, {kind for _u, kind, _r, _a in others} | linking_kinds(contact))
    if others:
        for user_id, kind, records, at in others:
            if any(accesslog.contains(records, pk) for pk in his.get(kind, ())):
                users.setdefault(user_id, []).append(("export_records", at))
    for export in DataExport.objects.filter(
        status=DataExport.Status.DONE, created_at__gte=since, actor__isnull=False
    ).values("actor_id", "created_at"):
        users.setdefault(export["actor_id"], []).append(("full_export", export["created_at"]))
    names = {u.pk: u for u in User.objects.filter(pk__in=users)}
    for user_id, seen in users.items():
        user = names.get(user_id)
        for how, last in seen:
            add("user", user_id, str(user) if user else f"#{user_id}", how, last)

    own = _own_addresses(contact)
    about = Q(link_type=entity, link_id=contact.pk)
    for kind, ids in his.items():
        about |= Q(link_type=kind, link_id__in=ids)
    for message in OutgoingMessage.objects.filter(
        about, status=OutgoingMessage.Status.SENT, sent_at__gte=since
    ).only("to", "channel", "sent_at"):
        for address in message.recipients:
            if address.strip().lower() not in own:
                add(
                    "email" if message.channel == "email" else message.channel,
                    address.strip(),
                    address.strip(),
                    "message",
                    message.sent_at,
                )

    # His record, or one of his records (his ticket), delivered to an outside system.
    delivered = Q(payload__entity=entity, payload__id=contact.pk)
    for kind, ids in his.items():
        delivered |= Q(payload__entity=kind, payload__id__in=ids)
    deliveries = (
        WebhookDelivery.objects.filter(
            delivered,
            status=WebhookDelivery.Status.DELIVERED,
            delivered_at__gte=since,
            subscription__isnull=False,
        )
        .values("subscription_id", "subscription__name")
        .annotate(last=Max("delivered_at"))
    )
    for row in deliveries:
        add("webhook", row["subscription_id"], row["subscription__name"], "webhook", row["last"])
    return sorted(found.values(), key=lambda r: (r.kind, r.label))


def corrections(request: SubjectRequest) -> dict[str, list]:
    """What was corrected in the person's record since the request arrived, from its history:
    field → [label, its value now] (the last change of each). A lead's request: the lead's."""
    contact = person_of(request)
    model = type(contact)
    received = timezone.make_aware(
        datetime.datetime.combine(request.received_on, datetime.time.min)
    )
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id=contact.pk,
        action=AuditEntry.Action.UPDATE,
        at__gte=received,
    ).order_by("at", "pk")
    changed: dict[str, list] = {}
    for entry in entries:
        for name, values in (entry.changes or {}).items():
            if name.startswith("_") or ("." in name and not name.startswith("custom.")):
                continue  # bookkeeping, or a fact (anonymized, kept by law): not a value
            try:
                label = str(model._meta.get_field(name).verbose_name)
            except FieldDoesNotExist:
                label = name.removeprefix("custom.")
            new = values[1] if isinstance(values, list) and len(values) == 2 else values
            changed[name] = [label, new]
    return changed


def _email_body(contact: Contact | Lead, changed: dict, when: datetime.date) -> str:
    rows = "".join(
        f"<li>{html.escape(label)}: {html.escape(str(value if value is not None else ''))}</li>"
        for label, value in changed.values()
    )
    intro = _(
        "The personal details of %(person)s that we passed to you were corrected on %(date)s. "
        "Please correct them in your records too:"
    ) % {"person": html.escape(str(contact)), "date": when.strftime("%d/%m/%Y")}
    return f"<p>{intro}</p><ul>{rows}</ul>"


@transaction.atomic
def request_pass_on(request: SubjectRequest, *, actor) -> SubjectRequest:
    """Tell everyone who received the person's data in the three years before a request to
    correct it what was corrected, once; the request keeps whom it told and how."""
    locked = SubjectRequest.objects.select_for_update().get(pk=request.pk)
    if locked.kind != RequestKind.CORRECTION:
        raise ValidationError(_("Only a request to correct the data is passed on."))
    if locked.status == RequestStatus.REFUSED:
        raise ValidationError(_("This request is closed."))
    contact = person_of(locked)
    if contact is None:
        raise ValidationError(_("The person is no longer in Kesher."))
    if (locked.outcome or {}).get("passed_on_at"):
        raise ValidationError(_("The correction was already passed on."))
    changed = corrections(locked)
    if not changed:
        raise ValidationError(
            _("Nothing in the person's record was corrected since the request arrived.")
        )
    found = recipients(contact, since=since_for(locked))
    today = timezone.localdate()
    labels = ", ".join(label for label, _value in changed.values())
    users = {
        u.pk: u for u in User.objects.filter(pk__in=[r.key for r in found if r.kind == "user"])
    }
    subscriptions = {
        str(s.pk): s
        for s in WebhookSubscription.objects.filter(
            pk__in=[r.key for r in found if r.kind == "webhook"], active=True
        )
    }
    told = []
    for recipient in found:
        via = ""
        if recipient.kind == "user" and int(recipient.key) == actor.pk:
            via = ""  # the officer himself, who corrected it
        elif recipient.kind == "user" and int(recipient.key) in users:
            if notify(
                users[int(recipient.key)],
                verb=Notification.Verb.REMINDER,
                message=CORRECTED,
                params={"person": str(contact), "fields": labels},
                record=contact,
            ):
                via = "notification"
        elif recipient.kind == "email":
            # To someone outside: in the organization's language.
            with override(settings.LANGUAGE_CODE):
                subject = _("Correction of personal details you received")
                body = _email_body(contact, changed, today)
            send_email_message(
                to=[recipient.key],
                subject=subject,
                body_html=body,
                record=contact,
                source=f"privacy request {locked.pk}",
                idempotency_key=f"privacy:{locked.pk}:email:{recipient.key}",
            )
            via = "email"
        elif recipient.kind in ("sms", "whatsapp"):
            with override(settings.LANGUAGE_CODE):
                text = _(
                    "The personal details of %(person)s that we passed to you were corrected "
                    "(%(fields)s). Please correct them in your records too."
                ) % {"person": str(contact), "fields": labels}
            send_text(
                channel=recipient.kind,
                to=recipient.key,
                body=text,
                record=contact,
                source=f"privacy request {locked.pk}",
                idempotency_key=f"privacy:{locked.pk}:{recipient.kind}:{recipient.key}",
            )
            via = recipient.kind
        elif recipient.kind == "webhook" and recipient.key in subscriptions:
            subscription = subscriptions[recipient.key]
            webhook_enqueue(
                url=subscription.url,
                secret=subscription.secret,
                event="privacy.corrected",
                payload={
                    "event": "privacy.corrected",
                    "entity": LEADS if isinstance(contact, Lead) else CONTACTS,
                    "id": contact.pk,
                    "occurred_at": timezone.now().isoformat(),
                    "corrected": {name: value for name, (_l, value) in changed.items()},
                },
                source=f"privacy request {locked.pk}",
                idempotency_key=f"privacy:{locked.pk}:webhook:{subscription.pk}",
                subscription=subscription,
            )
            via = "webhook"
        entry = {**asdict(recipient), "last": recipient.last.isoformat(), "told_by": via}
        told.append(entry)
    outcome = {
        **(locked.outcome or {}),
        "corrected": sorted(changed),
        "passed_on": told,
        "passed_on_at": timezone.now().isoformat(),
    }
    SubjectRequest.objects.filter(pk=locked.pk).update(outcome=outcome, version=F("version") + 1)
    write_audit(locked, actor=actor, action="update", changes={PASSED_ON: [None, len(told)]})
    locked.refresh_from_db()
    return locked
