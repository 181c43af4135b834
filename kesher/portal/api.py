"""The staff's portal API: who has portal access, inviting a contact and revoking his access
(``/api/v1/portal-users/``; REQ OR-2; decision 0079). A contact the caller may not see is not
found; inviting and revoking take the right to change contacts."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.customers.models import Contact
from kesher.platform.access import can
from kesher.portal.models import PortalUser
from kesher.portal.services import portal_invite, portal_revoke

__all__ = ["PortalUserRevokeView", "PortalUsersView"]


class PortalUserSerializer(serializers.ModelSerializer):
    class Meta:
        model = PortalUser
        fields = [
            "id",
            "contact",
            "email",
            "language",
            "is_active",
            "invited_at",
            "last_login",
            "revoked_at",
            "has_password",
            "has_totp",
        ]
        read_only_fields = fields

    has_password = serializers.BooleanField(read_only=True)
    has_totp = serializers.BooleanField(read_only=True)


class InviteSerializer(serializers.Serializer):
    contact = serializers.IntegerField(help_text="The contact's id.")
    email = serializers.EmailField(
        required=False, help_text="The address he signs in with; default: the contact's e-mail."
    )
    language = serializers.ChoiceField(
        choices=PortalUser.Language.choices, required=False, help_text="Default: Hebrew."
    )


USER_EXAMPLE = {
    "id": 7,
    "contact": 1204,
    "email": "dana@example.co.il",
    "language": "he",
    "is_active": True,
    "invited_at": "2026-12-06T10:15:00+02:00",
    "last_login": None,
    "revoked_at": None,
    "has_password": False,
    "has_totp": False,
}


def _contacts(request, action: str):
    if not can(request.user, "contacts", action):
        raise PermissionDenied
    return Contact.objects.visible_to(request.user)


class PortalUsersView(APIView):
    """The portal users of the contacts the caller may see; a POST invites a contact."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["portal"],
        operation_id="portal_users_list",
        summary="Contacts with portal access",
        responses={200: PortalUserSerializer(many=True)},
        examples=[OpenApiExample("One invited contact", value=[USER_EXAMPLE])],
    )
    def get(self, request):
        contacts = _contacts(request, "view")
        users = PortalUser.objects.filter(contact__in=contacts.values("pk")).order_by(
            "email", "pk"
        )[:500]
        return Response(PortalUserSerializer(users, many=True).data)

    @extend_schema(
        tags=["portal"],
        operation_id="portal_users_invite",
        summary="Invite a contact to the portal",
        description=(
            "Creates (or restores) the contact's portal access and e-mails him a link to set "
            "his password; inviting an active user again sends the link again."
        ),
        request=InviteSerializer,
        responses={201: PortalUserSerializer},
        examples=[
            OpenApiExample("Invite", value={"contact": 1204, "language": "he"}, request_only=True),
            OpenApiExample("Invited", value=USER_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request):
        contacts = _contacts(request, "change")
        data = InviteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = contacts.filter(pk=data.validated_data["contact"]).first()
        if contact is None:
            raise serializers.ValidationError(
                {"contact": ["No such contact, or you may not see it."]}
            )
        portal_user = portal_invite(
            contact,
            actor=request.user,
            email=data.validated_data.get("email", ""),
            language=data.validated_data.get("language", ""),
        )
        return Response(PortalUserSerializer(portal_user).data, status=status.HTTP_201_CREATED)


class PortalUserRevokeView(APIView):
    """End a contact's portal access: he can no longer sign in, his sessions end."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["portal"],
        operation_id="portal_users_revoke",
        summary="Revoke a contact's portal access",
        request=None,
        responses={200: PortalUserSerializer},
        examples=[
            OpenApiExample(
                "Revoked",
                value={
                    **USER_EXAMPLE,
                    "is_active": False,
                    "revoked_at": "2026-12-07T09:00:00+02:00",
                },
            )
        ],
    )
    def post(self, request, pk):
        contacts = _contacts(request, "change")
        portal_user = PortalUser.objects.filter(pk=pk, contact__in=contacts.values("pk")).first()
        if portal_user is None:
            raise NotFound
        portal_user = portal_revoke(portal_user, actor=request.user)
        return Response(PortalUserSerializer(portal_user).data)
