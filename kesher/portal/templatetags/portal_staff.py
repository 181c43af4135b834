"""What the staff's pages show of the portal: a contact's access, a ticket's rating."""

from django import template

from kesher.portal.models import PortalUser, TicketRating

register = template.Library()


@register.simple_tag
def portal_access(contact):
    return PortalUser.objects.filter(contact_id=contact.pk).first()


@register.simple_tag
def ticket_rating(ticket):
    return TicketRating.objects.filter(ticket_id=ticket.pk).first()
