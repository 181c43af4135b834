from django.urls import include, path
from rest_framework.routers import SimpleRouter

from kesher.approvals import api, views

router = SimpleRouter()
router.register("approval-requests", api.ApprovalRequestViewSet, basename="approval-requests")

urlpatterns = [
    path("approvals/", views.waiting, name="approvals_waiting"),
    path("approvals/<int:pk>/", views.request_detail, name="approvals_request"),
    path("approvals/<int:pk>/decide/", views.decide, name="approvals_decide"),
    path("approvals/<int:pk>/cancel/", views.cancel, name="approvals_cancel"),
    path("approvals/start/<slug:key>/<int:pk>/", views.start, name="approvals_start"),
    path("approvals/link/<str:token>/", views.open_link, name="approvals_link"),
    path("api/v1/", include(router.urls)),
]
