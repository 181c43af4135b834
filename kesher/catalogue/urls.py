from django.urls import path

from kesher.catalogue import api

urlpatterns = [
    path("api/v1/pricing/quote/", api.PricingQuoteView.as_view(), name="api_pricing_quote"),
]
