"""The test processes' own database (``kesher/platform/testing/database.py``): a transactional
test starts from exactly the rows Kesher's data migrations wrote, and can write after them."""

import pytest

from kesher.org.models import Role
from kesher.platform.models import Choice
from kesher.platform.testing import database


def _rows_by_table() -> dict[str, list]:
    """The kept rows, each as its (column, value) pairs: an upgrade test rebuilds the tables by
    the migrations, whose columns may come in another order."""
    return {
        table: sorted(tuple(sorted(zip(columns, row, strict=True))) for row in rows)
        for table, (columns, rows) in database.kept_rows().items()
    }


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_starts_from_the_rows_the_data_migrations_wrote():
    kept = _rows_by_table()
    assert {"org_role", "platform_choice", "django_content_type"} <= kept.keys()
    database.keep_built_in_rows()  # read the database again, as it is now
    assert _rows_by_table() == kept


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_writes_after_the_built_in_rows():
    """Ids come after the kept ones (PostgreSQL's sequences are set past them)."""
    last_role = Role.objects.order_by("-pk").first()
    last_choice = Choice.objects.order_by("-pk").first()
    role = Role.objects.create(key="probe", name_he="בדיקה", name_en="Probe")
    choice = Choice.objects.create(
        list_key=last_choice.list_key, value="probe-value", label_he="בדיקה"
    )
    assert role.pk > last_role.pk
    assert choice.pk > last_choice.pk
