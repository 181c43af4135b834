"""``manage.py backup`` / ``restore`` (issue 6, item 6): a round trip gives back every table
with the same row count and checksum; retention; the scheduled backup on the worker tick."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kesher.customers.models import Contact
from kesher.customers.tests.factories import make_account, make_contact
from kesher.operations.backups import fingerprint, prune, scheduled_backup

pytestmark = pytest.mark.django_db(transaction=True)


def test_round_trip_restores_every_table(tmp_path):
    # Transactional (pg_dump reads from another session), so no fixtures from migrations.
    admin = None
    account = make_account(admin, name='אלפא בע"מ', phone="0525551234")
    make_contact(admin, first_name="דנה", last_name="כהן")
    before = fingerprint()
    target = tmp_path / "one.backup"
    call_command("backup", str(target), stdout=io.StringIO())
    assert target.is_file()
    assert target.stat().st_size > 0
    # Change things after the backup: a new row, a changed row, a deleted row.
    make_contact(admin, first_name="אחרי", last_name="הגיבוי")
    Contact.objects.filter(first_name="דנה").update(last_name="שונה")
    account.delete()
    assert fingerprint() != before
    call_command("restore", str(target), "--noinput", stdout=io.StringIO())
    after = fingerprint()
    assert after.keys() == before.keys()
    assert {t: v for t, v in after.items() if v != before[t]} == {}
    assert Contact.objects.filter(last_name="כהן").exists()


def test_folder_target_and_retention(tmp_path):
    for _ in range(4):
        call_command("backup", str(tmp_path), "--keep", "2", stdout=io.StringIO())
    kept = sorted(p.name for p in tmp_path.iterdir())
    assert len(kept) == 2
    assert all(name.startswith("kesher-") for name in kept)
    assert prune(tmp_path, 1)
    assert len(list(tmp_path.iterdir())) == 1


def test_restore_refuses_a_file_that_is_no_backup(tmp_path):
    bogus = tmp_path / "x.dump"
    bogus.write_bytes(b"not a backup at all")
    with pytest.raises(CommandError):
        call_command("restore", str(bogus), "--noinput")
    with pytest.raises(CommandError):
        call_command("restore", str(tmp_path / "missing"), "--noinput")


def test_scheduled_backup_is_off_by_default_then_runs_once_per_interval(settings, tmp_path):
    settings.KESHER_BACKUP_DIR = str(tmp_path)
    assert scheduled_backup() is None
    settings.KESHER_BACKUP_EVERY_HOURS = 6
    first = scheduled_backup()
    assert first is not None
    assert first.exists()
    assert scheduled_backup() is None  # within the interval
    later = scheduled_backup(now=timezone.now() + timedelta(hours=7))
    assert later is not None
    assert later != first
