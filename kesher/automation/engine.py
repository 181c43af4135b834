"""Matching: a platform event (after commit) → the rules listening to it → durable runs.

Enabled rules are compiled once per process and cached until a rule or a custom field changes,
in this process or another (``kesher/platform/stamps.py``), so a save that no rule matches
costs no query of its own. The conditions of every rule an event's trigger
matched are checked in one query. A matching rule becomes a ``RuleRun`` that the worker runs
after commit; matching itself never raises into the user's save (REQ AU-1; issue 5 item 8).
"""

from __future__ import annotations

import contextvars
import functools
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Case, IntegerField, Max, Q, Value, When
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesher.automation.evaluate import python_test
from kesher.automation.models import Rule, RuleRun
from kesher.automation.triggers import Trigger, change_key, trigger_for
from kesher.platform import stamps
from kesher.platform.lists.filterlang import compile_filter, resolve_field
from kesher.platform.models import AuditEntry, Choice
from kesher.platform.registry import registry

__all__ = [
    "CompiledRule",
    "acting_as",
    "compile_rule",
    "current_run",
    "entities_with_rules",
    "fire",
    "handle_event",
    "invalidate_rules",
    "queue_worker",
    "record_matches",
]

logger = logging.getLogger("kesher.automation")


# --- who is writing: the run context (loop protection, chain depth) ----------------------------


@dataclass(frozen=True)
class RunContext:
    rule_id: int
    run_id: int
    depth: int


_current: contextvars.ContextVar[RunContext | None] = contextvars.ContextVar(
    "kesher_automation_run", default=None
)


def current_run() -> RunContext | None:
    return _current.get()


@contextmanager
def acting_as(run: RuleRun):
    """Writes made inside carry ``run`` as their actor context: the events they emit on commit
    know which rule made the change and how deep the chain is."""
    token = _current.set(RunContext(run.rule_id, run.pk, run.depth))
    connection = transaction.get_connection()
    queued = len(connection.run_on_commit)
    try:
        yield
    finally:
        # The events of these writes are delivered when the outermost transaction commits,
        # which may be after this block ends: each callback queued here runs in a copy of
        # this context, so the handler still sees the run.
        context = contextvars.copy_context()
        connection.run_on_commit[queued:] = [
            (savepoints, functools.partial(context.run, callback), robust)
            for savepoints, callback, robust in connection.run_on_commit[queued:]
        ]
        _current.reset(token)


def max_depth() -> int:
    return getattr(settings, "KESHER_AUTOMATION_MAX_DEPTH", 5)


# --- compiled rules ----------------------------------------------------------------------------


def _norm(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).strip().casefold()


@dataclass
class CompiledRule:
    """A rule ready to match: its trigger, its condition as a ``Q``, the values its change
    conditions accept as they appear in an event's ``changes`` (a pick-list value is shown by
    its label in either language, a linked record by its name)."""

    rule: Rule
    trigger: Trigger
    q: Q | None
    aliases: dict
    # The condition decided in Python on the saved record (no query), when it is simple; and
    # the plain columns it reads, when a "created" event's changes can stand for the record.
    test: object = None
    test_fields: frozenset | None = None
    trigger_key: str = ""
    trigger_from: object = None
    trigger_to: object = None
    checks: list = field(default_factory=list)
    # The status record a status trigger names, when another record of its kind has the same
    # name (two pipelines' "Proposal"): an event shows the status by name, which cannot tell
    # them apart, so the match confirms the id with the record's audit entry.
    trigger_record: int | None = None
    _shown: dict = field(default_factory=dict)

    @property
    def entity(self) -> str:
        return self.rule.entity

    @property
    def trigger_config(self) -> dict:
        return self.rule.trigger_config

    def represents(self, key: str, shown, wanted) -> bool:
        """Whether ``shown`` (a value of an event's changes) is the configured ``wanted``."""
        if wanted is None:
            return True
        return _norm(shown) in self._shown.get((key, _norm(wanted)), {_norm(wanted)})

    def status_is(self, event, wanted, before: bool) -> bool:
        """Whether the status the event moved from (``before``) or to is ``wanted``: by the
        name the event shows, and by id when that name is shared (``trigger_record``)."""
        changes = event.changes[self.trigger_key]
        if not self.represents(self.trigger_key, changes[0 if before else 1], wanted):
            return False
        if self.trigger_record is None:
            return True
        ids = event.ids.get(self.trigger_key)
        if ids is not None:  # the writer said which records (``records.services``)
            return ids[0 if before else 1] == self.trigger_record
        return _audited_link(event, self.trigger_key, before) == self.trigger_record

    def changes_hold(self, changes: dict) -> bool:
        for key, old, new in self.checks:
            if key not in changes:
                return False
            before, after = changes[key]
            if not (self.represents(key, before, old) and self.represents(key, after, new)):
                return False
        return True


def _learn_shown(compiled: CompiledRule, path: str, wanted) -> None:
    """Remember how ``wanted`` appears in events: a pick-list value by its key and labels,
    a linked record by its name."""
    if wanted is None:
        return
    entity = registry.get(compiled.rule.entity)
    key = change_key(path)
    shown = {_norm(wanted)}
    ref = resolve_field(entity, path)
    if ref.kind == "choice" and ref.choice_list:
        choice = Choice.objects.filter(list_key=ref.choice_list, value=str(wanted)).first()
        if choice is None and str(wanted).isdigit():
            choice = Choice.objects.filter(list_key=ref.choice_list, pk=int(wanted)).first()
        if choice is not None:
            shown |= {_norm(choice.value), _norm(choice.label_he), _norm(choice.label_en)}
    elif ref.kind == "ref" and ref.model_field is not None and str(wanted).isdigit():
        target = ref.model_field.related_model._base_manager.filter(pk=int(wanted)).first()
        if target is not None:
            # A record named in each language (a deal's stage): the event holds its name in
            # the writer's language.
            for code, _name in settings.LANGUAGES:
                with translation.override(code):
                    shown.add(_norm(str(target)))
    compiled._shown[(key, _norm(wanted))] = shown


def _audited_link(event, key: str, before: bool) -> int | None:
    """The id a link field of the event's record held before or after its latest change, from
    the record's newest audit entry that changed it (written in the event's transaction)."""
    model = registry.get(event.entity).model
    entry = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=event.object_id,
            changes__has_key=key,
        )
        .order_by("-at", "-pk")
        .values_list("changes", flat=True)
        .first()
    )
    value = (entry or {}).get(key) or [None, None]
    link = value[0 if before else 1]
    return link.get("id") if isinstance(link, dict) else None


def _shared_name(entity, key: str, wanted) -> int | None:
    """``wanted``'s id when it names a linked record (a deal's stage) whose name another record
    of its kind shares in some language; else None."""
    ref = resolve_field(entity, key)
    if ref.kind != "ref" or ref.model_field is None or not str(wanted or "").isdigit():
        return None
    targets = list(ref.model_field.related_model._base_manager.all()[:1000])
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for target in targets:
                names.setdefault(_norm(str(target)), set()).add(target.pk)
    wanted_id = int(wanted)
    shared = any(wanted_id in ids and len(ids) > 1 for ids in names.values())
    return wanted_id if shared else None


def compile_rule(rule: Rule) -> CompiledRule:
    """Compile a rule (its condition, trigger and change conditions); ValidationError if any
    part no longer fits its entity (a custom field deleted since)."""
    entity = registry.get(rule.entity)
    q, aliases = compile_filter(entity, rule.condition or None)
    compiled = CompiledRule(rule, trigger_for(rule.trigger_kind), q or None, aliases)
    if not aliases:
        compiled.test, compiled.test_fields = python_test(entity.model, compiled.q)
    config = rule.trigger_config or {}
    if rule.trigger_kind == "field_changed":
        compiled.trigger_key = change_key(config["field"])
        compiled.trigger_from, compiled.trigger_to = config.get("from"), config.get("to")
        _learn_shown(compiled, config["field"], compiled.trigger_from)
        _learn_shown(compiled, config["field"], compiled.trigger_to)
    elif rule.trigger_kind in ("status_entered", "status_left"):
        compiled.trigger_key = entity.status_field
        compiled.trigger_from = compiled.trigger_to = config.get("value")
        _learn_shown(compiled, entity.status_field, config.get("value"))
        compiled.trigger_record = _shared_name(entity, entity.status_field, config.get("value"))
    for check in rule.change_conditions or []:
        path = check["field"]
        compiled.checks.append((change_key(path), check.get("from"), check.get("to")))
        _learn_shown(compiled, path, check.get("from"))
        _learn_shown(compiled, path, check.get("to"))
    return compiled


# Compiled conditions read custom-field definitions too: a change to either reloads them.
_STAMPS = (stamps.AUTOMATION, stamps.FIELDS)


def invalidate_rules() -> None:
    """Forget the compiled rules in this process (a change to a rule renews the stamp, which
    every process notices by itself; this is for callers that went around the models)."""
    stamps.forget(_STAMPS, "rules")


def _load() -> dict:
    return stamps.cached(_STAMPS, "rules", _compile_all)


def _compile_all() -> dict:
    by_source = defaultdict(list)
    entities = set()
    for rule in Rule.objects.order_by("order", "id"):
        entities.add(rule.entity)
        trigger = trigger_for(rule.trigger_kind)
        if not rule.enabled or trigger is None or not trigger.events:
            continue
        try:
            compiled = compile_rule(rule)
        except Exception:
            # One broken rule (a field deleted since) must not stop the others.
            logger.exception("automation rule %s cannot be compiled", rule.pk)
            continue
        by_source[trigger.source(rule)].append(compiled)
    return {"by_source": dict(by_source), "entities": frozenset(entities)}


def _listening() -> dict[str, list[CompiledRule]]:
    return _load()["by_source"]


def entities_with_rules() -> frozenset:
    """The entities some rule (enabled or not) is about: only their records can have runs."""
    return _load()["entities"]


# --- conditions --------------------------------------------------------------------------------


def record_matches(
    entity_key: str, record_id: int, compiled: list[CompiledRule], created: dict | None = None
) -> list[bool]:
    """Whether the record meets each rule's condition: simple conditions in Python — on the
    values a "created" event carries (``created``, its changes) when they are plain columns,
    else on the record read once — and the others in one query for all of them."""
    model = registry.get(entity_key).model
    answers = {}
    in_python = [c for c in compiled if c.q is not None and c.test is not None]
    if created is not None and all(c.test_fields is not None for c in in_python):
        # As saved: a created event carries every non-empty column it wrote.
        names = set().union(*(c.test_fields for c in in_python))
        record = SimpleNamespace(**{n: (created.get(n) or [None, None])[1] for n in names})
        answers.update({id(c): c.test(record) for c in in_python})
    elif in_python:
        record = model._base_manager.filter(pk=record_id).first()
        answers.update({id(c): record is not None and c.test(record) for c in in_python})
    needing = [c for c in compiled if c.q is not None and c.test is None]
    if needing:
        aliases = {}
        for c in needing:
            aliases.update(c.aliases)
        queryset = model._base_manager.filter(pk=record_id)
        if aliases:
            queryset = queryset.alias(**aliases)
        # Max over the rows: a condition on a multi-valued relation may join several rows.
        row = queryset.aggregate(
            **{
                f"rule_{i}": Max(
                    Case(When(c.q, then=Value(1)), default=Value(0), output_field=IntegerField())
                )
                for i, c in enumerate(needing)
            }
        )
        answers.update({id(c): bool(row[f"rule_{i}"]) for i, c in enumerate(needing)})
    return [answers.get(id(c), c.q is None) for c in compiled]


# --- events → runs -----------------------------------------------------------------------------


def _short(value):
    text = value if isinstance(value, int | float | bool) or value is None else str(value)
    return text[:200] if isinstance(text, str) else text


def _event_info(event) -> dict:
    changes = {k: [_short(v[0]), _short(v[1])] for k, v in list(event.changes.items())[:30]}
    return {"event": event.name, "entity": event.entity, "changes": changes}


def handle_event(event) -> None:
    """Subscribed to every platform event: the runs of the rules the event matches."""
    listening = _listening().get(event.entity)
    if not listening:
        return
    context = current_run()
    fired: dict[tuple[str, int], list[CompiledRule]] = defaultdict(list)
    for compiled in listening:
        if event.name not in compiled.trigger.events:
            continue
        if context is not None and context.rule_id == compiled.rule.pk:
            continue  # a rule never fires again on a change it made itself
        try:
            record_ids = compiled.trigger.match(compiled, event)
            if record_ids and compiled.changes_hold(event.changes):
                for record_id in record_ids:
                    fired[(compiled.rule.entity, record_id)].append(compiled)
        except Exception:
            logger.exception("automation rule %s failed to match %s", compiled.rule.pk, event)
    if not fired:
        return
    depth = context.depth + 1 if context is not None else 0
    info = _event_info(event)
    if context is not None:
        info["caused_by_run"] = context.run_id
    matched = []
    for (entity_key, record_id), candidates in fired.items():
        try:
            created = (
                event.changes if event.name == "created" and entity_key == event.entity else None
            )
            answers = record_matches(entity_key, record_id, candidates, created)
        except Exception:
            logger.exception("automation conditions failed for %s #%s", entity_key, record_id)
            continue
        matched += [(c.rule, record_id) for c, ok in zip(candidates, answers, strict=True) if ok]
    if matched:
        create_runs(matched, info=info, depth=depth)


def create_runs(matched, *, info: dict, depth: int = 0, dedupe: dict | None = None) -> list:
    """A run per (rule, record id) in ``matched``; the worker starts after commit. Past the
    depth limit the run is written stopped, with the reason, and nothing runs."""
    now = timezone.now()
    stopped = depth > max_depth()
    reason = (
        _("Stopped: this chain of rules reached the depth limit (%(limit)s).")
        % {"limit": max_depth()}
        if stopped
        else ""
    )
    runs = [
        RuleRun(
            rule=rule,
            entity=rule.entity,
            record_id=record_id,
            trigger=rule.trigger_kind,
            trigger_info=info,
            actions=rule.actions,
            depth=depth,
            status=RuleRun.Status.STOPPED if stopped else RuleRun.Status.PENDING,
            error=reason,
            finished_at=now if stopped else None,
            dedupe_key=(dedupe or {}).get((rule.pk, record_id)),
            created_at=now,
            next_attempt_at=now,
        )
        for rule, record_id in matched
    ]
    if stopped:
        logger.warning("automation chain stopped at depth %s: %s", depth, info)
    with transaction.atomic():
        created = RuleRun.objects.bulk_create(runs, ignore_conflicts=dedupe is not None)
        if not stopped:
            queue_worker()
    return created


def queue_worker() -> None:
    """Start the worker for runs written in the current transaction. With the database queue
    its task row commits with the runs (a commit fewer, and never a task without its runs nor
    runs without their task; no worker can claim it before); other backends (tests run tasks
    at once) are called after commit."""
    if _queue_in_database():
        _start_worker()
    else:
        transaction.on_commit(_start_worker)


def queue_scanned(rule: Rule, found: dict[int, str], *, info: dict) -> int:
    """The runs of one scheduled rule for the records its scan found (``found``: record id →
    dedupe key), written by one statement whatever their number: they share the rule, its
    actions and what happened, only the record and the key differ — sent as two arrays on
    PostgreSQL, one JSON array on SQLite, not a row of 15 values each (a busy hour's 2,600
    clocks were 39,000 parameters and as many Python conversions). A (rule, record,
    occurrence) whose run exists is skipped by the key's unique index, so a window scanned
    twice makes nothing twice. The worker is started only when runs were made. Returns how
    many."""
    from django.db import connection

    if not found:
        return 0
    if max_depth() < 0 or connection.vendor not in ("postgresql", "sqlite"):
        # Written stopped (a chain limit below zero), or a database without the bulk form.
        dedupe = {(rule.pk, pk): key for pk, key in found.items()}
        return len(create_runs([(rule, pk) for pk in found], info=info, dedupe=dedupe))
    meta = RuleRun._meta
    now = timezone.now()
    shared = {
        "rule": rule.pk,
        "entity": rule.entity,
        "trigger": rule.trigger_kind,
        "trigger_info": info,
        "actions": rule.actions,
        "status": RuleRun.Status.PENDING,
        "depth": 0,
        "error": "",
        "created_at": now,
        "next_attempt_at": now,
    }
    names = [meta.get_field(name) for name in shared]
    values = [field.get_db_prep_save(shared[field.name], connection) for field in names]
    quote = connection.ops.quote_name
    columns = [quote(field.column) for field in names] + [
        quote(meta.get_field("record_id").column),
        quote(meta.get_field("dedupe_key").column),
    ]
    placeholders = ", ".join(["%s"] * len(values))
    if connection.vendor == "postgresql":
        rows = "unnest(%s::bigint[], %s::varchar[]) AS u(record_id, dedupe_key)"
        picked = "u.record_id, u.dedupe_key"
        params = [list(found), list(found.values())]
        where = ""
    else:
        import json

        rows = "json_each(%s) AS j"
        picked = "json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')"
        params = [json.dumps(list(found.items()))]
        where = " WHERE true"  # SQLite: "INSERT … SELECT … ON CONFLICT" needs a WHERE
    # Quoted names and fixed text; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {placeholders}, {picked} FROM {rows}{where} "
        f"ON CONFLICT ({quote(meta.get_field('dedupe_key').column)}) DO NOTHING"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [*values, *params])
        made = max(cursor.rowcount, 0)
        if made:
            queue_worker()
    return made


def _queue_in_database() -> bool:
    """Whether the worker's queue is a table of this database (``django_tasks_db``): then its
    task is written in the runs' transaction. Other backends (tests run tasks at once) are
    called after commit."""
    from django_tasks_db import DatabaseBackend

    from kesher.automation.worker import run_pending

    return isinstance(run_pending.get_backend(), DatabaseBackend)


def _start_worker() -> None:
    from kesher.automation.worker import run_pending

    try:
        # Its own savepoint inside the runs' transaction: a failed enqueue keeps the runs.
        with transaction.atomic():
            run_pending.enqueue()
    except Exception:
        # The tick picks the runs up anyway (``resume_runs``).
        logger.exception("could not enqueue the automation worker")


def fire(kind: str, entity_key: str, record_id: int, *, info: dict | None = None, rule=None):
    """Fire the enabled rules of ``kind`` on ``entity_key`` (or just ``rule``) for one record,
    if their conditions hold: for triggers that modules detect themselves (an incoming
    webhook, an SLA breach, a form submitted). Returns the runs made."""
    rules = (
        [rule]
        if rule is not None
        else Rule.objects.filter(enabled=True, trigger_kind=kind, entity=entity_key).order_by(
            "order", "id"
        )
    )
    compiled = [compile_rule(r) for r in rules]
    context = current_run()
    compiled = [c for c in compiled if context is None or c.rule.pk != context.rule_id]
    if not compiled:
        return []
    answers = record_matches(entity_key, record_id, compiled)
    matched = [(c.rule, record_id) for c, ok in zip(compiled, answers, strict=True) if ok]
    depth = context.depth + 1 if context is not None else 0
    return (
        create_runs(matched, info={"event": kind, **(info or {})}, depth=depth) if matched else []
    )
