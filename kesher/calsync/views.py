"""Calendar and contact sync's pages (decisions 0110, 0123): the user's "my calendar connection"
— his calendar and his address book, each to connect, test, sync now or disconnect, with its last
sync and problem — and the administrator's sync policy."""

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
from kesher.calsync.models import CalendarConnection, ContactConnection, SyncPolicy
from kesher.org.sso_views import admin_required
from kesher.platform.models import SavedView
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


class ContactConnectionForm(ConnectionForm):
    url = forms.CharField(
        label=gettext_lazy("Address book address (CardDAV)"),
        max_length=500,
        widget=forms.TextInput(attrs={"dir": "ltr", "placeholder": "https://"}),
        help_text=gettext_lazy(
            "Your address book's CardDAV address, or your account's: its first address book."
        ),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(attrs={"dir": "ltr", "autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "Empty, with the calendar's user name: the calendar's password is used."
        ),
    )


# kind: (its model, its form, the prefix of its fields and actions on the page)
PARTS = {
    "calendar": (CalendarConnection, ConnectionForm, ""),
    "contacts": (ContactConnection, ContactConnectionForm, "cards"),
}
SAVED = {
    "calendar": gettext_lazy("Saved. The calendar will be synced within a minute."),
    "contacts": gettext_lazy("Saved. The address book will be synced within a minute."),
}
GONE = {
    "calendar": gettext_lazy("The calendar is disconnected; its events stay on it."),
    "contacts": gettext_lazy("The address book is disconnected; its cards stay on it."),
}
SOON = {
    "calendar": gettext_lazy("The calendar will be synced within a minute."),
    "contacts": gettext_lazy("The address book will be synced within a minute."),
}


def _form(user, kind: str, data=None):
    model, form_class, prefix = PARTS[kind]
    connection = model.objects.filter(user=user).first()
    initial = (
        {"url": connection.url, "username": connection.username, "active": connection.active}
        if connection
        else {"active": True}
    )
    form = form_class(data, initial=initial, prefix=prefix or None)
    if connection is not None:
        form.fields["password"].help_text = _("A password is saved; leave empty to keep it.")
    return form


@login_required
@require_http_methods(["GET", "POST"])
def my_connection(request):
    """The user's own calendar and address book connections; every action is a POST with
    ``action`` ("save", "test", "sync", "disconnect"; "cards-…" for the address book)."""
    user = request.user
    forms_ = {kind: _form(user, kind) for kind in PARTS}
    if request.method == "POST":
        action = request.POST.get("action", "save")
        kind = "contacts" if action.startswith("cards-") else "calendar"
        action = action.removeprefix("cards-")
        if action == "disconnect":
            services.connection_delete(actor=user, kind=kind)
            messages.success(request, str(GONE[kind]))
            return redirect(reverse("calsync_connection"))
        if action == "sync":
            try:
                services.connection_sync_now(actor=user, kind=kind)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, str(SOON[kind]))
            return redirect(reverse("calsync_connection"))
        form = forms_[kind] = _form(user, kind, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            if action == "test":
                ok, detail = services.connection_test(actor=user, data=data, kind=kind)
                if ok:
                    messages.success(request, _("Connected: %(calendar)s") % {"calendar": detail})
                else:
                    messages.error(request, _("Not connected: %(reason)s") % {"reason": detail})
                return render(request, "calsync/connection.html", _context(user, forms_))
            try:
                services.connection_save(actor=user, data=data, kind=kind)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    for text in errors:
                        form.add_error(field if field in form.fields else None, text)
            else:
                messages.success(request, str(SAVED[kind]))
                return redirect(reverse("calsync_connection"))
    return render(request, "calsync/connection.html", _context(user, forms_))


def _context(user, forms_: dict) -> dict:
    connection = CalendarConnection.objects.filter(user=user).first()
    book = ContactConnection.objects.filter(user=user).first()
    policy = SyncPolicy.current()
    return {
        "form": forms_["calendar"],
        "cards_form": forms_["contacts"],
        "connection": connection,
        "book": book,
        "policy": policy,
        "contacts_off": policy.contacts_scope == SyncPolicy.ContactScope.NONE,
        "synced": connection.events.filter(ignored=False).count() if connection else 0,
        "cards": book.cards.filter(ignored=False).count() if book else 0,
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

    contacts_scope = forms.ChoiceField(
        label=gettext_lazy("Contacts that may reach devices"),
        choices=SyncPolicy.ContactScope.choices,
        required=False,
        help_text=gettext_lazy("Always only contacts the person may see in Kesher."),
    )
    contacts_view = forms.ChoiceField(
        label=gettext_lazy("Saved view of contacts"),
        required=False,
        help_text=gettext_lazy("A shared view; used when the contacts are those of a view."),
    )
    contacts_from_device = forms.BooleanField(
        label=gettext_lazy("Accept contact changes made on the device"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["record_kinds"].choices = link_choices()
        views = SavedView.objects.filter(entity="contacts", shared=True).order_by("name")
        self.fields["contacts_view"].choices = [("", "—")] + [(str(v.pk), v.name) for v in views]


@admin_required
@require_http_methods(["GET", "POST"])
def sync_policy(request):
    policy = SyncPolicy.current()
    initial = {
        name: getattr(policy, name)
        for name in (
            "enabled",
            "from_device",
            "send_details",
            "send_customer",
            "record_kinds",
            "contacts_scope",
            "contacts_from_device",
        )
    }
    initial["contacts_view"] = str(policy.contacts_view_id or "")
    form = PolicyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            if not data["contacts_scope"]:
                data.pop("contacts_scope")  # not sent: kept
            services.policy_update(actor=request.user, data=data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for text in errors:
                    form.add_error(field if field in form.fields else None, text)
        else:
            messages.success(request, _("The calendar sync policy is saved."))
            return redirect(reverse("calsync_policy"))
    connections = CalendarConnection.objects.select_related("user").order_by("user__username")
    books = ContactConnection.objects.select_related("user").order_by("user__username")
    return render(
        request,
        "calsync/policy.html",
        {"form": form, "policy": policy, "connections": connections, "books": books},
    )
