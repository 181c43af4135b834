"""The roll-out's API (REQ IMPL-1, IMPL-2, AU-2). Administrators read and write the project,
its items, the mapped processes and who is trained; every signed-in user reads and marks his
own exercises. The stages, items and exercises themselves are registry resources
(``/api/v1/rollout-stages/``, ``/api/v1/rollout-items/``, ``/api/v1/training-exercises/``)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.org.models import User
from kesher.platform.access import is_admin
from kesher.platform.api.permissions import ActiveUser
from kesher.rollout import selectors, services
from kesher.rollout.models import Exercise, Item, MappedProcess

__all__ = [
    "ItemTickView",
    "MyTrainingView",
    "ProcessInstallView",
    "ProcessListView",
    "ProcessUninstallView",
    "ProcessView",
    "ProjectView",
    "TrainingConfirmView",
    "TrainingView",
]


def _admin(request) -> None:
    if not is_admin(request.user):
        raise PermissionDenied()


class RolloutProjectSerializer(serializers.Serializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    budget = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, allow_null=True, required=False
    )
    starts_on = serializers.DateField(allow_null=True, required=False)
    go_live_on = serializers.DateField(allow_null=True, required=False)
    notes = serializers.CharField(allow_blank=True, required=False)
    advanced_users = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), many=True, required=False
    )


def _overview_json(overview: dict) -> dict:
    project = overview["project"]
    return {
        "owner": project.owner_id,
        "budget": str(project.budget) if project.budget is not None else None,
        "starts_on": project.starts_on,
        "go_live_on": project.go_live_on,
        "notes": project.notes,
        "advanced_users": list(project.advanced_users.values_list("pk", flat=True)),
        "done": overview["done"],
        "total": overview["total"],
        "percent": overview["percent"],
        "stages": [
            {
                "id": s["stage"].pk,
                "key": s["stage"].key,
                "name": str(s["stage"]),
                "done": s["done"],
                "total": s["total"],
                "items": [
                    {
                        "id": r["item"].pk,
                        "key": r["item"].key,
                        "name": str(r["item"]),
                        "link": r["item"].link,
                        "automatic": r["automatic"],
                        "done": r["done"],
                    }
                    for r in s["items"]
                ],
                "remaining": [i.key for i in s["remaining"]],
            }
            for s in overview["stages"]
        ],
    }


OVERVIEW_EXAMPLE = {
    "owner": 1,
    "budget": "45000.00",
    "starts_on": "2027-01-03",
    "go_live_on": "2027-03-01",
    "notes": "",
    "advanced_users": [4],
    "done": 9,
    "total": 27,
    "percent": 33,
    "stages": [
        {
            "id": 3,
            "key": "people",
            "name": "Users and permissions",
            "done": 1,
            "total": 3,
            "items": [
                {
                    "id": 10,
                    "key": "departments",
                    "name": "The department tree",
                    "link": "/r/departments/",
                    "automatic": True,
                    "done": True,
                }
            ],
            "remaining": ["users", "roles"],
        }
    ],
}


class ProjectView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="The roll-out project",
        description="Its lead, budget and schedule, and each stage with its items, progress "
        "and what remains. Administrators only.",
        responses={200: dict},
        examples=[OpenApiExample("Half done", value=OVERVIEW_EXAMPLE, response_only=True)],
    )
    def get(self, request):
        return Response(_overview_json(selectors.rollout_overview(request.user)))

    @extend_schema(
        summary="Change the roll-out project",
        request=RolloutProjectSerializer,
        responses={200: dict},
        examples=[
            OpenApiExample(
                "Schedule",
                value={"owner": 1, "budget": "45000", "go_live_on": "2027-03-01"},
                request_only=True,
            )
        ],
    )
    def patch(self, request):
        _admin(request)
        serializer = RolloutProjectSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        advanced = data.pop("advanced_users", None)
        services.project_update(actor=request.user, data=data, advanced_users=advanced)
        return Response(_overview_json(selectors.rollout_overview(request.user)))


class RolloutTickSerializer(serializers.Serializer):
    done = serializers.BooleanField()


class ItemTickView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Tick or untick a roll-out item",
        description="Items Kesher checks by itself (automatic) cannot be ticked by hand (400).",
        request=RolloutTickSerializer,
        responses={200: dict},
        examples=[OpenApiExample("Go-live", value={"done": True}, request_only=True)],
    )
    def post(self, request, pk):
        _admin(request)
        item = get_object_or_404(Item, pk=pk)
        serializer = RolloutTickSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.item_tick(item, actor=request.user, done=serializer.validated_data["done"])
        return Response({"id": item.pk, "key": item.key, "done": item.done_at is not None})


class MappedStageSerializer(serializers.Serializer):
    value = serializers.CharField()
    label_he = serializers.CharField()
    label_en = serializers.CharField(required=False, allow_blank=True)


class MappedPartySerializer(serializers.Serializer):
    key = serializers.CharField()
    name_he = serializers.CharField()
    name_en = serializers.CharField(required=False, allow_blank=True)
    like = serializers.CharField(required=False, allow_blank=True)
    duty = serializers.CharField(required=False, allow_blank=True)


class MappedTriggerSerializer(serializers.Serializer):
    on = serializers.CharField()
    do = serializers.ChoiceField(choices=["task", "email"])
    party = serializers.CharField(required=False, allow_blank=True)
    title = serializers.CharField()
    hours = serializers.IntegerField(required=False, min_value=1, max_value=720)


class MappedProcessSerializer(serializers.Serializer):
    """A process mapped by seed 000's six questions."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(max_length=120)
    target = serializers.ChoiceField(choices=MappedProcess.Target.choices, required=False)
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), allow_null=True, required=False
    )
    owner_note = serializers.CharField(required=False, allow_blank=True, max_length=300)
    contributors = serializers.CharField(required=False, allow_blank=True)
    parties = MappedPartySerializer(many=True, required=False)
    stages = MappedStageSerializer(many=True)
    triggers = MappedTriggerSerializer(many=True, required=False)
    links = serializers.CharField(required=False, allow_blank=True)
    install_key = serializers.CharField(read_only=True)


PROCESS_EXAMPLE = {
    "name": "טיפול בפניית שירות",
    "target": "tickets",
    "owner": 2,
    "owner_note": "מנהל תחום שירות הלקוחות",
    "contributors": "הלקוח פותח את הפנייה בפורטל.",
    "parties": [
        {
            "key": "developer",
            "name_he": "צוות הפיתוח",
            "name_en": "Developers",
            "like": "support_agent",
        }
    ],
    "stages": [
        {"value": "new", "label_he": "חדשה", "label_en": "New"},
        {"value": "in_development", "label_he": "בפיתוח", "label_en": "In development"},
        {"value": "closed", "label_he": "סגורה", "label_en": "Closed"},
    ],
    "triggers": [
        {"on": "in_development", "do": "task", "party": "developer", "title": "לתקן", "hours": 16}
    ],
    "links": "",
}


class ProcessListView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(summary="Mapped processes", responses=MappedProcessSerializer(many=True))
    def get(self, request):
        return Response(
            MappedProcessSerializer(selectors.processes_list(request.user), many=True).data
        )

    @extend_schema(
        summary="Map a process",
        request=MappedProcessSerializer,
        responses={201: MappedProcessSerializer},
        examples=[OpenApiExample("Service", value=PROCESS_EXAMPLE, request_only=True)],
    )
    def post(self, request):
        _admin(request)
        serializer = MappedProcessSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        process = services.mapped_process_save(actor=request.user, data=serializer.validated_data)
        return Response(MappedProcessSerializer(process).data, status=status.HTTP_201_CREATED)


class ProcessView(APIView):
    permission_classes = [ActiveUser]

    def _get(self, request, pk) -> MappedProcess:
        return get_object_or_404(selectors.processes_list(request.user), pk=pk)

    @extend_schema(summary="A mapped process", responses=MappedProcessSerializer)
    def get(self, request, pk):
        return Response(MappedProcessSerializer(self._get(request, pk)).data)

    @extend_schema(
        summary="Change a mapped process",
        description="Its stages, parties and triggers stay while it is installed (400).",
        request=MappedProcessSerializer,
        responses=MappedProcessSerializer,
        examples=[OpenApiExample("Rename", value={"name": "פניות שירות"}, request_only=True)],
    )
    def patch(self, request, pk):
        process = self._get(request, pk)
        serializer = MappedProcessSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        process = services.mapped_process_save(
            actor=request.user, data=serializer.validated_data, process=process
        )
        return Response(MappedProcessSerializer(process).data)

    @extend_schema(summary="Delete a mapped process (not while installed)", responses={204: None})
    def delete(self, request, pk):
        services.mapped_process_delete(self._get(request, pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProcessInstallView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Turn a mapped process into Kesher",
        description="Its stages become ticket statuses or a pipeline's stages, its parties "
        "roles, its triggers rules with task and e-mail templates — all or nothing (400 says "
        "which part does not fit).",
        request=None,
        responses=MappedProcessSerializer,
    )
    def post(self, request, pk):
        _admin(request)
        process = get_object_or_404(MappedProcess, pk=pk)
        process = services.mapped_process_install(process, actor=request.user)
        return Response(MappedProcessSerializer(process).data)


class ProcessUninstallView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Remove a mapped process from Kesher",
        description="Only while nothing it made is in use (400 says what is).",
        request=None,
        responses=MappedProcessSerializer,
    )
    def post(self, request, pk):
        _admin(request)
        process = get_object_or_404(MappedProcess, pk=pk)
        process = services.mapped_process_uninstall(process, actor=request.user)
        return Response(MappedProcessSerializer(process).data)


def _states_json(states: list[dict]) -> list[dict]:
    return [
        {"exercise": s["exercise"].pk, "title": str(s["exercise"]), "status": s["status"]}
        for s in states
    ]


STATES_EXAMPLE = [{"exercise": 2, "title": "Create a new account", "status": "marked"}]


class TrainingView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Who is trained",
        description="Each active user's exercises: open, marked (by the user), detected (seen "
        "done in the practice environment) or confirmed (by an administrator).",
        responses={
            200: inline_serializer(
                "TrainingRow",
                fields={
                    "user": serializers.IntegerField(),
                    "done": serializers.IntegerField(),
                    "total": serializers.IntegerField(),
                    "complete": serializers.BooleanField(),
                    "advanced": serializers.BooleanField(),
                },
                many=True,
            )
        },
        examples=[
            OpenApiExample(
                "One user",
                value=[
                    {
                        "user": 4,
                        "done": 1,
                        "total": 3,
                        "complete": False,
                        "advanced": False,
                        "exercises": STATES_EXAMPLE,
                    }
                ],
                response_only=True,
            )
        ],
    )
    def get(self, request):
        rows = selectors.training_rows(user=request.user)
        return Response(
            [
                {
                    "user": row["user"].pk,
                    "done": row["done"],
                    "total": row["total"],
                    "complete": row["complete"],
                    "advanced": row["advanced"],
                    "exercises": _states_json(row["exercises"]),
                }
                for row in rows
            ]
        )


class RolloutConfirmSerializer(serializers.Serializer):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all())
    exercise = serializers.PrimaryKeyRelatedField(queryset=Exercise.objects.all())
    done = serializers.BooleanField(default=True)


class TrainingConfirmView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="Confirm that a user did an exercise",
        request=RolloutConfirmSerializer,
        responses={200: dict},
        examples=[
            OpenApiExample(
                "Confirm", value={"user": 4, "exercise": 2, "done": True}, request_only=True
            )
        ],
    )
    def post(self, request):
        _admin(request)
        serializer = RolloutConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        record = services.exercise_confirm(
            data["exercise"], data["user"], actor=request.user, done=data["done"]
        )
        return Response({"confirmed_at": record.confirmed_at})


class RolloutMarkSerializer(serializers.Serializer):
    exercise = serializers.IntegerField()
    done = serializers.BooleanField(default=True)


class MyTrainingView(APIView):
    permission_classes = [ActiveUser]

    @extend_schema(
        summary="My training exercises",
        responses={200: dict},
        examples=[
            OpenApiExample(
                "Mine",
                value={"done": 0, "total": 1, "exercises": STATES_EXAMPLE},
                response_only=True,
            )
        ],
    )
    def get(self, request):
        mine = selectors.my_training(request.user)
        return Response(
            {
                "done": mine["done"],
                "total": mine["total"],
                "exercises": _states_json(mine["exercises"]),
            }
        )

    @extend_schema(
        summary="Mark one of my exercises done (or not)",
        request=RolloutMarkSerializer,
        responses={200: dict, 404: OpenApiResponse(description="No such exercise.")},
        examples=[OpenApiExample("Done", value={"exercise": 2, "done": True}, request_only=True)],
    )
    def post(self, request):
        serializer = RolloutMarkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        exercise = get_object_or_404(Exercise, pk=serializer.validated_data["exercise"])
        record = services.exercise_mark(
            exercise, actor=request.user, done=serializer.validated_data["done"]
        )
        return Response({"marked_at": record.marked_at})
