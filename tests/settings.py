"""Settings of the test run: Kesher's own, plus the example entity app that
docs/development/adding-an-entity.md builds (decision 0053). pytest selects this module
(pyproject.toml); ``manage.py``, ``./bin/kesher start`` and the demo use ``kesher.settings``
and never see the example."""

from kesher.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.guide_app"]  # noqa: F405
