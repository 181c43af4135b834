"""Bulk actions on the list page (REQ IM-4): the action form, the live progress of a job and the
result summary, as htmx partials of ``platform/bulk/bulk.html`` (or that whole page without JS).

The list page posts to ``/bulk/<entity>/`` the chosen ``ids`` (repeated) or a ``filter``
(filter-language JSON, ``{}`` for "all"), with its ``q`` search and simple filters.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import trigger_client_event

from kesher.platform.bulk.actions import (
    LINK_ACTIONS,
    MISSING,
    available_actions,
    bulk_fields,
    bulk_job_for,
    bulk_prepare,
    bulk_start,
    bulk_target_count,
    job_summary,
    link_choices,
    link_fields,
    link_target,
)
from kesher.platform.customfields.forms import add_custom_fields, error_target, form_name
from kesher.platform.customfields.types import type_of
from kesher.platform.models import BulkJob, Choice
from kesher.platform.registry import Entity, registry
from kesher.platform.ui.forms import RecordPicker, form_for
from kesher.platform.ui.pages import render_partial

Action = BulkJob.Action
TEMPLATE = "platform/bulk/bulk.html"
DONE_EVENT = "kesher:bulk-done"  # the list page refreshes its rows on it
COUNT_CAP = 10_000


def _htmx_attrs(url: str) -> dict:
    """Changing the action or the field re-renders the form with the matching value input."""
    return {
        "hx-get": url,
        "hx-trigger": "change",
        "hx-include": "closest form",
        "hx-target": "closest form",
        "hx-swap": "outerHTML",
    }


def _value_field(entity: Entity, user, name: str) -> forms.Field | None:
    """The input for a new value of ``name``: the field's own form input (a select of the active
    values of a pick-list, of active users for an owner), yes/no as a select."""
    if name not in dict(bulk_fields(entity, user)):
        return None
    if name.startswith("custom."):
        holder = forms.Form()
        add_custom_fields(holder, entity, None, user)
        field = holder.fields.get(form_name(name.removeprefix("custom.")))
        if field is None:
            return None
        definition = field.custom_definition  # type: ignore[attr-defined]  # add_custom_fields
        if definition.parent_id and type_of(definition).choice_list:
            # Records differ in their parent value: offer every value, named with its parent.
            values = Choice.objects.filter(list_key=definition.choice_list, active=True)
            options = [
                (c.value, f"{c.parent.label} › {c.label}" if c.parent else c.label)
                for c in values.select_related("parent").order_by("parent__order", "order", "pk")
            ]
            empty = [] if type_of(definition).many else [("", "—")]
            assert isinstance(field, forms.ChoiceField)  # a pick-list's input
            field.choices = [*empty, *options]
        field.widget.attrs = {
            k: v for k, v in field.widget.attrs.items() if not k.startswith(("hx-", "data-"))
        }
    else:
        field = form_for(entity, user, fields=[name])().fields[name]
    if isinstance(field, forms.BooleanField) or isinstance(field.widget, forms.CheckboxInput):
        field = forms.ChoiceField(choices=[("true", _("Yes")), ("false", _("No"))])
    field.initial = None
    field.label = _("New value")
    widget = field.widget
    if "class" not in widget.attrs:
        is_select = isinstance(widget, forms.Select | forms.SelectMultiple)
        widget.attrs["class"] = "form-select" if is_select else "form-control"
    widget.attrs["id"] = "bulk-value"
    return field


def _link_value_field(entity: Entity, user, name: str) -> forms.Field | None:
    """The input for the record to link or unlink on ``name``: the search-as-you-type picker
    when its records are many (``Entity.large``), else a select; either offers only records
    ``user`` may link."""
    model_field = link_fields(entity, user).get(name)
    if model_field is None:
        return None
    related = model_field.related_model
    target = registry.for_model(related) if registry.has_model(related) else None
    queryset = link_choices(model_field, user)
    field: forms.Field
    if target is not None and target.large:
        picker = RecordPicker(target.key, queryset=queryset)
        picker.user = user
        field = forms.CharField(widget=picker)
    else:
        field = forms.ModelChoiceField(queryset=queryset, empty_label="—")
        field.widget.attrs["class"] = "form-select"
    field.label = capfirst(related._meta.verbose_name)
    field.widget.attrs["id"] = "bulk-value"
    return field


class BulkActionForm(forms.Form):
    """What to do. The new value is parsed and validated by the bulk service, like a single
    edit's, so the form only renders its input."""

    action = forms.ChoiceField(label=gettext_lazy("Action"))
    field = forms.ChoiceField(label=gettext_lazy("Field"), required=False)
    confirm = forms.BooleanField(label=gettext_lazy("Yes, delete these records"), required=False)

    def __init__(self, entity: Entity, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.entity = entity
        source = self.data if self.is_bound else self.initial
        action_field = self.fields["action"]
        assert isinstance(action_field, forms.ChoiceField)  # declared above
        actions = available_actions(entity, user)
        action_field.choices = actions
        valid_actions = [a for a, _label in actions]
        self.chosen_action = (
            source.get("action") if source.get("action") in valid_actions else valid_actions[0]
        )
        linking = self.chosen_action in LINK_ACTIONS
        if linking:
            offered = [(name, str(f.verbose_name)) for name, f in link_fields(entity, user).items()]
        else:
            offered = bulk_fields(entity, user)
        field_field = self.fields["field"]
        assert isinstance(field_field, forms.ChoiceField)  # declared above
        field_field.choices = [("", "—")] + [(name, capfirst(label)) for name, label in offered]
        url = reverse("bulk_action", args=[entity.key])
        for name in ("action", "field"):
            self.fields[name].widget.attrs.update(_htmx_attrs(url))
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else "form-select"
            )
            field.widget.attrs.setdefault("class", css)
        chosen_field = source.get("field") or ""
        self.chosen_field = chosen_field if chosen_field in dict(offered) else ""
        if linking:
            self.value_field = _link_value_field(entity, user, self.chosen_field)
        else:
            value_for: dict[str | None, str | None] = {
                Action.UPDATE: self.chosen_field,
                Action.ASSIGN_OWNER: entity.owner_field,
            }
            name = value_for.get(self.chosen_action) or ""
            self.value_field = _value_field(entity, user, name) if name else None
        self.value_errors: list[str] = []

    @property
    def chooses_field(self) -> bool:
        return self.chosen_action == Action.UPDATE or self.chosen_action in LINK_ACTIONS

    @property
    def sets_value(self) -> bool:
        """The value input sets the field (leaving it empty clears it), rather than naming a
        record to link."""
        return self.chosen_action in (Action.UPDATE, Action.ASSIGN_OWNER)

    @property
    def value_input(self):
        """The bound input for the new value (rendered, not validated here)."""
        if self.value_field is None:
            return None
        return forms.BoundField(self, self.value_field, "value")

    def submitted_value(self):
        if self.value_field is None:
            return MISSING
        if isinstance(self.value_field, forms.MultipleChoiceField):
            return self.data.getlist("value")  # type: ignore[attr-defined]  # a QueryDict
        return self.data.get("value", "")

    def clean(self):
        data = super().clean()
        assert data is not None  # a form's clean() returns its cleaned_data
        action = data.get("action")
        if (action == Action.UPDATE or action in LINK_ACTIONS) and not data.get("field"):
            self.add_error("field", _("Choose the field to change."))
        if action == Action.DELETE and not data.get("confirm"):
            self.add_error("confirm", _("Confirm that these records are to be deleted."))
        return data

    def add_service_errors(self, exc: ValidationError) -> None:
        """Show the service's errors beside the inputs they concern."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, messages in exc.message_dict.items():
            target = key
            if key == self.chosen_field or error_target(key) or key == self.entity.owner_field:
                target = "value"
            for message in messages:
                if target in self.fields:
                    self.add_error(target, message)
                elif target == "value":
                    self.value_errors.append(message)
                else:
                    self.add_error(None, message if key == "__all__" else f"{key}: {message}")


def _targets(entity: Entity, data) -> dict:
    """The records the list page chose: ids, or a filter with its search and simple filters.

    The list page sends its search as ``q``; the form carries it on as ``search``, because a
    record picker in the form sends the text typed into it as ``q``."""
    return {
        "ids": data.getlist("ids") if "ids" in data else None,
        "filter": data.get("filter") if "filter" in data else None,
        "q": data.get("search", "") if "search" in data else data.get("q", ""),
        "simple": {name: data.get(name) for name in entity.filter_fields if data.get(name)},
    }


def _hidden(targets: dict) -> list[tuple[str, str]]:
    """The targets as hidden inputs, so the form posts back the same selection."""
    pairs = [("ids", str(pk)) for pk in targets["ids"] or []]
    if targets["filter"] is not None:
        pairs.append(("filter", targets["filter"]))
    pairs.append(("search", targets["q"]))
    pairs += list(targets["simple"].items())
    return pairs


def _link(action: str, record) -> dict | None:
    """What the result of a link action names: the record linked or unlinked."""
    if action not in LINK_ACTIONS or record is None:
        return None
    return {"adding": action == Action.ADD_LINK, "record": str(record)}


def _job_link(entity: Entity, job: BulkJob, user) -> dict | None:
    if job.action not in LINK_ACTIONS:
        return None
    try:
        record = link_target(entity, job.params.get("field"), job.params.get("value"), user)
    except ValidationError:
        return None  # no longer linkable by the reader: the counts alone
    return _link(job.action, record)


@login_required
def bulk_action(request, key):
    """GET: the action form for the chosen records. POST: run it; a small set answers with the
    result, a large one with the progress of its job."""
    try:
        entity = registry.get(key)
    except KeyError:
        raise Http404 from None
    if not available_actions(entity, request.user):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else request.GET
    targets = _targets(entity, data)
    submitted = request.method == "POST"
    form = BulkActionForm(entity, request.user, data if submitted else None, initial=data)
    context = {"entity": entity, "form": form, "hidden": _hidden(targets)}
    try:
        count = bulk_target_count(entity, actor=request.user, cap=COUNT_CAP, **targets)
    except ValidationError as exc:
        count = None
        context["target_error"] = " ".join(exc.messages)
    context.update(count=count, count_capped=count is not None and count > COUNT_CAP)
    if submitted and count is not None and form.is_valid():
        try:
            plan = bulk_prepare(
                entity,
                actor=request.user,
                action=form.cleaned_data["action"],
                field=form.cleaned_data.get("field") or "",
                value=form.submitted_value(),
                **targets,
            )
            outcome, job = bulk_start(plan)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            context["link"] = _link(plan.action, plan.value)
            if job is not None:
                context["job"] = job
                return render_partial(request, TEMPLATE, context, "progress")
            assert outcome is not None  # run at once, not queued
            context["summary"] = outcome.summary()
            response = render_partial(request, TEMPLATE, context, "result")
            return trigger_client_event(response, DONE_EVENT, {"entity": entity.key})
    return render_partial(request, TEMPLATE, context, "form")


@login_required
def bulk_job(request, pk):
    """A job's progress (polled every second by htmx until it finishes) and then its result."""
    job = bulk_job_for(request.user, pk)
    if job is None:
        raise Http404
    try:
        entity = registry.get(job.entity)
    except KeyError:
        raise Http404 from None
    context = {"entity": entity, "job": job, "summary": job_summary(job)}
    if job.finished:
        context["link"] = _job_link(entity, job, request.user)
    response = render_partial(request, TEMPLATE, context, "progress")
    if job.finished:
        trigger_client_event(response, DONE_EVENT, {"entity": entity.key})
    return response
