"""Outgoing requests to addresses administrators type (issue 24; decision 0113): a webhook's
URL, a CalDAV server, a payment provider's or a phone system's address. Kesher must not become
a way to reach what only the server can reach — its own admin ports, the cloud's metadata
service (169.254.169.254), the office's printers — so every such address is refused when it is,
or resolves to, a loopback, private, link-local, multicast, reserved or otherwise non-public
address, in IPv4 or IPv6 (IPv4-mapped and NAT64 forms included).

Two checks, one rule:

* :func:`validate_public_url` when an administrator saves the address (a translated
  ``ValidationError``; a name that does not resolve yet is let through, and checked when used);
* :func:`public_create_connection` when the request is sent: the name is resolved once, every
  address it gave is checked, and the socket connects to a checked address — so a DNS answer
  that changes between the check and the connection (DNS rebinding) reaches nothing internal.
  :func:`urlopen` sends through it (redirects included); a refused address raises
  :class:`AddressRefused`, an ``OSError``, so each caller records it as the failed attempt it
  is.

``KESHER_OUTGOING_ALLOW_HOSTS`` (settings; comma-separated in the environment) lists the
internal hosts an operator means to reach — a host name, an address or a network such as
``10.1.0.0/16``. The test suite's own local servers are listed in ``tests/settings.py``.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

__all__ = [
    "AddressRefused",
    "check_url",
    "public_create_connection",
    "refusal",
    "urlopen",
    "validate_public_url",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(OSError):
    """The address is not one Kesher may send to (an ``OSError``: a failed connection)."""


def _unwrapped(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (``::ffff:127.0.0.1``, ``64:ff9b::a00:1``,
    6to4), so it is judged as what it reaches."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in ipaddress.IPv6Network("64:ff9b::/96"):
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if address.sixtofour is not None:
            return address.sixtofour
    return address


_KINDS = {
    "loopback": gettext_lazy("loopback"),
    "link-local": gettext_lazy("link-local"),
    "multicast": gettext_lazy("multicast"),
    "unspecified": gettext_lazy("unspecified"),
    "reserved": gettext_lazy("reserved"),
    "private": gettext_lazy("private"),
}


def refusal(address: IPAddress) -> str | None:
    """Why ``address`` may not be reached (a key of ``_KINDS``), or None when it is public."""
    address = _unwrapped(address)
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        return "reserved"
    return None


def _allowed_rules() -> tuple[set[str], list]:
    hosts: set[str] = set()
    networks = []
    for entry in getattr(settings, "KESHER_OUTGOING_ALLOW_HOSTS", ()):
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            hosts.add(entry.rstrip("."))
    return hosts, networks


def _host_allowed(host: str) -> bool:
    hosts, _networks = _allowed_rules()
    return host.lower().rstrip(".") in hosts


def _address_allowed(address: IPAddress) -> bool:
    _hosts, networks = _allowed_rules()
    return (
        any(address.version == network.version and address in network for network in networks)
        or refusal(address) is None
    )


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return None


def _refused(host: str, address: IPAddress) -> AddressRefused:
    return AddressRefused(
        _("%(host)s is a %(kind)s address (%(address)s): Kesher sends only to public addresses.")
        % {"host": host, "kind": _KINDS[refusal(address) or "reserved"], "address": address}
    )


def _resolve(host: str, port: int) -> list[tuple]:
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


def check_host(host: str, port: int) -> list[tuple]:
    """The addresses ``host`` resolves to, each one checked; raises :class:`AddressRefused` if
    any is not public (unless the host or its network is listed as allowed), and
    ``OSError`` (``socket.gaierror``) if the name does not resolve."""
    try:
        infos = _resolve(host, port)
    except (UnicodeError, ValueError) as error:
        # Not a name DNS can carry (a label over 63 characters, say): it leads nowhere.
        raise socket.gaierror(str(error)) from None
    if _host_allowed(host):
        return infos
    for info in infos:
        address = _literal(info[4][0])
        if address is not None and not _address_allowed(address):
            raise _refused(host, address)
    return infos


def check_url(url: str) -> None:
    """Raise :class:`AddressRefused` if ``url``'s host is, or resolves to, a non-public address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    check_host(host, port)


def validate_public_url(url: str) -> None:
    """The check when an administrator saves ``url``: a translated ``ValidationError`` for an
    address Kesher may not send to. A name that does not resolve now passes (it may be made
    later); it is checked again when used."""
    if not url:
        return
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return  # not a URL: the URL field's own validator says so
    if not host or _host_allowed(host):
        return
    literal = _literal(host)
    if literal is not None:
        if not _address_allowed(literal):
            raise ValidationError(
                _(
                    "%(host)s is a %(kind)s address: Kesher sends only to public addresses "
                    "(an operator may allow an internal host with KESHER_OUTGOING_ALLOW_HOSTS)."
                )
                % {"host": host, "kind": _KINDS[refusal(literal) or "reserved"]},
                code="address_refused",
            )
        return
    try:
        check_url(url)
    except AddressRefused as refused:
        raise ValidationError(
            _(
                "%(host)s leads to an internal address (%(reason)s). Kesher sends only to "
                "public addresses (an operator may allow an internal host with "
                "KESHER_OUTGOING_ALLOW_HOSTS)."
            )
            % {"host": host, "reason": refused},
            code="address_refused",
        ) from None
    except (OSError, UnicodeError):
        return


# http.client passes this when no timeout was given (socket's own sentinel).
_DEFAULT_TIMEOUT = getattr(socket, "_GLOBAL_DEFAULT_TIMEOUT", None)


def public_create_connection(address, timeout=_DEFAULT_TIMEOUT, source_address=None):
    """``socket.create_connection`` that connects only to checked addresses: the name is
    resolved once here and the socket goes to the address that was checked."""
    host, port = address[0], address[1]
    last_error: OSError | None = None
    for family, kind, proto, _name, sockaddr in check_host(host, port):
        sock = socket.socket(family, kind, proto)
        try:
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as error:
            last_error = error
            sock.close()
    raise last_error or OSError(f"no address for {host}")


class _PublicHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = public_create_connection


class _PublicHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = public_create_connection


class _PublicHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_PublicHTTPConnection, req)


class _PublicHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, context=None):
        super().__init__(context=context)
        self._public_context = context

    def https_open(self, req):
        return self.do_open(_PublicHTTPSConnection, req, context=self._public_context)


_opener = urllib.request.build_opener(_PublicHTTPHandler, _PublicHTTPSHandler)


def urlopen(request: urllib.request.Request | str, *, timeout: float):
    """``urllib.request.urlopen`` to public addresses only (each redirect checked too)."""
    return _opener.open(request, timeout=timeout)
