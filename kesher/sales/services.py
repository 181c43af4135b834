"""Every write of sales: leads, their conversion, deals and their stage moves (REQ SA-1 … SA-5).

Deals are created and changed through ``opportunity_create`` / ``opportunity_update``, which
the pages, the API, the board, bulk updates, imports and automation all call: a stage change
restarts the deal's clock (``stage_entered_at``) and sets when it becomes stuck (``stuck_at``,
the stage's standard duration in business days, REQ SA-3); the stage is the deal's status, so
field rules "required at these statuses" are enforced at the move and automation's "the status
becomes / stops being" triggers fire on it (decision 0057).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kesher.activities.calendar import add_business_time
from kesher.activities.services import calendar_of
from kesher.customers.models import Account, Contact
from kesher.customers.services import account_create, contact_create, contact_link_account
from kesher.dedupe.specs import find_candidates, spec_for
from kesher.platform.models import AuditEntry, Choice
from kesher.platform.records import audit
from kesher.platform.records.services import (
    ConflictError,
    record_create,
    record_delete,
    record_update,
    write_audit,
)
from kesher.sales.models import (
    Lead,
    LeadAssignmentRule,
    Opportunity,
    OpportunityContact,
    Pipeline,
    SalesSettings,
    Stage,
)

User = get_user_model()

__all__ = [
    "Conversion",
    "first_stage",
    "lead_assignee",
    "lead_convert",
    "lead_create",
    "opportunity_create",
    "opportunity_link_contact",
    "opportunity_move_stage",
    "opportunity_set_contact_role",
    "opportunity_set_contacts",
    "opportunity_unlink_contact",
    "opportunity_update",
    "pipeline_delete",
    "sales_settings_update",
    "stage_delete",
    "stuck_moment",
]


def stuck_moment(stage: Stage, entered_at: datetime.datetime) -> datetime.datetime | None:
    """When a deal that entered ``stage`` at ``entered_at`` passes the stage's standard
    duration: that many working days of the default business calendar later (REQ SA-3). A won
    or lost deal, or a stage without a standard, is never stuck."""
    if not stage.standard_days or stage.outcome != Stage.Outcome.OPEN:
        return None
    week = calendar_of()
    any_day = datetime.date(2000, 1, 2)  # a working day's length, whatever the date
    day = datetime.datetime.combine(any_day, week.day_end) - datetime.datetime.combine(
        any_day, week.day_start
    )
    return add_business_time(entered_at, day * stage.standard_days, week)


@transaction.atomic
def stage_delete(stage: Stage, *, actor, expected_version: int | None = None) -> None:
    """Delete a stage no deal is on; one holding deals is refused with a clear message (its
    deals would otherwise lose their place): move them, or make the stage inactive."""
    if Opportunity.objects.filter(stage=stage).exists():
        raise ValidationError(
            {"stage": [_("Deals are on this stage: move them first, or make it inactive.")]}
        )
    record_delete(stage, actor=actor, expected_version=expected_version)


@transaction.atomic
def pipeline_delete(pipeline: Pipeline, *, actor, expected_version: int | None = None) -> None:
    """Delete a pipeline and its stages when no deal is on any of them."""
    if Opportunity.objects.filter(stage__pipeline=pipeline).exists():
        raise ValidationError(
            {"pipeline": [_("Deals are in this pipeline: move them first, or make it inactive.")]}
        )
    for stage in pipeline.stages.all():
        record_delete(stage, actor=actor)
    record_delete(pipeline, actor=actor, expected_version=expected_version)


def _default_choice(list_key: str) -> Choice | None:
    """The list's value marked default in its settings, else its first active one."""
    values = list(Choice.objects.filter(list_key=list_key, active=True).order_by("order", "pk"))
    return next((c for c in values if (c.extra or {}).get("default")), None) or next(
        iter(values), None
    )


def _pk(value) -> int | None:
    return getattr(value, "pk", value) or None


def _rule_candidates(rule: LeadAssignmentRule, region_id: int | None) -> list:
    if rule.method == LeadAssignmentRule.Method.USER:
        return [rule.user] if rule.user and rule.user.is_active else []
    users = rule.members.all() if rule.members.exists() else User.objects.all()
    users = users.filter(is_active=True)
    if rule.by_region:
        if region_id is None:
            return []
        users = users.filter(regions=region_id)
    return list(users.order_by("pk"))


def _next_of(rule: LeadAssignmentRule, candidates: list):
    if rule.method == LeadAssignmentRule.Method.LEAST_LOADED:
        # Open leads: not converted and not disqualified.
        load = dict(
            Lead.objects.filter(owner__in=candidates, converted_at__isnull=True)
            .exclude(status__value="disqualified")
            .values_list("owner")
            .annotate(open=Count("pk"))
            .values_list("owner", "open")
        )
        return min(candidates, key=lambda user: (load.get(user.pk, 0), user.pk))
    after = [u for u in candidates if rule.last_assigned_id and u.pk > rule.last_assigned_id]
    return (after or candidates)[0]


def lead_assignee(data: dict) -> tuple[object | None, LeadAssignmentRule | None]:
    """The owner the assignment rules give a new lead with ``data``, and the rule that gave it
    (REQ SA-1): the first active rule, in order, whose source and region the lead meets and
    that has someone to give it to; (None, None) when no rule does. A rule taking turns is
    locked, so two leads captured at once do not both go to the same "next" member."""
    source_id, region_id = _pk(data.get("source")), _pk(data.get("region"))
    rules = LeadAssignmentRule.objects.filter(active=True).select_related("user")
    for rule in rules.order_by("order", "pk"):
        if (rule.source_id and rule.source_id != source_id) or (
            rule.region_id and rule.region_id != region_id
        ):
            continue
        candidates = _rule_candidates(rule, region_id)
        if not candidates:
            continue
        if rule.method == LeadAssignmentRule.Method.USER:
            return candidates[0], rule
        locked = LeadAssignmentRule.objects.select_for_update().get(pk=rule.pk)
        return _next_of(locked, candidates), locked
    return None, None


@transaction.atomic
def lead_create(*, actor, data: dict, m2m: dict | None = None, fallback_owner=None) -> Lead:
    """Capture a lead; without a status it gets the list's default ("new"), without an owner
    the one the assignment rules give, else ``fallback_owner`` (a web form's owner, decision
    0105), else the creating user (REQ SA-1)."""
    if not data.get("status"):
        data = {**data, "status": _default_choice("lead_status")}
    rule = None
    if not data.get("owner"):
        assignee, rule = lead_assignee(data)
        if assignee is None:
            assignee = fallback_owner
        if assignee is not None:
            data = {**data, "owner": assignee}
    lead = record_create("leads", actor=actor, data=data, m2m=m2m)
    if rule is not None and rule.method != LeadAssignmentRule.Method.USER:
        # The turn moves on only once the lead exists: a refused lead takes nobody's turn.
        LeadAssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=lead.owner)
    return lead


def _clock(
    opportunity: Opportunity,
    entered_at: datetime.datetime,
    *,
    previous_outcome: str | None = None,
    closed_at: datetime.datetime | None = None,
) -> list[str]:
    """Restart the deal's clock in its stage, and say when it was closed: the moment it was
    won or lost, kept while it moves between stages of the same outcome (won → in work →
    done), cleared when it is reopened. Returns the fields set, written with the deal's row
    (``record_create`` / ``record_update``'s ``derive``)."""
    # Derived from the stage alone, not a change of their own: no audit entry, no event.
    outcome = opportunity.stage.outcome
    if outcome == Stage.Outcome.OPEN:
        closed_at = None
    elif outcome != previous_outcome or closed_at is None:
        closed_at = entered_at
    opportunity.stage_entered_at = entered_at
    opportunity.stuck_at = stuck_moment(opportunity.stage, entered_at)
    opportunity.closed_at = closed_at
    return ["stage_entered_at", "stuck_at", "closed_at"]


def _start_clock(opportunity: Opportunity, _old: dict) -> list[str]:
    return _clock(opportunity, opportunity.stage_entered_at)


def _restart_clock(opportunity: Opportunity, old: dict) -> list[str]:
    """A new stage restarts the clock (``old``: the changed fields' previous values)."""
    if "stage" not in old:
        return []
    return _clock(
        opportunity,
        timezone.now(),
        previous_outcome=old["stage"].outcome,
        closed_at=opportunity.closed_at,
    )


def opportunity_create(*, actor, data: dict, m2m: dict | None = None) -> Opportunity:
    """Create a deal on its stage, its clock started now (REQ SA-2, SA-3); one created won or
    lost is closed now."""
    return record_create("opportunities", actor=actor, data=data, m2m=m2m, derive=_start_clock)


def opportunity_update(
    opportunity: Opportunity, *, actor, data: dict, m2m=None, expected_version=None
) -> Opportunity:
    """Change a deal; a new stage restarts its clock (REQ SA-3) and closes or reopens it, in
    the same write: the stage it had is read with the row locked (``record_update``)."""
    return record_update(
        opportunity,
        actor=actor,
        data=data,
        m2m=m2m,
        expected_version=expected_version,
        derive=_restart_clock,
    )


def opportunity_move_stage(
    opportunity: Opportunity, *, actor, stage: Stage, expected_version: int | None = None
) -> Opportunity:
    """Move a deal to another stage of its pipeline (the board's drag, its move buttons and the
    API's ``move`` action): the stage's required fields are enforced, the clock restarts and
    the stage's events go to automation (REQ SA-2 … SA-5)."""
    if stage.pipeline_id != opportunity.stage.pipeline_id:
        raise ValidationError({"stage": [_("Choose a stage of the deal's pipeline.")]})
    if not stage.active:
        raise ValidationError({"stage": [_("This stage is no longer in use.")]})
    return opportunity_update(
        opportunity, actor=actor, data={"stage": stage}, expected_version=expected_version
    )


def _linked(contact, role: str) -> dict:
    """The contact as the deal's audit entry stores it, the role as a note beside its name."""
    linked = audit.encode(contact)
    if role:
        linked["note"] = role
    return linked


def opportunity_link_contact(
    opportunity: Opportunity, *, actor, contact, role: str = "", new_deal: bool = False
) -> OpportunityContact:
    """Add a contact to a deal in a role (decision maker, user …), audited on the deal.
    ``new_deal``: the deal was made just now in this transaction, so it has no contacts yet (a
    conversion: the check's read saved)."""
    if (
        not new_deal
        and OpportunityContact.objects.filter(opportunity=opportunity, contact=contact).exists()
    ):
        raise ValidationError({"contacts": [_("The contact is already on this deal.")]})
    link = OpportunityContact(opportunity=opportunity, contact=contact, role=role.strip())
    # The role's own checks; the pair's uniqueness was just checked and both records are here
    # (full_clean would read each of them again: three queries per conversion).
    link.full_clean(exclude=["opportunity", "contact"], validate_constraints=False)
    link.save()
    write_audit(
        opportunity,
        actor=actor,
        action="update",
        changes={"contacts": [None, _linked(contact, link.role)]},
    )
    return link


def opportunity_set_contact_role(link: OpportunityContact, *, actor, role: str) -> None:
    """Change a contact's role in a deal, audited on the deal (REQ SA-6)."""
    role = role.strip()
    if role == link.role:
        return
    before = _linked(link.contact, link.role)
    link.role = role
    link.full_clean()
    link.save(update_fields=["role"])
    write_audit(
        link.opportunity,
        actor=actor,
        action="update",
        changes={"contacts": [before, _linked(link.contact, role)]},
    )


def opportunity_unlink_contact(opportunity: Opportunity, *, actor, contact) -> None:
    """Take a contact off a deal, audited on the deal."""
    links = OpportunityContact.objects.filter(opportunity=opportunity, contact=contact)
    link = links.first()
    if link is not None:
        links.delete()
        write_audit(
            opportunity,
            actor=actor,
            action="update",
            changes={"contacts": [_linked(contact, link.role), None]},
        )


@transaction.atomic
def opportunity_set_contacts(opportunity: Opportunity, *, actor, links: list[dict]) -> None:
    """Make the deal's contacts that ``actor`` may see exactly ``links`` (items ``{"contact":
    Contact, "role": str}``): new ones added, missing ones removed, changed roles updated, each
    audited. Contacts out of the actor's sight stay as they are: an edit never removes what
    its author cannot see (REQ SA-6, OR-3)."""
    # Lock the deal: two edits of its contacts at once must not both add or both remove one.
    Opportunity._base_manager.select_for_update().filter(pk=opportunity.pk).exists()
    wanted: dict[int, dict] = {}
    for link in links:
        contact = link["contact"]
        if contact.pk in wanted:
            raise ValidationError(
                {"contacts": [_("%(contact)s is listed more than once.") % {"contact": contact}]}
            )
        wanted[contact.pk] = link
    current_ids = opportunity.contact_links.values_list("contact_id", flat=True)
    visible = set(
        Contact.objects.visible_to(actor)
        .filter(pk__in=[*wanted, *current_ids])
        .values_list("pk", flat=True)
    )
    if set(wanted) - visible:
        raise ValidationError({"contacts": [_("No such contact, or you may not see it.")]})
    current = {
        link.contact_id: link
        for link in opportunity.contact_links.select_related("contact", "opportunity")
        if link.contact_id in visible
    }
    for contact_id, link in current.items():
        if contact_id not in wanted:
            opportunity_unlink_contact(opportunity, actor=actor, contact=link.contact)
    for contact_id, wish in wanted.items():
        if contact_id in current:
            opportunity_set_contact_role(
                current[contact_id], actor=actor, role=wish.get("role", "")
            )
        else:
            opportunity_link_contact(
                opportunity, actor=actor, contact=wish["contact"], role=wish.get("role", "")
            )


# --- lead conversion ---------------------------------------------------------------------------


@dataclass
class Conversion:
    """What one lead became (each may be None: the user chose not to create it)."""

    lead: Lead
    account: Account | None = None
    contact: Contact | None = None
    opportunity: Opportunity | None = None
    matched: list[str] = field(default_factory=list)  # "account" / "contact": existing ones


# The lead's links a conversion names (the deal's owner, source and campaigns; the status
# the audit entry shows it left).
LEAD_NAMED = ("owner", "source", "status", "campaign", "last_campaign")


def _existing(key: str, actor, values: dict, *, same_name: bool = False):
    """The record of ``key`` the actor may see that the lead already is, found by the
    platform's duplicate check (decision 0055): one sharing a key (e-mail, phone), or — when
    ``same_name`` — one whose name, normalised, is the lead's; never a merely similar one."""
    for candidate in find_candidates(spec_for(key), actor, values):
        if set(candidate["reasons"]) - {"name"} or (same_name and candidate["score"] == 100):
            return candidate["obj"]
    return None


# The conversion's record of what it moved, on the lead's entry: a request about the person
# (issue 25) finds them through his lead, wherever they link now (decision 0126).
MOVED_INTERACTIONS = audit.register_fact(
    "sales.moved_interactions", gettext_lazy("interactions moved to what it became")
)
MOVED_TASKS = audit.register_fact(
    "sales.moved_tasks", gettext_lazy("tasks moved to what it became")
)
MOVED = (MOVED_INTERACTIONS, MOVED_TASKS)


def _relink_history(lead: Lead, target_key: str, target, actor, contact=None) -> dict:
    """The interactions and tasks about the lead move to what it became (REQ SA-1); what moved,
    by its fact (``MOVED``), for the lead's conversion entry. The interactions were with the
    person: when he became a contact and they move elsewhere (the account), he is among their
    participants — so his contact's timeline and a request about him (issue 25) still find
    them."""
    from kesher.activities.models import Interaction, Task
    from kesher.activities.services import interaction_update, task_update

    data = {"link_type": target_key, "link_id": target.pk}
    moved: dict[str, list] = {key: [] for key in MOVED}
    interactions = Interaction.objects.filter(link_type="leads", link_id=lead.pk)
    with_him = contact is not None and target_key != "contacts"
    if with_him:
        interactions = interactions.prefetch_related("participant_contacts")
    for interaction in interactions:
        m2m = None
        if with_him:
            present = list(interaction.participant_contacts.all())
            if contact.pk not in {c.pk for c in present}:
                m2m = {"participant_contacts": [*present, contact]}
        interaction_update(interaction, actor=actor, data=data, m2m=m2m)
        moved[MOVED_INTERACTIONS].append(interaction)
    for task in Task.objects.filter(link_type="leads", link_id=lead.pk):
        task_update(task, actor=actor, data=data)
        moved[MOVED_TASKS].append(task)
    return {key: records for key, records in moved.items() if records}


@transaction.atomic
def lead_convert(
    lead: Lead,
    *,
    actor,
    account: Account | None = None,
    create_account: bool = True,
    contact: Contact | None = None,
    create_contact: bool = True,
    opportunity: dict | None = None,
    expected_version: int | None = None,
) -> Conversion:
    """Convert a lead in one step into an account, a contact and a deal, each optional
    (REQ SA-1). An account or contact given is used; else an existing one is matched — a
    contact by the lead's e-mail or phone, an account by those or its company name — else a
    new one is created from the lead. The deal (``opportunity``: its
    name, stage, amount …) gets the lead's source, campaigns, owner, account and contact; the lead's
    interactions and tasks move to the account (else the contact, else the deal). Converting
    twice is refused."""
    # Lock the lead: two conversions at once must not both pass the "not converted yet" check.
    # With what the conversion names of it (its owner, source, campaigns and status: read one
    # by one otherwise, 3 to 5 reads a conversion); only the lead's own row is locked.
    of = ("self",) if connection.features.has_select_for_update_of else ()
    locked = Lead._base_manager.select_related(*LEAD_NAMED).select_for_update(of=of).get(pk=lead.pk)
    if locked.converted_at is not None:
        raise ValidationError({"lead": [_("This lead was already converted.")]})
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(locked.version)
    if not (account or create_account or contact or create_contact or opportunity is not None):
        raise ValidationError({"lead": [_("Choose at least one record to convert into.")]})
    result = Conversion(lead=locked)
    owner = locked.owner or actor
    keys = {"email": locked.email, "phone": locked.phone, "mobile": locked.mobile}
    if account is None and create_account and locked.company_name:
        # A company of the same name is the lead's account (its phone is often not his).
        account = _existing(
            "accounts", actor, {"name": locked.company_name, **keys}, same_name=True
        )
        if account is not None:
            result.matched.append("account")
        else:
            account = account_create(
                actor=actor,
                data={
                    "name": locked.company_name,
                    "email": locked.email,
                    "phone": locked.phone,
                    "city": locked.city,
                    "owner": owner,
                },
            )
    result.account = account
    person = locked.first_name or locked.last_name
    created_contact = False
    if contact is None and create_contact and person:
        # A person is matched by a key only: two people may share a name.
        contact = _existing("contacts", actor, keys)
        if contact is not None:
            result.matched.append("contact")
        else:
            created_contact = True
            contact = contact_create(
                actor=actor,
                data={
                    "first_name": locked.first_name or locked.last_name,
                    "last_name": locked.last_name if locked.first_name else "",
                    "title": locked.title,
                    "email": locked.email,
                    "phone": locked.phone,
                    "mobile": locked.mobile,
                    "city": locked.city,
                    "owner": owner,
                },
            )
    # A contact made just now has no accounts yet: only an existing one may be linked already.
    if (
        contact is not None
        and account is not None
        and (created_contact or not contact.accounts.filter(pk=account.pk).exists())
    ):
        contact_link_account(contact, actor=actor, account=account, role=locked.title)
    result.contact = contact
    if opportunity is not None:
        data = {
            "name": locked.company_name or str(locked),
            "account": account,
            "owner": owner,
            "source": locked.source,
            # The deal keeps the lead's campaign attribution (REQ MK-1, MK-3).
            "campaign": locked.campaign,
            "last_campaign": locked.last_campaign,
            "product_requests": "",
            **opportunity,
        }
        data.setdefault("stage", first_stage())
        deal = opportunity_create(actor=actor, data=data)
        if contact is not None:
            opportunity_link_contact(
                deal, actor=actor, contact=contact, role=locked.title, new_deal=True
            )
        result.opportunity = deal
    target = next(
        (
            (key, record)
            for key, record in (
                ("accounts", result.account),
                ("contacts", result.contact),
                ("opportunities", result.opportunity),
            )
            if record is not None
        ),
        None,
    )
    moved = {}
    if target is not None:
        moved = _relink_history(locked, *target, actor, contact=result.contact)
    _mark_converted(locked, result, actor, moved)
    return result


def _mark_converted(lead: Lead, result: Conversion, actor, moved: dict) -> None:
    """The lead converted, its entry naming what it became and what moved there."""
    converted = Choice.objects.filter(list_key="lead_status", value="converted").first()
    changes = {
        "converted_at": [None, timezone.now()],
        "converted_account": [None, result.account],
        "converted_contact": [None, result.contact],
        "converted_opportunity": [None, result.opportunity],
    }
    if converted is not None and lead.status_id != converted.pk:
        changes["status"] = [lead.status, converted]
        lead.status = converted
    lead.converted_at = changes["converted_at"][1]
    lead.converted_account = result.account
    lead.converted_contact = result.contact
    lead.converted_opportunity = result.opportunity
    lead.version += 1
    lead.updated_at = timezone.now()
    lead.save(update_fields=[*changes, "version", "updated_at"])
    write_audit(
        lead,
        actor=actor,
        action="update",
        changes={
            **{name: values for name, values in changes.items() if values[1] is not None},
            **{key: [None, records] for key, records in moved.items()},
        },
    )


def first_stage(pipeline: Pipeline | None = None) -> Stage | None:
    """The first open stage of ``pipeline`` (else of the first active pipeline): where a new
    deal starts."""
    stages = Stage.objects.filter(active=True, outcome=Stage.Outcome.OPEN, pipeline__active=True)
    if pipeline is not None:
        stages = stages.filter(pipeline=pipeline)
    return stages.order_by("pipeline__order", "pipeline_id", "order", "pk").first()


@transaction.atomic
def sales_settings_update(*, actor, forecasting: bool, target_actuals: str) -> SalesSettings:
    """Turn forecasting on or off and choose what targets are measured by; an audited change.
    Turning forecasting on does not touch existing deals: each needs its expected close date at
    its next change (REQ SA-7)."""
    settings = SalesSettings.objects.select_for_update().order_by("pk").first()
    if settings is None:
        settings = SalesSettings.objects.create()
    if target_actuals not in SalesSettings.Actuals.values:
        raise ValidationError({"target_actuals": [_("Choose what targets are measured by.")]})
    changes = {
        name: [getattr(settings, name), value]
        for name, value in (("forecasting", forecasting), ("target_actuals", target_actuals))
        if getattr(settings, name) != value
    }
    if changes:
        settings.forecasting, settings.target_actuals = forecasting, target_actuals
        settings.save()
        write_audit(settings, actor=actor, action=AuditEntry.Action.UPDATE, changes=changes)
    return settings
