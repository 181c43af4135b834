"""Phone systems, extensions and signed webhook calls for the telephony tests."""

from __future__ import annotations

import json
import time

from kesher.telephony.adapters import sign
from kesher.telephony.services import pbx_connection_create, phone_extension_create

SECRET = "test-secret-of-the-office-pbx-0123456789"


def make_connection(admin, **data):
    return pbx_connection_create(
        actor=admin,
        data={"name": "Office PBX", "provider": "generic", "auth": "hmac", "secret": SECRET} | data,
    )


def make_extension(admin, user, connection, extension="101", **data):
    return phone_extension_create(
        actor=admin,
        data={"user": user, "connection": connection, "extension": extension} | data,
    )


def signed_post(client, connection, payload, *, timestamp=None, secret=SECRET, raw=None):
    """POST ``payload`` to the webhook as the phone system would, signed with ``secret``."""
    body = raw if raw is not None else json.dumps(payload).encode()
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return client.post(
        f"/api/v1/telephony/calls/?pbx={connection.pk}",
        data=body,
        content_type="application/json",
        HTTP_X_KESHER_TIMESTAMP=stamp,
        HTTP_X_KESHER_SIGNATURE=sign(secret, stamp, body),
        HTTP_ACCEPT_LANGUAGE="he",
    )


def event(call_id="c-1", kind="ringing", **fields):
    return {
        "call_id": call_id,
        "event": kind,
        "from": "052-555-1234",
        "to": "03-555-0000",
        "extension": "101",
        "direction": "in",
    } | fields
