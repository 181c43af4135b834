"""The demo's customer portal (issue 18 item 6): a customer's contact signs in with the demo
password and finds his quote waiting and the ticket he opened."""

import pytest
from django.test import Client

from kesher.demo.organization import DEMO_PASSWORD
from kesher.portal.models import PortalUser
from kesher.portal.selectors import portal_quotes, portal_tickets

pytestmark = pytest.mark.django_db


def test_the_demo_customer_signs_in_to_the_portal(loaded):
    portal_user = PortalUser.objects.get(is_active=True)
    assert portal_user.email in loaded
    assert "/portal/" in loaded
    assert portal_tickets(portal_user).exists()
    assert portal_quotes(portal_user).filter(status="sent").exists()
    client = Client()
    response = client.post(
        "/portal/sign-in/", {"email": portal_user.email, "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    page = client.get("/portal/").content.decode()
    assert "הדוח החודשי נתקע" in page
