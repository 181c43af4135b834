"""The demo's telephony (REQ IN-2): a phone system, the reps' extensions and logged calls —
answered with a recording, missed, from an unknown number and rung to no user."""

import pytest

from kesher.activities.models import Interaction
from kesher.telephony.models import Call, PbxConnection, PhoneExtension

pytestmark = pytest.mark.django_db


def test_the_demo_has_a_phone_system_extensions_and_calls(loaded):
    assert PbxConnection.objects.filter(active=True).count() == 1
    assert PhoneExtension.objects.count() == 3
    calls = Call.objects.all()
    assert calls.count() >= 5
    assert calls.filter(user__isnull=True).exists()
    assert calls.filter(link_type="").exists()
    assert calls.filter(answered=False, status="ended").exists()
    assert calls.filter(direction="out").exists()
    answered = calls.filter(answered=True, link_type="contacts").first()
    assert answered is not None
    interaction = Interaction.objects.get(pk=answered.interaction_id)
    assert "https://" in interaction.body
    assert interaction.link_id == answered.link_id
    assert Interaction.objects.filter(pk__in=calls.values("interaction")).count() == calls.count()
