"""The staff's side of the portal on a contact's page: invite him, or revoke his access
(REQ OR-2; decision 0079). The contact must be one the user may change."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.platform.ui.pages import entity_for, record_for
from kesher.portal.models import PortalUser
from kesher.portal.services import portal_invite, portal_revoke


def _contact(request, pk):
    entity = entity_for("contacts", request.user, "change")
    return record_for(entity, request.user, pk)


@login_required
@require_POST
def invite(request, pk):
    contact = _contact(request, pk)
    try:
        portal_user = portal_invite(
            contact, actor=request.user, language=request.POST.get("language", "")
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("An invitation to the portal was sent to %(email)s.") % {"email": portal_user.email},
        )
    return redirect(reverse("entity_detail", args=["contacts", contact.pk]))


@login_required
@require_POST
def revoke(request, pk):
    contact = _contact(request, pk)
    portal_user = PortalUser.objects.filter(contact=contact).first()
    if portal_user is not None:
        portal_revoke(portal_user, actor=request.user)
        messages.success(request, _("The contact's portal access is revoked."))
    return redirect(reverse("entity_detail", args=["contacts", contact.pk]))
