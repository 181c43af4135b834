"""Kesher's URLs: generic entity pages and API from the registry, sign-in, API schema, health."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from kesher.org import views as org_views
from kesher.platform import attachments, customforms, health, views
from kesher.platform.api.viewsets import api_urls, saved_view_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("django-admin/", admin.site.urls),
    path("search/", views.global_search, name="global_search"),
    path("language/", views.set_language, name="set_language"),
    path("profile/", org_views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", org_views.token_revoke, name="token_revoke"),
    path("pick/<slug:key>/", views.record_picker, name="record_picker"),
    path("options/<int:pk>/", customforms.options, name="custom_field_options"),
    path("files/<int:pk>/", attachments.download, name="attachment_download"),
    path("files/upload/<slug:key>/<int:pk>/", attachments.upload, name="attachment_upload"),
    path("api/v1/", include(saved_view_urls())),
    path("api/v1/", include(api_urls())),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("", include("kesher.customers.urls")),
    path("r/<slug:key>/", views.entity_list, name="entity_list"),
    path("r/<slug:key>/new/", views.entity_create, name="entity_create"),
    path("r/<slug:key>/<int:pk>/", views.entity_detail, name="entity_detail"),
    path("r/<slug:key>/<int:pk>/edit/", views.entity_edit, name="entity_edit"),
    path("r/<slug:key>/<int:pk>/delete/", views.entity_delete, name="entity_delete"),
]
