"""The security self-assessment (Data Security Regulations 2017; issue 25 item 4): the level the
database's facts give, the measures that level asks — by the assessor's answers and by what
Kesher knows — and only the privacy officer's role keeps it."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from kesher.customers.tests.factories import make_contact
from kesher.platform.records.services import record_create
from kesher.privacy.assessment import assessment_create, level_of, requirements
from kesher.privacy.models import SecurityAssessment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("facts", "level"),
    [
        ({}, "basic"),
        ({"people": 500_000}, "basic"),  # many people, nothing sensitive: still basic
        ({"public_body": True}, "medium"),
        ({"public_body": True, "people": 500_000}, "medium"),
        ({"sensitive_data": True, "people": 99_999}, "medium"),
        ({"sensitive_data": True, "people": 100_000}, "high"),
        ({"passes_to_others": True, "authorized_users": 100}, "medium"),
        ({"passes_to_others": True, "authorized_users": 101}, "high"),
        # The thresholds are the assessment's data: an administrator changes them.
        ({"sensitive_data": True, "people": 60_000, "people_threshold": 50_000}, "high"),
    ],
)
def test_the_facts_give_the_level(facts, level):
    assessment = SecurityAssessment(**{"people": 10, "authorized_users": 5, **facts})
    assert level_of(assessment) == level


def test_a_new_assessment_counts_the_database_and_is_reviewed_a_year_on(officer, users):
    make_contact(users["admin"], first_name="Dana", last_name="Levi")
    made = assessment_create(
        actor=officer, data={"assessed_on": datetime.date(2026, 2, 28), "sensitive_data": True}
    )
    assert made.people == 1
    assert made.authorized_users > len(users) - 2  # the active users, the officer among them
    assert made.next_review_on == datetime.date(2027, 2, 28)
    assert made.level == "medium"


def test_the_level_follows_a_change_of_the_facts(officer, api_for):
    api = api_for(officer)
    made = api.post(
        "/api/v1/security-assessments/",
        {"assessed_on": "2026-03-01", "people": 120_000, "authorized_users": 12},
        format="json",
    )
    assert made.status_code == 201, made.content
    pk = made.json()["id"]
    assert made.json()["level"] == "basic"
    changed = api.patch(
        f"/api/v1/security-assessments/{pk}/", {"passes_to_others": True}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert SecurityAssessment.objects.get(pk=pk).level == "high"
    # The level is derived, never written by a caller.
    api.patch(f"/api/v1/security-assessments/{pk}/", {"level": "basic"}, format="json")
    assert SecurityAssessment.objects.get(pk=pk).level == "high"


def test_the_level_asks_its_measures_met_by_answers_and_by_kesher(officer, api_for, settings):
    basic = assessment_create(actor=officer, data={"security_procedure": True})
    asked = {(r.regulation, r.field) for r in requirements(basic)}
    assert ("§4", "security_procedure") in asked
    assert ("§16", "audit_done") not in asked  # audits: medium and high only
    high = assessment_create(
        actor=officer,
        data={"sensitive_data": True, "people": 200_000, "log_reviewed": True},
    )
    found = {(r.regulation, r.field or r.known_by): r.met for r in requirements(high)}
    assert found[("§5", "risk_survey_done")] is False
    assert found[("§10", "log_reviewed")] is True
    assert found[("§10", "kesher")] is True  # the access log is on
    assert found[("§11", "kesher")] is True  # no serious incident left unreported
    record_create(
        "security-incidents", actor=officer, data={"title": "Laptop lost", "severity": "serious"}
    )
    settings.KESHER_ACCESS_LOG = False
    found = {(r.regulation, r.known_by): r.met for r in requirements(high)}
    assert found[("§11", "kesher")] is False
    assert found[("§10", "kesher")] is False
    answer = api_for(officer, "en").get(f"/api/v1/security-assessments/{high.pk}/requirements/")
    assert answer.status_code == 200
    body = answer.json()
    assert body["level"] == "high"
    survey = next(r for r in body["requirements"] if r["field"] == "risk_survey_done")
    assert (survey["regulation"], survey["met"], survey["known_by"]) == ("§5", False, "answer")
    assert survey["text"].startswith("a risk survey")  # in the reader's language


def test_the_record_page_shows_what_the_level_asks(
    officer, client_for, django_assert_max_num_queries
):
    made = assessment_create(actor=officer, data={"public_body": True})
    client = client_for(officer)
    client.get(f"/r/security-assessments/{made.pk}/")  # warm the per-process caches
    with django_assert_max_num_queries(40):
        page = client.get(f"/r/security-assessments/{made.pk}/", HTTP_ACCEPT_LANGUAGE="he")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="assessment-requirements"' in html
    assert "יומן הגישה" in html  # the measures in Hebrew
    assert html.count('data-met="no"') >= 4


def test_bad_input_is_refused_in_the_readers_language_and_nothing_is_written(officer, api_for):
    answer = api_for(officer, "he").post(
        "/api/v1/security-assessments/", {"assessed_on": "yesterday", "people": -3}, format="json"
    )
    assert answer.status_code == 400
    assert set(answer.json()) >= {"assessed_on", "people"}
    assert not SecurityAssessment.objects.exists()
    with pytest.raises(ValidationError):
        assessment_create(actor=officer, data={"people_threshold": -1})
    assert not SecurityAssessment.objects.exists()


def test_only_the_privacy_officer_keeps_the_assessments(users, officer, api_for):
    assert api_for(officer).get("/api/v1/security-assessments/").status_code == 200
    made = assessment_create(actor=officer, data={})
    for key in ("sales_rep", "manager", "support_agent", "read_only"):
        api = api_for(users[key])
        assert api.get("/api/v1/security-assessments/").status_code == 403
        url = f"/api/v1/security-assessments/{made.pk}/requirements/"
        assert api.get(url).status_code == 403
    # The officer reads marketing's consent ledger, and changes nothing in it.
    assert api_for(officer).get("/api/v1/consents/").status_code == 200
    assert api_for(officer).post("/api/v1/consents/", {}, format="json").status_code == 403
