"""Forms generated from the registry. They parse input only; the services validate and write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import modelform_factory
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from kesher.platform import jsonlimits
from kesher.platform.access import linkable
from kesher.platform.models import Choice
from kesher.platform.registry import Entity, registry

__all__ = ["JSONField", "RecordPicker", "form_for"]

LARGE_TABLE_ENTITIES = {"accounts", "contacts"}


class RecordPicker(forms.TextInput):
    """A search-as-you-type picker for links to large tables (a <select> of 200,000 accounts
    would not load): a hidden input holds the id, htmx fills the suggestions."""

    template_name = "platform/widgets/record_picker.html"

    def __init__(self, entity_key: str, attrs=None):
        super().__init__(attrs)
        self.entity_key = entity_key

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = ""
        if value:
            entity = registry.get(self.entity_key)
            obj = entity.model._base_manager.filter(pk=value).first()
            label = str(obj) if obj else ""
        context["widget"].update({"entity_key": self.entity_key, "label": label})
        return context

    def _render(self, template_name, context, renderer=None):
        # The template is one of the project's (kesher/templates), which Django's default
        # form renderer does not look in: rendered by the project's engine instead.
        return mark_safe(render_to_string(template_name, context))


class JSONField(forms.JSONField):
    """Django's JSON form field for text typed on a page: text nested too deeply is refused
    with its own message (issue "Platform v2" item 10), never a RecursionError."""

    def __init__(self, *, decoder=None, **kwargs):
        super().__init__(decoder=decoder or jsonlimits.Decoder, **kwargs)

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
    UI, the API and the importer answer with the same errors."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, *args, **kwargs):
        from kesher.platform.records.services import clean_submitted

        # NUL and bidi controls are stripped as the service would (not refused by the form).
        super().__init__(None if data is None else clean_submitted(data), *args, **kwargs)

    def _post_clean(self):
        pass


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
    if isinstance(field, models.ForeignKey) and registry.has_model(field.related_model):
        target = registry.for_model(field.related_model)
        if target.key in LARGE_TABLE_ENTITIES:
            return RecordPicker(target.key)
    if isinstance(field, models.ManyToManyField):
        return forms.SelectMultiple(attrs={"class": "form-select", "size": 4})
    return None


def form_for(entity: Entity, user, fields=None) -> type[EntityForm]:
    """The generic form of ``entity``: its form fields plus its custom fields."""
    fields_given = fields
    fields = list(fields or entity.form_fields)
    widgets, field_classes = {}, {}
    for name in fields:
        model_field = entity.model._meta.get_field(name)
        widget = _widget_for(model_field)
        if widget is not None:
            widgets[name] = widget
        if isinstance(model_field, models.JSONField):
            field_classes[name] = JSONField
    form_class = modelform_factory(
        entity.model, form=EntityForm, fields=fields, widgets=widgets, field_classes=field_classes
    )

    has_custom = any(f.name == "custom" for f in entity.model._meta.concrete_fields)
    bases = (form_class,) if entity.form_mixin is None else (entity.form_mixin, form_class)

    class ScopedForm(*bases):
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
