"""What every page pays for the frame around its content (decision 0093): the session, the
user, the schema stamps, the approvals badge and the notifications bell — the menus, kept per
role, cost no query and render the same as when drawn afresh."""

from __future__ import annotations

import re

import pytest
from django.db import connection

from kesher.org.models import RolePermission
from kesher.platform import stamps

pytestmark = pytest.mark.django_db

# session, user, schema stamps, requests waiting for the user's approval, unread notifications
FRAME_QUERIES = 5


def _queries_of(client, url: str) -> tuple[object, list[str]]:
    sent: list[str] = []

    def log(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(log):
        response = client.get(url)
    return response, sent


def _menus(html: str) -> str:
    return re.search(r'<ul class="navbar-nav me-auto.*?<form class="d-flex', html, re.S).group(0)


def test_a_plain_page_of_a_role_user_costs_the_frame_alone(users, client_for):
    rep = client_for(users["sales_rep"])
    rep.get("/org/sign-in-providers/")  # the menus are kept from the first page on
    for url, status in (("/org/sign-in-providers/", 403), ("/", 200)):
        response, sent = _queries_of(rep, url)
        assert response.status_code == status
        if url != "/":  # the home page adds its own tiles' reads
            assert len(sent) <= FRAME_QUERIES, "\n".join(sent)


def test_kept_menus_are_what_a_fresh_rendering_draws(users, client_for):
    rep = client_for(users["sales_rep"])
    first = _menus(rep.get("/r/accounts/").content.decode())
    kept = _menus(rep.get("/r/accounts/").content.decode())
    stamps.renew(stamps.ROLES)
    fresh = _menus(rep.get("/r/accounts/").content.decode())
    assert first == kept == fresh
    assert 'active" aria-current="page" href="/r/accounts/"' in kept
    assert 'aria-current="page"' not in _menus(rep.get("/").content.decode())


def test_each_role_sees_its_own_menus(users, client_for):
    rep = _menus(client_for(users["sales_rep"]).get("/").content.decode())
    admin = _menus(client_for(users["admin"]).get("/").content.decode())
    assert "/org/sign-in-providers/" in admin
    assert "/org/sign-in-providers/" not in rep
    assert _menus(client_for(users["sales_rep2"]).get("/").content.decode()) == rep


def test_a_changed_role_changes_its_menus_on_the_next_page(users, client_for):
    viewer = client_for(users["read_only"])
    assert 'data-entity="campaigns"' in _menus(viewer.get("/").content.decode())
    RolePermission.objects.filter(role=users["read_only"].role, entity="campaigns").delete()
    assert 'data-entity="campaigns"' not in _menus(viewer.get("/").content.decode())
