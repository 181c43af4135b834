"""Merging two records (REQ IM-3): field winners, every related record re-pointed, history
kept, one transaction; access and bad input; the page and the API give the same result."""

import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from kesher.customers.models import Contact, ContactAccount, Relationship
from kesher.customers.services import contact_link_account
from kesher.customers.tests.factories import make_account, make_contact, make_relationship
from kesher.dedupe.merge import merge_records
from kesher.dedupe.models import DuplicatePair
from kesher.platform.models import Attachment, AuditEntry, CustomField, Tag
from kesher.platform.records.attachments import attachment_add
from kesher.platform.records.history import describe
from kesher.platform.records.services import ConflictError

pytestmark = pytest.mark.django_db


def history(obj):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    )


@pytest.fixture
def region(db):
    return CustomField.objects.create(
        entity="contacts", key="region", label_he="אזור", label_en="Region", type="text"
    )


@pytest.fixture
def pair(users, region):
    """Two records of one person, each with links of its own."""
    admin = users["admin"]
    tag_a, tag_b = Tag.objects.create(name="VIP"), Tag.objects.create(name="club")
    shared_account = make_account(admin, name="חברה משותפת")
    other_account = make_account(admin, name="חברה אחרת")
    friend = make_contact(admin, first_name="חבר")
    winner = make_contact(
        admin,
        first_name="דנה",
        last_name="כהן",
        phone="0525551234",
        custom={"region": "north"},
        m2m={"tags": [tag_a]},
    )
    loser = make_contact(
        admin,
        first_name="דנה",
        last_name="כהן",
        email="dana@example.co.il",
        city="חיפה",
        phone="0520000000",
        m2m={"tags": [tag_a, tag_b]},
    )
    contact_link_account(winner, actor=admin, account=shared_account, role="מנכ״לית")
    contact_link_account(loser, actor=admin, account=shared_account, role="")
    contact_link_account(loser, actor=admin, account=other_account, role="יועצת")
    make_relationship(admin, "parent", from_contact=loser, to_contact=friend)
    # A relationship between the two records would become a record related to itself.
    make_relationship(admin, "parent", from_contact=winner, to_contact=loser)
    attachment_add(
        loser, actor=admin, uploaded=SimpleUploadedFile("cv.txt", b"hello", "text/plain")
    )
    return {
        "winner": winner,
        "loser": loser,
        "shared": shared_account,
        "other": other_account,
        "friend": friend,
        "tags": {tag_a.pk, tag_b.pk},
    }


def test_merge_takes_chosen_fields_and_repoints_everything(users, pair):
    admin = users["admin"]
    winner, loser = pair["winner"], pair["loser"]
    loser_history = set(history(loser).values_list("pk", flat=True))
    result = merge_records(
        winner, loser, actor=admin, fields={"phone": "loser", "custom_fields.region": "winner"}
    )
    merged = Contact.objects.get(pk=winner.pk)
    assert not Contact.objects.filter(pk=loser.pk).exists()
    # Chosen field, defaults (empty in the winner → the loser's), custom field kept.
    assert merged.phone == "+972520000000"
    assert merged.email == "dana@example.co.il"
    assert merged.city == "חיפה"
    assert merged.custom == {"region": "north"}
    # Tags united; the shared account linked once (the winner's link and role kept).
    assert set(merged.tags.values_list("pk", flat=True)) == pair["tags"]
    links = ContactAccount.objects.filter(contact=merged)
    assert {(link.account_id, link.role) for link in links} == {
        (pair["shared"].pk, "מנכ״לית"),
        (pair["other"].pk, "יועצת"),
    }
    # The loser's relationship moved; the one between the two is gone (no self-relation).
    assert Relationship.objects.filter(from_contact=merged, to_contact=pair["friend"]).exists()
    assert not Relationship.objects.filter(from_contact=merged, to_contact=merged).exists()
    assert (
        Attachment.objects.filter(
            content_type=ContentType.objects.get_for_model(Contact), object_id=merged.pk
        ).count()
        == 1
    )
    # The loser's history shows on the winner's timeline, plus the merge entry.
    assert loser_history <= set(history(merged).values_list("pk", flat=True))
    summary = history(merged).order_by("-pk").first().changes
    assert any(f"#{loser.pk}" in str(v) for v in summary.values())
    assert result.fields_taken
    assert any("relationship" in d.lower() or "קשר" in d for d in result.dropped)
    # The loser's id still tells where it went.
    assert history(loser).filter(action="delete").exists()


def test_merge_bumps_winner_version_and_marks_the_pair(users, pair):
    winner, loser = pair["winner"], pair["loser"]
    DuplicatePair.objects.create(
        entity="contacts", record_a=winner.pk, record_b=loser.pk, score=100
    )
    version = Contact.objects.get(pk=winner.pk).version
    merge_records(winner, loser, actor=users["admin"], fields={})
    assert Contact.objects.get(pk=winner.pk).version > version
    assert DuplicatePair.objects.get(record_a=winner.pk).status == "merged"


def test_loser_pairs_move_to_the_winner(users):
    admin = users["admin"]
    a, b, c = (make_contact(admin, first_name=n) for n in ("א", "ב", "ג"))
    DuplicatePair.objects.create(entity="contacts", record_a=a.pk, record_b=b.pk)
    DuplicatePair.objects.create(entity="contacts", record_a=b.pk, record_b=c.pk)
    merge_records(a, b, actor=admin)
    moved = DuplicatePair.objects.get(status="open")
    assert (moved.record_a, moved.record_b) == (a.pk, c.pk)


def test_merging_a_record_with_itself_is_refused(users):
    dana = make_contact(users["admin"], first_name="דנה")
    with pytest.raises(ValidationError):
        merge_records(dana, dana, actor=users["admin"])


def test_merging_records_of_two_entities_is_refused(users):
    dana = make_contact(users["admin"], first_name="דנה")
    account = make_account(users["admin"], name="דנה")
    with pytest.raises(ValidationError):
        merge_records(dana, account, actor=users["admin"])
    assert Contact.objects.filter(pk=dana.pk).exists()


def test_stale_version_changes_nothing(users, pair):
    winner, loser = pair["winner"], pair["loser"]
    with pytest.raises(ConflictError):
        merge_records(winner, loser, actor=users["admin"], loser_version=loser.version + 5)
    assert Contact.objects.filter(pk=loser.pk).exists()
    assert ContactAccount.objects.filter(contact=loser).count() == 2


def test_unknown_field_or_side_is_refused(users, pair):
    with pytest.raises(ValidationError) as error:
        merge_records(
            pair["winner"], pair["loser"], actor=users["admin"], fields={"nonsense": "loser"}
        )
    assert "nonsense" in error.value.message_dict
    with pytest.raises(ValidationError):
        merge_records(pair["winner"], pair["loser"], actor=users["admin"], fields={"phone": "x"})
    assert Contact.objects.filter(pk=pair["loser"].pk).exists()


def test_a_rep_cannot_merge(users):
    """Sales reps may not delete contacts, so they may not merge even their own."""
    rep = users["sales_rep"]
    a = make_contact(rep, first_name="א")
    b = make_contact(rep, first_name="ב")
    with pytest.raises(PermissionDenied):
        merge_records(a, b, actor=rep)


def test_a_manager_cannot_merge_a_record_outside_the_department(users):
    manager = users["manager"]
    mine = make_contact(users["sales_rep"], first_name="א")  # North, under Sales
    theirs = make_contact(users["sales_rep2"], first_name="ב")  # Service
    with pytest.raises(PermissionDenied):
        merge_records(mine, theirs, actor=manager)
    assert Contact.objects.count() == 2


def test_failure_midway_rolls_everything_back(users, pair, monkeypatch):
    import kesher.dedupe.merge as merge_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(merge_module, "_update_pairs", boom)
    with pytest.raises(RuntimeError):
        merge_records(pair["winner"], pair["loser"], actor=users["admin"])
    assert ContactAccount.objects.filter(contact=pair["loser"]).count() == 2
    assert Contact.objects.filter(pk=pair["loser"].pk).exists()


def test_accounts_merge_keeps_contact_links(users):
    admin = users["admin"]
    a = make_account(admin, name='אלפא בע"מ')
    b = make_account(admin, name="אלפא", phone="035551234")
    person = make_contact(admin, first_name="איש")
    contact_link_account(person, actor=admin, account=b, role="מנהל")
    merge_records(a, b, actor=admin)
    assert ContactAccount.objects.get(contact=person).account_id == a.pk


def _snapshot(contact):
    contact = Contact.objects.get(pk=contact.pk)
    return {
        "fields": {
            f: getattr(contact, f) for f in ("first_name", "last_name", "email", "phone", "city")
        },
        "custom": contact.custom,
        "tags": sorted(contact.tags.values_list("name", flat=True)),
        "links": sorted(
            ContactAccount.objects.filter(contact=contact).values_list("role", flat=True)
        ),
        "relationships": Relationship.objects.filter(from_contact=contact).count(),
        "history": history(contact).count(),
    }


def test_page_and_api_give_the_same_result(users, client_for, api_for, region, django_db_blocker):
    """The same two records merged through the wizard and through the API end alike."""
    admin = users["admin"]
    results = []
    for channel in ("page", "api"):
        winner = make_contact(
            admin, first_name="רון", last_name=channel, custom={"region": "south"}
        )
        loser = make_contact(
            admin,
            first_name="רון",
            last_name=channel,
            email=f"{channel}@x.co.il",
            phone="0521112222",
            custom={"region": "north"},
        )
        account = make_account(admin, name=f"חשבון {channel}")
        contact_link_account(loser, actor=admin, account=account, role="קונה")
        if channel == "page":
            response = client_for(admin).post(
                f"/duplicates/contacts/merge/{winner.pk}/{loser.pk}/",
                {"keep": "a", "f:custom_fields.region": "b", "f:phone": "b"},
            )
            assert response.status_code == 302, response.content.decode()[:500]
        else:
            response = api_for(admin).post(
                "/api/v1/merge/contacts/",
                {
                    "winner": winner.pk,
                    "loser": loser.pk,
                    "fields": {"custom_fields.region": "loser", "phone": "loser"},
                },
                format="json",
            )
            assert response.status_code == 200, response.data
            assert response.data["record"]["id"] == winner.pk
        snapshot = _snapshot(winner)
        snapshot["fields"]["last_name"] = snapshot["fields"]["email"] = None
        results.append(snapshot)
    assert results[0] == results[1]
    assert results[0]["custom"] == {"region": "north"}
    assert results[0]["fields"]["phone"] == "+972521112222"


def test_the_merge_entry_reads_in_its_readers_language(users, pair):
    """The merge's provenance keeps field keys and kinds of records, read in the reader's
    language (issue 14 item 7; decision 0042): a Hebrew administrator merges, an English
    reader reads."""
    admin, reader = users["admin"], users["read_only"]
    winner, loser = pair["winner"], pair["loser"]
    with translation.override("he"):
        merge_records(winner, loser, actor=admin, fields={"phone": "loser"})
    entry = history(winner).order_by("-pk").first()
    assert set(entry.changes) == {
        "_v",
        "merged_from",
        "fields_taken",
        "records_moved",
        "links_dropped",
    }
    with translation.override("en"):
        (entry,) = describe([entry], reader)
        rows = {label: new for label, _old, new in entry.rows}
        attachments = str(Attachment._meta.verbose_name_plural)
        relationships = str(Relationship._meta.verbose_name_plural)
    assert rows["merged from"] == f"#{loser.pk} דנה כהן"
    assert set(rows["fields taken"].split(", ")) == {"phone", "email", "city"}
    assert f"{attachments}: 1" in rows["records moved"]
    assert f"{relationships}: 1" in rows["duplicate links dropped"]
    assert "tags: 1" in rows["duplicate links dropped"]  # the tag both had
    hebrew = re.compile("[\u0590-\u05ff]")
    assert not any(hebrew.search(f"{k} {v}") for k, v in rows.items() if k != "merged from")
