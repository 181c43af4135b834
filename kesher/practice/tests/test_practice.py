"""The practice environment (REQ IM-6, IMPL-2; decision 0029): an administrator makes a copy of
the live data in a database of its own, resets it from live and deletes it; the practice
process serves only that copy, with a banner, and sends no email."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from kesher.customers.models import Contact
from kesher.customers.tests.factories import make_contact
from kesher.platform.records.attachments import attachment_add
from kesher.practice.models import PracticeEnvironment
from kesher.practice.names import practice_database
from kesher.practice.outgoing import outgoing_suppressed
from kesher.practice.services import practice_copy, practice_delete, practice_target

Status = PracticeEnvironment.Status
ROOT = Path(django_settings.BASE_DIR)


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.KESHER_PRACTICE_DIR = tmp_path / "practice"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return tmp_path


def practice_rows(sql: str) -> list[tuple]:
    """Rows read straight from the practice database, not through Django's connection."""
    target = practice_target()
    if "sqlite3" in target["ENGINE"]:
        with sqlite3.connect(target["NAME"]) as db:
            return db.execute(sql).fetchall()
    import psycopg

    params = {"dbname": target["NAME"]}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if target.get(key):
            params[name] = str(target[key])
    with psycopg.connect(**params) as db:
        return db.execute(sql).fetchall()


def practice_write(sql: str) -> None:
    target = practice_target()
    if "sqlite3" in target["ENGINE"]:
        with sqlite3.connect(target["NAME"]) as db:
            db.execute(sql)
        return
    import psycopg

    params = {"dbname": target["NAME"], "autocommit": True}
    for key, name in (("HOST", "host"), ("PORT", "port"), ("USER", "user")):
        if target.get(key):
            params[name] = str(target[key])
    with psycopg.connect(**params) as db:
        db.execute(sql)


def practice_exists() -> bool:
    target = practice_target()
    if "sqlite3" in target["ENGINE"]:
        return Path(target["NAME"]).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [target["NAME"]])
        return cursor.fetchone() is not None


@pytest.fixture
def live(users):
    admin = users["admin"]
    dana = make_contact(admin, first_name="דנה", last_name="כהן")
    attachment_add(dana, actor=admin, uploaded=SimpleUploadedFile("cv.txt", b"hello", "text/plain"))
    return {"admin": admin, "dana": dana}


@pytest.fixture
def made(live, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        practice_copy(actor=live["admin"])
    yield live
    with django_capture_on_commit_callbacks(execute=True):
        practice_delete(actor=live["admin"])


# --- where the copy lives ----------------------------------------------------------------------


def test_the_practice_database_is_never_the_live_one(tmp_path):
    sqlite_live = {"ENGINE": "django.db.backends.sqlite3", "NAME": tmp_path / "kesher.sqlite3"}
    practice = practice_database(sqlite_live, tmp_path / "practice" / "p.sqlite3")
    assert practice["NAME"] == tmp_path / "practice" / "p.sqlite3"
    pg_live = {"ENGINE": "django.db.backends.postgresql", "NAME": "kesher", "TEST": {}}
    assert practice_database(pg_live, tmp_path / "x")["NAME"] == "kesher_practice"
    with pytest.raises(ValueError, match="must not be the live one"):
        practice_database(sqlite_live, tmp_path / "kesher.sqlite3")


# --- create, reset, delete ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_create_copies_the_live_data_and_files(made, folders):
    state = PracticeEnvironment.objects.get()
    assert state.status == Status.READY
    assert state.copied_at is not None
    assert state.size > 0
    assert practice_rows("SELECT first_name FROM customers_contact") == [("דנה",)]
    linked = list((folders / "practice" / "media").rglob("*.txt"))
    assert [p.read_bytes() for p in linked] == [b"hello"]


@pytest.mark.django_db(transaction=True)
def test_practice_writes_stay_there_and_reset_brings_live_back(
    made, django_capture_on_commit_callbacks
):
    practice_write("UPDATE customers_contact SET first_name = 'תרגול'")
    assert Contact.objects.get().first_name == "דנה"  # live untouched
    with django_capture_on_commit_callbacks(execute=True):
        state = practice_copy(actor=made["admin"])
    assert state.status == Status.COPYING
    assert PracticeEnvironment.objects.get().status == Status.READY
    assert practice_rows("SELECT first_name FROM customers_contact") == [("דנה",)]


@pytest.mark.django_db(transaction=True)
def test_delete_removes_the_copy_but_not_live_files(
    made, folders, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        practice_delete(actor=made["admin"])
    assert PracticeEnvironment.objects.get().status == Status.ABSENT
    assert not practice_exists()
    assert not (folders / "practice" / "media").exists()
    live_files = list((folders / "media").rglob("*.txt"))
    assert [p.read_bytes() for p in live_files] == [b"hello"]


@pytest.mark.django_db
def test_one_copy_at_a_time(live):
    practice_copy(actor=live["admin"])  # the worker has not run (no commit in this test)
    with pytest.raises(ValidationError, match="מועתקת או נמחקת"):
        practice_copy(actor=live["admin"])
    with pytest.raises(ValidationError):
        practice_delete(actor=live["admin"])


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "sales_rep", "support_agent", "read_only"])
def test_only_administrators(users, role, client_for, api_for):
    user = users[role]
    with pytest.raises(PermissionDenied):
        practice_copy(actor=user)
    assert client_for(user).get("/practice/").status_code == 403
    assert client_for(user).post("/practice/copy/").status_code == 403
    assert api_for(user).post("/api/v1/practice/").status_code == 403
    assert api_for(user).delete("/api/v1/practice/").status_code == 403
    assert not PracticeEnvironment.objects.exclude(status=Status.ABSENT).exists()


@pytest.mark.django_db
def test_page_and_api(live, client_for, api_for):
    admin = live["admin"]
    page = client_for(admin).get("/practice/")
    assert page.status_code == 200
    assert 'id="practice-create"' in page.content.decode()
    response = api_for(admin).post("/api/v1/practice/")
    assert response.status_code == 202
    assert response.json()["status"] == "copying"
    busy = api_for(admin).post("/api/v1/practice/")
    assert busy.status_code == 400
    assert api_for(admin).get("/api/v1/practice/").json()["status"] == "copying"
    polled = client_for(admin).get("/practice/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 2s"' in polled.content.decode()
    assert "<html" not in polled.content.decode()


# --- the practice process ----------------------------------------------------------------------


@pytest.mark.django_db
def test_banner_only_in_practice(users, client_for, settings):
    client = client_for(users["sales_rep"])
    assert 'id="practice-banner"' not in client.get("/").content.decode()
    settings.KESHER_PRACTICE = True
    page = client.get("/").content.decode()
    assert 'id="practice-banner"' in page
    assert "סביבת תרגול" in page


@pytest.mark.django_db
def test_the_practice_environment_is_not_managed_from_itself(live, settings):
    settings.KESHER_PRACTICE = True
    assert outgoing_suppressed()
    with pytest.raises(ValidationError, match="מנהלים אותה מהמערכת החיה"):
        practice_copy(actor=live["admin"])


def test_outgoing_is_allowed_in_live():
    assert not outgoing_suppressed()


@pytest.mark.django_db(transaction=True)
def test_the_practice_process_uses_only_the_copy_and_sends_no_email(made, folders):
    """A real second process with KESHER_PRACTICE=1: its database is the copy, its writes stay
    there, and an email lands in the practice outbox, not at a mail server."""
    env = {**os.environ, "KESHER_PRACTICE": "1", "KESHER_PRACTICE_DIR": str(folders / "practice")}
    env["KESHER_VAR_DIR"] = str(folders / "var")
    env["EMAIL_HOST"] = "mail.invalid"  # live would use SMTP; practice must not
    live_db = connection.settings_dict
    if connection.vendor == "postgresql":
        user = live_db.get("USER") or "postgres"
        host, port = live_db.get("HOST") or "127.0.0.1", live_db.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{live_db['NAME']}"
    else:
        env.pop("DATABASE_URL", None)
    script = (
        "from django.conf import settings\n"
        "from django.core.mail import send_mail\n"
        "from kesher.customers.models import Contact\n"
        "print(settings.DATABASES['default']['NAME'])\n"
        "Contact.objects.update(first_name='בתרגול')\n"
        "send_mail('נושא', 'גוף', 'a@example.co.il', ['customer@example.co.il'])\n"
        "print(settings.EMAIL_BACKEND)\n"
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "shell", "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    name, backend = result.stdout.split()[-2:]
    assert name == str(practice_target()["NAME"])
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert practice_rows("SELECT first_name FROM customers_contact") == [("בתרגול",)]
    assert Contact.objects.get().first_name == "דנה"
    outbox = list((folders / "practice" / "outbox").iterdir())
    assert len(outbox) == 1


class Restarted(Exception):
    pass


def test_serve_practice_restarts_with_the_practice_settings(monkeypatch):
    calls = []

    def execve(path, argv, env):
        calls.append((argv, env))
        raise Restarted

    monkeypatch.setattr(os, "execve", execve)
    with pytest.raises(Restarted):
        call_command("serve", practice=True)
    argv, env = calls[0]
    assert env["KESHER_PRACTICE"] == "1"
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8001"
    assert "--practice" in argv


@pytest.mark.django_db
def test_serve_in_practice_needs_the_copy(settings, monkeypatch):
    settings.KESHER_PRACTICE = True
    monkeypatch.setattr(
        "kesher.practice.services.practice_database_exists", lambda: False, raising=True
    )
    with pytest.raises(CommandError, match="no practice environment"):
        call_command("serve")
