from django import template

from kesher.customers.models import Choice
from kesher.customers.views import relationships_of

register = template.Library()


@register.simple_tag(takes_context=True)
def relationships(context, record):
    return relationships_of(record, context["request"].user)


@register.simple_tag
def relationship_types():
    return Choice.objects.filter(list_key="relationship_type", active=True)
