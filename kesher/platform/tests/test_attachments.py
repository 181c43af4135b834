"""Files on records (REQ CU-6): size-limited uploads with safe names, downloads that never render
in Kesher's origin, and the record's access rules on every download (REQ OR-3, OR-5)."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from kesher.customers.tests.factories import make_account
from kesher.platform.models import Attachment, AuditEntry
from kesher.platform.records.attachments import attachment_add, safe_filename

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, account, name, content, content_type="application/octet-stream"):
    return client.post(
        f"/files/upload/accounts/{account.pk}/",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
    )


def test_upload_attaches_the_file_and_records_it(users, client_for, media_root):
    rep = users["sales_rep"]
    account = make_account(rep)
    response = upload(client_for(rep), account, "הצעת מחיר.pdf", b"%PDF-1.4 quote")
    assert response.status_code == 302
    assert response["Location"] == f"/r/accounts/{account.pk}/"
    attachment = Attachment.objects.get()
    assert attachment.record == account
    assert attachment.name == "הצעת מחיר.pdf"
    assert attachment.size == len(b"%PDF-1.4 quote")
    assert attachment.uploaded_by == rep
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == b"%PDF-1.4 quote"
    assert stored.is_relative_to(media_root / "attachments")
    # The user's file name never reaches the file system.
    assert "הצעת" not in stored.name
    assert AuditEntry.objects.filter(object_id=account.pk, action="attach").exists()
    page = client_for(rep).get(f"/r/accounts/{account.pk}/").content.decode()
    assert "הצעת מחיר.pdf" in page
    assert f"/files/{attachment.pk}/" in page


def test_file_over_the_size_limit_is_refused(users, client_for, settings):
    settings.KESHER_MAX_ATTACHMENT_BYTES = 1024
    admin = users["admin"]
    account = make_account(admin)
    response = upload(client_for(admin), account, "big.bin", b"x" * 1025)
    assert response.status_code == 302
    assert not Attachment.objects.exists()
    assert upload(client_for(admin), account, "fits.bin", b"x" * 1024).status_code == 302
    assert Attachment.objects.get().name == "fits.bin"


def test_empty_file_is_refused(users):
    account = make_account(users["admin"])
    with pytest.raises(ValidationError) as caught:
        attachment_add(account, actor=users["admin"], uploaded=SimpleUploadedFile("empty.txt", b""))
    assert "file" in caught.value.message_dict
    assert not Attachment.objects.exists()
    assert not AuditEntry.objects.filter(action="attach").exists()


def test_size_limit_in_the_service(users, settings):
    settings.KESHER_MAX_ATTACHMENT_BYTES = 10
    account = make_account(users["admin"])
    with pytest.raises(ValidationError) as caught:
        attachment_add(
            account, actor=users["admin"], uploaded=SimpleUploadedFile("a.txt", b"x" * 11)
        )
    assert "file" in caught.value.message_dict
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("typed", "safe"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/absolute/path/report.pdf", "report.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe"),
        ("\u2067מסמך\u2069.docx", "מסמך.docx"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ("...", "file"),
        ("\u202e", "file"),
    ],
)
def test_file_names_are_made_safe(typed, safe):
    assert safe_filename(typed) == safe


def test_long_file_name_is_cut_to_fit_the_column():
    assert len(safe_filename("א" * 300 + ".txt")) <= Attachment._meta.get_field("name").max_length


def test_path_traversal_name_is_stored_inside_media(users, client_for, media_root):
    admin = users["admin"]
    account = make_account(admin)
    upload(client_for(admin), account, "../../../../tmp/evil\u202e.sh", b"#!/bin/sh")
    attachment = Attachment.objects.get()
    assert attachment.name == "evil.sh"
    assert Path(attachment.file.path).resolve().is_relative_to(media_root.resolve())


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("image.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("quote.pdf", b"%PDF-1.4"),
        ("notes.txt", b"plain"),
    ],
)
def test_download_is_always_an_attachment_of_opaque_bytes(users, client_for, name, content):
    admin = users["admin"]
    account = make_account(admin)
    upload(client_for(admin), account, name, content, content_type="text/html")
    attachment = Attachment.objects.get()
    for query in ("", "?inline=1"):
        response = client_for(admin).get(f"/files/{attachment.pk}/{query}")
        assert response.status_code == 200
        assert response["Content-Disposition"].startswith("attachment;")
        assert name in response["Content-Disposition"]
        assert response["Content-Type"] == "application/octet-stream"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
        assert b"".join(response.streaming_content) == content


def test_hebrew_file_name_in_content_disposition(users, client_for):
    admin = users["admin"]
    account = make_account(admin)
    upload(client_for(admin), account, "חוזה.pdf", b"%PDF")
    response = client_for(admin).get(f"/files/{Attachment.objects.get().pk}/")
    assert "filename*=utf-8''%D7%97%D7%95%D7%96%D7%94.pdf" in response["Content-Disposition"]


def test_rep_without_access_to_the_record_gets_404(users, client_for):
    rep1, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep1)
    upload(client_for(rep1), account, "secret.pdf", b"%PDF secret")
    attachment = Attachment.objects.get()
    assert client_for(rep1).get(f"/files/{attachment.pk}/").status_code == 200
    assert client_for(rep2).get(f"/files/{attachment.pk}/").status_code == 404
    # Nor can they attach files to it.
    assert upload(client_for(rep2), account, "x.txt", b"x").status_code == 404
    assert Attachment.objects.count() == 1


def test_anonymous_download_is_sent_to_sign_in(users, client_for):
    account = make_account(users["admin"])
    upload(client_for(users["admin"]), account, "a.txt", b"a")
    response = client_for(None).get(f"/files/{Attachment.objects.get().pk}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_read_only_user_can_download_but_not_upload(users, client_for):
    admin, viewer = users["admin"], users["read_only"]
    account = make_account(admin)
    upload(client_for(admin), account, "a.txt", b"a")
    assert client_for(viewer).get(f"/files/{Attachment.objects.get().pk}/").status_code == 200
    assert upload(client_for(viewer), account, "b.txt", b"b").status_code == 403
    assert Attachment.objects.count() == 1


def test_a_file_missing_from_the_disk_answers_404_not_500(users, client_for):
    """Issue 24 item 7: the row outlived its file (a restore of the database alone)."""
    admin = users["admin"]
    account = make_account(admin)
    upload(client_for(admin), account, "lost.pdf", b"%PDF-1.4 lost")
    attachment = Attachment.objects.get()
    Path(attachment.file.path).unlink()
    response = client_for(admin).get(f"/files/{attachment.pk}/")
    assert response.status_code == 404
