"""The privacy officer's pages (issue 25): the access log, and a request's data found, handed
over and erased. Thin: the selectors read, the services write."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kesher.org.models import User
from kesher.platform import accesslog
from kesher.platform.access import can
from kesher.platform.registry import registry
from kesher.platform.ui.pages import entity_for, record_for
from kesher.privacy import exporting, recipients, retention, services
from kesher.privacy.entities import REQUESTS, RULES
from kesher.privacy.models import AccessAction
from kesher.privacy.selectors import access_log, note_person, subject_data

PAGE = 100
FORMATS = ("html", "csv", "json")


class AccessLogFilter(forms.Form):
    """What the access log is narrowed by: a person or any record, a user, an action, a period."""

    user = forms.ModelChoiceField(
        queryset=User.objects.order_by("first_name", "last_name"),
        required=False,
        label=gettext_lazy("user"),
    )
    action = forms.ChoiceField(
        choices=[("", "—"), *AccessAction.choices], required=False, label=gettext_lazy("action")
    )
    entity = forms.ChoiceField(required=False, label=gettext_lazy("kind of record"))
    record = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("record number"))
    since = forms.DateField(
        required=False, label=gettext_lazy("from"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label=gettext_lazy("until"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entity"].choices = [
            ("", "—"),
            *((e.key, str(e.label_plural)) for e in registry.all()),
        ]
        # Each widget fills its column (the bar's fields overlapped their neighbours).
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = (
                "form-select form-select-sm" if select else "form-control form-control-sm"
            )

    def filters(self) -> dict:
        if not self.is_valid():
            return {"record": -1}  # a wrong filter shows nothing rather than everything
        data = dict(self.cleaned_data)
        data["user"] = data["user"].pk if data["user"] else None
        return data


def _officer(user) -> None:
    if not can(user, REQUESTS, "view"):
        raise PermissionDenied


def titles(entries, user) -> dict[tuple[str, int], str]:
    """The name of each record the entries name that ``user`` may see, one query per kind of
    record; the others are shown by their number."""
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.record_id is not None and entry.entity in registry:
            wanted.setdefault(entry.entity, set()).add(entry.record_id)
    found = {}
    for key, ids in wanted.items():
        if not can(user, key, "view"):
            continue
        for record in registry.get(key).queryset().visible_to(user).filter(pk__in=ids):
            found[(key, record.pk)] = str(record)
    return found


@login_required
def access_log_page(request):
    """The access log, newest first, 100 at a time, narrowed by the form (REQ OR-8)."""
    _officer(request.user)
    form = AccessLogFilter(request.GET or None)
    qs = access_log(request.user, filters=form.filters() if form.is_bound else {})
    before = request.GET.get("before", "")
    if before.isdigit():
        qs = qs.filter(id__lt=int(before))
    entries = list(qs.select_related("user")[: PAGE + 1])
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    names = titles(entries, request.user)
    rows = [
        (
            entry,
            registry.get(entry.entity).label_plural if entry.entity in registry else entry.entity,
            names.get((entry.entity, entry.record_id), ""),
        )
        for entry in entries
    ]
    query = request.GET.copy()
    query.pop("before", None)
    if more:
        query["before"] = str(entries[-1].pk)
    context = {"form": form, "rows": rows, "next": query.urlencode() if more else ""}
    return render(request, "privacy/access_log.html", context)


def _request(request, pk, action: str = "view"):
    entity = entity_for(REQUESTS, request.user, action)
    return record_for(entity, request.user, pk)


@login_required
def request_data(request, pk, fmt="html"):
    """Everything about the request's person: a page to read, or a file to hand over."""
    subject = _request(request, pk)
    if subject.contact is None and subject.lead is None:  # the person was deleted since
        raise Http404
    data = subject_data(subject.contact, lead=subject.lead)
    action = AccessAction.READ if fmt == "html" else AccessAction.EXPORT
    note_person(action, data)
    if fmt == "json":
        body = json.dumps(exporting.as_json(data), ensure_ascii=False, indent=2)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    elif fmt == "csv":
        response = HttpResponse(exporting.as_csv(data), content_type="text/csv; charset=utf-8")
    else:
        context = {"subject": subject, "data": data, "entity": registry.get(REQUESTS)}
        return render(request, "privacy/request_data.html", context)
    response["Content-Disposition"] = f'attachment; filename="person-{data.person.pk}.{fmt}"'
    return response


@login_required
@require_POST
def request_anonymize(request, pk):
    """Erase the person of a request to delete (after the page's confirmation)."""
    subject = _request(request, pk, "change")
    try:
        services.request_anonymize(subject, actor=request.user)
        messages.success(request, _("The person's data was anonymized."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("entity_detail", args=[REQUESTS, subject.pk]))


@login_required
@require_POST
def request_answered(request, pk):
    """Mark a request answered: the data was handed over or corrected."""
    subject = _request(request, pk, "change")
    try:
        services.request_answered(subject, actor=request.user)
        messages.success(request, _("The request is marked answered."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("entity_detail", args=[REQUESTS, subject.pk]))


@login_required
@require_POST
def request_pass_on(request, pk):
    """Tell whoever received the person's data what was corrected (a correction request)."""
    subject = _request(request, pk, "change")
    try:
        recipients.request_pass_on(subject, actor=request.user)
        messages.success(request, _("The correction was passed on."))
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("entity_detail", args=[REQUESTS, subject.pk]))


@login_required
def retention_dry_run(request, pk):
    """What a retention rule would do today, written nowhere: for the officer to read before
    he activates it (issue 25 item 3)."""
    rule = record_for(entity_for(RULES, request.user, "view"), request.user, pk)
    try:
        report = retention.dry_run(rule, request.user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
        return redirect(reverse("entity_detail", args=[RULES, rule.pk]))
    records = report["records"]
    if records:
        accesslog.note(AccessAction.LIST, report["entity"].key, [r.pk for r in records])
    context = {"rule": rule, "report": report, "entity": registry.get(RULES)}
    return render(request, "privacy/retention_dry_run.html", context)
