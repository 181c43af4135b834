"""Screen pops (REQ IN-2, OR-5): the card reaches the browser of the user whose extension rang
and only if he may see the record; anyone else's stream gets nothing, and a caller out of his
scope pops as an unknown one, with no name. The stream is an async view; other processes'
pops arrive through PostgreSQL's NOTIFY or, on SQLite, the table."""

from __future__ import annotations

import asyncio
import json
import queue
import time

import pytest
from asgiref.sync import async_to_sync
from django.db import connection, transaction
from django.test import AsyncClient, Client

from kesher.customers.services import contact_create
from kesher.telephony.hub import CHANNEL, hub
from kesher.telephony.models import PopEvent
from kesher.telephony.tests.factories import event, make_connection, make_extension, signed_post


@pytest.fixture
def pbx(users):
    return make_connection(users["admin"])


def _drain(events: queue.Queue) -> list:
    found = []
    while True:
        try:
            found.append(events.get_nowait())
        except queue.Empty:
            return found


@pytest.mark.django_db
def test_the_card_pops_only_for_the_user_whose_extension_rang(
    users, pbx, django_capture_on_commit_callbacks
):
    make_extension(users["admin"], users["sales_rep"], pbx, "101")
    make_extension(users["admin"], users["manager"], pbx, "102")
    contact = contact_create(
        actor=users["sales_rep"],
        data={"first_name": "דנה", "last_name": "כהן", "phone": "052-555-1234"},
    )
    rep, rep_events = hub.subscribe_sync(users["sales_rep"].pk)
    manager, manager_events = hub.subscribe_sync(users["manager"].pk)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert signed_post(Client(), pbx, event()).status_code == 200
        popped = _drain(rep_events)
        assert len(popped) == 1
        payload = popped[0]["payload"]
        assert payload["kind"] == "card"
        assert payload["title"] == str(contact)
        assert payload["url"] == f"/r/contacts/{contact.pk}/"
        assert payload["number"] == "052-555-1234"
        assert _drain(manager_events) == []
        # The next events of the same call pop nothing more.
        with django_capture_on_commit_callbacks(execute=True):
            signed_post(Client(), pbx, event(kind="answered"))
        assert _drain(rep_events) == []
    finally:
        hub.unsubscribe(rep)
        hub.unsubscribe(manager)


@pytest.mark.django_db
def test_a_caller_out_of_scope_pops_as_unknown_with_no_name(
    users, pbx, django_capture_on_commit_callbacks
):
    # rep2's contact; rep1's extension rings. A rep sees only his own contacts.
    make_extension(users["admin"], users["sales_rep"], pbx, "101")
    contact_create(
        actor=users["sales_rep2"],
        data={"first_name": "סודי", "last_name": "ביותר", "phone": "052-555-1234"},
    )
    rep, rep_events = hub.subscribe_sync(users["sales_rep"].pk)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            signed_post(Client(), pbx, event())
        (popped,) = _drain(rep_events)
    finally:
        hub.unsubscribe(rep)
    text = json.dumps(popped, ensure_ascii=False)
    assert popped["payload"]["kind"] == "unknown"
    assert "סודי" not in text
    assert "ביותר" not in text
    assert "/r/contacts/" not in text
    assert PopEvent.objects.get().payload == popped["payload"]


@pytest.mark.django_db
def test_an_unknown_caller_is_offered_a_new_lead_with_his_number(
    users, pbx, client_for, django_capture_on_commit_callbacks
):
    make_extension(users["admin"], users["sales_rep"], pbx, "101")
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(Client(), pbx, event(**{"from": "054-777-8888"}))
    payload = PopEvent.objects.get().payload
    assert payload["kind"] == "unknown"
    assert payload["new_lead_url"] == "/r/leads/new/?phone=%2B972547778888"
    page = client_for(users["sales_rep"]).get(payload["new_lead_url"])
    assert page.status_code == 200
    assert "+972547778888" in page.content.decode() or "054-777-8888" in page.content.decode()


@pytest.mark.django_db
def test_a_user_who_may_not_add_leads_is_not_offered_one(
    users, pbx, django_capture_on_commit_callbacks
):
    make_extension(users["admin"], users["read_only"], pbx, "103")
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(Client(), pbx, event(extension="103"))
    assert "new_lead_url" not in PopEvent.objects.get().payload


# --- the stream ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_stream_is_an_async_view_that_delivers_a_pop(users):
    user = users["sales_rep"]
    client = AsyncClient()

    async def read():
        await client.aforce_login(user)
        response = await client.get("/telephony/stream/")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/event-stream")
        chunks = response.streaming_content.__aiter__()
        first = await chunks.__anext__()
        assert first.startswith(b"retry:")
        await asyncio.sleep(0.05)  # subscribed once the first chunk went
        hub.deliver(10_000_001, user.pk, {"kind": "card", "title": "דנה כהן"})
        hub.deliver(10_000_002, users["manager"].pk, {"kind": "card", "title": "לא שלך"})
        frame = await asyncio.wait_for(chunks.__anext__(), 2)
        await chunks.aclose()
        return frame.decode()

    frame = async_to_sync(read)()
    assert frame.startswith("id: 10000001\nevent: pop\n")
    assert "דנה כהן" in frame
    assert hub.listeners() == 0


@pytest.mark.django_db
def test_the_stream_refuses_anyone_not_signed_in():
    assert Client().get("/telephony/stream/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_another_process_pop_arrives_through_the_database(users, settings):
    """What another server (PostgreSQL: NOTIFY) or the web process beside the stream's
    (SQLite: the table, polled) wrote reaches this process's stream: the row is written and
    notified here without the in-process delivery."""
    settings.KESHER_TELEPHONY_POLL_SECONDS = 0.05
    user = users["sales_rep"]
    subscriber, events = hub.subscribe_sync(user.pk)
    try:
        time.sleep(0.3)  # the pump starts from the newest row
        with transaction.atomic():
            row = PopEvent.objects.create(user=user, payload={"kind": "unknown", "number": "1"})
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(row.pk)])
        got = events.get(timeout=5)
    finally:
        hub.unsubscribe(subscriber)
    assert got == {"id": row.pk, "payload": {"kind": "unknown", "number": "1"}}


@pytest.mark.django_db
def test_pages_allow_the_stream_port_in_their_policy(users, client_for, settings, pbx):
    make_extension(users["admin"], users["sales_rep"], pbx, "101")
    settings.KESHER_TELEPHONY_STREAM_PORT = "8010"
    page = client_for(users["sales_rep"]).get("/")
    assert "connect-src http://testserver:8010 'self'" in page["Content-Security-Policy"]
    assert 'data-stream-url="http://testserver:8010/telephony/stream/"' in page.content.decode()


@pytest.mark.django_db
def test_the_stream_answers_the_pages_origin_with_its_cookies(users, client_for):
    client = client_for(users["sales_rep"])
    response = client.get("/telephony/stream/", HTTP_ORIGIN="http://testserver:8000")
    assert response["Access-Control-Allow-Origin"] == "http://testserver:8000"
    assert response["Access-Control-Allow-Credentials"] == "true"
    # Not read, not closed: the stream subscribes when it is read (closing it here would fire
    # request_finished, which closes the test's database connection).
    other = client.get("/telephony/stream/", HTTP_ORIGIN="http://evil.example")
    assert "Access-Control-Allow-Origin" not in other


@pytest.mark.django_db
def test_a_user_without_an_extension_gets_no_stream(users, client_for):
    page = client_for(users["sales_rep"]).get("/")
    assert "telephony-pop" not in page.content.decode()


@pytest.mark.django_db
def test_a_shared_extension_pops_for_each_of_its_users_and_the_call_is_no_ones(
    users, pbx, django_capture_on_commit_callbacks
):
    make_extension(users["admin"], users["sales_rep"], pbx, "100")
    make_extension(users["admin"], users["support_agent"], pbx, "100")
    with django_capture_on_commit_callbacks(execute=True):
        signed_post(Client(), pbx, event(extension="100"))
    assert sorted(PopEvent.objects.values_list("user_id", flat=True)) == sorted(
        [users["sales_rep"].pk, users["support_agent"].pk]
    )
    from kesher.telephony.models import Call

    assert Call.objects.get().user is None
