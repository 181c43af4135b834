"""What a portal user sees and does: only his own account's tickets (public replies only),
opening, answering, closing and rating them; the public knowledge base; his quotes, orders and
issued tax documents (REQ OR-2, SV-8, SV-10; decision 0079)."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kesher.activities.models import Interaction
from kesher.activities.services import interaction_create
from kesher.billing.models import DocumentKind, TaxDocument
from kesher.billing.services import document_from_order, document_issue
from kesher.platform.models import Attachment, Choice
from kesher.portal.models import PortalFile, PortalPost, TicketRating
from kesher.portal.services import portal_ticket_open
from kesher.quotes.models import Order, Quote
from kesher.quotes.services import quote_send
from kesher.quotes.tests.factories import line, make_quote
from kesher.service.models import Article, Ticket
from kesher.service.services import article_create, ticket_create, ticket_reply, ticket_update

pytestmark = pytest.mark.django_db


def choice(list_key, value):
    return Choice.objects.get(list_key=list_key, value=value)


def _ticket(users, account, contact, subject="המדפסת לא מדפיסה"):
    return ticket_create(
        actor=users["support_agent"],
        data={"subject": subject, "account": account, "contact": contact},
    )


def _open_form(**extra):
    return {
        "ticket_type": choice("ticket_type", "technical_support").pk,
        "subtype": choice("ticket_subtype", "system_repair").pk,
        "subject": "המחשב לא נדלק",
        "description": "מאז הבוקר המחשב בעמדה 3 לא נדלק.",
        **extra,
    }


def test_a_customer_opens_a_ticket_with_the_type_rules_and_a_file(world, portal_for):
    client = portal_for(world["portal_a"])
    assert client.get("/portal/tickets/new/").status_code == 200
    upload = SimpleUploadedFile("screen.png", b"\x89PNG....", content_type="image/png")
    response = client.post("/portal/tickets/new/", _open_form(files=[upload]))
    assert response.status_code == 302
    ticket = Ticket.objects.get(subject="המחשב לא נדלק")
    assert (ticket.account, ticket.contact) == (world["a"], world["dana"])
    assert ticket.channel.value == "portal"
    assert ticket.priority.value == "high"  # the type's own priority (SV-3)
    assert ticket.sla_due_at is not None  # its clocks run
    portal_file = PortalFile.objects.get(ticket=ticket)
    page = client.get(response.url).content.decode()
    assert "screen.png" in page
    assert client.get(f"/portal/files/{portal_file.attachment_id}/").status_code == 200


def test_a_subtype_of_another_type_is_refused_and_nothing_written(world, portal_for):
    client = portal_for(world["portal_a"])
    wrong = _open_form(subtype=choice("ticket_subtype", "brochure").pk)
    response = client.post("/portal/tickets/new/", wrong)
    assert response.status_code == 200
    assert not Ticket.objects.exists()


def test_an_oversized_file_is_refused_and_no_ticket_is_left(world, portal_for, settings):
    settings.KESHER_MAX_ATTACHMENT_BYTES = 10
    client = portal_for(world["portal_a"])
    upload = SimpleUploadedFile("big.pdf", b"%PDF" + b"x" * 100)
    response = client.post("/portal/tickets/new/", _open_form(files=[upload]))
    assert response.status_code == 200
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_the_subtypes_narrow_to_the_type(world, portal_for):
    client = portal_for(world["portal_a"])
    kind = choice("ticket_type", "technical_support")
    page = client.get(f"/portal/tickets/options/?ticket_type={kind.pk}").content.decode()
    assert str(choice("ticket_subtype", "system_repair").pk) in page
    assert f'value="{choice("ticket_subtype", "brochure").pk}"' not in page


def test_the_list_shows_his_accounts_tickets_only(users, world, portal_for):
    mine = _ticket(users, world["a"], world["dana"])
    theirs = _ticket(users, world["b"], world["boaz"], subject="סוד של לקוח ב")
    client = portal_for(world["portal_a"])
    page = client.get("/portal/tickets/").content.decode()
    assert mine.number in page
    assert theirs.number not in page
    assert "סוד של לקוח ב" not in page
    for url in (
        f"/portal/tickets/{theirs.pk}/",
        f"/portal/tickets/{theirs.pk}/close/",
        f"/portal/tickets/{theirs.pk}/comment/",
        f"/portal/tickets/{theirs.pk}/rate/",
    ):
        response = client.get(url) if url.endswith(f"{theirs.pk}/") else client.post(url)
        assert response.status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.resolved_at is None


def test_another_accounts_file_is_not_found(world, portal_for):
    ticket = portal_ticket_open(
        world["portal_b"],
        data={"subject": "קובץ של ב"},
        files=[SimpleUploadedFile("secret.pdf", b"%PDF-1.4")],
    )
    attachment = PortalFile.objects.get(ticket=ticket).attachment_id
    assert portal_for(world["portal_a"]).get(f"/portal/files/{attachment}/").status_code == 404
    assert portal_for(world["portal_b"]).get(f"/portal/files/{attachment}/").status_code == 200


def test_the_thread_shows_public_replies_never_internal_notes(users, world, portal_for):
    ticket = _ticket(users, world["a"], world["dana"])
    ticket_reply(
        ticket, actor=users["support_agent"], body="נא לנסות להפעיל מחדש", idempotency_key="k1"
    )
    interaction_create(
        actor=users["support_agent"],
        data={
            "kind": choice("interaction_kind", "note"),
            "subject": "פנימי",
            "body": "הלקוח הזה מתלונן הרבה",
            "link_type": "tickets",
            "link_id": ticket.pk,
        },
    )
    page = portal_for(world["portal_a"]).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "נא לנסות להפעיל מחדש" in page
    assert "מתלונן" not in page


def test_his_answer_is_an_inbound_interaction_and_moves_a_waiting_ticket(users, world, portal_for):
    ticket = _ticket(users, world["a"], world["dana"])
    ticket = ticket_update(
        ticket,
        actor=users["support_agent"],
        data={"status": choice("ticket_status", "waiting_customer")},
    )
    client = portal_for(world["portal_a"])
    response = client.post(f"/portal/tickets/{ticket.pk}/comment/", {"body": "ניסיתי, לא עזר"})
    assert response.status_code == 302
    post = PortalPost.objects.get(ticket=ticket)
    assert post.interaction.direction == "in"
    assert post.interaction.kind.value == "portal"
    ticket.refresh_from_db()
    assert not (ticket.status.extra or {}).get("waiting")
    assert "ניסיתי, לא עזר" in client.get(f"/portal/tickets/{ticket.pk}/").content.decode()
    # Staff read it on the ticket's page.
    staff = users["support_agent"]
    assert Interaction.objects.visible_to(staff).filter(pk=post.interaction_id).exists()


def test_an_empty_answer_writes_nothing(users, world, portal_for):
    ticket = _ticket(users, world["a"], world["dana"])
    portal_for(world["portal_a"]).post(f"/portal/tickets/{ticket.pk}/comment/", {"body": "  "})
    assert not PortalPost.objects.exists()


def test_close_then_rate_shown_to_staff(users, world, portal_for, client_for):
    ticket = _ticket(users, world["a"], world["dana"])
    client = portal_for(world["portal_a"])
    # Not rated before it is resolved.
    client.post(f"/portal/tickets/{ticket.pk}/rate/", {"score": "5"})
    assert not TicketRating.objects.exists()
    client.post(f"/portal/tickets/{ticket.pk}/close/")
    ticket.refresh_from_db()
    assert ticket.resolved_at is not None
    client.post(f"/portal/tickets/{ticket.pk}/rate/", {"score": "9"})
    assert not TicketRating.objects.exists()
    client.post(f"/portal/tickets/{ticket.pk}/rate/", {"score": "4", "comment": "מהיר ויעיל"})
    rating = TicketRating.objects.get(ticket=ticket)
    assert (rating.score, rating.comment) == (4, "מהיר ויעיל")
    page = client_for(users["support_agent"]).get(f"/r/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-csat"' in page
    assert "מהיר ויעיל" in page


def _article(users, title, audience, status="published", body="<p>הפעילו מחדש את הנתב</p>"):
    return article_create(
        actor=users["admin"],
        data={"title_he": title, "body_he": body, "audience": audience, "status": status},
    )


def test_the_help_center_offers_public_published_articles_with_hebrew_search(
    users, world, portal_for
):
    public = _article(users, "איך מאתחלים את הנתב", Article.Audience.PUBLIC)
    internal = _article(users, "נתב: סיסמת המנהל", Article.Audience.INTERNAL)
    draft = _article(users, "נתב חדש", Article.Audience.PUBLIC, status="draft")
    client = portal_for(world["portal_a"])
    page = client.get("/portal/help/?q=נתב").content.decode()
    assert "איך מאתחלים את הנתב" in page
    assert "סיסמת המנהל" not in page
    assert "נתב חדש" not in page
    assert client.get(f"/portal/help/{public.pk}/").status_code == 200
    assert client.get(f"/portal/help/{internal.pk}/").status_code == 404
    assert client.get(f"/portal/help/{draft.pk}/").status_code == 404
    assert "איך מאתחלים" not in client.get("/portal/help/?q=מדפסת").content.decode()
    suggested = client.get("/portal/tickets/suggest/?subject=הנתב+נופל").content.decode()
    assert "איך מאתחלים את הנתב" in suggested
    assert "סיסמת המנהל" not in suggested


def _sent_quote(users, account, catalogue):
    rep = users["sales_rep"]
    quote = make_quote(rep, account, line(catalogue["laptop"], "2"))
    return quote_send(quote, actor=rep)


def test_he_accepts_his_quote_in_one_click(users, world, portal_for, catalogue):
    quote = _sent_quote(users, world["a"], catalogue)
    draft = make_quote(users["sales_rep"], world["a"], line(catalogue["laptop"]), name="טיוטה")
    client = portal_for(world["portal_a"])
    page = client.get("/portal/quotes/").content.decode()
    assert quote.number in page
    assert "טיוטה" not in page
    assert client.get(f"/portal/quotes/{draft.pk}/").status_code == 404
    response = client.get(f"/portal/quotes/{quote.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    client.post(f"/portal/quotes/{quote.pk}/accept/")
    quote.refresh_from_db()
    assert quote.status == Quote.Status.ACCEPTED
    order = Order.objects.get(quote=quote)
    assert order.number in client.get("/portal/orders/").content.decode()
    assert client.get(f"/portal/orders/{order.pk}/pdf/").status_code == 200


def test_another_accounts_quote_is_not_found_nor_accepted(users, world, portal_for, catalogue):
    quote = _sent_quote(users, world["b"], catalogue)
    client = portal_for(world["portal_a"])
    assert quote.number not in client.get("/portal/quotes/").content.decode()
    for url in (f"/portal/quotes/{quote.pk}/", f"/portal/quotes/{quote.pk}/pdf/"):
        assert client.get(url).status_code == 404
    assert client.post(f"/portal/quotes/{quote.pk}/accept/").status_code == 404
    quote.refresh_from_db()
    assert quote.status == Quote.Status.SENT


def _issued_invoice(users, account, catalogue):
    from kesher.quotes.services import LineInput, order_confirm, order_create, order_set_lines

    rep = users["sales_rep"]
    day = datetime.date(2026, 12, 6)
    order = order_create(actor=rep, data={"account": account, "doc_date": day})
    lines = [LineInput(product=catalogue["laptop"].pk, quantity=Decimal("1"))]
    order = order_confirm(order_set_lines(order, actor=rep, lines=lines), actor=rep)
    draft = document_from_order(order, actor=rep, kind=DocumentKind.TAX_INVOICE, doc_date=day)
    return document_issue(draft, actor=rep), order


def test_his_tax_document_prints_as_a_copy_and_never_uses_up_the_original(
    users, world, portal_for, catalogue, monkeypatch
):
    from kesher.billing import documents as billing_documents

    invoice, _order = _issued_invoice(users, world["a"], catalogue)
    theirs, _their_order = _issued_invoice(users, world["b"], catalogue)
    marks = []
    real = billing_documents.document_html

    def spy(document, *, language, mark):
        marks.append(mark)
        return real(document, language=language, mark=mark)

    monkeypatch.setattr(billing_documents, "document_html", spy)
    client = portal_for(world["portal_a"])
    page = client.get("/portal/documents/").content.decode()
    assert invoice.number in page
    assert theirs.number not in page
    response = client.get(f"/portal/documents/{invoice.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    assert [str(m) for m in marks] == ["copy"]
    invoice.refresh_from_db()
    assert invoice.print_count == 0  # the original is still the business's to print
    assert client.get(f"/portal/documents/{theirs.pk}/pdf/").status_code == 404


def test_a_draft_tax_document_is_not_his_yet(users, world, portal_for, catalogue):
    invoice, order = _issued_invoice(users, world["a"], catalogue)
    draft = document_from_order(
        order, actor=users["sales_rep"], kind=DocumentKind.TAX_INVOICE, doc_date=invoice.doc_date
    )
    assert draft.status == TaxDocument.Status.DRAFT
    client = portal_for(world["portal_a"])
    assert client.get(f"/portal/documents/{draft.pk}/pdf/").status_code == 404


def test_the_ticket_list_runs_a_fixed_number_of_queries(users, world, portal_for):
    client = portal_for(world["portal_a"])
    _ticket(users, world["a"], world["dana"])
    client.get("/portal/tickets/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/portal/tickets/?show=all").status_code == 200
    for n in range(5):
        _ticket(users, world["a"], world["dana"], subject=f"פנייה {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/portal/tickets/?show=all").status_code == 200
    assert len(many) == len(few)
    assert len(many) <= 6


def test_english_is_the_portal_users_language(world, portal_for):
    client = portal_for(world["portal_a"])
    assert 'dir="rtl"' in client.get("/portal/").content.decode()
    client.post("/portal/language/", {"language": "en", "next": "/portal/"})
    page = client.get("/portal/").content.decode()
    assert 'dir="ltr"' in page
    assert "My requests" in page


def test_the_accessibility_statement_is_public(client):
    page = client.get("/portal/accessibility/").content.decode()
    assert "5568" in page


def test_a_customer_of_two_accounts_chooses_one_of_them(users, world, portal_for):
    from kesher.customers.models import ContactAccount

    ContactAccount.objects.create(
        contact=world["dana"], account=world["b"].__class__.objects.create(name="סניף")
    )
    client = portal_for(world["portal_a"])
    assert 'name="account"' in client.get("/portal/tickets/new/").content.decode()
    client.post("/portal/tickets/new/", _open_form())
    assert not Ticket.objects.exists()
    client.post("/portal/tickets/new/", _open_form(account=world["b"].pk))
    assert not Ticket.objects.exists()  # not his
    client.post("/portal/tickets/new/", _open_form(account=world["a"].pk))
    assert Ticket.objects.get().account == world["a"]


def test_his_emailed_reply_shows_without_the_text_his_mail_client_quoted(users, world, portal_for):
    """The portal shows what he wrote; the stored message keeps the quote."""
    from kesher.service.mail import email_receive
    from kesher.service.models import Mailbox, TicketEmail
    from kesher.service.tests.test_mail import raw_mail

    Mailbox.objects.create(address="support@kesher-demo.co.il", name="תמיכה")
    ticket = _ticket(users, world["a"], world["dana"])
    sent = ticket_reply(
        ticket, actor=users["support_agent"], body="נא להפעיל מחדש", idempotency_key="q1"
    )
    body = "הפעלתי, עדיין לא עובד.\n\nב-7 בדצמ׳ 2026, תמיכה כתב:\n> נא להפעיל מחדש\n> תודה"
    received = email_receive(
        raw_mail(sender="dana@a.example", body=body, in_reply_to=sent.message_id)
    )
    assert received.ticket == ticket
    page = portal_for(world["portal_a"]).get(f"/portal/tickets/{ticket.pk}/").content.decode()
    assert "הפעלתי, עדיין לא עובד." in page
    assert "כתב:" not in page
    assert page.count("נא להפעיל מחדש") == 1  # our answer, not his quote of it
    stored = TicketEmail.objects.get(ticket=ticket, direction="in").interaction.body
    assert "> נא להפעיל מחדש" in stored


def test_a_customer_of_two_accounts_pages_through_both_newest_first(users, world, portal_for):
    """Each account's newest read by its own range of the account index, in one statement
    (decision 0102): the pages interleave both accounts' tickets newest first, none twice, and
    another customer's never."""
    from kesher.customers.models import ContactAccount
    from kesher.portal.views import PAGE_SIZE

    branch = world["b"].__class__.objects.create(name="סניף")
    ContactAccount.objects.create(contact=world["dana"], account=branch)
    made = []
    for n in range(PAGE_SIZE + 5):
        account = world["a"] if n % 3 else branch
        made.append(_ticket(users, account, world["dana"], subject=f"פנייה {n:02}").number)
    _ticket(users, world["b"], world["boaz"], subject="סוד של לקוח ב")
    client = portal_for(world["portal_a"])
    client.get("/portal/tickets/?show=all")
    with CaptureQueriesContext(connection) as captured:
        first = client.get("/portal/tickets/?show=all").content.decode()
    tickets = [q["sql"] for q in captured.captured_queries if '"service_ticket"' in q["sql"]]
    assert len(tickets) == 1
    assert "UNION ALL" in tickets[0]
    newest = list(reversed(made))
    shown = [number for number in newest if number in first]
    assert shown == newest[:PAGE_SIZE]
    assert first.index(newest[0]) < first.index(newest[1]) < first.index(newest[2])
    before = Ticket.objects.get(number=newest[PAGE_SIZE - 1]).pk
    second = client.get(f"/portal/tickets/?show=all&before={before}").content.decode()
    assert [number for number in newest if number in second] == newest[PAGE_SIZE:]
    assert "סוד של לקוח ב" not in first + second
