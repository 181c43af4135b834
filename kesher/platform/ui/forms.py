"""Forms generated from the registry. They parse input only; the services validate and write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import ForeignObjectRel
from django.forms.models import modelform_factory
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from kesher.platform import jsonlimits
from kesher.platform.access import pointable
from kesher.platform.models import Choice
from kesher.platform.records.links import resolve_link
from kesher.platform.registry import Entity, registry

__all__ = ["Checkboxes", "JSONField", "LinkPicker", "RecordPicker", "RecordsPicker", "form_for"]


class _ProjectTemplateWidget(forms.TextInput):
    """A widget whose template is one of the project's (kesher/templates), which Django's
    default form renderer does not look in: rendered by the project's engine instead. Its
    label names the visible search box, not the hidden input that holds the value."""

    # Set by the form (``form_for``): a picker names only records this user may see.
    user = None

    def id_for_label(self, id_):
        return f"{id_}-search" if id_ else id_

    def _render(self, template_name, context, renderer=None):
        return mark_safe(render_to_string(template_name, context))


class RecordPicker(_ProjectTemplateWidget):
    """A search-as-you-type picker for links to large tables (a <select> of 200,000 accounts
    would not load): a hidden input holds the id, htmx fills the suggestions."""

    template_name = "platform/widgets/record_picker.html"

    def __init__(self, entity_key: str, attrs=None, queryset=None):
        super().__init__(attrs)
        self.entity_key = entity_key
        self.queryset = queryset

    def named(self):
        """The records whose names the picker may show: those it was given, else the field's
        own choices (``form_for`` narrows them to the records the user may link), else the
        records the form's user may see."""
        if self.queryset is not None:
            return self.queryset
        choices = getattr(getattr(self, "choices", None), "queryset", None)
        if choices is not None:
            return choices
        model = registry.get(self.entity_key).model
        return (
            model._base_manager.all() if self.user is None else model.objects.visible_to(self.user)
        )

    # The chosen record's name when its caller has it in hand (rows of a grid): not read again.
    label: str | None = None

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = self.label or ""
        if value and self.label is None:
            obj = self.named().filter(pk=value).first() if str(value).isdigit() else None
            label = str(obj) if obj else ""
        context["widget"].update({"entity_key": self.entity_key, "label": label})
        return context


class LinkPicker(_ProjectTemplateWidget):
    """The picker of the record an interaction or a task is about (``records/links.py``): one
    search by name, phone or e-mail across every linkable entity the user may see fills both
    ``link_type`` (a hidden field of the form) and ``link_id`` (this widget's value). A linked
    record the user may not see is kept and not named."""

    template_name = "platform/widgets/link_picker.html"
    kind = None  # the form's bound ``link_type`` field (``form_for`` sets it)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        kind = (self.kind.value() if self.kind is not None else "") or ""
        label, unseen = "", False
        if kind and value not in (None, ""):
            try:
                record = resolve_link(kind, value, self.user)
            except ValidationError:
                unseen = True
            else:
                label = str(record) if record is not None else ""
        context["widget"].update(
            {
                "label": label,
                "unseen": unseen,
                "kind_id": self.kind.auto_id if self.kind is not None else "",
            }
        )
        return context


class RecordsPicker(RecordPicker):
    """The picker of several records (a many-to-many field such as a meeting's participants):
    the chosen ones as chips, each a hidden input, and the same search-as-you-type suggestions
    to add more; never a <select multiple> of every record. The chips are named from the
    field's own queryset (the records the user may link), so no other record is ever named."""

    template_name = "platform/widgets/records_picker.html"

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        return getlist(name) if getlist is not None else data.get(name)

    def value_omitted_from_data(self, data, files, name):
        # Nothing chosen sends nothing, which means "none", as a <select multiple> would.
        return False

    def format_value(self, value):
        values = value if isinstance(value, list | tuple) else [value]
        return [str(getattr(v, "pk", v)) for v in values if v not in (None, "")]

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)
        ids = [v for v in context["widget"]["value"] if v.isdigit()]
        chosen = list(self.named().filter(pk__in=ids)) if ids else []
        context["widget"].update({"entity_key": self.entity_key, "chosen": chosen})
        return context


class Checkboxes(forms.CheckboxSelectMultiple):
    """Tick boxes side by side, each a Bootstrap ``form-check`` (a few named choices, such as
    roles: fewer clicks than a multiple select, and every name in sight)."""

    template_name = "platform/widgets/checkboxes.html"

    def _render(self, template_name, context, renderer=None):
        # A template of the project's (kesher/templates), as RecordPicker's.
        return mark_safe(render_to_string(template_name, context))


class JSONField(forms.JSONField):
    """Django's JSON form field for text typed on a page: text nested too deeply is refused
    with its own message (issue "Platform v2" item 10), never a RecursionError."""

    def __init__(self, *, decoder=None, **kwargs):
        super().__init__(decoder=decoder or jsonlimits.Decoder, **kwargs)

    def prepare_value(self, value):
        # A value an administrator may leave empty: shown empty, not as ``null``.
        return "" if value is None else super().prepare_value(value)

    def to_python(self, value):
        if isinstance(value, str) and not self.disabled:
            try:
                jsonlimits.loads(value)
            except jsonlimits.TooDeep as exc:
                raise ValidationError(str(exc), code="too_deep") from None
            except ValueError:
                pass  # malformed: Django's own message, below
        return super().to_python(value)


class EntityForm(forms.ModelForm):
    """Skips model validation in the form: ``record_create``/``record_update`` do it, so the
    UI, the API and the importer answer with the same errors.

    An entity's ``form_mixin`` may add inputs beyond the model's fields; those it names in
    ``service_options`` go to the entity's create service as keyword arguments of the same
    names (a new pick-list field's values)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    service_options: tuple[str, ...] = ()

    def __init__(self, data=None, *args, **kwargs):
        from kesher.platform.records.services import clean_submitted

        # NUL and bidi controls are stripped as the service would (not refused by the form).
        super().__init__(None if data is None else clean_submitted(data), *args, **kwargs)

    def _post_clean(self):
        pass


def _widget_for(field: models.Field | ForeignObjectRel):
    from kesher.platform.fields import PhoneField

    if isinstance(field, PhoneField):
        # type=tel brings up the number keypad on phones (REQ OR-7).
        return forms.TextInput(attrs={"type": "tel", "dir": "ltr", "autocomplete": "tel"})
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    if isinstance(field, models.DateTimeField):
        return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    if isinstance(field, models.TimeField):
        return forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    if isinstance(field, models.TextField):
        return forms.Textarea(attrs={"rows": 3})
    if isinstance(field, models.JSONField):
        # JSON reads left to right in either language; a value is usually one short line.
        return forms.Textarea(attrs={"rows": 2, "dir": "ltr", "spellcheck": "false"})
    if isinstance(field, models.ForeignKey) and registry.has_model(field.related_model):
        target = registry.for_model(field.related_model)
        if target.large:
            return RecordPicker(target.key)
    if isinstance(field, models.ManyToManyField):
        if registry.has_model(field.related_model):
            target = registry.for_model(field.related_model)
            if target.large:
                return RecordsPicker(target.key)
        return forms.SelectMultiple(attrs={"class": "form-select", "size": 4})
    return None


def form_for(entity: Entity, user, fields=None) -> type[EntityForm]:
    """The generic form of ``entity``: its form fields plus its custom fields, without those
    ``user`` does not see (the service then keeps their stored values, decision 0047)."""
    from kesher.platform.visibility import hidden_fields

    fields_given = fields
    hidden = hidden_fields(entity, user)
    fields = [name for name in (fields or entity.form_fields) if name not in hidden]
    widgets, field_classes = {}, {}
    for name in fields:
        model_field = entity.model._meta.get_field(name)
        widget = _widget_for(model_field)
        if widget is not None:
            widgets[name] = widget
        if isinstance(model_field, models.JSONField):
            field_classes[name] = JSONField
    # The link of an interaction or a task to the record it is about: chosen with one picker,
    # never by typing an id (issue 14 item 7).
    has_link = {"link_type", "link_id"} <= set(fields)
    if has_link:
        widgets["link_type"] = forms.HiddenInput
        widgets["link_id"] = LinkPicker
    form_class = modelform_factory(
        entity.model, form=EntityForm, fields=fields, widgets=widgets, field_classes=field_classes
    )

    has_custom = entity.has_custom_fields
    bases = (form_class,) if entity.form_mixin is None else (entity.form_mixin, form_class)

    class ScopedForm(*bases):  # type: ignore[misc]  # its bases are known only at run time
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if has_custom and fields_given is None:
                from kesher.platform.customfields.forms import add_custom_fields

                add_custom_fields(self, entity, kwargs.get("instance"), user)
            if has_link:
                self.fields["link_id"].label = _("About")
                self.fields["link_id"].widget.kind = self["link_type"]
            self._offer_owner(entity.owner_field)
            for name, field in self.fields.items():
                if isinstance(field.widget, _ProjectTemplateWidget):
                    field.widget.user = user
                queryset = getattr(field, "queryset", None)
                if queryset is not None:
                    field.queryset = pointable(queryset, user)
                if queryset is not None and queryset.model is Choice:
                    if name in entity.choice_lists:
                        # The entity's own list (one field may serve several kinds' lists).
                        field.queryset = queryset.filter(list_key=entity.choice_lists[name])
                    self._offer_default_choice(name, field)
                    if not field.get_limit_choices_to():
                        _group_by_list(field)
                widget = field.widget
                css = (
                    "form-check-input"
                    if isinstance(widget, forms.CheckboxInput)
                    else (
                        "form-select"
                        if isinstance(widget, forms.Select | forms.SelectMultiple)
                        else "form-control"
                    )
                )
                widget.attrs.setdefault("class", css)

        def _offer_owner(self, name) -> None:
            """A new record's owner (a task's assignee) starts as the user filling the form,
            as the services would make it (``Entity.owner_defaults_to_actor``); he may choose
            someone else."""
            if not entity.owner_defaults_to_actor:
                return
            if name in self.fields and not self.instance.pk and not self.initial.get(name):
                self.initial[name] = getattr(user, "pk", None)

        def _offer_default_choice(self, name, field) -> None:
            """A new record's required pick-list starts at the list's default value (the one
            an administrator marked ``default``), as the services would set it."""
            if self.instance.pk or not field.required or self.initial.get(name):
                return
            default = field.queryset.filter(extra__default=True).first()
            if default is not None:
                self.initial[name] = default.pk

    ScopedForm.__name__ = f"{entity.model.__name__}Form"
    return ScopedForm


def _list_names() -> dict[str, str]:
    """Each pick-list as people know it: the entity and field that use it ("Accounts · Status"),
    else its key."""
    from kesher.platform.models import CustomField

    names: dict[str, str] = {}
    for entity in registry.all():
        for name, list_key in entity.choice_lists.items():
            label = entity.field(name).verbose_name
            names.setdefault(list_key, f"{entity.label_plural} · {capfirst(label)}")
    used = CustomField.objects.exclude(choice_list="").filter(active=True)
    for definition in used.order_by("entity", "order", "pk"):
        if definition.entity in registry:
            label_plural = registry.get(definition.entity).label_plural
            names.setdefault(definition.choice_list, f"{label_plural} · {definition.label}")
    return names


def _group_by_list(field) -> None:
    """A choice among the values of several pick-lists (a value's parent) offers them grouped
    by their list, each group under the list's name, its values by label."""
    rows = list(field.queryset.order_by("list_key", "order", "pk"))
    if len({row.list_key for row in rows}) < 2:
        return
    names = _list_names()
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(row.list_key, []).append((row.pk, row.label))
    choices = [("", field.empty_label or "")] if field.empty_label is not None else []
    choices += sorted(
        ((names.get(key, key), options) for key, options in groups.items()),
        key=lambda group: group[0],
    )
    field.choices = choices
