"""The demo's telephony (REQ IN-2): the office phone system's connection, the sales reps'
extensions, and a few calls logged through the webhook's own service — answered ones with a
recording on the callers' timelines, a missed one, one from an unknown number and one that
rang no user's extension."""

from __future__ import annotations

from kesher.customers.models import Contact
from kesher.org.models import User
from kesher.telephony.adapters import CallEvent
from kesher.telephony.models import PbxConnection
from kesher.telephony.services import (
    call_event_record,
    pbx_connection_create,
    phone_extension_create,
)

__all__ = ["create_telephony"]

RECORDINGS = "https://pbx.example.co.il/recordings/"


def _call(connection, call_id, *, caller, extension, duration, answered=True, direction="in"):
    events = ["ringing", "answered", "ended"] if answered else ["ringing", "ended"]
    for event in events:
        ended = event == "ended"
        call_event_record(
            connection=connection,
            event=CallEvent(
                call_id=call_id,
                event=event,
                caller=caller if direction == "in" else extension,
                callee="03-555-0000" if direction == "in" else caller,
                extension=extension,
                direction=direction,
                duration=duration if ended else None,
                recording_url=f"{RECORDINGS}{call_id}.mp3" if ended and answered else "",
                id_number="",
            ),
        )


def create_telephony(admin: User, reps: list[str]) -> PbxConnection:
    connection = pbx_connection_create(
        actor=admin,
        data={"name": "מרכזיית המשרד", "provider": "generic", "auth": "hmac"},
    )
    users = list(User.objects.filter(username__in=reps).order_by("username")[:3])
    for number, user in enumerate(users, start=101):
        phone_extension_create(
            actor=admin, data={"user": user, "connection": connection, "extension": str(number)}
        )
    for index, user in enumerate(users):
        contact = Contact.objects.filter(owner=user).exclude(mobile="").order_by("pk").first()
        if contact is None:
            continue
        extension = str(101 + index)
        _call(
            connection,
            f"demo-{index}-a",
            caller=contact.mobile,
            extension=extension,
            duration=95 + 40 * index,
        )
        if index == 0:
            _call(
                connection,
                "demo-0-missed",
                caller=contact.mobile,
                extension=extension,
                duration=0,
                answered=False,
            )
            _call(
                connection,
                "demo-0-out",
                caller=contact.mobile,
                extension=extension,
                duration=240,
                direction="out",
            )
    _call(connection, "demo-unknown", caller="054-700-0001", extension="101", duration=60)
    _call(
        connection,
        "demo-no-user",
        caller="03-700-0002",
        extension="100",
        duration=0,
        answered=False,
    )
    return connection
