"""Phone campaigns (REQ MK-1) and the do-not-call list (Communications Law §30A; ISRAEL.md
"Advertising messages"; decision 0121): the call list built from the segment when asked, those
who refused calls and the numbers on the do-not-call list skipped, the calls split among agents
evenly or round-robin, an agent's own list, a number added meanwhile refused when the call is
opened, every outcome an interaction on the person and counted on the campaign, an interested
person's lead or deal attributed to the campaign; the do-not-call list imported from a CSV file
or the API, all or nothing."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kesher.activities.models import Interaction
from kesher.marketing import calls
from kesher.marketing.models import CampaignCall, DoNotCallNumber
from kesher.marketing.services import consent_refuse
from kesher.marketing.tests.conftest import choice, make_contacts
from kesher.platform.records.services import record_create, record_update
from kesher.sales.models import Lead, Opportunity

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(marketing, users):
    campaign = record_update(
        marketing["campaign"],
        actor=marketing["manager"],
        data={"campaign_type": choice("campaign_type", "phone"), "name": "שיחות חורף"},
    )
    return {**marketing, "campaign": campaign, "agents": [users["sales_rep"], users["sales_rep2"]]}


def build(phone, split="even", agents=None):
    return calls.call_list_build(
        phone["campaign"], actor=phone["manager"], agents=agents or phone["agents"], split=split
    )


def outcome(value):
    return choice("call_outcome", value)


# --- building the list --------------------------------------------------------------------------


def test_the_list_skips_refusals_and_the_do_not_call_list_and_splits_evenly(phone):
    manager = phone["manager"]
    people = make_contacts(manager, 6, consent_kind=None)
    refused = make_contacts(manager, 1, consent_kind=None)[0]
    consent_refuse(contact=refused, channel="phone", actor=manager)
    listed = make_contacts(manager, 1, consent_kind=None)[0]
    DoNotCallNumber.objects.create(phone=listed.mobile, source="מאגר")
    make_contacts(manager, 2, consent_kind=None, city="אילת")  # outside the segment
    counts = build(phone)
    assert counts["added"] == 6
    assert counts["refused"] == 1
    assert counts["do_not_call"] == 1
    rows = CampaignCall.objects.filter(campaign=phone["campaign"])
    assert rows.count() == 8
    rep1, rep2 = phone["agents"]
    first = list(rows.filter(agent=rep1).order_by("position").values_list("contact", flat=True))
    second = list(rows.filter(agent=rep2).order_by("position").values_list("contact", flat=True))
    ids = [p.pk for p in people]
    # Evenly: consecutive blocks of the segment's order.
    assert first == ids[:3]
    assert second == ids[3:]
    assert rows.get(contact=refused).status == CampaignCall.Status.REFUSED
    assert rows.get(contact=refused).agent is None
    assert rows.get(contact=listed).status == CampaignCall.Status.DO_NOT_CALL
    assert rows.get(contact=people[0]).phone == people[0].mobile


def test_round_robin_alternates_and_building_again_adds_only_newcomers(phone):
    manager = phone["manager"]
    people = make_contacts(manager, 5, consent_kind=None)
    build(phone, split="round_robin")
    rep1, rep2 = phone["agents"]
    rows = CampaignCall.objects.filter(campaign=phone["campaign"])
    assert list(rows.filter(agent=rep1).order_by("position").values_list("contact", flat=True)) == [
        people[0].pk,
        people[2].pk,
        people[4].pk,
    ]
    newcomers = make_contacts(manager, 2, consent_kind=None)
    counts = build(phone, split="round_robin", agents=[rep2])
    assert counts["added"] == 2
    assert counts["already_listed"] == 5
    assert list(rows.filter(agent=rep2).order_by("position").values_list("contact", flat=True)) == [
        people[1].pk,
        people[3].pk,
        newcomers[0].pk,
        newcomers[1].pk,
    ]


def test_only_a_phone_campaign_with_a_segment_and_agents_who_may_see_calls(phone, users, marketing):
    make_contacts(phone["manager"], 2, consent_kind=None)
    email = record_create(
        "campaigns",
        actor=phone["manager"],
        data={"name": "דיוור", "campaign_type": choice("campaign_type", "email")},
    )
    with pytest.raises(ValidationError) as error:
        calls.call_list_build(email, actor=phone["manager"], agents=phone["agents"])
    assert "campaign_type" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        build(phone, agents=[users["read_only"]])  # his role reads no calls
    assert "agents" in error.value.message_dict
    for bad in ([], ["x"], [999999], "1,2"):
        with pytest.raises(ValidationError):
            calls.call_list_build(phone["campaign"], actor=phone["manager"], agents=bad)
    with pytest.raises(ValidationError):
        build(phone, split="random")
    assert not CampaignCall.objects.exists()


# --- the agent's calls -------------------------------------------------------------------------


def test_an_agent_sees_only_his_calls_and_logs_outcomes_as_interactions(phone, client):
    manager = phone["manager"]
    people = make_contacts(manager, 4, consent_kind=None)
    build(phone)
    rep1, _rep2 = phone["agents"]
    mine = list(calls.agent_calls(phone["campaign"], rep1))
    assert {c.agent_id for c in mine} == {rep1.pk}
    assert len(mine) == 2
    first, second = mine
    calls.call_log(first, actor=rep1, outcome=outcome("reached"), notes="דיברנו")
    later = timezone.now() + datetime.timedelta(days=1)
    calls.call_log(second, actor=rep1, outcome="callback", callback_at=later.isoformat())
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == CampaignCall.Status.DONE
    assert first.attempts == 1
    assert second.status == CampaignCall.Status.PENDING
    assert second.callback_at == later
    interaction = Interaction.objects.get(pk=first.interaction_id)
    assert interaction.link_type == "contacts"
    assert interaction.link_id == people[0].pk
    assert interaction.kind.value == "call"
    assert interaction.outcome.value == "reached"
    assert interaction.owner == rep1
    assert interaction.body == "דיברנו"
    assert "שיחות חורף" in interaction.subject
    progress = calls.call_progress(phone["campaign"])
    assert progress["listed"] == 4
    assert progress["called"] == 2
    assert progress["pending"] == 2
    assert progress["to_call_again"] == 1
    assert progress["done"] == 1
    assert {o["value"]: o["count"] for o in progress["by_outcome"]} == {
        "reached": 1,
        "callback": 1,
    }
    # A callback needs a time in the future; an outcome of another list is refused.
    for bad in (
        {"outcome": "callback"},
        {"outcome": "callback", "callback_at": "2001-01-01T10:00"},
    ):
        with pytest.raises(ValidationError):
            calls.call_log(second, actor=rep1, **bad)
    with pytest.raises(ValidationError):
        calls.call_log(second, actor=rep1, outcome=choice("campaign_status", "active"))
    with pytest.raises(ValidationError):
        calls.call_log(second, actor=rep1, outcome="reached", notes="x" * 5001)
    second.refresh_from_db()
    assert second.attempts == 1


def test_interested_makes_a_deal_or_a_lead_attributed_to_the_campaign(phone):
    manager = phone["manager"]
    make_contacts(manager, 2, consent_kind=None)
    build(phone, agents=[phone["agents"][0]])
    rep1 = phone["agents"][0]
    first, second = calls.agent_calls(phone["campaign"], rep1)
    with pytest.raises(ValidationError) as error:
        calls.call_log(first, actor=rep1, outcome="interested")
    assert "convert_to" in error.value.message_dict
    first = calls.call_log(first, actor=rep1, outcome="interested", convert_to="deal")
    deal = Opportunity.objects.get(pk=first.new_deal_id)
    assert deal.campaign == phone["campaign"]
    assert deal.last_campaign == phone["campaign"]
    assert deal.owner == rep1
    assert list(deal.contacts.all()) == [first.contact]
    second = calls.call_log(second, actor=rep1, outcome="interested", convert_to="lead")
    lead = Lead.objects.get(pk=second.new_lead_id)
    assert lead.campaign == phone["campaign"]
    assert lead.mobile == second.contact.mobile


def test_a_number_added_meanwhile_is_refused_when_the_call_is_opened(phone):
    manager = phone["manager"]
    make_contacts(manager, 2, consent_kind=None)
    build(phone, agents=[phone["agents"][0]])
    rep1 = phone["agents"][0]
    first, second = calls.agent_calls(phone["campaign"], rep1)
    result = calls.call_open(first, actor=rep1)
    assert result.tel == f"tel:{first.phone}"
    assert result.dialled == ""
    calls.do_not_call_import(actor=manager, numbers=[second.phone], source="בקשת הלקוח")
    with pytest.raises(ValidationError) as error:
        calls.call_open(second, actor=rep1)
    assert "phone" in error.value.message_dict
    second.refresh_from_db()
    assert second.status == CampaignCall.Status.DO_NOT_CALL
    with pytest.raises(ValidationError):
        calls.call_log(second, actor=rep1, outcome="reached")
    # A refusal recorded since, too.
    consent_refuse(contact=first.contact, channel="phone", actor=manager)
    with pytest.raises(ValidationError):
        calls.call_open(first, actor=rep1)
    assert calls.call_progress(phone["campaign"])["do_not_call"] == 1


def test_the_pages_my_calls_open_and_log(phone, client):
    manager = phone["manager"]
    make_contacts(manager, 4, consent_kind=None)
    rep1, rep2 = phone["agents"]
    client.force_login(manager)
    response = client.post(
        reverse("marketing_call_list_build", args=[phone["campaign"].pk]),
        {"agents": [rep1.pk, rep2.pk], "split": "round_robin"},
    )
    assert response.status_code == 302
    assert CampaignCall.objects.filter(campaign=phone["campaign"]).count() == 4
    page = client.get(reverse("entity_detail", args=["campaigns", phone["campaign"].pk]))
    assert b'id="call-progress"' in page.content
    client.force_login(rep1)
    url = reverse("marketing_my_calls", args=[phone["campaign"].pk])
    page = client.get(url)
    mine = list(CampaignCall.objects.filter(agent=rep1))
    others = list(CampaignCall.objects.filter(agent=rep2))
    assert all(f'id="call-{c.pk}"'.encode() in page.content for c in mine)
    assert not any(f'id="call-{c.pk}"'.encode() in page.content for c in others)
    opened = client.post(reverse("marketing_call_open", args=[mine[0].pk]))
    assert opened.status_code == 302
    assert opened["Location"] == f"tel:{mine[0].phone}"
    logged = client.post(
        reverse("marketing_call_log", args=[mine[0].pk]), {"outcome": outcome("reached").pk}
    )
    assert logged.status_code == 302
    mine[0].refresh_from_db()
    assert mine[0].outcome.value == "reached"
    # Another agent's call: not found.
    assert client.post(reverse("marketing_call_log", args=[others[0].pk])).status_code == 404
    assert client.post(reverse("marketing_call_open", args=[others[0].pk])).status_code == 404


def test_the_agents_list_and_the_progress_take_constant_queries(phone, client):
    manager = phone["manager"]
    rep1 = phone["agents"][0]

    def measure(n):
        CampaignCall.objects.all().delete()
        make_contacts(manager, n, consent_kind=None)
        build(phone, agents=[rep1])
        for call in list(calls.agent_calls(phone["campaign"], rep1))[: n // 2]:
            calls.call_log(call, actor=rep1, outcome="no_answer")
        client.force_login(rep1)
        with CaptureQueriesContext(connection) as page:
            assert (
                client.get(
                    reverse("marketing_my_calls", args=[phone["campaign"].pk]) + "?show=all"
                ).status_code
                == 200
            )
        with CaptureQueriesContext(connection) as progress:
            calls.call_progress(phone["campaign"])
            calls.progress_by_agent(phone["campaign"])
        client.force_login(manager)
        with CaptureQueriesContext(connection) as api:
            assert (
                client.get(f"/api/v1/campaigns/{phone['campaign'].pk}/call-progress/").status_code
                == 200
            )
        return len(page), len(progress), len(api)

    small = measure(2)
    large = measure(12)
    assert small == large, (small, large)
    assert small[1] == 3


# --- the do-not-call list -----------------------------------------------------------------------


def test_import_normalizes_keeps_the_source_and_is_all_or_nothing(users):
    manager = users["manager"]
    numbers = calls.read_numbers("טלפון\n052-555-1234\n+972 3 555 6789\n0525551234\n".encode())
    assert numbers == ["+972525551234", "+97235556789", "+972525551234"]
    result = calls.do_not_call_import(actor=manager, numbers=numbers, source="מאגר דצמבר")
    assert result == {"added": 2, "already_listed": 0, "total": 2}
    row = DoNotCallNumber.objects.get(phone="+972525551234")
    assert row.source == "מאגר דצמבר"
    assert row.added_on == timezone.localdate()
    assert row.added_by == manager
    again = calls.do_not_call_import(actor=manager, numbers=numbers, source="שוב")
    assert again["added"] == 0
    assert again["already_listed"] == 2
    assert DoNotCallNumber.objects.get(phone="+972525551234").source == "מאגר דצמבר"
    for bad in (
        b"052-555-1234\nnot a number\n",
        b'052-555-1234\n=HYPERLINK("http://x")\n',
        b"@SUM(A1)\n",
        b"+1 202 555 0143\n",  # not Israeli
        b"\xff\xfe\x00bad",
        b"",
        b"0" * (calls.MAX_IMPORT_BYTES + 1),
    ):
        with pytest.raises(ValidationError):
            calls.read_numbers(bad)
    with pytest.raises(ValidationError):
        calls.do_not_call_import(actor=manager, numbers=["+972521111111"], source="  ")
    assert DoNotCallNumber.objects.count() == 2


def test_import_page_and_api_refuse_bad_files_writing_nothing(users, client):
    manager = users["manager"]
    client.force_login(manager)
    url = reverse("marketing_do_not_call_import")
    bad = SimpleUploadedFile("dnc.csv", b"0521234567\n<script>alert(1)</script>\n")
    response = client.post(url, {"file": bad, "source": "מאגר"})
    assert response.status_code == 400
    assert "&lt;script&gt;" in response.content.decode() or b"<script>alert" not in response.content
    assert not DoNotCallNumber.objects.exists()
    good = SimpleUploadedFile("dnc.csv", "מספר\n052-123-4567\n03-555-6789\n".encode())
    response = client.post(url, {"file": good, "source": "מאגר"})
    assert response.status_code == 200
    assert DoNotCallNumber.objects.count() == 2
    api = client.post(
        "/api/v1/do-not-call/import/",
        {"source": "API", "numbers": ["054-777-8888", "=1+1"]},
        content_type="application/json",
    )
    assert api.status_code == 400
    assert DoNotCallNumber.objects.count() == 2
    api = client.post(
        "/api/v1/do-not-call/import/",
        {"source": "API", "numbers": ["054-777-8888"]},
        content_type="application/json",
    )
    assert api.status_code == 200
    assert api.json()["added"] == 1
    # By hand, through the generated API: normalized, once.
    made = client.post(
        "/api/v1/do-not-call/",
        {"phone": "050 111 2222", "source": "ידני"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert DoNotCallNumber.objects.filter(phone="+972501112222").exists()
    twice = client.post(
        "/api/v1/do-not-call/",
        {"phone": "0501112222", "source": "ידני"},
        content_type="application/json",
    )
    assert twice.status_code == 400
    # Only marketers manage the list; an agent reads nothing of it.
    client.force_login(users["sales_rep"])
    assert client.get("/api/v1/do-not-call/").status_code == 403
    assert client.post(url, {"source": "x"}).status_code == 403


def test_the_persons_page_shows_he_is_on_the_list(phone, client):
    manager = phone["manager"]
    person = make_contacts(manager, 1, consent_kind=None)[0]
    client.force_login(manager)
    page = client.get(reverse("entity_detail", args=["contacts", person.pk]))
    assert b'id="do-not-call-banner"' not in page.content
    calls.do_not_call_import(actor=manager, numbers=[person.mobile], source="מאגר דצמבר")
    page = client.get(reverse("entity_detail", args=["contacts", person.pk]))
    assert b'id="do-not-call-banner"' in page.content
    assert "מאגר דצמבר" in page.content.decode()


def test_the_api_builds_opens_logs_and_reports(phone, client):
    manager = phone["manager"]
    make_contacts(manager, 3, consent_kind=None)
    rep1, rep2 = phone["agents"]
    client.force_login(manager)
    built = client.post(
        f"/api/v1/campaigns/{phone['campaign'].pk}/call-list/",
        {"agents": [rep1.pk, rep2.pk], "split": "even"},
        content_type="application/json",
    )
    assert built.status_code == 200, built.content
    assert built.json()["added"] == 3
    client.force_login(rep1)
    listed = client.get(f"/api/v1/campaign-calls/?campaign={phone['campaign'].pk}").json()
    ids = [row["id"] for row in listed["results"]]
    assert len(ids) == 2
    opened = client.post(f"/api/v1/campaign-calls/{ids[0]}/open/")
    assert opened.status_code == 200
    assert opened.json()["tel"].startswith("tel:+972")
    logged = client.post(
        f"/api/v1/campaign-calls/{ids[0]}/log/",
        {"outcome": "not_interested", "notes": "לא עכשיו"},
        content_type="application/json",
    )
    assert logged.status_code == 200, logged.content
    assert logged.json()["status"] == "done"
    bad = client.post(
        f"/api/v1/campaign-calls/{ids[1]}/log/",
        {"outcome": "no-such-outcome"},
        content_type="application/json",
    )
    assert bad.status_code == 400
    client.force_login(manager)
    progress = client.get(f"/api/v1/campaigns/{phone['campaign'].pk}/call-progress/").json()
    assert progress["called"] == 1
    assert progress["done"] == 1


def test_a_call_added_by_hand_is_refused_for_a_listed_number(phone, client):
    manager = phone["manager"]
    listed, free = make_contacts(manager, 2, consent_kind=None)
    calls.do_not_call_import(actor=manager, numbers=[listed.mobile], source="מאגר")
    client.force_login(manager)
    refused = client.post(
        "/api/v1/campaign-calls/",
        {"campaign": phone["campaign"].pk, "contact": listed.pk},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert "phone" in refused.json()
    added = client.post(
        "/api/v1/campaign-calls/",
        {"campaign": phone["campaign"].pk, "contact": free.pk, "agent": phone["agents"][0].pk},
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    call = CampaignCall.objects.get(contact=free)
    assert call.phone == free.mobile
    moved = client.patch(
        f"/api/v1/campaign-calls/{call.pk}/",
        {"phone": listed.mobile},
        content_type="application/json",
    )
    assert moved.status_code == 400
    assert CampaignCall.objects.count() == 1
