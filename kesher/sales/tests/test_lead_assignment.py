"""Lead assignment rules (REQ SA-1, SA-12; issue 15 item 1): a new lead without an owner goes
to the user the first matching rule gives — a fixed user, the next member in turn or the one
with the fewest open leads, among the rule's members or those of the lead's region — on every
path that creates leads (page, API, import, automation)."""

import pytest

from kesher.org.models import Region
from kesher.platform.models import Choice
from kesher.sales.models import Lead, LeadAssignmentRule
from kesher.sales.services import lead_assignee
from kesher.sales.tests.factories import make_lead

pytestmark = pytest.mark.django_db


def source(value: str) -> Choice:
    return Choice.objects.get(list_key="lead_source", value=value)


def rule(order=10, members=(), **values) -> LeadAssignmentRule:
    values.setdefault("name_he", f"כלל {order}")
    made = LeadAssignmentRule.objects.create(order=order, **values)
    made.members.set(members)
    return made


def test_without_rules_the_creating_user_owns_the_lead(users):
    lead = make_lead(users["sales_rep"])
    assert lead.owner == users["sales_rep"]


def test_a_named_owner_is_kept_whatever_the_rules_say(users):
    rule(method="user", user=users["manager"])
    lead = make_lead(users["sales_rep"], owner=users["sales_rep2"])
    assert lead.owner == users["sales_rep2"]


def test_round_robin_gives_each_member_in_turn(users):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    rotation = rule(method="round_robin", members=[rep2, rep])
    owners = [make_lead(users["admin"]).owner for _ in range(4)]
    first, second = sorted([rep, rep2], key=lambda user: user.pk)
    assert owners == [first, second, first, second]
    rotation.refresh_from_db()
    assert rotation.last_assigned == second


def test_least_loaded_gives_the_member_with_the_fewest_open_leads(users):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    for _ in range(2):
        make_lead(rep, owner=rep)
    make_lead(rep2, owner=rep2)
    disqualified = Choice.objects.get(list_key="lead_status", value="disqualified")
    make_lead(rep2, owner=rep2, status=disqualified)  # not open: does not count
    rule(method="least_loaded", members=[rep, rep2])
    assert make_lead(users["admin"]).owner == rep2
    # Now both have two open leads: the lower id wins the tie.
    assert make_lead(users["admin"]).owner == min([rep, rep2], key=lambda user: user.pk)


def test_the_first_rule_whose_source_and_region_match_wins(users):
    north, south = Region.objects.get(name_en="North"), Region.objects.get(name_en="South")
    rule(order=1, method="user", user=users["sales_rep"], source=source("website"), region=north)
    rule(order=2, method="user", user=users["sales_rep2"], source=source("website"))
    rule(order=3, method="user", user=users["manager"])
    admin = users["admin"]
    assert make_lead(admin, source=source("website"), region=north).owner == users["sales_rep"]
    assert make_lead(admin, source=source("website"), region=south).owner == users["sales_rep2"]
    assert make_lead(admin, source=source("referral")).owner == users["manager"]


def test_by_region_chooses_among_the_members_working_in_the_leads_region(users):
    north, south = Region.objects.get(name_en="North"), Region.objects.get(name_en="South")
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    rep.regions.set([north])
    rep2.regions.set([south])
    rule(method="round_robin", members=[rep, rep2], by_region=True)
    assert make_lead(users["admin"], region=south).owner == rep2
    assert make_lead(users["admin"], region=north).owner == rep
    # No region, or nobody of the rule in it: the rule does not apply.
    assert make_lead(users["admin"]).owner == users["admin"]
    assert lead_assignee({"region": Region.objects.get(name_en="Haifa")}) == (None, None)


def test_a_refused_lead_takes_nobodys_turn(users, api_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    rotation = rule(method="round_robin", members=[rep, rep2])
    refused = api_for(users["admin"]).post("/api/v1/leads/", {"city": "חיפה"}, format="json")
    assert refused.status_code == 400
    rotation.refresh_from_db()
    assert rotation.last_assigned is None
    assert not Lead.objects.exists()


def test_inactive_users_and_inactive_rules_are_passed_over(users):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    rule(order=1, method="round_robin", members=[rep], active=False)
    rule(order=2, method="round_robin", members=[users["inactive"], rep2])
    assert [make_lead(users["admin"]).owner for _ in range(2)] == [rep2, rep2]


def test_a_fixed_user_rule_needs_its_user(users, api_for):
    answer = api_for(users["admin"]).post(
        "/api/v1/lead-rules/",
        {"name_he": "קבוע", "method": "user"},
        format="json",
    )
    assert answer.status_code == 400
    assert answer.json()["user"] == ["בחרו את המשתמש שהלידים יגיעו אליו."]
    assert not LeadAssignmentRule.objects.exists()


def test_the_api_applies_the_rules_and_only_managers_shape_them(users, api_for):
    rep, rep2 = users["sales_rep"], users["sales_rep2"]
    made = api_for(users["manager"]).post(
        "/api/v1/lead-rules/",
        {"name_he": "אתר", "method": "round_robin", "members": [rep2.pk]},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["method"] == "round_robin"
    created = api_for(rep).post("/api/v1/leads/", {"last_name": "כהן"}, format="json")
    assert created.status_code == 201, created.content
    assert Lead.objects.get(pk=created.json()["id"]).owner == rep2
    refused = api_for(rep).post(
        "/api/v1/lead-rules/", {"name_he": "שלי", "method": "user", "user": rep.pk}, format="json"
    )
    assert refused.status_code == 403
    assert LeadAssignmentRule.objects.count() == 1


def test_the_rules_list_page_names_the_method(users, client_for):
    rule(name_he="סבב האתר", method="round_robin", members=[users["sales_rep"]])
    page = client_for(users["manager"]).get("/r/lead-rules/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "סבב האתר" in html
    assert "סבב" in html  # the method's label, in Hebrew
