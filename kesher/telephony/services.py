"""Every write of the telephony app (REQ IN-2): a call's events logged once, the screen pop,
click-to-dial through the phone system, the connections and extensions administrators keep."""

from __future__ import annotations

import datetime
import math
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from kesher.platform.access import can
from kesher.platform.fields import format_phone_national
from kesher.platform.records.services import record_create, record_update
from kesher.platform.registry import registry
from kesher.practice.outgoing import outgoing_suppressed
from kesher.telephony import hub
from kesher.telephony.adapters import MAX_SKEW_SECONDS, CallEvent, Refused
from kesher.telephony.models import Call, PbxConnection, PhoneExtension, PopEvent, WebhookReceipt
from kesher.telephony.selectors import caller_find, extension_users, number_e164

__all__ = [
    "DialResult",
    "call_event_record",
    "dial",
    "pbx_connection_create",
    "pbx_connection_update",
    "phone_extension_create",
    "phone_extension_update",
    "pop_payload",
    "pop_publish",
]

STAGE = {"ringing": 0, "answered": 1, "ended": 2}
MIN_SECRET = 16
POP_KEEP = datetime.timedelta(hours=1)


# --- administrators' data ------------------------------------------------------------------------


def _check_connection(data: dict) -> None:
    secret = data.get("secret")
    if secret is not None and len(str(secret)) < MIN_SECRET:
        raise ValidationError(
            {"secret": [_("The secret must be at least %(n)s characters.") % {"n": MIN_SECRET}]}
        )
    field_map = data.get("field_map")
    if field_map not in (None, "") and not (
        isinstance(field_map, dict)
        and all(isinstance(k, str) and isinstance(v, str | dict) for k, v in field_map.items())
    ):
        raise ValidationError(
            {"field_map": [_("The field mapping must be an object of names to names.")]}
        )


@transaction.atomic
def pbx_connection_create(*, actor, data: dict, m2m: dict | None = None) -> PbxConnection:
    """Add a phone system; its secret is made when none is given."""
    _check_connection(data)
    return record_create("pbx-connections", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def pbx_connection_update(connection, *, actor, data: dict, m2m=None, expected_version=None):
    _check_connection(data)
    return record_update(
        connection, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


@transaction.atomic
def phone_extension_create(*, actor, data: dict, m2m: dict | None = None) -> PhoneExtension:
    """Give a user his extension on a phone system (one per user)."""
    return record_create("phone-extensions", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def phone_extension_update(extension, *, actor, data: dict, m2m=None, expected_version=None):
    return record_update(
        extension, actor=actor, data=data, m2m=m2m, expected_version=expected_version
    )


# --- calls -----------------------------------------------------------------------------------


@transaction.atomic
def call_event_record(*, connection: PbxConnection, event: CallEvent, digest: str = "") -> Call:
    """Log one event of a call: the first event of a call id makes its row and its call
    interaction; later ones (answered, ended) update the same two — an event repeated or
    arriving after a later one changes nothing (at most once under the PBX's retries). Every
    user whose extension rang (several for a shared one) gets the screen pop once; the call is
    his if he is the only one. ``digest`` identifies a signed request: the same one again is a
    replay, refused (409)."""
    if digest:
        try:
            with transaction.atomic():
                WebhookReceipt.objects.create(connection=connection, digest=digest)
        except IntegrityError:
            raise Refused(_("This request was already received."), status=409) from None
        # Older signatures than the timestamp window are refused as stale anyway.
        stale = timezone.now() - datetime.timedelta(seconds=2 * MAX_SKEW_SECONDS)
        WebhookReceipt.objects.filter(received_at__lt=stale).delete()
    call, new = _call_locked(connection, event)
    if not new and STAGE[event.event] <= STAGE[call.status]:
        return call  # a repeat, or an event overtaken by a later one
    changed = _apply(call, event)
    call.save(update_fields=None if new else changed)
    _log_interaction(call)
    if call.direction == "in" and not call.popped and call.status != "ended":
        for user in extension_users(call.connection, call.extension):
            pop_publish(user, pop_payload(call, user))
        call.popped = True
        call.save(update_fields=["popped"])
    return call


def _call_locked(connection, event: CallEvent) -> tuple[Call, bool]:
    # Locked: two events of one call arriving together must not both make it, nor both log.
    found = Call.objects.select_for_update().filter(connection=connection, call_id=event.call_id)
    call = found.first()
    if call is not None:
        return call, False
    call = Call(connection=connection, call_id=event.call_id, direction=event.direction)
    try:
        with transaction.atomic():
            call.status = "ringing"
            call.save()
    except IntegrityError:  # made meanwhile by the same call's other event
        return found.get(), False
    return call, True


def _apply(call: Call, event: CallEvent) -> list[str]:
    call.status = event.event
    call.updated_at = timezone.now()
    changed = ["status", "updated_at"]
    talked = event.event == "answered" or (event.event == "ended" and (event.duration or 0) > 0)
    if talked and not call.answered:
        call.answered = True
        changed.append("answered")
    for name, value in (
        ("caller", event.caller),
        ("callee", event.callee),
        ("extension", event.extension),
        ("recording_url", event.recording_url),
    ):
        if value and not getattr(call, name):
            setattr(call, name, value)
            changed.append(name)
    if event.duration is not None:
        call.duration_seconds = event.duration
        changed.append("duration_seconds")
    if event.id_number and not call.id_number:
        call.id_number = event.id_number[:9]
        changed.append("id_number")
    if call.user_id is None and call.extension:
        ringing = extension_users(call.connection, call.extension)
        if len(ringing) == 1:  # a group's call is no one user's until someone logs it
            call.user = ringing[0]
            changed.append("user")
    if not call.link_type:
        other = call.caller if call.direction == "in" else call.callee
        key, record = caller_find(other, call.id_number)
        if record is not None:
            call.link_type, call.link_id = key, record.pk
            changed += ["link_type", "link_id"]
    return changed


def _subject(call: Call) -> str:
    other = call.caller if call.direction == "in" else call.callee
    number = format_phone_national(number_e164(other)) or other or _("a withheld number")
    if call.direction == "out":
        return _("Call to %(number)s") % {"number": number}
    if call.status == "ended" and not call.answered:
        return _("Missed call from %(number)s") % {"number": number}
    return _("Call from %(number)s") % {"number": number}


def _details(call: Call) -> str:
    lines = []
    if call.duration_seconds is not None:
        minutes, seconds = divmod(call.duration_seconds, 60)
        lines.append(_("Duration: %(m)d:%(s)02d") % {"m": minutes, "s": seconds})
    if call.recording_url:
        lines.append(_("Recording: %(url)s") % {"url": call.recording_url})
    if call.extension:
        lines.append(_("Extension: %(ext)s") % {"ext": call.extension})
    if call.id_number:
        lines.append(_("ID number typed: %(id)s") % {"id": call.id_number})
    if not call.user_id:
        lines.append(_("No user: the call rang no user's extension."))
    return "\n".join(lines)


def _log_interaction(call: Call) -> None:
    """The call's one interaction, made on its first event and kept up to date."""
    from kesher.activities.services import interaction_create, interaction_update
    from kesher.platform.models import Choice

    with translation.override(settings.LANGUAGE_CODE):
        data: dict = {
            "subject": _subject(call)[:200],
            "body": _details(call),
            "direction": call.direction,
            "duration_minutes": (
                math.ceil(call.duration_seconds / 60) if call.duration_seconds else None
            ),
        }
    if call.interaction_id is None:
        kind = Choice.objects.filter(list_key="interaction_kind", value="call").first()
        if kind is None:
            return
        data.update(kind=kind, occurred_at=call.started_at, owner=call.user)
        m2m = {}
        if call.link_type:
            data.update(link_type=call.link_type, link_id=call.link_id)
            if call.link_type == "contacts":
                m2m["participant_contacts"] = [call.link_id]
        call.interaction = interaction_create(actor=None, data=data, m2m=m2m)
        call.save(update_fields=["interaction"])
        return
    interaction = call.interaction
    if call.link_type and not interaction.link_type:
        data.update(link_type=call.link_type, link_id=call.link_id)
    if call.user_id and not interaction.owner_id:
        data["owner"] = call.user
    current = {name: getattr(interaction, name) for name in data}
    if current != data:
        interaction_update(interaction, actor=None, data=data)


# --- the screen pop --------------------------------------------------------------------------


def pop_payload(call: Call, user) -> dict:
    """What ``user``'s browser shows for ``call``: the caller's card if ``user`` may see the
    record; otherwise the same neutral "unknown caller" whether the number is unknown or out of
    his scope, so a pop never tells who a record he may not see belongs to (REQ OR-5)."""
    number = number_e164(call.caller)
    shown = format_phone_national(number) if number else call.caller
    base = {"call": call.pk, "number": str(shown), "e164": number}
    if call.link_type and can(user, call.link_type, "view"):
        entity = registry.get(call.link_type)
        record = entity.queryset().visible_to(user).filter(pk=call.link_id).first()
        if record is not None:
            language = getattr(user, "language", "") or settings.LANGUAGE_CODE
            with translation.override(language):
                label = str(entity.label)
            return {
                **base,
                "kind": "card",
                "entity": entity.key,
                "label": label,
                "title": str(record),
                "url": reverse("entity_detail", args=[entity.key, record.pk]),
            }
    payload = {**base, "kind": "unknown"}
    if "leads" in registry and can(user, "leads", "add"):
        query = urlencode({"phone": number or call.caller})
        payload["new_lead_url"] = f"{reverse('entity_create', args=['leads'])}?{query}"
    return payload


def pop_publish(user, payload: dict) -> PopEvent:
    """Queue a pop for ``user``'s open browsers; it reaches them when the transaction
    commits, on whichever server they are connected to (hub.py)."""
    event = PopEvent.objects.create(user=user, payload=payload)
    PopEvent.objects.filter(created_at__lt=timezone.now() - POP_KEEP).delete()
    hub.notify_in_transaction(event.pk, user.pk, payload)
    return event


# --- click-to-dial ---------------------------------------------------------------------------


class DialResult:
    """How a click on a number went: ``sent`` (the phone system rings the user's extension),
    ``suppressed`` (the practice environment calls no one) or ``failed``."""

    def __init__(self, status: str, detail: str = ""):
        self.status = status
        self.detail = detail


def dial(*, actor, number: str) -> DialResult:
    """Ask the actor's phone system to ring his extension and then ``number`` (its originate
    API, one signed POST: a click is not retried later, when nobody waits for the phone)."""
    from kesher.integrations import webhooks

    target = number_e164(number)
    if not target:
        raise ValidationError({"number": [_("Enter a valid phone number.")]})
    extension = (
        PhoneExtension.objects.filter(user=actor, dial_through_pbx=True, connection__active=True)
        .select_related("connection")
        .first()
    )
    if extension is None or not extension.connection.originate_url:
        raise ValidationError(
            {"number": [_("You have no extension that dials through the phone system.")]}
        )
    if outgoing_suppressed():
        return DialResult("suppressed", _("The practice environment calls no one."))
    payload = {"extension": extension.extension, "to": target, "user": actor.get_username()}
    attempt = webhooks.post(
        url=extension.connection.originate_url,
        secret=extension.connection.secret,
        event="telephony.originate",
        delivery_id=str(uuid.uuid4()),
        body=webhooks.encode(payload),
    )
    if attempt.delivered:
        return DialResult("sent")
    return DialResult("failed", attempt.error)
