"""The demo's roll-out, half done (issue 23 items 1-2; REQ IMPL-1, IMPL-2): Ronit leads it
with a budget and a schedule that goes live in a month; the work plan's documents are ticked;
two sales reps practised — one confirmed, one waiting for the administrator — and Moshe is
chosen for advanced training. Made through the roll-out's services, as an administrator would."""

from __future__ import annotations

import datetime

from django.utils import timezone

from kesher.org.models import User
from kesher.rollout.models import Item
from kesher.rollout.selectors import exercises_for
from kesher.rollout.services import exercise_confirm, exercise_mark, item_tick, project_update

__all__ = ["create_rollout"]


def create_rollout(
    users: dict[str, User], *, admin: str, lead: str, advanced: str, trained: str, practising: str
) -> None:
    today = timezone.localdate()
    project_update(
        actor=users[admin],
        data={
            "owner": users[lead],
            "budget": 60000,
            "starts_on": today - datetime.timedelta(days=30),
            "go_live_on": today + datetime.timedelta(days=30),
            "notes": "מעבר מגיליונות Excel ומהמערכת הישנה; בלי לפגוע בעונת השיא של דצמבר.",
        },
        advanced_users=[users[advanced]],
    )
    for key in ("requirements", "expectations", "tables"):
        item_tick(Item.objects.get(key=key), actor=users[admin], done=True)
    for exercise in exercises_for(users[trained]):
        exercise_mark(exercise, actor=users[trained])
        exercise_confirm(exercise, users[trained], actor=users[admin])
    exercise_mark(exercises_for(users[practising])[0], actor=users[practising])
