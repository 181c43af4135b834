import itertools

import pytest

from kesher.customers.services import contact_create
from kesher.marketing.models import Channel, Consent
from kesher.marketing.services import consent_create
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create

SERIAL = itertools.count(1)


def choice(list_key, value):
    return Choice.objects.get(list_key=list_key, value=value)


def make_contacts(actor, n, *, city="חיפה", consent_kind=Consent.Kind.CONSENT, channel="email"):
    people = []
    for _ in range(n):
        i = next(SERIAL)
        person = contact_create(
            actor=actor,
            data={
                "first_name": f"איש{i}",
                "last_name": city,
                "email": f"p{i}@example.co.il",
                "mobile": f"0521{i:06d}",
                "city": city,
            },
        )
        if consent_kind:
            consent_create(
                actor=actor,
                data={
                    "contact": person,
                    "channel": channel,
                    "kind": consent_kind,
                    "method": choice("consent_method", "form"),
                    "source": "טופס באתר",
                    **(
                        {
                            "purchase_reference": "חשבונית 17",
                            "informed": True,
                            "offered_refusal": True,
                            "similar_products": True,
                        }
                        if consent_kind == Consent.Kind.EXISTING_CUSTOMER
                        else {}
                    ),
                },
            )
        people.append(person)
    return people


@pytest.fixture
def marketing(users):
    """A manager's e-mail campaign with its Haifa segment of contacts."""
    manager = users["manager"]
    view = saved_view_create(
        actor=manager,
        data={
            "entity": "contacts",
            "name": "חיפה",
            "filter": {"field": "city", "op": "eq", "value": "חיפה"},
            "columns": [],
        },
    )
    campaign = record_create(
        "campaigns",
        actor=manager,
        data={
            "name": "ניוזלטר חורף",
            "campaign_type": choice("campaign_type", "email"),
            "status": choice("campaign_status", "active"),
            "segment": view,
        },
    )
    return {"manager": manager, "view": view, "campaign": campaign, "channel": Channel.EMAIL}
