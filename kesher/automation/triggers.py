"""What starts a rule: a registry of trigger kinds (REQ AU-1; issue 5 item 2).

Event-driven kinds name the platform events they listen to and say, for one event, which
records the rule fires for. Scheduled kinds (time-based, idle) say which records fall due in a
window of time; the worker scans a moving window so each record fires once per occurrence.
Later modules add theirs with ``register_trigger`` (stage entered, SLA breached, form
submitted), and may fire a rule themselves with ``kesher.automation.engine.fire``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.platform.lists.filterlang import resolve_field
from kesher.platform.registry import Entity

__all__ = [
    "ConfigField",
    "Trigger",
    "change_key",
    "check_field",
    "config_error",
    "register_trigger",
    "trigger_for",
    "triggers",
]

UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
MAX_OFFSET = 10_000


@dataclass(frozen=True)
class ConfigField:
    """One setting of a trigger or an action, as the rule builder shows it.

    ``kind``: text, long_text, number, bool, select (``options``), field (a field of the rule's
    entity), date_field, status (a value of the entity's status list), user, role, department,
    company, task_template, entity, json.
    """

    name: str
    label: str
    kind: str = "text"
    options: tuple = ()
    required: bool = False
    # What the rule gets when the setting is left out (shown chosen in the builder).
    default: str = ""


@dataclass(frozen=True)
class Trigger:
    kind: str
    label: str
    fields: tuple[ConfigField, ...] = ()
    # Platform events it listens to ("created", "updated"); empty for scheduled kinds.
    events: tuple[str, ...] = ()
    # ``validate(entity, config) -> config``: the cleaned settings, or ValidationError.
    validate: Callable[[Entity, dict], dict] = lambda entity, config: {}
    # ``match(rule, event) -> record ids`` the event fires the rule for (of the rule's entity).
    match: Callable | None = None
    # The entity whose events it listens to (task completed: tasks, for a rule on accounts).
    source: Callable = field(default=lambda rule: rule.entity)
    # ``scan(rule, start, end) -> [(record id, occurrence)]`` due in the window (start, end].
    scan: Callable | None = None
    description: str = ""


_triggers: dict[str, Trigger] = {}


def register_trigger(trigger: Trigger) -> Trigger:
    """Add a trigger kind; its ``kind`` is what rules store."""
    if trigger.kind in _triggers:
        raise ValueError(f"trigger {trigger.kind!r} is registered twice")
    _triggers[trigger.kind] = trigger
    return trigger


def trigger_for(kind: str) -> Trigger | None:
    return _triggers.get(kind)


def triggers() -> list[Trigger]:
    return list(_triggers.values())


# --- helpers -----------------------------------------------------------------------------------


def config_error(name: str, message) -> ValidationError:
    return ValidationError({f"trigger_config.{name}": [message]})


def check_field(entity: Entity, config: dict, name: str = "field", kinds=None) -> str:
    """A field path of ``entity`` (built-in, related or ``custom.<key>``) of one of ``kinds``."""
    path = config.get(name)
    if not isinstance(path, str) or not path:
        raise config_error(name, _("Choose a field."))
    try:
        ref = resolve_field(entity, path)
    except ValidationError:
        raise config_error(name, _("Unknown field: %(field)s.") % {"field": path[:60]}) from None
    if kinds and ref.kind not in kinds:
        raise config_error(name, _("Choose a date or date-and-time field."))
    return path


def _number(config: dict, name: str, *, minimum: int = 0, maximum: int = MAX_OFFSET) -> int:
    value = config.get(name)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise config_error(name, _("Enter a whole number."))
    try:
        number = int(value)
    except ValueError:
        raise config_error(name, _("Enter a whole number.")) from None
    if not minimum <= number <= maximum:
        raise config_error(
            name,
            _("Enter a number from %(low)s to %(high)s.") % {"low": minimum, "high": maximum},
        )
    return number


def _choice(config: dict, name: str, options: Iterable[str], default=None) -> str:
    value = config.get(name, default)
    if value not in options:
        raise config_error(name, _("Choose one of the offered values."))
    return value


def _unknown_keys(config: dict, allowed: Iterable[str]) -> None:
    if not isinstance(config, dict):
        raise ValidationError({"trigger_config": [_("The trigger settings must be an object.")]})
    for key in config:
        if key not in allowed:
            raise config_error(key, _("Unknown setting."))


def _optional_value(config: dict, name: str):
    value = config.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str | int | bool) or len(str(value)) > 200:
        raise config_error(name, _("Enter one value."))
    return value


def change_key(path: str) -> str:
    """The key of a field in an event's ``changes`` (custom values: ``custom_fields.<key>``)."""
    if path.startswith("custom."):
        return f"custom_fields.{path.removeprefix('custom.')}"
    return path


# --- event-driven kinds ------------------------------------------------------------------------


def _same_entity(rule, event) -> list[int]:
    return [event.object_id] if event.entity == rule.entity else []


def _field_changed(rule, event) -> list[int]:
    if event.entity != rule.entity:
        return []
    compiled = rule  # the compiled rule (engine.CompiledRule)
    changes = event.changes.get(compiled.trigger_key)
    if changes is None:
        return []
    old, new = changes
    if not compiled.represents(compiled.trigger_key, old, compiled.trigger_from):
        return []
    if not compiled.represents(compiled.trigger_key, new, compiled.trigger_to):
        return []
    return [event.object_id]


def _validate_field_changed(entity: Entity, config: dict) -> dict:
    _unknown_keys(config, ("field", "from", "to"))
    cleaned = {"field": check_field(entity, config)}
    for name in ("from", "to"):
        value = _optional_value(config, name)
        if value is not None:
            cleaned[name] = value
    return cleaned


def _validate_status(entity: Entity, config: dict) -> dict:
    _unknown_keys(config, ("value",))
    if not entity.status_field:
        raise ValidationError({"trigger_kind": [_("These records have no status.")]})
    value = _optional_value(config, "value")
    if value is None:
        raise config_error("value", _("Choose the status."))
    return {"value": value}


def _status_entered(rule, event) -> list[int]:
    compiled = rule  # the compiled rule (engine.CompiledRule)
    changes = event.changes.get(compiled.trigger_key)
    if event.entity != rule.entity or changes is None:
        return []
    return [event.object_id] if compiled.status_is(event, compiled.trigger_to, before=False) else []


def _status_left(rule, event) -> list[int]:
    compiled = rule  # the compiled rule (engine.CompiledRule)
    changes = event.changes.get(compiled.trigger_key)
    if event.entity != rule.entity or changes is None or changes[0] is None:
        return []
    return (
        [event.object_id] if compiled.status_is(event, compiled.trigger_from, before=True) else []
    )


def _validate_task_completed(entity: Entity, config: dict) -> dict:
    _unknown_keys(config, ("task_type",))
    value = _optional_value(config, "task_type")
    return {"task_type": value} if value is not None else {}


def _task_completed(rule, event) -> list[int]:
    """A task closed as done (REQ TK-6): the task itself for a rule on tasks, else the record
    the task is about when it is one of the rule's entity."""
    if event.entity != "tasks" or event.changes.get("is_open") != [True, False]:
        return []
    from kesher.activities.models import Task

    task = Task._base_manager.select_related("status", "task_type").filter(pk=event.object_id)
    task = task.first()
    if task is None or not (task.status.extra or {}).get("done"):
        return []
    wanted = rule.trigger_config.get("task_type")
    if wanted and (task.task_type is None or task.task_type.value != wanted):
        return []
    if rule.entity == "tasks":
        return [task.pk]
    return [task.link_id] if task.link_type == rule.entity and task.link_id else []


# --- scheduled kinds ---------------------------------------------------------------------------

DATE_KINDS = ("date", "datetime")


def _validate_time(entity: Entity, config: dict) -> dict:
    _unknown_keys(config, ("field", "offset", "unit", "direction", "business", "calendar"))
    business = config.get("business", False)
    if not isinstance(business, bool):
        raise config_error("business", _("Choose yes or no."))
    cleaned = {
        "field": check_field(entity, config, kinds=DATE_KINDS),
        "offset": _number(config, "offset"),
        "unit": _choice(config, "unit", UNITS, "days"),
        "direction": _choice(config, "direction", ("before", "after"), "after"),
        "business": business,
    }
    calendar = _calendar_company(config)
    if calendar is not None:
        if not business:
            raise config_error(
                "calendar",
                _("A company's calendar counts business time: choose business time too."),
            )
        cleaned["calendar"] = calendar
    return cleaned


def _calendar_company(config: dict) -> int | None:
    """The company whose business calendar counts the time (none: the default calendar)."""
    from kesher.org.models import Company

    value = _optional_value(config, "calendar")
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise config_error("calendar", _("Choose one of the offered values."))
    if not Company.objects.filter(pk=int(value)).exists():
        raise config_error("calendar", _("Choose one of the offered values."))
    return int(value)


def _validate_idle(entity: Entity, config: dict) -> dict:
    _unknown_keys(config, ("days",))
    if not any(f.name == "updated_at" for f in entity.model._meta.concrete_fields):
        raise ValidationError({"trigger_kind": [_("These records do not keep a change time.")]})
    return {"days": _number(config, "days", minimum=1, maximum=3650)}


def _scan_time(rule, start, end):
    from kesher.automation.schedule import due_by_field

    return due_by_field(rule, start, end)


def _scan_idle(rule, start, end):
    from kesher.automation.schedule import idle_records

    return idle_records(rule, start, end)


# --- the built-in kinds ------------------------------------------------------------------------

_field = ConfigField("field", gettext_lazy("Field"), "field", required=True)
_units = (
    ("minutes", gettext_lazy("minutes")),
    ("hours", gettext_lazy("hours")),
    ("days", gettext_lazy("days")),
)

register_trigger(
    Trigger("created", gettext_lazy("A record is created"), events=("created",), match=_same_entity)
)
register_trigger(
    Trigger("updated", gettext_lazy("A record is changed"), events=("updated",), match=_same_entity)
)
register_trigger(
    Trigger(
        "field_changed",
        gettext_lazy("A field changes"),
        fields=(
            _field,
            ConfigField("from", gettext_lazy("From (optional)")),
            ConfigField("to", gettext_lazy("To (optional)")),
        ),
        events=("updated",),
        validate=_validate_field_changed,
        match=_field_changed,
    )
)
register_trigger(
    Trigger(
        "status_entered",
        gettext_lazy("The status becomes"),
        fields=(ConfigField("value", gettext_lazy("Status"), "status", required=True),),
        events=("created", "updated"),
        validate=_validate_status,
        match=_status_entered,
    )
)
register_trigger(
    Trigger(
        "status_left",
        gettext_lazy("The status stops being"),
        fields=(ConfigField("value", gettext_lazy("Status"), "status", required=True),),
        events=("updated",),
        validate=_validate_status,
        match=_status_left,
    )
)
register_trigger(
    Trigger(
        "task_completed",
        gettext_lazy("A task about the record is completed"),
        fields=(ConfigField("task_type", gettext_lazy("Task type (optional)"), "task_type"),),
        events=("updated",),
        validate=_validate_task_completed,
        match=_task_completed,
        source=lambda rule: "tasks",
    )
)
register_trigger(
    Trigger(
        "time",
        gettext_lazy("A time before or after a date"),
        fields=(
            ConfigField("field", gettext_lazy("Date field"), "date_field", required=True),
            ConfigField("offset", gettext_lazy("How much"), "number", required=True),
            ConfigField("unit", gettext_lazy("Unit"), "select", options=_units, default="days"),
            ConfigField(
                "direction",
                gettext_lazy("When"),
                "select",
                options=(("before", gettext_lazy("before")), ("after", gettext_lazy("after"))),
                default="after",
            ),
            ConfigField("business", gettext_lazy("In business time"), "bool"),
            ConfigField(
                "calendar", gettext_lazy("The business calendar of (empty: the default)"), "company"
            ),
        ),
        validate=_validate_time,
        scan=_scan_time,
    )
)
register_trigger(
    Trigger(
        "idle",
        gettext_lazy("No change for a number of days"),
        fields=(ConfigField("days", gettext_lazy("Days"), "number", required=True),),
        validate=_validate_idle,
        scan=_scan_idle,
    )
)
register_trigger(
    Trigger(
        "webhook",
        gettext_lazy("An incoming webhook call"),
        description=gettext_lazy(
            'POST JSON such as {"record_id": 12} to the rule\'s secret address.'
        ),
    )
)
register_trigger(
    Trigger(
        "manual",
        gettext_lazy("Pressing a button"),
        description=gettext_lazy(
            "Runs when someone presses a button that names this rule, on a record's page or on "
            "the records chosen in a list (Organization › Buttons)."
        ),
    )
)
