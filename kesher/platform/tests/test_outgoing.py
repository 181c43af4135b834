"""The outgoing-address guard (issue 24; decision 0113): addresses administrators type are
refused when they lead to loopback, private, link-local, multicast or reserved addresses —
when saved (a translated error, nothing written) and when sent (a failed attempt recorded, no
request made) — except hosts the operator allows."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.automation.actions import _validate_webhook
from kesher.calsync.models import CalendarConnection
from kesher.calsync.secrets import encrypt
from kesher.calsync.services import connection_save
from kesher.calsync.sync import ProviderError, sync_connection
from kesher.integrations.delivery import deliver_webhooks
from kesher.integrations.models import WebhookDelivery, WebhookSubscription
from kesher.integrations.services import webhook_enqueue
from kesher.integrations.tests.servers import http_receiver
from kesher.platform import outgoing
from kesher.platform.outgoing import (
    AddressRefused,
    public_create_connection,
    refusal,
    validate_public_url,
)
from kesher.platform.records.services import record_create
from kesher.platform.registry import registry

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.5", "private"),
    ("172.16.3.4", "private"),
    ("192.168.1.1", "private"),
    ("fd12:3456::1", "private"),
    ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"),
    ("224.0.0.251", "multicast"),
    ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified"),  # noqa: S104  (an address under test, not a bind)
    ("::", "unspecified"),
    ("100.64.0.1", "reserved"),  # carrier-grade NAT
    ("240.0.0.1", "reserved"),
    ("192.0.2.10", "private"),  # documentation range
    # IPv4 inside IPv6: judged as the IPv4 address they reach.
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.1.2.3", "private"),
    ("64:ff9b::a9fe:a9fe", "link-local"),  # NAT64 of 169.254.169.254
    ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize(("address", "kind"), REFUSED)
def test_internal_addresses_are_refused_by_kind(address, kind):
    assert refusal(ipaddress.ip_address(address)) == kind


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert refusal(ipaddress.ip_address(address)) is None


@pytest.fixture
def nothing_allowed(settings):
    """No internal host allowed, as in production by default; messages in English."""
    settings.KESHER_OUTGOING_ALLOW_HOSTS = []
    with translation.override("en"):
        yield settings


@pytest.fixture
def dns(monkeypatch):
    """Names resolved as the test says (no network), to the addresses given."""
    answers: dict[str, str] = {}
    real = outgoing._resolve

    def resolve(host, port):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        if host.endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, port)

    monkeypatch.setattr(outgoing, "_resolve", resolve)
    return answers


def _message(url: str, language: str) -> str:
    with translation.override(language), pytest.raises(ValidationError) as refused:
        validate_public_url(url)
    return " ".join(refused.value.messages)


def test_saving_an_internal_address_is_refused_in_hebrew_and_english(nothing_allowed, dns):
    dns["intranet.example.com"] = "10.20.30.40"
    for url in (
        "http://127.0.0.1:8000/admin",
        "http://[::1]/",
        "http://[::ffff:169.254.169.254]/latest/meta-data/",
        "https://intranet.example.com/hook",
    ):
        english = _message(url, "en")
        assert "Kesher sends only to public addresses" in english
        assert "KESHER_OUTGOING_ALLOW_HOSTS" in english
        hebrew = _message(url, "he")
        assert "קשר שולח רק לכתובות ציבוריות" in hebrew
    assert "private" in _message("https://intranet.example.com/hook", "en")


def test_public_unresolved_and_allowed_addresses_are_accepted(nothing_allowed, dns):
    dns["hooks.example.com"] = "93.184.216.34"
    validate_public_url("https://hooks.example.com/in")
    # Not resolvable now (made later, or an office's own DNS): checked again when used.
    validate_public_url("https://not-yet.invalid/in")
    nothing_allowed.KESHER_OUTGOING_ALLOW_HOSTS = ["pbx.office.lan", "10.1.0.0/16"]
    dns["pbx.office.lan"] = "192.168.7.7"
    validate_public_url("http://pbx.office.lan/originate")
    validate_public_url("http://10.1.4.5/originate")
    with pytest.raises(ValidationError):
        validate_public_url("http://10.2.4.5/originate")


def test_the_connection_goes_to_the_checked_address_not_to_a_second_answer(nothing_allowed, dns):
    """DNS rebinding: the name is resolved once, when connecting, and checked there."""
    dns["rebound.example.com"] = "127.0.0.1"
    with http_receiver() as receiver:
        port = int(receiver.url.split(":")[2].split("/")[0])
        with pytest.raises(AddressRefused, match="loopback"):
            public_create_connection(("rebound.example.com", port), timeout=2)
        nothing_allowed.KESHER_OUTGOING_ALLOW_HOSTS = ["127.0.0.0/8"]
        public_create_connection(("rebound.example.com", port), timeout=2).close()
    assert receiver.requests == []


def _delivery(url: str) -> WebhookDelivery:
    return webhook_enqueue(
        url=url,
        secret="s3cr3t-for-tests",
        event="accounts.updated",
        payload={"id": 1},
        source="test",
        idempotency_key="guard",
    )


@pytest.mark.django_db
def test_a_webhook_to_an_internal_address_is_refused_when_sent(settings):
    settings.KESHER_WEBHOOK_MAX_ATTEMPTS = 1
    with http_receiver() as receiver, translation.override("en"):
        delivery = _delivery(receiver.url)  # allowed when queued (tests/settings.py)
        settings.KESHER_OUTGOING_ALLOW_HOSTS = []  # the operator took the host off the list
        assert deliver_webhooks() == 0
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == WebhookDelivery.Status.DEAD
    assert "loopback" in delivery.last_error
    assert "public addresses" in delivery.last_error


@contextlib.contextmanager
def _server(status: int, location: str = ""):
    """A local server answering every request with ``status`` (and ``Location``), noting it."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            seen.append(f"{self.command} {self.path}")
            self.send_response(status)
            if location:
                self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = _answer

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_a_webhook_redirected_to_an_internal_address_is_refused(settings, dns):
    """A receiver allowed by name answering 302 to http://127.0.0.1/... reaches nothing else."""
    settings.KESHER_WEBHOOK_MAX_ATTEMPTS = 1
    with _server(200) as (inside_port, inside):
        target = f"http://127.0.0.1:{inside_port}/admin"
        with _server(302, target) as (port, outside):
            dns["receiver.example.com"] = "127.0.0.1"
            delivery = _delivery(f"http://receiver.example.com:{port}/hook")
            # The receiver's name is allowed; the address it redirects to is not.
            settings.KESHER_OUTGOING_ALLOW_HOSTS = ["receiver.example.com"]
            deliver_webhooks()
    delivery.refresh_from_db()
    assert outside == ["POST /hook"]
    assert inside == []
    assert delivery.status == WebhookDelivery.Status.DEAD
    assert "loopback" in delivery.last_error


@pytest.mark.django_db
def test_the_api_refuses_a_subscription_to_the_metadata_service(
    nothing_allowed, api_for, admin_user
):
    for language, words in (("en", "public addresses"), ("he", "כתובות ציבוריות")):
        answer = api_for(admin_user, language=language).post(
            "/api/v1/webhooks/",
            {"name": "Cloud", "url": "http://169.254.169.254/latest/", "events": ["created"]},
            format="json",
        )
        assert answer.status_code == 400, answer.content
        assert words in " ".join(answer.json()["url"])
    assert not WebhookSubscription.objects.exists()


def test_an_automation_webhook_action_to_a_private_address_is_refused(nothing_allowed):
    with pytest.raises(ValidationError) as refused:
        _validate_webhook(None, {"url": "http://192.168.1.10/hook"})
    assert "public addresses" in str(refused.value)
    assert _validate_webhook(None, {"url": "https://8.8.8.8/hook"})["url"] == "https://8.8.8.8/hook"


@pytest.mark.django_db
def test_a_calendar_on_an_internal_address_is_refused_when_saved_and_when_synced(
    nothing_allowed, users
):
    rep = users["sales_rep"]
    with pytest.raises(ValidationError) as refused:
        connection_save(
            actor=rep, data={"url": "http://10.0.0.8/dav/", "username": "rep", "password": "pw"}
        )
    assert "public addresses" in " ".join(refused.value.message_dict["url"])
    assert not CalendarConnection.objects.exists()
    # Saved while the host was allowed; the operator has since taken it off the list.
    connection = CalendarConnection.objects.create(
        user=rep, url="http://127.0.0.1:9/dav/", username="rep", secret=encrypt("pw")
    )
    with pytest.raises(ProviderError):
        sync_connection(connection)
    connection.refresh_from_db()
    assert connection.problem == CalendarConnection.Problem.UNREACHABLE
    assert "loopback" in connection.problem_detail
    assert connection.failures == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "field", "data"),
    [
        ("clearing-accounts", "api_url", {"name": "P", "provider": "generic", "terminal": "1"}),
        ("pbx-connections", "originate_url", {"name": "PBX", "secret": "s" * 20}),
    ],
)
def test_a_provider_address_inside_the_network_is_refused(
    nothing_allowed, admin_user, key, field, data
):
    entity = registry.get(key)
    with pytest.raises(ValidationError) as refused:
        record_create(entity, actor=admin_user, data={**data, field: "http://10.0.0.9/api"})
    assert "public addresses" in " ".join(refused.value.message_dict[field])
    assert not entity.model.objects.exists()


@pytest.mark.django_db
def test_testing_a_calendar_address_refuses_internal_and_impossible_hosts(
    nothing_allowed, api_for, users
):
    """The "test the connection" button reaches nothing internal, and an address that is no
    address is an answer, not a server error (schemathesis found a 500 here)."""
    api = api_for(users["sales_rep"], language="en")
    for url, words in (
        ("http://169.254.169.254/latest/", "public addresses"),
        ("https://" + "a" * 300 + ".dev/dav/", "Enter the calendar's address"),
        ("https://ffyz.dev" + "*" * 300, "Enter the calendar's address"),
    ):
        answer = api.post(
            "/api/v1/calsync/connection/test/",
            {"url": url, "username": "rep", "password": "pw"},
            format="json",
        )
        assert answer.status_code == 200, answer.content
        assert answer.json()["ok"] is False
        assert words in answer.json()["detail"]


def test_a_host_name_dns_cannot_carry_is_an_unreachable_host_not_a_crash():
    with pytest.raises(socket.gaierror, match="label"):
        outgoing.check_url("https://" + "a" * 64 + ".example.com/")
