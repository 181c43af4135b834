"""``manage.py backup`` / ``restore`` (issue 6 item 6, issue 24 item 7): a round trip gives back
every table with the same row count and checksum and every stored file byte for byte; a damaged
backup changes nothing; retention; the scheduled backup on the worker tick."""

import io
import json
import sqlite3
import tarfile
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from kesher.customers.models import Contact
from kesher.customers.tests.factories import make_account, make_contact
from kesher.operations.backups import (
    backups_age_out,
    files_fingerprint,
    fingerprint,
    held_until,
    prune,
    scheduled_backup,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KESHER_BACKUP_DIR = tmp_path / "backups"
    return settings.MEDIA_ROOT


def store(media_root, name: str, content: bytes):
    path = media_root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


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


def test_round_trip_restores_every_file_and_moves_aside_the_new_ones(tmp_path, media_root):
    """Attachments, imports and documents live under MEDIA_ROOT: the backup holds them all."""
    make_account(None, name="קבצים בע״מ")
    store(media_root, "attachments/2026/12/הצעה.pdf", b"%PDF-1.4 quote")
    store(media_root, "imports/2026/12/customers.csv", "שם,טלפון\n".encode())
    store(media_root, "documents/empty.bin", b"")
    tables, files = fingerprint(), files_fingerprint()
    target = tmp_path / "with-files.tar"
    call_command("backup", str(target), stdout=io.StringIO())
    with tarfile.open(target) as bundle:
        names = set(bundle.getnames())
        manifest = json.load(bundle.extractfile("manifest.json"))
    assert {"files/attachments/2026/12/הצעה.pdf", "files/documents/empty.bin"} <= names
    assert set(manifest["files"]) == set(files)
    # After the backup: a file changed, one deleted, one added.
    store(media_root, "attachments/2026/12/הצעה.pdf", b"changed")
    (media_root / "imports/2026/12/customers.csv").unlink()
    store(media_root, "attachments/2026/12/new.txt", b"made after the backup")
    call_command("restore", str(target), "--noinput", stdout=io.StringIO())
    assert files_fingerprint() == files
    assert fingerprint() == tables
    # The file the backup does not hold is kept aside, not lost.
    aside = list((tmp_path / "backups").glob("replaced-*/attachments/2026/12/new.txt"))
    assert [p.read_bytes() for p in aside] == [b"made after the backup"]


def test_a_damaged_backup_changes_nothing(tmp_path, media_root):
    make_account(None, name="לפני")
    store(media_root, "attachments/a.txt", b"original")
    target = tmp_path / "damaged.tar"
    call_command("backup", str(target), stdout=io.StringIO())
    # Rewrite the bundle with one file's bytes altered (its manifest checksum no longer fits).
    rebuilt = tmp_path / "rebuilt.tar"
    with tarfile.open(target) as source, tarfile.open(rebuilt, "w") as copy:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "files/attachments/a.txt":
                data = b"tampered"
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    store(media_root, "attachments/a.txt", b"current")
    make_account(None, name="אחרי")
    before = fingerprint()
    with pytest.raises(CommandError, match="checksum"):
        call_command("restore", str(rebuilt), "--noinput", stdout=io.StringIO())
    assert fingerprint() == before
    assert (media_root / "attachments/a.txt").read_bytes() == b"current"


def test_a_backup_of_the_database_alone_still_restores(tmp_path, media_root, settings):
    """Backups made before files were included: the database file by itself."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        pytest.skip("the SQLite form; PostgreSQL's old form is the same pg_restore path")
    make_account(None, name="ישן")
    before = fingerprint()
    old = tmp_path / "kesher-old.sqlite3"
    with tarfile.open(call_command_backup(tmp_path)) as bundle:
        old.write_bytes(bundle.extractfile("database.sqlite3").read())
    assert sqlite3.connect(old).execute("select count(*) from customers_account").fetchone()[0]
    make_account(None, name="חדש")
    call_command("restore", str(old), "--noinput", stdout=io.StringIO())
    assert fingerprint() == before


def call_command_backup(folder):
    out = io.StringIO()
    call_command("backup", str(folder / "b.tar"), stdout=out)
    return out.getvalue().strip()


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


def _dated(folder, made_at):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"kesher-{made_at:%Y%m%d-%H%M%S-%f}.tar"
    path.write_bytes(b"backup")
    return path


def test_backups_age_out_by_their_retention(settings, tmp_path):
    """An erased person's data stays only in the backups made before, until they age out
    (issue 25 item 2): by ``KESHER_BACKUP_KEEP_DAYS``, on the worker's tick, once an hour."""
    folder = settings.KESHER_BACKUP_DIR
    now = timezone.now()
    old = _dated(folder, now - timedelta(days=31))
    recent = _dated(folder, now - timedelta(days=29))
    assert backups_age_out(now=now) == []  # no age set: kept by their number only
    assert held_until(now) is None
    settings.KESHER_BACKUP_EVERY_HOURS = 24
    assert held_until(now) == now + timedelta(days=14)  # 14 daily backups kept
    settings.KESHER_BACKUP_KEEP_DAYS = 30
    assert held_until(now) == now + timedelta(days=30)
    assert backups_age_out(now=now) == [old]
    assert not old.exists()
    assert recent.exists()
    # Within the hour nothing is looked at again; two days on, the other ages out too.
    assert backups_age_out(now=now + timedelta(minutes=30)) == []
    assert backups_age_out(now=now + timedelta(days=2)) == [recent]
    assert prune(folder, 5, days=30) == []
