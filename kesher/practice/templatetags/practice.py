"""``{% practice_banner %}``: the banner every page of the practice environment shows."""

from django import template
from django.conf import settings

register = template.Library()


@register.inclusion_tag("practice/banner.html")
def practice_banner():
    return {"practice": bool(settings.KESHER_PRACTICE)}
