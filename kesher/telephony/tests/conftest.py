import pytest

from kesher.telephony.hub import hub


@pytest.fixture(autouse=True)
def _pump_stopped(settings):
    """Each test's listeners start the pump afresh, and none outlives its test (on PostgreSQL
    its connections would keep the test database open). On SQLite pops are delivered in
    process: a second connection polling the test database would meet its open transaction."""
    settings.KESHER_TELEPHONY_POLL_SECONDS = 0
    yield
    hub.stop()
