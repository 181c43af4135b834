"""The API of working together (issue 23 item 4): a record's notes (read, write with
mentions), following a record (whether, who, follow, unfollow) and one's feed.

A record is named in the path by its entity's key and id, as on its page; one out of the
caller's scope answers 404, an entity he may not view 403. Bad input answers 400 in the
caller's language, with nothing written.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.collab import selectors, services
from kesher.platform.ui.pages import entity_for, record_for

__all__ = ["FeedView", "FollowingView", "NotesView", "entry_data"]


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField(source="__str__")


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    body = serializers.CharField(read_only=True, help_text="Plain text, as written.")
    author = PersonSerializer(read_only=True, allow_null=True)
    mentions = PersonSerializer(many=True, read_only=True, source="mentions.all")
    created_at = serializers.DateTimeField(read_only=True)


class NoteWriteSerializer(serializers.Serializer):
    body = serializers.CharField(
        max_length=services.BODY_MAX,
        trim_whitespace=False,
        help_text="The note, plain text (shown escaped; HTML is not interpreted).",
    )
    mentions = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        max_length=services.MENTIONS_MAX,
        help_text="Ids of active users to mention; each must be allowed to see the record.",
    )


class FollowingSerializer(serializers.Serializer):
    following = serializers.BooleanField(help_text="Whether the caller follows the record.")
    followers = PersonSerializer(many=True)


class FeedChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class FeedEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=["change", "note"])
    entity = serializers.CharField(source="entity.key")
    record_id = serializers.IntegerField(source="record.pk")
    record = serializers.CharField(source="record.__str__")
    url = serializers.CharField()
    actor = PersonSerializer(allow_null=True)
    text = serializers.CharField(help_text="What happened, in the caller's language.")
    changes = serializers.SerializerMethodField()
    note = NoteSerializer(allow_null=True)

    def get_changes(self, entry) -> list[dict]:
        return [{"field": label, "old": old, "new": new} for label, old, new in entry.rows]


def _person(user) -> dict | None:
    return None if user is None else {"id": user.pk, "name": str(user)}


def note_data(note) -> dict:
    """A note as ``NoteSerializer`` describes it."""
    return {
        "id": note.pk,
        "body": note.body,
        "author": _person(note.author),
        "mentions": [_person(user) for user in note.mentions.all()],
        "created_at": serializers.DateTimeField().to_representation(note.created_at),
    }


def entry_data(entry) -> dict:
    """A line of the feed as ``FeedEntrySerializer`` describes it, written out by hand: the
    feed is read often, and the nested serializers cost it a third of its time."""
    return {
        "id": entry.id,
        "at": serializers.DateTimeField().to_representation(entry.at),
        "kind": entry.kind,
        "entity": entry.entity.key,
        "record_id": entry.record.pk,
        "record": str(entry.record),
        "url": entry.url,
        "actor": _person(entry.actor),
        "text": entry.text,
        "changes": [{"field": label, "old": old, "new": new} for label, old, new in entry.rows],
        "note": note_data(entry.note) if entry.note is not None else None,
    }


NOTE_EXAMPLE = OpenApiExample(
    "A note mentioning a colleague",
    value={
        "id": 31,
        "body": "@יוסי לוי הלקוח ביקש הצעה מעודכנת עד יום חמישי",
        "author": {"id": 5, "name": "דנה כהן"},
        "mentions": [{"id": 7, "name": "יוסי לוי"}],
        "created_at": "2026-12-06T10:15:00+02:00",
    },
    response_only=True,
)
REFUSED_MENTION = OpenApiExample(
    "A mention of someone who may not see the record (400, nothing written)",
    value={"mentions": ["רון אבני אינו רשאי לראות רשומה זו: יש לאזכר רק מי שרשאי."]},
    response_only=True,
    status_codes=["400"],
)
FOLLOWING_EXAMPLE = OpenApiExample(
    "Followed by the caller and a colleague",
    value={
        "following": True,
        "followers": [{"id": 5, "name": "דנה כהן"}, {"id": 7, "name": "יוסי לוי"}],
    },
    response_only=True,
)
FEED_EXAMPLE = OpenApiExample(
    "A change and a note",
    value={
        "next": "/api/v1/feed/?cursor=MjAyNi0xMi0wNlQwODoxNTowMCswMDowMHwxMjM",
        "results": [
            {
                "id": 124,
                "at": "2026-12-06T10:20:00+02:00",
                "kind": "change",
                "entity": "deals",
                "record_id": 41,
                "record": "מערכת שיחות לסניף חיפה",
                "url": "/r/deals/41/",
                "actor": {"id": 7, "name": "יוסי לוי"},
                "text": "יוסי לוי שינה את מערכת שיחות לסניף חיפה",
                "changes": [{"field": "שלב", "old": "הצעה", "new": "משא ומתן"}],
                "note": None,
            },
            {
                "id": 123,
                "at": "2026-12-06T10:15:00+02:00",
                "kind": "note",
                "entity": "deals",
                "record_id": 41,
                "record": "מערכת שיחות לסניף חיפה",
                "url": "/r/deals/41/",
                "actor": {"id": 5, "name": "דנה כהן"},
                "text": "דנה כהן כתבה הערה על מערכת שיחות לסניף חיפה",
                "changes": [],
                "note": NOTE_EXAMPLE.value,
            },
        ],
    },
    response_only=True,
)


def _record(request, key, pk):
    entity = entity_for(key, request.user, "view")
    return entity, record_for(entity, request.user, pk)


def _following(request, entity, record) -> dict:
    return {
        "following": selectors.is_following(request.user, entity, record),
        "followers": PersonSerializer(selectors.followers_of(entity, record), many=True).data,
    }


class NotesView(APIView):
    """A record's notes, newest first (50 at most), and a new one with mentions."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["collaboration"],
        operation_id="notes_list",
        summary="A record's notes",
        responses={200: NoteSerializer(many=True)},
        examples=[NOTE_EXAMPLE],
    )
    def get(self, request, key, pk):
        entity, record = _record(request, key, pk)
        return Response(NoteSerializer(selectors.notes_of(entity, record), many=True).data)

    @extend_schema(
        tags=["collaboration"],
        operation_id="notes_create",
        summary="Write a note on a record, mentioning colleagues",
        request=NoteWriteSerializer,
        responses={201: NoteSerializer},
        examples=[
            OpenApiExample(
                "A note with a mention",
                value={"body": "@יוסי לוי הלקוח ביקש הצעה מעודכנת עד יום חמישי", "mentions": [7]},
                request_only=True,
            ),
            NOTE_EXAMPLE,
            REFUSED_MENTION,
        ],
    )
    def post(self, request, key, pk):
        entity, record = _record(request, key, pk)
        body = NoteWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            note = services.note_create(
                actor=request.user,
                entity=entity,
                record=record,
                body=body.validated_data["body"],
                mentions=body.validated_data.get("mentions"),
            )
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


class FollowingView(APIView):
    """Whether the caller follows a record and who does; follow it (POST), unfollow (DELETE)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["collaboration"],
        operation_id="following_get",
        summary="A record's followers",
        responses={200: FollowingSerializer},
        examples=[FOLLOWING_EXAMPLE],
    )
    def get(self, request, key, pk):
        entity, record = _record(request, key, pk)
        return Response(_following(request, entity, record))

    @extend_schema(
        tags=["collaboration"],
        operation_id="following_follow",
        summary="Follow a record",
        request=None,
        responses={200: FollowingSerializer},
        examples=[FOLLOWING_EXAMPLE],
    )
    def post(self, request, key, pk):
        entity, record = _record(request, key, pk)
        try:
            services.follow(actor=request.user, entity=entity, record=record)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from None
        return Response(_following(request, entity, record))

    @extend_schema(
        tags=["collaboration"],
        operation_id="following_unfollow",
        summary="Unfollow a record (its lines leave the caller's feed)",
        request=None,
        responses={204: None},
    )
    def delete(self, request, key, pk):
        entity, record = _record(request, key, pk)
        services.unfollow(actor=request.user, entity=entity, record_id=record.pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class FeedView(APIView):
    """What happened to what the caller follows: newest first, 25 a page, keyset paged
    (``next`` holds the following page's address; no count). Each line about a record he may
    see now, in his language."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["collaboration"],
        operation_id="feed_list",
        summary="My feed of what I follow",
        parameters=[OpenApiParameter("cursor", str, description="The `next` of the page before.")],
        responses={
            200: inline_serializer(
                "FeedPage",
                {
                    "next": serializers.CharField(allow_null=True),
                    "results": FeedEntrySerializer(many=True),
                },
            ),
            400: inline_serializer(
                "FeedCursorError", {"cursor": serializers.ListField(child=serializers.CharField())}
            ),
        },
        examples=[FEED_EXAMPLE],
    )
    def get(self, request):
        cursor = request.query_params.get("cursor", "")
        if cursor and selectors.decode_cursor(cursor[:200]) is None:
            raise ValidationError({"cursor": [_("This is not a page of the feed.")]})
        page = selectors.feed_page(request.user, cursor[:200])
        next_url = None
        if page.next_cursor:
            next_url = request.build_absolute_uri(f"{request.path}?cursor={page.next_cursor}")
        results = [entry_data(entry) for entry in page.entries]
        return Response({"next": next_url, "results": results})
