"""A local fake clearing provider speaking the ``generic`` protocol (kesher/billing/clearing.py),
served on 127.0.0.1 in a thread as the fake Tax Authority is: it makes payment pages (checking
the request's signature), and plays the customer paying — approved or declined — by building
the signed confirmation the provider posts back (``confirmation``) or posting it (``deliver``)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from kesher.billing.clearing import SIGNATURE_HEADER, sign

__all__ = ["FakeClearing"]

SECRET = "clearing-secret"


class FakeClearing:
    def __init__(self, secret: str = SECRET):
        self.secret = secret
        self.mode = "ok"  # ok / error
        self.pages: dict[str, dict] = {}  # our reference → the page request
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
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/api/payments":
                    self._answer(404, {"message": "no such path"})
                    return
                if sign(fake.secret, body) != self.headers.get(SIGNATURE_HEADER):
                    self._answer(401, {"message": "bad signature"})
                    return
                if fake.mode == "error":
                    self._answer(503, {"message": "unavailable"})
                    return
                data = json.loads(body)
                page = fake.pages.setdefault(
                    data["reference"], {**data, "id": f"P{len(fake.pages) + 1}"}
                )
                self._answer(200, {"id": page["id"], "url": f"{fake.base}/pay/{page['id']}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api"

    def confirmation(
        self,
        reference: str,
        *,
        approved: bool = True,
        event_id: str = "evt-1",
        amount: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
    ) -> tuple[bytes, dict]:
        """The body and headers the provider posts when the customer paid (or was declined)."""
        page = self.pages.get(reference, {})
        body = json.dumps(
            {
                "event_id": event_id,
                "reference": reference,
                "status": "approved" if approved else "declined",
                "amount": amount or page.get("amount", "0"),
                "card_reference": f"4580-{page.get('id', 'X')}" if approved else "",
                "reason": "" if approved else "כרטיס נדחה",
                "timestamp": int(time.time()) if timestamp is None else timestamp,
            }
        ).encode()
        return body, {SIGNATURE_HEADER: sign(secret or self.secret, body)}

    def deliver(self, url: str, reference: str, **options) -> int:
        """Post the confirmation to Kesher at ``url``, as the provider does."""
        body, headers = self.confirmation(reference, **options)
        request = urllib.request.Request(  # noqa: S310  (the test's own server)
            url, data=body, headers={"Content-Type": "application/json", **headers}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
            return answer.status

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
