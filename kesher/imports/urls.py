from django.urls import path

from kesher.imports import api, views

urlpatterns = [
    path("imports/", views.job_list, name="import_list"),
    path("imports/new/<slug:key>/", views.upload, name="import_upload"),
    path("imports/<int:pk>/", views.job_page, name="import_job"),
    path("imports/<int:pk>/progress/", views.progress, name="import_progress"),
    path("imports/<int:pk>/start/", views.start, name="import_start"),
    path("imports/<int:pk>/missing/", views.missing, name="import_missing"),
    path("imports/<int:pk>/cancel/", views.cancel, name="import_cancel"),
    path("imports/<int:pk>/undo/", views.undo, name="import_undo"),
    path("imports/<int:pk>/problems.xlsx", views.problems_xlsx, name="import_problems"),
    path("api/v1/imports/", api.JobListView.as_view(), name="api_imports"),
    path("api/v1/imports/<int:pk>/", api.JobView.as_view(), name="api_import"),
    path("api/v1/imports/<int:pk>/mapping/", api.MappingView.as_view(), name="api_import_mapping"),
    path("api/v1/imports/<int:pk>/check/", api.CheckView.as_view(), name="api_import_check"),
    path("api/v1/imports/<int:pk>/start/", api.StartView.as_view(), name="api_import_start"),
    path("api/v1/imports/<int:pk>/cancel/", api.CancelView.as_view(), name="api_import_cancel"),
    path("api/v1/imports/<int:pk>/undo/", api.UndoView.as_view(), name="api_import_undo"),
    path("api/v1/imports/<int:pk>/issues/", api.IssuesView.as_view(), name="api_import_issues"),
]
