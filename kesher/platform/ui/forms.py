"""Forms generated from the registry. They parse input only; the services validate and write."""

from __future__ import annotations

from django import forms
from django.db import models
from django.forms.models import modelform_factory
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.text import capfirst

from kesher.platform.access import linkable
from kesher.platform.models import Choice
from kesher.platform.registry import Entity, registry

__all__ = ["RecordPicker", "RecordsPicker", "form_for"]


class RecordPicker(forms.TextInput):
    """A search-as-you-type picker for links to large tables (a <select> of 200,000 accounts
    would not load): a hidden input holds the id, htmx fills the suggestions."""

    template_name = "platform/widgets/record_picker.html"

    def __init__(self, entity_key: str, attrs=None, queryset=None):
        super().__init__(attrs)
        self.entity_key = entity_key
        self.queryset = queryset

    def named(self):
        """The records whose names the picker may show: those it was given, else the field's
        own choices (``form_for`` narrows them to the records the user may link), else any."""
        if self.queryset is not None:
            return self.queryset
        choices = getattr(getattr(self, "choices", None), "queryset", None)
        if choices is not None:
            return choices
        return registry.get(self.entity_key).model._base_manager.all()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        if value:
            obj = self.named().filter(pk=value).first() if str(value).isdigit() else None
            label = str(obj) if obj else ""
        context["widget"].update({"entity_key": self.entity_key, "label": label})
        return context

    def id_for_label(self, id_):
        # The label names the search box the user types in, not the hidden id.
        return f"{id_}-search" if id_ else id_

    def _render(self, template_name, context, renderer=None):
        # The template is one of the project's (kesher/templates), which Django's default
        # form renderer does not look in: rendered by the project's engine instead.
        return mark_safe(render_to_string(template_name, context))


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


class EntityForm(forms.ModelForm):
    """Skips model validation in the form: ``record_create``/``record_update`` do it, so the
    UI, the API and the importer answer with the same errors.

    An entity's ``form_base`` (a subclass) may add inputs beyond the model's fields; those it
    names in ``service_options`` go to the entity's create service as keyword arguments of
    the same names (a new pick-list field's values)."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    service_options: tuple[str, ...] = ()

    def __init__(self, data=None, *args, **kwargs):
        from kesher.platform.records.services import clean_submitted

        # NUL and bidi controls are stripped as the service would (not refused by the form).
        super().__init__(None if data is None else clean_submitted(data), *args, **kwargs)

    def _post_clean(self):
        pass


class OptionalJSONField(forms.JSONField):
    """A JSON value an administrator may leave empty: shown empty, not as ``null``."""

    def prepare_value(self, value):
        return "" if value is None else super().prepare_value(value)


def _widget_for(field: models.Field):
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
    """The generic form of ``entity``: its form fields plus its custom fields."""
    fields_given = fields
    fields = list(fields or entity.form_fields)
    widgets = {}
    field_classes = {}
    for name in fields:
        model_field = entity.model._meta.get_field(name)
        widget = _widget_for(model_field)
        if widget is not None:
            widgets[name] = widget
        if isinstance(model_field, models.JSONField):
            field_classes[name] = OptionalJSONField
    form_class = modelform_factory(
        entity.model,
        form=entity.form_base or EntityForm,
        fields=fields,
        widgets=widgets,
        field_classes=field_classes,
    )

    has_custom = entity.has_custom_fields

    class ScopedForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if has_custom and fields_given is None:
                from kesher.platform.customfields.forms import add_custom_fields

                add_custom_fields(self, entity, kwargs.get("instance"), user)
            for name, field in self.fields.items():
                queryset = getattr(field, "queryset", None)
                if queryset is not None and registry.has_model(queryset.model):
                    field.queryset = linkable(queryset, user)
                if queryset is not None and queryset.model is Choice:
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
            self._offer_owner()

        def _offer_owner(self) -> None:
            """A new record's owner starts as the user who creates it (the services make the
            same choice when none is given)."""
            name = entity.owner_field
            if (
                self.instance.pk is None
                and entity.owner_defaults_to_actor
                and name in self.fields
                and not self.initial.get(name)
            ):
                self.initial[name] = user.pk

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
