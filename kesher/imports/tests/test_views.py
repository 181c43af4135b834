"""The import wizard's pages (REQ IM-1): upload → mapping → dry run report → run → result
with undo, the value map of a pick-list column, saved mappings, and the list of imports."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kesher.customers.models import Account, Contact
from kesher.imports import services
from kesher.imports.models import ImportJob, ImportMapping
from kesher.imports.tests.helpers import csv_bytes

pytestmark = pytest.mark.django_db

ROWS = [
    ["שם פרטי", "שם משפחה", "טלפון נייד", "עיר"],
    ["דנה", "לוי", "054-123-4567", "חיפה"],
    ["יוסי", "כהן", "12", "עכו"],
]


def _upload(client, rows=ROWS, key="contacts", encoding="cp1255"):
    content = csv_bytes(rows, encoding=encoding)
    return client.post(f"/imports/new/{key}/", {"file": SimpleUploadedFile("אנשים.csv", content)})


def _mapping_form(job: ImportJob, **extra) -> dict:
    form = {f"col-{i}": spec["field"] for i, spec in job.mapping["columns"].items()}
    return {"mode": "create", **form, **extra}


def test_the_whole_wizard(users, client_for, django_capture_on_commit_callbacks):
    rep = users["sales_rep"]
    client = client_for(rep)
    list_page = client.get("/r/contacts/")
    assert 'id="import-link"' in list_page.content.decode()

    response = _upload(client)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "Windows-1255" in page
    assert re.search(r'name="col-2"[^>]*>.*?<option value="mobile" selected', page, re.S)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/", _mapping_form(job))
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created, job.invalid) == ("checked", 1, 1)
    report = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="import-issues"' in report
    assert 'id="start-import"' not in report  # bad rows block the import
    assert 'id="download-problems"' in report
    sheet = client.get(f"/imports/{job.pk}/problems.xlsx")
    assert sheet["Content-Type"].startswith("application/vnd.openxmlformats")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/", _mapping_form(job, skip_invalid="1"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/start/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created) == ("done", 1)
    assert Contact.objects.get().mobile == "+972541234567"
    result = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="undo-import"' in result

    client.post(f"/imports/{job.pk}/undo/")
    job.refresh_from_db()
    assert job.status == "undoing"
    assert 'id="import-progress"' in client.get(f"/imports/{job.pk}/").content.decode()
    services.run_undo(job.pk)
    job.refresh_from_db()
    assert job.status == "undone"
    assert 'id="undo-result"' in client.get(f"/imports/{job.pk}/").content.decode()
    assert not Contact.objects.exists()


def test_progress_is_polled_until_the_job_finishes(users, client_for):
    admin = users["admin"]
    client = client_for(admin)
    _upload(client)
    job = ImportJob.objects.get()
    services.import_check(job, actor=admin)
    busy = client.get(f"/imports/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in busy.content.decode()
    services.run_job(job.pk)
    done = client.get(f"/imports/{job.pk}/progress/", headers={"HX-Request": "true"})
    assert done["HX-Redirect"] == f"/imports/{job.pk}/"


def test_bad_file_is_shown_on_the_upload_page_and_nothing_kept(users, client_for):
    client = client_for(users["admin"])
    response = client.post(
        "/imports/new/contacts/",
        {"file": SimpleUploadedFile("people.xlsx", b"PK\x03\x04broken")},
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert 'id="upload-errors"' in response.content.decode()
    assert not ImportJob.objects.exists()


def test_bad_mapping_is_shown_and_not_kept(users, client_for):
    client = client_for(users["admin"])
    _upload(client)
    job = ImportJob.objects.get()
    response = client.post(f"/imports/{job.pk}/", {"mode": "create", "col-1": "last_name"})
    assert response.status_code == 400
    assert 'id="mapping-errors"' in response.content.decode()
    job.refresh_from_db()
    assert job.status == "uploaded"
    assert job.mapping["columns"]["0"]["field"] == "first_name"


def test_pick_list_values_are_mapped_on_the_page(users, client_for):
    admin = users["admin"]
    client = client_for(admin)
    rows = [["שם החברה", "סטטוס"], ["אלפא", "לקוח זהב"], ["בטא", "לקוח זהב"]]
    _upload(client, rows, key="accounts", encoding="utf-8")
    job = ImportJob.objects.get()
    form = {"mode": "create", "col-0": "name", "col-1": "status"}
    client.post(f"/imports/{job.pk}/", form)
    services.run_job(job.pk)
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'name="val-1-1"' in page  # the column's distinct value, to map
    form.update({"src-1-1": "לקוח זהב", "val-1-1": "vip"})
    client.post(f"/imports/{job.pk}/", form)
    job.refresh_from_db()
    assert job.mapping["columns"]["1"]["values"] == {"לקוח זהב": "vip"}
    services.run_job(job.pk)
    job.refresh_from_db()
    assert (job.created, job.invalid) == (2, 0)
    services.import_start(job, actor=admin)
    services.run_job(job.pk)
    assert set(Account.objects.values_list("status__value", flat=True)) == {"vip"}


def test_saved_mapping_is_kept_and_applied(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    _upload(client)
    job = ImportJob.objects.get()
    client.post(f"/imports/{job.pk}/", _mapping_form(job, save_as="מהמערכת הישנה"))
    saved = ImportMapping.objects.get(name="מהמערכת הישנה")
    _upload(client, [[r[2], r[0]] for r in ROWS])
    other = ImportJob.objects.order_by("-pk").first()
    client.post(f"/imports/{other.pk}/", {"apply": saved.pk})
    other.refresh_from_db()
    assert {k: v["field"] for k, v in other.mapping["columns"].items()} == {
        "0": "mobile",
        "1": "first_name",
    }


def test_job_list_shows_mine_and_an_admin_sees_all(users, client_for):
    rep, other = users["sales_rep"], users["sales_rep2"]
    _upload(client_for(rep))
    assert 'data-job="' in client_for(rep).get("/imports/").content.decode()
    assert 'id="no-imports"' in client_for(other).get("/imports/").content.decode()
    assert 'data-job="' in client_for(users["admin"]).get("/imports/").content.decode()
    job = ImportJob.objects.get()
    assert client_for(other).get(f"/imports/{job.pk}/").status_code == 404


def test_no_import_button_for_roles_that_may_not_add(users, client_for):
    page = client_for(users["read_only"]).get("/r/contacts/").content.decode()
    assert 'id="import-link"' not in page
    assert client_for(users["read_only"]).get("/imports/new/contacts/").status_code == 403


def test_job_list_queries_do_not_grow(users, client_for, django_assert_max_num_queries):
    admin = users["admin"]
    for _ in range(5):
        services.import_upload(
            actor=admin, entity="contacts", filename="a.csv", content=b"first name\nx\n"
        )
    client = client_for(admin)
    client.get("/imports/")
    with django_assert_max_num_queries(12):
        client.get("/imports/")


def test_missing_accounts_are_offered_to_create_on_the_dry_run_page(
    users, client_for, django_capture_on_commit_callbacks
):
    """Issue 14 item 7: the dry run names the accounts not found and offers to create them
    or leave the contacts unlinked, instead of failing every row; the button counts only the
    rows that will be written."""
    from kesher.customers.tests.factories import make_account

    rep = users["sales_rep"]
    make_account(rep, name="אלפא")
    client = client_for(rep)
    rows = [["שם פרטי", "חברה"], ["דנה", "אלפא"], ["יוסי", "בטא"], ["רות", "בטא"]]
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, rows)
        job = ImportJob.objects.get()
        assert job.mapping["columns"]["1"]["field"] == "accounts"
        client.post(f"/imports/{job.pk}/", _mapping_form(job, **{"missing-1": "report"}))
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'id="missing-records"' in html
    assert "<bdi>בטא</bdi>" in html
    assert "ליצור לקוחות חסרים" in html
    assert 'id="start-import"' not in html  # two bad rows, not skipped
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/imports/{job.pk}/missing/", {"missing-1": "create"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created, job.invalid) == ("checked", 3, 0)
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert re.search(r'id="missing-1-create"[^>]* checked', html)
    assert 'id="start-import">ייבוא 3 שורות<' in html
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/imports/{job.pk}/start/")
    assert Account.objects.filter(name="בטא", owner=rep).count() == 1
    assert Contact.objects.filter(accounts__name="בטא").count() == 2


def test_the_button_counts_the_rows_to_write_and_duplicates_are_shown(
    users, client_for, django_capture_on_commit_callbacks
):
    rep = users["sales_rep"]
    client = client_for(rep)
    rows = [
        ["שם פרטי", 'דוא"ל'],
        ["דנה", "dana@example.com"],
        ["דנה", "Dana@Example.com"],
        ["יוסי", "bad"],
    ]
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, rows)
        job = ImportJob.objects.get()
        client.post(f"/imports/{job.pk}/", _mapping_form(job, skip_invalid="1"))
    job.refresh_from_db()
    assert (job.created, job.duplicates, job.invalid, job.total) == (1, 1, 1, 3)
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert '<div class="fs-4" id="count-duplicates">1</div>' in html
    assert 'id="start-import">ייבוא שורה אחת<' in html  # not the 3 rows of the file
    assert "Same e-mail as row 2" not in html  # in Hebrew
    assert "אותו דוא״ל כמו בשורה 2" in html


def test_the_missing_choice_is_part_of_the_mapping_form(users, client_for):
    rep = users["sales_rep"]
    client = client_for(rep)
    _upload(client, [["שם פרטי", "חברה"], ["דנה", "אלפא"]])
    job = ImportJob.objects.get()
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'name="missing-1"' in html
    assert "ליצור לקוחות חסרים" in html
    client.post(f"/imports/{job.pk}/", _mapping_form(job, **{"missing-1": "leave"}))
    job.refresh_from_db()
    assert job.mapping["columns"]["1"]["missing"] == "leave"
    agent = users["support_agent"]  # may not add accounts: no "create" to choose
    client = client_for(agent)
    _upload(client, [["שם פרטי", "חברה"], ["דנה", "אלפא"]])
    job = ImportJob.objects.filter(actor=agent).get()
    html = client.get(f"/imports/{job.pk}/").content.decode()
    assert 'name="missing-1"' in html
    assert "ליצור לקוחות חסרים" not in html
