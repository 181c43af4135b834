import pytest
from django.test import Client

from kesher.catalogue.tests.conftest import catalogue  # noqa: F401  (the shared catalogue)
from kesher.customers.tests.factories import make_account, make_contact
from kesher.portal.auth import HASH_KEY, SESSION_KEY, session_hash
from kesher.portal.services import portal_invite

PORTAL_PASSWORD = "Portal-pass-2026!"  # (the tests' portal users sign in with it)


@pytest.fixture
def world(users):
    """Two customers, each with a contact invited to the portal (A's with a password set)."""
    rep = users["sales_rep"]
    account_a = make_account(rep, name="לקוח א בע״מ")
    account_b = make_account(users["sales_rep2"], name="לקוח ב בע״מ")
    dana = make_contact(
        rep,
        first_name="דנה",
        last_name="כהן",
        email="dana@a.example",
        account_links=[{"account": account_a}],
    )
    boaz = make_contact(
        users["sales_rep2"],
        first_name="בועז",
        last_name="לוי",
        email="boaz@b.example",
        account_links=[{"account": account_b}],
    )
    portal_a = portal_invite(dana, actor=rep)
    portal_a.set_password(PORTAL_PASSWORD)
    portal_a.save(update_fields=["password"])
    portal_b = portal_invite(boaz, actor=users["sales_rep2"])
    portal_b.set_password(PORTAL_PASSWORD)
    portal_b.save(update_fields=["password"])
    return {
        "a": account_a,
        "b": account_b,
        "dana": dana,
        "boaz": boaz,
        "portal_a": portal_a,
        "portal_b": portal_b,
    }


def portal_client(portal_user) -> Client:
    """A browser signed in to the portal as ``portal_user`` (the session the sign-in makes)."""
    client = Client()
    session = client.session
    session[SESSION_KEY] = portal_user.pk
    session[HASH_KEY] = session_hash(portal_user)
    session.save()
    return client


@pytest.fixture
def portal_for():
    return portal_client
