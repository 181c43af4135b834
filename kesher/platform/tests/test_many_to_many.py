"""Many-to-many links to records out of the reader's scope (issue "Platform v2" item 2, REQ
OR-3): a rep editing a record linked to another rep's contact neither sees its name anywhere —
page, list, API, export — nor removes the link."""

from __future__ import annotations

import pytest

from kesher.activities.models import Interaction
from kesher.activities.tests.factories import make_interaction
from kesher.customers.tests.factories import make_account, make_contact

pytestmark = pytest.mark.django_db

THEIRS = "Hidden-Participant"


@pytest.fixture
def meeting(users):
    """rep1's call on his account, with his contact and rep2's contact taking part (an
    administrator logged it for him)."""
    rep1, rep2 = users["sales_rep"], users["sales_rep2"]
    account = make_account(rep1, name="Rep One's account", owner=rep1)
    mine = make_contact(rep1, first_name="Own-Participant", last_name="x", owner=rep1)
    theirs = make_contact(rep2, first_name=THEIRS, last_name="y", owner=rep2)
    interaction = make_interaction(
        users["admin"],
        account,
        owner=rep1,
        subject="Kickoff",
        m2m={"participant_contacts": [mine, theirs]},
    )
    return interaction, mine, theirs


def test_the_page_names_only_visible_links_and_counts_the_rest(users, client_for, meeting):
    interaction, _mine, _theirs = meeting
    page = client_for(users["sales_rep"]).get(f"/r/interactions/{interaction.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Own-Participant" in html
    assert THEIRS not in html
    assert "עוד אחד שאינך רשאי לראות" in html
    # The administrator sees both, and no count of hidden ones.
    admin_html = client_for(users["admin"]).get(f"/r/interactions/{interaction.pk}/")
    assert THEIRS in admin_html.content.decode()


def test_the_api_lists_only_visible_links(users, api_for, meeting):
    interaction, mine, _theirs = meeting
    api = api_for(users["sales_rep"])
    one = api.get(f"/api/v1/interactions/{interaction.pk}/").json()
    assert one["participant_contacts"] == [mine.pk]
    listed = api.get("/api/v1/interactions/").json()["results"]
    assert [row["participant_contacts"] for row in listed if row["id"] == interaction.pk] == [
        [mine.pk]
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_list_and_export_leave_out_hidden_links(users, client_for, meeting, fmt):
    client = client_for(users["sales_rep"])
    columns = "subject,participant_contacts"
    listed = client.get("/r/interactions/", {"columns": columns}).content.decode()
    assert "Own-Participant" in listed
    assert THEIRS not in listed
    response = client.get(f"/r/interactions/export.{fmt}", {"columns": columns})
    assert THEIRS.encode() not in b"".join(response.streaming_content)


def test_saving_what_the_rep_sees_keeps_the_hidden_link(users, client_for, api_for, meeting):
    interaction, mine, theirs = meeting
    rep = users["sales_rep"]
    other = make_contact(rep, first_name="Added", last_name="z", owner=rep)

    # Through the API: the rep sends the participants he sees, plus one.
    response = api_for(rep).patch(
        f"/api/v1/interactions/{interaction.pk}/",
        {"participant_contacts": [mine.pk, other.pk]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert sorted(response.json()["participant_contacts"]) == sorted([mine.pk, other.pk])
    linked = set(Interaction.objects.get(pk=interaction.pk).participant_contacts.all())
    assert linked == {mine, other, theirs}

    # Through the form: the rep removes his own contact; rep2's stays.
    form = client_for(rep).get(f"/r/interactions/{interaction.pk}/edit/")
    assert THEIRS not in form.content.decode()
    data = {
        key: value
        for key, value in form.context["form"].initial.items()
        if value is not None and key != "participant_contacts"
    }
    data.update(
        {
            "participant_contacts": [other.pk],
            "kind": interaction.kind_id,
            "owner": rep.pk,
            "occurred_at": interaction.occurred_at.strftime("%Y-%m-%dT%H:%M"),
            "version": Interaction.objects.get(pk=interaction.pk).version,
        }
    )
    data = {k: v for k, v in data.items() if not isinstance(v, list) or k == "participant_contacts"}
    saved = client_for(rep).post(f"/r/interactions/{interaction.pk}/edit/", data)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    linked = set(Interaction.objects.get(pk=interaction.pk).participant_contacts.all())
    assert linked == {other, theirs}


def test_an_administrator_removes_any_link(users, api_for, meeting):
    """The control: whoever sees every linked record can remove any of them."""
    interaction, mine, _theirs = meeting
    response = api_for(users["admin"]).patch(
        f"/api/v1/interactions/{interaction.pk}/",
        {"participant_contacts": [mine.pk]},
        format="json",
    )
    assert response.status_code == 200
    assert list(Interaction.objects.get(pk=interaction.pk).participant_contacts.all()) == [mine]
