from django.urls import path

from kesher.quotes import api, template_views, views

urlpatterns = [
    path("quotes/<int:pk>/lines/", views.quote_lines, name="quote_lines"),
    path("quotes/<int:pk>/pdf/", views.document_pdf, {"key": "quotes"}, name="quote_pdf"),
    path("orders/<int:pk>/pdf/", views.document_pdf, {"key": "orders"}, name="order_pdf"),
    path("quotes/<int:pk>/<slug:action>/", views.quote_action, name="quote_action"),
    path("orders/<int:pk>/lines/", views.order_lines, name="order_lines"),
    path("orders/<int:pk>/confirm/", views.order_confirm, name="order_confirm"),
    path(
        "opportunities/<int:pk>/quote/", views.quote_from_opportunity, name="quote_from_opportunity"
    ),
    path("q/<str:token>/", views.customer_quote, name="customer_quote"),
    # The document-template editor and its preview (decision 0085).
    path("document-templates/new/", template_views.template_editor, name="document_template_new"),
    path(
        "document-templates/<int:pk>/editor/",
        template_views.template_editor,
        name="document_template_editor",
    ),
    path(
        "document-templates/preview/",
        template_views.template_preview,
        name="document_template_preview",
    ),
    # Beside the generated resources, whose routes end at the record's id.
    path("api/v1/quotes/<int:pk>/lines/", api.QuoteLinesView.as_view(), name="api_quote_lines"),
    path("api/v1/orders/<int:pk>/lines/", api.OrderLinesView.as_view(), name="api_order_lines"),
    path("api/v1/quotes/<int:pk>/pdf/", api.QuotePdfView.as_view(), name="api_quote_pdf"),
    path("api/v1/orders/<int:pk>/pdf/", api.OrderPdfView.as_view(), name="api_order_pdf"),
    path("api/v1/quotes/<int:pk>/email/", api.QuoteEmailView.as_view(), name="api_quote_email"),
    path(
        "api/v1/document-templates/<int:pk>/logo/",
        api.DocumentTemplateLogoView.as_view(),
        name="api_document_template_logo",
    ),
    *(
        path(f"api/v1/{key}/<int:pk>/{name}/", view.as_view(), name=f"api_{key}_{name}")
        for (key, name), view in api.ACTION_VIEWS.items()
    ),
]
