"""Sales records made through the services, so they carry audit entries and search tokens."""

from __future__ import annotations

import itertools

from kesher.sales.models import Stage
from kesher.sales.services import lead_create, opportunity_create

_sequence = itertools.count(1)


def stage(key: str) -> Stage:
    """A stage of the default pipeline the migration created (seed 003)."""
    return Stage.objects.get(pipeline__order=1, key=key)


def make_lead(actor, **data):
    data.setdefault("last_name", f"Lead {next(_sequence)}")
    return lead_create(actor=actor, data=data)


def make_opportunity(actor, **data):
    m2m = data.pop("m2m", None)
    data.setdefault("name", f"Deal {next(_sequence)}")
    data.setdefault("stage", stage("potential"))
    return opportunity_create(actor=actor, data=data, m2m=m2m)
