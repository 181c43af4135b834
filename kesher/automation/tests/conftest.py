import pytest

from kesher.activities.models import TaskTemplate
from kesher.activities.task_templates import task_template_create
from kesher.automation.engine import invalidate_rules
from kesher.platform.models import Choice


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


@pytest.fixture
def call_template(users):
    return task_template_create(
        actor=users["admin"],
        data={
            "name": "VIP call",
            "task_type": Choice.objects.get(list_key="task_type", value="call_back"),
            "title": "Call {{name}}",
            "due_offset": 4,
            "due_unit": "hours",
            "due_business": True,
            "assignee_rule": TaskTemplate.AssigneeRule.OWNER,
        },
    )
