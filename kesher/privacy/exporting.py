"""A person's data handed over (Privacy Protection Law §13; issue 25 item 2): as JSON a machine
reads, as CSV a spreadsheet opens, and as an HTML page a person reads."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

from kesher.platform.lists.export import neutralize
from kesher.privacy.selectors import SubjectData, record_fields

__all__ = ["as_csv", "as_json", "plain"]


def plain(value):
    """A value JSON and CSV can hold."""
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def _record(record) -> dict:
    return {
        "id": record.pk,
        "title": str(record),
        "fields": {name: plain(value) for name, _label, value in record_fields(record)},
    }


def _kind(data: SubjectData) -> str:
    return "contacts" if data.contact is not None else "leads"


def as_json(data: SubjectData) -> dict:
    """Everything about the person, by kind of record, with the change history of his record
    and of his leads (their scores among it)."""
    return {
        "person": {"kind": _kind(data), **_record(data.person)},
        "records": [
            {
                "kind": group.key,
                "label": group.label,
                "records": [_record(r) for r in group.records],
            }
            for group in data.found
        ],
        "files": [
            {"id": a.pk, "name": a.name, "size": a.size, "uploaded_at": a.uploaded_at.isoformat()}
            for a in data.attachments
        ],
        "history": [
            {
                "kind": "leads" if entry.content_type.model == "lead" else "contacts",
                "id": entry.object_id,
                "at": entry.at.isoformat(),
                "action": entry.action,
                "changes": entry.changes,
            }
            for entry in data.history
        ],
    }


def as_csv(data: SubjectData) -> str:
    """One row per value: kind of record, record, field, value."""
    out = io.StringIO()
    out.write("\ufeff")  # a byte-order mark: Excel then reads the Hebrew as UTF-8
    writer = csv.writer(out)
    writer.writerow(["kind", "record", "title", "field", "value"])
    groups = [(_kind(data), [data.person]), *((g.key, g.records) for g in data.found)]
    for key, records in groups:
        for record in records:
            for _name, label, value in record_fields(record):
                if value in (None, "", {}, []):
                    continue
                cells = [key, record.pk, str(record), label, plain(value)]
                writer.writerow([neutralize(cell) for cell in cells])
    return out.getvalue()
