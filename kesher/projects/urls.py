from django.urls import path

from kesher.projects import api, views

urlpatterns = [
    path("projects/timesheet/", views.timesheet, name="projects_timesheet"),
    path("projects/timesheet/submit/", views.timesheet_submit, name="projects_timesheet_submit"),
    path("projects/approvals/", views.approvals, name="projects_approvals"),
    path("projects/payroll/", views.payroll, name="projects_payroll"),
    path("projects/payroll/export/", views.payroll_export, name="projects_payroll_export"),
    path("projects/payroll/reopen/", views.payroll_reopen, name="projects_payroll_reopen"),
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
    path("projects/timer/start/", views.timer_start, name="projects_timer_start"),
    path("projects/timer/stop/", views.timer_stop, name="projects_timer_stop"),
    path("projects/timer/discard/", views.timer_discard, name="projects_timer_discard"),
    path("api/v1/time-entries/timer/", api.TimerView.as_view(), name="api_timer"),
    path("api/v1/time-entries/timer/stop/", api.TimerStopView.as_view(), name="api_timer_stop"),
    path("api/v1/time-entries/invoice/", api.InvoiceHoursView.as_view(), name="api_invoice_hours"),
]
