"""The ticket card of seed 001 through its services: dependent classification, priority from
the type, required fields per status, responsible and handling users, queues and their
assignment, responses (REQ SV-2 … SV-5, SV-7, SV-9)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.activities.models import Interaction
from kesher.activities.services import interaction_create
from kesher.customers.tests.factories import make_account, make_contact
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.service.models import SlaPolicy, Team, Ticket
from kesher.service.services import policy_for, ticket_update
from kesher.service.tests.factories import choice, make_ticket, require_resolution

pytestmark = pytest.mark.django_db


def test_a_subtype_must_belong_to_the_type(users):
    """SV-2: installing software is technical support, not a marketing request; level 2 is
    optional, and must belong to the subtype when given."""
    agent = users["support_agent"]
    with pytest.raises(ValidationError) as error:
        make_ticket(
            agent,
            ticket_type=choice("ticket_type", "marketing_info"),
            subtype=choice("ticket_subtype", "software_install"),
        )
    assert "subtype" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_ticket(
            agent,
            ticket_type=choice("ticket_type", "technical_support"),
            subtype=choice("ticket_subtype", "software_install"),
            subtype2=choice("ticket_subtype2", "server"),
        )
    assert "subtype2" in error.value.message_dict
    assert not Ticket.objects.exists()
    ticket = make_ticket(
        agent,
        ticket_type=choice("ticket_type", "technical_support"),
        subtype=choice("ticket_subtype", "software_install"),
        subtype2=choice("ticket_subtype2", "windows"),
    )
    assert ticket.subtype2.value == "windows"
    assert make_ticket(agent, ticket_type=choice("ticket_type", "technical_support")).pk


def test_priority_by_hand_or_from_the_type(users):
    """SV-3: the type's default priority (data on the type) unless one is chosen."""
    agent = users["support_agent"]
    training = choice("ticket_type", "training_info")
    assert make_ticket(agent, ticket_type=training).priority.value == "low"
    chosen = make_ticket(agent, ticket_type=training, priority=choice("ticket_priority", "urgent"))
    assert chosen.priority.value == "urgent"
    assert make_ticket(agent).priority.value == "medium"  # no type: the list's default
    marketing = choice("ticket_type", "marketing_info")
    marketing.extra = {"default_priority": "urgent"}
    marketing.save(update_fields=["extra"])
    assert make_ticket(agent, ticket_type=marketing).priority.value == "urgent"


def test_a_ticket_gets_a_human_number_and_is_found_by_it(users, client_for):
    ticket = make_ticket(users["support_agent"], subject="המדפסת לא מדפיסה")
    assert ticket.number == f"T-{ticket.pk:06d}"
    found = client_for(users["support_agent"]).get(f"/api/v1/tickets/?search={ticket.number}")
    assert [row["id"] for row in found.json()["results"]] == [ticket.pk]


@pytest.mark.parametrize("language", ["he", "en"])
def test_resolving_requires_the_resolution(users, language):
    """SV-4: the status decides the card's required fields (a field rule on "resolved" and
    "closed", data an administrator edits); nothing is written without it."""
    agent = users["support_agent"]
    require_resolution(users["admin"])
    ticket = make_ticket(agent)
    with translation.override(language), pytest.raises(ValidationError) as error:
        ticket_update(ticket, actor=agent, data={"status": choice("ticket_status", "resolved")})
    assert "resolution" in error.value.message_dict
    ticket.refresh_from_db()
    assert ticket.status.value == "new"
    assert ticket.resolved_at is None
    ticket_update(
        ticket,
        actor=agent,
        data={"status": choice("ticket_status", "resolved"), "resolution": "הוחלפה מחסנית"},
    )
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None


def test_responsible_and_handler_are_separate_and_only_active(users):
    """SV-5: the responsible user (owns closing) and the handler are two fields; a user who
    left cannot be chosen for either."""
    agent, manager = users["support_agent"], users["manager"]
    ticket = make_ticket(agent, owner=manager, handler=agent)
    assert (ticket.owner, ticket.handler) == (manager, agent)
    for field in ("owner", "handler"):
        with pytest.raises(ValidationError) as error:
            make_ticket(agent, **{field: users["inactive"]})
        assert field in error.value.message_dict


def test_the_contact_must_be_at_the_account(users):
    agent = users["support_agent"]
    account = make_account(users["admin"], name="אלפא")
    elsewhere = make_contact(users["admin"], first_name="דנה", last_name="לוי")
    with pytest.raises(ValidationError) as error:
        make_ticket(agent, account=account, contact=elsewhere)
    assert "contact" in error.value.message_dict


def _team(users, assignment):
    team = record_create(
        "service-teams",
        actor=users["admin"],
        data={"name_he": "תמיכה", "assignment": assignment},
        m2m={"members": [users["support_agent"], users["sales_rep"], users["manager"]]},
    )
    return team


def test_round_robin_takes_turns(users):
    team = _team(users, Team.Assignment.ROUND_ROBIN)
    members = sorted(
        [users["support_agent"], users["sales_rep"], users["manager"]], key=lambda u: u.pk
    )
    handlers = [make_ticket(users["admin"], team=team).handler for _ in range(4)]
    assert handlers == [*members, members[0]]


def test_least_loaded_takes_the_one_with_fewest_open_tickets(users):
    team = _team(users, Team.Assignment.LEAST_LOADED)
    busy = users["support_agent"]
    make_ticket(users["admin"], handler=busy)
    make_ticket(users["admin"], handler=users["manager"])
    assert make_ticket(users["admin"], team=team).handler == users["sales_rep"]


def test_a_team_by_hand_leaves_the_ticket_unassigned(users):
    team = _team(users, Team.Assignment.MANUAL)
    assert make_ticket(users["admin"], team=team).handler is None


def test_policy_matched_by_customer_type_and_priority(users):
    """SV-9: a VIP customer's policy before the standard one; type and priority narrow."""
    vip = make_account(users["admin"], name="לקוח VIP")
    other = make_account(users["admin"], name="לקוח רגיל")
    policy = record_create(
        "sla-policies",
        actor=users["admin"],
        data={
            "name_he": "VIP",
            "order": 1,
            "ticket_type": choice("ticket_type", "technical_support"),
            "first_response_hours": "0.5",
            "resolution_hours": "4",
        },
        m2m={"accounts": [vip]},
    )
    support = choice("ticket_type", "technical_support")
    assert make_ticket(users["admin"], account=vip, ticket_type=support).sla_policy == policy
    assert make_ticket(users["admin"], account=other, ticket_type=support).sla_policy != policy
    marketing = choice("ticket_type", "marketing_info")
    assert make_ticket(users["admin"], account=vip, ticket_type=marketing).sla_policy != policy
    standard = SlaPolicy.objects.get(name_en="Standard")
    low = make_ticket(users["admin"], priority=choice("ticket_priority", "low"))
    assert policy_for(low) == standard
    # Another customer later: the running clocks take the VIP targets.
    ticket = make_ticket(users["admin"], account=other, ticket_type=support)
    ticket = ticket_update(ticket, actor=users["admin"], data={"account": vip})
    assert ticket.sla_policy == policy
    assert ticket.sla_clocks.get(kind="first_response").target_seconds == 1800


def test_an_outgoing_call_on_the_ticket_is_its_first_response(
    users, django_capture_on_commit_callbacks
):
    """SV-7: the ticket frames its calls and e-mails; an outgoing one answers the customer."""
    agent = users["support_agent"]
    ticket = make_ticket(agent)
    kind = Choice.objects.filter(list_key="interaction_kind").first()
    with django_capture_on_commit_callbacks(execute=True):
        interaction_create(
            actor=agent,
            data={
                "kind": kind,
                "subject": "חזרתי ללקוח",
                "direction": Interaction.Direction.OUTBOUND,
                "link_type": "tickets",
                "link_id": ticket.pk,
            },
        )
    ticket.refresh_from_db()
    assert ticket.first_responded_at is not None
    assert ticket.sla_clocks.get(kind="first_response").met_at is not None
    assert ticket.sla_clocks.get(kind="resolution").met_at is None


def test_the_home_page_lists_my_open_tickets_soonest_due_first(users, client_for):
    agent = users["support_agent"]
    later = make_ticket(agent, subject="later one", handler=agent)
    sooner = make_ticket(
        agent, subject="sooner one", handler=agent, priority=choice("ticket_priority", "urgent")
    )
    make_ticket(agent, subject="someone else's", handler=users["manager"])
    page = client_for(agent).get("/").content.decode()
    card = page[page.index('id="home-tickets"') :]
    assert card.index(sooner.subject) < card.index(later.subject)
    assert "someone else's" not in card


def test_a_ticket_names_the_product_group_and_product_it_is_about(users, api_for):
    """Service by product (issue 16 item 6; seed 001): a ticket links a product group and a
    product of the catalogue, shown in its classification and filtered by in the list and API."""
    from kesher.catalogue.tests.factories import make_group, make_product

    admin = users["admin"]
    printers = make_group(admin, "מדפסות")
    printer = make_product(admin, name="מדפסת לייזר", group=printers)
    ticket = make_ticket(admin, product_group=printers, product=printer)
    make_ticket(admin)
    ticket.refresh_from_db()
    assert (ticket.product_group, ticket.product) == (printers, printer)
    answer = api_for(admin).get(f"/api/v1/tickets/?product_group={printers.pk}")
    assert [row["id"] for row in answer.json()["results"]] == [ticket.pk]
    assert api_for(admin).get(f"/api/v1/tickets/?product={printer.pk}").json()["results"]
