"""Projects' records made through the services, so they carry audit entries and search tokens."""

from __future__ import annotations

import datetime
import itertools

from kesher.customers.tests.factories import make_account
from kesher.platform.records.services import record_create
from kesher.projects.services import time_entry_create

_sequence = itertools.count(1)


def make_project(actor, account=None, **data):
    data.setdefault("name", f"Project {next(_sequence)}")
    data.setdefault("owner", actor)
    data["account"] = account or make_account(actor, name=f"Customer {next(_sequence)}")
    return record_create("projects", actor=actor, data=data)


def add_member(actor, project, user, role=None):
    return record_create(
        "project-members", actor=actor, data={"project": project, "user": user, "role": role}
    )


def report(actor, project, day: datetime.date, minutes: int, **data):
    return time_entry_create(
        actor=actor, data={"project": project, "date": day, "minutes": minutes, **data}
    )
