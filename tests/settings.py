"""Settings of the test run: Kesher's own, plus the example entity app that
docs/development/adding-an-entity.md builds (decision 0053). pytest selects this module
(pyproject.toml); ``manage.py``, ``./bin/kesher start`` and the demo use ``kesher.settings``
and never see the example."""

from kesher.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.guide_app"]  # noqa: F405

# The suite's own servers (webhook receivers, Radicale, the fake payment provider and phone
# system) listen on this machine: reachable as an operator would allow an internal host
# (decision 0113). The outgoing guard's own tests clear this list.
KESHER_OUTGOING_ALLOW_HOSTS = ["127.0.0.1", "localhost", "::1"]

# The access log's entries are written at each request's end in the tests, in the request's
# thread: a writer thread's later write could land in the next test's database. Its batches
# are tested with their own (kesher/privacy/tests/test_access_log_batches.py; decision 0115).
KESHER_ACCESS_LOG_BATCH_SECONDS = 0
