"""The signed-in user's own page: language, time zone, personal API tokens; the Django admin's
sign-in sent to Kesher's own."""

import zoneinfo
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.org.models import ApiToken, User
from kesher.org.services import api_token_create, api_token_revoke
from kesher.platform.records.services import record_update


def django_admin_login(request):
    """The Django admin's sign-in page, when an operator turned the admin on: Kesher's sign-in
    with its second factor and throttling (REQ OR-5), then back to where the admin was going.
    Its own password form would sign people in with a password alone."""
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


COMMON_ZONES = ["Asia/Jerusalem", "Europe/London", "Europe/Paris", "America/New_York", "UTC"]


@login_required
def profile(request):
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "token":
            _token, new_key = api_token_create(
                user=request.user, name=request.POST.get("name", ""), actor=request.user
            )
            messages.success(request, _("Token created. Copy it now: it will not be shown again."))
        else:
            zone = request.POST.get("time_zone", "")
            if zone not in zoneinfo.available_timezones():
                messages.error(request, _("Unknown time zone."))
            else:
                # request.user is a lazy proxy; the service needs the model instance itself.
                record_update(
                    User.objects.get(pk=request.user.pk),
                    actor=request.user,
                    data={"time_zone": zone, "language": request.POST.get("language", "he")},
                )
                messages.success(request, _("Preferences saved."))
                return redirect("profile")
    tokens = ApiToken.objects.filter(user=request.user, revoked_at__isnull=True)
    return render(
        request,
        "org/profile.html",
        {"tokens": tokens, "new_key": new_key, "zones": COMMON_ZONES},
    )


@require_POST
@login_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    api_token_revoke(token, actor=request.user)
    messages.success(request, _("Token revoked."))
    return redirect("profile")
