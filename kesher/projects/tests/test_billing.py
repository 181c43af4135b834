"""Rate cards and the billable value of approved hours (REQ PR-4): the most specific card in
force prices each hour, and the values add up exactly in agorot."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kesher.platform.models import Choice
from kesher.platform.records.services import record_create
from kesher.projects.billing import Card, entry_value, project_value, rate_for
from kesher.projects.services import entries_approve, week_submit
from kesher.projects.tests.factories import add_member, make_project, report

DAY = datetime.date(2026, 1, 4)


def test_the_most_specific_card_in_force_prices_the_hour():
    cards = [
        Card(pk=1, rate=Decimal("200"), valid_from=datetime.date(2025, 1, 1)),
        Card(pk=2, rate=Decimal("250"), valid_from=datetime.date(2025, 1, 1), role=7),
        Card(pk=3, rate=Decimal("300"), valid_from=datetime.date(2025, 1, 1), role=7, account=5),
        Card(pk=4, rate=Decimal("350"), valid_from=datetime.date(2025, 1, 1), user=9),
        Card(
            pk=5,
            rate=Decimal("400"),
            valid_from=datetime.date(2025, 1, 1),
            valid_to=datetime.date(2025, 12, 31),
            user=9,
            account=5,
        ),
    ]
    pick = lambda **kw: rate_for(cards, **{"day": DAY, **kw}).pk  # noqa: E731
    assert pick(user=1, role=None, account=6) == 1
    assert pick(user=1, role=7, account=6) == 2
    assert pick(user=1, role=7, account=5) == 3
    assert pick(user=9, role=7, account=5) == 4  # card 5 ended last year
    assert pick(user=9, role=7, account=5, day=datetime.date(2025, 6, 1)) == 5
    assert rate_for(cards, user=1, role=None, account=6, day=datetime.date(2024, 1, 1)) is None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=24 * 60),
            st.integers(min_value=0, max_value=500_000).map(lambda cents: Decimal(cents) / 100),
        ),
        max_size=15,
    )
)
def test_values_are_agorot_and_add_up(rows):
    """Each entry's value is hours × rate rounded half up to agorot; the total is their sum,
    and it is never more than half an agora per entry away from the exact product."""
    values = [entry_value(minutes, rate) for minutes, rate in rows]
    for value in values:
        assert value == value.quantize(Decimal("0.01"))
    exact = sum((Decimal(m) * r / 60 for m, r in rows), Decimal(0))
    assert abs(sum(values, Decimal(0)) - exact) <= Decimal("0.005") * len(rows)


@pytest.mark.django_db
def test_a_projects_value_prices_only_approved_billable_hours(users):
    pm, rep = users["sales_rep"], users["sales_rep2"]
    project = make_project(pm)
    role = Choice.objects.get(list_key="project_role", value="consultant")
    add_member(pm, project, rep, role=role)
    for data in (
        {"name": "default", "hourly_rate": "200"},
        {"name": "consultant", "role": role, "hourly_rate": "300"},
    ):
        record_create(
            "rate-cards",
            actor=users["admin"],
            data={"valid_from": datetime.date(2025, 1, 1), **data},
        )
    report(rep, project, DAY, 90)  # 1.5 h consultant: ₪450
    report(pm, project, DAY, 50)  # 50 min default: ₪166.67
    report(rep, project, DAY + datetime.timedelta(days=1), 60, billable=False)
    report(rep, project, DAY + datetime.timedelta(days=7), 60)  # next week: not approved
    week_submit(actor=rep, week=DAY)
    week_submit(actor=pm, week=DAY)
    from kesher.projects.models import TimeEntry

    entries_approve(actor=pm, ids=list(TimeEntry.objects.values_list("pk", flat=True)))
    value = project_value(project)
    assert value.amount == Decimal("616.67")
    assert value.minutes == 140
    assert value.unpriced_minutes == 0


@pytest.mark.django_db
def test_the_value_shows_only_to_readers_of_rate_cards(users, client_for):
    """PR-4: the manager sees the value on the project's page; a rep does not."""
    pm = users["sales_rep"]
    project = make_project(users["manager"], owner=pm)
    page = client_for(users["manager"]).get(f"/r/projects/{project.pk}/").content.decode()
    assert 'id="project-value"' in page
    page = client_for(pm).get(f"/r/projects/{project.pk}/").content.decode()
    assert 'id="project-burn"' in page
    assert 'id="project-value"' not in page
