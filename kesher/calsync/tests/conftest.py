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


@pytest.fixture
def device_addressbook(caldav_server, request):
    """A fresh address book of the user "rep" (its address), made as a phone's app would: an
    extended MKCOL of a CardDAV collection."""
    client = DAVClient(url=caldav_server.url, username="rep", password=PASSWORD)
    name = f"a{abs(hash(request.node.nodeid)) % 10**8}"
    url = f"{caldav_server.url}rep/{name}/"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<d:mkcol xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:carddav"><d:set><d:prop>'
        "<d:resourcetype><d:collection/><c:addressbook/></d:resourcetype>"
        f"<d:displayname>{name}</d:displayname></d:prop></d:set></d:mkcol>"
    )
    made = client.request(url, "MKCOL", body, {"Content-Type": "application/xml"})
    assert made.status == 201, made.status
    caldav_server.faults.clear()
    yield url
    client.request(url, "DELETE")
