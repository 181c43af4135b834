"""The knowledge base (REQ SV-8; issue 18 item 5; decision 0072): articles in Hebrew and
English with sanitized rich text, drafts and published ones, suggested on a ticket by its type
and its subject, "this article solved it" recorded on the ticket."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from kesher.platform.models import AuditEntry
from kesher.service.models import Article
from kesher.service.selectors import suggested_articles
from kesher.service.services import article_create, ticket_solved_by
from kesher.service.tests.factories import choice, make_ticket

pytestmark = pytest.mark.django_db


def _article(actor, **data):
    data.setdefault("body_he", "<p>טקסט</p>")
    data.setdefault("status", "published")
    return article_create(actor=actor, data=data)


def test_an_articles_body_is_sanitized(users):
    article = _article(
        users["support_agent"],
        title_he="מדפסת",
        body_he='<p onclick="x()">לחצו <b>הדפסה</b></p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">קישור</a>',
    )
    assert "<b>הדפסה</b>" in article.body_he
    for bad in ("script", "onclick", "javascript:"):
        assert bad not in article.body_he


def test_articles_are_suggested_by_type_and_subject_published_only(users):
    agent = users["support_agent"]
    support = choice("ticket_type", "technical_support")
    by_type = _article(agent, title_he="איפוס סיסמה", ticket_type=support)
    by_word = _article(agent, title_he="המדפסת לא מגיבה — מה עושים")
    _article(agent, title_he="המדפסת — טיוטה", status="draft")
    _article(agent, title_he="מחירון 2027")
    ticket = make_ticket(agent, subject="המדפסת לא מדפיסה", ticket_type=support)
    assert suggested_articles(ticket, agent) == [by_type, by_word]
    other = make_ticket(agent, subject="שאלה כללית")
    assert suggested_articles(other, agent) == []


def test_the_ticket_page_suggests_and_records_the_solution(users, client_for):
    agent = users["support_agent"]
    article = _article(agent, title_he="המדפסת לא מגיבה")
    draft = _article(agent, title_he="המדפסת טיוטה", status="draft")
    ticket = make_ticket(agent, subject="המדפסת תקועה")
    client = client_for(agent)
    page = client.get(f"/r/tickets/{ticket.pk}/").content.decode()
    assert f'data-article="{article.pk}"' in page
    assert f'data-article="{draft.pk}"' not in page
    response = client.post(f"/service/tickets/{ticket.pk}/solved-by/", {"article": article.pk})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.solution_article == article
    assert AuditEntry.objects.filter(object_id=ticket.pk, action="update").exists()
    assert 'id="kb-solved"' in client.get(f"/r/tickets/{ticket.pk}/").content.decode()
    with pytest.raises(ValidationError):
        ticket_solved_by(ticket, actor=agent, article=draft)
    read = client_for(users["read_only"])
    assert read.post(
        f"/service/tickets/{ticket.pk}/solved-by/", {"article": article.pk}
    ).status_code in (403, 404)


def test_the_article_page_shows_the_text_in_the_readers_language(users, client_for):
    agent = users["support_agent"]
    article = _article(
        agent,
        title_he="מדפסת",
        body_he="<p>בעברית</p>",
        title_en="Printer",
        body_en="<p>In English</p>",
    )
    he = client_for(agent).get(f"/r/kb-articles/{article.pk}/").content.decode()
    assert "<p>בעברית</p>" in he
    agent.language = "en"
    agent.save(update_fields=["language"])
    en = client_for(agent).get(f"/r/kb-articles/{article.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "<p>In English</p>" in en.content.decode()


def test_search_finds_hebrew_titles(users, api_for):
    agent = users["support_agent"]
    _article(agent, title_he="איפוס סיסמה למשתמש")
    _article(agent, title_he="המדפסת לא מגיבה")
    found = api_for(agent).get("/api/v1/kb-articles/", {"search": "סיסמה"}).json()["results"]
    assert [row["title_he"] for row in found] == ["איפוס סיסמה למשתמש"]
    assert Article.objects.count() == 2


def test_did_this_help_one_answer_per_user_counts_shown_to_agents(users, client_for, api_for):
    """REQ SV-8: "did this help?" — one answer per reader (answering again changes it); the
    article's page shows the counts."""
    from kesher.service.models import ArticleVote
    from kesher.service.services import article_vote

    agent, manager = users["support_agent"], users["manager"]
    article = _article(agent, title_he="איפוס מדפסת")
    client = client_for(agent)
    assert (
        client.post(f"/service/kb-articles/{article.pk}/vote/", {"helpful": "yes"}).status_code
        == 302
    )
    client.post(f"/service/kb-articles/{article.pk}/vote/", {"helpful": "no"})
    assert ArticleVote.objects.filter(article=article).count() == 1
    api = api_for(manager, "en")
    answer = api.post(f"/api/v1/kb-articles/{article.pk}/votes/", {"helpful": True}, format="json")
    assert answer.json() == {"helpful": 1, "not_helpful": 1, "mine": True}
    bad = api.post(f"/api/v1/kb-articles/{article.pk}/votes/", {"helpful": "maybe"}, format="json")
    assert bad.status_code == 400
    assert bad.json() == {"helpful": ["Answer yes or no."]}
    assert api_for(agent).get(f"/api/v1/kb-articles/{article.pk}/votes/").json()["mine"] is False
    page = client.get(f"/r/kb-articles/{article.pk}/").content.decode()
    assert 'id="kb-votes"' in page
    assert "עזר ל-1 · לא עזר ל-1" in page
    # A draft is not voted on; nothing is written.
    draft = _article(agent, title_he="טיוטה", status="draft")
    with pytest.raises(ValidationError):
        article_vote(draft, helpful=True, user=agent)
    assert not ArticleVote.objects.filter(article=draft).exists()
    # An article the reader cannot see is not found.
    assert api_for(agent).get("/api/v1/kb-articles/999999/votes/").status_code == 404
