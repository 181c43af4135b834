"""The guided roll-out and the training (REQ IMPL-1, IMPL-2, AU-2; issue 23 items 1 and 2)."""

import sqlite3

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kesher.activities.models import TaskTemplate
from kesher.automation.models import InstalledProcess, Rule, RuleRun
from kesher.org.models import Role
from kesher.platform.models import Choice
from kesher.rollout import selectors, services
from kesher.rollout.detectors import Facts
from kesher.rollout.models import Exercise, Item, MappedProcess
from kesher.rollout.practice_facts import PracticeFacts

pytestmark = pytest.mark.django_db


def _sample():
    return MappedProcess.objects.get(name__contains="sBills")


def test_au2_the_seed_000_sample_installs_its_statuses_roles_and_rules_and_uninstalls(users):
    """The sBills service process, pre-filled by seed 000's six questions, becomes ticket
    statuses, roles, task templates and rules in one step, and goes away cleanly while unused."""
    admin = users["admin"]
    before = (Choice.objects.count(), Role.objects.count(), TaskTemplate.objects.count())
    process = services.mapped_process_install(_sample(), actor=admin)
    assert process.install_key == f"rollout-{process.pk}"
    statuses = set(Choice.objects.filter(list_key="ticket_status").values_list("value", flat=True))
    assert {"new", "classified", "in_development", "in_qa", "closed"} <= statuses
    assert set(Role.objects.filter(key__in=["developer", "qa"]).values_list("key", flat=True)) == {
        "developer",
        "qa",
    }
    rules = Rule.objects.filter(entity="tickets").order_by("id")
    assert [r.trigger_kind for r in rules] == [
        "created",
        "status_entered",
        "status_entered",
        "status_entered",
    ]
    fix = TaskTemplate.objects.get(assignee_role__key="developer")
    assert {"type": "create_task", "template": fix.pk} in rules[1].actions
    assert rules[3].actions[0]["type"] == "send_email"
    overview = selectors.rollout_overview(admin)
    done = {r["item"].key: r["done"] for s in overview["stages"] for r in s["items"]}
    assert done["mapped"]
    assert done["installed"]

    services.mapped_process_uninstall(process, actor=admin)
    assert (Choice.objects.count(), Role.objects.count(), TaskTemplate.objects.count()) == before
    assert not Rule.objects.exists()
    assert not InstalledProcess.objects.exists()
    # "new" and "closed" were there before: they stay.
    assert Choice.objects.filter(list_key="ticket_status", value="closed").exists()


def test_au2_a_process_in_use_stays_installed(users):
    admin = users["admin"]
    process = services.mapped_process_install(_sample(), actor=admin)
    rule = Rule.objects.filter(entity="tickets").first()
    RuleRun.objects.create(rule=rule, entity="tickets", record_id=1, trigger="created")
    with pytest.raises(ValidationError):
        services.mapped_process_uninstall(process, actor=admin)
    assert Rule.objects.count() == 4
    process.refresh_from_db()
    assert process.install_key
    with pytest.raises(ValidationError):  # its structure is fixed while installed
        services.mapped_process_save(
            actor=admin, process=process, data={"stages": process.stages[:2]}
        )
    # Renamed from the page, which sends its lines back as text (hours too).
    as_sent = [{**t, "hours": str(t["hours"])} for t in process.triggers]
    renamed = services.mapped_process_save(
        actor=admin, process=process, data={"name": "פניות שירות", "triggers": as_sent}
    )
    assert renamed.name == "פניות שירות"


def test_au2_a_mapped_pipeline_installs_stages_and_only_admins_map(users):
    admin = users["admin"]
    data = {
        "name": "מכירה לעסקים",
        "target": "opportunities",
        "parties": [],
        "stages": [
            {"value": "lead_in", "label_he": "פנייה", "label_en": "Lead in"},
            {"value": "offer", "label_he": "הצעה", "label_en": "Offer"},
            {"value": "won", "label_he": "נסגר", "label_en": "Won"},
        ],
        "triggers": [
            {"on": "offer", "do": "task", "party": "sales_rep", "title": "לשלוח הצעה", "hours": 8}
        ],
    }
    with pytest.raises(PermissionDenied):
        services.mapped_process_save(actor=users["sales_rep"], data=data)
    process = services.mapped_process_save(actor=admin, data=data)
    services.mapped_process_install(process, actor=admin)
    from kesher.sales.models import Stage

    offer = Stage.objects.get(key="offer", pipeline__name_he="מכירה לעסקים")
    assert Rule.objects.get(entity="opportunities").trigger_config == {"value": offer.pk}
    bad = {
        **data,
        "triggers": [{"on": "nowhere", "do": "task", "party": "sales_rep", "title": "x"}],
    }
    with pytest.raises(ValidationError) as refused:
        services.mapped_process_save(actor=admin, data=bad)
    assert "triggers" in refused.value.message_dict


def test_impl1_items_tick_by_hand_or_by_their_check(users, departments):
    admin = users["admin"]
    overview = selectors.rollout_overview(admin)
    assert next(s["stage"].key for s in overview["stages"]) == "plan"
    rows = {r["item"].key: r for s in overview["stages"] for r in s["items"]}
    assert rows["departments"]["done"]
    assert rows["users"]["done"]
    assert not rows["go-live"]["done"]
    services.item_tick(Item.objects.get(key="go-live"), actor=admin, done=True)
    with pytest.raises(ValidationError):  # a checked item ticks itself
        services.item_tick(Item.objects.get(key="departments"), actor=admin, done=True)
    with pytest.raises(PermissionDenied):
        selectors.rollout_overview(users["manager"])
    overview = selectors.rollout_overview(admin)
    assert overview["live"] is not None
    cutover = next(s for s in overview["stages"] if s["stage"].key == "cutover")
    assert [i.key for i in cutover["remaining"]] == ["final-export", "freeze", "final-import"]
    services.project_update(actor=admin, data={"owner": admin, "budget": 45000})
    assert Item.objects.get(key="budget").detector == "budget"


def test_impl2_training_marked_confirmed_and_advanced(users):
    admin, rep = users["admin"], users["sales_rep"]
    mine = selectors.exercises_for(rep)
    assert {e.title_en for e in mine} == {
        "Create a task and close it",
        "Create a new account",
        "Open a deal",
    }
    services.exercise_mark(mine[0], actor=rep)
    agents = Exercise.objects.get(title_en="Open a ticket and move its status")
    with pytest.raises(ValidationError):
        services.exercise_mark(agents, actor=rep)
    row = next(r for r in selectors.training_rows(user=admin) if r["user"] == rep)
    assert [s["status"] for s in row["waiting"]] == ["marked"]
    assert not row["complete"]
    for exercise in mine:
        services.exercise_confirm(exercise, rep, actor=admin)
    row = next(r for r in selectors.training_rows(user=admin) if r["user"] == rep)
    assert row["complete"]
    services.project_update(actor=admin, data={}, advanced_users=[rep])
    assert len(selectors.exercises_for(rep)) == 5
    with pytest.raises(PermissionDenied):
        services.exercise_confirm(mine[0], rep, actor=rep)


def test_impl2_exercises_seen_done_in_the_practice_database(users, tmp_path, monkeypatch, settings):
    """An import finished in practice and a record a user created there are read from the
    practice database itself (read-only)."""
    from django.contrib.contenttypes.models import ContentType

    from kesher.customers.models import Account
    from kesher.practice.models import PracticeEnvironment

    rep = users["sales_rep"]
    copied = timezone.now()
    PracticeEnvironment.objects.create(pk=1, status="ready", copied_at=copied)
    path = tmp_path / "practice.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE imports_importjob (status TEXT)")
        db.execute("INSERT INTO imports_importjob VALUES ('done')")
        db.execute(
            "CREATE TABLE platform_auditentry"
            " (actor_id INT, content_type_id INT, action TEXT, at TEXT)"
        )
        ct = ContentType.objects.get_for_model(Account).pk
        db.execute(
            "INSERT INTO platform_auditentry VALUES (?, ?, 'create', ?)",
            [rep.pk, ct, (copied + timezone.timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")],
        )
    monkeypatch.setattr(
        "kesher.rollout.practice_facts.practice_target",
        lambda: {"ENGINE": "django.db.backends.sqlite3", "NAME": path},
    )
    facts = Facts()
    assert facts.practice().import_done
    row = next(r for r in selectors.training_rows(facts=facts) if r["user"] == rep)
    statuses = {s["exercise"].title_en: s["status"] for s in row["exercises"]}
    assert statuses["Create a new account"] == "detected"
    assert statuses["Open a deal"] == "open"
    overview = selectors.rollout_overview(users["admin"], facts)
    done = {r["item"].key: r["done"] for s in overview["stages"] for r in s["items"]}
    assert done["practice"]
    assert done["practice-import"]


def test_impl2_no_practice_copy_tells_nothing(users):
    assert Facts().practice() == PracticeFacts()


def test_impl2_first_use_hint_until_dismissed(users, client_for):
    client = client_for(users["sales_rep"])
    assert b'id="first-use-hint"' in client.get("/r/accounts/").content
    assert b'id="first-use-hint"' not in client.get("/").content
    assert client.post("/hints/accounts/dismiss/", HTTP_HX_REQUEST="true").status_code == 200
    assert b'id="first-use-hint"' not in client.get("/r/accounts/").content
    assert client.post("/hints/nowhere/dismiss/").status_code == 400


def test_impl2_a_dismissed_hint_costs_the_list_page_no_query(users, client_for):
    """Seven list pages ask for their hint on every visit: once it is dismissed (on this
    device or another), the session remembers it and the page asks nothing."""
    rep = users["sales_rep"]
    services.hint_dismiss(actor=rep, module="accounts")  # as on another device
    session = client_for(rep).session
    assert selectors.hint_to_show(rep, "/r/accounts/", session) is None
    with CaptureQueriesContext(connection) as queries:
        assert selectors.hint_to_show(rep, "/r/accounts/", session) is None
    assert len(queries) == 0
    assert selectors.hint_to_show(rep, "/r/contacts/", session) is not None


def test_impl1_api_maps_installs_and_refuses_in_hebrew_and_english(users, api_for):
    admin = api_for(users["admin"], language="en")
    bad = admin.post(
        "/api/v1/rollout/processes/",
        {"name": "x", "stages": [{"value": "A b", "label_he": "א"}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "stages" in bad.json()
    hebrew = api_for(users["admin"]).post(
        "/api/v1/rollout/processes/",
        {"name": "x", "stages": [{"value": "a", "label_he": "א"}]},
        format="json",
    )
    assert hebrew.status_code == 400
    assert "שלבים" in str(hebrew.json())
    sample = _sample()
    assert admin.post(f"/api/v1/rollout/processes/{sample.pk}/install/").status_code == 200
    assert admin.get("/api/v1/rollout/").json()["stages"][1]["done"] == 2
    assert api_for(users["manager"]).get("/api/v1/rollout/").status_code == 403
    rep = api_for(users["sales_rep"])
    mine = rep.get("/api/v1/my-training/").json()
    assert mine["total"] == 3
    marked = rep.post(
        "/api/v1/my-training/", {"exercise": mine["exercises"][0]["exercise"]}, format="json"
    )
    assert marked.status_code == 200


def test_the_roll_out_pages_read_as_many_rows_for_more_users(users, client_for):
    """The roll-out page and "who is trained" read the same number of times for 6 users as for
    12 (each with his exercises' records)."""
    from conftest import make_user

    client = client_for(users["admin"])
    everyone = Exercise.objects.filter(role__isnull=True, advanced=False).first()

    def counts():
        found = []
        for url in ("/rollout/", "/rollout/training/", "/rollout/processes/"):
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    client.get("/rollout/")  # the session and the caches, once
    few = counts()
    for n in range(6):
        person = make_user(f"trainee{n}", "sales_rep")
        services.exercise_mark(everyone, actor=person)
    assert counts() == few
