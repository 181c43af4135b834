"""A real Radicale CalDAV server for the calendar-sync tests and benchmark (decision 0110):
Radicale's WSGI application on a free local port, in a thread, with a temporary storage folder
and plain htpasswd users. ``fail(status, times=, retry_after=)`` makes the next requests answer
an error (a provider's 5xx or 429) before Radicale sees them; ``requests`` counts what came;
while ``recorded`` is a list, each request is added to it (the benchmark replays them bare)."""

from __future__ import annotations

import io
import logging
import shutil
import socketserver
import tempfile
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import radicale
import radicale.config

__all__ = ["CalDavServer"]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class CalDavServer:
    def __init__(self, users: dict[str, str]):
        self.folder = Path(tempfile.mkdtemp(prefix="kesher-caldav-"))
        (self.folder / "users").write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
        configuration = radicale.config.load()
        configuration.update(
            {
                "storage": {
                    "filesystem_folder": str(self.folder / "collections"),
                    "_filesystem_fsync": "False",  # a throwaway folder: no disk syncs
                },
                "auth": {
                    "type": "htpasswd",
                    "htpasswd_filename": str(self.folder / "users"),
                    "htpasswd_encryption": "plain",
                },
                "rights": {"type": "owner_only"},
                "logging": {"level": "critical", "mask_passwords": "True"},
            },
            "test",
            privileged=True,
        )
        logging.getLogger("radicale").setLevel(logging.CRITICAL)
        self.application = radicale.Application(configuration)
        self.faults: list[tuple[int, str | None]] = []
        self.requests = 0
        self.recorded: list | None = None
        self._lock = threading.Lock()
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, server_class=_Server, handler_class=_Quiet
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def _wsgi(self, environ, start_response):
        with self._lock:
            self.requests += 1
            fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            status, retry_after = fault
            headers = [("Content-Type", "text/plain")]
            if retry_after is not None:
                headers.append(("Retry-After", retry_after))
            start_response(f"{status} Failure", headers)
            return [b"failure"]
        if self.recorded is None:
            return self.application(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        entry = {"method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"]}
        entry.update(headers=headers, body=body)

        def started(status, response_headers, exc_info=None):
            entry["status"] = int(status.split()[0])
            return start_response(status, response_headers, exc_info)

        self.recorded.append(entry)
        return self.application(environ, started)

    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        with self._lock:
            self.faults.extend([(status, retry_after)] * times)

    def calendar_url(self, user: str, name: str = "kesher") -> str:
        return f"{self.url}{user}/{name}/"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)
