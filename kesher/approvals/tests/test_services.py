"""Approval rounds through the services (REQ AU-3; issue 5 item 5)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.activities.models import Notification
from kesher.approvals.lock import pending_approval_reason
from kesher.approvals.models import ApprovalDecision, ApprovalRequest
from kesher.approvals.services import (
    APPROVED,
    REJECTED,
    ApprovalForbidden,
    approval_cancel,
    approval_decide,
    approval_process_update,
    approval_start,
)
from kesher.customers.models import Account
from kesher.customers.services import account_update
from kesher.platform import events, stamps
from kesher.platform.models import AuditEntry
from kesher.platform.records.services import ConflictError, record_delete

pytestmark = pytest.mark.django_db


@pytest.fixture
def fired():
    """The approval events delivered after commit."""
    seen = []

    def handler(event):
        seen.append(event)

    events.subscribe(APPROVED, handler)
    events.subscribe(REJECTED, handler)
    yield seen
    events.unsubscribe(APPROVED, handler)
    events.unsubscribe(REJECTED, handler)


def _start(process, account, users):
    return approval_start(process_id=process.pk, record=account, actor=users["sales_rep"])


def test_au3_ordered_round_moves_step_by_step_and_approves(
    users, account, make_process, fired, django_capture_on_commit_callbacks
):
    process = make_process({"approver": "manager"}, {"approver": "user", "user": users["admin"].pk})
    with django_capture_on_commit_callbacks(execute=True):
        request = _start(process, account, users)
    steps = list(request.decisions.order_by("position"))
    assert [s.approver for s in steps] == [users["manager"], users["admin"]]
    assert [s.active for s in steps] == [True, False]
    assert Notification.objects.filter(user=users["manager"]).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        request = approval_decide(
            request, actor=users["manager"], decision="approve", comment="לקוח ותיק"
        )
    assert request.status == ApprovalRequest.Status.PENDING
    assert list(request.decisions.order_by("position").values_list("active", flat=True)) == [
        False,
        True,
    ]
    assert Notification.objects.filter(user=users["admin"]).count() == 1
    assert fired == []

    with django_capture_on_commit_callbacks(execute=True):
        request = approval_decide(request, actor=users["admin"], decision="approve")
    assert request.status == ApprovalRequest.Status.APPROVED
    assert request.finished_at is not None
    [event] = fired
    assert (event.name, event.entity, event.object_id) == (APPROVED, "accounts", account.pk)
    assert event.changes["process"] == process.pk
    assert Notification.objects.filter(user=users["sales_rep"], verb="done").count() == 1
    assert pending_approval_reason(account) is None


def test_au3_parallel_round_needs_every_approver(users, account, make_process):
    process = make_process(
        {"approver": "manager"},
        {"approver": "user", "user": users["admin"].pk},
        mode="parallel",
    )
    request = _start(process, account, users)
    assert request.decisions.filter(active=True).count() == 2
    request = approval_decide(request, actor=users["admin"], decision="approve")
    assert request.status == "pending"
    request = approval_decide(request, actor=users["manager"], decision="approve")
    assert request.status == "approved"


def test_au3_manager_is_the_nearest_department_manager(users, managed, make_process):
    """rep1 sits in North, which has no manager: Sales' manager (above it) approves."""
    from kesher.customers.services import account_create

    process = make_process({"approver": "manager"})
    rep1_account = account_create(
        actor=users["sales_rep"], data={"name": "גמא", "owner": users["sales_rep"]}
    )
    request = _start(process, rep1_account, users)
    assert request.decisions.get().approver == users["manager"]


def test_au3_requester_without_a_manager_cannot_start(users, departments, make_process):
    from kesher.customers.services import account_create

    process = make_process({"approver": "manager"})
    rep_account = account_create(
        actor=users["sales_rep"], data={"name": "דלתא", "owner": users["sales_rep"]}
    )
    with pytest.raises(ValidationError) as error, translation.override("en"):
        _start(process, rep_account, users)
    assert "manager" in str(error.value.message_dict["process"])
    assert not ApprovalRequest.objects.exists()


def test_au3_any_role_member_who_sees_the_record_decides(users, account, make_process):
    process = make_process({"approver": "role", "role": "support_agent"})
    request = _start(process, account, users)
    request = approval_decide(request, actor=users["support_agent"], decision="approve")
    assert request.status == "approved"
    assert request.decisions.get().decided_by == users["support_agent"]


def test_au3_role_member_who_cannot_see_the_record_cannot_decide(users, account, make_process):
    """Sales reps see their own accounts only: rep2 is in the role but not in rep1's scope."""
    process = make_process({"approver": "role", "role": "sales_rep"})
    request = approval_start(process_id=process.pk, record=account, actor=users["manager"])
    with pytest.raises(ApprovalForbidden):
        approval_decide(request, actor=users["sales_rep2"], decision="approve")
    assert request.decisions.get().decision == ""
    assert approval_decide(request, actor=users["sales_rep"], decision="approve").status == (
        "approved"
    )


def test_au3_rejection_ends_the_round(
    users, account, make_process, fired, django_capture_on_commit_callbacks
):
    process = make_process({"approver": "manager"}, {"approver": "user", "user": users["admin"].pk})
    request = _start(process, account, users)
    with django_capture_on_commit_callbacks(execute=True):
        request = approval_decide(
            request, actor=users["manager"], decision="reject", comment="ההנחה גבוהה מדי"
        )
    assert request.status == "rejected"
    assert not request.decisions.filter(active=True).exists()
    assert [e.name for e in fired] == [REJECTED]
    with pytest.raises(ValidationError):
        approval_decide(request, actor=users["admin"], decision="approve")
    assert pending_approval_reason(account) is None


def test_au3_cancel_by_requester_or_admin_only(users, account, make_process):
    process = make_process({"approver": "manager"})
    request = _start(process, account, users)
    with pytest.raises(ApprovalForbidden):
        approval_cancel(request, actor=users["manager"])
    request = approval_cancel(request, actor=users["sales_rep"], comment="נשלח בטעות")
    assert request.status == "cancelled"
    assert not request.decisions.filter(active=True).exists()
    again = _start(process, account, users)
    assert approval_cancel(again, actor=users["admin"]).status == "cancelled"


def test_au3_wrong_approver_is_refused_and_nothing_is_written(users, account, make_process):
    process = make_process({"approver": "manager"})
    request = _start(process, account, users)
    audits = AuditEntry.objects.count()
    for outsider in (users["sales_rep"], users["read_only"], users["admin"]):
        with pytest.raises(ApprovalForbidden):
            approval_decide(request, actor=outsider, decision="approve")
    request.refresh_from_db()
    assert (request.status, request.version) == ("pending", 1)
    assert AuditEntry.objects.count() == audits


def test_au3_stale_decision_is_a_conflict(users, account, make_process):
    process = make_process({"approver": "manager"}, {"approver": "user", "user": users["admin"].pk})
    request = _start(process, account, users)
    approval_decide(request, actor=users["manager"], decision="approve", expected_version=1)
    with pytest.raises(ConflictError):
        approval_decide(request, actor=users["admin"], decision="approve", expected_version=1)
    assert ApprovalRequest.objects.get().status == "pending"


def test_au3_bad_decision_and_comment_are_refused(users, account, make_process):
    process = make_process({"approver": "manager"})
    request = _start(process, account, users)
    with pytest.raises(ValidationError) as error:
        approval_decide(request, actor=users["manager"], decision="maybe")
    assert "decision" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        approval_decide(request, actor=users["manager"], decision="approve", comment="x" * 2001)
    assert "comment" in error.value.message_dict
    assert ApprovalDecision.objects.get().decision == ""


def test_au3_hostile_comment_is_kept_as_text(users, account, make_process):
    process = make_process({"approver": "manager"})
    request = _start(process, account, users)
    approval_decide(
        request,
        actor=users["manager"],
        decision="approve",
        comment="<script>alert(1)</script>\u202e\x00",
    )
    assert ApprovalDecision.objects.get().comment == "<script>alert(1)</script>"


def test_au3_one_pending_round_per_record(users, account, make_process):
    process = make_process({"approver": "manager"})
    _start(process, account, users)
    with pytest.raises(ValidationError) as error:
        _start(process, account, users)
    assert "__all__" in error.value.message_dict
    assert ApprovalRequest.objects.count() == 1


def test_au3_start_checks_process_entity_and_rights(users, account, other_account, make_process):
    contacts_process = make_process({"approver": "manager"}, entity="contacts")
    with pytest.raises(ValidationError) as error:
        _start(contacts_process, account, users)
    assert "process" in error.value.message_dict
    process = make_process({"approver": "manager"})
    with pytest.raises(ValidationError):  # rep1 does not see rep2's account
        _start(process, other_account, users)
    with pytest.raises(ApprovalForbidden):  # read-only users change nothing, nor ask to
        approval_start(process_id=process.pk, record=account, actor=users["read_only"])
    approval_process_update(process, actor=users["admin"], data={"active": False})
    with pytest.raises(ValidationError):
        _start(process, account, users)
    assert not ApprovalRequest.objects.exists()


def test_au3_automation_starts_with_no_actor_for_the_owner(users, account, make_process):
    process = make_process({"approver": "manager"})
    request = approval_start(
        process_id=process.pk, record=account, actor=None, source="automation rule 4"
    )
    assert request.requester == users["sales_rep"]
    assert request.source == "automation rule 4"


def test_au3_process_steps_are_validated(users, make_process):
    for steps, problem in (
        ([], "at least one"),
        ([{"approver": "boss"}], "approver"),
        ([{"approver": "user", "user": "x"}], "user"),
        ([{"approver": "user", "user": users["inactive"].pk}], "active"),
        ([{"approver": "role", "role": "nobody"}], "role"),
    ):
        with pytest.raises(ValidationError) as error, translation.override("en"):
            make_process(*steps)
        assert problem in " ".join(error.value.message_dict["steps"]).lower(), steps


# --- the edit lock ------------------------------------------------------------------------------


def test_au3_pending_approval_locks_the_record(users, account, make_process):
    process = make_process({"approver": "manager"})
    request = _start(process, account, users)
    with pytest.raises(ValidationError) as error:
        account_update(account, actor=users["sales_rep"], data={"name": "שם חדש"})
    assert "ממתינה לאישור" in error.value.message_dict["__all__"][0]
    with pytest.raises(ValidationError):
        record_delete(account, actor=users["admin"])
    assert Account.objects.get(pk=account.pk).name == "אלפא מערכות"

    approval_decide(request, actor=users["manager"], decision="approve")
    account_update(account, actor=users["sales_rep"], data={"name": "שם חדש"})
    assert Account.objects.get(pk=account.pk).name == "שם חדש"


def test_au3_bulk_actions_skip_locked_records_and_say_why(
    users, account, other_account, make_process
):
    """The set-based bulk update and delete write without record_update: they ask the lock for
    each chunk, and report the locked record as rejected with the reason."""
    from kesher.platform.bulk import actions as bulk

    process = make_process({"approver": "manager"})
    _start(process, account, users)
    ids = [account.pk, other_account.pk]
    plan = bulk.bulk_prepare(
        "accounts", actor=users["admin"], action="update", field="city", value="חיפה", ids=ids
    )
    outcome = bulk.bulk_execute(plan)
    assert (outcome.updated, outcome.rejected_count) == (1, 1)
    assert outcome.rejected[0]["id"] == account.pk
    assert "ממתינה לאישור" in outcome.rejected[0]["message"]
    assert Account.objects.get(pk=account.pk).city != "חיפה"
    assert Account.objects.get(pk=other_account.pk).city == "חיפה"
    plan = bulk.bulk_prepare("accounts", actor=users["admin"], action="delete", ids=ids)
    outcome = bulk.bulk_execute(plan)
    assert outcome.rejected_count == 1
    assert list(Account.objects.filter(pk__in=ids).values_list("pk", flat=True)) == [account.pk]


def test_au3_lock_costs_no_query_without_processes_and_one_with(
    users, account, make_process, django_assert_num_queries
):
    """In a request, which stamps read once: the list of entities with processes is cached."""
    with stamps.remembered_for_request():
        pending_approval_reason(account)  # reads the request's stamps, fills the cache
        with django_assert_num_queries(0):
            assert pending_approval_reason(account) is None
    process = make_process({"approver": "manager"})
    with stamps.remembered_for_request():
        pending_approval_reason(account)  # the new process renewed the stamp: read again
        with django_assert_num_queries(1):
            assert pending_approval_reason(account) is None
        _start(process, account, users)
        with django_assert_num_queries(1):
            assert pending_approval_reason(account)


def test_au3_decisions_are_audited(users, account, make_process):
    process = make_process({"approver": "manager"})
    request = _start(process, account, users)
    approval_decide(request, actor=users["manager"], decision="reject", comment="לא עכשיו")
    entries = AuditEntry.objects.filter(object_id=request.pk, object_repr=str(request))
    actions = sorted(entries.values_list("action", flat=True))
    assert actions == ["create", "update"]
    update = entries.get(action="update")
    assert update.actor == users["manager"]
    assert update.changes["comment"] == [None, "לא עכשיו"]


def test_au3_requester_does_not_sign_off_his_own_request_for_his_role(users, make_process):
    """Support agents change contacts; one asks, another of the role decides."""
    from conftest import make_user
    from kesher.customers.services import contact_create

    agent, colleague = users["support_agent"], make_user("agent2", "support_agent")
    contact = contact_create(actor=agent, data={"first_name": "נועה", "owner": agent})
    process = make_process({"approver": "role", "role": "support_agent"}, entity="contacts")
    request = approval_start(process_id=process.pk, record=contact, actor=agent)
    with pytest.raises(ApprovalForbidden):
        approval_decide(request, actor=agent, decision="approve")
    assert approval_decide(request, actor=colleague, decision="approve").status == "approved"


def test_au3_role_with_no_one_else_to_decide_cannot_start(users, make_process):
    from kesher.customers.services import contact_create

    agent = users["support_agent"]
    contact = contact_create(actor=agent, data={"first_name": "נועה", "owner": agent})
    process = make_process({"approver": "role", "role": "support_agent"}, entity="contacts")
    with pytest.raises(ValidationError) as error:
        approval_start(process_id=process.pk, record=contact, actor=agent)
    assert "process" in error.value.message_dict
