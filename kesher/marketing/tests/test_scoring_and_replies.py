"""Lead scoring rules and their trigger (REQ TK-8, MK-4), and "הסר" / STOP replies through
the gateways' receive webhook (Communications Law §30A; decision 0105)."""

import json
import time

import pytest
from django.core.exceptions import ValidationError

from kesher.activities.services import interaction_create
from kesher.automation.services import rule_create
from kesher.customers.tests.factories import make_contact
from kesher.integrations.gateways import inbound_signature
from kesher.marketing.consent import latest_kind
from kesher.marketing.models import Consent, TextRefusal
from kesher.marketing.scoring import lead_score
from kesher.marketing.tests.conftest import choice
from kesher.platform.records.services import record_create, record_update
from kesher.sales.models import Lead
from kesher.sales.tests.factories import make_lead
from kesher.service.models import Ticket

pytestmark = pytest.mark.django_db

SECRET = "text-secret-0123456789"


def rule(actor, **data):
    return record_create("scoring-rules", actor=actor, data={"name": "כלל", **data})


def test_field_and_behaviour_rules_score_a_lead_on_every_change(
    users, django_capture_on_commit_callbacks
):
    """TK-8: field conditions (the filter language) and behaviour with a ceiling; recomputed
    after the lead changes and after an interaction on it, written to the score field."""
    admin = users["admin"]
    rule(admin, condition={"field": "city", "op": "eq", "value": "חיפה"}, points=20)
    rule(admin, condition={"field": "email", "op": "not_empty"}, points=5)
    rule(admin, behaviour="interaction", points=10, ceiling=15)
    with django_capture_on_commit_callbacks(execute=True):
        lead = make_lead(admin, last_name="כהן", email="c@example.co.il")
    lead.refresh_from_db()
    assert lead.score == 5
    with django_capture_on_commit_callbacks(execute=True):
        record_update(lead, actor=admin, data={"city": "חיפה"})
    lead.refresh_from_db()
    assert lead.score == 25
    for subject in ("שיחה", "פגישה"):
        with django_capture_on_commit_callbacks(execute=True):
            interaction_create(
                actor=admin,
                data={
                    "kind": choice("interaction_kind", "call"),
                    "subject": subject,
                    "link_type": "leads",
                    "link_id": lead.pk,
                },
            )
    lead.refresh_from_db()
    assert lead.score == 40  # 20 + 5 + at most 15
    assert lead_score(lead, rules=[]) is None


def test_a_rule_needs_a_valid_condition_or_a_behaviour(users):
    admin = users["admin"]
    with pytest.raises(ValidationError) as error:
        rule(admin, points=5)
    assert "condition" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        rule(admin, condition={"field": "no_such_field", "op": "eq", "value": 1}, points=5)
    assert "condition" in error.value.message_dict


def test_the_score_reaching_n_triggers_a_rule_once(users, django_capture_on_commit_callbacks):
    """MK-4: "the score reaches N" fires when the score crosses N upward, not while above."""
    admin = users["admin"]
    rule(admin, condition={"field": "city", "op": "eq", "value": "חיפה"}, points=50)
    rule(admin, behaviour="interaction", points=1)
    hot = rule_create(
        actor=admin,
        data={
            "name": "ליד חם",
            "entity": "leads",
            "trigger_kind": "score_crossed",
            "trigger_config": {"score": 40},
            "actions": [{"type": "update_fields", "values": {"notes": "ליד חם"}}],
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        lead = make_lead(users["sales_rep"], last_name="לוי", city="תל אביב")
    with django_capture_on_commit_callbacks(execute=True):
        record_update(lead, actor=admin, data={"city": "חיפה"})
    with django_capture_on_commit_callbacks(execute=True):
        interaction_create(
            actor=admin,
            data={
                "kind": choice("interaction_kind", "call"),
                "subject": "שיחה",
                "link_type": "leads",
                "link_id": lead.pk,
            },
        )
    assert Lead.objects.get(pk=lead.pk).score == 51
    assert hot.runs.count() == 1


def _text(api_for, body, reference, sender="052-555-1234", channel="sms"):
    payload = json.dumps({"from": sender, "body": body, "id": reference}).encode()
    timestamp = str(int(time.time()))
    return api_for(None).post(
        f"/api/v1/service/inbound-text/{channel}/",
        payload,
        content_type="application/json",
        HTTP_X_KESHER_TIMESTAMP=timestamp,
        HTTP_X_KESHER_SIGNATURE=inbound_signature(SECRET, timestamp, payload),
    )


def test_a_stop_reply_refuses_on_its_channel_and_opens_no_ticket(users, api_for, settings):
    """§30A: "הסר" by SMS records a refusal for the number's contact and lead on SMS at once,
    once however often delivered; no ticket; any other text still goes to the desk."""
    settings.KESHER_SMS_INBOUND_SECRET = SECRET
    settings.KESHER_SMS_INBOUND_AUTH = "hmac"
    admin = users["admin"]
    contact = make_contact(admin, first_name="נועה", last_name="כהן", mobile="052-555-1234")
    lead = make_lead(admin, last_name="כהן", mobile="0525551234")
    for _ in range(2):
        answer = _text(api_for, " הסר! ", "m1")
        assert answer.status_code == 200, answer.content
        assert answer.json()["outcome"] == "refused"
    assert answer.json()["duplicate"] is True
    assert latest_kind(contact=contact, channel="sms", purpose="advertising") == "refusal"
    assert latest_kind(lead=lead, channel="sms", purpose="advertising") == "refusal"
    assert latest_kind(contact=contact, channel="whatsapp", purpose="advertising") is None
    assert Consent.objects.filter(kind="refusal", method__value="reply").count() == 2
    assert TextRefusal.objects.get().people == 2
    assert not Ticket.objects.exists()
    assert _text(api_for, "STOP", "w1", channel="whatsapp").json()["outcome"] == "refused"
    assert latest_kind(contact=contact, channel="whatsapp", purpose="advertising") == "refusal"
    # Not a refusal word alone: the service desk's, as before.
    assert _text(api_for, "הסר אותי מהחשבונית", "m2").json()["outcome"] == "opened"


def test_the_refusal_words_are_data(users, api_for, settings):
    settings.KESHER_SMS_INBOUND_SECRET = SECRET
    settings.KESHER_SMS_INBOUND_AUTH = "hmac"
    record_create(
        "choices",
        actor=users["admin"],
        data={"list_key": "refusal_word", "value": "די", "label_he": "די", "label_en": "די"},
    )
    assert _text(api_for, "די", "m3").json()["outcome"] == "refused"
    assert Consent.objects.count() == 0  # an unknown number: nobody to record it for
    assert TextRefusal.objects.get().people == 0


# --- every lead again when a rule changes (decision 0117) ----------------------------------------


def test_a_rule_change_recomputes_every_open_lead_once_in_batches(
    users, django_capture_on_commit_callbacks, django_assert_max_num_queries, monkeypatch
):
    """TK-8, MK-4: adding, changing or removing a rule has the worker recompute every open
    lead's score in batches — a lead once per run, several changes before it finishes one run
    (a run under way starts over), converted leads left alone; with no rule left the scores
    are cleared."""
    from kesher.marketing import scoring
    from kesher.marketing.models import ScoreRecompute

    admin = users["admin"]
    leads = [
        make_lead(admin, last_name=f"ליד {n}", city="חיפה" if n % 2 else "תל אביב")
        for n in range(5)
    ]
    Lead.objects.filter(pk=leads[4].pk).update(converted_at=time_now())
    writes = []
    real_update = scoring.record_update

    def counted(record, **kwargs):
        writes.append(record.pk)
        return real_update(record, **kwargs)

    monkeypatch.setattr(scoring, "record_update", counted)

    with django_capture_on_commit_callbacks(execute=True):
        haifa = rule(admin, condition={"field": "city", "op": "eq", "value": "חיפה"}, points=20)
    with django_capture_on_commit_callbacks(execute=True):
        record_update(haifa, actor=admin, data={"points": 30})
    run = ScoreRecompute.objects.get()  # two changes, one run
    assert run.finished_at is None
    assert scoring.recompute_scores(limit=3) == 3
    assert scoring.recompute_scores(limit=3) == 1
    assert scoring.recompute_scores(limit=3) == 0  # nothing left: finished
    run.refresh_from_db()
    assert (run.leads_done, run.scores_changed, run.finished_at is not None) == (4, 4, True)
    scores = dict(Lead.objects.values_list("pk", "score"))
    assert [scores[lead.pk] for lead in leads] == [0, 30, 0, 30, None]
    assert sorted(writes) == sorted(lead.pk for lead in leads[:4])  # once each
    assert scoring.recompute_scores() == 0  # a finished run is not done again

    # A change while a run is under way: it starts over, every lead by the new rules.
    writes.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record_update(haifa, actor=admin, data={"points": 40})
    assert scoring.recompute_scores(limit=2) == 2
    with django_capture_on_commit_callbacks(execute=True):
        record_update(haifa, actor=admin, data={"points": 50})
    assert ScoreRecompute.objects.filter(finished_at__isnull=True).count() == 1
    while scoring.recompute_scores(limit=2):
        pass
    assert writes.count(leads[1].pk) == 2
    assert writes.count(leads[0].pk) == 0
    assert Lead.objects.get(pk=leads[3].pk).score == 50

    # A batch reads the same whatever its size; unchanged scores write nothing: its
    # savepoint and release, the run, the leads, the rules, the fields' aggregate, its place.
    scoring.score_recompute_request()
    writes.clear()
    with django_assert_max_num_queries(7):
        assert scoring.recompute_scores(limit=50) == 4
    assert writes == []

    with django_capture_on_commit_callbacks(execute=True):
        record_update(haifa, actor=admin, data={"active": False})
    while scoring.recompute_scores():
        pass
    assert set(Lead.objects.exclude(pk=leads[4].pk).values_list("score", flat=True)) == {None}


def time_now():
    from django.utils import timezone

    return timezone.now()
