"""The security-incident register (Data Security Regulations 2017 §11; issue 25 item 4): only
the privacy officer's role keeps it; a report date needs the "reported" tick."""

import pytest
from django.core.exceptions import ValidationError

from kesher.platform.records.services import record_create
from kesher.privacy.models import SecurityIncident

pytestmark = pytest.mark.django_db


def test_a_report_date_needs_the_reported_tick(officer):
    with pytest.raises(ValidationError) as refused:
        record_create(
            "security-incidents",
            actor=officer,
            data={"title": "Laptop lost", "reported_on": "2026-03-02"},
        )
    assert "reported" in refused.value.message_dict
    assert not SecurityIncident.objects.exists()
    incident = record_create(
        "security-incidents",
        actor=officer,
        data={"title": "Laptop lost", "reported": True, "reported_on": "2026-03-02"},
    )
    assert incident.reported


def test_only_the_privacy_officer_keeps_the_register(users, officer, api_for):
    body = {"title": "Laptop lost", "severity": "serious", "records_affected": 1200}
    assert (
        api_for(officer).post("/api/v1/security-incidents/", body, format="json").status_code == 201
    )
    for key in ("sales_rep", "manager", "support_agent", "read_only"):
        assert api_for(users[key]).get("/api/v1/security-incidents/").status_code == 403
