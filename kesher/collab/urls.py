from django.urls import path

from kesher.collab import api, views

urlpatterns = [
    path("collab/feed/", views.feed, name="collab_feed"),
    path("collab/settings/", views.settings_save, name="collab_settings"),
    path("collab/<entity:key>/<int:pk>/follow/", views.follow_toggle, name="collab_follow"),
    path("collab/<entity:key>/<int:pk>/followers/", views.followers, name="collab_followers"),
    path("collab/<entity:key>/<int:pk>/notes/", views.note_add, name="collab_note"),
    path(
        "collab/<entity:key>/<int:pk>/mention/",
        views.mention_picker,
        name="collab_mention_picker",
    ),
    path("api/v1/feed/", api.FeedView.as_view(), name="api_collab_feed"),
    path(
        "api/v1/following/<slug:key>/<int:pk>/",
        api.FollowingView.as_view(),
        name="api_collab_following",
    ),
    path("api/v1/notes/<slug:key>/<int:pk>/", api.NotesView.as_view(), name="api_collab_notes"),
]
