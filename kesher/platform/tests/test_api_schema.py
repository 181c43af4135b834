"""The published OpenAPI schema (DoD 6): generated as ``manage.py spectacular`` generates it —
with no request and no user — every view is described; none is dropped on an error."""

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


def test_the_schema_generated_without_a_user_describes_every_view():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._error_cache, list(GENERATOR_STATS._error_cache)
    # A warning means a wrong schema for clients: two components under one name (one of them
    # described as the other), or an enum named by a hash that changes when its labels do.
    assert not GENERATOR_STATS._warn_cache, list(GENERATOR_STATS._warn_cache)
    # The marketing sends point at saved views, which are each user's: a view kept per user
    # answers no choices to nobody, and the endpoint is still described.
    assert "/api/v1/campaign-sends/" in schema["paths"]
    assert "/api/v1/campaigns/{id}/" in schema["paths"]
