from django.urls import path

from kesher.billing import api, views

urlpatterns = [
    path("billing/accountant/", views.accountant, name="billing_accountant"),
    path("api/v1/billing/export/", api.ExportView.as_view(), name="api_billing_export"),
    path("tax-documents/<int:pk>/pay/", views.document_pay, name="billing_pay"),
    path("tax-documents/<int:pk>/pdf/", views.document_pdf, name="billing_pdf"),
    path(
        "tax-documents/<int:pk>/cheques/<int:position>/return/",
        views.cheque_returned,
        name="billing_cheque_return",
    ),
    path("tax-documents/<int:pk>/<slug:action>/", views.document_action, name="billing_action"),
    path("orders/<int:pk>/tax-document/", views.from_order, name="billing_from_order"),
    path("orders/<int:pk>/hand-over/", views.hand_over, name="billing_hand_over"),
    path(
        "api/v1/orders/<int:pk>/hand-over/", api.HandOverView.as_view(), name="api_order_hand_over"
    ),
    path(
        "api/v1/invoicing/<int:pk>/documents/",
        api.ExternalDocumentView.as_view(),
        name="api_invoicing_document",
    ),
    # Beside the generated resources, whose routes end at the record's id.
    path(
        "api/v1/tax-documents/<int:pk>/lines/",
        api.DocumentLinesView.as_view(),
        name="api_tax_document_lines",
    ),
    path(
        "api/v1/tax-documents/<int:pk>/payments/",
        api.DocumentPaymentsView.as_view(),
        name="api_tax_document_payments",
    ),
    path(
        "api/v1/tax-documents/<int:pk>/receipt/",
        api.ReceiptView.as_view(),
        name="api_tax_document_receipt",
    ),
    path(
        "api/v1/tax-documents/<int:pk>/credit-note/",
        api.CreditNoteView.as_view(),
        name="api_tax_document_credit_note",
    ),
    path(
        "api/v1/tax-documents/<int:pk>/payment-link/",
        api.PaymentLinkView.as_view(),
        name="api_tax_document_payment_link",
    ),
    path(
        "api/v1/tax-documents/<int:pk>/payments/<int:position>/return/",
        api.ChequeReturnView.as_view(),
        name="api_tax_document_cheque_return",
    ),
    path(
        "api/v1/clearing/<int:pk>/confirm/",
        api.PaymentConfirmationView.as_view(),
        name="api_clearing_confirm",
    ),
    path(
        "api/v1/tax-documents/<int:pk>/pdf/",
        api.DocumentPdfView.as_view(),
        name="api_tax_document_pdf",
    ),
    *(
        path(f"api/v1/tax-documents/<int:pk>/{name}/", view.as_view(), name=f"api_tax_{name}")
        for name, view in api.ACTION_VIEWS.items()
    ),
    path(
        "api/v1/orders/<int:pk>/tax-document/",
        api.FromOrderView.as_view(),
        name="api_order_tax_document",
    ),
    path(
        "api/v1/accounts/<int:pk>/billing/",
        api.AccountBillingView.as_view(),
        name="api_account_billing",
    ),
    path(
        "api/v1/accounts/<int:pk>/payment-terms/",
        api.AccountTermsView.as_view(),
        name="api_account_terms",
    ),
    path("accounts/<int:pk>/payment-terms/", views.account_terms, name="billing_account_terms"),
]
