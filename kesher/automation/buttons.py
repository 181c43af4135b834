"""Buttons that run a rule's actions on demand (REQ CX-7; decision 0108).

An administrator defines a button as data: its label, the records it is for, the rule with
the "manual" trigger whose actions it runs, where it shows (the record's page, the list), for
which records and roles, and the questions it asks first. Pressing it validates the answers
like a form (a translated error naming the question, nothing written), then writes one
``ButtonJob``; the job makes at most one rule run per record — only for records the presser
may see and change, that the button applies to and that no approval locks — in batches, each
in one transaction with the job's progress, so a job resumed after a crash goes on from where
it stopped. The runs then go through the automation worker like any other (decision 0030),
with the answers filling ``{{answer.<key>}}`` in the actions' settings.
"""

from __future__ import annotations

import datetime
import decimal
import logging
import re
from datetime import timedelta

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from kesher.automation.engine import queue_worker
from kesher.automation.models import Button, ButtonJob, Rule, RuleRun
from kesher.platform import jsonlimits, stamps
from kesher.platform.access import can, is_admin
from kesher.platform.lists.filterlang import compile_filter
from kesher.platform.records.services import (
    edit_blocked_among,
    record_create,
    record_delete,
    record_update,
)
from kesher.platform.registry import registry

__all__ = [
    "QUESTION_TYPES",
    "answers_form",
    "button_allowed",
    "button_create",
    "button_delete",
    "button_job_run",
    "button_press",
    "button_update",
    "buttons_for",
    "clean_answers",
    "job_advance",
    "job_for",
    "job_runs",
    "label_of",
    "resume_button_jobs",
]

logger = logging.getLogger("kesher.automation")
BUTTONS = "automation-buttons"
QUESTION_TYPES = ("text", "long_text", "integer", "decimal", "date", "boolean", "choice")
MAX_QUESTIONS = 10
MAX_CHOICES = 50
MAX_IDS = 10_000
# Up to this many records are handled in the request (a record page's press); more go to the
# worker, batch by batch.
INLINE = 20
BATCH = 250
KEEP_SKIPPED = 50
STALLED_AFTER = timedelta(seconds=40)
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# --- the definition ----------------------------------------------------------------------------


def _question_error(number: int, message) -> ValidationError:
    return ValidationError(
        {"questions": [_("Question %(n)s: %(error)s") % {"n": number, "error": message}]}
    )


def _check_choices(number: int, choices) -> list:
    if not isinstance(choices, list) or not 0 < len(choices) <= MAX_CHOICES:
        raise _question_error(number, _("give from 1 to 50 choices."))
    cleaned = []
    for choice in choices:
        if not isinstance(choice, dict) or set(choice) - {"value", "label_he", "label_en"}:
            raise _question_error(number, _("each choice has a value and its labels."))
        value = str(choice.get("value", "")).strip()
        label_he = str(choice.get("label_he", "")).strip()
        if not value or not label_he or len(value) > 60 or len(label_he) > 100:
            raise _question_error(number, _("each choice has a value and its labels."))
        label_en = str(choice.get("label_en", "")).strip()[:100]
        cleaned.append({"value": value, "label_he": label_he, "label_en": label_en})
    return cleaned


def check_questions(questions) -> list:
    """The questions as stored: each with a unique key, labels, a known type, whether it is
    required, and a pick-list's choices."""
    if questions in (None, ""):
        return []
    if not isinstance(questions, list) or len(questions) > MAX_QUESTIONS:
        raise ValidationError({"questions": [_("Give a list of at most 10 questions.")]})
    cleaned, keys = [], set()
    allowed = {"key", "label_he", "label_en", "type", "required", "choices"}
    for number, question in enumerate(questions, start=1):
        if not isinstance(question, dict) or set(question) - allowed:
            raise _question_error(number, _("give a key, labels, a type and whether required."))
        key = question.get("key")
        if not isinstance(key, str) or not KEY.match(key) or key in keys:
            raise _question_error(
                number, _("the key is unique, in small English letters, digits and _.")
            )
        keys.add(key)
        label_he = question.get("label_he")
        if not isinstance(label_he, str) or not label_he.strip() or len(label_he) > 100:
            raise _question_error(number, _("give its Hebrew label."))
        kind = question.get("type", "text")
        if kind not in QUESTION_TYPES:
            raise _question_error(number, _("unknown type."))
        required = question.get("required", False)
        if not isinstance(required, bool):
            raise _question_error(number, _("say whether it is required with true or false."))
        item = {
            "key": key,
            "label_he": label_he.strip(),
            "label_en": str(question.get("label_en") or "").strip()[:100],
            "type": kind,
            "required": required,
        }
        if kind == "choice":
            item["choices"] = _check_choices(number, question.get("choices"))
        elif "choices" in question:
            raise _question_error(number, _("only a pick-list question has choices."))
        cleaned.append(item)
    return cleaned


def _validated(data: dict, current: Button | None = None) -> dict:
    """Check a button against its entity and rule, naming the field."""
    data = dict(data)
    for name in ("condition", "questions"):
        if isinstance(data.get(name), str):
            text = data[name].strip()
            try:
                data[name] = jsonlimits.loads(text) if text else ({} if name == "condition" else [])
            except ValueError:
                raise ValidationError({name: [_("Enter valid JSON.")]}) from None
    errors: dict[str, list] = {}
    key = data.get("entity", getattr(current, "entity", None))
    if key not in list(registry.keys()):
        raise ValidationError({"entity": [_("Choose the kind of record.")]})
    entity = registry.get(key)
    rule = data.get("rule", getattr(current, "rule", None) if current else None)
    if isinstance(rule, int | str) and str(rule).isdigit():
        rule = Rule.objects.filter(pk=int(rule)).first()
    if not isinstance(rule, Rule):
        errors["rule"] = [_("Choose the rule to run.")]
    elif rule.trigger_kind != "manual" or rule.entity != key:
        errors["rule"] = [
            _("Choose a rule of the same records whose trigger is “Pressing a button”.")
        ]
    else:
        data["rule"] = rule
    condition = data.get("condition", getattr(current, "condition", {}))
    if condition not in (None, "", {}):
        try:
            if not isinstance(condition, dict):
                raise ValidationError(
                    {"filter": [_("Write the condition in the filter language.")]}
                )
            compile_filter(entity, condition)
        except ValidationError as error:
            errors["condition"] = error.message_dict.get("filter") or error.messages
    else:
        data["condition"] = {}
    try:
        data["questions"] = check_questions(
            data.get("questions", getattr(current, "questions", []))
        )
    except ValidationError as error:
        errors.update(error.message_dict)
    on_record = data.get("on_record", getattr(current, "on_record", True))
    on_list = data.get("on_list", getattr(current, "on_list", False))
    if not on_record and not on_list:
        errors["on_record"] = [_("Show the button on the record's page, on the list, or both.")]
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
def button_create(*, actor, data: dict, m2m: dict | None = None) -> Button:
    """A new button, checked whole."""
    return record_create(BUTTONS, actor=actor, data=_validated(data), m2m=m2m)


@transaction.atomic
def button_update(button: Button, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a button; its rule, condition and questions are checked against its entity."""
    return record_update(
        button,
        actor=actor,
        data=_validated(data, button),
        m2m=m2m,
        expected_version=expected_version,
    )


@transaction.atomic
def button_delete(button: Button, *, actor, expected_version=None) -> None:
    """Delete a button with the log of its presses (the rule runs they made stay)."""
    record_delete(button, actor=actor, expected_version=expected_version)


# --- who sees which buttons ----------------------------------------------------------------------


def _enabled_buttons() -> dict[str, list[tuple[Button, frozenset]]]:
    """Every enabled button by entity, with the ids of the roles it is for; read once per
    process until a button or a rule changes."""

    def load():
        found: dict[str, list] = {}
        for button in Button.objects.filter(enabled=True, rule__enabled=True).prefetch_related(
            "roles"
        ):
            roles = frozenset(role.pk for role in button.roles.all())
            found.setdefault(button.entity, []).append((button, roles))
        return found

    return stamps.cached(stamps.AUTOMATION, "buttons", load)


def button_allowed(button: Button, user) -> bool:
    """Whether ``user`` may press ``button``: he may change its records and, when it names
    roles, has one of them (administrators always)."""
    if not can(user, button.entity, "change"):
        return False
    for candidate, roles in _enabled_buttons().get(button.entity, []):
        if candidate.pk == button.pk:
            return not roles or is_admin(user) or getattr(user, "role_id", None) in roles
    return False


def _applies(button: Button, queryset):
    """``queryset`` narrowed to the records the button's condition accepts."""
    if not button.condition:
        return queryset
    q, aliases = compile_filter(registry.get(button.entity), button.condition)
    if aliases:
        queryset = queryset.alias(**aliases)
    return queryset.filter(q).distinct() if aliases else queryset.filter(q)


def buttons_for(user, entity_key: str, *, record=None, on_list: bool = False) -> list[Button]:
    """The buttons ``user`` sees on a record's page (``record``) or on the list of
    ``entity_key`` (``on_list``); on a page, only those whose condition the record meets."""
    if not can(user, entity_key, "change"):
        return []
    shown = [
        button
        for button, roles in _enabled_buttons().get(entity_key, [])
        if (button.on_list if on_list else button.on_record)
        and (not roles or is_admin(user) or getattr(user, "role_id", None) in roles)
    ]
    if record is None:
        return shown
    model = registry.get(entity_key).model
    return [
        b
        for b in shown
        if not b.condition or _applies(b, model._base_manager.filter(pk=record.pk)).exists()
    ]


# --- the questions -----------------------------------------------------------------------------


def label_of(item: dict) -> str:
    from django.utils.translation import get_language

    language = (get_language() or "he")[:2]
    return item.get(f"label_{language}") or item["label_he"]


def _question_field(question: dict) -> forms.Field:
    kind, required = question["type"], question["required"]
    field: forms.Field
    if kind == "long_text":
        field = forms.CharField(
            max_length=5000, required=required, widget=forms.Textarea(attrs={"rows": 3})
        )
    elif kind == "integer":
        field = forms.IntegerField(required=required, min_value=-(10**12), max_value=10**12)
    elif kind == "decimal":
        field = forms.DecimalField(required=required, max_digits=16, decimal_places=4)
    elif kind == "date":
        field = forms.DateField(
            required=required, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        )
    elif kind == "boolean":
        field = forms.BooleanField(required=required)
    elif kind == "choice":
        options = [(c["value"], label_of(c)) for c in question["choices"]]
        field = forms.ChoiceField(
            required=required, choices=[("", "—"), *options] if not required else options
        )
    else:
        field = forms.CharField(max_length=500, required=required)
    field.label = label_of(question)
    css = "form-check-input" if kind == "boolean" else ("form-select" if kind == "choice" else "")
    field.widget.attrs["class"] = css or "form-control"
    return field


def answers_form(button: Button, data=None) -> forms.Form:
    """The button's questions as a form; its inputs are named ``answer_<key>``."""
    form = forms.Form(data)
    for question in button.questions:
        form.fields[f"answer_{question['key']}"] = _question_field(question)
    return form


def _stored(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def clean_answers(button: Button, answers) -> dict:
    """The answers checked like a form, as they are kept with the runs (a date as
    ``YYYY-MM-DD``, a decimal as text); ValidationError ``{"answers.<key>": [...]}``."""
    if answers in (None, ""):
        answers = {}
    if not isinstance(answers, dict):
        raise ValidationError({"answers": [_("Give the answers as an object by question.")]})
    known = {q["key"] for q in button.questions}
    unknown = sorted(str(key)[:40] for key in answers if key not in known)
    if unknown:
        raise ValidationError(
            {"answers": [_("Unknown question: %(keys)s.") % {"keys": ", ".join(unknown)}]}
        )
    data = {}
    for key, value in answers.items():
        if isinstance(value, list | dict):
            raise ValidationError({f"answers.{key}": [_("Enter one value.")]})
        if isinstance(value, bool):
            value = "on" if value else ""
        data[f"answer_{key}"] = "" if value is None else str(value)
    form = answers_form(button, data)
    if not form.is_valid():
        raise ValidationError(
            {
                f"answers.{name.removeprefix('answer_')}": [str(m) for m in messages]
                for name, messages in form.errors.items()
            }
        )
    return {name.removeprefix("answer_"): _stored(v) for name, v in form.cleaned_data.items()}


# --- pressing it -------------------------------------------------------------------------------


def _clean_ids(ids) -> list[int]:
    if not isinstance(ids, list | tuple) or not ids:
        raise ValidationError({"ids": [_("Choose the records to run it on.")]})
    if len(ids) > MAX_IDS:
        raise ValidationError(
            {"ids": [_("At most %(n)s records at once.") % {"n": f"{MAX_IDS:,}"}]}
        )
    cleaned = set()
    for value in ids:
        if isinstance(value, bool) or not str(value).isdigit() or len(str(value)) > 18:
            raise ValidationError({"ids": [_("Give record numbers.")]})
        cleaned.add(int(value))
    return sorted(cleaned)


def button_press(button: Button, *, actor, ids, answers=None) -> ButtonJob:
    """Press ``button`` for the records ``ids`` with ``answers``: checked first (nothing is
    written if anything is wrong), then one job. A few records are handled at once; more are
    queued to the worker (decision 0108)."""
    if not button_allowed(button, actor):
        raise PermissionDenied(_("You may not press this button."))
    cleaned_ids = _clean_ids(ids)
    cleaned = clean_answers(button, answers)
    with transaction.atomic():
        job = ButtonJob.objects.create(
            button=button,
            entity=button.entity,
            actor=actor,
            ids=cleaned_ids,
            answers=cleaned,
            total=len(cleaned_ids),
            heartbeat_at=timezone.now(),
        )
        if len(cleaned_ids) > INLINE:
            transaction.on_commit(lambda: _enqueue(job.pk))
    if len(cleaned_ids) <= INLINE:
        job = job_advance(job.pk)
    return job


def _enqueue(job_id: int) -> None:
    try:
        button_job_run.enqueue(job_id)
    except Exception:
        # The tick takes it up (``resume_button_jobs``).
        logger.exception("could not enqueue button job %s", job_id)


def _skip(reason, ids) -> list[dict]:
    return [{"id": pk, "reason": str(reason)} for pk in ids]


def _batch(job: ButtonJob, chunk: list[int]) -> tuple[int, list[dict]]:
    """The runs of one batch, written; returns how many, and the records left out and why."""
    button, actor = job.button, job.actor
    entity = registry.get(job.entity)
    if actor is None or not button_allowed(button, actor):
        return 0, _skip(_("You may no longer press this button."), chunk)
    visible = entity.queryset().visible_to(actor).filter(pk__in=chunk)
    seen = set(visible.values_list("pk", flat=True))
    applies = set(_applies(button, visible).values_list("pk", flat=True)) if seen else set()
    blocked = edit_blocked_among(entity.key, sorted(applies)) if applies else {}
    ready = [pk for pk in chunk if pk in applies and pk not in blocked]
    skipped = _skip(_("Not found, or you may not see it."), [pk for pk in chunk if pk not in seen])
    skipped += _skip(
        _("The button does not apply to it."), [pk for pk in chunk if pk in seen - applies]
    )
    skipped += [{"id": pk, "reason": reason} for pk, reason in blocked.items()]
    if not ready:
        return 0, skipped
    rule, now = button.rule, timezone.now()
    info = {
        "event": "button",
        "button": button.pk,
        "label": button.label_he,
        "by": actor.pk,
        "answers": job.answers,
    }
    RuleRun.objects.bulk_create(
        [
            RuleRun(
                rule=rule,
                entity=rule.entity,
                record_id=pk,
                trigger="manual",
                trigger_info=info,
                actions=rule.actions,
                job=job,
                # At most once per record of a press, whatever happens to the job.
                dedupe_key=f"button-{job.pk}-{pk}",
                created_at=now,
                next_attempt_at=now,
            )
            for pk in ready
        ],
        ignore_conflicts=True,
    )
    queue_worker()
    return len(ready), skipped


def job_advance(job_id: int) -> ButtonJob:
    """Make the runs of a job batch by batch, each batch in one transaction with the job's
    progress; a job re-run after a crash continues after the last batch it committed."""
    while True:
        with transaction.atomic():
            # Locked: a second worker that took up a "stalled" job waits, then goes on from
            # the progress the first one committed.
            job = (
                ButtonJob.objects.select_for_update(of=("self",))
                .select_related("button__rule", "actor")
                .get(pk=job_id)
            )
            if job.status in (ButtonJob.Status.DONE, ButtonJob.Status.FAILED):
                return job
            chunk = job.ids[job.done : job.done + BATCH]
            made, skipped = _batch(job, chunk) if chunk else (0, [])
            job.done += len(chunk)
            job.queued += made
            job.skipped_count += len(skipped)
            job.skipped = (job.skipped + skipped)[:KEEP_SKIPPED]
            job.heartbeat_at = timezone.now()
            job.status = ButtonJob.Status.RUNNING
            if job.done >= job.total:
                job.status = ButtonJob.Status.DONE
                job.finished_at = job.heartbeat_at
            job.save(
                update_fields=[
                    "done",
                    "queued",
                    "skipped_count",
                    "skipped",
                    "heartbeat_at",
                    "status",
                    "finished_at",
                ]
            )
            if job.status == ButtonJob.Status.DONE:
                return job


@task()
def button_job_run(job_id: int) -> None:
    """The worker's task for a press on many records."""
    job_advance(job_id)


def resume_button_jobs() -> None:
    """Every tick: jobs that stopped moving (their worker died) are queued again; they go on
    from their progress."""
    stalled = ButtonJob.objects.filter(
        status__in=[ButtonJob.Status.QUEUED, ButtonJob.Status.RUNNING],
        heartbeat_at__lt=timezone.now() - STALLED_AFTER,
    ).values_list("pk", flat=True)
    for job_id in list(stalled[:20]):
        ButtonJob.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
        logger.warning("button job %s stalled; queued again", job_id)
        _enqueue(job_id)


def job_runs(job: ButtonJob) -> dict:
    """How the runs of a job stand: waiting (or running), done, failed, stopped."""
    counts = dict(
        RuleRun.objects.filter(job=job)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    waiting = counts.get(RuleRun.Status.PENDING, 0) + counts.get(RuleRun.Status.RUNNING, 0)
    return {
        "waiting": waiting,
        "done": counts.get(RuleRun.Status.DONE, 0),
        "failed": counts.get(RuleRun.Status.FAILED, 0),
        "stopped": counts.get(RuleRun.Status.STOPPED, 0),
        "finished": job.finished and not waiting,
    }


def job_for(user, pk) -> ButtonJob | None:
    """A press its presser (or an administrator) may follow."""
    jobs = ButtonJob.objects.select_related("button")
    if not is_admin(user):
        jobs = jobs.filter(Q(actor=user))
    return jobs.filter(pk=pk).first()
