from django.urls import path

from kesher.rollout import api, views

urlpatterns = [
    path("rollout/", views.rollout_home, name="rollout"),
    path("rollout/project/", views.project_save, name="rollout_project"),
    path("rollout/items/<int:pk>/tick/", views.item_tick_view, name="rollout_item_tick"),
    path("rollout/processes/", views.process_list, name="rollout_processes"),
    path("rollout/processes/new/", views.process_edit, name="rollout_process_new"),
    path("rollout/processes/<int:pk>/", views.process_edit, name="rollout_process"),
    path(
        "rollout/processes/<int:pk>/install/",
        views.process_install_view,
        name="rollout_process_install",
    ),
    path(
        "rollout/processes/<int:pk>/uninstall/",
        views.process_uninstall_view,
        name="rollout_process_uninstall",
    ),
    path(
        "rollout/processes/<int:pk>/delete/",
        views.process_delete_view,
        name="rollout_process_delete",
    ),
    path("rollout/training/", views.training, name="rollout_training"),
    path("rollout/training/confirm/", views.training_confirm, name="rollout_training_confirm"),
    path(
        "rollout/training/advanced/<int:user_pk>/",
        views.training_advanced,
        name="rollout_training_advanced",
    ),
    path("rollout/training/refresh/", views.training_refresh, name="rollout_training_refresh"),
    path("my-training/", views.my_training, name="rollout_my_training"),
    path("my-training/<int:pk>/mark/", views.my_training_mark, name="rollout_my_training_mark"),
    path("hints/<slug:module>/dismiss/", views.hint_dismiss_view, name="rollout_hint_dismiss"),
    path("api/v1/rollout/", api.ProjectView.as_view(), name="api_rollout"),
    path(
        "api/v1/rollout/items/<int:pk>/tick/",
        api.ItemTickView.as_view(),
        name="api_rollout_item_tick",
    ),
    path("api/v1/rollout/processes/", api.ProcessListView.as_view(), name="api_rollout_processes"),
    path(
        "api/v1/rollout/processes/<int:pk>/",
        api.ProcessView.as_view(),
        name="api_rollout_process",
    ),
    path(
        "api/v1/rollout/processes/<int:pk>/install/",
        api.ProcessInstallView.as_view(),
        name="api_rollout_process_install",
    ),
    path(
        "api/v1/rollout/processes/<int:pk>/uninstall/",
        api.ProcessUninstallView.as_view(),
        name="api_rollout_process_uninstall",
    ),
    path("api/v1/rollout/training/", api.TrainingView.as_view(), name="api_rollout_training"),
    path(
        "api/v1/rollout/training/confirm/",
        api.TrainingConfirmView.as_view(),
        name="api_rollout_training_confirm",
    ),
    path("api/v1/my-training/", api.MyTrainingView.as_view(), name="api_my_training"),
]
