"""A local fake of the Tax Authority's OAuth2 token and invoice-approval endpoints, served on
127.0.0.1 in a thread: it approves, refuses, times out or fails as the test says, and answers a
repeated idempotency key with the number it gave the first time (ISRAEL.md)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["FakeTaxAuthority"]


class FakeTaxAuthority:
    def __init__(self):
        self.mode = "approve"  # approve / refuse / timeout / error
        self.delay = 0.0
        self.requests: list[dict] = []
        self.numbers: dict[str, str] = {}
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self, status: int, body: dict) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                if self.path == "/token":
                    self._answer(200, {"access_token": "fake-token", "expires_in": 3600})
                    return
                if self.headers.get("Authorization") != "Bearer fake-token":
                    self._answer(401, {"Message": "unauthorized"})
                    return
                key = self.headers.get("Idempotency-Key", "")
                fake.requests.append({"key": key, "body": json.loads(body)})
                if fake.mode == "timeout":
                    time.sleep(fake.delay)
                    return
                if fake.mode == "error":
                    self._answer(503, {"Message": "service unavailable"})
                elif fake.mode == "refuse":
                    self._answer(200, {"Status": 400, "Message": "מספר עוסק הלקוח אינו תקין"})
                else:
                    number = fake.numbers.setdefault(key, f"{len(fake.numbers) + 1:09d}")
                    self._answer(200, {"Status": 200, "Confirmation_Number": number})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def settings(self, **extra) -> dict:
        return {
            "BACKEND": "http",
            "TOKEN_URL": f"{self.base}/token",
            "APPROVAL_URL": f"{self.base}/shaam/tsandbox/Invoices/v2/Approval",
            "CLIENT_ID": "kesher",
            "CLIENT_SECRET": "secret",
            "REFRESH_TOKEN": "refresh",
            "SOFTWARE_NUMBER": "12345678",
            "TIMEOUT": 0.3,
            **extra,
        }

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
