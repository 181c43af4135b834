from django.urls import include, path
from rest_framework.routers import SimpleRouter

from kesher.activities import api, views

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notifications")
router.register("callback-runs", api.CallbackRunViewSet, basename="callback-runs")

urlpatterns = [
    path("activities/tasks/", views.task_tabs, name="activities_tasks"),
    path(
        "activities/tasks/<int:pk>/complete/",
        views.task_complete,
        name="activities_task_complete",
    ),
    path("activities/notifications/", views.notifications, name="activities_notifications"),
    path(
        "activities/notifications/<int:pk>/open/",
        views.notification_open,
        name="activities_notification_open",
    ),
    path(
        "activities/notifications/read-all/",
        views.notifications_read_all,
        name="activities_notifications_read_all",
    ),
    path(
        "activities/quick/<slug:what>/<slug:key>/<int:pk>/",
        views.quick_create,
        name="activities_quick",
    ),
    path("activities/calendar/", views.calendar, name="activities_calendar"),
    path("activities/calendar/meeting/", views.meeting_new, name="activities_meeting_new"),
    path("activities/calendar/feed/", views.calendar_feed, name="activities_calendar_feed"),
    path("activities/calendar/digest/", views.digest_setting, name="activities_digest"),
    path("activities/ical/<str:token>.ics", views.ical_feed, name="activities_ical"),
    path(
        "activities/overview/<slug:key>/<int:pk>/timeline/",
        views.overview_timeline,
        name="activities_overview_timeline",
    ),
    path("activities/not-contacted/", views.not_contacted, name="activities_not_contacted"),
    path(
        "activities/not-contacted/runs/<int:pk>/",
        views.callback_run,
        name="activities_callback_run",
    ),
    path("activities/team/", views.team_now, name="activities_team"),
    path("activities/reports/tasks/", views.task_reports, name="activities_reports"),
    path(
        "api/v1/overview/<slug:key>/<int:pk>/",
        api.RecordOverviewView.as_view(),
        name="api_activities_overview",
    ),
    path("api/v1/task-report/", api.TaskReportView.as_view(), name="api_task_report"),
    # Beside the generated /api/v1/tasks/ resource, whose routes end at the task's id.
    path(
        "api/v1/tasks/<int:pk>/complete/",
        api.TaskCompleteView.as_view(),
        name="api_task_complete",
    ),
    path("api/v1/", include(router.urls)),
]
