from django import template
from django.db.models import Count

from kesher.objects.models import CustomObject

register = template.Library()


@register.simple_tag
def defined_kinds():
    """Every kind with its number of records, in menu order (one query)."""
    return list(CustomObject.objects.annotate(count=Count("records")).order_by("nav_order", "key"))
