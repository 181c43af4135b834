"""Wizards: screens that lead from one to the next, defined as data (REQ CX-7; decision 0108).

Each step is the generic form of one entity (``form_for``, the same inputs, pickers and
scoping as its own "new" page) with the fields the administrator chose; fixed values and
links to the records of earlier steps are filled in by the wizard, not typed. The answers
stay in the user's session (the page) or in the request (the API) until the last step; then
every record is written in one transaction, step by step, through each entity's create
service, so the field rules, audit and events are those of a record made by hand — and an
error in any step writes nothing. A wizard left midway has written nothing at all.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kesher.automation.actions import checked_values, service_data
from kesher.automation.models import Wizard
from kesher.platform import jsonlimits
from kesher.platform.access import can, is_admin
from kesher.platform.records.services import record_create, record_delete, record_update
from kesher.platform.registry import registry
from kesher.platform.ui.forms import form_for

__all__ = [
    "step_form",
    "step_title",
    "wizard_allowed",
    "wizard_create",
    "wizard_delete",
    "wizard_finish",
    "wizard_update",
    "wizards_for",
]

WIZARDS = "automation-wizards"
MAX_STEPS = 8
MAX_FIELDS = 30
GENERIC_LINK = "link"  # a task's or an interaction's "about" (link_type, link_id)


# --- the definition ----------------------------------------------------------------------------


def _step_error(number: int, message) -> ValidationError:
    return ValidationError(
        {"steps": [_("Step %(n)s: %(error)s") % {"n": number, "error": message}]}
    )


def _link_fits(entity, name: str, earlier) -> bool:
    """Whether field ``name`` of ``entity`` can hold a record of ``earlier`` (an entity)."""
    if name == GENERIC_LINK:
        from kesher.platform.records.links import linkable_keys

        concrete = {f.name for f in entity.model._meta.concrete_fields}
        return {"link_type", "link_id"} <= concrete and earlier.key in linkable_keys()
    try:
        model_field = entity.model._meta.get_field(name)
    except Exception:
        return False
    return (
        (model_field.many_to_one or model_field.many_to_many)
        and model_field.editable
        and model_field.related_model is earlier.model
    )


def check_steps(steps) -> list:
    """The steps as stored: each an entity, its title, the fields of its form, fixed values,
    and links to the records of earlier steps (by step number)."""
    if not isinstance(steps, list) or not 0 < len(steps) <= MAX_STEPS:
        raise ValidationError({"steps": [_("Give from 1 to 8 steps.")]})
    allowed = {"entity", "title_he", "title_en", "fields", "values", "links"}
    cleaned, entities = [], []
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or set(step) - allowed:
            raise _step_error(number, _("give an entity, titles, fields, values and links."))
        key = step.get("entity")
        if key not in list(registry.keys()):
            raise _step_error(number, _("choose the kind of record."))
        entity = registry.get(key)
        title_he = step.get("title_he") or ""
        if not isinstance(title_he, str) or not title_he.strip() or len(title_he) > 100:
            raise _step_error(number, _("give its Hebrew title."))
        fields = step.get("fields")
        if not isinstance(fields, list) or not 0 < len(fields) <= MAX_FIELDS:
            raise _step_error(number, _("choose from 1 to 30 fields of its form."))
        for name in fields:
            if name not in entity.form_fields:
                raise _step_error(
                    number, _("%(field)s is not a field of its form.") % {"field": str(name)[:60]}
                )
        links = step.get("links") or {}
        if not isinstance(links, dict):
            raise _step_error(number, _("links name a field and an earlier step."))
        for name, target in links.items():
            if isinstance(target, bool) or not isinstance(target, int) or not 0 < target < number:
                raise _step_error(number, _("a link names an earlier step by its number."))
            if name in fields or not _link_fits(entity, name, entities[target - 1]):
                raise _step_error(
                    number,
                    _("%(field)s cannot hold the record of step %(step)s.")
                    % {"field": str(name)[:60], "step": target},
                )
        values = step.get("values") or {}
        if values:
            try:
                values = checked_values(entity, {"values": values})
            except ValidationError as error:
                details = "; ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
                raise _step_error(number, details) from None
        cleaned.append(
            {
                "entity": key,
                "title_he": title_he.strip(),
                "title_en": str(step.get("title_en") or "").strip()[:100],
                "fields": list(fields),
                "values": values,
                "links": links,
            }
        )
        entities.append(entity)
    return cleaned


def _validated(data: dict, current: Wizard | None = None) -> dict:
    data = dict(data)
    if isinstance(data.get("steps"), str):
        try:
            data["steps"] = jsonlimits.loads(data["steps"])
        except ValueError:
            raise ValidationError({"steps": [_("Enter valid JSON.")]}) from None
    if current is None or "steps" in data:
        data["steps"] = check_steps(data.get("steps"))
    return data


@transaction.atomic
def wizard_create(*, actor, data: dict, m2m: dict | None = None) -> Wizard:
    """A new wizard, its steps checked against their entities."""
    return record_create(WIZARDS, actor=actor, data=_validated(data), m2m=m2m)


@transaction.atomic
def wizard_update(wizard: Wizard, *, actor, data: dict, m2m=None, expected_version=None):
    """Change a wizard; new steps are checked whole."""
    return record_update(
        wizard,
        actor=actor,
        data=_validated(data, wizard),
        m2m=m2m,
        expected_version=expected_version,
    )


@transaction.atomic
def wizard_delete(wizard: Wizard, *, actor, expected_version=None) -> None:
    """Delete a wizard (the records it made stay)."""
    record_delete(wizard, actor=actor, expected_version=expected_version)


# --- who may use it ----------------------------------------------------------------------------


def wizard_allowed(wizard: Wizard, user) -> bool:
    """Enabled, for one of the user's roles (or every role), and he may add the records of
    every step."""
    if not wizard.enabled or not getattr(user, "is_authenticated", False):
        return False
    role_ids = {role.pk for role in wizard.roles.all()}
    if role_ids and not is_admin(user) and getattr(user, "role_id", None) not in role_ids:
        return False
    return all(can(user, step["entity"], "add") for step in wizard.steps)


def wizards_for(user) -> list[Wizard]:
    """The wizards ``user`` may start."""
    wizards = Wizard.objects.filter(enabled=True).prefetch_related("roles")
    return [wizard for wizard in wizards if wizard_allowed(wizard, user)]


def step_title(step: dict) -> str:
    language = (get_language() or "he")[:2]
    return step.get(f"title_{language}") or step["title_he"]


# --- the steps and the last one ----------------------------------------------------------------


def step_form(wizard: Wizard, index: int, user, data=None):
    """Step ``index``'s form: its entity's generic form with the step's fields."""
    step = wizard.steps[index]
    entity = registry.get(step["entity"])
    return form_for(entity, user, fields=step["fields"])(data)


def _service_input(entity, form) -> tuple[dict, dict]:
    data, m2m = {}, {}
    for name, value in form.cleaned_data.items():
        if name == "version":
            continue
        if isinstance(entity.model._meta.get_field(name), models.ManyToManyField):
            m2m[name] = value
        else:
            data[name] = value
    return data, m2m


def _errors_of(number: int, error: ValidationError) -> dict:
    if not hasattr(error, "error_dict"):
        return {f"steps.{number}": error.messages}
    return {f"steps.{number}.{key}": messages for key, messages in error.message_dict.items()}


def wizard_finish(wizard: Wizard, *, actor, answers: list) -> list:
    """Write the records of every step in one transaction, in order, each through its
    entity's create service; returns them. ``answers``: each step's submitted form data.
    Every form is checked before anything is written; an error in any step writes nothing
    (ValidationError keyed ``steps.<n>.<field>``)."""
    if not wizard_allowed(wizard, actor):
        raise PermissionDenied(_("You may not use this wizard."))
    if not isinstance(answers, list) or len(answers) != len(wizard.steps):
        raise ValidationError(
            {"steps": [_("Give the answers of all %(n)s steps.") % {"n": len(wizard.steps)}]}
        )
    forms_, errors = [], {}
    for index, data in enumerate(answers):
        if not isinstance(data, dict) and not hasattr(data, "getlist"):
            raise ValidationError({f"steps.{index + 1}": [_("Give the step's fields.")]})
        form = step_form(wizard, index, actor, data)
        if not form.is_valid():
            errors.update(
                {f"steps.{index + 1}.{k}": [str(m) for m in v] for k, v in form.errors.items()}
            )
        forms_.append(form)
    if errors:
        raise ValidationError(errors)
    made: list = []
    with transaction.atomic():
        for index, (step, form) in enumerate(zip(wizard.steps, forms_, strict=True)):
            entity = registry.get(step["entity"])
            data, m2m = _service_input(entity, form)
            if step["values"]:
                data.update(service_data(entity, step["values"], None))
            for name, number in step["links"].items():
                earlier = made[number - 1]
                if name == GENERIC_LINK:
                    data.update(link_type=registry.for_model(earlier).key, link_id=earlier.pk)
                elif entity.model._meta.get_field(name).many_to_many:
                    m2m[name] = [*m2m.get(name, []), earlier]
                else:
                    data[name] = earlier
            try:
                if entity.create_service is not None:
                    record = entity.create_service(actor=actor, data=data, m2m=m2m)
                else:
                    record = record_create(entity, actor=actor, data=data, m2m=m2m)
            except ValidationError as error:
                # Leaving the block rolls back the records of the earlier steps too.
                raise ValidationError(_errors_of(index + 1, error)) from None
            made.append(record)
    return made
