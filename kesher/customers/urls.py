from django.urls import path

from kesher.customers import views

urlpatterns = [
    path("r/accounts/<int:pk>/add-contact/", views.account_add_contact, name="account_add_contact"),
    path("r/contacts/<int:pk>/link/", views.contact_link, name="contact_link"),
    path(
        "r/contacts/<int:pk>/unlink/<int:account_pk>/", views.contact_unlink, name="contact_unlink"
    ),
    path("r/<slug:key>/<int:pk>/relate/", views.relate, name="relate"),
]
