"""Kesher's URLs and the benchmarks' bare floors beside them (``/bench/…``)."""

from django.urls import include, path

from bench.bare_picker import bare_link_picker, bare_record_picker

urlpatterns = [
    path("bench/pick/<slug:key>/", bare_record_picker),
    path("bench/pick-link/", bare_link_picker),
    path("", include("kesher.urls")),
]
