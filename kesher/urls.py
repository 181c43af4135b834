"""Kesher's URLs: generic entity pages and API from the registry, sign-in, API schema, health."""

from django.contrib import admin
from django.urls import include, path, register_converter
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from kesher.org import views as org_views
from kesher.platform import health
from kesher.platform.api.permissions import SchemaReader
from kesher.platform.api.viewsets import api_urls, saved_view_urls
from kesher.platform.bulk import api as bulk_api
from kesher.platform.bulk import views as bulk_views
from kesher.platform.converters import ApiFormatConverter, EntityKeyConverter
from kesher.platform.customfields import forms as customforms
from kesher.platform.lists import export
from kesher.platform.records import attachments
from kesher.platform.ui import views

register_converter(EntityKeyConverter, "entity")
register_converter(ApiFormatConverter, "api_format")

schema_access = {"permission_classes": [SchemaReader]}  # issue 24 item 8

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # A user's email is set by an administrator (it links Google/Microsoft sign-in to the user,
    # REQ OR-5), so allauth's self-service email page is not offered.
    path("accounts/email/", views.not_offered, name="account_email"),
    path("accounts/", include("allauth.urls")),
    # Off unless KESHER_DJANGO_ADMIN is set (kesher/org/middleware.py); its sign-in is Kesher's.
    path("django-admin/login/", org_views.django_admin_login, name="django_admin_login"),
    path("django-admin/", admin.site.urls),
    path("search/", views.global_search, name="global_search"),
    path("views/<slug:key>/save/", views.saved_view_save, name="saved_view_save"),
    path("views/<int:pk>/delete/", views.saved_view_remove, name="saved_view_delete"),
    path("language/", views.set_language, name="set_language"),
    path("org/", include("kesher.org.urls")),
    path("profile/", org_views.profile, name="profile"),
    path("profile/tokens/<int:pk>/revoke/", org_views.token_revoke, name="token_revoke"),
    path("pick/<slug:key>/", views.record_picker, name="record_picker"),
    path("pick-link/", views.link_picker, name="link_picker"),
    path("options/<int:pk>/", customforms.options, name="custom_field_options"),
    path("files/<int:pk>/", attachments.download, name="attachment_download"),
    path("files/upload/<slug:key>/<int:pk>/", attachments.upload, name="attachment_upload"),
    path("api/v1/", include(saved_view_urls())),
    path("api/v1/", include(api_urls())),
    path("api/schema/", SpectacularAPIView.as_view(**schema_access), name="api_schema"),
    # The split view serves its start-up script as a file: no inline script (the CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema", **schema_access),
        name="api_docs",
    ),
    path("", include("kesher.customers.urls")),
    path("", include("kesher.activities.urls")),
    path("", include("kesher.dedupe.urls")),
    path("", include("kesher.operations.urls")),
    path("", include("kesher.imports.urls")),
    path("", include("kesher.practice.urls")),
    path("", include("kesher.approvals.urls")),
    path("", include("kesher.integrations.urls")),
    path("", include("kesher.objects.urls")),
    path("", include("kesher.automation.urls")),
    path("", include("kesher.sales.urls")),
    path("", include("kesher.service.urls")),
    path("", include("kesher.catalogue.urls")),
    path("", include("kesher.reports.urls")),
    path("", include("kesher.marketing.urls")),
    path("", include("kesher.projects.urls")),
    path("", include("kesher.quotes.urls")),
    path("", include("kesher.billing.urls")),
    path("", include("kesher.stock.urls")),
    path("", include("kesher.purchasing.urls")),
    path("", include("kesher.privacy.urls")),
    path("", include("kesher.telephony.urls")),
    path("", include("kesher.calsync.urls")),
    path("", include("kesher.collab.urls")),
    path("", include("kesher.portal.urls")),
    path("", include("kesher.rollout.urls")),
    path("r/<slug:key>/", views.entity_list, name="entity_list"),
    path("r/<slug:key>/export.csv", export.export, {"fmt": "csv"}, name="entity_export_csv"),
    path("r/<slug:key>/export.xlsx", export.export, {"fmt": "xlsx"}, name="entity_export_xlsx"),
    path("r/<slug:key>/new/", views.entity_create, name="entity_create"),
    path("r/<slug:key>/<int:pk>/", views.entity_detail, name="entity_detail"),
    path("r/<slug:key>/<int:pk>/edit/", views.entity_edit, name="entity_edit"),
    path("r/<slug:key>/<int:pk>/timeline/", views.entity_timeline, name="entity_timeline"),
    path("r/<slug:key>/<int:pk>/delete/", views.entity_delete, name="entity_delete"),
    # Bulk actions (REQ IM-4): the list page's form and job progress, and the API.
    path("bulk/jobs/<int:pk>/", bulk_views.bulk_job, name="bulk_job"),
    path("bulk/<slug:key>/", bulk_views.bulk_action, name="bulk_action"),
    path("api/v1/bulk/<slug:key>/", bulk_api.BulkActionView.as_view(), name="api_bulk"),
    path("api/v1/bulk-jobs/<int:pk>/", bulk_api.BulkJobView.as_view(), name="api_bulk_job"),
]

# An unmatched address under /api/ answers JSON like every API error (issue 24).
handler404 = "kesher.platform.api.exceptions.not_found"
