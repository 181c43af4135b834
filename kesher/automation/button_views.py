"""Pressing buttons: the questions' form and a press's progress (htmx partials of
``automation/button.html``), and the API to list an entity's buttons, press one for records
with answers, and follow the press (REQ CX-7; decision 0108). The checks are the services'."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.automation.buttons import (
    answers_form,
    button_allowed,
    button_press,
    buttons_for,
    job_for,
    job_runs,
    label_of,
)
from kesher.automation.models import Button, ButtonJob
from kesher.platform.registry import registry
from kesher.platform.ui.pages import render_partial

TEMPLATE = "automation/button.html"


def _button(user, pk) -> Button:
    button = get_object_or_404(Button.objects.select_related("rule"), pk=pk, enabled=True)
    if not button_allowed(button, user):
        raise PermissionDenied
    return button


def _submitted_answers(button: Button, data) -> dict:
    answers = {}
    for question in button.questions:
        name = f"answer_{question['key']}"
        if question["type"] == "boolean":
            answers[question["key"]] = bool(data.get(name))
        else:
            answers[question["key"]] = data.get(name, "")
    return answers


def _form_errors(form, error: ValidationError) -> list[str]:
    """The service's errors beside the questions they name; the others as a list."""
    others = []
    for key, messages in error.message_dict.items():
        name = f"answer_{key.removeprefix('answers.')}"
        for message in messages:
            if name in form.fields:
                # The form's own check found most of them already.
                if message not in form.errors.get(name, []):
                    form.add_error(name, message)
            else:
                others.append(message)
    return others


@login_required
@require_http_methods(["GET", "POST"])
def button_press_view(request, pk):
    """GET: the button's questions for the chosen records (``ids``). POST: press it; the
    answer is the press's progress, or the form with its errors (nothing written)."""
    button = _button(request.user, pk)
    data = request.POST if request.method == "POST" else request.GET
    ids = [value for value in data.getlist("ids") if value][:10_000]
    form = answers_form(button, request.POST if request.method == "POST" else None)
    context = {"button": button, "form": form, "ids": ids, "errors": []}
    if not ids:
        context["errors"] = [_("Select the records first.")]
    elif request.method == "POST":
        try:
            job = button_press(
                button,
                actor=request.user,
                ids=ids,
                answers=_submitted_answers(button, request.POST),
            )
        except ValidationError as error:
            form.is_valid()
            context["errors"] = _form_errors(form, error)
        else:
            context.update(job=job, runs=job_runs(job))
            return render_partial(request, TEMPLATE, context, "progress")
    return render_partial(request, TEMPLATE, context, "form")


@login_required
@require_GET
def button_job_view(request, pk):
    """A press's progress, polled by the page until its runs have finished."""
    job = job_for(request.user, pk)
    if job is None:
        raise Http404
    context = {"button": job.button, "job": job, "runs": job_runs(job)}
    return render_partial(request, TEMPLATE, context, "progress")


# --- the API -----------------------------------------------------------------------------------


class ButtonQuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    type = serializers.ChoiceField(
        choices=["text", "long_text", "integer", "decimal", "date", "boolean", "choice"]
    )
    required = serializers.BooleanField()
    choices = serializers.ListField(child=serializers.DictField(), required=False)


class PressableButtonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    label = serializers.CharField()
    on_record = serializers.BooleanField()
    on_list = serializers.BooleanField()
    questions = ButtonQuestionSerializer(many=True)


class ButtonPressSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        help_text="The records to run it on (at most 10,000).",
    )
    answers = serializers.DictField(
        required=False, help_text="The answer to each question, by its key."
    )


class ButtonJobSerializer(serializers.Serializer):
    job = serializers.IntegerField(source="pk")
    status = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField(help_text="Records handled so far.")
    queued = serializers.IntegerField(help_text="Rule runs made (one per record at most).")
    skipped_count = serializers.IntegerField()
    skipped = serializers.ListField(child=serializers.DictField())
    runs = serializers.DictField(child=serializers.JSONField(), source="runs_summary")
    url = serializers.CharField()


def _question(question: dict) -> dict:
    item = {**question, "label": label_of(question)}
    if "choices" in item:
        item["choices"] = [{"value": c["value"], "label": label_of(c)} for c in item["choices"]]
    return item


def _job_answer(request, job: ButtonJob) -> dict:
    job.runs_summary = job_runs(job)
    job.url = request.build_absolute_uri(reverse("api_button_job", args=[job.pk]))
    return ButtonJobSerializer(job).data


JOB_EXAMPLE = OpenApiExample(
    "Queued",
    value={
        "job": 12,
        "status": "running",
        "total": 1000,
        "done": 250,
        "queued": 248,
        "skipped_count": 2,
        "skipped": [{"id": 17, "reason": "Not found, or you may not see it."}],
        "runs": {"waiting": 248, "done": 0, "failed": 0, "stopped": 0, "finished": False},
        "url": "https://crm.example.co.il/api/v1/button-jobs/12/",
    },
    response_only=True,
)


class ButtonList(APIView):
    """The buttons the caller may press on records of one entity (``entity``), with the
    questions each asks."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["automation"],
        parameters=[OpenApiParameter("entity", str, required=True, description="accounts…")],
        responses=PressableButtonSerializer(many=True),
        examples=[
            OpenApiExample(
                "One button",
                value=[
                    {
                        "id": 3,
                        "label": "סגירה כלא רלוונטי",
                        "on_record": True,
                        "on_list": True,
                        "questions": [
                            {"key": "reason", "label": "סיבה", "type": "text", "required": True}
                        ],
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        key = request.query_params.get("entity", "")
        if key not in list(registry.keys()):
            raise ValidationError({"entity": [_("Choose the kind of record.")]})
        shown = {b.pk: b for b in buttons_for(request.user, key)}
        shown.update({b.pk: b for b in buttons_for(request.user, key, on_list=True)})
        return Response(
            [
                {
                    "id": b.pk,
                    "label": b.label,
                    "on_record": b.on_record,
                    "on_list": b.on_list,
                    "questions": [_question(q) for q in b.questions],
                }
                for b in sorted(shown.values(), key=lambda b: (b.order, b.pk))
            ]
        )


class ButtonPress(APIView):
    """Press a button for records with the answers to its questions: 202 with the job to
    follow. Wrong answers: 400 naming the question (``answers.<key>``), nothing written."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["automation"],
        request=ButtonPressSerializer,
        responses={202: ButtonJobSerializer},
        examples=[
            OpenApiExample(
                "Press for three accounts",
                value={"ids": [12, 13, 14], "answers": {"reason": "עבר למתחרה"}},
                request_only=True,
            ),
            JOB_EXAMPLE,
        ],
    )
    def post(self, request, pk):
        button = _button(request.user, pk)
        data = request.data if isinstance(request.data, dict) else {}
        job = button_press(
            button, actor=request.user, ids=data.get("ids"), answers=data.get("answers")
        )
        return Response(_job_answer(request, job), status=202)


class ButtonJobDetail(APIView):
    """How a press goes: records handled, runs made, skipped records and why, and the runs'
    outcomes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["automation"], responses=ButtonJobSerializer, examples=[JOB_EXAMPLE])
    def get(self, request, pk):
        job = job_for(request.user, pk)
        if job is None:
            raise Http404
        return Response(_job_answer(request, job))
