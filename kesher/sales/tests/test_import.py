"""Deals imported from a file: the stage named by its key or name, the clock started and the
stage's rules kept (issue 15 "Stage rules … import"; REQ IM-1, SA-2)."""

import pytest

from kesher.imports.tests.helpers import check, run, upload
from kesher.sales.models import Opportunity
from kesher.sales.tests.factories import stage

pytestmark = pytest.mark.django_db


def _mapping(job, names):
    return {
        "columns": {str(i): {"field": name} for i, name in enumerate(names)},
        **{k: v for k, v in job.mapping.items() if k != "columns"},
        "skip_invalid": True,
    }


def test_imported_deals_get_their_stage_clock_and_rules(users):
    admin = users["admin"]
    rows = [
        ["name", "stage", "amount"],
        ["עסקה מיובאת", "proposal", "1200"],
        ["עסקה שנייה", "הזמנה", "800"],
        ["עסקה אבודה", "lost", "50"],
    ]
    job = upload(admin, rows, entity="opportunities")
    job = check(job, admin, mapping=_mapping(job, ["name", "stage", "amount"]))
    assert job.invalid == 1  # the dry run: a lost deal needs its lost reason
    job = run(job, admin)
    assert job.created == 2
    first = Opportunity.objects.get(name="עסקה מיובאת")
    assert first.stage == stage("proposal")
    assert first.stuck_at is not None
    assert Opportunity.objects.get(name="עסקה שנייה").stage == stage("order")
    assert not Opportunity.objects.filter(name="עסקה אבודה").exists()
