from django.urls import path

from kesher.purchasing import api, views

urlpatterns = [
    path("purchasing/<slug:key>/<int:pk>/lines/", views.lines, name="purchasing_lines"),
    path(
        "purchase-orders/<int:pk>/<slug:action>/",
        views.order_action,
        name="purchasing_order_action",
    ),
    path("supplier-invoices/<int:pk>/record/", views.invoice_record, name="purchasing_record"),
    path(
        "supplier-invoices/<int:pk>/credit-note/",
        views.invoice_credit_note,
        name="purchasing_credit_note",
    ),
    path("purchasing/suppliers/<int:pk>/pay/", views.pay_supplier, name="purchasing_pay_supplier"),
    path(
        "purchasing/supplier-payments/<int:pk>/allocate/",
        views.allocate_payment,
        name="purchasing_allocate",
    ),
    path(
        "api/v1/purchase-orders/<int:pk>/lines/",
        api.OrderLinesView.as_view(),
        name="api_purchase_order_lines",
    ),
    path(
        "api/v1/purchase-orders/<int:pk>/order/",
        api.OrderView.as_view(),
        name="api_purchase_order_order",
    ),
    path(
        "api/v1/purchase-orders/<int:pk>/receive/",
        api.ReceiveView.as_view(),
        name="api_purchase_order_receive",
    ),
    path(
        "api/v1/purchase-orders/<int:pk>/supplier-invoice/",
        api.InvoiceFromOrderView.as_view(),
        name="api_purchase_order_invoice",
    ),
    path(
        "api/v1/supplier-invoices/<int:pk>/lines/",
        api.InvoiceLinesView.as_view(),
        name="api_supplier_invoice_lines",
    ),
    path(
        "api/v1/supplier-invoices/<int:pk>/record/",
        api.RecordView.as_view(),
        name="api_supplier_invoice_record",
    ),
    path(
        "api/v1/supplier-invoices/<int:pk>/credit-note/",
        api.CreditNoteView.as_view(),
        name="api_supplier_invoice_credit_note",
    ),
    path(
        "api/v1/supplier-payments/<int:pk>/allocations/",
        api.AllocationsView.as_view(),
        name="api_supplier_payment_allocations",
    ),
    path("api/v1/accounts/<int:pk>/payables/", api.PayablesView.as_view(), name="api_payables"),
]
