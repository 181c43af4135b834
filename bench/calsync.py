"""Calendar sync's figure (issue 22 "Performance"; decision 0110): a user with 5,000 meetings in
his CalDAV calendar, an incremental run with 10 changes — 5 made in Kesher, 5 on the device —
against a real local Radicale, ≤ 3× the server's own time to answer the same requests.

    .venv/bin/python bench/calsync.py                    # SQLite under var/bench/calsync/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kesher_bench_calsync \\
        .venv/bin/python bench/calsync.py

The server is Radicale (the tests' ``kesher.calsync.tests.server``) in a thread of this
process, its storage in a temporary folder. Set-up: 5,000 meetings of one rep (bulk), the same
5,000 events uploaded to his calendar in one PUT, and the state a full sync leaves (the mapping
of each meeting to its event's address and ETag, the sync token). Each round then changes 5
meetings in Kesher and 5 events on the device, and times ``sync_connection`` (pull by sync
token, a multiget of what changed, the 5 meetings updated, 5 events PUT). Floor, in the same
round: the very requests that run sent to the server (recorded as they reached it), replayed
bare with ``requests`` after the next round's device changes (so that the server's caches are
as cold for them as for the run) — the server's own time to answer them, plus the least a
client spends (sign-in answered in advance: the run's 401 round trips are left out of the floor).

Writes ``bench/results/calsync-<db>.md``.
"""

from __future__ import annotations

import datetime
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
CHANGES = 5  # on each side: 10 changes a round
PASSWORD = "bench-pw"  # noqa: S105


def _env() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kesher.settings", "KESHER_ACCESS_LOG": "0"}
    # The meetings' UIDs name the site; Radicale refuses a ":" (a port) in an event's address.
    env["KESHER_BASE_URL"] = "https://kesher.example"
    if not env.get("DATABASE_URL"):
        var = ROOT / "var" / "bench" / "calsync"
        shutil.rmtree(var, ignore_errors=True)
        var.mkdir(parents=True)
        env["KESHER_VAR_DIR"] = str(var)
    return env


def _setup():
    env = _env()
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


def _seed(server):
    import requests
    from caldav import DAVClient
    from django.contrib.auth import get_user_model
    from django.utils import timezone
    from icalendar import Calendar

    from kesher.activities.models import Interaction
    from kesher.calsync.models import CalendarConnection, SyncedEvent, SyncPolicy
    from kesher.calsync.secrets import encrypt
    from kesher.calsync.sync import event_body, meeting_uid, policy_shape, vcalendar
    from kesher.platform.models import Choice

    user = get_user_model().objects.create_user("bench-rep", "rep@example.com", "x")
    user.is_superuser = True  # every right: the device's changes are all taken
    user.save()
    kind = Choice.objects.get(list_key="interaction_kind", value="meeting")
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(hours=1)
    Interaction.objects.bulk_create(
        Interaction(
            kind=kind,
            subject=f"פגישה {n}",
            occurred_at=start + datetime.timedelta(hours=n),
            duration_minutes=60,
            owner=user,
        )
        for n in range(EVENTS)
    )
    meetings = list(Interaction.objects.filter(owner=user).select_related("kind", "owner"))
    policy = SyncPolicy.current()
    whole = vcalendar()
    for meeting in meetings:
        one = Calendar.from_ical(event_body(meeting, policy, meeting_uid(meeting), user))
        whole.add_component(one.walk("VEVENT")[0])
    url = f"{server.url}rep/kesher/"
    answer = requests.put(
        url,
        data=whole.to_ical(),
        auth=("rep", PASSWORD),
        headers={"Content-Type": "text/calendar"},
        timeout=600,
    )
    answer.raise_for_status()
    client = DAVClient(url=server.url, username="rep", password=PASSWORD, timeout=1800)
    calendar = client.calendar(url=url)
    listing = calendar.get_objects_by_sync_token(None, load_objects=False, disable_fallback=True)
    by_uid = {meeting_uid(m): m for m in meetings}
    connection = CalendarConnection.objects.create(
        user=user,
        url=server.url,
        username="rep",
        secret=encrypt(PASSWORD),
        calendar_url=url,
        sync_token=listing.sync_token,
        last_sync_at=timezone.now(),
    )
    rows = []
    for obj in listing:
        href = obj.url.path
        meeting = by_uid[unquote(href.rsplit("/", 1)[1])[: -len(".ics")]]
        rows.append(
            SyncedEvent(
                connection=connection,
                interaction=meeting,
                uid=meeting_uid(meeting),
                href=href,
                etag=obj.props["{DAV:}getetag"],
                version=meeting.version,
                shape=policy_shape(policy),
            )
        )
    SyncedEvent.objects.bulk_create(rows)
    return connection, meetings


def _device_change(session, server, event, round_no: int) -> None:
    from django.utils import timezone
    from icalendar import Calendar

    answer = session.get(server.url.rstrip("/") + event.href, timeout=60)
    cal = Calendar.from_ical(answer.content)
    vevent = cal.walk("VEVENT")[0]
    vevent["summary"] = f"{vevent['summary']} · phone {round_no}"
    vevent.pop("last-modified")
    vevent.add("last-modified", timezone.now() + datetime.timedelta(minutes=1))
    session.put(
        server.url.rstrip("/") + event.href,
        data=cal.to_ical(),
        headers={"Content-Type": "text/calendar"},
        timeout=60,
    ).raise_for_status()


def _replay(session, server, recorded) -> float:
    started = time.perf_counter()
    for request in recorded:
        if request.get("status") == 401:
            continue  # the floor signs in in advance
        headers = {
            k: v
            for k, v in request["headers"].items()
            if k in {"Content-Type", "Depth"}  # not If-Match: the same work, not a 412
        }
        session.request(
            request["method"],
            server.url.rstrip("/") + quote(request["path"]),
            data=request["body"],
            headers=headers,
            timeout=60,
        )
    return time.perf_counter() - started


def main() -> None:
    _setup()
    import requests
    from django.db import connection as db

    from bench.timing import machine_and_run_lines
    from kesher.activities.services import interaction_update
    from kesher.calsync.models import SyncedEvent
    from kesher.calsync.sync import sync_connection
    from kesher.calsync.tests.server import CalDavServer

    server = CalDavServer({"rep": PASSWORD})
    try:
        began = time.perf_counter()
        connection, meetings = _seed(server)
        seeded = time.perf_counter() - began
        warm = sync_connection(connection)  # the server's caches warm; nothing to do
        assert (warm.sent, warm.received) == (0, 0), warm
        session = requests.Session()
        session.auth = ("rep", PASSWORD)
        rows = []

        def device_changes(round_no: int) -> None:
            offset = round_no * CHANGES * 2
            for meeting in meetings[offset + CHANGES : offset + 2 * CHANGES]:
                event = SyncedEvent.objects.get(interaction=meeting)
                _device_change(session, server, event, round_no)

        device_changes(0)
        for round_no in range(ROUNDS):
            offset = round_no * CHANGES * 2
            for meeting in meetings[offset : offset + CHANGES]:
                meeting.refresh_from_db()
                interaction_update(
                    meeting, actor=connection.user, data={"subject": f"{meeting.subject} · k"}
                )
            connection.refresh_from_db()
            server.recorded = []
            started = time.perf_counter()
            result = sync_connection(connection)
            took = time.perf_counter() - started
            recorded, server.recorded = server.recorded, None
            assert (result.sent, result.received) == (CHANGES, CHANGES), result
            # The next round's device changes first, untimed: the server's caches are then as
            # cold for the floor's requests as they were for the run's.
            device_changes(round_no + 1)
            floor = _replay(session, server, recorded)
            rows.append((took, floor, len(recorded)))
        vendor = db.vendor
    finally:
        server.close()
    sync_ms = [r[0] * 1000 for r in rows]
    floor_ms = [r[1] * 1000 for r in rows]
    ratio = statistics.median(sync_ms) / statistics.median(floor_ms)
    name = "postgres" if vendor == "postgresql" else "sqlite"
    lines = [
        f"# Calendar sync — {name}",
        "",
        f"A rep with {EVENTS:,} meetings in his CalDAV calendar (Radicale {_radicale()}, local),",
        f"incremental runs with {2 * CHANGES} changes each ({CHANGES} in Kesher, {CHANGES} on the",
        "device). Floor: the same requests the run sent, replayed bare (`requests`), same round.",
        f"Set-up ({EVENTS:,} meetings, one upload, the full-sync state) took {seeded:.1f} s.",
        "",
        "| round | sync (ms) | floor: the server answering the same requests (ms) | ratio "
        "| requests |",
        "|---|---|---|---|---|",
        *(
            f"| {n + 1} | {s:.0f} | {f:.0f} | ×{s / f:.2f} | {r[2]} |"
            for n, (s, f, r) in enumerate(zip(sync_ms, floor_ms, rows, strict=True))
        ),
        "",
        f"**Median: sync {statistics.median(sync_ms):.0f} ms, floor "
        f"{statistics.median(floor_ms):.0f} ms — ×{ratio:.2f} (target ≤ ×3).**",
        "",
        *machine_and_run_lines(
            [
                ".venv/bin/python",
                "bench/calsync.py",
                *(["(DATABASE_URL=postgres://…)"] if name == "postgres" else []),
            ]
        ),
        "",
    ]
    out = ROOT / "bench" / "results" / f"calsync-{name}.md"
    out.write_text("\n".join(lines))
    print("\n".join(lines))


def _radicale() -> str:
    from importlib.metadata import version

    return version("radicale")


if __name__ == "__main__":
    main()
