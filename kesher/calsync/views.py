"""Calendar sync's pages (decision 0110): the user's "my calendar connection" — connect, test,
sync now, disconnect, the last sync and problem — and the administrator's sync policy."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from kesher.calsync import services
from kesher.calsync.models import CalendarConnection, SyncPolicy
from kesher.org.sso_views import admin_required
from kesher.platform.records.links import link_choices

__all__ = ["my_connection", "sync_policy"]


class ConnectionForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Calendar address (CalDAV)"),
        max_length=500,
        widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": "https://"}),
        help_text=gettext_lazy(
            "Your calendar's CalDAV address, or your account's: its first calendar."
        ),
    )
    username = forms.CharField(
        label=gettext_lazy("User name"),
        max_length=200,
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(attrs={"dir": "ltr", "autocomplete": "new-password"}),
        help_text=gettext_lazy("An app password, where the provider offers one."),
    )
    active = forms.BooleanField(label=gettext_lazy("Sync on"), required=False, initial=True)


@login_required
@require_http_methods(["GET", "POST"])
def my_connection(request):
    """The user's own calendar connection; every action is a POST with ``action``."""
    user = request.user
    connection = CalendarConnection.objects.filter(user=user).first()
    initial = (
        {"url": connection.url, "username": connection.username, "active": connection.active}
        if connection
        else {"active": True}
    )
    form = ConnectionForm(request.POST if request.method == "POST" else None, initial=initial)
    if connection is not None:
        form.fields["password"].help_text = _("A password is saved; leave empty to keep it.")
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "disconnect":
            services.connection_delete(actor=user)
            messages.success(request, _("The calendar is disconnected; its events stay on it."))
            return redirect(reverse("calsync_connection"))
        if action == "sync":
            try:
                services.connection_sync_now(actor=user)
            except ValidationError:
                messages.error(request, _("Connect a calendar first."))
            else:
                messages.success(request, _("The calendar will be synced within a minute."))
            return redirect(reverse("calsync_connection"))
        if form.is_valid():
            data = form.cleaned_data
            if action == "test":
                ok, detail = services.connection_test(actor=user, data=data)
                if ok:
                    messages.success(request, _("Connected: %(calendar)s") % {"calendar": detail})
                else:
                    messages.error(request, _("Not connected: %(reason)s") % {"reason": detail})
                return render(request, "calsync/connection.html", _context(user, form))
            try:
                services.connection_save(actor=user, data=data)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for text in errors:
                        form.add_error(field if field in form.fields else None, text)
            else:
                messages.success(request, _("Saved. The calendar will be synced within a minute."))
                return redirect(reverse("calsync_connection"))
    return render(request, "calsync/connection.html", _context(user, form))


def _context(user, form) -> dict:
    connection = CalendarConnection.objects.filter(user=user).first()
    return {
        "form": form,
        "connection": connection,
        "policy": SyncPolicy.current(),
        "synced": connection.events.filter(ignored=False).count() if connection else 0,
    }


class PolicyForm(forms.Form):
    enabled = forms.BooleanField(label=gettext_lazy("Calendar sync allowed"), required=False)
    from_device = forms.BooleanField(
        label=gettext_lazy("Accept changes made on the device"), required=False
    )
    send_details = forms.BooleanField(
        label=gettext_lazy("Send the meeting's details (notes)"), required=False
    )
    send_customer = forms.BooleanField(
        label=gettext_lazy("Send the name of the record the meeting is about"), required=False
    )
    record_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Only meetings about"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("None chosen: every meeting."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_kinds"].choices = link_choices()


@admin_required
@require_http_methods(["GET", "POST"])
def sync_policy(request):
    policy = SyncPolicy.current()
    initial = {
        name: getattr(policy, name)
        for name in ("enabled", "from_device", "send_details", "send_customer", "record_kinds")
    }
    form = PolicyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.policy_update(actor=request.user, data=form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for text in errors:
                    form.add_error(field if field in form.fields else None, text)
        else:
            messages.success(request, _("The calendar sync policy is saved."))
            return redirect(reverse("calsync_policy"))
    connections = CalendarConnection.objects.select_related("user").order_by("user__username")
    return render(
        request,
        "calsync/policy.html",
        {"form": form, "policy": policy, "connections": connections},
    )
