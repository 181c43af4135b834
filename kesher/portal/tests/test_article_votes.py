"""'Did this help?' in the portal's help center (REQ SV-8; decision 0094): a customer answers
once per public article (answering again changes it), his answers count beside the staff's,
and an internal article is not there to answer."""

from __future__ import annotations

import pytest

from kesher.service.models import ArticleVote
from kesher.service.services import article_create, article_votes

pytestmark = pytest.mark.django_db


def _article(actor, audience, title):
    return article_create(
        actor=actor,
        data={
            "title_he": title,
            "body_he": "<p>טקסט</p>",
            "status": "published",
            "audience": audience,
        },
    )


def test_a_customer_answers_once_per_public_article(users, world, portal_for):
    agent = users["support_agent"]
    public = _article(agent, "public", "איך מאפסים סיסמה")
    internal = _article(agent, "internal", "נוהל פנימי")
    client = portal_for(world["portal_a"])
    page = client.get(f"/portal/help/{public.pk}/").content.decode()
    assert 'id="article-vote"' in page
    response = client.post(f"/portal/help/{public.pk}/vote/", {"helpful": "no"})
    assert response.status_code == 302
    client.post(f"/portal/help/{public.pk}/vote/", {"helpful": "yes"})
    portal_for(world["portal_b"]).post(f"/portal/help/{public.pk}/vote/", {"helpful": "yes"})
    assert article_votes(public) == {"helpful": 2, "not_helpful": 0}
    assert 'aria-pressed="true"' in client.get(f"/portal/help/{public.pk}/").content.decode()
    # No answer, or an internal article: nothing written.
    client.post(f"/portal/help/{public.pk}/vote/", {"helpful": ""})
    assert client.post(f"/portal/help/{internal.pk}/vote/", {"helpful": "yes"}).status_code == 404
    assert ArticleVote.objects.count() == 2
    assert client.get(f"/portal/help/{public.pk}/vote/").status_code == 405
