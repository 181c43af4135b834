from django.urls import path

from kesher.service import api, views

urlpatterns = [
    path("service/tickets/<int:pk>/respond/", views.ticket_respond, name="service_ticket_respond"),
    path(
        "service/tickets/options/<slug:field>/",
        views.ticket_options,
        name="service_ticket_options",
    ),
    # Beside the generated /api/v1/tickets/ resource, whose routes end at the ticket's id.
    path(
        "api/v1/tickets/<int:pk>/clocks/", api.TicketClocksView.as_view(), name="api_ticket_clocks"
    ),
    path(
        "api/v1/tickets/<int:pk>/respond/",
        api.TicketRespondView.as_view(),
        name="api_ticket_respond",
    ),
]
