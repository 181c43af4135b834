"""The lead conversion form (REQ SA-1)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kesher.sales.models import SalesSettings, Stage


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
