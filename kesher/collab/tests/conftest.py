import pytest

from kesher.sales.tests.factories import make_opportunity


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Writes commit as a request's would: the events reach the followers."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def deal(users):
    """rep1's deal: his own scope sees it, so does his manager's department scope; rep2 (of
    another department) and the support agent's role may not."""
    return make_opportunity(users["sales_rep"], name="עסקת מערכת שיחות")
