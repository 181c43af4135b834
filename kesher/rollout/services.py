"""Every write of the roll-out (REQ IMPL-1, IMPL-2, AU-2): the project, ticking its items,
mapping processes and turning them into Kesher through the process-template installer
(decision 0089, not a second installer), the training's marks and confirmations, and the
first-use hints. Administrators write; a user marks his own exercises and dismisses his hints."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.automation.processes import ProcessTemplate, process_install, process_uninstall
from kesher.platform.access import is_admin
from kesher.rollout.models import Exercise, ExerciseRecord, HintSeen, Item, MappedProcess, Project

__all__ = [
    "SINGLETON",
    "exercise_confirm",
    "exercise_mark",
    "exercises_record_detected",
    "hint_dismiss",
    "item_tick",
    "mapped_process_delete",
    "mapped_process_install",
    "mapped_process_save",
    "mapped_process_template",
    "mapped_process_uninstall",
    "project_get",
    "project_update",
]

SINGLETON = 1
SLUG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
PROJECT_FIELDS = ("owner", "budget", "starts_on", "go_live_on", "notes")


def _admin(actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_("Only an administrator manages the roll-out."))


def project_get() -> Project:
    """The roll-out project (its row is made by the app's migration)."""
    return Project.objects.get_or_create(pk=SINGLETON)[0]


@transaction.atomic
def project_update(*, actor, data: dict, advanced_users=None) -> Project:
    """Set the project's lead, budget, schedule and notes, and who gets advanced training."""
    _admin(actor)
    # Locked: two administrators saving at once would each overwrite the other's fields.
    project = Project.objects.select_for_update().get_or_create(pk=SINGLETON)[0]
    for name in PROJECT_FIELDS:
        if name in data:
            setattr(project, name, data[name])
    if project.starts_on and project.go_live_on and project.go_live_on < project.starts_on:
        raise ValidationError({"go_live_on": [_("Go-live comes after the start.")]})
    project.full_clean()
    project.updated_at = timezone.now()
    project.save(update_fields=[*PROJECT_FIELDS, "updated_at"])
    if advanced_users is not None:
        project.advanced_users.set(advanced_users)
    return project


@transaction.atomic
def item_tick(item: Item, *, actor, done: bool) -> Item:
    """Tick or untick an item by hand (an item Kesher checks by itself is ticked by its check)."""
    _admin(actor)
    item = Item.objects.select_for_update().get(pk=item.pk)  # locked: tick once
    if item.detector:
        raise ValidationError({"done": [_("Kesher ticks this item by itself when it is done.")]})
    item.done_at = timezone.now() if done else None
    item.done_by = actor if done else None
    item.save(update_fields=["done_at", "done_by"])
    return item


# --- mapped processes -----------------------------------------------------------------------


def _text(entry: dict, name: str, limit: int = 200) -> str:
    value = entry.get(name, "")
    return str(value).strip()[:limit] if value is not None else ""


def _clean_stages(stages) -> list[dict]:
    if not isinstance(stages, list) or len(stages) < 2:
        raise ValidationError({"stages": [_("Name at least two stages.")]})
    cleaned, seen = [], set()
    for entry in stages:
        if not isinstance(entry, dict):
            raise ValidationError({"stages": [_("Each stage is a value and its names.")]})
        value = _text(entry, "value", 40)
        if not SLUG.match(value):
            raise ValidationError(
                {
                    "stages": [
                        _("“%s”: a stage's value is lower-case Latin letters, digits and _.")
                        % value
                    ]
                }
            )
        if value in seen:
            raise ValidationError({"stages": [_("The stage “%s” is named twice.") % value]})
        seen.add(value)
        label_he = _text(entry, "label_he", 100)
        if not label_he:
            raise ValidationError({"stages": [_("The stage “%s” has no Hebrew name.") % value]})
        cleaned.append(
            {"value": value, "label_he": label_he, "label_en": _text(entry, "label_en", 100)}
        )
    return cleaned


def _clean_parties(parties) -> list[dict]:
    from kesher.org.models import Role

    if not isinstance(parties, list):
        raise ValidationError({"parties": [_("List the parties, each with its role.")]})
    roles = set(Role.objects.values_list("key", flat=True))
    cleaned, seen = [], set()
    for entry in parties:
        if not isinstance(entry, dict):
            raise ValidationError({"parties": [_("List the parties, each with its role.")]})
        key = _text(entry, "key", 40)
        if not SLUG.match(key) or key in seen:
            raise ValidationError(
                {
                    "parties": [
                        _("“%s”: a role's key is lower-case Latin letters, digits and _, once.")
                        % key
                    ]
                }
            )
        seen.add(key)
        like = _text(entry, "like", 40)
        if key not in roles and like not in roles:
            raise ValidationError(
                {
                    "parties": [
                        _("“%s”: name an existing role whose rights the new role starts with.")
                        % key
                    ]
                }
            )
        name_he = _text(entry, "name_he", 100)
        if not name_he:
            raise ValidationError({"parties": [_("The party “%s” has no Hebrew name.") % key]})
        cleaned.append(
            {
                "key": key,
                "name_he": name_he,
                "name_en": _text(entry, "name_en", 100),
                "like": like,
                "duty": _text(entry, "duty", 500),
            }
        )
    return cleaned


def _clean_triggers(triggers, stages: list[dict], parties: list[dict]) -> list[dict]:
    from kesher.org.models import Role

    if not isinstance(triggers, list):
        raise ValidationError({"triggers": [_("List the triggers.")]})
    stage_values = {s["value"] for s in stages}
    roles = {p["key"] for p in parties} | set(Role.objects.values_list("key", flat=True))
    cleaned = []
    for entry in triggers:
        if not isinstance(entry, dict):
            raise ValidationError({"triggers": [_("List the triggers.")]})
        on, do, party = _text(entry, "on", 40), _text(entry, "do", 10), _text(entry, "party", 40)
        title = _text(entry, "title", 150)
        if on != "created" and on not in stage_values:
            raise ValidationError(
                {
                    "triggers": [
                        _("“%s”: a trigger is on a new record or on entering one of the stages.")
                        % on
                    ]
                }
            )
        if do not in ("task", "email"):
            raise ValidationError({"triggers": [_("A trigger makes a task or sends an e-mail.")]})
        if not title:
            raise ValidationError({"triggers": [_("Each trigger needs a title.")]})
        if do == "task" and party not in roles:
            raise ValidationError(
                {"triggers": [_("“%s”: a task goes to one of the parties.") % party]}
            )
        try:
            hours = int(entry.get("hours") or 24)
        except (TypeError, ValueError):
            hours = 0
        if not 1 <= hours <= 720:
            raise ValidationError({"triggers": [_("A task is due in 1 to 720 business hours.")]})
        cleaned.append(
            {
                "on": on,
                "do": do,
                "party": party if do == "task" else "",
                "title": title,
                "hours": hours,
            }
        )
    return cleaned


@transaction.atomic
def mapped_process_save(
    *, actor, data: dict, process: MappedProcess | None = None
) -> MappedProcess:
    """Create or change a mapped process: the six questions, checked so that it can install.
    An installed process keeps its stages, parties and triggers until it is removed."""
    _admin(actor)
    if process is not None:
        # Locked: an install at the same moment reads the stages this would change.
        process = MappedProcess.objects.select_for_update().get(pk=process.pk)
    else:
        process = MappedProcess()
    target = data.get("target") or process.target
    stages = _clean_stages(data.get("stages", process.stages))
    parties = _clean_parties(data.get("parties", process.parties))
    triggers = _clean_triggers(data.get("triggers", process.triggers), stages, parties)
    structure = (target, stages, parties, triggers)
    if process.install_key and structure != (
        process.target,
        process.stages,
        process.parties,
        process.triggers,
    ):
        raise ValidationError(
            {
                "stages": [
                    _(
                        "Remove the process from Kesher before changing its stages, parties "
                        "or triggers."
                    )
                ]
            }
        )
    if "owner" in data:
        process.owner = data["owner"]
    for name in ("name", "owner_note", "contributors", "links"):
        if name in data:
            setattr(process, name, data[name] if data[name] is not None else "")
    process.target, process.stages, process.parties, process.triggers = structure
    process.full_clean()
    process.updated_at = timezone.now()
    process.save()
    return process


def mapped_process_template(process: MappedProcess) -> ProcessTemplate:
    """The process as a process template (decision 0089): its stages as ticket statuses or a
    pipeline's stages, its parties as roles, each trigger a rule with its task or e-mail."""
    tickets = process.target == MappedProcess.Target.TICKETS
    parts: list = []
    choices: tuple = ()
    name = process.name[:60]
    if tickets:
        choices = tuple(
            ("ticket_status", s["value"], s["label_he"], s["label_en"] or s["label_he"], "")
            for s in process.stages
        )
    else:
        last = len(process.stages) - 1
        parts.append(("pipelines", ({"ref": "pipeline", "name_he": name, "name_en": name},)))
        parts.append(
            (
                "stages",
                tuple(
                    {
                        "ref": f"stage_{s['value']}",
                        "pipeline": "@pipeline",
                        "key": s["value"],
                        "name_he": s["label_he"],
                        "name_en": s["label_en"],
                        "order": i,
                        "group": "closed" if i == last else "open",
                        "outcome": "won" if i == last else "open",
                    }
                    for i, s in enumerate(process.stages)
                ),
            )
        )
    tasks, mails, rules = [], [], []
    for i, trigger in enumerate(process.triggers):
        if trigger["do"] == "task":
            tasks.append(
                {
                    "ref": f"task{i}",
                    "name": f"{name}: {trigger['title']}"[:100],
                    "task_type": "general",
                    "title": f"{trigger['title']}: {{{{{'number' if tickets else 'name'}}}}}",
                    "priority": "normal",
                    "due_offset": trigger["hours"],
                    "due_unit": "hours",
                    "assignee_rule": "role",
                    "assignee_role": trigger["party"],
                }
            )
            action = {"type": "create_task", "template": f"@task{i}"}
        else:
            about = "{{ number }} · {{ subject }}" if tickets else "{{ name }}"
            mails.append(
                {
                    "ref": f"mail{i}",
                    "name": f"{name}: {trigger['title']}"[:100],
                    "entity": process.target,
                    "subject_he": f"{trigger['title']}: {about}",
                    "body_he": f"<p>{trigger['title']}</p><p>{about}</p>",
                    "subject_en": f"{trigger['title']}: {about}",
                    "body_en": f"<p>{trigger['title']}</p><p>{about}</p>",
                }
            )
            to = {"to_field": "contact.email"} if tickets else {"to_owner": True}
            action = {"type": "send_email", "template": f"@mail{i}", **to}
        rule = {
            "name": f"{name}: {trigger['title']}"[:100],
            "description": _("Mapped in the roll-out: %s.") % process.name,
            "entity": process.target,
            "actions": [action],
        }
        if trigger["on"] == "created":
            rule["trigger_kind"] = "created"
        else:
            value = trigger["on"] if tickets else f"@stage_{trigger['on']}"
            rule.update(trigger_kind="status_entered", trigger_config={"value": value})
        if trigger["do"] == "email" and tickets:
            rule["condition"] = {"field": "contact", "op": "not_empty"}
        rules.append(rule)
    parts += [
        ("email-templates", tuple(mails)),
        ("task-templates", tuple(tasks)),
        ("automation-rules", tuple(rules)),
    ]
    return ProcessTemplate(
        key=f"rollout-{process.pk}",
        name=process.name,
        description=process.owner_note,
        requires=(process.target, "tasks", "task-templates", "email-templates", "automation-rules"),
        choices=choices,
        roles=tuple(
            (p["key"], p["name_he"], p["name_en"] or p["name_he"], p["like"])
            for p in process.parties
        ),
        parts=tuple((key, records) for key, records in parts if records),
        steps=tuple(s["label_he"] for s in process.stages),
    )


@transaction.atomic
def mapped_process_install(process: MappedProcess, *, actor) -> MappedProcess:
    """Turn the mapped process into Kesher in one step, through the process-template installer:
    all of it or, when a part does not fit, nothing and the reason."""
    _admin(actor)
    process = MappedProcess.objects.select_for_update().get(pk=process.pk)  # locked: once
    if process.install_key:
        raise ValidationError({"key": [_("This process is already in Kesher.")]})
    template = mapped_process_template(process)
    process_install(template.key, actor=actor, template=template)
    process.install_key = template.key
    process.updated_at = timezone.now()
    process.save(update_fields=["install_key", "updated_at"])
    return process


@transaction.atomic
def mapped_process_uninstall(process: MappedProcess, *, actor) -> MappedProcess:
    """Remove what installing the process made, while none of it is in use."""
    _admin(actor)
    process = MappedProcess.objects.select_for_update().get(pk=process.pk)
    if not process.install_key:
        raise ValidationError({"key": [_("This process is not in Kesher.")]})
    process_uninstall(process.install_key, actor=actor)
    process.install_key = ""
    process.updated_at = timezone.now()
    process.save(update_fields=["install_key", "updated_at"])
    return process


@transaction.atomic
def mapped_process_delete(process: MappedProcess, *, actor) -> None:
    _admin(actor)
    process = MappedProcess.objects.select_for_update().get(pk=process.pk)
    if process.install_key:
        raise ValidationError({"key": [_("Remove the process from Kesher before deleting it.")]})
    process.delete()


# --- training ---------------------------------------------------------------------------------


@transaction.atomic
def exercise_mark(exercise: Exercise, *, actor, done: bool = True) -> ExerciseRecord:
    """A user marks one of his exercises done (or not); an administrator then confirms."""
    from kesher.rollout.selectors import exercises_for

    if exercise not in exercises_for(actor):
        raise ValidationError({"exercise": [_("This exercise is not one of yours.")]})
    record, _created = ExerciseRecord.objects.select_for_update().get_or_create(
        exercise=exercise, user=actor
    )
    record.marked_at = timezone.now() if done else None
    if not done:
        record.confirmed_at, record.confirmed_by = None, None
    record.save(update_fields=["marked_at", "confirmed_at", "confirmed_by"])
    return record


@transaction.atomic
def exercise_confirm(exercise: Exercise, user, *, actor, done: bool = True) -> ExerciseRecord:
    """An administrator confirms (or withdraws) that ``user`` did the exercise."""
    _admin(actor)
    record, _created = ExerciseRecord.objects.select_for_update().get_or_create(
        exercise=exercise, user=user
    )
    record.confirmed_at = timezone.now() if done else None
    record.confirmed_by = actor if done else None
    record.save(update_fields=["confirmed_at", "confirmed_by"])
    return record


@transaction.atomic
def exercises_record_detected(*, actor, found: dict) -> int:
    """Keep what the practice environment showed done (``found``: user id → exercise ids), so
    resetting the practice copy does not lose it. Returns how many were new."""
    _admin(actor)
    now, new = timezone.now(), 0
    for user_id, exercise_ids in found.items():
        for exercise_id in exercise_ids:
            record, _created = ExerciseRecord.objects.get_or_create(
                exercise_id=exercise_id, user_id=user_id
            )
            if record.detected_at is None:
                record.detected_at = now
                record.save(update_fields=["detected_at"])
                new += 1
    return new


def hint_dismiss(*, actor, module: str) -> None:
    """The user has read the module's first-use hint: it is not shown to him again."""
    from kesher.rollout.hints import hint_for_module

    if hint_for_module(module) is None:
        raise ValidationError({"module": [_("No such hint.")]})
    HintSeen.objects.get_or_create(user=actor, module=module)
