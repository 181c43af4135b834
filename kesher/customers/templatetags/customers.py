from django import template

from kesher.customers.models import Account, Choice, Contact
from kesher.customers.views import relationships_of

register = template.Library()


@register.simple_tag(takes_context=True)
def relationships(context, record):
    return relationships_of(record, context["request"].user)


@register.simple_tag
def relationship_types():
    return Choice.objects.filter(list_key="relationship_type", active=True)


@register.simple_tag(takes_context=True)
def visible_links(context, record):
    """The record's account/contact links whose other side the user may see (REQ OR-3): a
    sales rep must not learn the names of contacts he cannot open."""
    user = context["request"].user
    if isinstance(record, Account):
        links, other, model = record.contact_links.all(), "contact_id", Contact
    else:
        links, other, model = record.account_links.all(), "account_id", Account
    links = list(links)
    ids = {getattr(link, other) for link in links}
    visible = set(model.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [link for link in links if getattr(link, other) in visible]
