"""Browser tests: Playwright for Python driving Debian's Chromium against pytest-django's live
server (REQ OR-7: the web UI works in a real browser, on a desktop and on a phone).

Chromium comes from the system (``apt-get install chromium``, or ``$CHROMIUM``), never from
``playwright install``. Without it the browser tests are skipped, except in CI (``$CI`` set),
where a missing browser is a failure.

Screenshots go to a temporary folder; with ``KESHER_SCREENSHOTS=1`` they refresh the ones in
``docs/screenshots/`` that the README shows.
"""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.servers.basehttp import WSGIServer
from django.db.backends.utils import CursorWrapper
from django.test.testcases import LiveServerThread

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "Kesher-test-pass-1"  # the root conftest's make_user() password
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


# Held by the live server for a whole request, and by the test for each statement it runs.
_SHARED_CONNECTION = threading.RLock()


class _OneRequestAtATime(WSGIServer):
    """The live server without a thread per request. SQLite's in-memory test database is one
    connection the server shares with the test (Django's ``connections_override``); a page
    whose parts load together (its timeline and its 360° history) would otherwise use it from
    two threads at once, which SQLite answers with "not an error"."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        with _SHARED_CONNECTION:
            super().process_request(request, client_address)


SQLITE = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
if SQLITE:
    LiveServerThread.server_class = _OneRequestAtATime


@pytest.fixture(autouse=True)
def _one_user_of_the_shared_database(monkeypatch):
    """The test's own statements wait for a request the page is still loading (a lazy panel,
    a badge): a write in the middle of the server's reads fails with "database table is
    locked". Patched on the cursor class, not one connection: under Playwright the test's
    ORM calls may come through another connection object than the one the server shares."""
    if not SQLITE:
        return
    run = CursorWrapper._execute_with_wrappers

    def after_the_request_in_flight(self, *args, **kwargs):
        with _SHARED_CONNECTION:
            return run(self, *args, **kwargs)

    monkeypatch.setattr(CursorWrapper, "_execute_with_wrappers", after_the_request_in_flight)


def find_chromium() -> str | None:
    """$CHROMIUM if set, else Debian's or Ubuntu's Chromium."""
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


# The Chromium of the browser tests a process runs one after another (see ``browser``).
_running: dict = {}


def _is_browser_test(item) -> bool:
    return item is not None and "browser" in getattr(item, "fixturenames", ())


@pytest.fixture
def browser():
    """A headless Chromium, shared by the browser tests a process runs in a row: starting
    Playwright's driver and Chromium cost a second or two a test. Each test still opens its own
    browser contexts (``open_page``: own cookies and storage).

    Closed as soon as the next test of the process is not a browser test
    (``pytest_runtest_teardown``): Playwright's sync API keeps an asyncio loop registered on the
    main thread while it runs, and Django refuses ORM calls when a loop is running, so the loop
    must not outlive the browser tests; for the same reason the tests' own ORM calls need
    DJANGO_ALLOW_ASYNC_UNSAFE while the browser is up.
    """
    if _running and not _running["chromium"].is_connected():
        _close_browser()  # a crashed browser is not handed to the next test
    if not _running:
        _start_browser()
    return _running["chromium"]


def _start_browser() -> None:
    executable = find_chromium()
    if executable is None:
        message = "Chromium not found: apt-get install chromium (or set $CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; browser tests are required in CI", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    playwright = sync_playwright().start()
    try:
        # A plain launch gives Chromium a new temporary profile (user-data dir) every time.
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_ARGS
        )
    except Exception:
        playwright.stop()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        raise
    _running.update(playwright=playwright, chromium=chromium)


def _close_browser() -> None:
    try:
        _running["chromium"].close()
    finally:
        _running.pop("playwright").stop()
        _running.clear()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item, nextitem):
    """After the test's own teardown (its contexts closed, the database emptied): the browser
    goes when the process's next test does not use it, or there is none."""
    if _running and not _is_browser_test(nextitem):
        _close_browser()


class PageProblems:
    """Everything that went wrong in the pages a test opened: script errors, console errors,
    and failed requests (a missing stylesheet or script shows up here)."""

    def __init__(self):
        self.items: list[str] = []

    def watch(self, page) -> None:
        page.on("pageerror", self.on_script_error)
        page.on("console", self.on_console)
        page.on("response", self.on_response)
        page.on("requestfailed", self.on_request_failed)

    def on_script_error(self, error) -> None:
        self.items.append(f"script error: {error}")

    def on_console(self, message) -> None:
        if message.type == "error":
            self.items.append(f"console error: {message.text}")

    def on_response(self, response) -> None:
        if response.status >= 400:
            self.items.append(f"HTTP {response.status}: {response.url}")

    def on_request_failed(self, request) -> None:
        # A request the browser cancels because the page moved on (the favicon of a page the
        # test has already left) is no fault of the page; a missing file answers 404 above.
        if request.failure == "net::ERR_ABORTED":
            return
        self.items.append(f"request failed: {request.url} ({request.failure})")


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(phone=False, language="he-IL")``: a new page in a fresh browser context (its
    own cookies) whose relative URLs go to the live server, desktop-sized (1280x800) or
    phone-sized (390x844, touch). At the end of the test, any script error or failed request on
    any page fails the test."""
    problems = PageProblems()
    contexts = []

    def make(phone=False, language="he-IL"):
        device = (
            {"viewport": PHONE, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
            if phone
            else {"viewport": DESKTOP}
        )
        context = browser.new_context(locale=language, base_url=live_server.url, **device)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert problems.items == [], "problems in the browser:\n" + "\n".join(problems.items)


@pytest.fixture
def screenshot(tmp_path):
    """``screenshot(page, "account-he")``: a full-page PNG, kept under docs/screenshots/ when
    KESHER_SCREENSHOTS=1 (README images), else in the test's temporary folder."""
    folder = DOCS_SCREENSHOTS if os.environ.get("KESHER_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        # Let transitions (collapse, dropdown fade) finish so the picture shows the final state.
        page.wait_for_timeout(350)
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=True, animations="disabled")
        assert path.stat().st_size > 5_000, f"{path} looks empty"
        return path

    return take


@pytest.fixture
def log_in():
    """``log_in(page, username)``: sign in through the real login form (allauth) and land on
    the home page."""

    def sign_in(page, username: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.locator("input[name=login]").fill(username)
        page.locator("input[name=password]").fill(password)
        page.locator("form[action*='/accounts/login/'] [type=submit]").first.click()
        page.wait_for_url(re.compile(r"/$"))

    return sign_in


def htmx_settled(page) -> None:
    """Wait until htmx has swapped and processed what it loaded: a field typed into before htmx
    binds its triggers (a busy machine) sends no request, and its suggestions never come."""
    busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
    page.wait_for_function(f"() => !document.querySelector('{busy}')")
