"""The portal's forms: every field labelled, errors translated (REQ OR-2; IS 5568)."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kesher.platform.models import Choice

__all__ = [
    "CodeForm",
    "CommentForm",
    "PasswordForm",
    "RateForm",
    "ResetForm",
    "SignInForm",
    "TicketOpenForm",
]


class PortalForm(forms.Form):
    """Bootstrap's classes on every widget, and a field in error marked for screen readers."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"id_{name}-errors"}
                )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern); the attachment rules are
    the service's."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class SignInForm(PortalForm):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(PortalForm):
    code = forms.CharField(
        label=_("Code from the authenticator app"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr"}
        ),
    )


class ResetForm(PortalForm):
    email = forms.EmailField(
        label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class PasswordForm(PortalForm):
    password = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    confirm = forms.CharField(
        label=_("The new password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _choices(list_key: str, parent=None):
    values = Choice.objects.filter(list_key=list_key, active=True).order_by("order", "pk")
    if parent is not None:
        values = values.filter(parent_id=parent)
    return values


class TicketOpenForm(PortalForm):
    """A new ticket: its type and subtype (a subtype among its type's, narrowed live as the
    type changes, REQ SV-2), what it is about, files."""

    account = forms.ModelChoiceField(label=_("Account"), queryset=None, required=False)
    ticket_type = forms.ModelChoiceField(label=_("Type"), queryset=None)
    subtype = forms.ModelChoiceField(label=_("Subtype"), queryset=None, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000
    )
    files = MultipleFileField(label=_("Files"))

    def __init__(self, *args, accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = accounts
        if len(accounts) < 2:
            del self.fields["account"]
        else:
            self.fields["account"].required = True
        self.fields["ticket_type"].queryset = _choices("ticket_type")
        parent = self.data.get("ticket_type") if self.is_bound else None
        parent = int(parent) if isinstance(parent, str) and parent.isdigit() else None
        self.fields["subtype"].queryset = _choices("ticket_subtype", parent or 0)
        self.fields["ticket_type"].widget.attrs.update(
            {
                "hx-get": reverse("portal_ticket_options"),
                "hx-target": "#id_subtype",
                "hx-trigger": "change",
            }
        )
        self.fields["subject"].widget.attrs.update(
            {
                "hx-get": reverse("portal_suggest"),
                "hx-target": "#suggested",
                "hx-trigger": "input changed delay:400ms",
                "hx-include": "#id_ticket_type",
                "autocomplete": "off",
            }
        )


class CommentForm(PortalForm):
    body = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000
    )
    files = MultipleFileField(label=_("Files"))


class RateForm(PortalForm):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how your request was handled?"),
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
