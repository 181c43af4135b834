"""The demo, loaded once for every test of this package."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase, override_settings

# The demo's own size: a small one runs out of customers for everyone's story.
SIZE = "--size=300"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Argon2 is deliberately slow; these tests check the data, not the hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="package")
def loaded(django_db_setup, django_db_blocker):
    """The demo loaded as ``./bin/kesher start`` loads it, its commit included (events reach
    the automation rules, whose runs the worker does at once); returns what it printed.

    Loaded once for this package's tests, inside a transaction rolled back when they end: each
    test's own transaction is a savepoint within it, so every test starts from the same demo (a
    load costs seconds, and the demo's tests are many)."""
    quick = {
        "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}},
        # Argon2 is deliberately slow; these tests check the data, not the hash.
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    }
    out = io.StringIO()
    with django_db_blocker.unblock(), override_settings(**quick), transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command("load_demo", SIZE, "--once", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
