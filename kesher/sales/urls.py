from django.urls import path

from kesher.sales import api, views

urlpatterns = [
    path("sales/board/", views.board_home, name="sales_board_home"),
    path("sales/board/<int:pk>/", views.board_page, name="sales_board"),
    path("sales/board/move/<int:pk>/", views.board_move, name="sales_board_move"),
    path(
        "sales/opportunities/<int:pk>/contacts/",
        views.deal_contact_add,
        name="sales_deal_contacts",
    ),
    path(
        "sales/opportunities/<int:pk>/contacts/<int:contact_pk>/",
        views.deal_contact_change,
        name="sales_deal_contact",
    ),
    path("sales/stages/options/", views.stage_options, name="sales_stage_options"),
    path("sales/forecast/", views.forecast_page, name="sales_forecast"),
    path("api/v1/forecast/", api.ForecastView.as_view(), name="api_forecast"),
    path("sales/settings/", views.settings_page, name="sales_settings"),
    path("sales/targets/attainment/", views.attainment_page, name="sales_attainment"),
    path("api/v1/targets/attainment/", api.AttainmentView.as_view(), name="api_attainment"),
    path("sales/leads/<int:pk>/convert/", views.lead_convert_page, name="sales_lead_convert"),
    # Beside the generated /api/v1/leads/ resource, whose routes end at the lead's id.
    path("api/v1/leads/<int:pk>/convert/", api.LeadConvertView.as_view(), name="api_lead_convert"),
    path(
        "api/v1/opportunities/<int:pk>/move/",
        api.OpportunityMoveView.as_view(),
        name="api_opportunity_move",
    ),
]
