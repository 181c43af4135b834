"""Marketing's own pages: a mass send's actions (test, send, schedule, stop, send the unknown
again) and the public unsubscribe page (REQ MK-2; Communications Law §30A)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from kesher.marketing import services
from kesher.marketing.models import Consent, Purpose
from kesher.marketing.sending import recipient_of_token
from kesher.platform.ui.pages import entity_for, record_for

ACTIONS = ("test", "send", "schedule", "cancel", "resend-unknown")


@login_required
@require_POST
def send_action(request, pk, action):
    """One of a send's actions, by its owner or anyone who may change sends."""
    if action not in ACTIONS:
        raise Http404
    entity = entity_for("campaign-sends", request.user, "change")
    send = record_for(entity, request.user, pk)
    try:
        if action == "test":
            services.send_test(send, actor=request.user, to=request.POST.get("to", ""))
            messages.success(request, _("A test message was queued."))
        elif action == "send":
            send = services.send_queue(send, actor=request.user)
            messages.success(request, _("Queued for %(n)s recipients.") % {"n": send.audience or 0})
        elif action == "schedule":
            services.send_schedule(send, actor=request.user)
            messages.success(request, _("The send is scheduled."))
        elif action == "cancel":
            services.send_cancel(send, actor=request.user)
            messages.success(request, _("The send was stopped."))
        else:
            count = services.send_resend_unknown(send, actor=request.user)
            messages.success(request, _("%(n)s recipients are queued again.") % {"n": count})
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    return redirect(reverse("entity_detail", args=["campaign-sends", send.pk]))


@csrf_exempt  # the one-click unsubscribe POST of RFC 8058 comes from the mail client
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """The refusal link of every advertising message: a page asking to confirm (a link
    scanner's GET changes nothing), and the POST that records the refusal at once."""
    recipient = recipient_of_token(token)
    if recipient is None or not (recipient.contact_id or recipient.lead_id):
        raise Http404
    send = recipient.send
    done = False
    if request.method == "POST":
        services.consent_refuse(
            contact=recipient.contact,
            lead=recipient.lead,
            channel=send.channel,
            purpose=send.purpose or Purpose.ADVERTISING,
            method="link",
            source=_("Unsubscribe link of “%(send)s”") % {"send": send.name},
            proof=f"recipient {recipient.pk}; {request.META.get('REMOTE_ADDR', '')}",
        )
        done = True
    return render(
        request,
        "marketing/unsubscribe.html",
        {"send": send, "done": done, "kind": Consent.Kind.REFUSAL},
    )
