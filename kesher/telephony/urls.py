from django.urls import path

from kesher.telephony import api, stream, views

urlpatterns = [
    path("telephony/stream/", stream.pop_stream, name="telephony_stream"),
    path("telephony/dial/", views.dial_number, name="telephony_dial"),
    path("api/v1/telephony/calls/", api.CallWebhookView.as_view(), name="api_telephony_calls"),
    path("api/v1/telephony/dial/", api.DialView.as_view(), name="api_telephony_dial"),
]
