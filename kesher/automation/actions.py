"""What a rule does: a registry of action types (REQ AU-1, TK-5, SA-5; issue 5 item 5).

An action type validates its settings against the rule's entity, runs inside the worker's
transaction for one record (returning what it did, for the run log), and describes what it
would do without writing (the dry run). Actions that reach the outside world (email, SMS,
WhatsApp, webhooks) only hand an outgoing message to ``kesher.integrations`` in that same
transaction, keyed by the run and the action's place in it, and the integrations worker
sends it once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.automation.triggers import ConfigField
from kesher.platform.models import Choice, Tag
from kesher.platform.outgoing import validate_public_url
from kesher.platform.registry import Entity, registry

__all__ = [
    "ActionContext",
    "ActionType",
    "action_for",
    "action_types",
    "checked_values",
    "register_action",
    "service_data",
    "with_answers",
]


@dataclass
class ActionContext:
    """One action of one run, about one record."""

    rule: object
    run: object | None
    record: models.Model
    index: int

    @property
    def entity(self) -> Entity:
        return registry.for_model(self.record)

    @property
    def idempotency_key(self) -> str:
        return f"automation-run-{self.run.pk}-{self.index}"

    @property
    def source(self) -> str:
        return f"automation-rule:{self.rule.pk}"


@dataclass(frozen=True)
class ActionType:
    type: str
    label: str
    fields: tuple[ConfigField, ...]
    # ``validate(entity, config) -> config`` without "type"; ValidationError names the setting.
    validate: Callable[[Entity, dict], dict]
    # ``run(context, config) -> dict`` of what it did (in the worker's transaction).
    run: Callable[[ActionContext, dict], dict]
    # ``describe(context, config) -> str``: what it would do, writing nothing.
    describe: Callable[[ActionContext, dict], str]
    external: bool = False
    options: dict = field(default_factory=dict)


_actions: dict[str, ActionType] = {}


def register_action(action: ActionType) -> ActionType:
    if action.type in _actions:
        raise ValueError(f"action {action.type!r} is registered twice")
    _actions[action.type] = action
    return action


def action_for(kind: str) -> ActionType | None:
    return _actions.get(kind)


def action_types() -> list[ActionType]:
    return list(_actions.values())


# The answers a button asked for (decision 0108), in an action's settings: ``{{answer.reason}}``.
ANSWER = re.compile(r"\{\{\s*answer\.([a-z0-9_]+)\s*\}\}")


def with_answers(config: dict, answers: dict | None) -> dict:
    """``config`` with each ``{{answer.<key>}}`` in its texts (and in its field values) replaced
    by that answer: a text that is only the merge field takes the answer as it is (a date, a
    number, yes/no for a field of that type), otherwise the answer is written into the text.
    An unanswered question leaves empty text."""
    if not answers:
        return config

    def fill(value):
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if not isinstance(value, str) or "answer." not in value:
            return value
        whole = ANSWER.fullmatch(value.strip())
        if whole:
            return answers.get(whole.group(1), "")
        return ANSWER.sub(lambda match: str(answers.get(match.group(1), "")), value)

    return fill(config)


# --- validation helpers ------------------------------------------------------------------------


def setting_error(name: str, message) -> ValidationError:
    return ValidationError({name: [message]})


def _only(config: dict, allowed) -> None:
    for key in config:
        if key not in allowed:
            raise setting_error(key, _("Unknown setting."))


def _pk_of(config: dict, name: str, model, *, required=True, **filters):
    value = config.get(name)
    if value in (None, "") and not required:
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise setting_error(name, _("Choose one of the offered values."))
    if model is not None and not model._base_manager.filter(pk=int(value), **filters).exists():
        raise setting_error(name, _("No such record."))
    return int(value)


def _text(config: dict, name: str, *, required=True, limit=2000) -> str:
    value = config.get(name, "")
    if not isinstance(value, str):
        raise setting_error(name, _("Enter text."))
    value = value.strip()
    if required and not value:
        raise setting_error(name, _("This field is required."))
    if len(value) > limit:
        raise setting_error(name, _("At most %(n)s characters.") % {"n": limit})
    return value


def _bool(config: dict, name: str) -> bool:
    value = config.get(name, False)
    if not isinstance(value, bool):
        raise setting_error(name, _("Choose yes or no."))
    return value


def _field_of(entity: Entity, config: dict, name: str, *, kinds=None, required=True) -> str:
    path = config.get(name)
    if path in (None, "") and not required:
        return ""
    if not isinstance(path, str):
        raise setting_error(name, _("Choose a field."))
    try:
        model_field = entity.model._meta.get_field(path)
    except FieldDoesNotExist:
        raise setting_error(name, _("Unknown field: %(field)s.") % {"field": path[:60]}) from None
    if kinds and not isinstance(model_field, kinds):
        raise setting_error(name, _("Choose a field of the right kind."))
    return path


def _sees(user, record) -> bool:
    if user is None or not user.is_active:
        return False
    return type(record).objects.visible_to(user).filter(pk=record.pk).exists()


def checked_values(entity: Entity, config: dict, name: str = "values") -> dict:
    """Field values for an update or a new record: editable fields of ``entity``, custom
    values as ``custom.<key>``; a pick-list value may be given by its key ("vip")."""
    values = config.get(name)
    if not isinstance(values, dict) or not values:
        raise setting_error(name, _("Give at least one field and its value."))
    if len(values) > 50:
        raise setting_error(name, _("Too many fields."))
    for key, value in values.items():
        if key.startswith("custom."):
            continue
        try:
            model_field = entity.model._meta.get_field(key)
        except FieldDoesNotExist:
            raise setting_error(
                f"{name}.{key}"[:80], _("Unknown field: %(field)s.") % {"field": key[:60]}
            ) from None
        if not model_field.editable or model_field.primary_key or model_field.many_to_many:
            raise setting_error(f"{name}.{key}", _("This field cannot be changed."))
        if isinstance(value, list | dict):
            raise setting_error(f"{name}.{key}", _("Enter one value."))
        if isinstance(value, str) and len(value) > 5000:
            raise setting_error(f"{name}.{key}", _("At most %(n)s characters.") % {"n": 5000})
        list_key = entity.choice_lists.get(key)
        # A button's answer (``{{answer.key}}``) is checked when the action runs.
        answered = isinstance(value, str) and ANSWER.search(value)
        if list_key and value not in (None, "") and not answered:
            found = Choice.objects.filter(list_key=list_key, value=str(value)).exists() or (
                str(value).isdigit()
                and Choice.objects.filter(list_key=list_key, pk=int(value)).exists()
            )
            if not found:
                raise setting_error(f"{name}.{key}", _("Choose one of the offered values."))
    return values


def service_data(entity: Entity, values: dict, record) -> dict:
    """Setting values as the services take them: pick-list keys → values, merge fields filled,
    custom values under ``custom``."""
    from kesher.activities.task_templates import render_merge_fields

    data, custom = {}, {}
    for key, value in values.items():
        if isinstance(value, str):
            value = render_merge_fields(value, record) if record is not None else value
        if key.startswith("custom."):
            custom[key.removeprefix("custom.")] = value
            continue
        list_key = entity.choice_lists.get(key)
        if list_key and value not in (None, ""):
            value = (
                Choice.objects.filter(list_key=list_key, value=str(value)).first()
                or Choice.objects.filter(list_key=list_key, pk=int(value)).first()
            )
        data[key] = value
    if custom:
        data["custom"] = custom
    return data


def _update(record, data: dict, m2m: dict | None = None):
    entity = registry.for_model(record)
    service = entity.update_service
    if service is None:
        from kesher.platform.records.services import record_update as service
    return service(record, actor=None, data=data, m2m=m2m)


# --- create a task from a template (REQ TK-5, SA-5) ---------------------------------------------


def _validate_task(entity, config):
    from kesher.activities.models import TaskTemplate

    _only(config, ("template",))
    return {"template": _pk_of(config, "template", TaskTemplate)}


def _template(config):
    from kesher.activities.models import TaskTemplate

    return TaskTemplate._base_manager.select_related(
        "assignee_user", "assignee_role", "assignee_department"
    ).get(pk=config["template"])


def _run_task(context, config):
    from kesher.activities.task_templates import task_from_template

    task = task_from_template(_template(config), record=context.record)
    return {"task": task.pk, "title": task.title, "assignee": str(task.assignee)}


def _describe_task(context, config):
    from kesher.activities.task_templates import task_template_preview

    preview = task_template_preview(_template(config), context.record)
    return _("Create the task “%(title)s” for %(assignee)s.") % {
        "title": preview["title"],
        "assignee": preview["assignee"],
    }


register_action(
    ActionType(
        "create_task",
        gettext_lazy("Create a task from a template"),
        (ConfigField("template", gettext_lazy("Task template"), "task_template", required=True),),
        _validate_task,
        _run_task,
        _describe_task,
    )
)


# --- update fields -----------------------------------------------------------------------------


def _validate_update(entity, config):
    _only(config, ("values",))
    return {"values": checked_values(entity, config)}


def _run_update(context, config):
    data = service_data(context.entity, config["values"], context.record)
    _update(context.record, data)
    return {"changed": sorted(config["values"])}


def _describe_update(context, config):
    pairs = ", ".join(f"{k} = {v}" for k, v in config["values"].items())
    return _("Set %(pairs)s.") % {"pairs": pairs}


register_action(
    ActionType(
        "update_fields",
        gettext_lazy("Update fields"),
        (ConfigField("values", gettext_lazy("Fields and values"), "field_values", required=True),),
        _validate_update,
        _run_update,
        _describe_update,
    )
)


# --- assign the owner --------------------------------------------------------------------------


def _validate_owner(entity, config):
    from kesher.org.models import User

    _only(config, ("user",))
    if not entity.owner_field:
        raise ValidationError({"type": [_("These records have no owner.")]})
    return {"user": _pk_of(config, "user", User, is_active=True)}


def _owner_user(config):
    from kesher.org.models import User

    return User.objects.get(pk=config["user"])


def _run_owner(context, config):
    user = _owner_user(config)
    _update(context.record, {context.entity.owner_field: user})
    return {"owner": str(user)}


register_action(
    ActionType(
        "assign_owner",
        gettext_lazy("Assign the owner"),
        (ConfigField("user", gettext_lazy("User"), "user", required=True),),
        _validate_owner,
        _run_owner,
        lambda context, config: _("Make %(user)s the owner.") % {"user": _owner_user(config)},
    )
)


# --- tags --------------------------------------------------------------------------------------


def _validate_tag(entity, config):
    _only(config, ("tag",))
    try:
        model_field = entity.model._meta.get_field("tags")
    except FieldDoesNotExist:
        model_field = None
    if model_field is None or model_field.related_model is not Tag:
        raise ValidationError({"type": [_("These records have no tags.")]})
    return {"tag": _text(config, "tag", limit=60)}


def _tag_runner(adding: bool):
    def run(context, config):
        record = context.record
        current = list(record.tags.all())
        tag = Tag.objects.filter(name=config["tag"]).first()
        if adding and tag is None:
            tag = Tag.objects.create(name=config["tag"])
        if tag is None:
            return {"tag": config["tag"], "changed": False}
        wanted = [t for t in current if t.pk != tag.pk] + ([tag] if adding else [])
        changed = {t.pk for t in wanted} != {t.pk for t in current}
        if changed:
            _update(record, {}, m2m={"tags": wanted})
        return {"tag": config["tag"], "changed": changed}

    return run


register_action(
    ActionType(
        "add_tag",
        gettext_lazy("Add a tag"),
        (ConfigField("tag", gettext_lazy("Tag"), required=True),),
        _validate_tag,
        _tag_runner(True),
        lambda context, config: _("Add the tag “%(tag)s”.") % config,
    )
)
register_action(
    ActionType(
        "remove_tag",
        gettext_lazy("Remove a tag"),
        (ConfigField("tag", gettext_lazy("Tag"), required=True),),
        _validate_tag,
        _tag_runner(False),
        lambda context, config: _("Remove the tag “%(tag)s”.") % config,
    )
)


# --- create a related record -------------------------------------------------------------------


def _validate_related(entity, config):
    _only(config, ("entity", "values", "link"))
    key = config.get("entity")
    if key not in list(registry.keys()):
        raise setting_error("entity", _("Choose the kind of record."))
    target = registry.get(key)
    return {
        "entity": key,
        "values": checked_values(target, config),
        "link": _bool(config, "link"),
    }


def _related_data(context, config) -> dict:
    target = registry.get(config["entity"])
    data = service_data(target, config["values"], context.record)
    if config.get("link"):
        from kesher.platform.records.links import linkable_keys

        names = {f.name for f in target.model._meta.concrete_fields}
        if {"link_type", "link_id"} <= names and context.entity.key in linkable_keys():
            data.update(link_type=context.entity.key, link_id=context.record.pk)
    return data


def _run_related(context, config):
    from kesher.platform.records.services import record_create

    target = registry.get(config["entity"])
    data = _related_data(context, config)
    if target.create_service is not None:
        created = target.create_service(actor=None, data=data)
    else:
        created = record_create(target, actor=None, data=data)
    return {"entity": target.key, "id": created.pk, "display": str(created)[:200]}


register_action(
    ActionType(
        "create_record",
        gettext_lazy("Create a related record"),
        (
            ConfigField("entity", gettext_lazy("Kind of record"), "entity", required=True),
            ConfigField("values", gettext_lazy("Fields and values"), "field_values", required=True),
            ConfigField("link", gettext_lazy("Link it to this record"), "bool"),
        ),
        _validate_related,
        _run_related,
        lambda context, config: (
            _("Create a record of %(entity)s with %(values)s.")
            % {"entity": registry.get(config["entity"]).label_plural, "values": config["values"]}
        ),
    )
)


# --- messages through kesher.integrations ------------------------------------------------------


def integrations():
    """The integrations app's services (email, SMS/WhatsApp, webhooks)."""
    from kesher.integrations import services

    return services


def email_templates():
    """The integrations app's email templates (None when that app is not installed)."""
    from django.apps import apps

    if not apps.is_installed("kesher.integrations"):
        return None
    from kesher.integrations.models import EmailTemplate

    return EmailTemplate


def _validate_email(entity, config):
    from kesher.org.models import Role, User

    _only(config, ("template", "to_owner", "to_manager", "to_user", "to_role", "to_field"))
    cleaned = {
        "template": _pk_of(config, "template", email_templates()),
        "to_owner": _bool(config, "to_owner"),
        "to_manager": _bool(config, "to_manager"),
    }
    user = _pk_of(config, "to_user", User, required=False, is_active=True)
    if user:
        cleaned["to_user"] = user
    role = config.get("to_role")
    if role not in (None, ""):
        if not Role.objects.filter(key=str(role)).exists():
            raise setting_error("to_role", _("Choose one of the offered values."))
        cleaned["to_role"] = str(role)
    email_field = _email_field_of(entity, config)
    if email_field:
        cleaned["to_field"] = email_field
    if not (cleaned["to_owner"] or cleaned["to_manager"] or user or role or email_field):
        raise setting_error("to_owner", _("Choose at least one recipient."))
    return cleaned


def related_email_fields(entity: Entity) -> list[tuple[str, object]]:
    """The e-mail addresses one link away an email may go to: ``contact.email`` on a ticket
    (the customer it is about), ``custom.student.email`` through a custom link field (an
    enrolment's student), as ``(path, label)``. Never a user's: the people of the organization
    get an email as owner, user or role, each checked to be in the record's scope."""
    from django.contrib.auth import get_user_model

    from kesher.platform.customfields.values import definitions_for

    links = [
        (f.name, f.verbose_name, f.related_model)
        for f in entity.model._meta.concrete_fields
        if f.many_to_one
    ]
    if entity.has_custom_fields:
        for definition in definitions_for(entity):
            if definition.type == "link" and definition.link_entity in registry:
                target = registry.get(definition.link_entity).model
                links.append((f"custom.{definition.key}", definition.label, target))
    found = []
    for path, link_label, target in links:
        if target is get_user_model():
            continue
        for other in target._meta.concrete_fields:
            if isinstance(other, models.EmailField):
                found.append(
                    (f"{path}.{other.name}", format_lazy("{} · {}", link_label, other.verbose_name))
                )
    return found


def _email_field_of(entity: Entity, config: dict) -> str:
    """The record's own e-mail field, or one of a linked record (``contact.email``)."""
    path = config.get("to_field")
    if isinstance(path, str) and "." in path:
        if path not in dict(related_email_fields(entity)):
            raise setting_error("to_field", _("Choose a field of the right kind."))
        return path
    return _field_of(entity, config, "to_field", kinds=models.EmailField, required=False)


def _email_at(record, path: str) -> str:
    value = record
    if path.startswith("custom."):
        # A custom link field holds the linked record's id: ``custom.<key>.<email field>``.
        _custom, key, path = path.split(".", 2)
        definition = next((d for d in _links_of(record) if d.key == key), None)
        linked = (record.custom or {}).get(key)
        if definition is None or linked in (None, ""):
            return ""
        value = (
            registry.get(definition.link_entity).model._default_manager.filter(pk=linked).first()
        )
    for name in path.split("."):
        value = getattr(value, name, None)
        if value is None:
            return ""
    return str(value)


def _links_of(record):
    from kesher.platform.customfields.values import definitions_for

    return [d for d in definitions_for(registry.for_model(record)) if d.type == "link"]


def _owner_of(record):
    entity = registry.for_model(record)
    return getattr(record, entity.owner_field, None) if entity.owner_field else None


def email_recipients(context, config) -> tuple[list[str], list[str]]:
    """The addresses an email goes to, and the people left out because they may not see the
    record: an internal recipient must be in the record's scope (issue 5: "emails never leak
    records to recipients outside it")."""
    from kesher.activities.task_templates import manager_of
    from kesher.org.models import User

    record = context.record
    people = []
    owner = _owner_of(record)
    if config.get("to_owner"):
        people.append(owner)
    if config.get("to_manager"):
        people.append(manager_of(owner))
    if config.get("to_user"):
        people.append(User.objects.filter(pk=config["to_user"]).first())
    if config.get("to_role"):
        people += list(User.objects.filter(role__key=config["to_role"], is_active=True))
    addresses, left_out = [], []
    for person in people:
        if person is None or not person.email:
            continue
        if _sees(person, record):
            addresses.append(person.email)
        else:
            left_out.append(str(person))
    if config.get("to_field"):
        value = _email_at(record, config["to_field"])
        if value:
            addresses.append(value)
    return sorted(set(addresses)), left_out


def _run_email(context, config):
    to, left_out = email_recipients(context, config)
    if not to:
        raise ValidationError({"to_owner": [_("No recipient may receive this email.")]})
    integrations().send_email(
        template_id=config["template"],
        record=context.record,
        to=to,
        language=None,
        source=context.source,
        idempotency_key=context.idempotency_key,
    )
    return {"to": to, "left_out": left_out}


def _describe_email(context, config):
    to, left_out = email_recipients(context, config)
    model = email_templates()
    template = model.objects.filter(pk=config["template"]).first() if model else None
    text = _("Email “%(template)s” to %(to)s.") % {
        "template": template or config["template"],
        "to": ", ".join(to) or "—",
    }
    if left_out:
        text += " " + _("Left out (may not see the record): %(people)s.") % {
            "people": ", ".join(left_out)
        }
    return text


register_action(
    ActionType(
        "send_email",
        gettext_lazy("Send an email from a template"),
        (
            ConfigField(
                "template", gettext_lazy("Email template"), "email_template", required=True
            ),
            ConfigField("to_owner", gettext_lazy("To the record's owner"), "bool"),
            ConfigField("to_manager", gettext_lazy("To the owner's manager"), "bool"),
            ConfigField("to_user", gettext_lazy("To a user"), "user"),
            ConfigField("to_role", gettext_lazy("To everyone with a role"), "role"),
            ConfigField("to_field", gettext_lazy("To the record's email field"), "email_field"),
        ),
        _validate_email,
        _run_email,
        _describe_email,
        external=True,
    )
)


def _validate_text(entity, config):
    _only(config, ("channel", "to_field", "body"))
    channel = config.get("channel", "sms")
    if channel not in ("sms", "whatsapp"):
        raise setting_error("channel", _("Choose one of the offered values."))
    return {
        "channel": channel,
        "to_field": _field_of(entity, config, "to_field"),
        "body": _text(config, "body", limit=1000),
    }


def _text_message(context, config) -> tuple[str, str]:
    from kesher.activities.task_templates import render_merge_fields

    number = str(getattr(context.record, config["to_field"], "") or "")
    return number, render_merge_fields(config["body"], context.record)


def _run_text(context, config):
    number, body = _text_message(context, config)
    if not number:
        raise ValidationError({"to_field": [_("The record has no number in this field.")]})
    integrations().send_text(
        channel=config["channel"],
        to=number,
        body=body,
        record=context.record,
        source=context.source,
        idempotency_key=context.idempotency_key,
    )
    return {"to": number, "channel": config["channel"]}


register_action(
    ActionType(
        "send_text",
        gettext_lazy("Send an SMS or WhatsApp message"),
        (
            ConfigField(
                "channel",
                gettext_lazy("Channel"),
                "select",
                options=(("sms", "SMS"), ("whatsapp", "WhatsApp")),
                default="sms",
            ),
            ConfigField(
                "to_field", gettext_lazy("The record's phone field"), "field", required=True
            ),
            ConfigField(
                "body", gettext_lazy("Message (merge fields allowed)"), "long_text", required=True
            ),
        ),
        _validate_text,
        _run_text,
        lambda context, config: (
            _("Send %(channel)s to %(to)s: %(body)s")
            % dict(zip(("to", "body"), _text_message(context, config), strict=True), **config)
        ),
        external=True,
    )
)


def _validate_webhook(entity, config):
    _only(config, ("url", "secret", "event"))
    url = _text(config, "url", limit=500)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise setting_error("url", _("Enter a web address starting with http:// or https://."))
    try:
        validate_public_url(url)
    except ValidationError as refused:
        raise setting_error("url", refused.messages[0]) from None
    return {
        "url": url,
        "secret": _text(config, "secret", required=False, limit=200),
        "event": _text(config, "event", required=False, limit=100) or "automation.rule",
    }


def webhook_payload(context) -> dict:
    record = context.record
    return {
        "rule": context.rule.pk,
        "run": getattr(context.run, "pk", None),
        "entity": context.entity.key,
        "record": {"id": record.pk, "display": str(record)},
    }


def _run_webhook(context, config):
    integrations().webhook_enqueue(
        url=config["url"],
        secret=config["secret"],
        event=config["event"],
        payload=webhook_payload(context),
        source=context.source,
        idempotency_key=context.idempotency_key,
    )
    return {"url": config["url"]}


register_action(
    ActionType(
        "call_webhook",
        gettext_lazy("Call an outgoing webhook"),
        (
            ConfigField("url", gettext_lazy("Address (URL)"), required=True),
            ConfigField("secret", gettext_lazy("Signing secret")),
            ConfigField("event", gettext_lazy("Event name")),
        ),
        _validate_webhook,
        _run_webhook,
        lambda context, config: _("POST the record to %(url)s.") % config,
        external=True,
    )
)


def _validate_approval(entity, config):
    from kesher.approvals.models import ApprovalProcess

    _only(config, ("process",))
    # A process of this entity: an approval round is about one kind of record.
    return {"process": _pk_of(config, "process", ApprovalProcess, entity=entity.key, active=True)}


def _run_approval(context, config):
    from kesher.approvals import services

    approval = services.approval_start(
        process_id=config["process"], record=context.record, actor=None, source=context.source
    )
    return {"approval": getattr(approval, "pk", None)}


register_action(
    ActionType(
        "start_approval",
        gettext_lazy("Start an approval"),
        (
            ConfigField(
                "process", gettext_lazy("Approval process (number)"), "number", required=True
            ),
        ),
        _validate_approval,
        _run_approval,
        lambda context, config: _("Start approval process #%(process)s.") % config,
    )
)
