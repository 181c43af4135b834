"""The "Sign-in providers" screen: an administrator switches Google, Microsoft or an OpenID
Connect provider on by entering its client id and secret (REQ OR-5)."""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.org.sso import (
    PROVIDERS,
    ProviderKind,
    is_app_enabled,
    provider_app,
    provider_callback_path,
    sign_in_provider_save,
)
from kesher.platform.access import is_admin

__all__ = ["sign_in_provider_edit", "sign_in_providers"]


def admin_required(view):
    """Only Kesher administrators; others get 403, anonymous visitors the sign-in page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


class SignInProviderForm(forms.Form):
    """What the provider's console issued for Kesher; fields that do not apply are removed."""

    enabled = forms.BooleanField(label=gettext_lazy("Switched on"), required=False)
    name = forms.CharField(
        label=gettext_lazy("Button name"),
        max_length=40,
        required=False,
        help_text=gettext_lazy('The sign-in button reads "Sign in with <name>".'),
    )
    server_url = forms.CharField(
        label=gettext_lazy("Issuer URL"),
        max_length=300,
        required=False,
        help_text=gettext_lazy(
            "The address its /.well-known/openid-configuration document is under."
        ),
        widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": "https://"}),
    )
    tenant = forms.CharField(
        label=gettext_lazy("Directory (tenant) ID or domain"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Your organization's own directory, e.g. contoso.com."),
        widget=forms.TextInput(attrs={"dir": "ltr"}),
    )
    client_id = forms.CharField(
        label=gettext_lazy("Client ID"),
        max_length=191,
        required=False,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    secret = forms.CharField(
        label=gettext_lazy("Client secret"),
        max_length=191,
        required=False,
        widget=forms.PasswordInput(attrs={"dir": "ltr", "autocomplete": "new-password"}),
    )

    def __init__(self, *args, kind: ProviderKind, has_secret: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if kind.key != "oidc":
            del self.fields["name"]
            del self.fields["server_url"]
        if kind.key != "microsoft":
            del self.fields["tenant"]
        if has_secret:
            self.fields["secret"].help_text = _("A secret is saved; leave empty to keep it.")


def _provider_row(request, kind: ProviderKind) -> dict:
    app = provider_app(kind)
    return {
        "kind": kind,
        "app": app,
        "enabled": bool(app and is_app_enabled(app)),
        "redirect_uri": request.build_absolute_uri(provider_callback_path(kind)),
    }


@admin_required
def sign_in_providers(request):
    rows = [_provider_row(request, kind) for kind in PROVIDERS.values()]
    return render(request, "org/sign_in_providers.html", {"rows": rows})


@admin_required
def sign_in_provider_edit(request, key: str):
    kind = PROVIDERS.get(key)
    if kind is None:
        raise Http404
    row = _provider_row(request, kind)
    app = row["app"]
    initial = {"enabled": True}
    if app is not None:
        initial = {
            "enabled": is_app_enabled(app),
            "name": app.name,
            "server_url": app.settings.get("server_url", ""),
            "tenant": app.settings.get("tenant", ""),
            "client_id": app.client_id,
        }
    has_secret = bool(app and app.secret)
    form = SignInProviderForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        kind=kind,
        has_secret=has_secret,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sign_in_provider_save(
                actor=request.user,
                key=kind.key,
                enabled=data["enabled"],
                client_id=data["client_id"],
                secret=data["secret"],
                tenant=data.get("tenant", ""),
                server_url=data.get("server_url", ""),
                name=data.get("name", ""),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            if data["enabled"]:
                messages.success(
                    request, _("Sign-in with %(name)s is switched on.") % {"name": kind.label}
                )
            else:
                messages.success(
                    request, _("Sign-in with %(name)s is switched off.") % {"name": kind.label}
                )
            return redirect("sign_in_providers")
    return render(request, "org/sign_in_provider_form.html", {**row, "form": form})
