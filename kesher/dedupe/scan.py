"""The duplicate scan over every record of an entity (REQ IM-3), built to do 1,000,000 contacts
within a minute on two cores:

* exact keys (phone, email, ID and company numbers) are grouped by the database — one
  ``GROUP BY`` over the union of an entity's phone columns (phone and mobile match each other),
  and so on — and only the groups of two or more come back to Python;
* names are compared by sorted neighbourhood: the database streams ``values_list`` rows in the
  spec's order (contacts: city, last name, first name — an index); records with the same
  normalised name in one block form a run (all paired, unless so many share it that it is a
  common name), and each run's name is compared (rapidfuzz token-sort ratio) with the few
  distinct names before it in the same block;
* no ORM objects are made, and new pairs go in with bare multi-row inserts that leave known
  pairs alone (``ON CONFLICT DO NOTHING``).

A scan can run again at any time: a pair already known (open, merged or dismissed) is kept
as it is, so a dismissed pair does not come back.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from datetime import timedelta
from itertools import combinations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task
from rapidfuzz import fuzz

from kesher.dedupe.models import DuplicatePair, DuplicateScan
from kesher.dedupe.normalize import normalize_name
from kesher.dedupe.selectors import may_merge
from kesher.dedupe.specs import REASON_SCORES, DedupeSpec, name_threshold, spec_for
from kesher.platform.tasks import on_tick

__all__ = ["name_rows_query", "run_scan", "scan_run", "scan_start", "shared_key_sql"]

logger = logging.getLogger("kesher.dedupe")
Status = DuplicateScan.Status
WINDOW = 6  # distinct names before each name it is compared with, in one block
# A name more records of one block share is a common name (Cohen, Levi…), not a sign that
# they are the same customer: such records are paired only by a shared key.
COMMON_NAME = 4
GROUP_PAIRS_CAP = 12  # a key shared by more records pairs each with the first only
PROGRESS_EVERY = 50_000
BATCH = 5_000
STALLED_AFTER = timedelta(minutes=15)


def inline_limit() -> int:
    """Entities with at most this many records are scanned in the request."""
    return settings.KESHER_DEDUPE_INLINE_LIMIT


def scan_start(*, actor, entity_key: str) -> DuplicateScan:
    """Record a scan of ``entity_key`` and run it: here when small, else in the worker."""
    spec = spec_for(entity_key)
    if spec is None:
        raise ValidationError({"entity": [_("Duplicates are not looked for in this list.")]})
    if not may_merge(actor, entity_key):
        # A scan reads every record; it is for those who may act on what it finds.
        raise PermissionDenied(_("You may not look for duplicates in this list."))
    total = spec.entity.model._base_manager.count()
    scan = DuplicateScan.objects.create(entity=entity_key, actor=actor, total=total)
    if total <= inline_limit():
        scan_run(scan.pk)
        scan.refresh_from_db()
    else:
        transaction.on_commit(lambda: run_scan.enqueue(scan.pk))
    return scan


@task()
def run_scan(scan_id: int) -> None:
    """The worker's side of a scan (safe to run twice: known pairs are kept)."""
    scan_run(scan_id)


def scan_run(scan_id: int) -> None:
    scan = DuplicateScan.objects.select_related("actor").filter(pk=scan_id).first()
    if scan is None or scan.status == Status.DONE:
        return
    language = getattr(scan.actor, "language", "") or settings.LANGUAGE_CODE
    with translation.override(language):
        try:
            _scan(scan)
        except Exception:
            DuplicateScan.objects.filter(pk=scan_id).update(
                status=Status.FAILED,
                error=_("The scan stopped on an unexpected error."),
                finished_at=timezone.now(),
            )
            raise


def _scan(scan: DuplicateScan) -> None:
    spec = spec_for(scan.entity)
    model = spec.entity.model
    now = timezone.now()
    total = model._base_manager.count()
    DuplicateScan.objects.filter(pk=scan.pk).update(
        status=Status.RUNNING, started_at=now, total=total, done=0, error=""
    )
    pairs: dict[tuple[int, int], list] = {}
    for reason, fields, lower in _exact_kinds(spec):
        for ids in _shared_key_groups(model, fields, lower):
            _add_group(pairs, ids, reason)
    _compare_names(spec, model, pairs, scan.pk)
    found = _save_pairs(scan, pairs)
    DuplicateScan.objects.filter(pk=scan.pk).update(
        status=Status.DONE, done=total, found=found, finished_at=timezone.now()
    )


def _exact_kinds(spec: DedupeSpec):
    if spec.phone_fields:
        yield "phone", spec.phone_fields, False
    if spec.email_fields:
        yield "email", spec.email_fields, True
    for field in spec.id_fields:
        yield field, (field,), False


def shared_key_sql(model, fields: tuple[str, ...], lower: bool) -> str:
    """Every (key, id) whose key (a value of any of ``fields``) more than one row shares."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(model._meta.pk.column)
    parts = []
    for name in fields:
        column = quote(model._meta.get_field(name).column)
        value = f"LOWER({column})" if lower else column
        parts.append(f"SELECT {value} AS k, {pk} AS id FROM {table} WHERE {column} <> ''")  # noqa: S608
    union = " UNION ALL ".join(parts)
    # Identifiers come from the model's own metadata, quoted; there are no parameters.
    return (
        f"SELECT u.k, u.id FROM ({union}) u "  # noqa: S608
        f"WHERE u.k IN (SELECT g.k FROM ({union}) g GROUP BY g.k HAVING COUNT(*) > 1) "
        "ORDER BY u.k, u.id"
    )


def _shared_key_groups(model, fields: tuple[str, ...], lower: bool):
    """Lists of ids sharing one value of any of ``fields`` (the database groups them)."""
    sql = shared_key_sql(model, fields, lower)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        current, ids = None, []
        while rows := cursor.fetchmany(10_000):
            for key, pk_value in rows:
                if key != current:
                    if len(ids) > 1:
                        yield ids
                    current, ids = key, []
                if not ids or ids[-1] != pk_value:
                    ids.append(pk_value)
        if len(ids) > 1:
            yield ids


def _add(pairs: dict, a: int, b: int, reason: str, score: int) -> None:
    if a == b:
        return
    key = (a, b) if a < b else (b, a)
    entry = pairs.get(key)
    if entry is None:
        pairs[key] = [score, {reason}]
    else:
        entry[0] = max(entry[0], score)
        entry[1].add(reason)


def _add_group(pairs: dict, ids: list[int], reason: str) -> None:
    score = REASON_SCORES[reason]
    if len(ids) <= GROUP_PAIRS_CAP:
        for a, b in combinations(ids, 2):
            _add(pairs, a, b, reason, score)
    else:
        first = ids[0]
        for other in ids[1:]:
            _add(pairs, first, other, reason, score)


def name_rows_query(spec: DedupeSpec, model):
    """(pk, *name fields, block field) of every record in the sorted-neighbourhood order."""
    columns = [*spec.name_fields]
    if spec.block_field:
        columns.append(spec.block_field)
    return model._base_manager.order_by(*spec.sort_fields, "pk").values_list("pk", *columns)


def _compare_names(spec: DedupeSpec, model, pairs: dict, scan_id: int) -> None:
    """Sorted neighbourhood over runs of one name: records with the same normalised name in
    one block are one run (all pairs of a run of up to ``COMMON_NAME`` records; a longer run
    is a common name, which alone says nothing about duplication); each run's name is compared
    with the ``WINDOW`` distinct names before it in the block."""
    threshold = name_threshold()
    rows = name_rows_query(spec, model).iterator(chunk_size=10_000)
    names_of = len(spec.name_fields)
    # Names repeat a lot (families, common first names): normalise each distinct one once.
    cache: dict[str, str] = {}
    recent: deque = deque(maxlen=WINDOW)  # (name, first id) of the block's last distinct names
    ratio = fuzz.token_sort_ratio
    company = spec.company_names
    has_block = bool(spec.block_field)
    block = run_name = None
    run_ids: list = []

    def close_run() -> None:
        if not run_name or len(run_ids) > COMMON_NAME:
            return
        for a, b in combinations(run_ids, 2):
            _add(pairs, a, b, "name", 100)
        first = run_ids[0]
        for other_name, other_first in recent:
            score = ratio(run_name, other_name, score_cutoff=threshold)
            if score:
                _add(pairs, other_first, first, "name", round(score))
        recent.append((run_name, first))

    for count, row in enumerate(rows, 1):
        raw = " ".join(v for v in row[1 : 1 + names_of] if v)
        name = cache.get(raw)
        if name is None:
            if len(cache) > 200_000:
                cache.clear()
            name = cache[raw] = normalize_name(raw, company=company)
        if has_block and (row[-1] or "") != block:
            close_run()
            block, run_name, run_ids = row[-1] or "", None, []
            recent.clear()
        if name == run_name:
            run_ids.append(row[0])
        else:
            close_run()
            run_name, run_ids = name, [row[0]]
        if count % PROGRESS_EVERY == 0:
            DuplicateScan.objects.filter(pk=scan_id).update(done=count)
    close_run()


def _save_pairs(scan: DuplicateScan, pairs: dict) -> int:
    """Insert the pairs not known yet (a known pair — open, merged or dismissed — is left as
    it is, by the unique constraint); return how many were new."""
    known = DuplicatePair.objects.filter(entity=scan.entity)
    before = known.count()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    status = DuplicatePair.Status.OPEN.value
    reasons_json: dict[frozenset, str] = {}  # a few combinations of reasons, encoded once
    rows = []
    for (a, b), (score, reasons) in pairs.items():
        key = frozenset(reasons)
        encoded = reasons_json.get(key)
        if encoded is None:
            encoded = reasons_json[key] = json.dumps(sorted(reasons))
        rows.append((scan.entity, a, b, score, encoded, status, scan.pk, now))
    pairs.clear()
    table = connection.ops.quote_name(DuplicatePair._meta.db_table)
    columns = "entity, record_a, record_b, score, reasons, status, scan_id, created_at"
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            _copy_pairs(cursor, table, columns, rows)
        else:
            # A bare multi-row insert: a million ORM objects cost more than the scan itself.
            sql = (
                f"INSERT INTO {table} ({columns}) "  # noqa: S608 (names from the model)
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
            )
            for start in range(0, len(rows), BATCH):
                cursor.executemany(sql, rows[start : start + BATCH])
    return known.count() - before


def _copy_pairs(cursor, table: str, columns: str, rows: list[tuple]) -> None:
    """PostgreSQL: COPY into a temporary table, then one INSERT … SELECT that skips known
    pairs (row-by-row inserts cost a round trip each: 48 s for 300,000 pairs)."""
    cursor.execute("DROP TABLE IF EXISTS dedupe_new_pairs")  # a test's outer transaction
    cursor.execute(
        "CREATE TEMPORARY TABLE dedupe_new_pairs (entity varchar(64), record_a bigint, "
        "record_b bigint, score smallint, reasons jsonb, status varchar(10), scan_id bigint, "
        "created_at timestamptz) ON COMMIT DROP"
    )
    with cursor.cursor.copy(f"COPY dedupe_new_pairs ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM dedupe_new_pairs "  # noqa: S608
        "ON CONFLICT DO NOTHING"
    )


@on_tick
def resume_stalled_scans() -> None:
    """Queue again a scan whose worker stopped; it starts over and keeps known pairs."""
    cutoff = timezone.now() - STALLED_AFTER
    stalled = DuplicateScan.objects.filter(
        status__in=[Status.QUEUED, Status.RUNNING], created_at__lt=cutoff, finished_at=None
    )
    for scan_id in list(stalled.values_list("pk", flat=True)[:5]):
        DuplicateScan.objects.filter(pk=scan_id).update(created_at=timezone.now())
        run_scan.enqueue(scan_id)
