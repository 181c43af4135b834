"""Guards on who administers (issue 24 item 4, REQ OR-3): the last active administrator cannot
be deactivated, demoted or deleted by any route — the page, the API, a bulk action, a role made
no longer an administrator's; nobody deactivates or deletes himself; a time zone is a real one."""

import pytest
from django.core.exceptions import ValidationError

from kesher.org.models import Role, RolePermission, User
from kesher.org.services import role_create, role_update, user_delete, user_update

pytestmark = pytest.mark.django_db

LAST_ADMIN = "Kesher needs at least one active administrator"


@pytest.fixture
def user_manager(users):
    """The manager may manage users (an HR-like grant) but is no administrator."""
    RolePermission.objects.update_or_create(
        role=users["manager"].role,
        entity="users",
        defaults={
            "can_view": True,
            "can_add": True,
            "can_change": True,
            "can_delete": True,
            "scope": "all",
        },
    )
    return users["manager"]


def admin_state(user) -> tuple:
    user.refresh_from_db()
    return user.is_active, user.role.key


def test_the_page_refuses_to_deactivate_or_demote_the_last_administrator(
    users, user_manager, client_for
):
    admin = users["admin"]
    client = client_for(user_manager)
    form = client.get(f"/r/users/{admin.pk}/edit/")
    assert form.status_code == 200
    data = {
        "username": admin.username,
        "first_name": admin.first_name,
        "email": admin.email,
        "language": "he",
        "time_zone": "Asia/Jerusalem",
        "version": getattr(admin, "version", ""),
    }
    # is_active unticked (the manager sees no roles: the role box comes back empty).
    refused = client.post(f"/r/users/{admin.pk}/edit/", data)
    assert refused.status_code == 200
    assert "מנהל מערכת פעיל" in refused.content.decode()
    demoted = client_for(admin).post(
        f"/r/users/{admin.pk}/edit/",
        {**data, "is_active": "on", "role": Role.objects.get(key="read_only").pk},
    )
    assert demoted.status_code == 200
    assert "מנהל מערכת פעיל" in demoted.content.decode()
    deleted = client.post(f"/r/users/{admin.pk}/delete/")
    assert deleted.status_code == 302
    assert admin_state(admin) == (True, "admin")


def test_the_api_refuses_every_way_of_removing_the_last_administrator(users, user_manager, api_for):
    admin = users["admin"]
    api = api_for(user_manager, "en")
    url = f"/api/v1/users/{admin.pk}/"
    deactivated = api.patch(url, {"is_active": False}, format="json")
    assert deactivated.status_code == 400
    assert LAST_ADMIN in deactivated.json()["is_active"][0]
    # Only administrators see roles: the last one demoting himself.
    demoted = api_for(admin, "en").patch(
        url, {"role": Role.objects.get(key="sales_rep").pk}, format="json"
    )
    assert demoted.status_code == 400
    assert LAST_ADMIN in demoted.json()["role"][0]
    deleted = api.delete(url)
    assert deleted.status_code == 400
    assert LAST_ADMIN in str(deleted.json())
    for caller, action in (
        (api, {"action": "update", "field": "is_active", "value": False}),
        (
            api_for(admin, "en"),
            {"action": "update", "field": "role", "value": Role.objects.get(key="sales_rep").pk},
        ),
        (api, {"action": "delete"}),
    ):
        bulk = caller.post("/api/v1/bulk/users/", {**action, "ids": [admin.pk]}, format="json")
        # Refused before the job starts (a single record) or reported as rejected.
        assert bulk.status_code in (200, 400)
        assert LAST_ADMIN in str(bulk.json())
        assert bulk.json().get("updated", 0) == 0
    assert admin_state(admin) == (True, "admin")


def test_another_administrator_may_be_removed_while_one_remains(users, api_for):
    admin = users["admin"]
    second = User.objects.create(username="admin2", role=admin.role)
    assert (
        api_for(admin)
        .patch(f"/api/v1/users/{second.pk}/", {"is_active": False}, format="json")
        .status_code
        == 200
    )


def test_a_role_cannot_stop_administering_while_it_holds_the_last_administrators(users):
    admin = users["admin"]
    chiefs = role_create(
        actor=admin,
        data={"key": "chiefs", "name_he": "ראשים", "name_en": "Chiefs", "is_admin": True},
    )
    User.objects.filter(pk=admin.pk).update(role=chiefs)
    with pytest.raises(ValidationError) as refused:
        role_update(chiefs, actor=admin, data={"is_admin": False})
    assert "is_admin" in refused.value.message_dict
    assert Role.objects.get(pk=chiefs.pk).is_admin


def test_nobody_deactivates_or_deletes_himself(users, api_for):
    admin = users["admin"]
    User.objects.create(username="admin2", role=admin.role)  # not the last one
    api = api_for(admin, "en")
    refused = api.patch(f"/api/v1/users/{admin.pk}/", {"is_active": False}, format="json")
    assert refused.status_code == 400
    assert refused.json()["is_active"] == ["You cannot deactivate yourself."]
    with pytest.raises(ValidationError):
        user_delete(admin, actor=admin)
    assert User.objects.get(pk=admin.pk).is_active


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", "asia/jerusalem", "x" * 64])
def test_a_time_zone_must_be_a_real_one(users, api_for, zone):
    rep = users["sales_rep"]
    response = api_for(users["admin"], "en").patch(
        f"/api/v1/users/{rep.pk}/", {"time_zone": zone}, format="json"
    )
    assert response.status_code == 400
    assert "time_zone" in response.json()
    rep.refresh_from_db()
    assert rep.time_zone == "Asia/Jerusalem"
    with pytest.raises(ValidationError):
        user_update(rep, actor=users["admin"], data={"time_zone": zone})


def test_a_real_time_zone_is_taken(users, api_for):
    rep = users["sales_rep"]
    response = api_for(users["admin"]).patch(
        f"/api/v1/users/{rep.pk}/", {"time_zone": "Europe/London"}, format="json"
    )
    assert response.status_code == 200
