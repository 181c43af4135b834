"""The duplicate scan and the review queue (REQ IM-3)."""

import pytest

from kesher.customers.tests.factories import (
    VALID_COMPANY_NUMBER,
    make_account,
    make_contact,
)
from kesher.dedupe.merge import pair_dismiss
from kesher.dedupe.models import DuplicatePair, DuplicateScan
from kesher.dedupe.scan import scan_run, scan_start

pytestmark = pytest.mark.django_db


def pairs(key="contacts"):
    return {
        (p.record_a, p.record_b): set(p.reasons) for p in DuplicatePair.objects.filter(entity=key)
    }


def key(a, b):
    return (min(a.pk, b.pk), max(a.pk, b.pk))


def test_scan_finds_exact_keys_and_similar_names(users):
    admin = users["admin"]
    a = make_contact(admin, first_name="דנה", last_name="כהן", phone="0525551234", city="חיפה")
    b = make_contact(admin, first_name="יעל", last_name="לוי", mobile="052-555-1234")
    c = make_contact(admin, first_name="Moshe", last_name="Levi", email="Moshe@X.co.il")
    d = make_contact(admin, first_name="Other", last_name="Person", email="moshe@x.co.il")
    e = make_contact(admin, first_name="שָׁלוֹם", last_name="כֹּהֵן", city="תל אביב")
    f = make_contact(admin, first_name="שלום", last_name="כהן", city="תל אביב")
    make_contact(admin, first_name="שלום", last_name="כהן", city="אילת")  # another city
    make_contact(admin, first_name="אחר", last_name="לגמרי", city="חיפה")
    scan = scan_start(actor=admin, entity_key="contacts")
    assert scan.status == DuplicateScan.Status.DONE
    found = pairs()
    assert found[key(a, b)] == {"phone"}
    assert found[key(c, d)] == {"email"}
    assert found[key(e, f)] == {"name"}
    assert len(found) == 3
    assert scan.found == 3
    assert scan.percent == 100


def test_accounts_scan_ignores_company_suffixes(users):
    admin = users["admin"]
    a = make_account(admin, name='אלפא מערכות בע"מ')
    b = make_account(admin, name="אלפא מערכות")
    c = make_account(admin, name="בטא", company_number=VALID_COMPANY_NUMBER)
    d = make_account(admin, name="גמא", company_number=VALID_COMPANY_NUMBER)
    scan_start(actor=admin, entity_key="accounts")
    found = pairs("accounts")
    assert found[key(a, b)] == {"name"}
    assert found[key(c, d)] == {"company_number"}


def test_rescan_keeps_dismissed_pairs_dismissed(users):
    admin = users["admin"]
    make_contact(admin, first_name="א", phone="0525551234")
    make_contact(admin, first_name="ב", phone="0525551234")
    scan_start(actor=admin, entity_key="contacts")
    pair = DuplicatePair.objects.get()
    pair_dismiss(pair, actor=admin)
    second = scan_start(actor=admin, entity_key="contacts")
    assert second.found == 0
    assert DuplicatePair.objects.get().status == "dismissed"


def test_a_shared_switchboard_phone_does_not_explode(users):
    admin = users["admin"]
    for n in range(30):
        make_contact(admin, first_name=f"n{n}", phone="036123456")
    scan_start(actor=admin, entity_key="contacts")
    assert DuplicatePair.objects.count() == 29


def test_large_scan_goes_to_the_worker(users, settings, django_capture_on_commit_callbacks):
    settings.KESHER_DEDUPE_INLINE_LIMIT = 1
    admin = users["admin"]
    make_contact(admin, first_name="א", phone="0525551234")
    make_contact(admin, first_name="ב", phone="0525551234")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scan = scan_start(actor=admin, entity_key="contacts")
    assert scan.status == DuplicateScan.Status.QUEUED
    assert len(callbacks) == 1
    scan_run(scan.pk)
    scan.refresh_from_db()
    assert scan.status == "done"
    assert DuplicatePair.objects.count() == 1


def test_only_those_who_may_merge_start_a_scan(users):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        scan_start(actor=users["sales_rep"], entity_key="contacts")
    assert not DuplicateScan.objects.exists()


def test_queue_shows_only_pairs_whose_records_the_user_sees(users, client_for):
    admin = users["admin"]
    mine = [
        make_contact(users["sales_rep"], first_name=f"m{i}", phone="0525551234") for i in (1, 2)
    ]
    theirs = make_contact(users["sales_rep2"], first_name="סודי", phone="0525551234")
    scan_start(actor=admin, entity_key="contacts")
    assert DuplicatePair.objects.count() == 3
    page = client_for(users["sales_rep"]).get("/duplicates/contacts/").content.decode()
    assert page.count("data-pair=") == 1
    assert f"/r/contacts/{theirs.pk}/" not in page
    assert "סודי" not in page
    assert f"/r/contacts/{mine[0].pk}/" in page
    assert 'id="start-scan"' not in page  # a rep may not merge, so no scan either
    admin_page = client_for(admin).get("/duplicates/contacts/").content.decode()
    assert admin_page.count("data-pair=") == 3


def test_queue_query_count_does_not_grow(users, client_for, django_assert_max_num_queries):
    admin = users["admin"]
    client = client_for(admin)
    for n in range(3):
        make_contact(admin, first_name=f"a{n}", email=f"same{n}@x.co.il")
        make_contact(admin, first_name=f"b{n}", email=f"same{n}@x.co.il")
    scan_start(actor=admin, entity_key="contacts")
    client.get("/duplicates/contacts/")
    with django_assert_max_num_queries(12) as few:
        client.get("/duplicates/contacts/")
    for n in range(3, 30):
        make_contact(admin, first_name=f"a{n}", email=f"same{n}@x.co.il")
        make_contact(admin, first_name=f"b{n}", email=f"same{n}@x.co.il")
    scan_start(actor=admin, entity_key="contacts")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/duplicates/contacts/")
    assert response.content.decode().count("data-pair=") == 30


def test_dismiss_from_the_queue(users, client_for):
    admin = users["admin"]
    make_contact(admin, first_name="א", phone="0525551234")
    make_contact(admin, first_name="ב", phone="0525551234")
    scan_start(actor=admin, entity_key="contacts")
    pair = DuplicatePair.objects.get()
    response = client_for(admin).post(f"/duplicates/pairs/{pair.pk}/dismiss/")
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == "dismissed"


def test_scan_button_runs_a_small_scan(users, client_for):
    admin = users["admin"]
    make_contact(admin, first_name="א", phone="0525551234")
    make_contact(admin, first_name="ב", phone="0525551234")
    response = client_for(admin).post("/duplicates/contacts/scan/")
    assert response.status_code == 302
    assert DuplicatePair.objects.count() == 1


def test_unknown_entity_is_404(users, client_for):
    assert client_for(users["admin"]).get("/duplicates/relationships/").status_code == 404


def test_a_common_name_in_one_city_is_no_evidence_by_itself(users):
    """Five records of one name in one city are five people named Cohen, unless a key says
    otherwise; up to four of one name are all paired (the bench's 1M contacts: 3M pairs → 0.3M)."""
    admin = users["admin"]
    common = [
        make_contact(admin, first_name="משה", last_name="כהן", city="ירושלים") for _ in range(5)
    ]
    make_contact(admin, first_name="Other", last_name="Person", phone="0525551234")
    same_phone = make_contact(
        admin, first_name="משה", last_name="כהן", city="ירושלים", phone="0525551234"
    )
    few = [make_contact(admin, first_name="רות", last_name="לוי", city="חיפה") for _ in range(3)]
    scan_start(actor=admin, entity_key="contacts")
    found = pairs()
    common_ids = {c.pk for c in [*common, same_phone]}
    assert not any(a in common_ids and b in common_ids for a, b in found)
    assert sum(1 for reasons in found.values() if reasons == {"phone"}) == 1
    assert {k for k, reasons in found.items() if reasons == {"name"}} == {
        key(few[0], few[1]),
        key(few[0], few[2]),
        key(few[1], few[2]),
    }


def test_similar_names_are_compared_across_runs(users):
    """Each distinct name is compared with the names before it in the city (typos, niqqud)."""
    admin = users["admin"]
    a = make_contact(admin, first_name="יוסי", last_name="אברהמי", city="חיפה")
    twin = make_contact(admin, first_name="יוסי", last_name="אברהמי", city="חיפה")
    typo = make_contact(admin, first_name="יוסי", last_name="אברהמיי", city="חיפה")
    scan_start(actor=admin, entity_key="contacts")
    found = pairs()
    assert found[key(a, twin)] == {"name"}
    assert found[key(a, typo)] == {"name"}  # the run's first record stands for the run
    same = DuplicatePair.objects.get(record_a=min(a.pk, twin.pk), record_b=max(a.pk, twin.pk))
    assert same.score == 100
