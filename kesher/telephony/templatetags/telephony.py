"""The screen pop's place on every page (REQ IN-2): where the browser reads its pops, and
whether a click on a number dials through the phone system."""

from django import template
from django.urls import reverse

from kesher.platform import stamps
from kesher.telephony.models import PhoneExtension
from kesher.telephony.stream import stream_origin

register = template.Library()


@register.inclusion_tag("telephony/pop.html", takes_context=True)
def telephony_pop(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"shown": False}
    # A user with no extension gets no stream (nothing rings him). Read from a per-process
    # cache kept current by the "telephony" stamp: no query a page.
    extensions = stamps.cached("telephony", "extensions", _extensions)
    if user.pk not in extensions:
        return {"shown": False}
    dials = extensions[user.pk]
    return {
        "shown": True,
        "stream_url": stream_origin(request) + reverse("telephony_stream"),
        "dial_url": reverse("telephony_dial") if dials else "",
    }


def _extensions() -> dict[int, bool]:
    """Each user with an extension on an active phone system: whether his clicks dial
    through it."""
    rows = PhoneExtension.objects.filter(connection__active=True).values_list(
        "user_id", "dial_through_pbx", "connection__originate_url"
    )
    return {user_id: bool(dials and url) for user_id, dials, url in rows}
