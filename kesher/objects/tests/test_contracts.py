"""The generated contract tests of every entity (tests/test_contracts.py, decision 0051) run
over a kind of record defined in the test: an administrator's kind gets what a built-in
entity gets (issue 27 item 2; REQ CX-1, CX-7)."""

import pytest

from kesher.platform.testing import contracts

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize("check", list(contracts.CHECKS))
def test_contract_of_a_defined_kind(users, contracts_kind, check):
    reason = contracts.skip_reason(contracts_kind, check)
    if check == "api_wrong_type":
        # Its typed fields are custom fields, which the kit does not probe; a wrong type in one
        # is tested in test_kinds.py.
        pytest.skip(reason or "")
    assert reason is None, f"a defined kind supports every check: {check} skipped ({reason})"
    found = contracts.problems(contracts_kind, check, users)
    assert not found, f"{check}:\n" + "\n".join(found)
