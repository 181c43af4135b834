import pytest

from kesher.automation.engine import invalidate_rules


@pytest.fixture(autouse=True)
def _fresh_rules():
    """Each test starts with no compiled rules cached from another test."""
    invalidate_rules()
    yield
    invalidate_rules()


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    """Commits as a request would: events reach the rules and the worker runs the runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return lambda: django_capture_on_commit_callbacks(execute=True)
