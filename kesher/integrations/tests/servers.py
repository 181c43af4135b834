"""Test servers on loopback: an HTTP receiver (webhooks, the SMS gateway) and an SMTP mailbox."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict
    body: bytes


@dataclass
class Receiver:
    """Answers each POST with the next status in ``answers`` (the last one repeats);
    ``hang`` seconds of silence first make the client time out."""

    answers: list[int] = field(default_factory=lambda: [200])
    hang: float = 0.0
    requests: list[Received] = field(default_factory=list)
    url: str = ""
    _answered: int = 0

    def next_status(self) -> int:
        status = self.answers[min(self._answered, len(self.answers) - 1)]
        self._answered += 1
        return status


@contextmanager
def http_receiver(answers=(200,), hang: float = 0.0):
    receiver = Receiver(answers=list(answers), hang=hang)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.hang:
                time.sleep(receiver.hang)
            status = receiver.next_status()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 400 else b"busy, try later")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def smtp_mailbox():
    """A local SMTP server (aiosmtpd); yields the list that receives each parsed message."""
    from aiosmtpd.controller import Controller

    mailbox: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            message = message_from_bytes(envelope.original_content, policy=policy.default)
            mailbox.append((envelope.rcpt_tos, message))
            return "250 OK"

    controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()
