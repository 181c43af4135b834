"""Approval pages (REQ AU-3): the record's banner, "waiting for my approval" with its badge, the
request page's decision form, the locked edit page, and the one-time email link."""

import datetime
import re

import pytest
from django.core import mail, signing

from kesher.approvals.models import ApprovalLink, ApprovalRequest
from kesher.approvals.notices import link_token
from kesher.approvals.services import approval_decide, approval_start
from kesher.customers.models import Account

pytestmark = pytest.mark.django_db


@pytest.fixture
def process(make_process):
    return make_process({"approver": "manager"})


@pytest.fixture
def pending(users, account, process, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return approval_start(process_id=process.pk, record=account, actor=users["sales_rep"])


def test_au3_rep_asks_for_approval_from_the_record_page(client_for, users, account, process):
    rep = client_for(users["sales_rep"])
    page = rep.get(f"/r/accounts/{account.pk}/").content.decode()
    assert 'id="request-approval"' in page
    response = rep.post(f"/approvals/start/accounts/{account.pk}/", {"process": process.pk})
    assert response.status_code == 302
    request = ApprovalRequest.objects.get()
    assert request.requester == users["sales_rep"]
    page = rep.get(f"/r/accounts/{account.pk}/").content.decode()
    assert 'id="record-locked"' in page
    assert 'id="edit-record"' not in page
    assert 'data-status="pending"' in page


def test_au3_start_page_refuses_bad_input_and_foreign_records(
    client_for, users, account, other_account, process
):
    rep = client_for(users["sales_rep"])
    response = rep.post(f"/approvals/start/accounts/{account.pk}/", {"process": "abc"})
    assert response.status_code == 302
    assert (
        rep.post(
            f"/approvals/start/accounts/{other_account.pk}/", {"process": process.pk}
        ).status_code
        == 404
    )
    assert (
        rep.post(f"/approvals/start/planets/{account.pk}/", {"process": process.pk}).status_code
        == 404
    )
    viewer = client_for(users["read_only"])
    response = viewer.post(f"/approvals/start/accounts/{account.pk}/", {"process": process.pk})
    assert response.status_code == 403
    assert not ApprovalRequest.objects.exists()


def test_au3_manager_sees_the_badge_and_waiting_list(client_for, users, pending):
    manager = client_for(users["manager"])
    home = manager.get("/").content.decode()
    assert re.search(r'id="approvals-count">1<', home)
    page = manager.get("/approvals/").content.decode()
    assert f'data-request="{pending.pk}"' in page
    assert 'id="approvals-count"' not in client_for(users["admin"]).get("/").content.decode()
    mine = client_for(users["sales_rep"]).get("/approvals/?tab=mine").content.decode()
    assert f'data-request="{pending.pk}"' in mine


def test_au3_manager_approves_on_the_request_page(client_for, users, account, pending):
    manager = client_for(users["manager"])
    page = manager.get(f"/approvals/{pending.pk}/").content.decode()
    assert 'id="decide-form"' in page
    response = manager.post(
        f"/approvals/{pending.pk}/decide/",
        {"decision": "approve", "comment": "<script>alert(1)</script>", "version": "1"},
    )
    assert response.status_code == 302
    assert ApprovalRequest.objects.get().status == "approved"
    page = client_for(users["sales_rep"]).get(f"/approvals/{pending.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page
    record_page = client_for(users["sales_rep"]).get(f"/r/accounts/{account.pk}/")
    assert 'data-status="approved"' in record_page.content.decode()
    assert 'id="edit-record"' in record_page.content.decode()


def test_au3_decision_from_the_record_banner_returns_there(client_for, users, account, pending):
    manager = client_for(users["manager"])
    record_url = f"/r/accounts/{account.pk}/"
    assert 'id="decide-form"' in manager.get(record_url).content.decode()
    response = manager.post(
        f"/approvals/{pending.pk}/decide/",
        {"decision": "reject", "comment": "לא", "version": "1", "next": record_url},
    )
    assert response["Location"] == record_url
    assert ApprovalRequest.objects.get().status == "rejected"


def test_au3_non_approver_gets_a_clear_403(client_for, users, pending):
    response = client_for(users["support_agent"]).post(
        f"/approvals/{pending.pk}/decide/", {"decision": "approve", "version": "1"}
    )
    assert response.status_code == 403
    assert "approval-refused" in response.content.decode()
    assert ApprovalRequest.objects.get().status == "pending"


def test_au3_rep_out_of_scope_gets_404(client_for, users, other_account, make_process):
    process = make_process({"approver": "role", "role": "support_agent"})
    theirs = approval_start(process_id=process.pk, record=other_account, actor=users["sales_rep2"])
    rep = client_for(users["sales_rep"])
    assert rep.get(f"/approvals/{theirs.pk}/").status_code == 404
    response = rep.post(f"/approvals/{theirs.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 404


def test_au3_edit_page_of_a_locked_record_shows_why(client_for, users, account, pending):
    rep = client_for(users["sales_rep"])
    response = rep.get(f"/r/accounts/{account.pk}/edit/", follow=True)
    assert response.redirect_chain[-1][0] == f"/r/accounts/{account.pk}/"
    assert "אי אפשר לשנות את הרשומה" in response.content.decode()
    rep.post(f"/r/accounts/{account.pk}/edit/", {"name": "אחר", "version": account.version})
    assert Account.objects.get(pk=account.pk).name == "אלפא מערכות"


def test_au3_cancel_from_the_record_page_unlocks_it(client_for, users, account, pending):
    rep = client_for(users["sales_rep"])
    response = rep.post(f"/approvals/{pending.pk}/cancel/", {"version": "1"})
    assert response.status_code == 302
    assert ApprovalRequest.objects.get().status == "cancelled"
    page = rep.get(f"/r/accounts/{account.pk}/").content.decode()
    assert 'id="edit-record"' in page
    timeline = rep.get(f"/r/accounts/{account.pk}/timeline/").content.decode()
    assert "בקשת האישור בוטלה" in timeline
    assert str(users["sales_rep"]) in timeline


def test_au3_decisions_show_on_the_records_timeline(client_for, users, account, pending):
    approval_decide(pending, actor=users["manager"], decision="approve", comment="מאושר בהחלט")
    url = f"/r/accounts/{account.pk}/timeline/"
    timeline = client_for(users["sales_rep"]).get(url).content.decode()
    assert "מאושר בהחלט" in timeline


def test_au3_record_page_queries_are_bounded(
    client_for, users, account, pending, django_assert_max_num_queries
):
    client = client_for(users["manager"])
    client.get(f"/r/accounts/{account.pk}/")
    # Every module's panel is one query (kesher/platform/tests/test_query_counts.py).
    with django_assert_max_num_queries(48):
        assert client.get(f"/r/accounts/{account.pk}/").status_code == 200


# --- the email link -----------------------------------------------------------------------------


def _link_in(message) -> str:
    return re.search(r"http\S+/approvals/link/\S+/", message.body).group(0)


def test_au3_approver_gets_an_email_with_a_one_time_link(client_for, users, pending):
    [message] = mail.outbox
    assert message.to == [users["manager"].email]
    path = "/" + _link_in(message).split("/", 3)[3]
    manager = client_for(users["manager"])
    response = manager.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/approvals/{pending.pk}/"
    again = manager.get(path)
    assert again.status_code == 400
    assert "already used" in again.content.decode() or "כבר" in again.content.decode()


def test_au3_link_asks_to_sign_in_first(client_for, users, pending):
    path = "/" + _link_in(mail.outbox[0]).split("/", 3)[3]
    response = client_for(None).get(path)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
    assert ApprovalLink.objects.get().used_at is None


def test_au3_link_of_someone_else_or_tampered_is_refused(client_for, users, pending):
    token = link_token(ApprovalLink.objects.get().nonce)
    assert client_for(users["admin"]).get(f"/approvals/link/{token}/").status_code == 403
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client_for(users["manager"]).get(f"/approvals/link/{tampered}/").status_code == 400
    forged = signing.TimestampSigner(salt="another").sign(ApprovalLink.objects.get().nonce)
    assert client_for(users["manager"]).get(f"/approvals/link/{forged}/").status_code == 400
    assert ApprovalLink.objects.get().used_at is None


def test_au3_expired_link_is_refused(client_for, users, pending, monkeypatch):
    link = ApprovalLink.objects.get()
    token = link_token(link.nonce)
    monkeypatch.setattr(
        "kesher.approvals.notices.link_max_age", lambda: datetime.timedelta(seconds=-1)
    )
    response = client_for(users["manager"]).get(f"/approvals/link/{token}/")
    assert response.status_code == 400
    assert ApprovalLink.objects.get().used_at is None


def test_au3_process_page_names_its_approvers(client_for, users, make_process):
    process = make_process(
        {"approver": "manager"},
        {"approver": "role", "role": "admin"},
        {"approver": "user", "user": users["support_agent"].pk},
    )
    page = client_for(users["admin"]).get(f"/r/approval-processes/{process.pk}/").content.decode()
    panel = page[page.index('id="process-steps"') :]
    assert "המנהל של מבקש האישור" in panel
    assert "כל אחד בתפקיד מנהל מערכת" in panel
    assert str(users["support_agent"]) in panel


def test_au3_pages_speak_english_to_english_users(client_for, users, pending):
    manager = users["manager"]
    manager.language = "en"
    manager.save(update_fields=["language"])
    client = client_for(manager)
    client.cookies["django_language"] = "en"
    page = client.get(f"/approvals/{pending.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Your decision" in page
    assert "Approve" in page


def test_au3_the_badge_counts_only_requests_about_records_the_approver_sees(
    users, account, pending, django_assert_num_queries
):
    """The badge asks which kinds of record wait, then keeps those he may see (two queries);
    nothing waiting is one (each call also checks the processes' cache stamp)."""
    from kesher.approvals.selectors import waiting_count

    manager = users["manager"]
    waiting_count(manager)  # which entities have processes: read once, then kept
    with django_assert_num_queries(3):
        assert waiting_count(manager) == 1
    # The account goes to a rep of another department: out of the manager's scope.
    Account.objects.filter(pk=account.pk).update(owner=users["sales_rep2"])
    assert waiting_count(manager) == 0
    with django_assert_num_queries(2):
        assert waiting_count(users["read_only"]) == 0
