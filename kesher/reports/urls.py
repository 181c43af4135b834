from django.urls import path

from kesher.reports import api, views

urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/build/", views.report_build, name="report_build"),
    path("reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("reports/<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("reports/<int:pk>/widget/", views.report_widget, name="report_widget"),
    path("reports/<int:pk>/export/<str:fmt>/", views.report_export, name="report_export"),
    path("dashboards/", views.dashboard, name="dashboard"),
    path("dashboards/<int:pk>/", views.dashboard, name="dashboard_show"),
    path("dashboards/targets/", views.targets_widget, name="dashboard_targets_widget"),
    path("dashboards/list/<int:view>/", views.list_widget, name="dashboard_list_widget"),
    path(
        "reports/<int:pk>/add-to-dashboard/",
        views.report_add_to_dashboard,
        name="report_add_to_dashboard",
    ),
    path(
        "dashboards/<int:pk>/widgets/<int:index>/remove/",
        views.dashboard_remove,
        name="dashboard_remove_widget",
    ),
    # Beside the generated /api/v1/reports/ resource, whose routes end at the report's id.
    path("api/v1/report-runs/", api.ReportRunView.as_view(), name="api_report_run"),
    path(
        "api/v1/reports/<int:pk>/result/", api.ReportResultView.as_view(), name="api_report_result"
    ),
    path(
        "api/v1/reports/<int:pk>/export/<str:fmt>/",
        api.ReportExportView.as_view(),
        name="api_report_export",
    ),
]
