"""Screen pops to the browsers of one process (REQ IN-2; decision 0080).

A pop is a row (``PopEvent``) written in the webhook's transaction. How the processes that
hold browsers' event streams hear of it:

* **in process** — the publisher's own process delivers the pop on commit, at once (a single
  server, the tests);
* **PostgreSQL** — ``NOTIFY kesher_telephony, '<id>'`` in the same transaction, delivered on
  commit to every process listening (one ``LISTEN`` connection per process), whichever server
  wrote it;
* **SQLite** — one server only, but the event stream runs in a process of its own
  (``manage.py serve``): that process reads new rows every ``KESHER_TELEPHONY_POLL_SECONDS``
  (0.025 s; one indexed query, only while a browser listens).

Each process has one **pump** thread, started with the first listener: it waits for a wake-up
(a notification, a publish in this process, or the poll interval), reads the rows after the
last it saw and hands each to the queues of its user's open streams. A stream is an
``asyncio.Queue`` fed thread-safely (the ASGI server's event loop) or a ``queue.Queue`` (a WSGI
development server). Every process starts from the newest row when its pump starts: pops are
for now, not history (a reconnecting browser asks for what it missed with ``Last-Event-ID``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections import deque
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection, transaction

__all__ = ["CHANNEL", "Hub", "hub", "notify_in_transaction"]

logger = logging.getLogger(__name__)
CHANNEL = "kesher_telephony"


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def notify_in_transaction(event_id: int, user_id: int, payload: dict) -> None:
    """Tell every process of the pop ``event_id`` once the transaction commits."""
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(event_id)])
    transaction.on_commit(lambda: hub.deliver(event_id, user_id, payload))


@dataclass(eq=False)
class _Subscriber:
    user_id: int
    put: object  # callable(event) -> None, thread-safe


@dataclass
class Hub:
    """The open event streams of this process, by user."""

    subscribers: dict[int, set] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    wake: threading.Event = field(default_factory=threading.Event)
    seen: deque = field(default_factory=lambda: deque(maxlen=2048))
    seen_set: set = field(default_factory=set)
    last_id: int = 0
    pump: threading.Thread | None = None
    stopping: threading.Event = field(default_factory=threading.Event)

    # --- listeners ---------------------------------------------------------------------------

    def subscribe_async(self, user_id: int) -> tuple[_Subscriber, asyncio.Queue]:
        loop = asyncio.get_running_loop()
        events: asyncio.Queue = asyncio.Queue(maxsize=100)

        def put(event):
            with contextlib.suppress(RuntimeError):  # its event loop closed meanwhile
                loop.call_soon_threadsafe(_put_nowait, events, event)

        return self._add(user_id, put), events

    def subscribe_sync(self, user_id: int) -> tuple[_Subscriber, queue.Queue]:
        events: queue.Queue = queue.Queue(maxsize=100)
        return self._add(user_id, lambda event: _put_nowait(events, event)), events

    def _add(self, user_id: int, put) -> _Subscriber:
        subscriber = _Subscriber(user_id, put)
        with self.lock:
            self.subscribers.setdefault(user_id, set()).add(subscriber)
        self._start_pump()
        return subscriber

    def unsubscribe(self, subscriber: _Subscriber) -> None:
        with self.lock:
            mine = self.subscribers.get(subscriber.user_id)
            if mine is not None:
                mine.discard(subscriber)
                if not mine:
                    del self.subscribers[subscriber.user_id]

    def listeners(self) -> int:
        with self.lock:
            return sum(len(s) for s in self.subscribers.values())

    # --- delivery ----------------------------------------------------------------------------

    def deliver(self, event_id: int, user_id: int, payload: dict) -> None:
        """Hand pop ``event_id`` to ``user_id``'s open streams in this process, once."""
        with self.lock:
            if event_id in self.seen_set:
                return
            if len(self.seen) == self.seen.maxlen:
                self.seen_set.discard(self.seen[0])
            self.seen.append(event_id)
            self.seen_set.add(event_id)
            self.last_id = max(self.last_id, event_id)
            targets = list(self.subscribers.get(user_id, ()))
        for subscriber in targets:
            subscriber.put({"id": event_id, "payload": payload})

    def stop(self) -> None:
        """Stop the pump (tests; a process's end stops it anyway, it is a daemon thread)."""
        self.stopping.set()
        self.wake.set()
        pump = self.pump
        if pump is not None:
            pump.join(timeout=5)
        self.pump = None
        self.stopping.clear()
        with self.lock:  # a test's rolled-back rows give their ids out again
            self.seen.clear()
            self.seen_set.clear()
            self.last_id = 0

    def _start_pump(self) -> None:
        with self.lock:
            if self.pump is not None and self.pump.is_alive():
                return
            self.pump = threading.Thread(target=self._run, name="telephony-pump", daemon=True)
            self.pump.start()

    def _read_new(self) -> None:
        from kesher.telephony.models import PopEvent

        with self.lock:
            wanted = list(self.subscribers)
            after = self.last_id
        rows = list(
            PopEvent.objects.filter(pk__gt=after)
            .order_by("pk")
            .values_list("pk", "user_id", "payload")[:500]
        )
        for pk, user_id, payload in rows:
            if user_id in wanted:
                self.deliver(pk, user_id, payload)
            else:
                with self.lock:
                    self.last_id = max(self.last_id, pk)

    def _start_position(self) -> None:
        from kesher.telephony.models import PopEvent

        newest = PopEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        with self.lock:
            self.last_id = max(self.last_id, newest)

    def _run(self) -> None:
        poll = float(getattr(settings, "KESHER_TELEPHONY_POLL_SECONDS", 0.025) or 0)
        if not poll and not _is_postgres():
            return  # SQLite without polling: in-process delivery only (deliver())
        try:
            self._start_position()
            if _is_postgres():
                self._listen_postgres()
            else:
                while not self.stopping.is_set():
                    self.wake.wait(poll)
                    self.wake.clear()
                    if self.listeners():
                        self._read_new()
        except Exception:  # the pump must not die silently: the next listener restarts it
            logger.exception("The telephony pump stopped")
        finally:
            close_old_connections()
            with contextlib.suppress(Exception):
                connection.close()

    def _listen_postgres(self) -> None:
        # Rows are read by the ids notified, not "after the last seen": on PostgreSQL two
        # transactions may commit in the other order than their ids were given.
        import psycopg

        from kesher.telephony.models import PopEvent

        params = connection.get_connection_params()
        params.pop("cursor_factory", None)
        params.pop("context", None)
        with psycopg.connect(**params, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            while not self.stopping.is_set():
                ids = [int(n.payload) for n in listener.notifies(timeout=1.0, stop_after=1)]
                while ids and len(ids) < 500:  # take what else has arrived, without waiting
                    more = [int(n.payload) for n in listener.notifies(timeout=0, stop_after=1)]
                    if not more:
                        break
                    ids += more
                with self.lock:
                    wanted = set(self.subscribers)
                    ids = [i for i in ids if i not in self.seen_set]
                if not ids or not wanted:
                    continue
                rows = PopEvent.objects.filter(pk__in=ids, user_id__in=wanted).order_by("pk")
                for pk, user_id, payload in rows.values_list("pk", "user_id", "payload"):
                    self.deliver(pk, user_id, payload)


def _put_nowait(events, event) -> None:
    with contextlib.suppress(asyncio.QueueFull, queue.Full):
        events.put_nowait(event)


hub = Hub()
