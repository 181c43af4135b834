from django.urls import path

from kesher.service import api, field_api, field_views, views

urlpatterns = [
    # Field service: the technician's day and visits (REQ SV-12; decision 0088).
    path("service/my-day/", field_views.my_day, name="service_my_day"),
    path("service/my-day/van-products/", field_views.van_products, name="service_van_products"),
    path("service/visits/<int:pk>/", field_views.visit_page, name="service_visit"),
    path("service/visits/<int:pk>/parts/", field_views.visit_part, name="service_visit_part"),
    path("api/v1/service/my-day/", field_api.MyDayView.as_view(), name="api_service_my_day"),
    path(
        "api/v1/tickets/<int:pk>/visit-complete/",
        field_api.VisitCompleteView.as_view(),
        name="api_ticket_visit_complete",
    ),
    path("service/sla-report/", views.sla_report_page, name="service_sla_report"),
    path("api/v1/service/sla-report/", api.SlaReportView.as_view(), name="api_service_sla_report"),
    path("service/backlog/", views.backlog_page, name="service_backlog"),
    path(
        "service/kb-articles/<int:pk>/vote/", views.article_vote_page, name="service_article_vote"
    ),
    path(
        "api/v1/kb-articles/<int:pk>/votes/",
        api.ArticleVotesView.as_view(),
        name="api_article_votes",
    ),
    path("api/v1/service/backlog/", api.BacklogView.as_view(), name="api_service_backlog"),
    path("service/tickets/<int:pk>/respond/", views.ticket_respond, name="service_ticket_respond"),
    path("service/tickets/<int:pk>/reply/", views.ticket_reply_page, name="service_ticket_reply"),
    path(
        "service/tickets/<int:pk>/text-reply/",
        views.ticket_text_reply_page,
        name="service_ticket_text_reply",
    ),
    path("service/tickets/<int:pk>/merge/", views.ticket_merge_page, name="service_ticket_merge"),
    path("service/tickets/<int:pk>/split/", views.ticket_split_page, name="service_ticket_split"),
    path(
        "service/tickets/<int:pk>/solved-by/",
        views.ticket_solved_by_page,
        name="service_ticket_solved_by",
    ),
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
    path("api/v1/tickets/<int:pk>/reply/", api.TicketReplyView.as_view(), name="api_ticket_reply"),
    path(
        "api/v1/tickets/<int:pk>/text-reply/",
        api.TicketTextReplyView.as_view(),
        name="api_ticket_text_reply",
    ),
    path("api/v1/tickets/<int:pk>/merge/", api.TicketMergeView.as_view(), name="api_ticket_merge"),
    path("api/v1/tickets/<int:pk>/split/", api.TicketSplitView.as_view(), name="api_ticket_split"),
    path(
        "api/v1/tickets/<int:pk>/canned-replies/",
        api.TicketCannedRepliesView.as_view(),
        name="api_ticket_canned_replies",
    ),
    path(
        "api/v1/service/inbound-text/<slug:channel>/",
        api.InboundTextView.as_view(),
        name="api_service_inbound_text",
    ),
    path(
        "api/v1/service/inbound-email/",
        api.InboundEmailView.as_view(),
        name="api_service_inbound_email",
    ),
]
