import datetime

from django import template

from kesher.privacy.selectors import record_fields

register = template.Library()


@register.filter
def stamp_date(stamp: str):
    """A moment kept as ISO text in a request's outcome, as a time to show."""
    return datetime.datetime.fromisoformat(stamp) if stamp else None


@register.filter
def runs_count(runs: str) -> int:
    """How many records an export's id runs ("1-40,42") name."""
    total = 0
    for run in (runs or "").split(","):
        if run:
            first, _sep, last = run.partition("-")
            total += int(last or first) - int(first) + 1
    return total


@register.filter
def shown_fields(record) -> list:
    """The record's filled columns, as a person's data page lists them."""
    return [row for row in record_fields(record) if row[2] not in (None, "", {}, [])]


@register.filter
def assessment_requirements(assessment) -> list:
    """What the assessment's security level asks, met or not (``privacy.assessment``)."""
    from kesher.privacy.assessment import requirements

    return requirements(assessment)


@register.filter
def received_by(request) -> list:
    """Who received the person of a correction request's data in the three years before it."""
    from kesher.privacy.recipients import person_of, recipients, since_for

    person = person_of(request)
    if person is None:
        return []
    return recipients(person, since=since_for(request))


@register.filter
def how_label(key: str) -> str:
    from kesher.privacy.recipients import HOW

    return str(HOW.get(key, key))


@register.filter
def kind_label(key: str) -> str:
    """A kind of record's name, from the key a request's outcome keeps (an entity's key, or
    "app_label.model" for a model that is no entity): the key itself when neither is known."""
    from django.apps import apps

    from kesher.platform.registry import registry

    if key in registry:
        return str(registry.get(key).label_plural)
    try:
        return str(apps.get_model(key)._meta.verbose_name_plural)
    except (LookupError, ValueError):
        return key
