"""Web-to-lead forms (REQ MK-5, IN-4, MK-6; decision 0105): served publicly and embeddable, the
lead made by the sales lead service (assignment rules, duplicates joined), attributed to the
campaign with UTM and referrer kept, consent with its text as proof, spam refused without
third parties (honeypot, minimum time, rate), a submission sent twice counted once."""

import re

import pytest
from django.core import signing
from django.test import override_settings

from kesher.marketing.capture import form_token
from kesher.marketing.models import Consent, FormSubmission
from kesher.marketing.tests.conftest import choice
from kesher.platform.records.services import record_create
from kesher.sales.models import Lead, LeadAssignmentRule

pytestmark = pytest.mark.django_db

NO_WAIT = override_settings(KESHER_LEAD_FORM_MIN_SECONDS=0)


@pytest.fixture
def web_form(users, marketing):
    admin = users["admin"]
    form = record_create(
        "lead-forms",
        actor=admin,
        data={
            "name": "דף נחיתה",
            "slug": "winter",
            "title_he": "השאירו פרטים",
            "campaign": marketing["campaign"],
            "consent_channels": "email sms",
            "consent_text_he": "אני מסכים/ה לקבל דיוור פרסומי",
            "thank_you_he": "תודה רבה!",
            "owner": users["sales_rep"],
        },
    )
    for position, (field, label, required) in enumerate(
        [
            ("first_name", "שם פרטי", False),
            ("last_name", "שם משפחה", True),
            ("email", "דוא״ל", True),
            ("mobile", "נייד", False),
            ("source", "איך שמעת עלינו", False),
            ("source_detail", "ואיפה", False),
        ]
    ):
        record_create(
            "lead-form-fields",
            actor=admin,
            data={
                "form": form,
                "lead_field": field,
                "label_he": label,
                "required": required,
                "position": position,
            },
        )
    return form


def token_of(client, url):
    page = client.get(url).content.decode()
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def post(client, form, token=None, **values):
    url = f"/f/{form.slug}/"
    data = {"token": token or token_of(client, url), **values}
    return client.post(url, data, REMOTE_ADDR="192.0.2.7")


@NO_WAIT
def test_a_submission_makes_an_attributed_lead_with_utm_referrer_and_consent(
    client, web_form, marketing, users
):
    """MK-5, MK-1, §30A: the lead, its campaign, the UTM tags and referrer, and the consent
    with the text the visitor saw as proof."""
    page = client.get(
        "/f/winter/?utm_source=facebook&utm_campaign=winter-26",
        HTTP_REFERER="https://site.example/",
    )
    assert page.status_code == 200
    html = page.content.decode()
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert 'value="facebook"' in html
    assert 'value="https://site.example/"' in html
    # Embeddable in any site: framing allowed by the page's own policy, no inline script.
    assert "X-Frame-Options" not in page.headers
    assert "frame-ancestors *" in page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "<script" not in html
    word_ad, google = choice("lead_source", "word_ad"), choice("lead_source_detail", "google")
    response = client.post(
        "/f/winter/",
        {
            "token": token,
            "first_name": "דנה",
            "last_name": "כהן",
            "email": "Dana@Example.co.il",
            "mobile": "052-555-1234",
            "source": word_ad.pk,
            "source_detail": google.pk,
            "consent": "1",
            "utm_source": "facebook",
            "utm_campaign": "winter-26",
            "referrer": "https://site.example/",
        },
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 200
    assert "תודה רבה!" in response.content.decode()
    lead = Lead.objects.get(email="dana@example.co.il")
    assert (lead.campaign, lead.last_campaign) == (marketing["campaign"], marketing["campaign"])
    assert (lead.source, lead.source_detail, lead.mobile) == (word_ad, google, "+972525551234")
    assert lead.owner == users["sales_rep"]  # no assignment rule: the form's owner
    submission = FormSubmission.objects.get(lead=lead)
    assert (submission.utm_source, submission.utm_campaign) == ("facebook", "winter-26")
    assert submission.referrer == "https://site.example/"
    assert submission.ip_address == "192.0.2.7"
    consents = Consent.objects.filter(lead=lead, kind="consent").order_by("channel")
    assert [c.channel for c in consents] == ["email", "sms"]
    assert "אני מסכים/ה לקבל דיוור פרסומי" in consents[0].proof


@NO_WAIT
def test_assignment_rules_and_an_existing_lead_joined_not_duplicated(
    client, web_form, users, marketing
):
    """SA-1: the assignment rules give the owner; the same e-mail again joins the open lead
    (its fields untouched), without consent unticked means none recorded."""
    record_create(
        "lead-rules",
        actor=users["admin"],
        data={
            "name_he": "הכל לנציג 2",
            "method": LeadAssignmentRule.Method.USER,
            "user": users["sales_rep2"],
        },
    )
    post(client, web_form, last_name="לוי", email="levi@example.co.il")
    lead = Lead.objects.get(email="levi@example.co.il")
    assert lead.owner == users["sales_rep2"]
    response = post(client, web_form, last_name="שם אחר", email="LEVI@example.co.il")
    assert response.status_code == 200
    assert Lead.objects.filter(email="levi@example.co.il").count() == 1
    lead.refresh_from_db()
    assert lead.last_name == "לוי"
    assert list(
        FormSubmission.objects.filter(lead=lead).values_list("outcome", flat=True).order_by("pk")
    ) == ["created", "matched"]
    assert not Consent.objects.filter(lead=lead).exists()


@NO_WAIT
def test_a_submission_sent_twice_counts_once(client, web_form):
    """The signed token's nonce: a double click or a replay makes one lead."""
    token = token_of(client, "/f/winter/")
    for _ in range(2):
        response = post(client, web_form, token, last_name="אבי", email="avi@example.co.il")
        assert response.status_code == 200
    assert Lead.objects.filter(email="avi@example.co.il").count() == 1
    assert FormSubmission.objects.count() == 1


def test_bots_are_refused_without_third_parties(client, web_form):
    """Honeypot filled: answered as if received, nothing written; sent at once after serving:
    refused; a forged or other form's token: refused."""
    with NO_WAIT:
        response = post(client, web_form, last_name="בוט", email="b@x.co", website_url="http://x")
        assert response.status_code == 200
        assert not Lead.objects.exists()
        forged = signing.TimestampSigner(salt="other").sign(f"{web_form.pk}:abc:1")
        refused = post(client, web_form, forged, last_name="א", email="a@x.co")
        assert 'id="form-errors"' in refused.content.decode()
    with override_settings(KESHER_LEAD_FORM_MIN_SECONDS=60):
        response = post(client, web_form, form_token(web_form), last_name="א", email="a@x.co")
        assert 'id="form-errors"' in response.content.decode()
        assert "too quick" in response.content.decode() or "מהר" in response.content.decode()
    assert not Lead.objects.exists()
    assert not FormSubmission.objects.exists()


@NO_WAIT
def test_bad_values_are_refused_per_field_with_nothing_written(client, web_form):
    """Required fields, a bad phone, an oversized value, a secondary source of another source,
    and hostile characters: the form again with each error tied to its field, nothing written."""
    referral, google = choice("lead_source", "referral"), choice("lead_source_detail", "google")
    response = post(
        client,
        web_form,
        last_name="x" * 101,
        mobile="12",
        source=referral.pk,
        source_detail=google.pk,
    )
    html = response.content.decode()
    for field in ("last_name", "email", "mobile", "source_detail"):
        assert f'aria-describedby="f-{field}-error"' in html
        assert f'id="f-{field}-error"' in html
    assert not Lead.objects.exists()
    assert not FormSubmission.objects.exists()
    # Control characters are dropped, markup is kept as text and shown escaped.
    post(client, web_form, last_name="<b>ביבי</b>\x00\u200b", email="bibi@example.co.il")
    assert Lead.objects.get().last_name == "<b>ביבי</b>"


@override_settings(KESHER_LEAD_FORM_MIN_SECONDS=0)
def test_submissions_are_rate_limited_per_address(client, web_form, settings):
    """Decision 0067's throttles: over the rate, 429 with Retry-After, nothing written."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "lead_form": "1/hour",
        },
    }
    assert post(client, web_form, last_name="א", email="a1@example.co.il").status_code == 200
    response = post(client, web_form, last_name="ב", email="b1@example.co.il")
    assert response.status_code == 429
    assert response.headers["Retry-After"]
    assert Lead.objects.count() == 1


def test_forms_are_built_by_administrators_only(users, api_for):
    """Forms are admin-only writes through the API; a manager reads them; a closed form or an
    unknown address is 404; the form checks its consent and embedding settings."""
    manager, admin = api_for(users["manager"]), api_for(users["admin"])
    body = {"name": "טופס", "slug": "contact-us", "consent_channels": "email"}
    assert manager.post("/api/v1/lead-forms/", body, format="json").status_code == 403
    refused = admin.post("/api/v1/lead-forms/", body, format="json")
    assert refused.status_code == 400
    assert "consent_text_he" in refused.json()
    body.update(consent_text_he="מסכים/ה", embed_origins="javascript:alert(1)")
    assert "embed_origins" in admin.post("/api/v1/lead-forms/", body, format="json").json()
    body.update(embed_origins="https://www.example.co.il", active=False)
    created = admin.post("/api/v1/lead-forms/", body, format="json")
    assert created.status_code == 201, created.json()
    assert manager.get(f"/api/v1/lead-forms/{created.json()['id']}/").status_code == 200
    assert api_for(users["manager"]).get("/f/contact-us/").status_code == 404


@NO_WAIT
def test_a_submission_costs_at_most_a_pinned_number_of_statements(
    client, web_form, django_assert_max_num_queries
):
    """A new lead with two consents: the form and its campaign, owner and sources read once;
    the consents, their audit entries and search tokens written together (decision 0114)."""
    token = token_of(client, "/f/winter/")
    data = {"token": token, "last_name": "ספירה", "email": "count@example.co.il", "consent": "1"}
    # SQLite 31, PostgreSQL fewer (no last_insert_rowid(); the rows' statements together).
    with django_assert_max_num_queries(31):
        assert client.post("/f/winter/", data, REMOTE_ADDR="192.0.2.9").status_code == 200
    assert Consent.objects.filter(lead__email="count@example.co.il").count() == 2
