"""Building files and driving a job to its end, for the import tests."""

from __future__ import annotations

import csv
import io

from kesher.imports import services
from kesher.imports.models import ImportJob


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(actor, rows, entity="contacts", **kwargs) -> ImportJob:
    return services.import_upload(
        actor=actor, entity=entity, filename="people.csv", content=csv_bytes(rows, **kwargs)
    )


def check(job, actor, mapping=None, mode=None) -> ImportJob:
    """Set the mapping (if given), run the dry run in the worker, return the fresh job."""
    if mapping is not None:
        services.import_set_mapping(job, actor=actor, mapping=mapping, mode=mode)
    services.import_check(job, actor=actor)
    services.run_job(job.pk)
    job.refresh_from_db()
    return job


def run(job, actor, size=None) -> ImportJob:
    services.import_start(job, actor=actor)
    services.run_job(job.pk, size=size)
    job.refresh_from_db()
    return job


def undo(job, actor) -> dict:
    """Ask for the undo, run the worker's side, and return what it did."""
    services.import_undo(job, actor=actor)
    services.run_undo(job.pk)
    job.refresh_from_db()
    return {key: job.undo_counts[key] for key in ("deleted", "restored", "kept", "skipped")}
