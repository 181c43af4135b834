"""Leads from Meta Lead Ads and Google Ads lead forms (REQ MK-5, IN-4, MK-6; decision 0114):
the providers' verification (Meta's subscription check and X-Hub-Signature-256, Google's key),
each lead once per provider lead id with its raw notification, its fields mapped by the
administrator's data, the lead made through the sales lead service (or an open one joined)
with its source, secondary source and campaign, the consent when the form carried it; Meta's
fields fetched by the worker at most once through a configurable client (faked here: no
internet); nothing received in the practice environment; the shared throttles."""

import datetime
import hashlib
import hmac
import json

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from kesher.marketing import leadads
from kesher.marketing.models import AdLead, Consent
from kesher.marketing.tests.conftest import choice
from kesher.platform.records.services import record_create
from kesher.sales.models import Lead

pytestmark = pytest.mark.django_db

SECRET = "meta-app-secret"
GOOGLE_KEY = "google-shared-key"
META = override_settings(
    KESHER_META_APP_SECRET=SECRET,
    KESHER_META_VERIFY_TOKEN="verify-me",
    KESHER_META_ACCESS_TOKEN="page-token",
    KESHER_META_GRAPH_CLIENT="kesher.marketing.tests.test_lead_ads.FakeGraph",
    KESHER_GOOGLE_ADS_LEAD_KEY=GOOGLE_KEY,
)


class FakeGraph:
    """Meta's Graph API as the tests set it: ``answers`` by lead id (an exception is raised),
    every call counted in ``calls``."""

    answers: dict = {}
    calls: list = []

    def lead(self, lead_id):
        FakeGraph.calls.append(lead_id)
        answer = FakeGraph.answers[lead_id]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture(autouse=True)
def graph():
    FakeGraph.answers, FakeGraph.calls = {}, []
    return FakeGraph


@pytest.fixture
def sources(users, marketing):
    admin = users["admin"]
    social = choice("lead_source", "social_ad")
    meta = record_create(
        "lead-ad-sources",
        actor=admin,
        data={
            "name": "פייסבוק חורף",
            "provider": "meta",
            "form_id": "777",
            "campaign": marketing["campaign"],
            "source": social,
            "field_map": {
                "full_name": "full_name",
                "email": "email",
                "phone_number": "mobile",
                "what_interests_you?": "interest",
            },
            "consent_field": "optin",
            "consent_channels": "email sms",
            "consent_text_he": "אני מסכים/ה לקבל דיוור פרסומי",
            "owner": users["sales_rep"],
        },
    )
    google = record_create(
        "lead-ad-sources",
        actor=admin,
        data={
            "name": "גוגל — כל הטפסים",
            "provider": "google",
            "campaign": marketing["campaign"],
            "source": choice("lead_source", "word_ad"),
            "source_detail": choice("lead_source_detail", "google"),
            "owner": users["sales_rep"],
        },
    )
    return {"meta": meta, "google": google}


def notification(*lead_ids, form_id="777"):
    return {
        "object": "page",
        "entry": [
            {
                "id": "1098",
                "time": 1765108800,
                "changes": [
                    {
                        "field": "leadgen",
                        "value": {"leadgen_id": i, "page_id": "1098", "form_id": form_id},
                    }
                    for i in lead_ids
                ],
            }
        ],
    }


def meta_post(client, payload, *, secret=SECRET):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return client.post(
        "/api/v1/lead-ads/meta/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def meta_lead(name="דנה לוי", email="dana@example.co.il", phone="052-555-1234", **extra):
    return {
        "id": "x",
        "form_id": "777",
        "platform": "ig",
        "field_data": [
            {"name": "full_name", "values": [name]},
            {"name": "email", "values": [email]},
            {"name": "phone_number", "values": [phone]},
            {"name": "what_interests_you?", "values": ["מטבח", "אמבטיה"]},
        ],
        **extra,
    }


def google_lead(lead_id="g-1", key=GOOGLE_KEY, **columns):
    columns = columns or {
        "FULL_NAME": "יוסי כהן",
        "EMAIL": "Yossi@Example.co.il",
        "PHONE_NUMBER": "+972541234567",
    }
    return {
        "lead_id": lead_id,
        "form_id": 4000,
        "campaign_id": 2000,
        "google_key": key,
        "is_test": True,
        "user_column_data": [
            {"column_id": k, "column_name": k.title(), "string_value": v}
            for k, v in columns.items()
        ],
    }


# --- Meta ----------------------------------------------------------------------------------------


@META
def test_meta_subscription_check_answers_the_challenge_only_to_our_token(client):
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "4815"}
    answer = client.get("/api/v1/lead-ads/meta/", query)
    assert (answer.status_code, answer.content) == (200, b"4815")
    assert answer["Content-Type"].startswith("text/plain")
    query["hub.verify_token"] = "guess"
    assert client.get("/api/v1/lead-ads/meta/", query).status_code == 403
    with override_settings(KESHER_META_VERIFY_TOKEN=""):
        query["hub.verify_token"] = ""
        assert client.get("/api/v1/lead-ads/meta/", query).status_code == 403


@META
def test_meta_forged_signatures_are_refused_with_nothing_written(client, sources):
    assert meta_post(client, notification("111"), secret="forged").status_code == 403
    body = json.dumps(notification("111"))
    unsigned = client.post("/api/v1/lead-ads/meta/", body, content_type="application/json")
    assert unsigned.status_code == 403
    with override_settings(KESHER_META_APP_SECRET=""):
        # No secret set up: nothing is accepted, even "signed" with the empty key.
        assert meta_post(client, notification("111"), secret="").status_code == 403
    assert not AdLead.objects.exists()


@META
def test_a_meta_lead_is_kept_once_and_made_by_the_worker_with_mapping_source_and_consent(
    client, sources, marketing, users, graph
):
    """MK-5, MK-6, MK-1, §30A: the notification keeps the lead id; the worker fetches the
    fields once, maps them by the form's data, sets source / secondary source (Instagram, by
    Meta's platform) / campaign and the owner, and writes the consent per channel."""
    answer = meta_post(client, notification("111"))
    assert answer.status_code == 200
    assert answer.json() == {
        "received": 1,
        "duplicates": 0,
        "leads": [{"id": "111", "status": "pending", "lead": None}],
    }
    # Meta repeats a notification it thinks was lost: 200, nothing more.
    again = meta_post(client, notification("111"))
    assert (again.status_code, again.json()["duplicates"]) == (200, 1)
    assert AdLead.objects.count() == 1
    assert not Lead.objects.exists()

    graph.answers["111"] = meta_lead(
        custom_disclaimer_responses=[{"checkbox_key": "optin", "is_checked": "1"}]
    )
    assert leadads.fetch_meta_leads() == 1
    row = AdLead.objects.get()
    lead = row.lead
    assert (row.status, row.ad_source) == (AdLead.Status.CREATED, sources["meta"])
    assert (lead.first_name, lead.last_name, lead.email, lead.mobile) == (
        "דנה",
        "לוי",
        "dana@example.co.il",
        "+972525551234",
    )
    assert lead.interest == "מטבח, אמבטיה"
    assert (lead.source.value, lead.source_detail.value) == ("social_ad", "instagram")
    assert lead.campaign == lead.last_campaign == marketing["campaign"]
    assert lead.owner == users["sales_rep"]
    assert row.payload["leadgen_id"] == "111"
    assert row.values["optin"] == "1"
    consents = Consent.objects.filter(lead=lead).order_by("channel")
    assert [c.channel for c in consents] == ["email", "sms"]
    assert all("אני מסכים/ה לקבל דיוור פרסומי" in c.proof and "111" in c.proof for c in consents)

    # At most once: the next tick does not fetch it again, a repeated notification neither.
    assert leadads.fetch_meta_leads() == 0
    meta_post(client, notification("111"))
    assert leadads.fetch_meta_leads() == 0
    assert graph.calls == ["111"]
    assert Lead.objects.count() == 1


@META
def test_meta_without_consent_answer_no_consent_and_an_open_lead_is_joined(
    client, sources, marketing, users, graph
):
    known = record_create(
        "leads", actor=users["sales_rep"], data={"last_name": "ותיק", "email": "dana@example.co.il"}
    )
    meta_post(client, notification("222"))
    graph.answers["222"] = meta_lead(
        custom_disclaimer_responses=[{"checkbox_key": "optin", "is_checked": ""}]
    )
    leadads.fetch_meta_leads()
    row = AdLead.objects.get()
    assert (row.status, row.lead) == (AdLead.Status.MATCHED, known)
    known.refresh_from_db()
    # Joined, never overwritten; attributed to the campaign (first and last touch).
    assert (known.last_name, known.campaign, known.last_campaign) == (
        "ותיק",
        marketing["campaign"],
        marketing["campaign"],
    )
    assert Lead.objects.count() == 1
    assert not Consent.objects.filter(lead=known).exists()


@META
def test_a_failed_fetch_is_not_retried_and_a_dead_workers_claim_becomes_unknown(
    client, sources, users, api_for, graph
):
    """At most once: a failure is recorded and not fetched again on its own; a row a worker
    left "fetching" is "outcome unknown" after the lease; an administrator's "fetch again"
    puts it back once."""
    meta_post(client, notification("301", "302"))
    graph.answers["301"] = OSError("network unreachable")
    graph.answers["302"] = meta_lead()
    leadads.fetch_meta_leads()
    failed = AdLead.objects.get(external_id="301")
    assert failed.status == AdLead.Status.FAILED
    assert "unreachable" in failed.error
    leadads.fetch_meta_leads()
    assert graph.calls == ["301", "302"]

    # A worker that died after its claim: the row stays "fetching" until the lease ends.
    meta_post(client, notification("303"))
    AdLead.objects.filter(external_id="303").update(
        status=AdLead.Status.FETCHING, claimed_at=timezone.now() - datetime.timedelta(hours=1)
    )
    leadads.fetch_meta_leads()
    unknown = AdLead.objects.get(external_id="303")
    assert unknown.status == AdLead.Status.UNKNOWN
    assert "303" not in graph.calls

    # The operator's choice: managers may not; an administrator may, once per failure.
    url = f"/api/v1/ad-leads/{failed.pk}/fetch-again/"
    assert api_for(users["manager"]).post(url).status_code == 403
    admin = api_for(users["admin"])
    assert admin.post(url).json() == {"status": "pending"}
    assert admin.post(url).status_code == 400
    graph.answers["301"] = meta_lead(name="רון", email="ron@example.co.il", phone="0541112222")
    leadads.fetch_meta_leads()
    assert AdLead.objects.get(external_id="301").lead.email == "ron@example.co.il"
    assert Lead.objects.count() == 2


@META
def test_meta_notifications_with_bad_bodies_are_refused(client, sources):
    assert meta_post(client, {"entry": "x"}).status_code == 400
    assert meta_post(client, notification("12; DROP TABLE")).status_code == 400
    body = b"not json"
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post(
        "/api/v1/lead-ads/meta/",
        body,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signature,
    )
    assert answer.status_code == 400
    # Other changes of the page (not leadgen) are answered and ignored.
    other = {"entry": [{"changes": [{"field": "feed", "value": {"post_id": "1"}}]}]}
    assert meta_post(client, other).json()["received"] == 0
    assert not AdLead.objects.exists()


def test_the_graph_client_asks_for_the_lead_with_its_proof(monkeypatch, settings):
    """The real client (no internet here: urlopen is replaced) asks Graph over https for the
    lead's fields with the page token and its appsecret_proof."""
    settings.KESHER_META_APP_SECRET, settings.KESHER_META_ACCESS_TOKEN = SECRET, "page-token"
    asked = []

    class Answer:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, limit):
            return b'{"id": "9", "field_data": []}'

    def urlopen(url, timeout):
        asked.append(url)
        return Answer()

    monkeypatch.setattr(leadads.urllib.request, "urlopen", urlopen)
    assert leadads.GraphClient().lead("9") == {"id": "9", "field_data": []}
    proof = hmac.new(SECRET.encode(), b"page-token", hashlib.sha256).hexdigest()
    assert asked[0].startswith("https://graph.facebook.com/")
    assert f"appsecret_proof={proof}" in asked[0]
    assert "/9?" in asked[0]
    settings.KESHER_META_GRAPH_URL = "http://graph.example"
    with pytest.raises(RuntimeError):
        leadads.GraphClient().lead("9")


# --- Google --------------------------------------------------------------------------------------


@META
def test_a_google_lead_is_made_once_with_its_key_checked(client, sources, marketing, users):
    post = lambda payload: client.post(  # noqa: E731
        "/api/v1/lead-ads/google/", payload, content_type="application/json"
    )
    assert post(google_lead(key="guess")).status_code == 403
    assert post({**google_lead(), "google_key": None}).status_code == 403
    assert not AdLead.objects.exists()

    answer = post(google_lead())
    assert answer.status_code == 200
    row = AdLead.objects.get()
    assert answer.json()["leads"] == [{"id": "g-1", "status": "created", "lead": row.lead_id}]
    lead = row.lead
    assert (lead.first_name, lead.last_name, lead.email, lead.mobile) == (
        "יוסי",
        "כהן",
        "yossi@example.co.il",
        "+972541234567",
    )
    assert (lead.source.value, lead.source_detail.value, lead.campaign) == (
        "word_ad",
        "google",
        marketing["campaign"],
    )
    assert row.test
    assert "google_key" not in row.payload
    # Google sends it again (it saw no 200 in time): 200, no second lead.
    again = post(google_lead())
    assert (again.status_code, again.json()["duplicates"]) == (200, 1)
    assert Lead.objects.count() == 1
    assert AdLead.objects.count() == 1


@META
def test_google_hostile_values_are_cleaned_or_left_out_and_unknown_forms_kept(client, sources):
    post = lambda payload: client.post(  # noqa: E731
        "/api/v1/lead-ads/google/", payload, content_type="application/json"
    )
    answer = post(
        google_lead(
            "g-2",
            FIRST_NAME="<b>אבי</b>\x00\u200b",
            LAST_NAME="ל" * 5000,
            EMAIL="not-an-email",
            PHONE_NUMBER="12",
            CITY="חיפה",
        )
    )
    assert answer.status_code == 200, answer.content
    row = AdLead.objects.get(external_id="g-2")
    lead = row.lead
    assert (lead.first_name, len(lead.last_name), lead.email, lead.mobile) == (
        "<b>אבי</b>",
        100,
        "",
        "",
    )
    assert lead.city == "חיפה"
    assert row.values["FIRST_NAME"] == "<b>אבי</b>\u200b"  # as received, but for the NUL
    assert "not-an-email" in row.error
    assert post({**google_lead("g-3"), "user_column_data": "x"}).status_code == 400
    assert post({**google_lead(), "lead_id": ""}).status_code == 400
    # Nothing to name the lead by: kept, refused, no lead.
    refused = post(google_lead("g-4", CITY="חיפה")).json()["leads"][0]
    assert (refused["status"], refused["lead"]) == ("refused", None)
    # A provider with no ad lead form: kept with its values for the administrator.
    sources["google"].delete()
    kept = post(google_lead("g-5")).json()["leads"][0]
    assert (kept["status"], kept["lead"]) == ("unconfigured", None)
    assert AdLead.objects.get(external_id="g-5").values["FULL_NAME"] == "יוסי כהן"
    assert Lead.objects.count() == 1


# --- both ----------------------------------------------------------------------------------------


@META
def test_nothing_is_received_in_the_practice_environment(client, sources, graph, settings):
    settings.KESHER_PRACTICE = True
    client.post("/api/v1/lead-ads/google/", google_lead(), content_type="application/json")
    meta_post(client, notification("501"))
    graph.answers["501"] = meta_lead()
    assert leadads.fetch_meta_leads() == 0
    assert set(AdLead.objects.values_list("status", flat=True)) == {AdLead.Status.SUPPRESSED}
    assert not Lead.objects.exists()
    assert graph.calls == []


@META
def test_the_webhooks_are_throttled_per_provider(client, sources, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "lead_ads": "1/hour",
        },
    }
    url = "/api/v1/lead-ads/google/"
    assert client.post(url, google_lead("t-1"), content_type="application/json").status_code == 200
    refused = client.post(url, google_lead("t-2"), content_type="application/json")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"]
    assert meta_post(client, notification("601")).status_code == 200  # its own count
    assert AdLead.objects.count() == 2


def test_ad_lead_forms_are_set_up_by_administrators_only(users, api_for):
    manager, admin = api_for(users["manager"]), api_for(users["admin"])
    body = {"name": "מטא", "provider": "meta", "form_id": "9"}
    assert manager.post("/api/v1/lead-ad-sources/", body, format="json").status_code == 403
    assert manager.get("/api/v1/lead-ad-sources/").status_code == 200
    bad = admin.post(
        "/api/v1/lead-ad-sources/", {**body, "field_map": {"email": "password"}}, format="json"
    )
    assert bad.status_code == 400
    assert "field_map" in bad.json()
    no_text = admin.post(
        "/api/v1/lead-ad-sources/",
        {**body, "consent_field": "optin", "consent_channels": "email"},
        format="json",
    )
    assert "consent_text_he" in no_text.json()
    assert admin.post("/api/v1/lead-ad-sources/", body, format="json").status_code == 201
    again = admin.post("/api/v1/lead-ad-sources/", body, format="json")
    assert again.status_code == 400


@META
def test_erasing_the_person_blanks_what_the_ad_platform_sent(client, sources, users):
    """Issue 25: an erasure request found through his lead blanks the ad lead's notification
    and values; the row stays (provider, form, when) for the campaign's figures."""
    from conftest import make_user
    from kesher.privacy.services import request_anonymize, request_create

    answer = client.post("/api/v1/lead-ads/google/", google_lead(), content_type="application/json")
    assert answer.status_code == 200
    row = AdLead.objects.get()
    assert "yossi@example.co.il" in json.dumps(row.values).lower()
    officer = make_user("privacy1", "privacy_officer")
    request = request_create(
        actor=officer,
        data={"lead": row.lead, "kind": "deletion", "status": "open", "received_on": "2026-12-01"},
    )
    request_anonymize(request, actor=officer)
    row.refresh_from_db()
    kept = json.dumps([row.payload, row.values, row.error], ensure_ascii=False).lower()
    for value in ("יוסי", "כהן", "yossi@example.co.il", "541234567"):
        assert value not in kept
    assert (row.provider, row.external_id) == ("google", "g-1")


# --- the provider's campaigns, a key per form, fetch again on the page (decision 0117) ----------


@pytest.fixture
def autumn(users):
    return record_create(
        "campaigns",
        actor=users["admin"],
        data={"name": "קמפיין סתיו", "owner": users["admin"]},
    )


@META
def test_the_providers_campaign_id_brings_the_lead_to_its_mapped_campaign(
    client, sources, marketing, users, graph, autumn
):
    """MK-1: the form's table maps the provider's campaign id to a Kesher campaign; an id not
    in it takes the form's campaign; the id is kept on the ad lead."""
    admin = users["admin"]
    for source, ref in ((sources["meta"], "120200"), (sources["google"], "2000")):
        record_create(
            "lead-ad-campaigns",
            actor=admin,
            data={"ad_source": source, "external_id": ref, "campaign": autumn},
        )
    meta_post(client, notification("401", "402"))
    graph.answers["401"] = meta_lead(campaign_id="120200")
    graph.answers["402"] = meta_lead(
        name="רון", email="ron@example.co.il", phone="0541112222", campaign_id="999"
    )
    leadads.fetch_meta_leads()
    mapped, other = AdLead.objects.get(external_id="401"), AdLead.objects.get(external_id="402")
    assert (mapped.campaign_ref, mapped.lead.campaign, mapped.lead.last_campaign) == (
        "120200",
        autumn,
        autumn,
    )
    assert (other.campaign_ref, other.lead.campaign) == ("999", marketing["campaign"])

    answer = client.post("/api/v1/lead-ads/google/", google_lead(), content_type="application/json")
    row = AdLead.objects.get(external_id="g-1")
    assert answer.json()["leads"][0]["lead"] == row.lead_id
    assert (row.campaign_ref, row.lead.campaign) == ("2000", autumn)


@META
def test_the_campaign_table_is_the_administrators_and_read_by_managers(
    sources, users, api_for, autumn
):
    admin, manager = api_for(users["admin"]), api_for(users["manager"])
    data = {"ad_source": sources["meta"].pk, "external_id": " 120300 ", "campaign": autumn.pk}
    assert manager.post("/api/v1/lead-ad-campaigns/", data, format="json").status_code == 403
    made = admin.post("/api/v1/lead-ad-campaigns/", data, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["external_id"] == "120300"
    twice = admin.post("/api/v1/lead-ad-campaigns/", data, format="json")
    assert twice.status_code == 400
    listed = manager.get(f"/api/v1/lead-ad-campaigns/?ad_source={sources['meta'].pk}").json()
    assert [r["external_id"] for r in listed["results"]] == ["120300"]


@META
def test_a_google_key_per_form_is_checked_and_never_read_back(client, sources, users, api_for):
    """Each Google form may carry its own key: its leads need that key (the site's is no
    longer enough), other forms keep the site's; the key is written, never read back, and an
    empty key on an edit keeps it."""
    admin = api_for(users["admin"])
    own = admin.post(
        "/api/v1/lead-ad-sources/",
        {"name": "גוגל — טופס אביב", "provider": "google", "form_id": "5000", "google_key": "k5"},
        format="json",
    )
    assert own.status_code == 201, own.content
    assert "google_key" not in own.json()
    form = sources["google"].__class__.objects.get(pk=own.json()["id"])
    assert form.google_key == "k5"

    def post(lead_id, form_id, key):
        payload = {**google_lead(lead_id, key=key), "form_id": form_id}
        return client.post("/api/v1/lead-ads/google/", payload, content_type="application/json")

    assert post("g-10", 5000, GOOGLE_KEY).status_code == 403  # the site's key: not this form's
    assert post("g-11", 5000, "k5").status_code == 200
    assert post("g-12", 4000, "k5").status_code == 403  # the form's key: not the others'
    assert post("g-13", 4000, GOOGLE_KEY).status_code == 200
    with override_settings(KESHER_GOOGLE_ADS_LEAD_KEY=""):
        assert post("g-14", 5000, "k5").status_code == 200  # needs no site's key
        assert post("g-15", 4000, "").status_code == 403
    assert sorted(AdLead.objects.values_list("external_id", flat=True)) == [
        "g-11",
        "g-13",
        "g-14",
    ]
    assert all("google_key" not in row.payload for row in AdLead.objects.all())

    url = f"/api/v1/lead-ad-sources/{form.pk}/"
    assert "google_key" not in admin.get(url).json()
    assert admin.patch(url, {"google_key": "", "name": "אביב"}, format="json").status_code == 200
    form.refresh_from_db()
    assert (form.name, form.google_key) == ("אביב", "k5")
    assert admin.patch(url, {"google_key": "k6"}, format="json").status_code == 200
    form.refresh_from_db()
    assert form.google_key == "k6"

    # On the page: typed in a password field, never shown back.
    client.force_login(users["admin"])
    page = client.get(reverse("entity_edit", args=["lead-ad-sources", form.pk])).content.decode()
    assert 'type="password" name="google_key"' in page
    assert "k6" not in page
    assert (
        "k6"
        not in client.get(
            reverse("entity_detail", args=["lead-ad-sources", form.pk])
        ).content.decode()
    )


@META
def test_fetch_again_is_a_button_on_a_failed_ad_leads_page(client, sources, users, graph):
    meta_post(client, notification("501"))
    graph.answers["501"] = OSError("timeout")
    leadads.fetch_meta_leads()
    row = AdLead.objects.get()
    page = reverse("entity_detail", args=["ad-leads", row.pk])
    action = f"/marketing/ad-leads/{row.pk}/fetch-again/"
    client.force_login(users["manager"])
    assert 'id="ad-lead-fetch-again"' not in client.get(page).content.decode()
    assert client.post(action).status_code == 403
    client.force_login(users["admin"])
    assert 'id="ad-lead-fetch-again"' in client.get(page).content.decode()
    answer = client.post(action)
    assert (answer.status_code, answer["Location"]) == (302, page)
    row.refresh_from_db()
    assert row.status == AdLead.Status.PENDING
    assert 'id="ad-lead-fetch-again"' not in client.get(page).content.decode()
    graph.answers["501"] = meta_lead()
    assert leadads.fetch_meta_leads() == 1
    row.refresh_from_db()
    assert row.status == AdLead.Status.CREATED
