"""Process templates in the web UI and the API: the list with each template's steps and what it
needs, and installing one (REQ AU-2, AU-4; issue 5 item 6). Administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.automation.models import InstalledProcess
from kesher.automation.processes import process_install, process_templates, template_for
from kesher.platform.access import is_admin


def _rows() -> list[dict]:
    installed = {p.key: p for p in InstalledProcess.objects.select_related("installed_by")}
    return [
        {
            "key": t.key,
            "name": str(t.name),
            "description": str(t.description),
            "steps": [str(s) for s in t.steps],
            "missing": t.missing(),
            "missing_names": t.missing_names(),
            "installed_at": installed[t.key].installed_at if t.key in installed else None,
            "installed_by": str(installed[t.key].installed_by or "") if t.key in installed else "",
        }
        for t in process_templates()
    ]


@login_required
def process_list(request):
    if not is_admin(request.user):
        raise PermissionDenied
    return render(request, "automation/processes.html", {"processes": _rows()})


@login_required
@require_POST
def process_install_view(request, key):
    if not is_admin(request.user):
        raise PermissionDenied
    template = template_for(key)
    if template is None:
        raise PermissionDenied
    try:
        process_install(key, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("The process “%(name)s” was installed.") % {"name": template.name}
        )
    return redirect(reverse("automation_processes"))


class ProcessTemplateSerializer(serializers.Serializer):
    """A process template as the API lists it (read only)."""

    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    steps = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
    # The same modules as people call them, in the reader's language.
    missing_names = serializers.ListField(child=serializers.CharField())
    installed_at = serializers.DateTimeField(allow_null=True)
    installed_by = serializers.CharField()


def _require_admin(request) -> None:
    if not is_admin(request.user):
        raise ApiPermissionDenied(_("Only an administrator manages process templates."))


class ProcessTemplateList(APIView):
    @extend_schema(
        summary="Process templates",
        description="Installable processes (rules, task and e-mail templates, approvals), "
        "with the modules each still needs and whether it is installed.",
        responses=ProcessTemplateSerializer(many=True),
    )
    def get(self, request):
        _require_admin(request)
        return Response(_rows())


class ProcessTemplateInstall(APIView):
    @extend_schema(
        summary="Install a process template",
        request=None,
        responses=ProcessTemplateSerializer,
        examples=[
            OpenApiExample(
                "Installed",
                value={
                    "key": "customer-onboarding",
                    "name": "קליטת לקוח חדש",
                    "installed_at": "2026-12-02T09:00:00+02:00",
                },
                response_only=True,
            )
        ],
    )
    def post(self, request, key):
        _require_admin(request)
        if template_for(key) is None:
            raise NotFound(_("No such process template."))
        try:
            process_install(key, actor=request.user)
        except ValidationError as exc:
            return Response({"non_field_errors": exc.messages}, status=400)
        row = next(r for r in _rows() if r["key"] == key)
        return Response(row, status=201)
