import pytest
from caldav import DAVClient

from kesher.calsync.tests.server import CalDavServer

PASSWORD = "rep-calendar-pw"


@pytest.fixture(scope="session")
def caldav_server():
    """One local Radicale for the session (each test uses its own calendar in it)."""
    server = CalDavServer({"rep": PASSWORD, "other": PASSWORD})
    yield server
    server.close()


@pytest.fixture
def device_calendar(caldav_server, request):
    """A fresh calendar of the user "rep", as the phone sees it (the ``caldav`` client)."""
    client = DAVClient(url=caldav_server.url, username="rep", password=PASSWORD)
    name = f"c{abs(hash(request.node.nodeid)) % 10**8}"
    calendar = client.principal().make_calendar(name=name, cal_id=name)
    caldav_server.faults.clear()
    yield calendar
    calendar.delete()
