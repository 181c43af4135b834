"""The demo's working together (issue 23 item 4): managers follow their reps' deals, reps and
managers mention each other in notes, and everyone's feed has news in his own language."""

import pytest
from django.test import Client

from kesher.activities.models import Notification
from kesher.collab.models import Follow, Note
from kesher.org.models import User

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_managers_follow_their_reps_deals_and_are_mentioned(loaded):
    samer = User.objects.get(username="samer")
    assert Follow.objects.filter(user=samer, entity="opportunities", following=True).count() >= 2
    assert Note.objects.filter(mentions=samer).exists()
    assert Notification.objects.filter(user=samer, verb="mention").exists()
    feed = _client("samer").get("/collab/feed/").content.decode()
    assert "feed-entry" in feed


def test_a_rep_reads_his_managers_answer_and_the_stage_move_in_his_feed(loaded):
    omer = User.objects.get(username="omer")
    assert Notification.objects.filter(user=omer, verb="mention").exists()
    feed = _client("omer").get("/api/v1/feed/", HTTP_ACCEPT_LANGUAGE="he").json()["results"]
    assert {entry["kind"] for entry in feed} >= {"note"}


def test_david_reads_his_feed_in_english(loaded):
    feed = _client("david").get("/api/v1/feed/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert feed
    assert all(" wrote a note on " in e["text"] or " changed " in e["text"] for e in feed)
