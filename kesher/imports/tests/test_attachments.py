"""Attachments from a zip uploaded with the sheet: a column names each row's file (REQ IM-1,
CU-6; decision 0037)."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation

from kesher.customers.models import Account
from kesher.customers.tests.factories import make_account
from kesher.imports import services
from kesher.imports.models import ExternalId, ImportJob
from kesher.imports.tests.helpers import check, csv_bytes, run, undo
from kesher.platform.models import Attachment

pytestmark = pytest.mark.django_db
Status = ImportJob.Status


def zip_bytes(files: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def upload_with_zip(actor, rows, files, entity="accounts", **zip_options):
    return services.import_upload(
        actor=actor,
        entity=entity,
        filename="accounts.csv",
        content=csv_bytes(rows),
        archive_name="files.zip",
        archive_content=zip_bytes(files, **zip_options),
    )


ACCOUNTS = [
    ["מזהה", "שם", "קובץ", "כותרת"],
    ["A-1", "אלפא", "contracts/alpha.pdf", "חוזה אלפא"],
    ["A-2", "בטא", "beta.docx", ""],
]
MAPPING = {
    "columns": {
        "0": {"field": "external_id"},
        "1": {"field": "name"},
        "2": {"field": "attachment"},
        "3": {"field": "attachment_title"},
    },
    "source": "old-crm",
}
FILES = {"contracts/alpha.pdf": b"%PDF-1.4 alpha", "docs/beta.docx": b"PK beta document"}


def test_accounts_import_attaches_each_rows_file_and_undo_removes_them(
    users, django_capture_on_commit_callbacks
):
    admin = users["admin"]
    job = check(upload_with_zip(admin, ACCOUNTS, FILES), admin, MAPPING)
    assert (job.created, job.invalid) == (2, 0)
    assert not Attachment.objects.exists()
    assert not default_storage.exists("attachments")  # the dry run stores no file
    job = run(job, admin)
    alpha = Account.objects.get(name="אלפא")
    stored = Attachment.objects.get(object_id=alpha.pk)
    assert (stored.name, stored.size, stored.uploaded_by) == ("חוזה אלפא.pdf", 14, admin)
    assert stored.file.read() == b"%PDF-1.4 alpha"
    beta = Attachment.objects.get(object_id=Account.objects.get(name="בטא").pk)
    assert beta.name == "beta.docx"  # a bare name finds the only file so named in the zip
    path = stored.file.name
    with django_capture_on_commit_callbacks(execute=True):
        result = undo(job, admin)
    assert result["deleted"] == 4  # two files and two accounts
    assert not Attachment.objects.exists()
    assert not Account.objects.exists()
    assert not default_storage.exists(path)


def test_a_separate_attachments_import_adds_files_to_existing_records_once(users):
    """Rows that name a record by its external id and a file: update mode, only the file."""
    admin = users["admin"]
    account = make_account(admin, name="אלפא")
    ExternalId.objects.create(
        entity="accounts", record_id=account.pk, source="old-crm", external_id="A-1"
    )
    rows = [["מזהה", "קובץ"], ["A-1", "contracts/alpha.pdf"], ["A-1", "docs/beta.docx"]]
    mapping = {
        "columns": {"0": {"field": "external_id"}, "1": {"field": "attachment"}},
        "source": "old-crm",
        "match": "external_id",
    }
    first = upload_with_zip(admin, rows, FILES)
    services.import_set_mapping(first, actor=admin, mapping=mapping, mode="update")
    # The same external id twice is fine when the rows only attach files.
    first = run(check(first, admin), admin)
    assert first.status == Status.DONE, list(first.issues.values_list("message", flat=True))
    assert Attachment.objects.filter(object_id=account.pk).count() == 2
    again = upload_with_zip(admin, rows, FILES)
    again = run(check(again, admin, mapping, "update"), admin)
    assert (again.updated, again.unchanged) == (0, 2)
    assert Attachment.objects.count() == 2


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("../etc/passwd", "climb out"),
        ("/etc/passwd", "not a path on a computer"),
        ("C:\\Users\\dana\\a.pdf", "not a path on a computer"),
        ("missing.pdf", "no such file"),
        ("empty.txt", "empty"),
        ("bomb.bin", "zip bomb"),
    ],
)
def test_bad_file_names_and_zip_bombs_are_reported_per_row_and_nothing_written(
    users, settings, cell, message
):
    settings.LANGUAGE_CODE = "en"
    admin = users["admin"]
    admin.language = "en"
    admin.save(update_fields=["language"])
    files = {**FILES, "empty.txt": b"", "bomb.bin": b"\0" * (5 * 1024 * 1024)}
    rows = [ACCOUNTS[0], ["A-9", "גמא", cell, ""]]
    job = check(upload_with_zip(admin, rows, files), admin, MAPPING)
    assert job.invalid == 1
    issue = job.issues.get()
    assert (issue.column, issue.value) == ("קובץ", cell)
    assert message in issue.message.lower()
    with pytest.raises(ValidationError):
        services.import_start(job, actor=admin)
    assert not Account.objects.exists()
    assert not Attachment.objects.exists()


def test_skipped_bad_rows_leave_the_good_rows_files(users):
    admin = users["admin"]
    rows = [*ACCOUNTS, ["A-3", "גמא", "nothing-here.pdf", ""]]
    job = check(upload_with_zip(admin, rows, FILES), admin, {**MAPPING, "skip_invalid": True})
    job = run(job, admin)
    assert (job.created, job.invalid) == (2, 1)
    assert Attachment.objects.count() == 2


@translation.override("en")
def test_encrypted_oversized_and_broken_zips_are_refused_at_upload(users, settings):
    admin = users["admin"]
    encrypted = bytearray(zip_bytes({"a.txt": b"secret"}, compression=zipfile.ZIP_STORED))
    # Set the "encrypted" flag of the member's local and central headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = encrypted.find(signature) + offset
        encrypted[at] |= 0x1
    with pytest.raises(ValidationError, match="password"):
        services.import_upload(
            actor=admin,
            entity="accounts",
            filename="a.csv",
            content=csv_bytes(ACCOUNTS),
            archive_content=bytes(encrypted),
        )
    with pytest.raises(ValidationError, match="not a zip"):
        services.import_upload(
            actor=admin,
            entity="accounts",
            filename="a.csv",
            content=csv_bytes(ACCOUNTS),
            archive_content=b"not a zip at all",
        )
    settings.KESHER_IMPORT_ZIP_MAX_BYTES = 1000
    big = zip_bytes({"big.txt": b"a" * 5000})
    with pytest.raises(ValidationError, match="unpacked"):
        services.import_upload(
            actor=admin,
            entity="accounts",
            filename="a.csv",
            content=csv_bytes(ACCOUNTS),
            archive_content=big,
        )
    assert not ImportJob.objects.exists()


@translation.override("en")
def test_attachment_columns_need_a_zip(users):
    admin = users["admin"]
    job = services.import_upload(
        actor=admin, entity="accounts", filename="a.csv", content=csv_bytes(ACCOUNTS)
    )
    with pytest.raises(ValidationError, match="zip"):
        services.import_set_mapping(job, actor=admin, mapping=MAPPING)


def test_api_and_page_accept_the_zip(users, client_for):
    admin = users["admin"]
    api = client_for(admin)
    response = api.post(
        reverse("api_imports"),
        {
            "entity": "accounts",
            "file": _named(csv_bytes(ACCOUNTS), "a.csv"),
            "archive": _named(zip_bytes(FILES), "files.zip"),
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["archive"] == "files.zip"
    assert {"attachment", "attachment_title"} <= {f["key"] for f in body["fields"]}
    response = api.post(
        reverse("api_imports"),
        {
            "entity": "accounts",
            "file": _named(csv_bytes(ACCOUNTS), "a.csv"),
            "archive": _named(b"junk", "files.zip"),
        },
    )
    assert response.status_code == 400
    assert "archive" in response.json()
    page = client_for(admin).post(
        reverse("import_upload", args=["accounts"]),
        {
            "file": _named(csv_bytes(ACCOUNTS), "a.csv"),
            "archive": _named(zip_bytes(FILES), "files.zip"),
        },
    )
    assert page.status_code == 302
    job = ImportJob.objects.latest("pk")
    assert job.archive_name == "files.zip"
    mapping_page = client_for(admin).get(page["Location"])
    assert "files.zip" in mapping_page.content.decode()


def _named(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)
