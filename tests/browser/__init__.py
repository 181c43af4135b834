"""Browser tests (Playwright driving Debian's Chromium); a package so that its conftest does
not shadow the root conftest module that other tests import helpers from."""
