"""Assignment by skill (issue 18 item 3; decision 0094): skills are data an administrator
edits — a ticket type and the agents who have it —, and a team assigning "least loaded with the
skill" gives a new ticket to the member having the skill for its type with the fewest open
tickets; none having it leaves the ticket in the queue."""

from __future__ import annotations

import pytest

from kesher.platform.records.services import record_create
from kesher.service.models import Skill, Team
from kesher.service.services import ticket_update
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def team(users):
    return record_create(
        "service-teams",
        actor=users["admin"],
        data={"name_he": "תמיכה", "assignment": Team.Assignment.SKILLS},
        m2m={"members": [users["support_agent"], users["sales_rep"], users["manager"]]},
    )


def _skill(users, type_value, agents, **data):
    return record_create(
        "service-skills",
        actor=users["admin"],
        data={"name_he": type_value, "ticket_type": choice("ticket_type", type_value), **data},
        m2m={"agents": agents},
    )


def test_the_least_loaded_agent_having_the_skill_takes_the_ticket(users, team):
    agent, rep, manager = users["support_agent"], users["sales_rep"], users["manager"]
    _skill(users, "technical_support", [agent, manager])
    _skill(users, "marketing_info", [rep])
    support = choice("ticket_type", "technical_support")
    make_ticket(users["admin"], handler=agent)  # the agent is busier
    # The rep has no open ticket but not the skill: the manager takes it.
    assert make_ticket(users["admin"], team=team, ticket_type=support).handler == manager
    assert make_ticket(users["admin"], team=team, ticket_type=support).handler in (agent, manager)
    marketing = choice("ticket_type", "marketing_info")
    assert make_ticket(users["admin"], team=team, ticket_type=marketing).handler == rep


def test_nobody_with_the_skill_leaves_the_ticket_in_the_queue(users, team):
    _skill(users, "technical_support", [users["support_agent"]], active=False)
    # An inactive skill counts for nothing; a ticket without a type matches no skill.
    support = choice("ticket_type", "technical_support")
    assert make_ticket(users["admin"], team=team, ticket_type=support).handler is None
    assert make_ticket(users["admin"], team=team).handler is None


def test_moving_a_ticket_to_the_team_assigns_by_its_type(users, team):
    _skill(users, "training_info", [users["sales_rep"]])
    ticket = make_ticket(users["admin"], ticket_type=choice("ticket_type", "training_info"))
    moved = ticket_update(ticket, actor=users["admin"], data={"team": team})
    assert moved.handler == users["sales_rep"]


def test_skills_are_edited_through_the_api_and_the_page(users, api_for, client_for):
    admin = users["admin"]
    api = api_for(admin, "en")
    support = choice("ticket_type", "technical_support")
    made = api.post(
        "/api/v1/service-skills/",
        {"name_he": "מדפסות", "ticket_type": support.pk, "agents": [users["support_agent"].pk]},
        format="json",
    )
    assert made.status_code == 201, made.content
    skill = Skill.objects.get(pk=made.json()["id"])
    assert list(skill.agents.all()) == [users["support_agent"]]
    bad = api.post(
        "/api/v1/service-skills/",
        {"name_he": "סוג שגוי", "ticket_type": choice("ticket_priority", "high").pk},
        format="json",
    )
    assert bad.status_code == 400
    assert "ticket_type" in bad.json()
    assert Skill.objects.count() == 1
    page = client_for(admin).get(f"/r/service-skills/{skill.pk}/")
    assert page.status_code == 200
    assert "מדפסות" in page.content.decode()
    # Agents read their team's rules but do not edit skills.
    assert api_for(users["support_agent"]).post("/api/v1/service-skills/", {}).status_code == 403
