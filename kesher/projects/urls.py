from django.urls import path

from kesher.projects import api, views

urlpatterns = [
    path("projects/timesheet/", views.timesheet, name="projects_timesheet"),
    path("projects/timesheet/submit/", views.timesheet_submit, name="projects_timesheet_submit"),
    path("projects/approvals/", views.approvals, name="projects_approvals"),
    path("projects/payroll/", views.payroll, name="projects_payroll"),
    path("projects/board/", views.board, name="projects_board"),
    path("projects/invoice/", views.invoice, name="projects_invoice"),
    path("projects/profitability/", views.profitability_page, name="projects_profitability"),
    path(
        "api/v1/projects/profitability/",
        api.ProfitabilityView.as_view(),
        name="api_projects_profitability",
    ),
    path("projects/utilisation/", views.utilisation_page, name="projects_utilisation"),
    path(
        "api/v1/time-entries/utilisation/",
        api.UtilisationView.as_view(),
        name="api_time_utilisation",
    ),
    path("api/v1/time-entries/invoice/", api.InvoiceHoursView.as_view(), name="api_invoice_hours"),
]
