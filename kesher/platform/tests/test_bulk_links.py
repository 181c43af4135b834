"""Bulk "add a link" / "remove a link" on any many-to-many field an edit may change (issue 14
item 2; REQ IM-4, OR-3): tags, an account's companies, an interaction's participants. The
record to link must be one the actor may link; links to records he may not see are never
removed nor named by him; each chunk is one read, one insert or delete of link rows, one
version bump and one audit insert."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.test.utils import CaptureQueriesContext, isolate_apps

from kesher.activities.models import Interaction
from kesher.activities.tests.factories import make_interaction
from kesher.customers.models import Account, Contact
from kesher.customers.tests.factories import (
    OTHER_VALID_COMPANY_NUMBER,
    make_account,
    make_company,
    make_contact,
)
from kesher.platform import events
from kesher.platform.bulk import actions as bulk
from kesher.platform.bulk.writes import link_row_defaults
from kesher.platform.models import AuditEntry, BulkJob, Tag
from kesher.platform.registry import Entity, registry
from kesher.platform.testing.upgrade import database_at, nodes_before, upgrade

pytestmark = pytest.mark.django_db

THEIRS = "Hidden-Participant"
MISSING_EN = {"participant_contacts": ["No such record, or you may not link it."]}
BULK_LINK_ACTIONS = ("platform", "0011_bulk_link_actions")
MISSING_HE = {"participant_contacts": ["אין רשומה כזו, או שאין לך הרשאה לשייך אליה."]}


def post(client, key, **body):
    return client.post(f"/api/v1/bulk/{key}/", body, format="json")


def audits(model, *records):
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[r.pk for r in records],
        action="update",
    )


def speaking(user, language: str):
    """Pages speak the signed-in user's language."""
    user.language = language
    user.save(update_fields=["language"])
    return user


def linked(record, name: str) -> set:
    return set(getattr(type(record).objects.get(pk=record.pk), name).all())


@pytest.fixture
def received():
    delivered: list[events.Event] = []
    events.subscribe("*", delivered.append)
    yield delivered
    events.unsubscribe("*", delivered.append)


@pytest.fixture
def companies(users):
    return (
        make_company(users["admin"], "כשר בע״מ"),
        make_company(users["admin"], "Kesher North", OTHER_VALID_COMPANY_NUMBER),
    )


@pytest.fixture
def meeting(users):
    """rep1's meeting on his account, with his contact and rep2's contact taking part (an
    administrator logged it for him), and another contact of rep1's not taking part."""
    rep1, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep1, name="Rep One's account", owner=rep1)
    mine = make_contact(rep1, first_name="Own-Participant", last_name="x", owner=rep1)
    theirs = make_contact(rep2, first_name=THEIRS, last_name="y", owner=rep2)
    other = make_contact(rep1, first_name="Added", last_name="z", owner=rep1)
    interaction = make_interaction(
        users["admin"],
        account,
        owner=rep1,
        subject="Kickoff",
        m2m={"participant_contacts": [mine, theirs]},
    )
    return interaction, mine, theirs, other


@pytest.fixture(params=["by its service", "set-based"])
def path(request, monkeypatch):
    """Interactions' own update service moves participants' last-contact dates, so their
    links change through it record by record; the set-based path is checked on the same
    scoped field by marking the service as adding nothing."""
    if request.param == "set-based":
        service = registry.get("interactions").update_service
        monkeypatch.setattr(service, "bulk_compatible", True, raising=False)
    return request.param


# --- which fields -------------------------------------------------------------------------------


def test_the_fields_are_the_many_to_many_fields_a_single_edit_changes():
    names = {entity.key: set(bulk.link_fields(entity)) for entity in registry.all()}
    assert names["accounts"] == {"companies", "tags"}
    assert names["contacts"] == {"tags"}  # its accounts are linked with a role, on its page
    assert names["interactions"] == {"participant_users", "participant_contacts"}
    assert names["users"] == {"companies", "regions"}
    assert names["relationships"] == set()


def test_link_actions_are_offered_only_where_there_are_such_fields(users):
    admin = users["admin"]
    offered = {e.key: dict(bulk.available_actions(e, admin)) for e in registry.all()}
    assert {"add_link", "remove_link"} <= set(offered["accounts"])
    assert {"add_link", "remove_link"}.isdisjoint(offered["relationships"])


def test_a_contacts_account_link_takes_the_through_models_defaults():
    """ContactAccount's role may be left empty and ``is_primary`` has a default."""
    defaults = link_row_defaults(Contact._meta.get_field("accounts"))
    assert {f.name: value for f, value in defaults.items()} == {"role": "", "is_primary": False}


@isolate_apps("kesher.platform")
def test_a_through_model_with_a_column_needing_a_value_is_not_offered():
    class Label(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=20)

    class Holder(models.Model):  # noqa: DJ008
        graded = models.ManyToManyField(Label, through="Grade", related_name="+")
        noted = models.ManyToManyField(Label, through="Note", related_name="+")
        plain = models.ManyToManyField(Label, related_name="+")

    class Grade(models.Model):  # noqa: DJ008
        holder = models.ForeignKey(Holder, on_delete=models.CASCADE)
        label = models.ForeignKey(Label, on_delete=models.CASCADE)
        level = models.PositiveIntegerField()  # no default: each link needs its own

    class Note(models.Model):  # noqa: DJ008
        holder = models.ForeignKey(Holder, on_delete=models.CASCADE)
        label = models.ForeignKey(Label, on_delete=models.CASCADE)
        text = models.CharField(max_length=20, blank=True)
        weight = models.IntegerField(default=1)
        added_at = models.DateTimeField(auto_now_add=True)

    entity = Entity(
        key="holders",
        model=Holder,
        label="holder",
        label_plural="holders",
        form_fields=("graded", "noted", "plain"),
        owner_field=None,
    )
    assert set(bulk.link_fields(entity)) == {"noted", "plain"}
    assert link_row_defaults(Holder._meta.get_field("graded")) is None
    noted = link_row_defaults(Holder._meta.get_field("noted"))
    assert {f.name for f in noted} == {"text", "weight", "added_at"}
    assert link_row_defaults(Holder._meta.get_field("plain")) == {}


# --- the services: tags, companies, participants ------------------------------------------------


def test_add_and_remove_a_tag_on_contacts(users, api_for):
    rep = users["sales_rep"]
    vip, old = Tag.objects.create(name="VIP"), Tag.objects.create(name="old")
    tagged = make_contact(rep, m2m={"tags": [old]})
    plain = make_contact(rep)
    api = api_for(rep)
    response = post(
        api, "contacts", action="add_link", field="tags", value=vip.pk, ids=[tagged.pk, plain.pk]
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["updated"], response.json()["unchanged"]) == (2, 0)
    assert linked(tagged, "tags") == {vip, old}
    # Stored as references, named for each reader when read (decision 0042).
    assert audits(Contact, tagged).get().changes == {
        "_v": 2,
        "tags": [
            {"ref": "platform.tag", "ids": [old.pk]},
            {"ref": "platform.tag", "ids": sorted([old.pk, vip.pk])},
        ],
    }
    again = post(api, "contacts", action="add_link", field="tags", value=vip.pk, ids=[tagged.pk])
    assert (again.json()["updated"], again.json()["unchanged"]) == (0, 1)

    response = post(
        api,
        "contacts",
        action="remove_link",
        field="tags",
        value=str(vip.pk),
        ids=[tagged.pk, plain.pk],
    )
    assert response.json()["updated"] == 2
    assert linked(tagged, "tags") == {old}
    assert linked(plain, "tags") == set()
    assert [c.version for c in Contact.objects.filter(pk__in=[tagged.pk, plain.pk])] == [3, 3]


def test_add_and_remove_a_company_audits_bumps_and_emits_after_commit(
    users, api_for, companies, received, django_capture_on_commit_callbacks
):
    admin = users["admin"]
    kesher, north = companies
    both = make_account(admin, m2m={"companies": [kesher]})
    none = make_account(admin)
    api = api_for(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api,
            "accounts",
            action="add_link",
            field="companies",
            value=north.pk,
            ids=[both.pk, none.pk],
        )
    assert response.json()["updated"] == 2
    assert linked(both, "companies") == {kesher, north}
    assert linked(none, "companies") == {north}
    assert {a.object_id: a.changes for a in audits(Account, both, none)} == {
        both.pk: {
            "_v": 2,
            "companies": [
                {"ref": "companies", "ids": [kesher.pk]},
                {"ref": "companies", "ids": sorted([kesher.pk, north.pk])},
            ],
        },
        none.pk: {
            "_v": 2,
            "companies": [
                {"ref": "companies", "ids": []},
                {"ref": "companies", "ids": [north.pk]},
            ],
        },
    }
    assert {(e.name, e.object_id) for e in received} == {("updated", both.pk), ("updated", none.pk)}
    assert received[0].changes["companies"][1][0] == "Kesher North"

    response = post(
        api,
        "accounts",
        action="remove_link",
        field="companies",
        value=kesher.pk,
        ids=[both.pk, none.pk],
    )
    assert (response.json()["updated"], response.json()["unchanged"]) == (1, 1)
    assert linked(both, "companies") == {north}
    versions = dict(Account.objects.filter(pk__in=[both.pk, none.pk]).values_list("pk", "version"))
    assert versions == {both.pk: 3, none.pk: 2}


def test_users_companies(users, api_for, companies):
    kesher, _north = companies
    rep, agent = users["sales_rep"], users["support_agent"]
    response = post(
        api_for(users["admin"]),
        "users",
        action="add_link",
        field="companies",
        value=kesher.pk,
        ids=[rep.pk, agent.pk],
    )
    assert response.json()["updated"] == 2
    assert set(kesher.users.all()) == {rep, agent}


def test_participants_hidden_links_stay_whatever_the_rep_does(users, api_for, meeting, path):
    """Adding one participant or removing a visible one leaves rep2's contact, whom rep1 may
    not see, linked; rep1 cannot name rep2's contact to remove it."""
    interaction, mine, theirs, other = meeting
    api = api_for(users["sales_rep"], "en")
    added = post(
        api,
        "interactions",
        action="add_link",
        field="participant_contacts",
        value=other.pk,
        ids=[interaction.pk],
    )
    assert added.status_code == 200, added.json()
    assert added.json()["updated"] == 1
    assert linked(interaction, "participant_contacts") == {mine, theirs, other}

    removed = post(
        api,
        "interactions",
        action="remove_link",
        field="participant_contacts",
        value=mine.pk,
        ids=[interaction.pk],
    )
    assert removed.json()["updated"] == 1
    assert linked(interaction, "participant_contacts") == {theirs, other}

    version = Interaction.objects.get(pk=interaction.pk).version
    refused = post(
        api,
        "interactions",
        action="remove_link",
        field="participant_contacts",
        value=theirs.pk,
        ids=[interaction.pk],
    )
    assert (refused.status_code, refused.json()) == (400, MISSING_EN)
    assert linked(interaction, "participant_contacts") == {theirs, other}
    assert Interaction.objects.get(pk=interaction.pk).version == version


def test_an_administrator_removes_any_participant(users, api_for, meeting, path):
    """The control: whoever may see the linked record may remove its link."""
    interaction, mine, theirs, _other = meeting
    response = post(
        api_for(users["admin"]),
        "interactions",
        action="remove_link",
        field="participant_contacts",
        value=theirs.pk,
        ids=[interaction.pk],
    )
    assert response.json()["updated"] == 1
    assert linked(interaction, "participant_contacts") == {mine}


def test_adding_a_participant_moves_his_last_contact_through_the_service(users, api_for, meeting):
    interaction, _mine, _theirs, other = meeting
    post(
        api_for(users["sales_rep"]),
        "interactions",
        action="add_link",
        field="participant_contacts",
        value=other.pk,
        ids=[interaction.pk],
    )
    other = Contact.objects.get(pk=other.pk)
    assert other.last_contact_at == Interaction.objects.get(pk=interaction.pk).occurred_at


# --- refused: 400 naming the field, nothing written ---------------------------------------------


@pytest.mark.parametrize(("language", "expected"), [("en", MISSING_EN), ("he", MISSING_HE)])
def test_a_record_out_of_scope_and_a_missing_one_get_the_same_400(
    users, api_for, meeting, language, expected
):
    interaction, _mine, theirs, _other = meeting
    api = api_for(users["sales_rep"], language)
    answers = [
        post(
            api,
            "interactions",
            action="add_link",
            field="participant_contacts",
            value=value,
            ids=[interaction.pk],
        )
        for value in (theirs.pk, 987654321)
    ]
    assert [(r.status_code, r.json()) for r in answers] == [(400, expected), (400, expected)]
    assert Interaction.objects.get(pk=interaction.pk).version == 1
    assert audits(Interaction, interaction).count() == 0


@pytest.mark.parametrize(
    ("body", "error_key", "message"),
    [
        ({"value": 1}, "field", "Choose the field to change."),
        ({"field": "city", "value": 1}, "field", "Unknown field: city."),
        ({"field": "accounts", "value": 1}, None, None),  # not a field of accounts
        ({"field": "tags"}, "value", "This field is required."),
        ({"field": "tags", "value": "VIP"}, "tags", "No such record, or you may not link it."),
        ({"field": "tags", "value": [1]}, "tags", "No such record, or you may not link it."),
        ({"field": "tags", "value": True}, "tags", "No such record, or you may not link it."),
        ({"field": "tags", "value": 2**70}, "tags", "No such record, or you may not link it."),
    ],
)
def test_bad_link_requests_are_400_and_write_nothing(users, api_for, body, error_key, message):
    admin = users["admin"]
    Tag.objects.create(name="VIP")
    record = make_account(admin)
    response = post(api_for(admin, "en"), "accounts", action="add_link", ids=[record.pk], **body)
    assert response.status_code == 400
    if error_key is not None:
        assert response.json() == {error_key: [message]}
    assert Account.objects.get(pk=record.pk).version == 1


def test_a_link_field_not_offered_and_a_link_field_in_update_are_explained(users, api_for):
    admin = users["admin"]
    contact = make_contact(admin)
    not_offered = post(
        api_for(admin, "en"),
        "contacts",
        action="add_link",
        field="accounts",
        value=make_account(admin).pk,
        ids=[contact.pk],
    )
    assert not_offered.json() == {"field": ["Links on this field cannot be changed in bulk."]}
    as_update = post(
        api_for(admin, "en"), "contacts", action="update", field="tags", value=1, ids=[contact.pk]
    )
    assert as_update.json() == {"field": ["Add or remove one link at a time on this field."]}


def test_a_role_without_change_gets_403(users, api_for):
    tag = Tag.objects.create(name="VIP")
    record = make_account(users["admin"])
    response = post(
        api_for(users["read_only"]),
        "accounts",
        action="add_link",
        field="tags",
        value=tag.pk,
        ids=[record.pk],
    )
    assert response.status_code == 403
    assert not record.tags.exists()


# --- speed: a chunk costs the same queries for 5 records or 50 ----------------------------------


@pytest.mark.parametrize("action", ["add_link", "remove_link"])
def test_query_count_per_chunk_does_not_grow_with_the_records(users, api_for, companies, action):
    admin = users["admin"]
    api = api_for(admin)
    kesher, north = companies
    start = [kesher, north] if action == "remove_link" else [kesher]

    def run(records) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = post(
                api,
                "accounts",
                action=action,
                field="companies",
                value=north.pk,
                ids=[r.pk for r in records],
            )
        assert response.json()["updated"] == len(records)
        return len(captured)

    few = [make_account(admin, m2m={"companies": start}) for _ in range(5)]
    many = [make_account(admin, m2m={"companies": start}) for _ in range(50)]
    # Warm the caches (content types; the approvals' entity list, kept 60 s) just before.
    run([make_account(admin, m2m={"companies": start})])
    assert run(many) == run(few) <= 11
    expected = {kesher} if action == "remove_link" else {kesher, north}
    assert all(linked(r, "companies") == expected for r in many)


# --- the worker -------------------------------------------------------------------------------


def test_a_large_set_is_linked_by_the_worker_and_the_page_says_what_happened(
    users, api_for, client_for, companies, settings, django_capture_on_commit_callbacks
):
    settings.KESHER_BULK_INLINE_LIMIT = 5
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    admin = users["admin"]
    kesher, north = companies
    already = [make_account(admin, m2m={"companies": [north]}) for _ in range(3)]
    others = [make_account(admin, m2m={"companies": [kesher]}) for _ in range(9)]
    api = api_for(admin, "en")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            api, "accounts", action="add_link", field="companies", value=north.pk, filter={}
        )
    assert response.status_code == 202, response.json()
    progress = api.get(response.json()["url"]).json()
    assert (progress["status"], progress["action"], progress["updated"], progress["unchanged"]) == (
        "done",
        "add_link",
        9,
        3,
    )
    assert all(linked(r, "companies") == {kesher, north} for r in others)
    assert all(linked(r, "companies") == {north} for r in already)
    job = BulkJob.objects.get()
    assert job.params == {"field": "companies", "value": north.pk}
    hebrew = client_for(admin).get(f"/bulk/jobs/{job.pk}/").content.decode()
    assert "9 רשומות שויכו אל <bdi>Kesher North</bdi>" in hebrew
    assert "3 כבר היו משויכות" in hebrew
    english = client_for(speaking(admin, "en")).get(f"/bulk/jobs/{job.pk}/").content.decode()
    assert "9 records linked to <bdi>Kesher North</bdi>" in english
    assert "3 already were" in english


def test_a_job_whose_record_went_out_of_scope_fails_and_writes_nothing(users, meeting):
    """The worker checks the record to link again, as its actor may see it then."""
    interaction, _mine, _theirs, other = meeting
    rep = users["sales_rep"]
    plan = bulk.bulk_prepare(
        "interactions",
        actor=rep,
        action="add_link",
        field="participant_contacts",
        value=other.pk,
        ids=[interaction.pk],
    )
    job = BulkJob.objects.create(
        entity="interactions",
        action="add_link",
        params=plan.params,
        target=plan.targets.as_json(),
        actor=rep,
        total=1,
    )
    Contact.objects.filter(pk=other.pk).update(owner=users["sales_rep2"])
    bulk.bulk_job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.updated) == ("failed", 0)
    assert other not in linked(interaction, "participant_contacts")


# --- the page -----------------------------------------------------------------------------------


def test_the_form_offers_the_link_fields_by_their_labels(users, client_for):
    record = make_account(users["admin"])
    client = client_for(users["admin"])
    query = {"ids": [record.pk], "action": "add_link"}
    hebrew = client.get("/bulk/accounts/", query, headers={"HX-Request": "true"})
    html = hebrew.content.decode()
    assert '<option value="add_link" selected>הוספת שיוך</option>' in html
    assert '<option value="companies">חברות</option>' in html
    assert '<option value="tags">תגיות</option>' in html
    assert 'value="city"' not in html  # the fields an update sets are not links
    english = client_for(speaking(users["admin"], "en")).get(
        "/bulk/accounts/", query, headers={"HX-Request": "true"}
    )
    assert '<option value="companies">Companies</option>' in english.content.decode()


def test_a_small_target_is_chosen_from_a_select(users, client_for):
    Tag.objects.create(name="VIP")
    record = make_account(users["admin"])
    response = client_for(users["admin"]).get(
        "/bulk/accounts/",
        {"ids": [record.pk], "action": "add_link", "field": "tags"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert '<select name="value"' in html
    assert ">VIP</option>" in html
    assert "record-picker" not in html


def test_a_large_target_is_chosen_with_the_record_picker(users, client_for, meeting):
    interaction, _mine, _theirs, other = meeting
    response = client_for(users["sales_rep"]).get(
        "/bulk/interactions/",
        {
            "ids": [interaction.pk],
            "action": "remove_link",
            "field": "participant_contacts",
            "value": other.pk,
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'hx-get="/pick/contacts/"' in html
    assert 'for="bulk-value-search"' in html
    assert f'name="value" value="{other.pk}"' in html
    assert 'value="Added z"' in html  # the chosen record, named in the search box
    assert '<select name="value"' not in html
    assert THEIRS not in html


def test_the_page_links_within_the_lists_search_despite_the_pickers_text(
    users, client_for, meeting
):
    """The form carries the list's search as ``search``: the record picker sends what was
    typed into it as ``q``, which must not narrow the records."""
    interaction, _mine, _theirs, other = meeting
    rep = speaking(users["sales_rep"], "en")
    elsewhere = make_interaction(rep, subject="Other call", owner=rep)
    response = client_for(rep).post(
        "/bulk/interactions/",
        {
            "filter": "{}",
            "search": "Kickoff",
            "q": "Added",
            "action": "add_link",
            "field": "participant_contacts",
            "value": other.pk,
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "1 record linked to <bdi>Added z</bdi>" in html, html
    assert other in linked(interaction, "participant_contacts")
    assert other not in linked(elsewhere, "participant_contacts")
    form = client_for(rep).get("/bulk/interactions/", {"filter": "{}", "q": "Kickoff"})
    assert '<input type="hidden" name="search" value="Kickoff">' in form.content.decode()


def test_the_page_removes_a_link_and_says_so(users, client_for, companies):
    admin = users["admin"]
    kesher, _north = companies
    records = [make_account(admin, m2m={"companies": [kesher]}) for _ in range(2)]
    plain = make_account(admin)
    response = client_for(admin).post(
        "/bulk/accounts/",
        {
            "ids": [r.pk for r in [*records, plain]],
            "action": "remove_link",
            "field": "companies",
            "value": kesher.pk,
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "השיוך אל <bdi>כשר בע״מ</bdi> הוסר מ־2 רשומות" in html, html
    assert "רשומה אחת לא הייתה משויכת" in html
    assert all(linked(r, "companies") == set() for r in records)


def test_the_page_shows_a_refused_record_beside_the_value(users, client_for, meeting):
    interaction, _mine, theirs, _other = meeting
    response = client_for(users["sales_rep"]).post(
        "/bulk/interactions/",
        {
            "ids": [interaction.pk],
            "action": "add_link",
            "field": "participant_contacts",
            "value": theirs.pk,
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert 'id="bulk-form"' in html
    assert "אין רשומה כזו, או שאין לך הרשאה לשייך אליה." in html
    assert THEIRS not in html


# --- the upgrade --------------------------------------------------------------------------------


def test_a_tag_job_queued_before_the_upgrade_is_a_link_job_after_it(transactional_db):
    """A job waiting in the queue across the upgrade runs as the generic link action it became
    (``test_bulk`` runs such a job)."""
    with database_at(nodes_before(BULK_LINK_ACTIONS, apps=["customers"]), replay=False) as old:
        admin = old.get_model("org", "User").objects.create(username="dana", is_superuser=True)
        account = old.get_model("customers", "Account").objects.create(name="אקמה", owner=admin)
        vip = old.get_model("platform", "Tag").objects.create(name="VIP")
        job = old.get_model("platform", "BulkJob").objects.create(
            entity="accounts",
            action="add_tag",
            params={"tag": vip.pk},
            target={"ids": [account.pk]},
            actor=admin,
            total=1,
        )
        new = upgrade(to=BULK_LINK_ACTIONS)
        job = new.get_model("platform", "BulkJob").objects.get(pk=job.pk)
        assert (job.action, job.params) == ("add_link", {"field": "tags", "value": vip.pk})
        assert (job.target, job.total, job.status) == ({"ids": [account.pk]}, 1, "queued")
