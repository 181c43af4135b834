"""URLs of the organization's own screens: the sign-in providers an administrator sets up."""

from django.urls import path

from kesher.org import sso_views

urlpatterns = [
    path("sign-in-providers/", sso_views.sign_in_providers, name="sign_in_providers"),
    path(
        "sign-in-providers/<slug:key>/",
        sso_views.sign_in_provider_edit,
        name="sign_in_provider_edit",
    ),
]
