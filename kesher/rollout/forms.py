"""The roll-out's forms: the project, and a process's six questions, whose lists are written one
entry a line with its parts separated by “|” (REQ IMPL-1, AU-2)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kesher.org.models import User
from kesher.platform.ui.forms import RecordPicker
from kesher.rollout.models import MappedProcess

__all__ = ["ProcessForm", "ProjectForm", "lines_to_list", "list_to_lines"]

STAGE_PARTS = ("value", "label_he", "label_en")
PARTY_PARTS = ("key", "name_he", "name_en", "like", "duty")
TRIGGER_PARTS = ("on", "do", "party", "title", "hours")


def lines_to_list(text: str, parts: tuple[str, ...]) -> list[dict]:
    rows = []
    for line in (text or "").splitlines():
        if line.strip():
            values = [v.strip() for v in line.split("|")]
            rows.append(dict(zip(parts, values + [""] * (len(parts) - len(values)), strict=False)))
    return rows


def list_to_lines(rows: list[dict], parts: tuple[str, ...]) -> str:
    return "\n".join(" | ".join(str(row.get(p, "")) for p in parts) for row in rows)


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        elif not isinstance(widget, RecordPicker):
            widget.attrs.setdefault("class", "form-control")


class ProjectForm(forms.Form):
    owner = forms.ModelChoiceField(
        label=_("Project lead"), queryset=User.objects.filter(is_active=True), required=False
    )
    budget = forms.DecimalField(
        label=_("Budget (₪)"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    starts_on = forms.DateField(
        label=_("Starts on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    go_live_on = forms.DateField(
        label=_("Planned go-live"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    notes = forms.CharField(
        label=_("Expectations and notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        picker = RecordPicker("users")
        picker.user = user
        self.fields["owner"].widget = picker
        _styled(self)


class ProcessForm(forms.Form):
    name = forms.CharField(label=_("Process"), max_length=120)
    target = forms.ChoiceField(label=_("Runs on"), choices=MappedProcess.Target.choices)
    owner = forms.ModelChoiceField(
        label=_("1. Who owns the process?"),
        queryset=User.objects.filter(is_active=True),
        required=False,
    )
    owner_note = forms.CharField(label=_("The owner's part"), max_length=300, required=False)
    contributors = forms.CharField(
        label=_("2. Who contributes to it from outside (suppliers, the customer)?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    parties = forms.CharField(
        label=_("3. Which internal parties take part, and what is each one's role?"),
        help_text=_(
            "One a line: role key | Hebrew name | English name | existing role whose rights a "
            "new role starts with | its part."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    stages = forms.CharField(
        label=_("4. What are the process's stages?"),
        help_text=_("One a line, in order: value | Hebrew name | English name."),
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
    )
    triggers = forms.CharField(
        label=_("5. Which triggers or automatic actions does it need?"),
        help_text=_(
            "One a line: created or a stage's value | task or email | the party a task goes "
            "to | title | due in business hours."
        ),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )
    links = forms.CharField(
        label=_("6. Is it linked to other processes?"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, user=None, process: MappedProcess | None = None, **kwargs):
        if process is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": process.name,
                "target": process.target,
                "owner": process.owner_id,
                "owner_note": process.owner_note,
                "contributors": process.contributors,
                "parties": list_to_lines(process.parties, PARTY_PARTS),
                "stages": list_to_lines(process.stages, STAGE_PARTS),
                "triggers": list_to_lines(process.triggers, TRIGGER_PARTS),
                "links": process.links,
            }
        super().__init__(*args, **kwargs)
        picker = RecordPicker("users")
        picker.user = user
        self.fields["owner"].widget = picker
        _styled(self)

    def data_for_service(self) -> dict:
        data = dict(self.cleaned_data)
        data["parties"] = lines_to_list(data["parties"], PARTY_PARTS)
        data["stages"] = lines_to_list(data["stages"], STAGE_PARTS)
        data["triggers"] = lines_to_list(data["triggers"], TRIGGER_PARTS)
        return data
