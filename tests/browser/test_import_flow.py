"""The import wizard in a real browser (issue 6 item 1; REQ IM-1): a Windows-1255 CSV as Hebrew
Excel saves it is uploaded from the contacts list, its columns are mapped by the suggestions,
the dry run reports the bad rows, and the import runs with a progress bar polled by htmx until
the result, which can be undone. A worker killed in the middle leaves whole batches only, and
the import resumes after them.

The worker is this test: the task backend queues nothing, and the test runs the job between
two looks at the page, so the progress bar is seen before the job ends."""

from __future__ import annotations

import csv
import io

import pytest
from playwright.sync_api import expect

from kesher.customers.models import Contact
from kesher.imports import bulk, services
from kesher.imports.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROWS = [
    ["מס' לקוח", "שם פרטי", "שם משפחה", "טלפון נייד", 'דוא"ל', "תאריך לידה"],
    ["1001", "דָּנָה", "לוי", "054-123-4567", "dana@example.co.il", "01/02/1990"],
    ["1002", "יוסי", "כהן", "052 555 1234", "yossi@example.co.il", "15/07/1985"],
    ["1003", "רות", "מזרחי", "12", "ruth@", "31/02/2020"],
    ["1004", "משה", "פרץ", "03-1234567", "moshe@example.co.il", ""],
]


def excel_csv() -> bytes:
    """The rows as Hebrew Excel's "CSV (comma delimited)" writes them: Windows-1255, CRLF."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(ROWS)
    return buffer.getvalue().encode("cp1255")


@pytest.fixture
def quiet_worker(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}


def test_upload_map_dry_run_and_import(
    users, open_page, log_in, screenshot, quiet_worker, monkeypatch, settings
):
    # A batch of two rows a transaction, so a killed worker keeps the batch before (on SQLite
    # the bulk path would otherwise write several in one).
    settings.KESHER_IMPORT_SQLITE_TRANSACTION_ROWS = 2
    admin = users["admin"]
    page = open_page()
    log_in(page, admin.username)

    page.goto("/r/contacts/")
    page.locator("#import-link").click()
    page.locator("#import-file").set_input_files(
        {"name": "לקוחות.csv", "mimeType": "text/csv", "buffer": excel_csv()}
    )
    screenshot(page, "import-upload-he")
    page.locator("#upload-submit").click()

    # The mapping screen: encoding detected, every column suggested from its Hebrew header.
    expect(page.locator("#file-facts")).to_contain_text("Windows-1255")
    expect(page.locator("#col-0")).to_have_value("external_id")
    expect(page.locator("#col-3")).to_have_value("mobile")
    expect(page.locator("#col-4")).to_have_value("email")
    expect(page.locator("#col-5")).to_have_value("birthday")
    job = ImportJob.objects.get()
    screenshot(page, "import-mapping-he")
    page.locator("#run-check").click()

    # The dry run: the page polls, the worker runs, the page shows the report.
    expect(page.locator("#import-progress")).to_be_visible()
    services.run_job(job.pk)
    issues = page.locator("#import-issues")
    expect(issues).to_be_visible()
    expect(page.locator("#count-invalid")).to_have_text("1")
    expect(issues).to_contain_text("טלפון נייד")
    expect(page.locator("#fix-or-skip")).to_be_visible()
    assert not Contact.objects.exists()
    screenshot(page, "import-dry-run-he")

    # Skip the bad row, check again, import with the progress bar.
    page.locator("#mapping-section summary").click()
    page.locator("#skip_invalid").check()
    page.locator("#run-check").click()
    services.run_job(job.pk)
    page.locator("#start-import").click()
    expect(page.locator("#import-progress")).to_be_visible()

    # The worker is killed during its second batch of two rows: the first batch stays, the
    # bar shows it, and the next run resumes after it.
    real = bulk.add_links
    calls = {"n": 0}

    def killed_in_second_batch(plan, pairs, *, new):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("worker killed")
        return real(plan, pairs, new=new)

    monkeypatch.setattr(bulk, "add_links", killed_in_second_batch)
    with pytest.raises(SystemExit):
        services.run_job(job.pk, size=2)
    expect(page.locator("#import-progress .progress-bar")).to_have_text("50%")
    screenshot(page, "import-progress-he")
    assert Contact.objects.count() == 2
    monkeypatch.setattr(bulk, "add_links", real)
    services.run_job(job.pk, size=2)
    expect(page.locator("#undo-import")).to_be_visible()
    expect(page.locator("#count-created")).to_have_text("3")
    screenshot(page, "import-result-he")
    dana = Contact.objects.get(email="dana@example.co.il")
    assert (dana.mobile, str(dana.birthday)) == ("+972541234567", "1990-02-01")

    # Undo deletes what the import created.
    page.locator("#undo-import").click()
    expect(page.locator("#import-progress")).to_be_visible()  # the worker undoes it
    services.run_undo(job.pk)
    expect(page.locator("#undo-result")).to_contain_text("בוטל")
    assert not Contact.objects.exists()


HISTORY = [
    ["מזהה", "לקוח (מזהה ישן)", "סוג", "תוצאה", "נושא", "תאריך"],
    ["h1", "A-1", "שיחה", "נוצר קשר", "שיחת היכרות מהמערכת הישנה", "03/02/2025 10:30"],
    ["h2", "A-1", "פגישה", "", "פגישה במשרדי הלקוח", "10/02/2025 09:00"],
    ["h3", "A-999", "שיחה", "", "שיחה על לקוח שלא יובא", "11/02/2025"],
    ["h4", "A-1", "פקס", "", "סוג שאינו ברשימה", "12/02/2025"],
]


def test_history_import_links_to_accounts_imported_before(
    users, open_page, log_in, screenshot, quiet_worker
):
    """Issue 6 item 2: accounts imported with their old ids, then their history by those ids:
    the dry run names the unknown account and the unknown kind, the rest is imported and shows
    on the account's 360° history."""
    from kesher.activities.models import Interaction
    from kesher.customers.models import Account

    admin = users["admin"]
    accounts = services.import_upload(
        actor=admin,
        entity="accounts",
        filename="accounts.csv",
        content="מזהה,שם\r\nA-1,אורן תעשיות\r\n".encode("cp1255"),
    )
    mapping = {"columns": {"0": {"field": "external_id"}, "1": {"field": "name"}}}
    services.import_set_mapping(accounts, actor=admin, mapping={**mapping, "source": "old-crm"})
    services.import_check(accounts, actor=admin)
    services.run_job(accounts.pk)
    services.import_start(accounts, actor=admin)
    services.run_job(accounts.pk)
    account = Account.objects.get(name="אורן תעשיות")

    page = open_page()
    log_in(page, admin.username)
    page.goto("/r/interactions/")
    page.locator("#import-link").click()
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(HISTORY)
    page.locator("#import-file").set_input_files(
        {"name": "היסטוריה.csv", "mimeType": "text/csv", "buffer": buffer.getvalue().encode()}
    )
    page.locator("#upload-submit").click()
    page.locator("#col-0").select_option("external_id")
    page.locator("#col-1").select_option("about.accounts.external_id")
    expect(page.locator("#col-2")).to_have_value("kind")
    page.locator("#col-3").select_option("outcome")
    page.locator("#col-4").select_option("subject")
    page.locator("#col-5").select_option("occurred_at")
    page.locator("#source").fill("old-crm")
    job = ImportJob.objects.get(entity="interactions")
    screenshot(page, "import-history-mapping-he")
    page.locator("#run-check").click()
    services.run_job(job.pk)

    issues = page.locator("#import-issues")
    expect(issues).to_be_visible()
    expect(page.locator("#count-invalid")).to_have_text("2")
    expect(issues).to_contain_text("A-999")
    expect(issues).to_contain_text("פקס")
    assert not Interaction.objects.exists()
    screenshot(page, "import-history-dry-run-he")

    page.locator("#mapping-section > summary").click()
    page.locator("#skip_invalid").check()
    page.locator("#run-check").click()
    services.run_job(job.pk)
    page.locator("#start-import").click()
    services.run_job(job.pk)
    expect(page.locator("#count-created")).to_have_text("2")

    page.goto(f"/r/accounts/{account.pk}/")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("שיחת היכרות מהמערכת הישנה")
    expect(timeline).to_contain_text("פגישה במשרדי הלקוח")
    expect(page.locator("[data-figure=last_contact]")).to_contain_text("10/02/2025")
    screenshot(page, "import-history-360-he")


def test_contacts_with_accounts_not_found_create_the_missing_accounts(
    users, open_page, log_in, screenshot, quiet_worker
):
    """Issue 14 item 7 (decision 0048): a rep imports contacts whose "company" column names
    accounts she does not have; the dry run lists them and offers to create them, in Hebrew;
    a row repeating an e-mail is skipped, and the button counts only the rows written."""
    from kesher.customers.models import Account
    from kesher.customers.tests.factories import make_account

    rep = users["sales_rep"]
    make_account(rep, name="אלפא")
    rows = [
        ["שם פרטי", 'דוא"ל', "חברה"],
        ["דנה", "dana@example.co.il", "אלפא; בטא"],
        ["יוסי", "yossi@example.co.il", "גמא"],
        ["דנה", "Dana@Example.co.il", "אלפא"],
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    page = open_page()
    log_in(page, rep.username)
    page.goto("/r/contacts/")
    page.locator("#import-link").click()
    page.locator("#import-file").set_input_files(
        {"name": "אנשי קשר.csv", "mimeType": "text/csv", "buffer": buffer.getvalue().encode()}
    )
    page.locator("#upload-submit").click()
    expect(page.locator("#col-2")).to_have_value("accounts")  # "חברה": the accounts column
    job = ImportJob.objects.get()
    page.locator("#run-check").click()
    services.run_job(job.pk)

    missing = page.locator("#missing-records")
    expect(missing).to_be_visible()
    expect(missing).to_contain_text("בטא")
    expect(missing).to_contain_text("גמא")
    expect(page.locator("#count-invalid")).to_have_text("2")
    screenshot(page, "import-missing-accounts-he")
    page.get_by_label("ליצור לקוחות חסרים").check()
    page.locator("#apply-missing").click()
    services.run_job(job.pk)

    expect(page.locator("#count-invalid")).to_have_text("0")
    expect(page.locator("#count-duplicates")).to_have_text("1")
    expect(page.locator("#import-issues")).to_contain_text("אותו דוא״ל כמו בשורה 2")
    start = page.locator("#start-import")
    expect(start).to_have_text("ייבוא 2 שורות")  # not the 3 rows of the file
    assert Account.objects.count() == 1  # the dry run created nothing
    start.click()
    services.run_job(job.pk)
    expect(page.locator("#count-created")).to_have_text("2")
    assert sorted(Account.objects.values_list("name", flat=True)) == ["אלפא", "בטא", "גמא"]
    assert set(Account.objects.values_list("owner", flat=True)) == {rep.pk}
    dana = Contact.objects.get(email="dana@example.co.il")
    assert sorted(dana.accounts.values_list("name", flat=True)) == ["אלפא", "בטא"]
