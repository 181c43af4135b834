from django.urls import path

from kesher.calsync import api, views

urlpatterns = [
    path("calsync/", views.my_connection, name="calsync_connection"),
    path("calsync/policy/", views.sync_policy, name="calsync_policy"),
    path("api/v1/calsync/connection/", api.ConnectionView.as_view(), name="api_calsync_connection"),
    path(
        "api/v1/calsync/connection/test/",
        api.ConnectionTestView.as_view(),
        name="api_calsync_connection_test",
    ),
    path(
        "api/v1/calsync/connection/sync/",
        api.ConnectionSyncView.as_view(),
        name="api_calsync_connection_sync",
    ),
    path(
        "api/v1/calsync/contacts/",
        api.ContactConnectionView.as_view(),
        name="api_calsync_contacts",
    ),
    path(
        "api/v1/calsync/contacts/test/",
        api.ContactConnectionTestView.as_view(),
        name="api_calsync_contacts_test",
    ),
    path(
        "api/v1/calsync/contacts/sync/",
        api.ContactConnectionSyncView.as_view(),
        name="api_calsync_contacts_sync",
    ),
    path("api/v1/calsync/policy/", api.PolicyView.as_view(), name="api_calsync_policy"),
]
