"""Kesher's URLs and the benchmarks' bare floors beside them (``/bench/…``)."""

from django.urls import include, path

from bench.bare_convert import BareConvert
from bench.bare_create import BareCreate
from bench.bare_form import bare_form
from bench.bare_picker import bare_link_picker, bare_record_picker

urlpatterns = [
    path("bench/create/contacts/", BareCreate.as_view()),
    path("bench/convert/leads/<int:pk>/", BareConvert.as_view()),
    path("bench/pick/<slug:key>/", bare_record_picker),
    path("bench/pick-link/", bare_link_picker),
    path("bench/form/<slug:slug>/", bare_form),
    path("", include("kesher.urls")),
]
