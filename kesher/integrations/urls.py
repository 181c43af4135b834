from django.urls import include, path
from rest_framework.routers import SimpleRouter

from kesher.integrations import api, views

router = SimpleRouter()
router.register("messages", api.MessageViewSet, basename="messages")
router.register("webhooks", api.WebhookViewSet, basename="webhooks")
router.register("webhook-deliveries", api.DeliveryViewSet, basename="webhook-deliveries")

urlpatterns = [
    path(
        "integrations/email-templates/new/",
        views.template_editor,
        name="integrations_template_new",
    ),
    path(
        "integrations/email-templates/<int:pk>/editor/",
        views.template_editor,
        name="integrations_template_editor",
    ),
    path(
        "integrations/email-templates/records/",
        views.template_records,
        name="integrations_template_records",
    ),
    path(
        "integrations/email-templates/preview/",
        views.template_preview,
        name="integrations_template_preview",
    ),
    path(
        "integrations/email-templates/<int:pk>/test/",
        views.template_send_test,
        name="integrations_template_test",
    ),
    path("integrations/messages/", views.message_list, name="integrations_messages"),
    path(
        "integrations/messages/<int:pk>/retry/",
        views.message_retry,
        name="integrations_message_retry",
    ),
    path("integrations/webhooks/", views.webhook_list, name="integrations_webhooks"),
    path(
        "integrations/webhooks/<int:pk>/delete/",
        views.webhook_delete,
        name="integrations_webhook_delete",
    ),
    path(
        "integrations/webhooks/deliveries/",
        views.delivery_list,
        name="integrations_deliveries",
    ),
    path(
        "integrations/webhooks/deliveries/<int:pk>/retry/",
        views.delivery_retry,
        name="integrations_delivery_retry",
    ),
    path("api/v1/", include(router.urls)),
]
