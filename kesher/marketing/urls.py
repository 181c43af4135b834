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
    # Beside the generated resources, whose routes end at the record's id.
    path(
        "api/v1/campaigns/<int:pk>/results/",
        api.CampaignResultsView.as_view(),
        name="api_campaign_results",
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
