from django.urls import path

from kesher.marketing import api, views

urlpatterns = [
    path("m/u/<str:token>/", views.unsubscribe, name="marketing_unsubscribe"),
    path("f/<slug:slug>/", views.lead_form, name="marketing_lead_form"),
    path(
        "marketing/sends/<int:pk>/<slug:action>/", views.send_action, name="marketing_send_action"
    ),
    path(
        "marketing/ad-leads/<int:pk>/fetch-again/",
        views.ad_lead_fetch_again,
        name="marketing_ad_lead_fetch_again",
    ),
    path(
        "marketing/campaigns/<int:pk>/call-list/",
        views.call_list_build,
        name="marketing_call_list_build",
    ),
    path("marketing/campaigns/<int:pk>/calls/", views.my_calls, name="marketing_my_calls"),
    path("marketing/calls/<int:pk>/open/", views.call_open, name="marketing_call_open"),
    path("marketing/calls/<int:pk>/log/", views.call_log, name="marketing_call_log"),
    path(
        "marketing/do-not-call/import/",
        views.do_not_call_import,
        name="marketing_do_not_call_import",
    ),
    # Beside the generated resources, whose routes end at the record's id.
    path(
        "api/v1/campaigns/<int:pk>/results/",
        api.CampaignResultsView.as_view(),
        name="api_campaign_results",
    ),
    path(
        "api/v1/campaigns/<int:pk>/call-list/",
        api.CallListBuildView.as_view(),
        name="api_call_list_build",
    ),
    path(
        "api/v1/campaigns/<int:pk>/call-progress/",
        api.CallProgressView.as_view(),
        name="api_call_progress",
    ),
    path("api/v1/campaign-calls/<int:pk>/open/", api.CallOpenView.as_view(), name="api_call_open"),
    path("api/v1/campaign-calls/<int:pk>/log/", api.CallLogView.as_view(), name="api_call_log"),
    path(
        "api/v1/do-not-call/import/",
        api.DoNotCallImportView.as_view(),
        name="api_do_not_call_import",
    ),
    path("api/v1/lead-ads/meta/", api.MetaLeadsView.as_view(), name="api_lead_ads_meta"),
    path("api/v1/lead-ads/google/", api.GoogleLeadsView.as_view(), name="api_lead_ads_google"),
    path("api/v1/bounce-reports/", api.BouncesView.as_view(), name="api_email_bounces"),
    path(
        "api/v1/ad-leads/<int:pk>/fetch-again/",
        api.AdLeadFetchAgainView.as_view(),
        name="api_ad_lead_fetch_again",
    ),
    path(
        "api/v1/campaign-sends/<int:pk>/<slug:action>/",
        api.SendActionView.as_view(),
        name="api_send_action",
    ),
]
