"""The screen pop's place on every page (REQ IN-2): where the browser reads its pops, and
whether a click on a number dials through the phone system."""

from django import template
from django.urls import reverse

from kesher.telephony.models import PhoneExtension
from kesher.telephony.stream import stream_origin

register = template.Library()


@register.inclusion_tag("telephony/pop.html", takes_context=True)
def telephony_pop(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"shown": False}
    # One indexed query a page; a user with no extension gets no stream (nothing rings him).
    extension = (
        PhoneExtension.objects.filter(user=user, connection__active=True)
        .values("dial_through_pbx", "connection__originate_url")
        .first()
    )
    if extension is None:
        return {"shown": False}
    dials = bool(extension["dial_through_pbx"] and extension["connection__originate_url"])
    return {
        "shown": True,
        "stream_url": stream_origin(request) + reverse("telephony_stream"),
        "dial_url": reverse("telephony_dial") if dials else "",
    }
