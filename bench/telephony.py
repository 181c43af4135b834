"""Screen pop latency (issue 22, telephony; decision 0080): from a PBX webhook's arrival to the
pop in the browser, with 50 browsers listening, served the way ``manage.py serve`` serves it —
gunicorn's WSGI web server for the webhook, gunicorn's ASGI worker for the event stream.

Floor, in the same run: a bare publish/receive — a pop row inserted (and, on PostgreSQL,
notified) straight into the database, to its arrival at the same listener: the fan-out and the
stream without the webhook's work (checking the signature, finding the caller, logging the
call interaction).

    .venv/bin/python bench/telephony.py                    # SQLite under var/bench/telephony/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesher_bench_telephony \\
        .venv/bin/python bench/telephony.py

Writes ``bench/results/<date>-telephony-<db>.md`` and ``.json``. Target: p95 ≤ 300 ms.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENERS = 50
CALLS = int(os.environ.get("BENCH_CALLS", "100"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kesher.settings", "KESHER_ACCESS_LOG": "0"}
    if not env.get("DATABASE_URL"):
        var = ROOT / "var" / "bench" / "telephony"
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        env["KESHER_VAR_DIR"] = str(var)
    return env


def _setup(env: dict) -> dict:
    """Migrate, then make 50 reps with extensions and a contact each; sessions for them."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from kesher.customers.models import Contact
    from kesher.telephony.models import PbxConnection, PhoneExtension

    user_model = get_user_model()
    admin = user_model.objects.create_superuser("bench-admin", "a@example.com", "x")
    pbx = PbxConnection.objects.create(name="bench", secret="bench-secret-0123456789")  # noqa: S106
    people = []
    for i in range(LISTENERS):
        user = user_model.objects.create_user(f"rep{i}", f"rep{i}@example.com", "x")
        PhoneExtension.objects.create(user=user, connection=pbx, extension=str(100 + i))
        Contact.objects.create(first_name=f"לקוח {i}", owner=user, mobile=f"+97252{i:07d}")
        client = Client()
        client.force_login(user)  # a real session of the configured backend
        session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
        people.append(
            {
                "user": user.pk,
                "session": session_key,
                "cookie": settings.SESSION_COOKIE_NAME,
                "ext": str(100 + i),
                "mobile": f"+97252{i:07d}",
            }
        )
    del admin
    return {"pbx": pbx.pk, "secret": pbx.secret, "people": people}


def _serve(env: dict, web_port: int, stream_port: int) -> list[subprocess.Popen]:
    common = [sys.executable, "-m", "gunicorn", "--bind"]
    web = subprocess.Popen(  # noqa: S603  (a fixed command)
        [*common, f"127.0.0.1:{web_port}", "kesher.wsgi", "--workers", "2", "--threads", "4"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    stream = subprocess.Popen(  # noqa: S603
        [
            *common,
            f"127.0.0.1:{stream_port}",
            "kesher.telephony.asgi",
            "--worker-class",
            "asgi",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    for port in (web_port, stream_port):
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
    return [web, stream]


async def _listen(port: int, person: dict, arrivals: dict, ready: asyncio.Event, counter: list):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        (
            f"GET /telephony/stream/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: {person['cookie']}={person['session']}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await reader.readline()
    assert b"200" in status, status
    counter[0] += 1
    if counter[0] == LISTENERS:
        ready.set()
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.startswith(b"data:"):
            payload = json.loads(line[5:].decode("utf-8", "replace").strip() or "{}")
            key = payload.get("bench") or payload.get("call")
            arrivals[str(key)] = time.perf_counter()


def _post_webhook(web_port: int, setup: dict, person: dict, call_id: str) -> None:
    from kesher.telephony.adapters import sign

    body = json.dumps(
        {
            "call_id": call_id,
            "event": "ringing",
            "from": person["mobile"],
            "extension": person["ext"],
            "direction": "in",
        }
    ).encode()
    stamp = str(int(time.time()))
    request = urllib.request.Request(
        f"http://127.0.0.1:{web_port}/api/v1/telephony/calls/?pbx={setup['pbx']}",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Kesher-Timestamp": stamp,
            "X-Kesher-Signature": sign(setup["secret"], stamp, body),
        },
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return json.loads(answer.read())["call"]


def _bare_publish(person: dict, key: str) -> None:
    from django.db import connection, transaction

    from kesher.telephony.hub import CHANNEL
    from kesher.telephony.models import PopEvent

    with transaction.atomic():
        row = PopEvent.objects.create(user_id=person["user"], payload={"bench": key})
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_notify(%s, %s)", [CHANNEL, str(row.pk)])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _run(setup: dict, web_port: int, stream_port: int) -> dict:
    arrivals: dict = {}
    ready, counter = asyncio.Event(), [0]
    tasks = [
        asyncio.create_task(_listen(stream_port, p, arrivals, ready, counter))
        for p in setup["people"]
    ]
    await asyncio.wait_for(ready.wait(), 30)
    await asyncio.sleep(1.0)
    loop = asyncio.get_running_loop()
    webhook, bare = [], []
    for i in range(CALLS + 5):
        person = setup["people"][i % LISTENERS]
        sent = time.perf_counter()
        call = await loop.run_in_executor(None, _post_webhook, web_port, setup, person, f"b{i}")
        while str(call) not in arrivals and time.perf_counter() - sent < 5:
            await asyncio.sleep(0.002)
        if i >= 5:  # warm-up
            webhook.append((arrivals.get(str(call), float("inf")) - sent) * 1000)
        key = f"bare{i}"
        sent = time.perf_counter()
        await loop.run_in_executor(None, _bare_publish, person, key)
        while key not in arrivals and time.perf_counter() - sent < 5:
            await asyncio.sleep(0.002)
        if i >= 5:
            bare.append((arrivals.get(key, float("inf")) - sent) * 1000)
        await asyncio.sleep(0.05)
    for task in tasks:
        task.cancel()
    return {"webhook_ms": webhook, "bare_ms": bare}


def main() -> None:
    env = _env()
    setup = _setup(env)
    web_port, stream_port = _free_port(), _free_port()
    processes = _serve(env, web_port, stream_port)
    try:
        measured = asyncio.run(_run(setup, web_port, stream_port))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
    from django.db import connection

    db = connection.vendor
    figures = {
        "database": db,
        "listeners": LISTENERS,
        "calls": CALLS,
        "webhook_to_browser": {
            "p50_ms": round(statistics.median(measured["webhook_ms"]), 1),
            "p95_ms": round(_pct(measured["webhook_ms"], 0.95), 1),
            "lost": sum(v == float("inf") for v in measured["webhook_ms"]),
        },
        "floor_bare_publish_to_browser": {
            "p50_ms": round(statistics.median(measured["bare_ms"]), 1),
            "p95_ms": round(_pct(measured["bare_ms"], 0.95), 1),
            "lost": sum(v == float("inf") for v in measured["bare_ms"]),
        },
        "target_p95_ms": 300,
    }
    figures["ratio_p95"] = round(
        figures["webhook_to_browser"]["p95_ms"]
        / max(figures["floor_bare_publish_to_browser"]["p95_ms"], 0.1),
        2,
    )
    stem = f"{datetime.date.today().isoformat()}-telephony-{db}"
    results = ROOT / "bench" / "results"
    (results / f"{stem}.json").write_text(json.dumps(figures, indent=2) + "\n")
    w, f = figures["webhook_to_browser"], figures["floor_bare_publish_to_browser"]
    (results / f"{stem}.md").write_text(
        f"# Screen pop latency ({db}, {LISTENERS} listeners, {CALLS} calls)\n\n"
        "| what | p50 ms | p95 ms | lost |\n|---|---|---|---|\n"
        f"| webhook → browser | {w['p50_ms']} | {w['p95_ms']} | {w['lost']} |\n"
        f"| floor: bare publish → browser | {f['p50_ms']} | {f['p95_ms']} | {f['lost']} |\n\n"
        f"Target: p95 ≤ 300 ms. Ratio of p95s: {figures['ratio_p95']}.\n"
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
