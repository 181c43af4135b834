"""The customer 360° view on a record's page (REQ CU-7, CU-8; issue 4 item 6): key figures and
the alerts banner. Its history is the record's one timeline, which the platform shows with a
filter by kind (``kesher.activities.timeline`` offers tasks and each kind of interaction).

Key figures come from a small registry so that later modules add theirs (open tickets, open
opportunities, revenue by product group, payment behaviour): ``register_figure`` with a
function ``compute(record, user)``. Slots named in ``SLOTS`` are shown empty ("—") until a
module registers a figure under that key, so the page's layout does not move when they arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Case, Count, Max, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.models import AlertRule, Interaction, ManualAlert, Task
from kesher.platform.access import can
from kesher.platform.lists.filterlang import compile_filter
from kesher.platform.registry import registry
from kesher.platform.ui.display import format_when
from kesher.platform.visibility import hidden_fields

__all__ = [
    "SLOTS",
    "Figure",
    "alerts_for",
    "figures_for",
    "register_alert_source",
    "register_figure",
]


@dataclass(frozen=True)
class Figure:
    """One key figure: ``compute(record, user)`` returns the value shown (None: "—")."""

    key: str
    label: str
    compute: Callable | None = None
    entities: tuple[str, ...] = ("accounts",)
    order: int = 100
    # "danger" when the value asks for attention (overdue tasks above zero).
    tone: Callable | None = None
    # ``link(record, user)``: where the value leads (the records it counts), or None.
    link: Callable | None = None


_figures: dict[str, Figure] = {}

# Figures later modules fill; shown empty until then (issue 4 item 6).
SLOTS = (
    Figure("open_tickets", gettext_lazy("Open tickets"), order=40),
    Figure("open_opportunities", gettext_lazy("Open opportunities"), order=50),
    Figure("revenue_by_group", gettext_lazy("Revenue by product group"), order=60),
    Figure("payment_behaviour", gettext_lazy("Payment behaviour"), order=70),
)


def register_figure(figure: Figure) -> Figure:
    """Add (or fill a slot with) a key figure of the 360° view."""
    _figures[figure.key] = figure
    return figure


# Alerts later modules raise from their own data ("debt overdue": kesher.billing):
# ``compute(record, user)`` returns a list of {level, message, id, url}.
_alert_sources: dict[str, tuple[tuple[str, ...], Callable]] = {}


def register_alert_source(key: str, compute: Callable, entities: tuple[str, ...]) -> None:
    """Add alerts computed by a module to the banner of ``entities``' records; each is shown
    with ``source`` = ``key`` beside the rules' and the manual ones."""
    _alert_sources[key] = (entities, compute)


def _task_counts(record, user) -> dict:
    """Open and overdue tasks of the record the user may see: one aggregate query, kept on the
    record object for the figures that share it."""
    cached = getattr(record, "_activity_task_counts", None)
    if cached is not None:
        return cached
    key = registry.for_model(record).key
    counts = {"open": None, "overdue": None}
    if can(user, "tasks", "view"):
        counts = (
            Task.objects.visible_to(user)
            .filter(link_type=key, link_id=record.pk, is_open=True)
            .aggregate(
                open=Count("pk"),
                overdue=Count("pk", filter=Q(due_at__lte=timezone.now())),
            )
        )
    record._activity_task_counts = counts
    return counts


def _last_contact(record, user):
    if "last_contact_at" in hidden_fields(registry.for_model(record), user):
        return None
    if hasattr(record, "last_contact_at"):
        return format_when(record.last_contact_at) if record.last_contact_at else _("never")
    key = registry.for_model(record).key
    last = (
        Interaction.objects.visible_to(user)
        .filter(link_type=key, link_id=record.pk)
        .aggregate(last=Max("occurred_at"))["last"]
    )
    return format_when(last) if last else _("never")


register_figure(
    Figure(
        "open_tasks",
        gettext_lazy("Open tasks"),
        lambda record, user: _task_counts(record, user)["open"],
        entities=("accounts", "contacts"),
        order=10,
    )
)
register_figure(
    Figure(
        "overdue_tasks",
        gettext_lazy("Overdue tasks"),
        lambda record, user: _task_counts(record, user)["overdue"],
        entities=("accounts", "contacts"),
        order=20,
        tone=lambda value: "danger" if value else "",
    )
)
register_figure(
    Figure(
        "last_contact",
        gettext_lazy("Last contact"),
        _last_contact,
        entities=("accounts", "contacts"),
        order=30,
    )
)


def figures_for(record, user) -> list[dict]:
    """The key figures of ``record`` in order, each {key, label, value, tone, url}."""
    key = registry.for_model(record).key
    shown = {f.key: f for f in SLOTS if key in f.entities}
    shown.update({k: f for k, f in _figures.items() if key in f.entities})
    rows = []
    for figure in sorted(shown.values(), key=lambda f: (f.order, f.key)):
        value = figure.compute(record, user) if figure.compute else None
        tone = figure.tone(value) if figure.tone and value is not None else ""
        url = figure.link(record, user) if figure.link and value is not None else None
        rows.append(
            {"key": figure.key, "label": figure.label, "value": value, "tone": tone, "url": url}
        )
    return rows


def alerts_for(record, user) -> list[dict]:
    """The alerts banner of ``record``: every active rule whose condition the record meets
    (all rules in one query, each a ``CASE``), then the unexpired manual alerts the user may
    see, with the alerts modules compute between them. Each is {level, message, source ("rule",
    "manual" or the module's key), id}, a module's also ``url``."""
    entity = registry.for_model(record)
    alerts = []
    rules = list(AlertRule.objects.filter(entity=entity.key, active=True).order_by("name", "id"))
    if rules:
        annotations, aliases = {}, {}
        for rule in rules:
            q, rule_aliases = compile_filter(entity, rule.condition)
            aliases.update(rule_aliases)
            annotations[f"rule_{rule.pk}"] = Case(When(q, then=True), default=False)
        qs = entity.model._base_manager.filter(pk=record.pk)
        if aliases:
            qs = qs.alias(**aliases)
        matched = qs.annotate(**annotations).values(*annotations).first() or {}
        for rule in rules:
            if matched.get(f"rule_{rule.pk}"):
                alerts.append(
                    {"level": rule.level, "message": rule.message, "source": "rule", "id": rule.pk}
                )
    for source, (entities, compute) in _alert_sources.items():
        if entity.key in entities:
            alerts.extend({**alert, "source": source} for alert in compute(record, user))
    if can(user, "manual-alerts", "view"):
        manual = (
            ManualAlert.objects.visible_to(user)
            .filter(link_type=entity.key, link_id=record.pk, expires_at__gt=timezone.now())
            .order_by("expires_at", "id")
        )
        alerts.extend(
            {
                "level": a.level,
                "message": a.message,
                "source": "manual",
                "id": a.pk,
                "expires_at": a.expires_at,
            }
            for a in manual
        )
    return alerts
