"""The imports API (REQ IM-1, IM-2): the whole flow, bad files and bad mappings answered with a
clear 400 and nothing written, idempotent upsert, who sees which job, and query counts."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kesher.customers.models import Contact
from kesher.imports import services
from kesher.imports.models import ExternalId, ImportIssue, ImportJob
from kesher.imports.tests.helpers import csv_bytes, xlsx_bytes
from kesher.platform.models import AuditEntry, SearchToken

pytestmark = pytest.mark.django_db
URL = "/api/v1/imports/"

HEBREW_ROWS = [
    ["מזהה", "שם פרטי", "שם משפחה", "טלפון נייד", 'דוא"ל'],
    ["a1", "דנה", "לוי", "054-123-4567", "dana@example.com"],
    ["a2", "יוסי", "כהן", "052 555 1234", "yossi@example.com"],
    ["a3", "רות", "אבן", "12", "ruth@example"],
]


@pytest.fixture
def api_for(api_for):
    """The API client sending JSON unless a test says multipart."""

    def make(user, language="he"):
        client = api_for(user, language)
        client.default_format = "json"
        return client

    return make


def _upload(api, content: bytes, name="people.csv", entity="contacts"):
    return api.post(
        URL,
        {"entity": entity, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def _run_worker(job_id: int) -> None:
    """What the worker does with a queued job (the tests' task backend runs nothing)."""
    services.run_job(job_id)


def test_whole_flow_windows_1255_file(users, api_for):
    rep = users["sales_rep"]
    api = api_for(rep, "en")
    response = _upload(api, csv_bytes(HEBREW_ROWS, encoding="cp1255"))
    assert response.status_code == 201, response.content
    job = response.json()
    assert (job["encoding"], job["total"], job["status"]) == ("Windows-1255", 3, "uploaded")
    assert job["mapping"]["columns"]["3"]["field"] == "mobile"
    assert {"first_name", "external_id", "accounts"} <= {f["key"] for f in job["fields"]}

    mapping = {**job["mapping"], "match": "external_id", "source": "old"}
    response = api.put(f"{URL}{job['id']}/mapping/", {"mode": "upsert", "mapping": mapping})
    assert response.status_code == 200, response.content
    assert api.post(f"{URL}{job['id']}/check/").status_code == 202
    _run_worker(job["id"])
    checked = api.get(f"{URL}{job['id']}/").json()
    assert (checked["status"], checked["created"], checked["invalid"]) == ("checked", 2, 1)
    issues = api.get(f"{URL}{job['id']}/issues/").json()
    assert issues["count"] == 2
    assert {(i["row"], i["column"]) for i in issues["results"]} == {
        (4, "טלפון נייד"),
        (4, 'דוא"ל'),
    }
    sheet = api.get(f"{URL}{job['id']}/issues/?download=xlsx")
    assert sheet.status_code == 200
    assert sheet.content.startswith(b"PK")
    assert not Contact.objects.exists()

    refused = api.post(f"{URL}{job['id']}/start/")
    assert refused.status_code == 400
    assert "bad rows" in refused.json()["status"][0]
    mapping["skip_invalid"] = True
    api.put(f"{URL}{job['id']}/mapping/", {"mode": "upsert", "mapping": mapping})
    api.post(f"{URL}{job['id']}/check/")
    _run_worker(job["id"])
    assert api.post(f"{URL}{job['id']}/start/").status_code == 202
    _run_worker(job["id"])
    done = api.get(f"{URL}{job['id']}/").json()
    assert (done["status"], done["created"], done["invalid"], done["percent"]) == (
        "done",
        2,
        1,
        100,
    )
    assert set(Contact.objects.values_list("mobile", flat=True)) == {
        "+972541234567",
        "+972525551234",
    }
    assert ExternalId.objects.filter(source="old").count() == 2

    undoing = api.post(f"{URL}{job['id']}/undo/")
    assert undoing.status_code == 202
    assert (undoing.json()["status"], undoing.json()["undo"]["total"]) == ("undoing", 2)
    assert Contact.objects.count() == 2  # the worker undoes it
    services.run_undo(job["id"])
    undone = api.get(f"{URL}{job['id']}/").json()
    assert undone["status"] == "undone"
    assert undone["undo"] == {
        "total": 2, "done": 2, "deleted": 2, "restored": 0, "kept": 0, "skipped": 0
    }  # fmt: skip
    assert not Contact.objects.exists()
    assert not ExternalId.objects.exists()


def test_upsert_the_same_file_twice_changes_nothing_the_second_time(users, api_for):
    admin = users["admin"]
    api = api_for(admin)
    rows = HEBREW_ROWS[:3]
    for expected in ((2, 0), (0, 2)):
        job = _upload(api, csv_bytes(rows)).json()
        mapping = {**job["mapping"], "match": "external_id"}
        api.put(f"{URL}{job['id']}/mapping/", {"mode": "upsert", "mapping": mapping})
        api.post(f"{URL}{job['id']}/check/")
        _run_worker(job["id"])
        api.post(f"{URL}{job['id']}/start/")
        _run_worker(job["id"])
        result = api.get(f"{URL}{job['id']}/").json()
        assert (result["created"], result["unchanged"], result["updated"]) == (*expected, 0)
    assert Contact.objects.count() == 2
    assert AuditEntry.objects.filter(action="update").count() == 0


BROKEN_XLSX = b"PK\x03\x04" + b"\x00" * 200


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (BROKEN_XLSX, "people.xlsx", "damaged"),
        (b"\x00\x01\x02binary\x00" * 50, "people.csv", "not a text"),
        (b"", "people.csv", "empty"),
    ],
)
def test_bad_files_answer_400_and_keep_nothing(users, api_for, content, name, words):
    response = _upload(api_for(users["admin"], "en"), content, name)
    assert response.status_code == 400
    assert words in response.json()["file"][0]
    assert not ImportJob.objects.exists()


def test_a_file_over_the_limit_is_refused(users, api_for, settings):
    settings.KESHER_IMPORT_MAX_BYTES = 1024
    response = _upload(api_for(users["admin"], "en"), b"name\n" + b"x" * 2000)
    assert response.status_code == 400
    assert "too large" in response.json()["file"][0]
    assert not ImportJob.objects.exists()


def test_the_limit_is_50_mb_by_default(settings):
    from django.conf import settings as django_settings

    assert django_settings.KESHER_IMPORT_MAX_BYTES == 50 * 1024 * 1024


def test_ragged_rows_duplicate_headers_formulas_and_marks_in_headers(users, api_for):
    rows = [
        ["\u200fשֵׁם פְּרָטִי\u200e", "עיר", "עיר", "הערות"],
        ["דנה", "חיפה", "עכו", '=HYPERLINK("http://x")'],
        ["רות", "יפו"],
        ["משה", "לוד", "רמלה", "", "עודף"],
    ]
    api = api_for(users["admin"], "en")
    job = _upload(api, csv_bytes(rows)).json()
    assert job["headers"][1:3] == ["עיר", "עיר (2)"]
    assert any("padded" in note for note in job["notes"])
    assert job["mapping"]["columns"]["0"]["field"] == "first_name"
    api.post(f"{URL}{job['id']}/check/")
    _run_worker(job["id"])
    api.post(f"{URL}{job['id']}/start/")
    _run_worker(job["id"])
    assert Contact.objects.count() == 3
    # A formula is kept as the text it was, never evaluated.
    assert Contact.objects.get(first_name="דנה").notes.startswith("=HYPERLINK")


@pytest.mark.parametrize(
    ("columns", "mode", "words"),
    [
        ({"0": {"field": "shoe_size"}}, "create", "there is no field"),
        ({"1": {"field": "last_name"}}, "create", "required field"),
        ({"0": {"field": "first_name"}, "1": {"field": "first_name"}}, "create", "Two columns"),
        ({"0": {"field": "first_name"}}, "upsert", "finds existing records"),
    ],
)
def test_bad_mappings_answer_400_and_keep_the_old_one(users, api_for, columns, mode, words):
    api = api_for(users["admin"], "en")
    job = _upload(api, csv_bytes([["first name", "last name"], ["a", "b"]])).json()
    response = api.put(
        f"{URL}{job['id']}/mapping/", {"mode": mode, "mapping": {"columns": columns}}
    )
    assert response.status_code == 400
    assert any(words in m for m in response.json()["mapping"])
    assert ImportJob.objects.get(pk=job["id"]).mapping == job["mapping"]


def test_required_column_missing_is_reported_for_every_row_and_nothing_written(users, api_for):
    api = api_for(users["admin"], "en")
    job = _upload(api, csv_bytes([["email"], ["a@example.com"], ["b@example.com"]])).json()
    response = api.put(
        f"{URL}{job['id']}/mapping/",
        {"mode": "create", "mapping": {"columns": {"0": {"field": "email"}}}},
    )
    assert response.status_code == 400
    assert "first name" in " ".join(response.json()["mapping"])
    assert not Contact.objects.exists()
    assert not ImportIssue.objects.exists()


def test_unknown_entity_and_missing_file(users, api_for):
    api = api_for(users["admin"], "en")
    assert api.post(URL, {"entity": "spaceships"}, format="json").status_code == 400
    response = api.post(URL, {"entity": "contacts"}, format="json")
    assert response.status_code == 400
    assert "file" in response.json()


def test_jobs_are_private_to_their_creator_and_admins(users, api_for):
    rep, other = users["sales_rep"], users["sales_rep2"]
    job = _upload(api_for(rep), csv_bytes([["first name"], ["a"]])).json()
    assert api_for(other).get(f"{URL}{job['id']}/").status_code == 404
    assert api_for(other).post(f"{URL}{job['id']}/check/").status_code == 404
    assert api_for(users["admin"]).get(f"{URL}{job['id']}/").status_code == 200
    assert [j["id"] for j in api_for(other).get(URL).json()["results"]] == []
    assert [j["id"] for j in api_for(users["admin"]).get(URL).json()["results"]] == [job["id"]]
    assert _upload(api_for(users["read_only"]), csv_bytes([["x"], ["y"]])).status_code == 403
    assert api_for(None).get(URL).status_code in (401, 403)


def test_job_list_queries_do_not_grow_with_jobs(users, api_for, django_assert_max_num_queries):
    admin = users["admin"]
    for _ in range(5):
        services.import_upload(
            actor=admin, entity="contacts", filename="a.csv", content=b"first name\nx\n"
        )
    api = api_for(admin)
    with django_assert_max_num_queries(8):
        response = api.get(URL)
    assert len(response.json()["results"]) == 5


def test_xlsx_upload_through_the_api(users, api_for):
    api = api_for(users["admin"])
    content = xlsx_bytes([["שם פרטי", "טלפון"], ["דנה", "03-1234567"]])
    job = _upload(api, content, "people.xlsx").json()
    assert (job["format"], job["total"]) == ("xlsx", 1)
    api.post(f"{URL}{job['id']}/check/")
    _run_worker(job["id"])
    api.post(f"{URL}{job['id']}/start/")
    _run_worker(job["id"])
    assert Contact.objects.get().phone == "+97231234567"
    assert SearchToken.objects.filter(entity="contacts").exists()


def test_schema_lists_the_import_endpoints_with_examples(api_schema):
    schema = api_schema()
    paths = schema["paths"]
    for path in (
        "/api/v1/imports/",
        "/api/v1/imports/{id}/mapping/",
        "/api/v1/imports/{id}/check/",
        "/api/v1/imports/{id}/start/",
        "/api/v1/imports/{id}/cancel/",
        "/api/v1/imports/{id}/undo/",
        "/api/v1/imports/{id}/issues/",
    ):
        assert path in paths, path
    upload = paths["/api/v1/imports/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert paths["/api/v1/imports/{id}/mapping/"]["put"]["requestBody"]["content"][
        "application/json"
    ]["examples"]


def test_missing_accounts_and_duplicates_through_the_api(users, api_for):
    """Issue 14 item 7: the dry run's report names the accounts not found; the mapping's
    "missing": "create" creates them at the import; duplicates are counted apart and to_write
    is what the import will write."""
    from kesher.customers.models import Account
    from kesher.customers.tests.factories import make_account

    rep = users["sales_rep"]
    make_account(rep, name="אלפא")
    api = api_for(rep, "en")
    rows = [
        ["first name", "email", "company"],
        ["Dana", "dana@example.com", "אלפא; בטא"],
        ["Yossi", "DANA@example.com", "בטא"],
        ["Ruth", "ruth@example.com", "גמא"],
    ]
    job = _upload(api, csv_bytes(rows)).json()
    accounts = next(f for f in job["fields"] if f["key"] == "accounts")
    assert (accounts["links_to"], accounts["many"]) == ("accounts", True)
    mapping = {"columns": {"0": "first_name", "1": "email", "2": "accounts"}}
    assert api.put(f"{URL}{job['id']}/mapping/", {"mapping": mapping}).status_code == 200
    api.post(f"{URL}{job['id']}/check/")
    _run_worker(job["id"])
    job = api.get(f"{URL}{job['id']}/").json()
    # Every row names an account not found: bad rows by default (a bad row is no duplicate).
    assert (job["created"], job["invalid"], job["duplicates"], job["to_write"]) == (0, 3, 0, 0)
    assert job["report"]["missing"]["2"]["values"] == ["בטא", "גמא"]
    assert job["report"]["missing"]["2"]["may_create"] is True

    mapping["columns"]["2"] = {"field": "accounts", "missing": "nonsense"}
    refused = api.put(f"{URL}{job['id']}/mapping/", {"mapping": mapping})
    assert refused.status_code == 400
    assert "choose report, create or leave" in str(refused.json())

    mapping["columns"]["2"] = {"field": "accounts", "missing": "create"}
    assert api.put(f"{URL}{job['id']}/mapping/", {"mapping": mapping}).status_code == 200
    api.post(f"{URL}{job['id']}/check/")
    _run_worker(job["id"])
    job = api.get(f"{URL}{job['id']}/").json()
    assert (job["created"], job["invalid"], job["duplicates"], job["to_write"]) == (2, 0, 1, 2)
    assert job["mapping"]["columns"]["2"]["missing"] == "create"
    issues = api.get(f"{URL}{job['id']}/issues/").json()
    assert "אותו דוא״ל כמו בשורה 2 של הקובץ." in str(issues)  # in the importer's language
    assert api.post(f"{URL}{job['id']}/start/").status_code == 202
    _run_worker(job["id"])
    assert sorted(Account.objects.values_list("name", flat=True)) == ["אלפא", "בטא", "גמא"]
    dana = Contact.objects.get(first_name="Dana")
    assert sorted(dana.accounts.values_list("name", flat=True)) == ["אלפא", "בטא"]


def test_the_schema_documents_missing_records_and_duplicates(users, api_for):
    schema = api_for(users["admin"], "en").get("/api/schema/?format=json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "create the accounts not found" in text
    assert '\\"missing\\"' in text or "missing" in text
    assert "to_write" in text
