import pytest

from conftest import make_user


@pytest.fixture
def officer(users):
    """A user an administrator gave the privacy officer's role (issue 25)."""
    return make_user("privacy1", "privacy_officer")
