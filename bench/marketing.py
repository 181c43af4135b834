"""Queuing a mass send to 20,000 recipients (issue 19 item 3, REQ MK-2; decision 0070), and
web-form submissions (issue 19 item 4, REQ MK-5; decision 0105).

    .venv/bin/python -m bench.marketing --db sqlite
    .venv/bin/python -m bench.marketing --db postgres   # server from $DATABASE_URL or localhost
    .venv/bin/python -m bench.marketing --db sqlite --part forms

``--part forms`` posts web-form submissions (``/f/<slug>/``: the signed token, honeypot,
throttle, cleaning, the duplicate check against 5,000 open leads, the sales lead service, the
submission row, two consents) beside the floor ``bench/bare_form.py``: the same POST through
the same middleware writing the same rows by bare SQL (lead, audit entry, search tokens,
submission, consents). Requests alternate one by one; each has its own token and a new e-mail.
Each part writes its own section of ``bench/results/marketing-<db>.md``.

Builds a throw-away database (a temporary SQLite file, or a ``kesher_bench_marketing``
PostgreSQL database dropped afterwards) with 20,000 contacts of one city and 1,000 of
another, each with an e-mail address; 19,000 of the 20,000 gave consent, 500 of them
refused afterwards, the rest have no entry. A shared saved view of the city is the segment.

The figure is ``send_queue``: evaluate the segment as the send's owner sees it, ask the consent
ledger for each person (the latest entry), and write the 20,000 ``Recipient`` rows — pending
or skipped. The floor is the bare insert of the same 20,000 rows (``bulk_create`` of
ready-made objects, same batch size) in one transaction. Each round queues a fresh draft send,
then runs the floor into another; rounds alternate, so load from elsewhere on the shared
machine hits both alike. Results go to ``bench/results/marketing-<db>.md``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_marketing"
AUDIENCE = 20_000


def _setup():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from kesher.customers.models import Contact
    from kesher.marketing.models import Campaign, Consent
    from kesher.org.models import Role, User
    from kesher.platform.lists.savedviews import saved_view_create

    manager = User.objects.create_user("manager", "manager@example.co.il", None)
    manager.role = Role.objects.get(key="admin")
    manager.save()
    contacts = [
        Contact(
            first_name=f"איש {n}",
            last_name="כהן",
            email=f"p{n}@example.co.il",
            city="חיפה" if n < AUDIENCE else "אילת",
            owner=manager,
        )
        for n in range(AUDIENCE + 1000)
    ]
    Contact.objects.bulk_create(contacts, batch_size=5000)
    ids = list(Contact.objects.filter(city="חיפה").order_by("pk").values_list("pk", flat=True))
    now = timezone.now()
    entries = [
        Consent(contact_id=pk, channel="email", kind="consent", given_at=now) for pk in ids[:19_000]
    ]
    entries += [
        Consent(
            contact_id=pk,
            channel="email",
            kind="refusal",
            given_at=now + timezone.timedelta(minutes=1),
        )
        for pk in ids[:500]
    ]
    Consent.objects.bulk_create(entries, batch_size=5000)
    view = saved_view_create(
        actor=manager,
        data={
            "entity": "contacts",
            "name": "חיפה",
            "shared": True,
            "filter": {"field": "city", "op": "eq", "value": "חיפה"},
        },
    )
    campaign = Campaign.objects.create(name="ניוזלטר", owner=manager)
    return manager, view, campaign, ids


def _draft(manager, view, campaign, n):
    from kesher.marketing.models import Send

    return Send.objects.create(
        campaign=campaign,
        name=f"דיוור {n}",
        segment=view,
        subject="מבצע",
        body="<p>שלום</p>",
        sender_name="קשר",
        sender_contact="03-5551234",
        owner=manager,
    )


FORM_LEADS = 5_000


def _write_section(db: str, part: str, text: str) -> None:
    """Replace this part's section of the results file, keeping the other part's."""
    path = RESULTS / f"marketing-{db}.md"
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    sections = {}
    if old and "<!-- part: " not in old:
        sections["queue"] = old.strip()
    for chunk in old.split("<!-- part: ")[1:]:
        name, _sep, body = chunk.partition(" -->")
        sections[name] = body.strip()
    sections[part] = text.strip()
    order = [name for name in ("queue", "forms") if name in sections]
    RESULTS.mkdir(exist_ok=True)
    path.write_text(
        "\n\n".join(f"<!-- part: {name} -->\n{sections[name]}" for name in order) + "\n",
        encoding="utf-8",
    )


def _forms_setup():
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.marketing.models import Campaign, LeadForm, LeadFormField
    from kesher.org.models import Role, User
    from kesher.sales.models import Lead

    owner = User.objects.create_user("owner", "owner@example.co.il", None)
    owner.role = Role.objects.get(key="sales_rep")
    owner.save()
    campaign = Campaign.objects.create(name="דף נחיתה", owner=owner)
    form = LeadForm.objects.create(
        name="דף נחיתה",
        slug="landing",
        campaign=campaign,
        consent_channels="email sms",
        consent_text_he="אני מסכים/ה לקבל דיוור פרסומי",
        owner=owner,
    )
    for position, name in enumerate(("first_name", "last_name", "email")):
        LeadFormField.objects.create(
            form=form, lead_field=name, required=name != "first_name", position=position
        )
    Lead.objects.bulk_create(
        [
            Lead(first_name=f"ליד {n}", last_name="לוי", email=f"old{n}@example.co.il")
            for n in range(FORM_LEADS)
        ],
        batch_size=2000,
    )
    return form


def forms_part(options, argv) -> int:
    """Web-form submissions beside the bare floor of the same rows."""
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-marketing-")
    try:
        form = _forms_setup()
        from django.test import Client, override_settings

        from bench.timing import machine_and_run_lines
        from kesher.marketing.capture import form_token
        from kesher.marketing.models import FormSubmission
        from kesher.sales.models import Lead

        count = options.submissions
        rates = {"lead_form": "1000000/hour"}
        with override_settings(
            ROOT_URLCONF="bench.urls",
            KESHER_LEAD_FORM_MIN_SECONDS=0,
            ALLOWED_HOSTS=["*"],
        ):
            from rest_framework.settings import api_settings

            api_settings.DEFAULT_THROTTLE_RATES.update(rates)
            client = Client()
            full, floor = [], []
            for n in range(count + 10):
                data = {
                    "first_name": "דנה",
                    "last_name": f"כהן {n}",
                    "consent": "1",
                    "utm_source": "facebook",
                    "utm_campaign": "winter",
                }
                token = form_token(form)
                t0 = time.perf_counter()
                answer = client.post(
                    "/f/landing/", {**data, "token": token, "email": f"f{n}@example.co.il"}
                )
                t1 = time.perf_counter()
                assert answer.status_code == 200, answer.content[:500]
                bare = client.post(
                    "/bench/form/landing/",
                    {**data, "token": f"bare{n}", "email": f"b{n}@example.co.il"},
                )
                t2 = time.perf_counter()
                assert bare.status_code == 200
                if n >= 10:  # the first ten warm both paths up
                    full.append(t1 - t0)
                    floor.append(t2 - t1)
        made = FormSubmission.objects.filter(lead__email__startswith="b").count()
        assert made == count + 10, made
        assert Lead.objects.filter(email__startswith="f").count() == count + 10
        median = sorted(full)[len(full) // 2] * 1000
        median_floor = sorted(floor)[len(floor) // 2] * 1000
        p95 = sorted(full)[int(len(full) * 0.95)] * 1000
        p95_floor = sorted(floor)[int(len(floor) * 0.95)] * 1000
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.marketing"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"# Web-form submissions — {options.db}",
                "",
                "Issue 19 item 4 (decision 0105): a submission posted to the public form",
                "(`/f/<slug>/`: token, honeypot, throttle, cleaning, duplicate check against",
                f"{FORM_LEADS:,} open leads, the sales lead service with its assignment rules,",
                "the submission row, two consents, the thank-you page) beside the floor,",
                "`bench/bare_form.py`: the same POST through the same middleware writing the",
                "same rows by bare SQL. Target: ≤ 1.5× the floor.",
                "",
                "| figure | median ms | p95 ms | floor median ms | floor p95 ms | median / floor |",
                "|---|---|---|---|---|---|",
                f"| one submission | {median:.1f} | {p95:.1f} | {median_floor:.1f} "
                f"| {p95_floor:.1f} | {median / median_floor:.2f}× |",
                "",
                f"- {count} submissions each way after 10 of warm-up, alternating one by one.",
                f"- Database: {where} ({engine_version()}).",
                *machine_and_run_lines(command),
            ]
        )
        _write_section(options.db, "forms", report)
        print(report)
        return 0
    finally:
        cleanup()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--part", choices=("queue", "forms"), default="queue")
    parser.add_argument("--submissions", type=int, default=300)
    options = parser.parse_args(argv)
    if options.part == "forms":
        return forms_part(options, argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-marketing-")
    try:
        started = time.perf_counter()
        manager, view, campaign, ids = _setup()
        setup_seconds = time.perf_counter() - started
        from django.db import transaction
        from django.utils import timezone

        from bench.timing import machine_and_run_lines
        from kesher.marketing.models import Recipient
        from kesher.marketing.sending import tally
        from kesher.marketing.services import send_queue

        full, floor = [], []
        counts = {}
        for n in range(options.runs):
            send = _draft(manager, view, campaign, f"a{n}")
            t0 = time.perf_counter()
            send = send_queue(send, actor=manager)
            t1 = time.perf_counter()
            counts = tally(send)
            assert send.audience == AUDIENCE, send.audience
            assert sum(counts.values()) == AUDIENCE
            other = _draft(manager, view, campaign, f"b{n}")
            now = timezone.now()
            rows = [
                Recipient(
                    send_id=other.pk,
                    contact_id=pk,
                    address=f"p{i}@example.co.il",
                    status="pending",
                    next_attempt_at=now,
                )
                for i, pk in enumerate(ids)
            ]
            t2 = time.perf_counter()
            with transaction.atomic():
                for start in range(0, len(rows), 5000):
                    Recipient.objects.bulk_create(rows[start : start + 5000])
            t3 = time.perf_counter()
            full.append(t1 - t0)
            floor.append(t3 - t2)
            # Keep the table the same size from round to round.
            Recipient.objects.filter(send__in=[send, other]).delete()
        best, best_floor = min(full), min(floor)
        median = sorted(full)[len(full) // 2]
        median_floor = sorted(floor)[len(floor) // 2]
        ratio = median / median_floor
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.marketing"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"# Queuing a 20,000-recipient mass send — {options.db}",
                "",
                "Issue 19 item 3: `send_queue` (segment evaluated at send time, the consent",
                "ledger asked per person, one row per recipient) beside the floor, the bare",
                "insert of the same 20,000 rows (`bench/marketing.py` says what is built).",
                "",
                "| figure | median s | best s | floor median s | floor best s | median / floor |",
                "|---|---|---|---|---|---|",
                f"| `send_queue`, 20,000 recipients | {median:.2f} | {best:.2f} "
                f"| {median_floor:.2f} | {best_floor:.2f} | {ratio:.2f}× |",
                "",
                f"- Recipients per round: pending {counts.get('pending', 0):,}, skipped (no "
                f"consent or refused) {counts.get('skipped', 0):,}; their sum is the audience.",
                f"- {options.runs} rounds; each round runs the figure, then the floor.",
                f"- Database: {where} ({engine_version()}); set-up took {setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        _write_section(options.db, "queue", report)
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
