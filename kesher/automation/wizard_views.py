"""Wizards on the page and in the API (REQ CX-7; decision 0108).

The page keeps each step's answers in the user's session until the last step, then hands
them all to ``wizard_finish``, which writes every record in one transaction; leaving midway
(or "Cancel") writes nothing. The API takes every step's answers in one request."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.automation.models import Wizard
from kesher.automation.wizards import (
    step_form,
    step_title,
    wizard_allowed,
    wizard_finish,
    wizards_for,
)
from kesher.platform.registry import registry

SKIP = {"csrfmiddlewaretoken", "move"}


def _wizard(user, pk) -> Wizard:
    wizard = get_object_or_404(Wizard.objects.prefetch_related("roles"), pk=pk)
    if not wizard_allowed(wizard, user):
        raise PermissionDenied
    return wizard


@login_required
@require_GET
def wizard_list(request):
    """The wizards the user may start."""
    return render(request, "automation/wizards.html", {"wizards": wizards_for(request.user)})


def _draft_key(wizard: Wizard) -> str:
    return f"kesher_wizard_{wizard.pk}_{wizard.version}"


def _kept(post) -> str:
    data = post.copy()
    for name in SKIP:
        data.pop(name, None)
    return data.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def wizard_page(request, pk):
    """One step of a wizard. "Next" keeps the step's answers in the session; "Back" returns;
    the last step writes every record; "Cancel" forgets the answers (nothing was written)."""
    wizard = _wizard(request.user, pk)
    key = _draft_key(wizard)
    draft = request.session.get(key) or {"step": 0, "answers": []}
    move = request.POST.get("move", "next")
    if request.method == "POST" and move == "cancel":
        request.session.pop(key, None)
        messages.info(request, _("The wizard was cancelled; nothing was saved."))
        return redirect("automation_wizards")
    index = min(draft["step"], len(wizard.steps) - 1)
    stored = draft["answers"][index] if index < len(draft["answers"]) else None
    form = step_form(wizard, index, request.user, QueryDict(stored) if stored else None)
    errors: list[str] = []
    if request.method == "POST" and move == "back":
        draft["answers"][index:] = [_kept(request.POST), *draft["answers"][index + 1 :]]
        draft["step"] = max(index - 1, 0)
        request.session[key] = draft
        return redirect("automation_wizard", pk=wizard.pk)
    if request.method == "POST":
        form = step_form(wizard, index, request.user, request.POST)
        if form.is_valid():
            draft["answers"] = [*draft["answers"][:index], _kept(request.POST)]
            if index + 1 < len(wizard.steps):
                draft["step"] = index + 1
                request.session[key] = draft
                return redirect("automation_wizard", pk=wizard.pk)
            try:
                made = wizard_finish(
                    wizard,
                    actor=request.user,
                    answers=[QueryDict(answers) for answers in draft["answers"]],
                )
            except ValidationError as error:
                index, form, errors = _failed_step(wizard, request.user, draft, error)
                draft["step"] = index
                request.session[key] = draft
            else:
                request.session.pop(key, None)
                messages.success(request, _("Done: %(n)s records were saved.") % {"n": len(made)})
                first = made[0]
                return redirect(
                    reverse("entity_detail", args=[registry.for_model(first).key, first.pk])
                )
        else:
            request.session[key] = draft
    context = {
        "wizard": wizard,
        "form": form,
        "errors": errors,
        "index": index,
        "steps": [step_title(step) for step in wizard.steps],
        "title": step_title(wizard.steps[index]),
        "last": index + 1 == len(wizard.steps),
    }
    return render(request, "automation/wizard.html", context)


def _failed_step(wizard, user, draft, error: ValidationError):
    """The step an error of the last write names, its form showing the error there."""
    index, found = len(wizard.steps) - 1, []
    for name, texts in error.message_dict.items():
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] == "steps" and parts[1].isdigit():
            index = min(index, int(parts[1]) - 1)
        found.append((parts[2] if len(parts) > 2 else None, texts))
    form = step_form(wizard, index, user, QueryDict(draft["answers"][index]))
    form.is_valid()
    errors = []
    for field, texts in found:
        for text in texts:
            if field in form.fields:
                form.add_error(field, text)
            else:
                errors.append(text)
    return index, form, errors


# --- the API -----------------------------------------------------------------------------------


class UsableWizardStepSerializer(serializers.Serializer):
    entity = serializers.CharField()
    title = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    links = serializers.DictField(child=serializers.IntegerField())


class UsableWizardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField()
    steps = UsableWizardStepSerializer(many=True)


class WizardFinishRequestSerializer(serializers.Serializer):
    steps = serializers.ListField(
        child=serializers.DictField(), help_text="Each step's fields and values, in order."
    )


class WizardRecordSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    entity = serializers.CharField()
    id = serializers.IntegerField()
    display = serializers.CharField()


class WizardFinishedSerializer(serializers.Serializer):
    records = WizardRecordSerializer(many=True)


class WizardList(APIView):
    """The wizards the caller may use, with each step's entity and fields."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["automation"],
        responses=UsableWizardSerializer(many=True),
        examples=[
            OpenApiExample(
                "New customer",
                value=[
                    {
                        "id": 2,
                        "name": "לקוח חדש",
                        "description": "",
                        "steps": [
                            {
                                "entity": "accounts",
                                "title": "הלקוח",
                                "fields": ["name"],
                                "links": {},
                            },
                            {
                                "entity": "opportunities",
                                "title": "עסקה ראשונה",
                                "fields": ["name", "amount"],
                                "links": {"account": 1},
                            },
                        ],
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        return Response(
            [
                {
                    "id": w.pk,
                    "name": w.name,
                    "description": w.description,
                    "steps": [
                        {
                            "entity": s["entity"],
                            "title": step_title(s),
                            "fields": s["fields"],
                            "links": s["links"],
                        }
                        for s in w.steps
                    ],
                }
                for w in wizards_for(request.user)
            ]
        )


class WizardFinish(APIView):
    """Every step's answers at once: the records are written in one transaction and
    returned (201); an error in any step answers 400 naming it (``steps.<n>.<field>``) and
    writes nothing."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["automation"],
        request=WizardFinishRequestSerializer,
        responses={201: WizardFinishedSerializer},
        examples=[
            OpenApiExample(
                "A customer and its first deal",
                value={
                    "steps": [{"name": "אלון תעשיות"}, {"name": "ריהוט משרדי", "amount": "12000"}]
                },
                request_only=True,
            ),
            OpenApiExample(
                "Made",
                value={
                    "records": [
                        {"step": 1, "entity": "accounts", "id": 41, "display": "אלון תעשיות"},
                        {"step": 2, "entity": "opportunities", "id": 77, "display": "ריהוט משרדי"},
                    ]
                },
                response_only=True,
            ),
        ],
    )
    def post(self, request, pk):
        wizard = _wizard(request.user, pk)
        data = request.data if isinstance(request.data, dict) else {}
        made = wizard_finish(wizard, actor=request.user, answers=data.get("steps"))
        records = [
            {
                "step": number,
                "entity": registry.for_model(record).key,
                "id": record.pk,
                "display": str(record),
            }
            for number, record in enumerate(made, start=1)
        ]
        return Response({"records": records}, status=201)
