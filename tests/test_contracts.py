"""The contract tests every registered entity gets from its registration (issue "Platform v2"
item 5; REQ CX-1, OR-3; STYLE.md "query counts asserted in tests"). The checks live in
``kesher/platform/testing/contracts.py``; the access contract is the access matrix
(``tests/test_access_matrix.py``), whose routes are generated from the same registry. An entity
adds only the tests of its own behaviour."""

import pytest

from kesher.platform.registry import registry
from kesher.platform.testing import contracts

pytestmark = pytest.mark.django_db

# Registrations the matrix's app modules add (how to make valid records of an entity).
contracts.autodiscover_specs()

CASES = [
    pytest.param(entity.key, check, id=f"{entity.key}-{check}")
    for entity in registry.all()
    for check in contracts.CHECKS
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(("key", "check"), CASES)
def test_contract(users, key, check):
    entity = registry.get(key)
    reason = contracts.skip_reason(entity, check)
    if reason:
        pytest.skip(f"{key}: {reason}")
    found = contracts.problems(entity, check, users)
    assert not found, f"{key} {check}:\n" + "\n".join(found)
