"""Everything Kesher holds about one person (issue 25 item 2): found through the models'
links rather than a list of apps, so an entity added later — or one an administrator defines —
is searched too. One query per kind of record that links to the person.

What links to a person:
- a foreign key or many-to-many field to contacts, on any model (tickets, consents, campaign
  recipients, relationships, a contact's accounts, interaction participants…);
- a generic "about" link (``link_type`` and ``link_id``: interactions, tasks, notifications)
  naming the person or a record found above (an interaction about the person's ticket);
- a custom field of type "link" to contacts (admin-defined kinds of record included);
- files attached to any of these, and the person's audit trail;
- the second hop: the leads that are the same person — the lead he was converted from, or one
  with his e-mail or a phone of his — and everything linked to them as above (web-form
  submissions, consents and campaign recipients of the lead alone, its interactions, notes and
  files, its history with its scores), and what a lead's conversion moved from it to the
  account, contact or deal it became (its interactions and tasks, read from the conversion's
  entry in the lead's history). A request may also name a lead: a converted one is answered
  as the contact it became.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import Case, OuterRef, Q, Subquery, When

from kesher.customers.models import Contact
from kesher.platform import accesslog
from kesher.platform.access import can
from kesher.platform.models import Attachment, AuditEntry, CustomField
from kesher.platform.registry import Entity, registry
from kesher.privacy.models import AccessAction, AccessEntry, SubjectRequest
from kesher.sales.models import Lead

__all__ = [
    "Found",
    "SubjectData",
    "access_log",
    "linking_kinds",
    "note_person",
    "record_fields",
    "records_naming",
    "same_person_leads",
    "subject_data",
]

CONTACTS = "contacts"
LEADS = "leads"
# Models of the privacy app itself: a request names its person, the log his ids; neither is
# the person's data to hand over or erase.
OWN_MODELS = (SubjectRequest, AccessEntry)
INTEGER_KEYS = (models.AutoField, models.BigAutoField, models.IntegerField)
# Columns that say nothing of the person.
INTERNAL_FIELDS = frozenset({"version", "custom", "password"})


@dataclass
class Found:
    """The records of one kind that hold something of the person."""

    key: str  # the entity's key, or "app_label.model" for a model that is no entity
    label: str
    model: type[models.Model]
    entity: Entity | None
    records: list = field(default_factory=list)


@dataclass
class SubjectData:
    """``person``: the contact, or the lead a request names when he never became a contact;
    ``leads``: the leads that are the same person (the ``person`` among them when a lead), in
    ``found`` too under "leads"; ``history``: the audit trail of his contact and leads."""

    person: Contact | Lead
    contact: Contact | None
    leads: list[Lead]
    found: list[Found]
    attachments: list[Attachment]
    history: list[AuditEntry]

    def records(self):
        """``(found, record)`` of every record but the person's own."""
        for group in self.found:
            for record in group.records:
                yield group, record


def _entity(model) -> Entity | None:
    return registry.for_model(model) if registry.has_model(model) else None


def _label(model, entity: Entity | None) -> str:
    return str(entity.label_plural if entity else model._meta.verbose_name_plural)


def _key(model, entity: Entity | None) -> str:
    return entity.key if entity else model._meta.label_lower


def _forward_links(model, target=Contact) -> list[str]:
    """The names of ``model``'s fields that point at ``target`` (a contact, or a lead)."""
    return [
        f.name
        for f in model._meta.get_fields()
        if f.concrete
        and (f.many_to_one or f.many_to_many or f.one_to_one)
        and f.related_model is target
    ]


def _has_about_link(model) -> bool:
    names = {f.name for f in model._meta.concrete_fields}
    return {"link_type", "link_id"} <= names


def _joined(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.many_to_one]


def _group(model, condition: Q, entity: Entity | None = None, *, by_id=False) -> Found | None:
    """The records of ``model`` that match ``condition``, with what they link to; ``by_id``:
    the condition names ids, so no row comes twice and no DISTINCT is asked (on PostgreSQL a
    DISTINCT over a record's joined columns cost 250 ms of a 270 ms search)."""
    entity = entity or _entity(model)
    manager = entity.queryset() if entity else model._default_manager
    rows = manager.filter(condition).select_related(*_joined(model))
    rows = list(rows if by_id else rows.distinct())
    if not rows:
        return None
    return Found(_key(model, entity), _label(model, entity), model, entity, rows)


def _hits(wanted: list[tuple[type[models.Model], Q]]) -> dict[type[models.Model], list[int]]:
    """The ids of the rows each ``(model, condition)`` matches, in one statement (UNION ALL of
    one bare id query per model and link): most kinds hold nothing of one person, and
    compiling a full query with its joins for each would cost more than the database's answer
    (decision 0098)."""
    if not wanted:
        return {}
    parts, params = [], []
    for index, (model, condition) in enumerate(wanted):
        query = model._base_manager.filter(condition).values_list("pk").order_by()
        sql, args = query.query.sql_with_params()
        parts.append(f"SELECT {index} AS kind, hit{index}.* FROM ({sql}) hit{index}")  # noqa: S608 (Django's SQL)
        params.extend(args)
    found: dict[type[models.Model], list[int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for index, pk in cursor.fetchall():
            found.setdefault(wanted[index][0], []).append(pk)
    return found


def _groups(wanted: list[tuple[type[models.Model], Q]]) -> list[Found]:
    """The records of each kind that ``wanted`` names, read in full only for the kinds that
    hold any (one query each, with what they link to)."""
    groups = []
    # One UNION ALL needs one type of id: the rare model keyed otherwise is read on its own.
    counted = [(m, c) for m, c in wanted if isinstance(m._meta.pk, INTEGER_KEYS)]
    others: dict[type[models.Model], Q] = {}
    for model, condition in wanted:
        if not isinstance(model._meta.pk, INTEGER_KEYS):
            others[model] = others.get(model, Q()) | condition
    for model, condition in others.items():
        group = _group(model, condition)
        if group:
            groups.append(group)
    for model, ids in _hits(counted).items():
        group = _group(model, Q(pk__in=sorted(set(ids))), by_id=True)
        if group:
            groups.append(group)
    return groups


def _phones(*records) -> set[str]:
    return {p for r in records for p in (r.phone, r.mobile) if p}


def same_person_leads(contact: Contact | None, lead: Lead | None = None) -> list[Q]:
    """The conditions on leads that are the same person as ``contact`` and ``lead``: ``lead``
    itself, the leads converted into ``contact``, and those with an e-mail or a phone of either
    (each an exact match on its own index, as the duplicate check matches them). Apart, not
    ORed: SQLite reads a whole table for an OR whose one column (a phone nobody filled in)
    looks unselective, where each part alone seeks its index."""
    people = [p for p in (contact, lead) if p is not None]
    conditions = [Q(pk=lead.pk)] if lead is not None else []
    if contact is not None:
        conditions.append(Q(converted_contact=contact.pk))
    emails = sorted({p.email for p in people if p.email})
    phones = sorted(_phones(*people))
    if emails:
        conditions.append(Q(email__in=emails))
    if phones:
        conditions += [Q(phone__in=phones), Q(mobile__in=phones)]
    return conditions


def subject_data(contact: Contact | None, *, lead: Lead | None = None) -> SubjectData:
    """Every record that holds something of the person — ``contact``, or ``lead`` for one who
    never became a contact (a converted lead is answered as its contact) — grouped by kind: one
    statement finds his leads and one reads them, one finds which kinds link to him or to them,
    one which are about him or his records, then one query per kind that holds any, one per
    custom link, his files and his history: bounded whatever he holds."""
    if contact is None and lead is not None and lead.converted_contact_id:
        contact = lead.converted_contact
    person: Contact | Lead | None = contact or lead
    if person is None:
        raise ValueError("subject_data needs a contact or a lead")
    # His leads: their ids in one statement (a part per condition), then read with their joins.
    lead_hits = _hits([(Lead, part) for part in same_person_leads(contact, lead)])
    leads_group = None
    if lead_hits.get(Lead):
        ids = sorted(set(lead_hits[Lead]))
        leads_group = _group(Lead, Q(pk__in=ids), registry.get(LEADS), by_id=True)
    leads = leads_group.records if leads_group else []
    lead_ids = sorted(r.pk for r in leads)
    linked: list[tuple[type[models.Model], Q]] = []
    about: list[type[models.Model]] = []
    for model in apps.get_models():
        if model in OWN_MODELS or model in (Contact, Lead):
            continue
        if _has_about_link(model):
            about.append(model)
            continue
        # One part per link: an OR across a many-to-many's join and a column would read the
        # whole table; apart, each finds its rows by its own index.
        if contact is not None:
            linked += [(model, Q(**{name: contact.pk})) for name in _forward_links(model)]
        if lead_ids:
            linked += [
                (model, Q(**{f"{name}__in": lead_ids})) for name in _forward_links(model, Lead)
            ]
    found = _groups(linked)
    if leads_group:
        found.append(leads_group)
    targets = {CONTACTS: [contact.pk] if contact else [], LEADS: lead_ids}
    custom_links = CustomField.objects.filter(
        type=CustomField.Type.LINK, link_entity__in=[k for k, ids in targets.items() if ids]
    )
    for definition in custom_links:
        if definition.entity in registry:
            entity = registry.get(definition.entity)
            ids = targets[definition.link_entity]
            condition = Q()
            for pk in ids:
                condition |= Q(**{f"custom__{definition.key}": pk})
            group = _group(entity.model, condition, entity)
            if group:
                found.append(group)
    # His history: read now, as the conversions of his leads say what they moved.
    history = Q(content_type=ContentType.objects.get_for_model(Lead), object_id__in=lead_ids)
    if contact is not None:
        history |= Q(content_type=ContentType.objects.get_for_model(Contact), object_id=contact.pk)
    entries = list(
        AuditEntry.objects.filter(history).select_related("content_type").order_by("at", "pk")
    )
    # What is "about" the person or about a record of his found above.
    named: dict[str, set[int]] = {k: set(ids) for k, ids in targets.items() if ids}
    for group in found:
        if group.entity is not None:
            named.setdefault(group.key, set()).update(r.pk for r in group.records)
    about_wanted = []
    for model in about:
        if contact is not None:
            about_wanted += [(model, Q(**{name: contact.pk})) for name in _forward_links(model)]
        if lead_ids:
            about_wanted += [
                (model, Q(**{f"{name}__in": lead_ids})) for name in _forward_links(model, Lead)
            ]
        about_wanted += [
            (model, Q(link_type=key, link_id__in=sorted(ids))) for key, ids in named.items()
        ]
    # What a lead's conversion moved to the account, contact or deal it became: logged on the
    # lead, so his, whatever it links to now (decision 0126).
    for key, ids in _moved_by_conversion(leads, entries).items():
        about_wanted.append((registry.get(key).model, Q(pk__in=sorted(ids))))
    found += _groups(about_wanted)
    found = _merged(found)
    attachments = _attachments(contact, found)
    if contact is None and lead is not None:
        # The person is the lead: his record heads the data, not one of a group.
        person = next((r for r in leads if r.pk == lead.pk), lead)
        for group in found:
            if group.key == LEADS:
                group.records = [r for r in group.records if r.pk != lead.pk]
        found = [g for g in found if g.records]
    found.sort(key=lambda g: g.label)
    return SubjectData(
        person=person,
        contact=contact,
        leads=leads,
        found=found,
        attachments=attachments,
        history=entries,
    )


def _moved_by_conversion(leads: list[Lead], entries: list[AuditEntry]) -> dict[str, set[int]]:
    """The records a lead's conversion moved to what it became (its interactions — notes among
    them — and tasks), by entity key: from the conversion's entry in the lead's history
    (``sales.services.MOVED``); for a conversion made before it named them, from the moved
    records' own history (``_moved_before_named``)."""
    from kesher.sales.services import MOVED

    lead_type = ContentType.objects.get_for_model(Lead)
    moved: dict[str, set[int]] = {}
    named: set[int] = set()
    for entry in entries:
        if entry.content_type_id != lead_type.pk or not isinstance(entry.changes, dict):
            continue
        for key in MOVED:
            value = entry.changes.get(key)
            new = value[1] if isinstance(value, list) and len(value) == 2 else None
            if isinstance(new, dict) and new.get("ref") in registry:
                named.add(entry.object_id)
                moved.setdefault(new["ref"], set()).update(
                    pk for pk in new.get("ids", []) if isinstance(pk, int)
                )
    unnamed = [lead for lead in leads if lead.converted_at is not None and lead.pk not in named]
    for key, ids in _moved_before_named(unnamed).items():
        moved.setdefault(key, set()).update(ids)
    return moved


def _moved_before_named(leads: list[Lead]) -> dict[str, set[int]]:
    """What the conversions of ``leads`` moved, read from the moved records' own history, for
    conversions that did not name them (made before decision 0126, or that moved nothing): the
    interactions and tasks now on what each lead became whose history says they were moved
    from it. One statement, and none when there is no such lead."""
    from kesher.activities.models import Interaction, Task

    targets = Q()
    lead_ids = set()
    for lead in leads:
        # Where its conversion moved them: the account, else the contact, else the deal.
        for key, pk in (
            ("accounts", lead.converted_account_id),
            ("contacts", lead.converted_contact_id),
            ("opportunities", lead.converted_opportunity_id),
        ):
            if pk is not None:
                targets |= Q(link_type=key, link_id=pk)
                lead_ids.add(lead.pk)
                break
    if not lead_ids:
        return {}
    models_by_type = {}
    now_there = Q()
    link_now = []
    for model in (Interaction, Task):
        content_type = ContentType.objects.get_for_model(model)
        models_by_type[content_type.pk] = model
        now_there |= Q(
            content_type=content_type,
            object_id__in=model._base_manager.filter(targets).values("pk"),
        )
        record = model._base_manager.filter(pk=OuterRef("object_id")).values("link_id")[:1]
        link_now.append(When(content_type=content_type, then=Subquery(record)))
    entries = (
        AuditEntry.objects.filter(
            now_there, action=AuditEntry.Action.UPDATE, changes__link_type__0="leads"
        )
        .annotate(link_now=Case(*link_now, output_field=models.BigIntegerField()))
        .values_list("content_type_id", "object_id", "changes", "link_now")
    )
    moved: dict[str, set[int]] = {}
    for content_type_id, object_id, changes, now in entries:
        # The lead it left: the old link's id; when the id stayed (a lead and an account of
        # the same number) the entry names none, and it is the id the record links to now.
        old = changes["link_id"][0] if "link_id" in changes else now
        old = old.get("id") if isinstance(old, dict) else old
        if old in lead_ids:
            key = registry.for_model(models_by_type[content_type_id]).key
            moved.setdefault(key, set()).add(object_id)
    return moved


def _merged(found: list[Found]) -> list[Found]:
    """One group per kind (a kind may be found by a field and by a custom link)."""
    by_key: dict[str, Found] = {}
    for group in found:
        if group.key in by_key:
            known = {r.pk for r in by_key[group.key].records}
            by_key[group.key].records += [r for r in group.records if r.pk not in known]
        else:
            by_key[group.key] = group
    return list(by_key.values())


def _attachments(contact: Contact | None, found: list[Found]) -> list[Attachment]:
    condition = Q(pk__in=[])  # nothing, when he has no contact and no record was found
    if contact is not None:
        content_type = ContentType.objects.get_for_model(Contact)
        condition |= Q(content_type=content_type, object_id=contact.pk)
    for group in found:
        if group.entity is not None:
            content_type = ContentType.objects.get_for_model(group.model)
            condition |= Q(content_type=content_type, object_id__in=[r.pk for r in group.records])
    return list(Attachment.objects.filter(condition).order_by("pk"))


def linking_kinds(person: Contact | Lead) -> set[str]:
    """The entities whose records link to a record of ``person``'s kind (a quote's contact, a
    ticket's): messages about one of his were about him. No query."""
    return {
        entity.key
        for entity in registry.all()
        if entity.model not in (Contact, Lead) and _forward_links(entity.model, type(person))
    }


def records_naming(person: Contact | Lead, kinds: set[str]) -> dict[str, list[int]]:
    """The ids of the records of each entity of ``kinds`` that name ``person`` — by a link to
    him (a tax document's contact, a ticket's) or an "about" link — in one statement: what an
    export of those records (the accountant's file of tax documents, a list of tickets) passed
    on of him. A kind with no such link names no one."""
    entity = LEADS if isinstance(person, Lead) else CONTACTS
    wanted = []
    for kind in sorted(kinds):
        if kind not in registry:
            continue
        model = registry.get(kind).model
        wanted += [(model, Q(**{name: person.pk})) for name in _forward_links(model, type(person))]
        if _has_about_link(model):
            wanted.append((model, Q(link_type=entity, link_id=person.pk)))
    by_model = _hits(wanted)
    return {registry.for_model(model).key: sorted(set(ids)) for model, ids in by_model.items()}


def note_person(action: str, data: SubjectData) -> None:
    """The access log's note that the person's records were read or exported: his contact and
    his leads (the rest is found through them)."""
    if data.contact is not None:
        accesslog.note(action, CONTACTS, (data.contact.pk,))
    if data.leads:
        accesslog.note(action, LEADS, [lead.pk for lead in data.leads])


def record_fields(record) -> list[tuple[str, str, Any]]:
    """``(name, label, value)`` of a record's columns that may hold something of the person,
    then its custom values: what an export shows of it."""
    result = []
    for f in record._meta.concrete_fields:
        if f.primary_key or f.name in INTERNAL_FIELDS:
            continue
        if f.many_to_one:
            value = getattr(record, f.name)
            value = str(value) if value is not None else None
        elif f.choices:
            value = getattr(record, f"get_{f.name}_display")()
        else:
            value = getattr(record, f.attname)
        result.append((f.name, str(f.verbose_name), value))
    for key, value in sorted((getattr(record, "custom", None) or {}).items()):
        result.append((f"custom.{key}", key, value))
    return result


def _exports_holding(pk: int, entity: str | None) -> list[int]:
    """The entries of lists' exports whose file held the record ``pk`` (of ``entity``, if
    given): read from their id runs; exports are few beside pages."""
    from kesher.privacy.accesslog import batches

    batches.flush()  # this process's exports of the last second are read too
    exports = AccessEntry.objects.filter(
        action=AccessAction.EXPORT, record_id__isnull=True, records__gt=""
    )
    if entity:
        exports = exports.filter(entity=entity)
    return [
        entry
        for entry, runs in exports.values_list("pk", "records")
        if accesslog.contains(runs, pk)
    ]


def access_log(user, *, filters: dict):
    """The access log as the privacy officer reads it, newest first, narrowed by ``filters``
    (``user``, ``action``, ``entity``, ``record``, ``since``, ``until``); none for a user whose
    role is not granted the data-subject requests."""
    from kesher.privacy.entities import REQUESTS

    if not can(user, REQUESTS, "view"):
        return AccessEntry.objects.none()
    from kesher.privacy.accesslog import batches

    batches.flush()  # this process's entries of the last second are read too
    qs = AccessEntry.objects.all()
    if filters.get("user"):
        qs = qs.filter(user_id=filters["user"])
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("entity"):
        qs = qs.filter(entity=filters["entity"])
    if filters.get("record"):
        qs = qs.filter(
            Q(record_id=filters["record"])
            | Q(pk__in=_exports_holding(filters["record"], filters.get("entity")))
        )
    if filters.get("since"):
        qs = qs.filter(at__date__gte=filters["since"])
    if filters.get("until"):
        qs = qs.filter(at__date__lte=filters["until"])
    return qs.order_by("-at", "-id")
