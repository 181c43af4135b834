from django.urls import path

from kesher.practice import api, views

urlpatterns = [
    path("practice/", views.practice, name="practice"),
    path("practice/copy/", views.practice_copy_view, name="practice_copy"),
    path("practice/delete/", views.practice_delete_view, name="practice_delete"),
    path("api/v1/practice/", api.PracticeView.as_view(), name="api_practice"),
]
