"""A real IMAP server for the mail tests (issue 18 item 4): pymap's in-memory backend, serving
IMAP over implicit TLS (as port 993 does) on 127.0.0.1 and a free port, in a thread of the test
process, with a certificate issued by a private authority made for the run.

pymap itself offers TLS only by STARTTLS; here the listening socket is TLS from the first byte
(``asyncio.start_server(ssl=...)``) and pymap, seeing an already encrypted stream, accepts LOGIN
at once. Nothing of the project is under test here: this is the mail server Kesher talks to.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import imaplib
import ipaddress
import ssl
import threading
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from proxyprotocol.reader import ProxyProtocolReader
from pymap.backend.dict import DictBackend
from pymap.imap import IMAPServer
from pysasl.hashing import Cleartext


@dataclass
class Certificates:
    ca_file: Path  # the private authority, what a client must trust
    cert_file: Path  # the server's certificate (localhost, 127.0.0.1)
    key_file: Path


def make_certificates(
    directory: Path,
    *,
    name: str = "Kesher test mail",
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
) -> Certificates:
    """A private certificate authority and a server certificate it signs for ``hosts`` (names
    or IP addresses), valid for a day."""
    now = dt.datetime.now(dt.UTC)

    def subject(common_name: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = subject(f"{name} authority")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject(hosts[0]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([_general_name(host) for host in hosts]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    found = Certificates(
        directory / "ca.pem", directory / "server.pem", directory / "server-key.pem"
    )
    found.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    found.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    found.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return found


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


class ImapServer:
    """pymap's dict backend with one user, served over TLS until ``stop()``: from the first
    byte, or (``starttls``) on a plain connection that pymap upgrades by STARTTLS and on which
    it refuses to sign in before."""

    host = "127.0.0.1"

    def __init__(
        self, certificates: Certificates, *, user: str, password: str, starttls: bool = False
    ):
        self.certificates = certificates
        self.starttls = starttls
        self.user, self.password = user, password
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    def start(self) -> ImapServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=30)
        return self

    async def _serve(self) -> None:
        args = Namespace(
            debug=False,
            host=self.host,
            port=0,
            cert=str(self.certificates.cert_file) if self.starttls else None,
            key=str(self.certificates.key_file) if self.starttls else None,
            # STARTTLS, or none: the stream below is TLS from the start.
            tls=self.starttls,
            passlib_cfg=None,
            proxy_protocol=None,
            inherited_sockets=None,
            demo_data=False,
            demo_user=self.user,
            demo_password=self.password,
        )
        # The password kept as is (an in-memory test user): a login costs no key stretching.
        backend, config = await DictBackend.init(
            args, invalid_user_sleep=0.0, hash_context=Cleartext()
        )
        config.apply_context()
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(self.certificates.cert_file, self.certificates.key_file)
        callback = ProxyProtocolReader(config.proxy_protocol).get_callback(
            IMAPServer(backend.login, config)
        )
        self._server = await asyncio.start_server(
            callback, self.host, 0, ssl=None if self.starttls else tls
        )
        self.port = self._server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            # Connections a client left open (a refused handshake, a failed login) end here.
            others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in others:
                task.cancel()
            await asyncio.gather(*others, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def client(self) -> imaplib.IMAP4:
        """A connection as the user, trusting the test authority whatever name its certificate
        carries (how the tests fill and read the mailbox, not how Kesher connects)."""
        tls = ssl.create_default_context(cafile=str(self.certificates.ca_file))
        tls.check_hostname = False
        if self.starttls:
            client = imaplib.IMAP4(self.host, self.port, timeout=10)
            client.starttls(ssl_context=tls)
        else:
            client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=tls, timeout=10)
        client.login(self.user, self.password)
        return client

    def fill(self, messages: list[bytes], folder: str = "INBOX") -> None:
        """Empty the folder, then deliver ``messages`` to it, unseen, in order."""
        client = self.client()
        try:
            client.select(folder)
            _status, data = client.uid("search", "ALL")
            if data[0]:
                client.uid("store", b",".join(data[0].split()), "+FLAGS.SILENT", "(\\Deleted)")
                client.expunge()
            for raw in messages:
                client.append(folder, "", None, raw)
        finally:
            client.logout()

    def unseen(self, folder: str = "INBOX") -> list[bytes]:
        """The Message-ID headers of the folder's unseen messages, in order."""
        client = self.client()
        try:
            client.select(folder, readonly=True)
            _status, data = client.uid("search", "UNSEEN")
            found = []
            for uid in (data[0] or b"").split():
                _status, parts = client.uid("fetch", uid, "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                header = next((p[1] for p in parts if isinstance(p, tuple)), b"")
                found.append(header.split(b":", 1)[-1].strip())
            return found
        finally:
            client.logout()
