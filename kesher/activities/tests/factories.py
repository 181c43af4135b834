"""Activities made through the services, as real ones are."""

from kesher.activities.services import interaction_create, task_create
from kesher.platform.models import Choice


def choice(list_key: str, value: str) -> Choice:
    return Choice.objects.get(list_key=list_key, value=value)


def make_interaction(actor, record=None, **data):
    data.setdefault("kind", choice("interaction_kind", "call"))
    data.setdefault("subject", "שיחת מעקב")
    if record is not None:
        data.setdefault(
            "link_type", "accounts" if record._meta.model_name == "account" else "contacts"
        )
        data.setdefault("link_id", record.pk)
    m2m = data.pop("m2m", None)
    return interaction_create(actor=actor, data=data, m2m=m2m)


def make_task(actor, record=None, **data):
    data.setdefault("title", "להתקשר ללקוח")
    if record is not None:
        data.setdefault(
            "link_type", "accounts" if record._meta.model_name == "account" else "contacts"
        )
        data.setdefault("link_id", record.pk)
    return task_create(actor=actor, data=data)
