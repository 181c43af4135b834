"""The full export of all data, for moving out of Kesher (REQ IM-5; issue 6 item 5).

One zip file:

* ``manifest.json`` — the format, when it was made, and for every file its record count and
  fields;
* ``entities/<key>.jsonl`` — one JSON object a line for each record of every registered entity
  (accounts, contacts, …, and every entity a later app registers), all of its stored fields
  with custom-field values under ``custom_fields`` (as in the API), links to other records as
  their ids, and many-to-many links (a contact's accounts, a record's tags) as lists of ids;
* ``links/<app>.<model>.jsonl`` — the tables that are no entity but hold the organisation's
  data: the contact–account links with their role, tags, attachments' details, the audit
  trail, external ids from imports, roles and their permissions, saved views…;
* ``files/<attachment id>/<name>`` — the attached files themselves.

Derived and operational tables (the search index, job queues, API token hashes, duplicate-scan
candidates, heartbeats) are left out: they are rebuilt or meaningless elsewhere. Users' password
hashes are left out too. Rows are read in primary-key order in chunks and written straight into
the zip, so memory stays flat whatever the size.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from kesher.platform.registry import registry

__all__ = [
    "EXCLUDED_MODELS",
    "FORMAT",
    "ExportSummary",
    "export_all",
    "exported_models",
    "total_records",
]

FORMAT = "kesher-full-export"
FORMAT_VERSION = 1
CHUNK = 2000
# Rebuilt from the data (search index), operational (queues, heartbeats, job logs, scan
# candidates, notifications already shown), or secret (API token hashes).
EXCLUDED_MODELS = {
    "platform.searchtoken",
    "platform.workerheartbeat",
    "platform.bulkjob",
    "org.apitoken",
    "imports.importjob",
    "imports.importissue",
    "imports.importrowchange",
    "activities.notification",
    "dedupe.duplicatescan",
    "dedupe.duplicatepair",
    "dedupe.dataexport",
    "practice.practiceenvironment",
}
# Never written out, on any model.
EXCLUDED_FIELDS = {"password"}


@dataclass
class ExportSummary:
    """What an export wrote: records per file, and the zip's path."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def records(self) -> int:
        return sum(self.counts.values())


def exported_models() -> list[tuple[str, type[models.Model]]]:
    """(file name, model) of every table the export writes, entities first."""
    entity_models = {e.model for e in registry.all()}
    found = [(f"entities/{e.key}.jsonl", e.model) for e in registry.all()]
    for model in apps.get_models():
        label = model._meta.label_lower
        if (
            not model.__module__.startswith("kesher.")
            or model in entity_models
            or label in EXCLUDED_MODELS
            or model._meta.proxy
        ):
            continue
        found.append((f"links/{label}.jsonl", model))
    return found


def _columns(model) -> list[tuple[str, str, models.Field]]:
    """(output key, attribute name, field) of each stored field written out."""
    columns = []
    for model_field in model._meta.concrete_fields:
        if model_field.name in EXCLUDED_FIELDS:
            continue
        key = "custom_fields" if model_field.name == "custom" else model_field.name
        columns.append((key, model_field.attname, model_field))
    return columns


def _many_to_many(model) -> list[models.ManyToManyField]:
    """Many-to-many links to Kesher's own tables (not Django's groups and permissions)."""
    return [
        m2m
        for m2m in model._meta.many_to_many
        if m2m.related_model.__module__.startswith("kesher.")
    ]


def _content_type_labels() -> dict[int, str]:
    return {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}


def _links_of(m2m: models.ManyToManyField, ids: list) -> dict:
    """{record id: [linked ids]} for one chunk of records: one query per chunk, not per row."""
    through = m2m.remote_field.through
    source = m2m.m2m_field_name()
    target = m2m.m2m_reverse_field_name()
    found: dict = {}
    rows = (
        through._base_manager.filter(**{f"{source}__in": ids})
        .order_by(source, target)
        .values_list(f"{source}_id", f"{target}_id")
    )
    for record_id, linked in rows:
        found.setdefault(record_id, []).append(linked)
    return found


def _write_model(zf: zipfile.ZipFile, name: str, model, labels: dict, on_rows) -> int:
    columns = _columns(model)
    attnames = [attname for _key, attname, _field in columns]
    content_type_keys = {
        attname
        for _key, attname, model_field in columns
        if model_field.is_relation and model_field.related_model is ContentType
    }
    m2ms = _many_to_many(model)
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    rows = model._base_manager.order_by("pk").values_list(*attnames)
    count = 0
    with zf.open(name, mode="w", force_zip64=True) as handle:
        chunk: list[tuple] = []

        def flush():
            nonlocal count
            ids = [row[attnames.index(model._meta.pk.attname)] for row in chunk]
            linked = {m2m.name: _links_of(m2m, ids) for m2m in m2ms}
            lines = []
            for row, record_id in zip(chunk, ids, strict=True):
                record = {}
                for (key, attname, _field), value in zip(columns, row, strict=True):
                    record[key] = labels.get(value) if attname in content_type_keys else value
                for m2m_name, by_record in linked.items():
                    record[m2m_name] = by_record.get(record_id, [])
                lines.append(encoder.encode(record))
            handle.write(("\n".join(lines) + "\n").encode())
            count += len(chunk)
            on_rows(len(chunk))
            chunk.clear()

        for row in rows.iterator(chunk_size=CHUNK):
            chunk.append(row)
            if len(chunk) == CHUNK:
                flush()
        if chunk:
            flush()
    return count


def _write_files(zf: zipfile.ZipFile) -> int:
    """The attached files, read from storage and streamed into the zip."""
    from kesher.platform.models import Attachment

    written = 0
    for attachment in Attachment.objects.order_by("pk").iterator(chunk_size=CHUNK):
        try:
            source = attachment.file.open("rb")
        except (FileNotFoundError, OSError):
            continue  # the row is exported; a file missing from storage cannot be
        with (
            source,
            zf.open(f"files/{attachment.pk}/{attachment.name}", "w", force_zip64=True) as target,
        ):
            while block := source.read(1024 * 1024):
                target.write(block)
        written += 1
    return written


def export_all(path: str | Path, *, on_progress: Callable[[int], None] | None = None):
    """Write the full export to ``path`` (a ``.zip``) and return an ``ExportSummary``.

    ``on_progress(records_written_so_far)`` is called after every chunk.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    summary = ExportSummary(path=target)
    labels = _content_type_labels()
    done = 0

    def on_rows(count: int) -> None:
        nonlocal done
        done += count
        if on_progress:
            on_progress(done)

    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "created_at": timezone.now().isoformat(),
        "files": {},
    }
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=5) as zf:
        for name, model in exported_models():
            count = _write_model(zf, name, model, labels, on_rows)
            summary.counts[name] = count
            manifest["files"][name] = {
                "model": model._meta.label_lower,
                "records": count,
                "fields": [key for key, _a, _f in _columns(model)]
                + [m2m.name for m2m in _many_to_many(model)],
            }
        manifest["attachment_files"] = _write_files(zf)
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    # A crash mid-way leaves a ".part" file, never an export that looks complete.
    partial.replace(target)
    return summary


def total_records() -> int:
    """How many rows an export writes (for its progress bar)."""
    return sum(model._base_manager.count() for _name, model in exported_models())
