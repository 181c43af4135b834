"""Telephony pages' endpoints (REQ IN-2): click-to-dial through the phone system."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from kesher.telephony.services import dial

__all__ = ["dial_number"]


@require_POST
def dial_number(request):
    """A click on a number, for a user whose extension dials through the phone system: JSON
    ``{"status": "sent" | "suppressed" | "failed", "detail": ...}``; 400 with the reason."""
    from django.contrib.auth.views import redirect_to_login
    from django.core.exceptions import ValidationError

    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    try:
        result = dial(actor=request.user, number=request.POST.get("number", ""))
    except ValidationError as error:
        return JsonResponse({"errors": error.message_dict}, status=400)
    return JsonResponse({"status": result.status, "detail": str(result.detail)})
