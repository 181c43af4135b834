from django.urls import path

from kesher.objects import views

urlpatterns = [
    path("objects/templates/", views.blueprint_list, name="object_blueprints"),
    path(
        "objects/templates/<slug:key>/install/",
        views.blueprint_install_view,
        name="object_blueprint_install",
    ),
]
