from django.urls import include, path
from rest_framework.routers import SimpleRouter

from kesher.automation import api, button_views, process_views, views, wizard_views

router = SimpleRouter()
router.register("automation-runs", api.RunViewSet, basename="automation-runs")

urlpatterns = [
    path("automation/", views.rule_list, name="automation_rules"),
    path("automation/rules/new/", views.rule_builder, name="automation_rule_new"),
    path("automation/rules/<int:pk>/", views.rule_runs, name="automation_rule_runs"),
    path("automation/rules/<int:pk>/edit/", views.rule_builder, name="automation_rule_edit"),
    path("automation/rules/<int:pk>/toggle/", views.rule_toggle, name="automation_rule_toggle"),
    path("automation/rules/<int:pk>/webhook/", views.rule_webhook, name="automation_rule_webhook"),
    path("automation/processes/", process_views.process_list, name="automation_processes"),
    path(
        "automation/processes/<slug:key>/install/",
        process_views.process_install_view,
        name="automation_process_install",
    ),
    path(
        "api/v1/process-templates/",
        process_views.ProcessTemplateList.as_view(),
        name="api_process_templates",
    ),
    path(
        "api/v1/process-templates/<slug:key>/install/",
        process_views.ProcessTemplateInstall.as_view(),
        name="api_process_template_install",
    ),
    path(
        "api/v1/automation-rules/<int:pk>/dry-run/",
        api.DryRunView.as_view(),
        name="api_automation_dry_run",
    ),
    path(
        "api/v1/automation-rules/<int:pk>/webhook-address/",
        api.WebhookTokenView.as_view(),
        name="api_automation_webhook_address",
    ),
    path(
        "api/v1/automation-hooks/<str:token>/",
        api.IncomingWebhookView.as_view(),
        name="api_automation_hook",
    ),
    path(
        "automation/buttons/<int:pk>/press/",
        button_views.button_press_view,
        name="automation_button_press",
    ),
    path(
        "automation/button-jobs/<int:pk>/",
        button_views.button_job_view,
        name="automation_button_job",
    ),
    path("automation/wizards/", wizard_views.wizard_list, name="automation_wizards"),
    path("automation/wizards/<int:pk>/", wizard_views.wizard_page, name="automation_wizard"),
    path("api/v1/record-buttons/", button_views.ButtonList.as_view(), name="api_record_buttons"),
    path(
        "api/v1/record-buttons/<int:pk>/press/",
        button_views.ButtonPress.as_view(),
        name="api_button_press",
    ),
    path(
        "api/v1/button-jobs/<int:pk>/",
        button_views.ButtonJobDetail.as_view(),
        name="api_button_job",
    ),
    path("api/v1/record-wizards/", wizard_views.WizardList.as_view(), name="api_record_wizards"),
    path(
        "api/v1/record-wizards/<int:pk>/finish/",
        wizard_views.WizardFinish.as_view(),
        name="api_wizard_finish",
    ),
    path("api/v1/", include(router.urls)),
]
