"""The lead conversion form (REQ SA-1) and the deal form's pipeline and stage (SA-2)."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kesher.sales.models import Pipeline, SalesSettings, Stage


class ConvertForm(forms.Form):
    """What a lead becomes: an account, a contact and a deal, each optional."""

    create_account = forms.BooleanField(label=_("Create or match an account"), required=False)
    create_contact = forms.BooleanField(label=_("Create or match a contact"), required=False)
    create_opportunity = forms.BooleanField(label=_("Create an opportunity"), required=False)
    opportunity_name = forms.CharField(label=_("Opportunity name"), max_length=200, required=False)
    amount = forms.DecimalField(
        label=_("Amount"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    stage = forms.ModelChoiceField(
        label=_("Stage"),
        queryset=Stage.objects.filter(
            active=True, outcome=Stage.Outcome.OPEN, pipeline__active=True
        ).select_related("pipeline"),
        required=False,
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].label_from_instance = lambda s: f"{s.pipeline} · {s}"
        for name, field in self.fields.items():
            css = "form-check-input" if isinstance(field, forms.BooleanField) else "form-control"
            if name == "stage":
                css = "form-select"
            field.widget.attrs["class"] = css

    def opportunity(self) -> dict | None:
        """The deal's values, or None when no deal is wanted."""
        if not self.cleaned_data.get("create_opportunity"):
            return None
        values = {
            "name": self.cleaned_data.get("opportunity_name"),
            "amount": self.cleaned_data.get("amount"),
            "stage": self.cleaned_data.get("stage"),
            "expected_close_date": self.cleaned_data.get("expected_close_date"),
        }
        return {k: v for k, v in values.items() if v not in (None, "")}


class SalesSettingsForm(forms.Form):
    """The organization's sales settings (REQ SA-7, RE-2)."""

    forecasting = forms.BooleanField(
        label=_("Forecasting"),
        required=False,
        help_text=_("When on, every deal needs its expected close date."),
    )
    target_actuals = forms.ChoiceField(
        label=_("Targets are measured by"), choices=SalesSettings.Actuals.choices
    )


class OpportunityForm:
    """The deal form's stage chosen within a pipeline (``Entity.form_mixin``): a pipeline
    select before the stage, whose change reloads the stage's options with htmx — the
    platform's dependent pick-lists' way (REQ SA-2, CX-6). The pipeline is not stored: the
    stage says it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "stage" not in self.fields:
            return
        pipelines = Pipeline.objects.filter(active=True).order_by("order", "pk")
        chosen = self._chosen_pipeline(pipelines)
        field = forms.ModelChoiceField(
            pipelines, label=_("Pipeline"), required=False, empty_label=None
        )
        field.initial = chosen.pk if chosen else None
        field.widget.attrs.update(
            {
                "class": "form-select",
                "hx-get": reverse("sales_stage_options"),
                "hx-target": f"#{self['stage'].auto_id}",
                "hx-trigger": "change",
                "hx-include": "this",
                "hx-swap": "innerHTML",
            }
        )
        stage = self.fields["stage"]
        if chosen is not None:
            stage.queryset = stage.queryset.filter(pipeline=chosen)
        stage.widget.attrs["data-dependent"] = "1"
        fields = {}
        for name, value in self.fields.items():
            if name == "stage":
                fields["pipeline"] = field
            fields[name] = value
        self.fields = fields

    def _chosen_pipeline(self, pipelines):
        """The pipeline sent, else the deal's (or its initial stage's), else the first."""
        if self.is_bound:
            value = str(self.data.get(self.add_prefix("pipeline")) or "")
            return pipelines.filter(pk=value).first() if value.isdigit() else None
        stage = self.instance.stage if self.instance.stage_id else None
        initial = str(self.initial.get("stage") or "")
        if stage is None and initial.isdigit():
            stage = Stage.objects.filter(pk=initial).select_related("pipeline").first()
        return stage.pipeline if stage is not None else pipelines.first()

    def clean(self):
        cleaned = super().clean()
        # Not a field of the deal: the service is given the stage alone.
        cleaned.pop("pipeline", None)
        return cleaned
