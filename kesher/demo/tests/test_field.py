"""The demo technician's day (issue 18 item 9): two visits today on open tickets he handles,
each with the customer's address, a phone and navigation links."""

import pytest

from kesher.org.models import User
from kesher.service.fieldday import day_visits

pytestmark = pytest.mark.django_db


def test_the_demo_technician_has_two_visits_today(loaded):
    alon = User.objects.get(username="alon")
    visits = day_visits(alon)
    assert len(visits) == 2
    assert all(v.ticket.handler_id == alon.pk and not v.overdue for v in visits)
    assert all(v.address and v.links["waze"] for v in visits)
    assert visits[0].at < visits[1].at
