"""The checks that tick a roll-out item by themselves when Kesher can see its deliverable done
(REQ IMPL-1): departments exist, an import into the practice environment finished, everyone is
trained. An item names its check by key (``Item.detector``); an item with none is ticked by an
administrator. Each check reads one small fact; ``facts`` gathers what several share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy

__all__ = ["Detector", "Facts", "detectors", "run_detectors"]


@dataclass(frozen=True)
class Detector:
    key: str
    label: object
    check: Callable


class Facts:
    """What the checks of one page share, each read at most once."""

    def __init__(self):
        self._cache: dict = {}

    def get(self, name: str, load: Callable):
        if name not in self._cache:
            self._cache[name] = load()
        return self._cache[name]

    def project(self):
        from kesher.rollout.services import project_get

        return self.get("project", project_get)

    def practice(self):
        from kesher.rollout.practice_facts import practice_facts

        return self.get("practice", practice_facts)


def _exists(model_path: str, **lookup) -> Callable:
    def check(facts: Facts) -> bool:
        from django.apps import apps

        app, name = model_path.split(".")
        return apps.get_model(app, name).objects.filter(**lookup).exists()

    return check


def _more_than_one(model_path: str, **lookup) -> Callable:
    def check(facts: Facts) -> bool:
        from django.apps import apps

        app, name = model_path.split(".")
        return apps.get_model(app, name).objects.filter(**lookup)[:2].count() > 1

    return check


def _roles_given(facts: Facts) -> bool:
    from kesher.org.models import User

    users = User.objects.filter(is_active=True)
    return users.count() > 1 and not users.filter(role__isnull=True).exists()


def _processes_installed(facts: Facts) -> bool:
    from kesher.automation.models import InstalledProcess
    from kesher.rollout.models import MappedProcess

    keys = MappedProcess.objects.exclude(install_key="").values("install_key")
    return InstalledProcess.objects.filter(key__in=keys).exists()


def _everyone_trained(facts: Facts) -> bool:
    from kesher.rollout.selectors import training_rows

    rows = training_rows(facts=facts)
    return bool(rows) and all(row["complete"] for row in rows)


_DETECTORS = (
    Detector(
        "project_lead",
        gettext_lazy("the project has a lead"),
        lambda f: f.project().owner_id is not None,
    ),
    Detector(
        "budget", gettext_lazy("the project has a budget"), lambda f: f.project().budget is not None
    ),
    Detector(
        "schedule",
        gettext_lazy("the project has a start and a go-live date"),
        lambda f: bool(f.project().starts_on and f.project().go_live_on),
    ),
    Detector(
        "processes_mapped",
        gettext_lazy("a process is mapped"),
        _exists("rollout.MappedProcess"),
    ),
    Detector(
        "processes_installed",
        gettext_lazy("a mapped process is turned into Kesher"),
        _processes_installed,
    ),
    Detector(
        "departments",
        gettext_lazy("departments exist"),
        _more_than_one("org.Department"),
    ),
    Detector("users", gettext_lazy("users exist"), _more_than_one("org.User", is_active=True)),
    Detector("roles", gettext_lazy("every active user has a role"), _roles_given),
    Detector(
        "practice_ready",
        gettext_lazy("the practice environment is ready"),
        lambda f: f.practice().ready,
    ),
    Detector(
        "practice_import",
        gettext_lazy("an import into the practice environment finished"),
        lambda f: f.practice().import_done,
    ),
    Detector(
        "document_templates",
        gettext_lazy("a document template exists"),
        _exists("quotes.DocumentTemplate"),
    ),
    Detector(
        "email_templates",
        gettext_lazy("an e-mail template exists"),
        _exists("integrations.EmailTemplate"),
    ),
    Detector("exercises", gettext_lazy("training exercises exist"), _exists("rollout.Exercise")),
    Detector("everyone_trained", gettext_lazy("every user is trained"), _everyone_trained),
    Detector(
        "advanced_chosen",
        gettext_lazy("users are chosen for advanced training"),
        lambda f: f.project().advanced_users.exists(),
    ),
    Detector(
        "live_import",
        gettext_lazy("an import into the live system finished"),
        _exists("imports.ImportJob", status="done"),
    ),
)


def detectors() -> dict[str, Detector]:
    return {d.key: d for d in _DETECTORS}


def run_detectors(keys, facts: Facts | None = None) -> dict[str, bool]:
    """Each named check's answer, sharing what they read."""
    facts = facts or Facts()
    known = detectors()
    return {key: bool(known[key].check(facts)) for key in set(keys) if key in known}
