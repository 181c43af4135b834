"""The event stream of screen pops (REQ IN-2; decision 0080): Server-Sent Events from an
asynchronous view. Served by the ASGI process ``manage.py serve`` starts beside the web
workers, where a waiting browser costs a coroutine, never a web worker's thread. Under a WSGI
development server (runserver, the tests' live server) the same view streams from a thread.
"""

from __future__ import annotations

import asyncio
import json
import queue
from urllib.parse import urlsplit

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from kesher.telephony.hub import hub

__all__ = ["pop_stream", "stream_origin"]

KEEPALIVE_SECONDS = 15
REPLAY_WINDOW_SECONDS = 120


def _frame(event: dict) -> str:
    data = json.dumps(event["payload"], ensure_ascii=False, separators=(",", ":"))
    return f"id: {event['id']}\nevent: pop\ndata: {data}\n\n"


def _missed(user_id: int, last_id: str) -> list[dict]:
    """Pops after ``Last-Event-ID`` the browser missed while it reconnected (recent only)."""
    from kesher.telephony.models import PopEvent

    if not last_id.isdigit():
        return []
    since = timezone.now() - timezone.timedelta(seconds=REPLAY_WINDOW_SECONDS)
    rows = PopEvent.objects.filter(user_id=user_id, pk__gt=int(last_id), created_at__gte=since)
    return [{"id": pk, "payload": p} for pk, p in rows.order_by("pk").values_list("pk", "payload")]


def _cors(request, response) -> None:
    """Pages on port 8000 read the stream of the ASGI process on another port of the same
    host: allowed for an origin of the host the request came to, with its cookies."""
    origin = request.headers.get("Origin", "")
    if origin and urlsplit(origin).hostname == request.get_host().rsplit(":", 1)[0].strip("[]"):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
        response["Vary"] = "Origin"


async def pop_stream(request):
    """``GET /telephony/stream/``: the signed-in user's screen pops, as they happen."""
    user = await request.auser()
    if not user.is_authenticated or not user.is_active:
        response = HttpResponse(status=403)
        _cors(request, response)
        return response
    missed = await sync_to_async(_missed)(user.pk, request.headers.get("Last-Event-ID", ""))
    if hasattr(request, "scope"):  # ASGI: a coroutine waits, no thread
        content = _stream_async(user.pk, missed)
    else:  # WSGI development server: a thread waits
        content = _stream_sync(user.pk, missed)
    response = StreamingHttpResponse(content, content_type="text/event-stream; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    _cors(request, response)
    return response


async def _stream_async(user_id: int, missed: list):
    # Subscribed when the server starts sending, so an answer never sent holds nothing.
    subscriber, events = hub.subscribe_async(user_id)
    try:
        yield f"retry: 2000\n: {getattr(settings, 'KESHER_TELEPHONY_PROCESS', 'web')}\n\n"
        for event in missed:
            yield _frame(event)
        while True:
            try:
                event = await asyncio.wait_for(events.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield _frame(event)
    finally:
        hub.unsubscribe(subscriber)


def _stream_sync(user_id: int, missed: list):
    subscriber, events = hub.subscribe_sync(user_id)
    try:
        yield "retry: 2000\n\n"
        for event in missed:
            yield _frame(event)
        while True:
            try:
                event = events.get(timeout=KEEPALIVE_SECONDS)
            except queue.Empty:
                yield ": keep-alive\n\n"
                continue
            yield _frame(event)
    finally:
        hub.unsubscribe(subscriber)


def stream_origin(request) -> str:
    """Where this page's browser reads its pops: the ASGI process's origin when it serves them
    on a port of its own (``KESHER_TELEPHONY_STREAM_PORT``), else this server ("")."""
    explicit = getattr(settings, "KESHER_TELEPHONY_STREAM_URL", "")
    if explicit:
        parts = urlsplit(explicit)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    port = getattr(settings, "KESHER_TELEPHONY_STREAM_PORT", "")
    if not port:
        return ""
    host = request.get_host().rsplit(":", 1)[0] if request.get_host() else "127.0.0.1"
    return f"{request.scheme}://{host}:{port}"
