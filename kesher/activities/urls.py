from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, views

router = SimpleRouter()
router.register("notifications", api.NotificationViewSet, basename="notifications")

urlpatterns = [
    path("activities/tasks/", views.task_tabs, name="activities_tasks"),
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
    path("api/v1/", include(router.urls)),
]
