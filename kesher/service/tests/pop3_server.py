"""A small POP3 server for the mail tests (issue 18 item 4): RFC 1939 with STLS (RFC 2595), over
TLS from the first byte (as port 995) or upgraded by STLS (as port 110), on 127.0.0.1 and a free
port, in threads of the test process, with one user and a maildrop the test fills. It refuses
USER/PASS before TLS, as a server must that offers STLS. No package serves POP3 (pymap is IMAP
only); nothing of the project is under test here."""

from __future__ import annotations

import socketserver
import ssl
import threading

from kesher.service.tests.imap_server import Certificates


class Pop3Server:
    host = "127.0.0.1"

    def __init__(
        self,
        certificates: Certificates,
        *,
        user: str,
        password: str,
        starttls: bool = False,
        offer_stls: bool = True,
    ):
        self.user, self.password = user, password
        self.starttls, self.offer_stls = starttls, offer_stls
        self.tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.tls.load_cert_chain(certificates.cert_file, certificates.key_file)
        self.maildrop: list[bytes] = []
        self.lock = threading.Lock()
        self.logins = 0
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                server._session(self)

        self._server = socketserver.ThreadingTCPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> Pop3Server:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fill(self, messages: list[bytes]) -> None:
        with self.lock:
            self.maildrop = list(messages)

    def _session(self, handler) -> None:
        sock = handler.request
        encrypted = not self.starttls
        if encrypted:
            sock = self.tls.wrap_socket(sock, server_side=True)
        reader, writer = sock.makefile("rb"), sock.makefile("wb")

        def say(line: str | bytes) -> None:
            writer.write((line.encode() if isinstance(line, str) else line) + b"\r\n")
            writer.flush()

        say("+OK Kesher test POP3")
        user, signed_in, deleted = None, False, set()
        while True:
            line = reader.readline()
            if not line:
                return
            command, _space, argument = line.strip().decode().partition(" ")
            command = command.upper()
            if command == "CAPA":
                say("+OK")
                say("USER")
                if self.offer_stls and not encrypted:
                    say("STLS")
                say(".")
            elif command == "STLS" and self.offer_stls and not encrypted:
                say("+OK Begin TLS")
                sock = self.tls.wrap_socket(sock, server_side=True)
                reader, writer = sock.makefile("rb"), sock.makefile("wb")
                encrypted = True
            elif command == "USER":
                if not encrypted:
                    say("-ERR TLS first")
                    continue
                user = argument
                say("+OK")
            elif command == "PASS":
                if encrypted and user == self.user and argument == self.password:
                    signed_in = True
                    self.logins += 1
                    say("+OK")
                else:
                    say("-ERR [AUTH] no")
            elif command == "STAT" and signed_in:
                with self.lock:
                    kept = [m for i, m in enumerate(self.maildrop, 1) if i not in deleted]
                say(f"+OK {len(kept)} {sum(len(m) for m in kept)}")
            elif command == "RETR" and signed_in:
                with self.lock:
                    raw = self.maildrop[int(argument) - 1]
                say(f"+OK {len(raw)} octets")
                for body_line in raw.splitlines():
                    say(b"." + body_line if body_line.startswith(b".") else body_line)
                say(".")
            elif command == "DELE" and signed_in:
                deleted.add(int(argument))
                say("+OK")
            elif command == "QUIT":
                with self.lock:
                    self.maildrop = [m for i, m in enumerate(self.maildrop, 1) if i not in deleted]
                say("+OK bye")
                return
            else:
                say("-ERR")
