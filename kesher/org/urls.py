"""URLs of the organization's own screens: the sign-in providers an administrator sets up, and
the rights of a role."""

from django.urls import path

from kesher.org import role_views, sso_views

urlpatterns = [
    path("roles/<int:pk>/rights/", role_views.role_rights, name="role_rights"),
    path("sign-in-providers/", sso_views.sign_in_providers, name="sign_in_providers"),
    path(
        "sign-in-providers/<slug:key>/",
        sso_views.sign_in_provider_edit,
        name="sign_in_provider_edit",
    ),
]
