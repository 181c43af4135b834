"""How the access matrix and the contract tests make sales records
(kesher/platform/testing/matrix.py): each sales rep's deal sits on the default pipeline's first
stage, at his own account."""

import datetime

from kesher.org.models import Region
from kesher.platform import access
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    not_allowed,
    owner_of,
    permitted,
    register_records,
    register_route,
    register_setup,
)
from kesher.sales.models import Lead, Opportunity, OpportunityContact, SalesSettings, Stage
from kesher.sales.services import opportunity_create, opportunity_link_contact


def _first_stage():
    return Stage.objects.filter(outcome=Stage.Outcome.OPEN).order_by("pipeline", "order").first()


def _make_deal(world, side):
    """The side's deal, at its account, with its contact on it (in no role yet)."""
    deal = opportunity_create(
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} deal {side}",
            "account": world.record("accounts", side),
            "stage": _first_stage(),
            "amount": "1000.00",
            "owner": owner_of(world, side),
        },
    )
    contact = world.record("contacts", side)
    opportunity_link_contact(deal, actor=owner_of(world, side), contact=contact)
    return deal


register_records(
    "opportunities",
    make=_make_deal,
    values=lambda world, marker, record: {"name": marker, "stage": _first_stage().pk},
    marker_field="name",
)


def _stage_values(world, marker, record):
    pipeline = record.pipeline_id if record else world.record("pipelines", "rep1").pk
    key = record.key if record else f"k{marker}".replace(" ", "-")[:40]
    return {"pipeline": pipeline, "key": key, "name_he": marker, "group": "open"}


register_records(
    "stages",
    make=lambda world, side: record_create(
        "stages",
        actor=world.users["admin"],
        data={
            "pipeline": world.record("pipelines", side),
            "key": f"stage-{side}",
            "name_he": f"{SEARCH_WORD} stage {side}",
            "group": "open",
        },
    ),
    values=_stage_values,
    marker_field="name_he",
)


# --- sales' own routes -----------------------------------------------------------------------


def _all_of(*expectations):
    """The first answer that is not "allowed", else allowed."""

    def expect(world, principal):
        for expectation in expectations:
            outcome = expectation(world, principal)
            if outcome is not Outcome.ALLOW:
                return outcome
        return Outcome.ALLOW

    return expect


def _converted(side):
    def writes(world, principal, marker):
        return Lead.objects.filter(
            pk=world.record("leads", side).pk, converted_at__isnull=False
        ).exists()

    return writes


def _moved(side):
    def writes(world, principal, marker):
        deal = Opportunity.objects.get(pk=world.record("opportunities", side).pk)
        return deal.stage.key == "proposal"

    return writes


def _proposal(world, marker):
    return {"stage": Stage.objects.get(pipeline__order=1, key="proposal").pk}


for _side in ("rep1", "rep2"):

    def _lead(world, side=_side):
        return world.record("leads", side)

    def _deal(world, side=_side):
        return world.record("opportunities", side)

    _convert = _all_of(permitted("leads", "change", _lead), permitted("contacts", "add"))
    register_route(
        "pages",
        lambda world, side=_side: f"/sales/leads/{world.record('leads', side).pk}/convert/",
        Verb("GET", permitted("leads", "change", _lead)),
        Verb(
            "POST",
            _convert,
            data=lambda world, marker: {"create_contact": "on"},
            writes=_converted(_side),
        ),
        what=f"{_side}'s lead conversion",
    )
    register_route(
        "api",
        lambda world, side=_side: f"/api/v1/leads/{world.record('leads', side).pk}/convert/",
        Verb(
            "POST",
            _convert,
            data=lambda world, marker: {"create_account": False},
            writes=_converted(_side),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT")),
        api=True,
        what=f"{_side}'s lead conversion",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/opportunities/{world.record('opportunities', side).pk}/move/"
        ),
        Verb(
            "POST",
            permitted("opportunities", "change", _deal),
            data=_proposal,
            writes=_moved(_side),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT")),
        api=True,
        what=f"{_side}'s deal moved",
    )


def _default_pipeline_board(world):
    return f"/sales/board/{Stage.objects.get(key='potential', pipeline__order=1).pipeline_id}/"


register_route("pages", "/sales/board/", Verb("GET", permitted("opportunities", "view")))
register_route("pages", _default_pipeline_board, Verb("GET", permitted("opportunities", "view")))
for _side in ("rep1", "rep2"):

    def _deal(world, side=_side):
        return world.record("opportunities", side)

    register_route(
        "pages",
        lambda world, side=_side: f"/sales/board/move/{world.record('opportunities', side).pk}/",
        Verb(
            "POST",
            permitted("opportunities", "change", _deal),
            data=_proposal,
            writes=_moved(_side),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s deal moved on the board",
    )

register_route("pages", "/sales/forecast/", Verb("GET", permitted("opportunities", "view")))


def _stage_options(world):
    return f"/sales/stages/options/?pipeline={world.record('pipelines', 'rep1').pk}"


register_route("pages", _stage_options, Verb("GET", permitted("opportunities", "view")))


def _role_is(side):
    def writes(world, principal, marker):
        return OpportunityContact.objects.filter(
            opportunity=world.record("opportunities", side),
            contact=world.record("contacts", side),
            role=marker[:100],
        ).exists()

    return writes


for _side in ("rep1", "rep2"):

    def _deal(world, side=_side):
        return world.record("opportunities", side)

    def _contact(world, side=_side):
        return world.record("contacts", side)

    # Who may change the deal and see the contact sets the contact's role in it (REQ SA-6).
    _set_role = _all_of(
        permitted("opportunities", "change", _deal), permitted("contacts", "view", _contact)
    )
    register_route(
        "pages",
        lambda world, side=_side: (
            f"/sales/opportunities/{world.record('opportunities', side).pk}/contacts/"
        ),
        Verb(
            "POST",
            _set_role,
            data=lambda world, marker, side=_side: {
                "contact": world.record("contacts", side).pk,
                "role": marker,
            },
            writes=_role_is(_side),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s contact added to {_side}'s deal",
    )
    register_route(
        "pages",
        lambda world, side=_side: (
            f"/sales/opportunities/{world.record('opportunities', side).pk}/contacts/"
            f"{world.record('contacts', side).pk}/"
        ),
        Verb(
            "POST",
            _set_role,
            data=lambda world, marker: {"action": "role", "role": marker},
            writes=_role_is(_side),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s contact's role in {_side}'s deal",
    )
register_route(
    "api",
    "/api/v1/forecast/",
    Verb("GET", permitted("opportunities", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)


# --- regions, targets and the sales settings (REQ SA-7, SA-12, OR-3; decision 0060) -------------


@register_setup
def _regions(world):
    """rep1's customers and lead are in the North (the "regional" principal's region), rep2's
    in the South: the region scope answers differently on the pair. Runs after the other apps'
    setups (registered last), which made more customers of each rep."""
    for side, name in (("rep1", "North"), ("rep2", "South")):
        region = Region.objects.get(name_en=name)
        records = [world.record("accounts", side), world.record("leads", side)]
        records += [world.extras[k] for k in (f"second account {side}",) if k in world.extras]
        if side == "rep1" and "approval free account" in world.extras:
            records.append(world["approval free account"])
        for record in records:
            type(record).objects.filter(pk=record.pk).update(region=region)
            record.region = region


TODAY = datetime.date(2026, 11, 15)

register_records(
    "sales-targets",
    make=lambda world, side: record_create(
        "sales-targets",
        actor=world.users["admin"],
        data={
            "period": "quarter",
            "starts_on": TODAY,
            "level": "person",
            "user": owner_of(world, side),
            "amount": "1000.00",
            "notes": f"{SEARCH_WORD} target {side}",
        },
    ),
    values=lambda world, marker, record: {
        "period": "month",
        "starts_on": TODAY.isoformat(),
        "level": "person",
        "user": record.user_id if record else owner_of(world, "rep1").pk,
        "amount": "500.00",
        "notes": marker,
    },
    marker_field="notes",
)

register_route(
    "pages", "/sales/targets/attainment/", Verb("GET", permitted("sales-targets", "view"))
)
register_route(
    "api",
    "/api/v1/targets/attainment/",
    Verb("GET", permitted("sales-targets", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
)


def _administrators(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    return Outcome.ALLOW if access.is_admin(world.user(principal)) else Outcome.FORBIDDEN


def _forecasting_on(world, principal, marker):
    return SalesSettings.current().forecasting


register_route(
    "pages",
    "/sales/settings/",
    Verb("GET", _administrators),
    Verb(
        "POST",
        _administrators,
        data=lambda world, marker: {"forecasting": "on", "target_actuals": "won_deals"},
        writes=_forecasting_on,
    ),
    what="the sales settings",
)
