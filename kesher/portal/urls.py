from django.urls import path

from kesher.portal import api, staff, views

urlpatterns = [
    path("portal/", views.home, name="portal_home"),
    path("portal/sign-in/", views.login, name="portal_login"),
    path("portal/sign-in/code/", views.login_code, name="portal_login_code"),
    path("portal/sign-out/", views.logout, name="portal_logout"),
    path("portal/password/reset/", views.password_reset, name="portal_password_reset"),
    path(
        "portal/password/<str:uidb64>/<str:token>/",
        views.set_password,
        name="portal_set_password",
    ),
    path("portal/language/", views.language, name="portal_language"),
    path("portal/accessibility/", views.accessibility, name="portal_accessibility"),
    path("portal/security/", views.security, name="portal_security"),
    path("portal/tickets/", views.tickets, name="portal_tickets"),
    path("portal/tickets/new/", views.ticket_new, name="portal_ticket_new"),
    path("portal/tickets/options/", views.ticket_options, name="portal_ticket_options"),
    path("portal/tickets/suggest/", views.suggest, name="portal_suggest"),
    path("portal/tickets/<int:pk>/", views.ticket, name="portal_ticket"),
    path("portal/tickets/<int:pk>/comment/", views.ticket_comment, name="portal_ticket_comment"),
    path("portal/tickets/<int:pk>/close/", views.ticket_close, name="portal_ticket_close"),
    path("portal/tickets/<int:pk>/rate/", views.ticket_rate, name="portal_ticket_rate"),
    path("portal/files/<int:pk>/", views.file, name="portal_file"),
    path("portal/help/", views.help_center, name="portal_help"),
    path("portal/help/<int:pk>/", views.article, name="portal_article"),
    path("portal/help/<int:pk>/vote/", views.article_vote, name="portal_article_vote"),
    path("portal/quotes/", views.quotes, name="portal_quotes"),
    path("portal/quotes/<int:pk>/", views.quote, name="portal_quote"),
    path("portal/quotes/<int:pk>/pdf/", views.quote_pdf, name="portal_quote_pdf"),
    path("portal/quotes/<int:pk>/accept/", views.quote_accept, name="portal_quote_accept"),
    path("portal/orders/", views.orders, name="portal_orders"),
    path("portal/orders/<int:pk>/pdf/", views.order_pdf, name="portal_order_pdf"),
    path("portal/documents/", views.documents, name="portal_documents"),
    path("portal/documents/<int:pk>/pdf/", views.document_pdf, name="portal_document_pdf"),
    # The staff's side: on a contact's page, and in the API.
    path("portal-access/contacts/<int:pk>/invite/", staff.invite, name="portal_access_invite"),
    path("portal-access/contacts/<int:pk>/revoke/", staff.revoke, name="portal_access_revoke"),
    path("api/v1/portal-users/", api.PortalUsersView.as_view(), name="api_portal_users"),
    path(
        "api/v1/portal-users/<int:pk>/revoke/",
        api.PortalUserRevokeView.as_view(),
        name="api_portal_user_revoke",
    ),
]
