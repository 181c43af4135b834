"""The full export of all data for moving out (REQ IM-5): JSON lines per entity with custom
fields and links, a zip, administrators only, in the worker when large, UI, API and command."""

import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.customers.services import contact_link_account
from kesher.customers.tests.factories import make_account, make_contact, make_relationship
from kesher.operations.archive import export_all, exported_models
from kesher.operations.fullexport import data_export_start
from kesher.operations.models import DataExport
from kesher.platform.models import CustomField, Tag
from kesher.platform.records.attachments import attachment_add
from kesher.platform.registry import registry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.KESHER_EXPORT_DIR = tmp_path / "exports"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


def read(path) -> tuple[dict, dict[str, list[dict]], zipfile.ZipFile]:
    archive = zipfile.ZipFile(path)
    manifest = json.loads(archive.read("manifest.json"))
    files = {}
    for name in archive.namelist():
        if name.endswith(".jsonl"):
            text = archive.read(name).decode()
            files[name] = [json.loads(line) for line in text.splitlines() if line]
    return manifest, files, archive


@pytest.fixture
def data(users):
    admin = users["admin"]
    CustomField.objects.create(
        entity="contacts", key="region", label_he="אזור", label_en="Region", type="text"
    )
    vip = Tag.objects.create(name="VIP")
    account = make_account(admin, name='=HYPERLINK("x") בע"מ')
    dana = make_contact(
        admin,
        first_name="דנה",
        last_name="כהן",
        phone="0525551234",
        custom={"region": "צפון"},
        m2m={"tags": [vip]},
    )
    friend = make_contact(admin, first_name="Yael", last_name="Levi")
    contact_link_account(dana, actor=admin, account=account, role="מנכ״לית")
    make_relationship(admin, "parent", from_contact=dana, to_contact=friend)
    attachment_add(dana, actor=admin, uploaded=SimpleUploadedFile("cv.txt", b"hello", "text/plain"))
    return {"admin": admin, "account": account, "dana": dana, "friend": friend, "vip": vip}


def test_every_registered_entity_has_its_file_with_custom_fields_and_links(data, folders):
    summary = export_all(folders / "out.zip")
    manifest, files, archive = read(summary.path)
    assert manifest["format"] == "kesher-full-export"
    for entity in registry.all():
        name = f"entities/{entity.key}.jsonl"
        assert name in files, name
        assert manifest["files"][name]["records"] == entity.model._base_manager.count()
    contacts = {c["id"]: c for c in files["entities/contacts.jsonl"]}
    dana = contacts[data["dana"].pk]
    assert dana["first_name"] == "דנה"
    assert dana["custom_fields"] == {"region": "צפון"}
    assert dana["tags"] == [data["vip"].pk]
    assert dana["accounts"] == [data["account"].pk]
    assert dana["owner"] == data["admin"].pk
    # Written as stored, not neutralized: this file is data for a program, not a spreadsheet.
    assert files["entities/accounts.jsonl"][0]["name"] == '=HYPERLINK("x") בע"מ'
    links = files["links/customers.contactaccount.jsonl"]
    assert [(row["contact"], row["account"], row["role"]) for row in links] == [
        (data["dana"].pk, data["account"].pk, "מנכ״לית")
    ]
    relationship = files["entities/relationships.jsonl"][0]
    assert (relationship["from_contact"], relationship["to_contact"]) == (
        data["dana"].pk,
        data["friend"].pk,
    )
    attachment = files["links/platform.attachment.jsonl"][0]
    assert attachment["content_type"] == "customers.contact"
    assert archive.read(f"files/{attachment['id']}/cv.txt") == b"hello"
    assert files["links/platform.auditentry.jsonl"], "the change history is exported"
    assert "links/platform.tag.jsonl" in files
    assert summary.records == sum(len(rows) for rows in files.values())


def test_secrets_and_derived_tables_are_left_out(data, folders):
    summary = export_all(folders / "out.zip")
    _manifest, files, _archive = read(summary.path)
    users = files["entities/users.jsonl"]
    assert users
    assert all("password" not in user for user in users)
    names = set(files)
    assert "links/platform.searchtoken.jsonl" not in names
    assert "links/org.apitoken.jsonl" not in names
    assert not any(name.startswith("links/dedupe.") for name in names)


def test_queries_do_not_grow_with_the_records(data, folders):
    """Chunks of 2,000 rows with their many-to-many links read per chunk: no N+1."""
    with CaptureQueriesContext(connection) as few:
        export_all(folders / "few.zip")
    for number in range(15):
        make_contact(data["admin"], first_name=f"עוד{number}", m2m={"tags": [data["vip"]]})
    with CaptureQueriesContext(connection) as more:
        export_all(folders / "more.zip")
    assert len(more) == len(few)


def test_export_writes_a_part_file_until_complete(data, folders, monkeypatch):
    from kesher.operations import archive as module

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(module, "_write_files", broken)
    with pytest.raises(RuntimeError):
        export_all(folders / "out.zip")
    assert not (folders / "out.zip").exists()


@pytest.fixture
def worker(settings, django_capture_on_commit_callbacks):
    """Runs what a request queued, as the worker would, when the request commits."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_export_from_the_page_and_download(data, client_for, worker):
    admin = data["admin"]
    with worker():
        response = client_for(admin).post("/data-export/start/")
    assert response.status_code == 302
    export = DataExport.objects.get()
    assert export.status == DataExport.Status.DONE
    assert export.counts["entities/contacts.jsonl"] == 2
    assert export.percent == 100
    page = client_for(admin).get("/data-export/")
    assert page.status_code == 200
    assert f"/data-export/{export.pk}/download/" in page.content.decode()
    response = client_for(admin).get(f"/data-export/{export.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    body = b"".join(response.streaming_content)
    assert "manifest.json" in zipfile.ZipFile(io.BytesIO(body)).namelist()


def test_export_through_the_api(data, api_for, worker):
    client = api_for(data["admin"])
    with worker():
        response = client.post("/api/v1/data-exports/")
    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    follow = client.get(response.json()["url"])
    assert follow.json()["status"] == "done"
    assert follow.json()["counts"]["entities/contacts.jsonl"] == 2
    download = client.get(follow.json()["download_url"])
    assert download.status_code == 200
    listing = client.get("/api/v1/data-exports/")
    assert [row["id"] for row in listing.json()] == [response.json()["id"]]


@pytest.mark.parametrize("role", ["manager", "sales_rep", "read_only"])
def test_only_administrators_export_everything(users, role, client_for, api_for):
    user = users[role]
    with pytest.raises(PermissionDenied):
        data_export_start(actor=user)
    assert api_for(user).post("/api/v1/data-exports/").status_code == 403
    assert client_for(user).post("/data-export/start/").status_code == 403
    assert client_for(user).get("/data-export/").status_code == 403
    assert not DataExport.objects.exists()


def test_unfinished_export_has_no_download(data, api_for):
    export = DataExport.objects.create(actor=data["admin"], status=DataExport.Status.RUNNING)
    client = api_for(data["admin"])
    assert client.get(f"/api/v1/data-exports/{export.pk}/download/").status_code == 404
    assert client.get(f"/api/v1/data-exports/{export.pk}/").json()["download_url"] is None


def test_management_command(data, folders):
    out = io.StringIO()
    call_command("export_all", str(folders / "cmd.zip"), stdout=out)
    _manifest, files, _archive = read(folders / "cmd.zip")
    assert len(files["entities/contacts.jsonl"]) == 2
    assert "entities/contacts.jsonl: 2" in out.getvalue()


def test_exported_models_cover_later_apps_tables():
    """A table a later app adds is exported unless it is listed as operational or secret."""
    labels = {model._meta.label_lower for _name, model in exported_models()}
    assert {"customers.contactaccount", "platform.auditentry", "imports.externalid"} <= labels


def test_api_schema_documents_the_endpoints(api_schema):
    paths = api_schema()["paths"]
    assert set(paths["/api/v1/data-exports/"]) == {"get", "post"}
    assert "/api/v1/data-exports/{id}/download/" in paths
    assert set(paths["/api/v1/practice/"]) == {"get", "post", "delete"}
    example = paths["/api/v1/data-exports/"]["post"]["responses"]["202"]["content"]
    assert example["application/json"]["examples"]
    practice = paths["/api/v1/practice/"]["post"]["responses"]["202"]["content"]
    assert practice["application/json"]["examples"]


def test_a_running_export_is_polled_row_by_row(data, client_for):
    export = DataExport.objects.create(
        actor=data["admin"], status=DataExport.Status.RUNNING, total=200, done=50
    )
    response = client_for(data["admin"]).get(
        f"/data-export/{export.pk}/", headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith(f'<tr id="export-{export.pk}"')
    assert 'hx-trigger="every 2s"' in body
    assert "25%" in body
