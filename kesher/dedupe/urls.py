from django.urls import path

from kesher.dedupe import api, views

urlpatterns = [
    path("duplicates/<slug:key>/", views.queue, name="dedupe_queue"),
    path("duplicates/<slug:key>/scan/", views.scan_begin, name="dedupe_scan_start"),
    path("duplicates/scans/<int:pk>/", views.scan_progress, name="dedupe_scan"),
    path("duplicates/pairs/<int:pk>/dismiss/", views.pair_dismiss, name="dedupe_dismiss"),
    path("duplicates/<slug:key>/merge/<int:a>/<int:b>/", views.merge, name="dedupe_merge"),
    path("api/v1/merge/<slug:key>/", api.MergeView.as_view(), name="api_merge"),
    path("api/v1/duplicates/<slug:key>/", api.PairListView.as_view(), name="api_duplicates"),
    path("api/v1/duplicates/<slug:key>/scan/", api.ScanStartView.as_view(), name="api_scan_start"),
    path(
        "api/v1/duplicates/pairs/<int:pk>/dismiss/",
        api.DismissView.as_view(),
        name="api_duplicate_dismiss",
    ),
    path("api/v1/duplicate-scans/<int:pk>/", api.ScanView.as_view(), name="api_duplicate_scan"),
]
