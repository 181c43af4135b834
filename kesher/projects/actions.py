"""The automation action "create a project from a template" (REQ PR-1; decision 0106): a rule
on deals — say, "the stage becomes Won" with a condition on the pipeline — names a project
template, and the won deal gets its project, phases and tasks. Registered with automation's
other actions; the template is data the administrator keeps."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.automation.actions import ActionType, register_action, setting_error
from kesher.automation.triggers import ConfigField
from kesher.projects.models import ProjectTemplate
from kesher.projects.services import project_from_template

__all__: list[str] = []


def _validate(entity, config):
    if entity.key != "opportunities":
        raise ValidationError(_("A project is made from a template for a deal."))
    for key in config:
        if key != "template":
            raise setting_error(key, _("Unknown setting."))
    value = config.get("template")
    if isinstance(value, bool) or not str(value).isdigit():
        raise setting_error("template", _("Choose a project template."))
    if not ProjectTemplate._base_manager.filter(pk=int(value)).exists():
        raise setting_error("template", _("No such project template."))
    return {"template": int(value)}


def _template(config) -> ProjectTemplate:
    return ProjectTemplate._base_manager.get(pk=config["template"])


def _run(context, config):
    project = project_from_template(_template(config), opportunity=context.record)
    return {"project": project.pk, "name": str(project)[:200]}


def _describe(context, config):
    template = _template(config)
    return _(
        "Make the project “%(name)s” from the template “%(template)s”, with %(phases)s "
        "phases and %(tasks)s tasks."
    ) % {
        "name": context.record.name,
        "template": template.name,
        "phases": len(template.phase_names()),
        "tasks": template.task_templates.count(),
    }


register_action(
    ActionType(
        "create_project",
        gettext_lazy("Create a project from a template"),
        (
            ConfigField(
                "template", gettext_lazy("Project template (number)"), "number", required=True
            ),
        ),
        _validate,
        _run,
        _describe,
    )
)
