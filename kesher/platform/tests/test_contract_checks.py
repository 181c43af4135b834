"""The generated contract checks catch what they are for: a list that asks the database once
per row fails the query-count check (``kesher/platform/testing/contracts.py``), though it
writes only ``LARGE`` records."""

import pytest

from kesher.platform.lists import tables
from kesher.platform.registry import registry
from kesher.platform.testing import contracts

pytestmark = pytest.mark.django_db


def test_a_query_per_row_fails_the_query_count_check(users, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    entity = registry.get("accounts")  # passes the check as it is (tests/test_contracts.py)
    cells = tables.Table._cells

    def one_query_per_row(self, objs):
        for obj in objs:
            type(obj)._base_manager.filter(pk=obj.pk).exists()
        return cells(self, objs)

    monkeypatch.setattr(tables.Table, "_cells", one_query_per_row)
    found = contracts.problems(entity, "query_counts", users)
    assert [line.split(":")[0] for line in found] == ["list page /r/accounts/"]
    assert f"for {contracts.SMALL}," in found[0]
    assert f"for {contracts.LARGE}" in found[0]
