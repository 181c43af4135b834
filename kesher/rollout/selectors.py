"""Reads of the roll-out (REQ IMPL-1, IMPL-2): the stages with their items' progress and what
remains, each user's exercises, and who is trained. Administrators read the project and the
training; each user reads his own exercises."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from kesher.platform.access import is_admin
from kesher.platform.registry import registry
from kesher.rollout.detectors import Facts, run_detectors
from kesher.rollout.models import Exercise, ExerciseRecord, HintSeen, Item, MappedProcess, Stage
from kesher.rollout.services import project_get

__all__ = [
    "exercises_for",
    "hint_to_show",
    "my_training",
    "processes_list",
    "remember_hint_seen",
    "rollout_overview",
    "training_rows",
]


def _require_admin(user) -> None:
    if not is_admin(user):
        raise PermissionDenied(_("Only an administrator manages the roll-out."))


def rollout_overview(user, facts: Facts | None = None) -> dict:
    """The project, and each stage with its items (ticked by hand or by their check), its
    progress and what remains."""
    _require_admin(user)
    facts = facts or Facts()
    project = facts.project()
    items = list(Item.objects.select_related("done_by"))
    detected = run_detectors({i.detector for i in items if i.detector}, facts)
    stages = []
    for stage in Stage.objects.all():
        rows = []
        for item in (i for i in items if i.stage_id == stage.pk):
            done = detected.get(item.detector, False) if item.detector else bool(item.done_at)
            rows.append({"item": item, "done": done, "automatic": bool(item.detector)})
        done_count = sum(r["done"] for r in rows)
        stages.append(
            {
                "stage": stage,
                "items": rows,
                "done": done_count,
                "total": len(rows),
                "percent": round(100 * done_count / len(rows)) if rows else 100,
                "remaining": [r["item"] for r in rows if not r["done"]],
            }
        )
    total = sum(s["total"] for s in stages)
    done = sum(s["done"] for s in stages)
    return {
        "project": project,
        "stages": stages,
        "done": done,
        "total": total,
        "percent": round(100 * done / total) if total else 0,
        "live": Item.objects.filter(key="go-live", done_at__isnull=False).first(),
    }


def processes_list(user):
    _require_admin(user)
    return MappedProcess.objects.select_related("owner")


def exercises_for(user, *, project=None) -> list[Exercise]:
    """The exercises of the user's role (and everyone's); the advanced ones when the user was
    chosen for advanced training."""
    project = project or project_get()
    advanced = project.advanced_users.filter(pk=user.pk).exists()
    found = Exercise.objects.filter(Q(role__isnull=True) | Q(role=user.role_id))
    if not advanced:
        found = found.filter(advanced=False)
    return list(found.select_related("role"))


def _detected_pairs(facts: Facts, exercises) -> set:
    """(user id, exercise id) the practice environment shows done."""
    created = facts.practice().created
    if not created:
        return set()
    types = {}
    for exercise in exercises:
        if exercise.detector and exercise.detector in registry:
            model = registry.get(exercise.detector).model
            types[exercise.pk] = ContentType.objects.get_for_model(
                model, for_concrete_model=False
            ).pk
    return {(user_id, ex) for user_id, ct in created for ex, t in types.items() if t == ct}


def _status(record, detected: bool) -> str:
    if record is not None and record.confirmed_at:
        return "confirmed"
    if detected or (record is not None and record.detected_at):
        return "detected"
    if record is not None and record.marked_at:
        return "marked"
    return "open"


def training_rows(*, facts: Facts | None = None, user=None) -> list[dict]:
    """Who is trained: each active user with his exercises' states. ``user`` (when given) must
    be an administrator; the roll-out's own check calls it without one."""
    from kesher.org.models import User

    if user is not None:
        _require_admin(user)
    facts = facts or Facts()
    project = facts.project()
    advanced = set(project.advanced_users.values_list("pk", flat=True))
    exercises = list(Exercise.objects.select_related("role"))
    records = {(r.user_id, r.exercise_id): r for r in ExerciseRecord.objects.all()}
    detected = _detected_pairs(facts, exercises)
    rows = []
    for person in User.objects.filter(is_active=True).select_related("role").order_by("username"):
        mine = [
            e
            for e in exercises
            if (e.role_id is None or e.role_id == person.role_id)
            and (not e.advanced or person.pk in advanced)
        ]
        states = [
            {
                "exercise": e,
                "record": records.get((person.pk, e.pk)),
                "status": _status(records.get((person.pk, e.pk)), (person.pk, e.pk) in detected),
            }
            for e in mine
        ]
        done = sum(s["status"] in ("confirmed", "detected") for s in states)
        rows.append(
            {
                "user": person,
                "exercises": states,
                "done": done,
                "total": len(states),
                "complete": done == len(states),
                "advanced": person.pk in advanced,
                "waiting": [s for s in states if s["status"] == "marked"],
            }
        )
    return rows


def my_training(user) -> dict:
    """The user's own exercises with their states."""
    facts = Facts()
    exercises = exercises_for(user, project=facts.project())
    records = {
        r.exercise_id: r for r in ExerciseRecord.objects.filter(user=user, exercise__in=exercises)
    }
    detected = _detected_pairs(facts, exercises) if any(e.detector for e in exercises) else set()
    states = [
        {
            "exercise": e,
            "record": records.get(e.pk),
            "status": _status(records.get(e.pk), (user.pk, e.pk) in detected),
        }
        for e in exercises
    ]
    return {
        "practice_url": settings.KESHER_PRACTICE_URL,
        "exercises": states,
        "done": sum(s["status"] in ("confirmed", "detected") for s in states),
        "total": len(states),
    }


# The modules whose hint the session's user has dismissed, so the hint costs a list page no
# query once it is gone.
SEEN_HINTS = "rollout_hints_seen"


def hint_to_show(user, path: str, session=None):
    """The first-use hint of the module ``path`` belongs to, unless the user dismissed it."""
    from kesher.rollout.hints import hint_for_path

    if not getattr(user, "is_authenticated", False):
        return None
    hint = hint_for_path(path)
    if hint is None:
        return None
    seen = session.get(SEEN_HINTS, []) if session is not None else []
    if hint.module in seen:
        return None
    if HintSeen.objects.filter(user=user, module=hint.module).exists():
        if session is not None:
            remember_hint_seen(session, hint.module)
        return None
    return hint


def remember_hint_seen(session, module: str) -> None:
    session[SEEN_HINTS] = sorted({*session.get(SEEN_HINTS, []), module})
