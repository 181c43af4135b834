from django.urls import path

from kesher.operations import api, views

urlpatterns = [
    # The full export of all data (REQ IM-5).
    path("data-export/", views.data_exports, name="data_exports"),
    path("data-export/start/", views.data_export_begin, name="data_export_start"),
    path("data-export/<int:pk>/", views.data_export_row, name="data_export"),
    path(
        "data-export/<int:pk>/download/",
        views.data_export_download,
        name="data_export_download",
    ),
    path("api/v1/data-exports/", api.DataExportListView.as_view(), name="api_data_exports"),
    path("api/v1/data-exports/<int:pk>/", api.DataExportView.as_view(), name="api_data_export"),
    path(
        "api/v1/data-exports/<int:pk>/download/",
        api.DataExportDownloadView.as_view(),
        name="api_data_export_download",
    ),
]
