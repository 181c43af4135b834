"""Phone campaigns (REQ MK-1) and the do-not-call list (Communications Law §30A; ISRAEL.md
"Advertising messages"); decision 0121.

A campaign of type "phone" gets a call list from its target segment, evaluated when the list
is built as the campaign's owner sees it: one ``CampaignCall`` per person with a number. People
whose latest word on the phone channel in the consent ledger is a refusal, and people with a
number on the do-not-call list, are written as skipped and given to no one; the others are
split among the chosen agents — evenly (consecutive blocks) or round-robin (one each in turn).
Building again adds only the people new to the segment. An agent opens a call (the do-not-call
list and the ledger are asked again: a number added meanwhile is refused and marked) and logs
its outcome — a pick-list value (``call_outcome``) whose settings say what it does: ``done``
(the call leaves his list), ``callback`` (asks when), ``converts`` (a lead or a deal is made,
attributed to the campaign). Every outcome is an interaction on the person.
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kesher.marketing import consent
from kesher.marketing.models import (
    Campaign,
    CampaignCall,
    Channel,
    Consent,
    DoNotCallNumber,
    Purpose,
)
from kesher.platform.fields import normalize_phone
from kesher.platform.lists.savedviews import segment
from kesher.platform.models import Choice
from kesher.platform.records.services import record_create, write_audit

__all__ = [
    "SPLITS",
    "OpenResult",
    "agent_calls",
    "call_list_build",
    "call_log",
    "call_open",
    "call_progress",
    "do_not_call_import",
    "is_phone_campaign",
    "numbers_on_list",
]

PHONE_TYPE = "phone"
# Only the row itself is locked (PostgreSQL locks no outer join's nullable side).
_SELF = ("self",) if connection.features.has_select_for_update_of else ()
SPLITS = ("even", "round_robin")
PERSON = {"contacts": "contact", "leads": "lead"}
NUMBER_FIELDS = ("mobile", "phone")
BATCH = 5000
MAX_AGENTS = 200
# An imported file: the national registry's extracts are split by the operator to this size.
MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_ROWS = 200_000
# A cell a spreadsheet would run as a formula (CSV injection); "+972…" is a number, not one.
FORMULA_START = ("=", "@", "\t", "\r")


def is_phone_campaign(campaign: Campaign) -> bool:
    return campaign.campaign_type_id is not None and campaign.campaign_type.value == PHONE_TYPE


def numbers_on_list(numbers) -> set[str]:
    """Which of ``numbers`` (E.164) are on the do-not-call list: one query."""
    numbers = {n for n in numbers if n}
    if not numbers:
        return set()
    return set(DoNotCallNumber.objects.filter(phone__in=numbers).values_list("phone", flat=True))


# --- building the call list ---------------------------------------------------------------------


def _agents(ids) -> list:
    from kesher.org.models import User
    from kesher.platform.access import can

    if not isinstance(ids, list | tuple) or not ids:
        raise ValidationError({"agents": [_("Choose at least one agent.")]})
    if len(ids) > MAX_AGENTS:
        raise ValidationError({"agents": [_("At most %(n)s agents.") % {"n": MAX_AGENTS}]})
    try:
        wanted = list(dict.fromkeys(int(getattr(i, "pk", i)) for i in ids))
    except (TypeError, ValueError):
        raise ValidationError({"agents": [_("Choose the agents from the list.")]}) from None
    found = User.objects.filter(pk__in=wanted, is_active=True).select_related("role").in_bulk()
    if len(found) != len(wanted):
        raise ValidationError({"agents": [_("Choose the agents from the list.")]})
    agents = [found[pk] for pk in wanted]
    blind = [str(a) for a in agents if not can(a, "campaign-calls", "view")]
    if blind:
        raise ValidationError(
            {
                "agents": [
                    _("%(names)s may not see campaign calls: give their role the right first.")
                    % {"names": ", ".join(blind)}
                ]
            }
        )
    return agents


def _check_campaign(campaign: Campaign) -> None:
    if not is_phone_campaign(campaign):
        raise ValidationError({"campaign_type": [_("Only a phone campaign has a call list.")]})
    if campaign.segment is None or campaign.segment.entity not in PERSON:
        raise ValidationError(
            {"segment": [_("Give the campaign a target segment of contacts or leads first.")]}
        )


@transaction.atomic
def call_list_build(campaign: Campaign, *, actor, agents, split: str = "even") -> dict:
    """Evaluate the campaign's segment now and add its people not yet on the call list,
    skipping those who refused calls or whose number is on the do-not-call list, and split
    the others among ``agents`` (REQ MK-1; §30A). Returns how many of each were added."""
    if split not in SPLITS:
        raise ValidationError({"split": [_("Choose how to split the calls.")]})
    campaign = (
        Campaign._base_manager.select_for_update(of=_SELF)
        .select_related("campaign_type", "segment", "owner")
        .get(pk=campaign.pk)
    )
    _check_campaign(campaign)
    agents = _agents(agents)
    view = campaign.segment
    person = PERSON[view.entity]
    reader = campaign.owner or actor
    people = segment(view, reader).filter(
        ~Q(mobile="", phone="") & ~Q(mobile__isnull=True, phone__isnull=True)
    )
    people = consent.with_consent(people, person, Channel.PHONE, Purpose.ADVERTISING)
    already = set(
        CampaignCall.objects.filter(campaign=campaign, **{f"{person}__isnull": False}).values_list(
            f"{person}_id", flat=True
        )
    )
    callable_rows: list[CampaignCall] = []
    skipped: list[CampaignCall] = []
    rows = people.order_by("pk").values_list("pk", "mobile", "phone", "consent_kind")

    def sort(batch):
        on_list = numbers_on_list(n for _pk, m, p, _k in batch for n in (m, p))
        for pk, mobile, phone, kind in batch:
            if pk in already:
                continue
            row = CampaignCall(
                campaign_id=campaign.pk, **{f"{person}_id": pk}, phone=mobile or phone
            )
            if kind == Consent.Kind.REFUSAL:
                row.status = CampaignCall.Status.REFUSED
                skipped.append(row)
            elif {mobile, phone} & on_list:
                row.status = CampaignCall.Status.DO_NOT_CALL
                skipped.append(row)
            else:
                callable_rows.append(row)

    batch: list = []
    for item in rows.iterator(chunk_size=BATCH):
        batch.append(item)
        if len(batch) >= BATCH:
            sort(batch)
            batch = []
    sort(batch)
    _assign(campaign, callable_rows, agents, split)
    CampaignCall.objects.bulk_create(callable_rows + skipped, batch_size=BATCH)
    counts = {
        "added": len(callable_rows),
        "refused": sum(r.status == CampaignCall.Status.REFUSED for r in skipped),
        "do_not_call": sum(r.status == CampaignCall.Status.DO_NOT_CALL for r in skipped),
        "already_listed": len(already),
        "per_agent": {a.pk: 0 for a in agents},
    }
    for row in callable_rows:
        counts["per_agent"][row.agent_id] += 1
    write_audit(
        campaign,
        actor=actor,
        action="update",
        changes={"calls": [len(already), len(already) + len(callable_rows) + len(skipped)]},
    )
    return counts


def _assign(campaign, rows: list[CampaignCall], agents: list, split: str) -> None:
    """Give each row an agent and its place on his list, after the calls he already has."""
    last = dict(
        CampaignCall.objects.filter(campaign=campaign, agent__in=agents)
        .values_list("agent")
        .annotate(m=Max("position"))
    )
    next_position = {a.pk: (last.get(a.pk) or 0) + 1 for a in agents}
    k = len(agents)
    size, extra = divmod(len(rows), k)
    for index, row in enumerate(rows):
        if split == "round_robin":
            agent = agents[index % k]
        else:
            # Consecutive blocks, the first ``extra`` agents one row more.
            bound = extra * (size + 1)
            agent = (
                agents[index // (size + 1)]
                if index < bound
                else agents[extra + (index - bound) // size]
            )
        row.agent_id = agent.pk
        row.position = next_position[agent.pk]
        next_position[agent.pk] += 1


def _check_call(data: dict, current: CampaignCall | None = None) -> dict:
    """A call added or changed by hand: on a phone campaign, its number (else the person's)
    not on the do-not-call list, the person not refusing calls."""
    from kesher.customers.models import Contact
    from kesher.sales.models import Lead

    campaign = data.get("campaign", current.campaign if current else None)
    if isinstance(campaign, int | str) and str(campaign).isdigit():
        campaign = Campaign.objects.filter(pk=int(campaign)).select_related("campaign_type").first()
    if isinstance(campaign, Campaign) and not is_phone_campaign(campaign):
        raise ValidationError({"campaign": [_("Only a phone campaign has a call list.")]})
    people = {}
    for name, model in (("contact", Contact), ("lead", Lead)):
        value = data.get(name, getattr(current, name, None) if current else None)
        if isinstance(value, int | str) and str(value).isdigit():
            value = model.objects.filter(pk=int(value)).first()
        people[name] = value if isinstance(value, model) else None
    if people["contact"] is not None and people["lead"] is not None:
        raise ValidationError({"contact": [_("Choose a contact or a lead (one of them).")]})
    person = people["contact"] or people["lead"]
    phone = data.get("phone", current.phone if current else "")
    if not phone and person is not None:
        phone = person.mobile or person.phone
        data = {**data, "phone": phone}
    if isinstance(phone, str) and phone:
        try:
            number = normalize_phone(phone)
        except ValidationError:
            number = ""
        if number and numbers_on_list([number]):
            raise ValidationError({"phone": [refusal_message(CampaignCall.Status.DO_NOT_CALL)]})
    if person is not None:
        kind = consent.latest_kind(
            **{("contact" if people["contact"] else "lead"): person},
            channel=Channel.PHONE,
            purpose=Purpose.ADVERTISING,
        )
        if kind == Consent.Kind.REFUSAL:
            raise ValidationError({"phone": [refusal_message(CampaignCall.Status.REFUSED)]})
    return data


def call_add(*, actor, data: dict, m2m: dict | None = None) -> CampaignCall:
    """One person added to a call list by hand (the do-not-call list and the ledger asked)."""
    data = _check_call(data)
    return record_create("campaign-calls", actor=actor, data=data, m2m=m2m)


def call_update(
    call: CampaignCall, *, actor, data: dict, m2m: dict | None = None, expected_version=None
) -> CampaignCall:
    """A call changed by hand — given to another agent, a note, a callback time."""
    from kesher.platform.records.services import record_update

    if any(name in data for name in ("campaign", "contact", "lead", "phone")):
        data = _check_call(data, call)
    return record_update(call, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


# --- the agent's calls --------------------------------------------------------------------------


def agent_calls(campaign: Campaign, user):
    """``user``'s calls of the campaign (those of his scope: an agent's own), pending first,
    with what the list shows of each: a constant number of queries however many."""
    return (
        CampaignCall.objects.visible_to(user)
        .filter(campaign=campaign)
        .exclude(status__in=(CampaignCall.Status.REFUSED,))
        .select_related("contact", "lead", "outcome", "agent")
        .order_by("status", "position", "id")
    )


@dataclass
class OpenResult:
    """An opened call: the number to dial (``tel``), and — when the agent's extension dials
    through the phone system — how asking it went (``sent`` / ``suppressed`` / ``failed``)."""

    call: CampaignCall
    tel: str
    dialled: str = ""
    detail: str = ""


def _refusal(call: CampaignCall) -> str | None:
    """Why the call may not be made now, or None: the do-not-call list, then the ledger."""
    if call.status == CampaignCall.Status.REFUSED:
        return CampaignCall.Status.REFUSED
    if DoNotCallNumber.objects.filter(phone=call.phone).exists():
        return CampaignCall.Status.DO_NOT_CALL
    person = {"contact": call.contact} if call.contact_id else {"lead": call.lead}
    if (call.contact_id or call.lead_id) and consent.latest_kind(
        **person, channel=Channel.PHONE, purpose=Purpose.ADVERTISING
    ) == Consent.Kind.REFUSAL:
        return CampaignCall.Status.REFUSED
    return None


def refusal_message(status: str) -> str:
    if status == CampaignCall.Status.DO_NOT_CALL:
        return _("This number is on the do-not-call list: it may not be called.")
    return _("This person refused calls: he may not be called.")


def call_open(call: CampaignCall, *, actor) -> OpenResult:
    """The agent is about to call: the do-not-call list and the ledger are asked again (a
    number added since the list was built is refused, and the call marked so); then the
    phone system dials when his extension dials through it, else he gets the ``tel:`` link."""
    from kesher.telephony.models import PhoneExtension
    from kesher.telephony.services import dial

    with transaction.atomic():
        call = CampaignCall._base_manager.select_for_update().get(pk=call.pk)
        refused = _refusal(call)
        if refused:
            if call.status != refused:
                old = call.status
                CampaignCall.objects.filter(pk=call.pk).update(status=refused)
                write_audit(call, actor=actor, action="update", changes={"status": [old, refused]})
        else:
            CampaignCall.objects.filter(pk=call.pk).update(opened_at=timezone.now())
    if refused:
        raise ValidationError({"phone": [refusal_message(refused)]})
    result = OpenResult(call=call, tel=f"tel:{call.phone}")
    dials = PhoneExtension.objects.filter(
        user=actor, dial_through_pbx=True, connection__active=True
    ).exclude(connection__originate_url="")
    if dials.exists():
        outcome = dial(actor=actor, number=call.phone)
        result.dialled, result.detail = outcome.status, str(outcome.detail)
    return result


def _outcome(value) -> Choice:
    choice = None
    if isinstance(value, Choice):
        choice = value if value.list_key == "call_outcome" and value.active else None
    elif isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        choice = Choice.objects.filter(list_key="call_outcome", active=True, pk=int(value)).first()
    elif isinstance(value, str) and value:
        choice = Choice.objects.filter(list_key="call_outcome", active=True, value=value).first()
    if choice is None:
        raise ValidationError({"outcome": [_("Choose the call's outcome from the list.")]})
    return choice


def _when(value) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        moment = value
    else:
        from django.utils.dateparse import parse_datetime

        try:
            moment = parse_datetime(str(value)[:40])
        except ValueError:
            moment = None
        if moment is None:
            raise ValidationError({"callback_at": [_("Enter a valid date and time.")]})
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


CONVERT_TO = ("lead", "deal")


@transaction.atomic
def call_log(
    call: CampaignCall,
    *,
    actor,
    outcome,
    callback_at=None,
    notes: str = "",
    convert_to: str = "",
) -> CampaignCall:
    """Log a call's outcome: an interaction on the person (kind "call", outbound, the
    interaction outcome the pick-list value names), the call's outcome, count and status; a
    callback's time; an interested person's new lead or deal, attributed to the campaign."""
    choice = _outcome(outcome)
    flags = choice.extra or {}
    if not isinstance(notes, str) or len(notes) > 5000:
        raise ValidationError({"notes": [_("At most 5,000 characters.")]})
    notes = notes.replace("\x00", "").strip()
    moment = _when(callback_at)
    if flags.get("callback"):
        if moment is None:
            raise ValidationError({"callback_at": [_("Say when to call back.")]})
        if moment <= timezone.now():
            raise ValidationError({"callback_at": [_("Choose a time in the future.")]})
    else:
        moment = None
    if flags.get("converts"):
        if convert_to not in CONVERT_TO:
            raise ValidationError({"convert_to": [_("Choose whether to make a lead or a deal.")]})
    else:
        convert_to = ""
    call = (
        CampaignCall._base_manager.select_for_update(of=_SELF)
        .select_related("campaign", "contact", "lead")
        .get(pk=call.pk)
    )
    if call.status in (CampaignCall.Status.REFUSED, CampaignCall.Status.DO_NOT_CALL):
        raise ValidationError({"phone": [refusal_message(call.status)]})
    if call.contact_id is None and call.lead_id is None:
        raise ValidationError({"contact": [_("The person of this call was deleted.")]})
    agent = call.agent or actor
    interaction = _interaction(call, choice, notes, agent)
    new_lead = new_deal = None
    if convert_to:
        new_lead, new_deal = _convert(call, convert_to, agent, actor)
    old = {"status": call.status, "outcome": call.outcome_id}
    call.outcome = choice
    call.status = CampaignCall.Status.DONE if flags.get("done") else CampaignCall.Status.PENDING
    call.callback_at = moment
    call.attempts += 1
    call.called_at = timezone.now()
    call.interaction = interaction
    if notes:
        call.notes = notes
    call.new_lead = new_lead or call.new_lead
    call.new_deal = new_deal or call.new_deal
    call.version += 1
    call.save()
    write_audit(
        call,
        actor=actor,
        action="update",
        changes={
            "status": [old["status"], call.status],
            "outcome": [old["outcome"], choice.pk],
        },
    )
    return call


def _interaction(call: CampaignCall, choice: Choice, notes: str, agent):
    from kesher.activities.models import Interaction
    from kesher.activities.services import interaction_create

    kind = Choice.objects.filter(list_key="interaction_kind", value="call").first()
    if kind is None:
        raise ValidationError({"outcome": [_("The interaction kind “call” is missing.")]})
    mapped = (choice.extra or {}).get("interaction_outcome")
    outcome = (
        Choice.objects.filter(list_key="interaction_outcome", value=mapped, active=True).first()
        if mapped
        else None
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("%(campaign)s: %(outcome)s") % {
            "campaign": call.campaign.name,
            "outcome": choice.label,
        }
    if call.contact_id:
        link, m2m = ("contacts", call.contact_id), {"participant_contacts": [call.contact]}
    else:
        link, m2m = ("leads", call.lead_id), {}
    # The agent was given this person by the campaign: he logs on him whether or not his role
    # reads the person otherwise (decision 0121), so the link is not checked against his scope.
    return interaction_create(
        actor=None,
        data={
            "kind": kind,
            "direction": Interaction.Direction.OUTBOUND,
            "outcome": outcome,
            "subject": subject[:200],
            "body": notes,
            "owner": agent,
            "link_type": link[0],
            "link_id": link[1],
        },
        m2m=m2m,
    )


def _convert(call: CampaignCall, convert_to: str, agent, actor):
    """An interested person: a lead (a contact's new one; a lead is touched) or a deal (a
    contact's new one; a lead converted into it), attributed to the campaign."""
    from kesher.marketing.services import lead_touch
    from kesher.sales.services import (
        first_stage,
        lead_convert,
        lead_create,
        opportunity_create,
        opportunity_link_contact,
    )

    campaign = call.campaign
    if call.new_lead_id or call.new_deal_id:
        raise ValidationError({"convert_to": [_("This call already brought a lead or a deal.")]})
    person = call.contact or call.lead
    name = _("%(campaign)s — %(person)s") % {"campaign": campaign.name, "person": person}
    if convert_to == "deal" and first_stage() is None:
        raise ValidationError({"convert_to": [_("No pipeline has an open stage for a new deal.")]})
    if call.lead_id:
        lead = call.lead
        if lead.converted_at is not None:
            raise ValidationError({"convert_to": [_("This lead was already converted.")]})
        lead = lead_touch(lead, campaign=campaign, actor=actor)
        if convert_to == "lead":
            return lead, None
        result = lead_convert(lead, actor=actor, opportunity={"name": name[:200], "owner": agent})
        return None, result.opportunity
    contact = call.contact
    if convert_to == "lead":
        lead = lead_create(
            actor=actor,
            data={
                "first_name": contact.first_name,
                "last_name": contact.last_name,
                "email": contact.email,
                "phone": contact.phone,
                "mobile": contact.mobile,
                "campaign": campaign,
                "last_campaign": campaign,
                "owner": agent,
            },
        )
        return lead, None
    deal = opportunity_create(
        actor=actor,
        data={
            "name": name[:200],
            "stage": first_stage(),
            "campaign": campaign,
            "last_campaign": campaign,
            "owner": agent,
        },
    )
    opportunity_link_contact(deal, actor=actor, contact=contact, new_deal=True)
    return None, deal


# --- progress -----------------------------------------------------------------------------------


def call_progress(campaign: Campaign) -> dict:
    """The campaign's calls: listed, called, pending, skipped, and how many of each latest
    outcome — two aggregate queries (the outcome labels with the second)."""
    status = CampaignCall.Status
    figures = CampaignCall.objects.filter(campaign=campaign).aggregate(
        listed=Count("pk"),
        called=Count(
            "pk",
            filter=Q(attempts__gt=0) & ~Q(status__in=(status.REFUSED, status.DO_NOT_CALL)),
        ),
        pending=Count("pk", filter=Q(status=status.PENDING, attempts=0)),
        to_call_again=Count("pk", filter=Q(status=status.PENDING, attempts__gt=0)),
        done=Count("pk", filter=Q(status=status.DONE)),
        refused=Count("pk", filter=Q(status=status.REFUSED)),
        do_not_call=Count("pk", filter=Q(status=status.DO_NOT_CALL)),
    )
    rows = (
        CampaignCall.objects.filter(campaign=campaign, outcome__isnull=False)
        .values("outcome", "outcome__value", "outcome__label_he", "outcome__label_en")
        .annotate(n=Count("pk"))
        .order_by("outcome__order", "outcome")
    )
    english = (translation.get_language() or "he")[:2] == "en"
    figures["by_outcome"] = [
        {
            "outcome": row["outcome"],
            "value": row["outcome__value"],
            "label": (english and row["outcome__label_en"]) or row["outcome__label_he"],
            "count": row["n"],
        }
        for row in rows
    ]
    return figures


def progress_by_agent(campaign: Campaign) -> list[dict]:
    """Each agent's calls: given, called, still to call — one grouped query."""
    rows = (
        CampaignCall.objects.filter(campaign=campaign, agent__isnull=False)
        .values("agent", "agent__first_name", "agent__last_name", "agent__username")
        .annotate(
            given=Count("pk"),
            called=Count("pk", filter=Q(attempts__gt=0)),
            pending=Count("pk", filter=Q(status=CampaignCall.Status.PENDING)),
        )
        .order_by("agent__first_name", "agent__last_name", "agent")
    )
    return [
        {
            "agent": row["agent"],
            "name": f"{row['agent__first_name']} {row['agent__last_name']}".strip()
            or row["agent__username"],
            "given": row["given"],
            "called": row["called"],
            "pending": row["pending"],
        }
        for row in rows
    ]


# --- the do-not-call list -----------------------------------------------------------------------


def _cell_number(text: str, line: int) -> str:
    if text.startswith(FORMULA_START) or (
        text[:1] in "+-" and len(text) > 1 and not (text[1].isdigit() or text[1] in " (")
    ):
        raise ValidationError(
            {"file": [_("Line %(line)s holds a formula, not a number.") % {"line": line}]}
        )
    try:
        number = normalize_phone(text)
    except ValidationError:
        number = ""
    if not number or not number.startswith("+972"):
        raise ValidationError(
            {
                "file": [
                    _("Line %(line)s: “%(value)s” is not an Israeli phone number.")
                    % {"line": line, "value": text[:30]}
                ]
            }
        )
    return number


def read_numbers(data: bytes | str) -> list[str]:
    """The numbers of a CSV file (or text): the first column, a header line allowed; every
    line must be an Israeli number, else the whole file is refused, naming the line."""
    if isinstance(data, bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise ValidationError(
                {"file": [_("The file is too large: at most %(mb)s MB.") % {"mb": 5}]}
            )
        if b"\x00" in data:
            raise ValidationError({"file": [_("This is not a CSV file of phone numbers.")]})
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationError(
                {"file": [_("Save the file as CSV in UTF-8 encoding.")]}
            ) from None
    else:
        text = data
        if len(text.encode()) > MAX_IMPORT_BYTES:
            raise ValidationError(
                {"file": [_("The file is too large: at most %(mb)s MB.") % {"mb": 5}]}
            )
    numbers: list[str] = []
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        raise ValidationError({"file": [_("This is not a CSV file of phone numbers.")]}) from None
    if len(rows) > MAX_IMPORT_ROWS + 1:
        raise ValidationError(
            {"file": [_("At most %(n)s numbers in one file.") % {"n": f"{MAX_IMPORT_ROWS:,}"}]}
        )
    for line, row in enumerate(rows, start=1):
        cell = (row[0] if row else "").strip()
        if not cell:
            continue
        if line == 1 and not any(ch.isdigit() for ch in cell):
            continue  # a header
        numbers.append(_cell_number(cell, line))
    if not numbers:
        raise ValidationError({"file": [_("The file holds no phone numbers.")]})
    return numbers


@transaction.atomic
def do_not_call_import(*, actor, numbers: list[str], source: str, added_on=None) -> dict:
    """Add numbers to the do-not-call list (already normalized, e.g. by ``read_numbers``), all
    with the same source and date; numbers already on it keep their first source. Returns how
    many were added and how many were there already."""
    if not isinstance(source, str) or not source.strip():
        raise ValidationError({"source": [_("Say where the numbers came from.")]})
    if len(source) > 200 or "\x00" in source:
        raise ValidationError({"source": [_("At most 200 characters.")]})
    added_on = added_on or timezone.localdate()
    by = actor if getattr(actor, "pk", None) else None
    wanted = list(dict.fromkeys(numbers))
    there = set()
    for start in range(0, len(wanted), BATCH):
        there |= numbers_on_list(wanted[start : start + BATCH])
    new = [n for n in wanted if n not in there]
    DoNotCallNumber.objects.bulk_create(
        [
            DoNotCallNumber(phone=n, source=source.strip(), added_on=added_on, added_by=by)
            for n in new
        ],
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return {"added": len(new), "already_listed": len(there), "total": len(wanted)}


def do_not_call_add(*, actor, data: dict, m2m: dict | None = None) -> DoNotCallNumber:
    """One number added by hand (or through the API), normalized; a number already on the list
    is refused with a clear message rather than the database's."""
    phone = data.get("phone")
    if isinstance(phone, str) and phone.strip():
        try:
            normalized = normalize_phone(phone)
        except ValidationError:
            normalized = ""
        if normalized and DoNotCallNumber.objects.filter(phone=normalized).exists():
            raise ValidationError({"phone": [_("This number is already on the list.")]})
    entry = record_create("do-not-call", actor=actor, data=data, m2m=m2m)
    if getattr(actor, "pk", None):
        DoNotCallNumber.objects.filter(pk=entry.pk).update(added_by=actor)
        entry.added_by = actor
    return entry


def person_on_list(record) -> list[DoNotCallNumber]:
    """The do-not-call entries of a contact's or lead's numbers (one query)."""
    numbers = [getattr(record, name, "") for name in NUMBER_FIELDS]
    numbers = [n for n in numbers if n]
    if not numbers:
        return []
    return list(DoNotCallNumber.objects.filter(phone__in=numbers).order_by("added_on"))
