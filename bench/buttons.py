"""A button on 1,000 chosen records (issue 23, "Performance"): queued in ≤ 1 s, finished in
≤ 2× the same actions run by the worker one record at a time without the button.

    .venv/bin/python -m bench.buttons --db sqlite
    .venv/bin/python -m bench.buttons --db postgres   # server from $DATABASE_URL or localhost

Builds a throw-away database (``bench.database.scratch_database``) with 1,000 accounts per
round and figure. The button runs a rule (trigger "pressing a button") of three actions — add
a tag, set the notes from the button's answer, create a task from a template — and asks one
question. Each round, interleaved:

- **button**: ``button_press`` for the 1,000 ids with the answer (the request's work: checks,
  the job row, the worker's task; committed) — the *queued* figure — then the worker's work:
  the job's batches (scope, condition, locks, one run per record) and every run executed
  (``process_due``) — together the *finished* figure;
- **floor**: the same rule's actions on another 1,000 accounts as the worker runs them one
  record at a time without a button: 1,000 runs written at once (not timed), then
  ``process_due`` (timed).

Results go to ``bench/results/buttons-<db>.md``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bench.database import engine_version, scratch_database

RESULTS = Path(__file__).resolve().parent / "results"
PG_NAME = "kesher_bench_buttons"
RECORDS = 1_000
QUEUED_TARGET = 1.0
RATIO_TARGET = 2.0


def _setup(rounds: int):
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from kesher.activities.models import TaskTemplate
    from kesher.activities.task_templates import task_template_create
    from kesher.automation.buttons import button_create
    from kesher.automation.services import rule_create
    from kesher.customers.models import Account
    from kesher.org.models import User

    admin = User.objects.create_superuser("admin", "admin@example.co.il", None)
    template = task_template_create(
        actor=admin,
        data={
            "name": "Follow up",
            "title": "לחזור אל {{name}}",
            "due_unit": "days",
            "assignee_rule": TaskTemplate.AssigneeRule.OWNER,
        },
    )
    actions = [
        {"type": "add_tag", "tag": "נבדק"},
        {"type": "update_fields", "values": {"notes": "סיבה: {{answer.reason}}"}},
        {"type": "create_task", "template": template.pk},
    ]
    rule = rule_create(
        actor=admin,
        data={
            "name": "Pressed",
            "entity": "accounts",
            "trigger_kind": "manual",
            "actions": actions,
        },
    )
    button = button_create(
        actor=admin,
        data={
            "label_he": "בדיקה",
            "entity": "accounts",
            "rule": rule,
            "on_list": True,
            "questions": [{"key": "reason", "label_he": "סיבה", "type": "text", "required": True}],
        },
    )
    Account.objects.bulk_create(
        [Account(name=f"לקוח {n}", owner=admin, city="חיפה") for n in range(2 * rounds * RECORDS)],
        batch_size=1000,
    )
    ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
    sets = [ids[n * RECORDS : (n + 1) * RECORDS] for n in range(2 * rounds)]
    return admin, rule, button, sets


def _all_done(runs) -> None:
    from kesher.automation.models import RuleRun

    left = runs.exclude(status=RuleRun.Status.DONE).count()
    if left:
        raise RuntimeError(f"{left} runs not done")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=2)
    options = parser.parse_args(argv)
    where, cleanup = scratch_database(options.db, pg_name=PG_NAME, prefix="kesher-buttons-")
    try:
        started = time.perf_counter()
        admin, rule, button, sets = _setup(options.rounds)
        setup_seconds = time.perf_counter() - started
        from bench.timing import machine_and_run_lines
        from kesher.automation.buttons import button_press, job_advance
        from kesher.automation.engine import create_runs
        from kesher.automation.models import RuleRun
        from kesher.automation.worker import process_due

        queued, finished, floors = [], [], []
        for n in range(options.rounds):
            pressed_ids, floor_ids = sets[2 * n], sets[2 * n + 1]
            t0 = time.perf_counter()
            job = button_press(button, actor=admin, ids=pressed_ids, answers={"reason": "בדיקה"})
            t1 = time.perf_counter()
            job_advance(job.pk)  # the worker's task
            process_due()
            t2 = time.perf_counter()
            _all_done(RuleRun.objects.filter(job=job))
            queued.append(t1 - t0)
            finished.append(t2 - t0)
            create_runs([(rule, pk) for pk in floor_ids], info={"event": "bench"})
            t3 = time.perf_counter()
            process_due()
            floors.append(time.perf_counter() - t3)
            _all_done(RuleRun.objects.filter(record_id__in=floor_ids, job=None))

        best_queued = min(queued)
        median_finished, median_floor = statistics.median(finished), statistics.median(floors)
        ratio = median_finished / median_floor
        rows = [
            f"| {n + 1} | {q:.3f} | {f:.2f} | {fl:.2f} | {f / fl:.2f}× |"
            for n, (q, f, fl) in enumerate(zip(queued, finished, floors, strict=True))
        ]
        command = [sys.executable.rsplit("/", 1)[-1], "-m", "bench.buttons"]
        command += argv if argv is not None else sys.argv[1:]
        report = "\n".join(
            [
                f"## {options.db}",
                "",
                "| round | queued s | finished s | floor s | finished / floor |",
                "|---|---|---|---|---|",
                *rows,
                "",
                f"- Queued (the press's request work, committed): worst "
                f"{max(queued):.3f} s, best {best_queued:.3f} s — ≤ {QUEUED_TARGET:.0f} s "
                f"{'met' if max(queued) <= QUEUED_TARGET else 'NOT met'}.",
                f"- Finished: median {median_finished:.2f} s beside the floor's median "
                f"{median_floor:.2f} s = {ratio:.2f}× — ≤ {RATIO_TARGET:.0f}× "
                f"{'met' if ratio <= RATIO_TARGET else 'NOT met'}.",
                f"- {RECORDS:,} accounts per press and per floor, fresh each time; three actions "
                "per record (a tag, the notes from the answer, a task from a template), each in "
                "its own transaction with its result row (decision 0030). The floor's runs are "
                "written before its clock starts; the button's clock covers the press, its "
                f"batches and the runs. Database: {where} ({engine_version()}); set-up took "
                f"{setup_seconds:.0f} s.",
                *machine_and_run_lines(command),
            ]
        )
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"buttons-{options.db}.md").write_text(report + "\n", encoding="utf-8")
        print(report)
        return 0
    finally:
        cleanup()


if __name__ == "__main__":
    raise SystemExit(main())
