from django.urls import path

from kesher.privacy import api, views

urlpatterns = [
    path("privacy/access-log/", views.access_log_page, name="privacy_access_log"),
    path("privacy/requests/<int:pk>/data/", views.request_data, name="privacy_request_data"),
    path(
        "privacy/requests/<int:pk>/data.json",
        views.request_data,
        {"fmt": "json"},
        name="privacy_request_json",
    ),
    path(
        "privacy/requests/<int:pk>/data.csv",
        views.request_data,
        {"fmt": "csv"},
        name="privacy_request_csv",
    ),
    path(
        "privacy/requests/<int:pk>/anonymize/",
        views.request_anonymize,
        name="privacy_request_anonymize",
    ),
    path(
        "privacy/requests/<int:pk>/answered/",
        views.request_answered,
        name="privacy_request_answered",
    ),
    path(
        "privacy/requests/<int:pk>/pass-on/",
        views.request_pass_on,
        name="privacy_request_pass_on",
    ),
    path(
        "privacy/retention-rules/<int:pk>/dry-run/",
        views.retention_dry_run,
        name="privacy_retention_dry_run",
    ),
    # Beside the generated resources, whose routes end at the record's id.
    path("api/v1/access-log/", api.AccessLogView.as_view(), name="api_access_log"),
    path(
        "api/v1/privacy-requests/<int:pk>/data/",
        api.RequestDataView.as_view(),
        name="api_privacy_request_data",
    ),
    path(
        "api/v1/privacy-requests/<int:pk>/anonymize/",
        api.RequestAnonymizeView.as_view(),
        name="api_privacy_request_anonymize",
    ),
    path(
        "api/v1/privacy-requests/<int:pk>/recipients/",
        api.RequestRecipientsView.as_view(),
        name="api_privacy_request_recipients",
    ),
    path(
        "api/v1/privacy-requests/<int:pk>/pass-on/",
        api.RequestPassOnView.as_view(),
        name="api_privacy_request_pass_on",
    ),
    path(
        "api/v1/retention-rules/<int:pk>/dry-run/",
        api.RetentionDryRunView.as_view(),
        name="api_retention_dry_run",
    ),
    path(
        "api/v1/retention-rules/<int:pk>/runs/",
        api.RetentionRunsView.as_view(),
        name="api_retention_runs",
    ),
    path(
        "api/v1/security-assessments/<int:pk>/requirements/",
        api.AssessmentRequirementsView.as_view(),
        name="api_security_assessment_requirements",
    ),
]
