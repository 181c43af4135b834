"""How the access matrix and the contract tests make marketing records
(kesher/platform/testing/matrix.py), and marketing's own routes: a send's actions, a campaign's
results, the public unsubscribe page and the public web form."""

import itertools

from kesher.integrations.models import OutgoingMessage
from kesher.marketing.models import AdLead, Consent, EmailBounce, FormSubmission
from kesher.marketing.services import consent_create, send_create
from kesher.platform.lists.savedviews import saved_view_create
from kesher.platform.models import Choice, SavedView
from kesher.platform.records.services import record_create
from kesher.platform.testing.matrix import (
    SEARCH_WORD,
    Outcome,
    Verb,
    never_allowed,
    not_allowed,
    owner_of,
    permitted,
    refused,
    register_records,
    register_route,
    register_setup,
)


def _choice(list_key, value):
    return Choice.objects.get(list_key=list_key, value=value)


def _segment(world):
    """A shared saved view of contacts, the sends' segment."""
    view = SavedView.objects.filter(name="matrix segment").first()
    return view or saved_view_create(
        actor=world.users["admin"],
        data={"entity": "contacts", "name": "matrix segment", "shared": True, "filter": {}},
    )


register_records(
    "campaigns",
    make=lambda world, side: record_create(
        "campaigns",
        actor=owner_of(world, side),
        data={
            "name": f"{SEARCH_WORD} campaign {side}",
            "campaign_type": _choice("campaign_type", "email"),
            "owner": owner_of(world, side),
        },
    ),
    values=lambda world, marker, record: {"name": marker},
    marker_field="name",
)

register_records(
    "campaign-costs",
    make=lambda world, side: record_create(
        "campaign-costs",
        actor=world.users["admin"],
        data={
            "campaign": world.record("campaigns", side),
            "description": f"{SEARCH_WORD} cost {side}",
            "amount": "100.00",
        },
    ),
    values=lambda world, marker, record: {
        "campaign": record.campaign_id if record else world.record("campaigns", "rep1").pk,
        "description": marker,
        "amount": "50.00",
    },
    marker_field="description",
)

register_records(
    "consents",
    make=lambda world, side: consent_create(
        actor=world.users["admin"],
        data={
            "contact": world.record("contacts", side),
            "channel": "email",
            "kind": Consent.Kind.CONSENT,
            "source": f"{SEARCH_WORD} consent {side}",
        },
    ),
    values=lambda world, marker, record: {
        "contact": record.contact_id if record else world.record("contacts", "rep1").pk,
        "channel": "email",
        "kind": "consent",
        "source": marker,
    },
    marker_field="source",
)

register_records(
    "campaign-sends",
    make=lambda world, side: send_create(
        actor=owner_of(world, side),
        data={
            "campaign": world.record("campaigns", side),
            "name": f"{SEARCH_WORD} send {side}",
            "segment": _segment(world),
            "subject": "מבצע",
            "body": "<p>שלום</p>",
            "sender_name": "קשר",
            "sender_contact": "03-5551234",
            "owner": owner_of(world, side),
        },
    ),
    values=lambda world, marker, record: {
        "campaign": record.campaign_id if record else world.record("campaigns", "rep1").pk,
        "name": marker,
        "channel": "email",
        "segment": _segment(world).pk,
        "subject": "מבצע",
        "body": "<p>שלום</p>",
        "sender_name": "קשר",
        "sender_contact": "03-5551234",
    },
    marker_field="name",
)


# --- marketing's own routes ------------------------------------------------------------------


def _tested(side):
    def writes(world, principal, marker):
        send = world.record("campaign-sends", side)
        return OutgoingMessage.objects.filter(source=f"marketing:send:{send.pk}:test").exists()

    return writes


def _test_to(world, marker):
    return {"to": "matrix@example.co.il"}


def _not_found(world, principal):
    return Outcome.NOT_FOUND


for _side in ("rep1", "rep2"):

    def _send(world, side=_side):
        return world.record("campaign-sends", side)

    def _campaign(world, side=_side):
        return world.record("campaigns", side)

    register_route(
        "pages",
        lambda world, side=_side: (
            f"/marketing/sends/{world.record('campaign-sends', side).pk}/test/"
        ),
        Verb(
            "POST",
            permitted("campaign-sends", "change", _send),
            data=_test_to,
            writes=_tested(_side),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        what=f"{_side}'s send's test",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/campaign-sends/{world.record('campaign-sends', side).pk}/test/"
        ),
        Verb(
            "POST",
            permitted("campaign-sends", "change", _send),
            data=_test_to,
            writes=_tested(_side),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s send's test",
    )
    register_route(
        "api",
        lambda world, side=_side: (
            f"/api/v1/campaigns/{world.record('campaigns', side).pk}/results/"
        ),
        Verb("GET", permitted("campaigns", "view", _campaign)),
        *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
        api=True,
        what=f"{_side}'s campaign's results",
    )

# A forged unsubscribe token finds nobody, whoever asks (the page itself is public).
register_route(
    "pages",
    "/m/u/forged:token/",
    Verb("GET", _not_found),
    Verb("POST", _not_found),
    *(Verb(m, never_allowed) for m in ("PUT", "PATCH", "DELETE")),
    what="the unsubscribe page of a forged token",
)


# --- web forms (decision 0105) ---------------------------------------------------------------

_serial = itertools.count(1)


def _form(world, side):
    """A new web form (addresses are unique; the contract tests make many)."""
    return record_create(
        "lead-forms",
        actor=world.users["admin"],
        data={"name": f"{SEARCH_WORD} form {side}", "slug": f"matrix-form-{next(_serial)}"},
    )


register_records(
    "lead-forms",
    make=_form,
    values=lambda world, marker, record: {
        "name": marker,
        "slug": record.slug if record else f"matrix-form-{next(_serial)}",
    },
    marker_field="name",
)

register_records(
    "lead-form-fields",
    make=lambda world, side: record_create(
        "lead-form-fields",
        actor=world.users["admin"],
        data={
            "form": _form(world, side),
            "lead_field": "email",
            "label_he": f"{SEARCH_WORD} field {side}",
        },
    ),
    values=lambda world, marker, record: {
        "form": record.form_id if record else _form(world, "rep1").pk,
        "lead_field": record.lead_field if record else "city",
        "label_he": marker,
    },
    marker_field="label_he",
)


@register_setup
def _public_form(world):
    world["public_form"] = world.record("lead-forms", "rep1")


# The public form: anyone may read it — its title is the form's, public by design; a POST
# without its signed token is shown the form again with the error, writing nothing; other
# verbs are not served.
register_route(
    "pages",
    lambda world: f"/f/{world['public_form'].slug}/",
    Verb("GET", lambda world, principal: Outcome.ALLOW, beyond_scope=True),
    Verb("POST", lambda world, principal: Outcome.ALLOW, beyond_scope=True),
    *(Verb(m, never_allowed) for m in ("PUT", "PATCH", "DELETE")),
    what="a public web form",
)

register_records(
    "scoring-rules",
    make=lambda world, side: record_create(
        "scoring-rules",
        actor=world.users["admin"],
        data={"name": f"{SEARCH_WORD} rule {side}", "behaviour": "interaction", "points": 5},
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "behaviour": "form_submission",
        "points": 10,
    },
    marker_field="name",
)

# Submissions are received by the public form only (capture.form_submit); the world's are
# rows as it leaves them.
register_records(
    "form-submissions",
    make=lambda world, side: FormSubmission.objects.create(
        form=world.record("lead-forms", side),
        token=f"matrix-{next(_serial)}",
        outcome=FormSubmission.Outcome.CREATED,
        utm_campaign=f"{SEARCH_WORD} submission {side}",
    ),
    values=lambda world, marker, record: {
        "form": world.record("lead-forms", "rep1").pk,
        "utm_campaign": marker,
    },
    marker_field="utm_campaign",
)


# --- ad platforms' lead forms (decision 0114) ------------------------------------------------

_ad_serial = itertools.count(1)


register_records(
    "lead-ad-sources",
    make=lambda world, side: record_create(
        "lead-ad-sources",
        actor=world.users["admin"],
        data={
            "name": f"{SEARCH_WORD} ad form {side}",
            "provider": "meta",
            "form_id": f"matrix-{next(_ad_serial)}",
        },
    ),
    values=lambda world, marker, record: {
        "name": marker,
        "provider": "google",
        "form_id": record.form_id if record else f"matrix-{next(_ad_serial)}",
    },
    marker_field="name",
)

# The provider's campaigns mapped to Kesher's on a form (decision 0117).
register_records(
    "lead-ad-campaigns",
    make=lambda world, side: record_create(
        "lead-ad-campaigns",
        actor=world.users["admin"],
        data={
            "ad_source": world.record("lead-ad-sources", side),
            "external_id": f"matrix-{next(_ad_serial)}",
            "name": f"{SEARCH_WORD} ad campaign {side}",
            "campaign": world.record("campaigns", side),
        },
    ),
    values=lambda world, marker, record: {
        "ad_source": record.ad_source_id if record else world.record("lead-ad-sources", "rep1").pk,
        "external_id": record.external_id if record else f"matrix-{next(_ad_serial)}",
        "name": marker,
        "campaign": record.campaign_id if record else world.record("campaigns", "rep1").pk,
    },
    marker_field="name",
)

# Ad leads are received by the providers' webhooks only (leadads); the world's are rows as
# the worker leaves a failed fetch.
register_records(
    "ad-leads",
    make=lambda world, side: AdLead.objects.create(
        provider="meta",
        external_id=f"{SEARCH_WORD}-{side}-{next(_ad_serial)}",
        ad_source=world.record("lead-ad-sources", side),
        status=AdLead.Status.FAILED,
    ),
    values=lambda world, marker, record: {
        "ad_source": world.record("lead-ad-sources", "rep1").pk,
        "external_id": marker,
    },
    marker_field="external_id",
)


def _fetched_again(world, principal, marker):
    row = world.record("ad-leads", "rep1")
    return AdLead.objects.filter(pk=row.pk, status=AdLead.Status.PENDING).exists()


# "Fetch again": whoever may change the ad lead forms (administrators).
register_route(
    "api",
    lambda world: f"/api/v1/ad-leads/{world.record('ad-leads', 'rep1').pk}/fetch-again/",
    Verb(
        "POST",
        permitted("lead-ad-sources", "change", lambda world: world.record("ad-leads", "rep1")),
        writes=_fetched_again,
    ),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="an ad lead's fetch again",
)

# The same, as the button on the ad lead's page (decision 0117).
register_route(
    "pages",
    lambda world: f"/marketing/ad-leads/{world.record('ad-leads', 'rep1').pk}/fetch-again/",
    Verb(
        "POST",
        permitted("lead-ad-sources", "change", lambda world: world.record("ad-leads", "rep1")),
        writes=_fetched_again,
    ),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    what="an ad lead's fetch again button",
)

# The providers' webhooks sign nobody in: Meta's subscription check without the verify token
# and an unsigned notification are refused (403), Google's lead without its key too; nothing is
# written, whoever asks.
register_route(
    "api",
    "/api/v1/lead-ads/meta/",
    Verb("GET", lambda world, principal: Outcome.FORBIDDEN),
    Verb("POST", lambda world, principal: Outcome.FORBIDDEN),
    *(Verb(m, never_allowed) for m in ("PUT", "PATCH", "DELETE")),
    api=True,
    what="Meta's lead webhook",
)
register_route(
    "api",
    "/api/v1/lead-ads/google/",
    Verb("POST", lambda world, principal: Outcome.FORBIDDEN),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="Google Ads' lead webhook",
)

# E-mail bounces are received by the mail provider's webhook only (decision 0120); the world's
# are rows as it leaves them, one on each side's campaign.
register_records(
    "email-bounces",
    make=lambda world, side: EmailBounce.objects.create(
        address=f"{side}-{next(_ad_serial)}@example.co.il",
        kind=EmailBounce.Kind.HARD,
        reference=f"{SEARCH_WORD}-{side}-{next(_ad_serial)}",
        reason=f"{SEARCH_WORD} 550 user unknown",
        status=EmailBounce.Status.RECORDED,
        campaign=world.record("campaigns", side),
    ),
    values=lambda world, marker, record: {
        "address": f"{marker}@example.co.il",
        "kind": "soft",
        "reference": marker,
    },
    marker_field="reference",
)

# The provider's bounce reports sign nobody in: unsigned, they are refused (403) whoever asks,
# and nothing is written.
register_route(
    "api",
    "/api/v1/bounce-reports/",
    Verb("POST", lambda world, principal: Outcome.FORBIDDEN),
    *(Verb(m, never_allowed) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="the mail provider's bounce webhook",
)


# --- phone campaigns and the do-not-call list (decision 0121) ---------------------------------

_phone_serial = itertools.count(1)


def _phone_campaign(world):
    """The world's phone campaign, its calls given to each sales rep."""
    from kesher.marketing.models import Campaign

    campaign = Campaign.objects.filter(name="matrix phone campaign").first()
    return campaign or record_create(
        "campaigns",
        actor=world.users["admin"],
        data={
            "name": "matrix phone campaign",
            "campaign_type": _choice("campaign_type", "phone"),
            "segment": _segment(world),
            "owner": world.users["admin"],
        },
    )


def _call(world, side):
    from kesher.marketing.models import CampaignCall

    # No person: the agent sees the name of whom he calls, which his role may not read
    # elsewhere (decision 0121) — the matrix's scope check is about the call itself here.
    return CampaignCall.objects.create(
        campaign=_phone_campaign(world),
        phone=f"+97252{next(_phone_serial):07d}",
        agent=owner_of(world, side),
        notes=f"{SEARCH_WORD} campaign call {side}",
    )


# Calls are made by building the list (calls.call_list_build) only: the world's are rows as it
# leaves them, each given to its side's sales rep.
def _call_values(world, marker, record):
    if record is not None:
        return {
            "campaign": record.campaign_id,
            "phone": record.phone,
            "agent": record.agent_id,
            "notes": marker,
        }
    return {
        "campaign": _phone_campaign(world).pk,
        "phone": f"+97255{next(_phone_serial):07d}",
        "notes": marker,
    }


register_records("campaign-calls", make=_call, values=_call_values, marker_field="notes")

register_records(
    "do-not-call",
    make=lambda world, side: record_create(
        "do-not-call",
        actor=world.users["admin"],
        data={"phone": f"+97253{next(_phone_serial):07d}", "source": f"{SEARCH_WORD} dnc {side}"},
    ),
    values=lambda world, marker, record: {
        "phone": record.phone if record else f"+97254{next(_phone_serial):07d}",
        "source": marker,
    },
    marker_field="source",
)


def _builds(world, principal):
    """Building a call list: the grants on the calls and on the campaign, the campaign in
    scope; past them the service refuses the request the matrix sends (no agents)."""
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    if not (
        world.can(principal, "campaign-calls", "change")
        and world.can(principal, "campaigns", "change")
    ):
        return Outcome.FORBIDDEN
    if not world.sees(principal, _phone_campaign(world)):
        return Outcome.NOT_FOUND
    return Outcome.REFUSED


def _declined(expect):
    """A page's refusal: the redirect back with the error, past ``expect``'s gate."""

    def expectation(world, principal):
        outcome = expect(world, principal)
        return Outcome.DECLINED if outcome is Outcome.REFUSED else outcome

    return expectation


def _progress(world, principal):
    if not world.signed_in(principal):
        return Outcome.SIGN_IN
    if not (
        world.can(principal, "campaign-calls", "view") and world.can(principal, "campaigns", "view")
    ):
        return Outcome.FORBIDDEN
    if not world.sees(principal, _phone_campaign(world)):
        return Outcome.NOT_FOUND
    return Outcome.ALLOW


def _opened(world, principal, marker):
    from kesher.marketing.models import CampaignCall

    call = world.record("campaign-calls", "rep1")
    return CampaignCall.objects.filter(pk=call.pk, opened_at__isnull=False).exists()


def _rep1_call(world):
    return world.record("campaign-calls", "rep1")


for _api, _prefix in ((False, "/marketing/campaigns"), (True, "/api/v1/campaigns")):
    register_route(
        "api" if _api else "pages",
        lambda world, prefix=_prefix: f"{prefix}/{_phone_campaign(world).pk}/call-list/",
        Verb("POST", _builds if _api else _declined(_builds)),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=_api,
        what="a phone campaign's call list build",
    )

register_route(
    "api",
    lambda world: f"/api/v1/campaigns/{_phone_campaign(world).pk}/call-progress/",
    Verb("GET", _progress),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    api=True,
    what="a phone campaign's progress",
)

# The agent's list: whoever reads campaign calls, each the calls of his scope (an agent his own).
register_route(
    "pages",
    lambda world: f"/marketing/campaigns/{_phone_campaign(world).pk}/calls/",
    Verb("GET", permitted("campaign-calls", "view")),
    *(Verb(m, not_allowed()) for m in ("POST", "PUT", "PATCH", "DELETE")),
    what="my calls of a phone campaign",
)

for _api, _prefix in ((False, "/marketing/calls"), (True, "/api/v1/campaign-calls")):
    register_route(
        "api" if _api else "pages",
        lambda world, prefix=_prefix: f"{prefix}/{_rep1_call(world).pk}/open/",
        Verb("POST", permitted("campaign-calls", "change", _rep1_call), writes=_opened),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=_api,
        what="rep1's call's open",
    )
    register_route(
        "api" if _api else "pages",
        lambda world, prefix=_prefix: f"{prefix}/{_rep1_call(world).pk}/log/",
        Verb(
            "POST",
            refused("campaign-calls", "change", _rep1_call)
            if _api
            else _declined(refused("campaign-calls", "change", _rep1_call)),
        ),
        *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
        api=_api,
        what="rep1's call's outcome (none sent)",
    )

register_route(
    "pages",
    "/marketing/do-not-call/import/",
    Verb("GET", permitted("do-not-call", "add")),
    Verb("POST", refused("do-not-call", "add")),
    *(Verb(m, not_allowed()) for m in ("PUT", "PATCH", "DELETE")),
    what="the do-not-call import page",
)
register_route(
    "api",
    "/api/v1/do-not-call/import/",
    Verb("POST", refused("do-not-call", "add")),
    *(Verb(m, not_allowed()) for m in ("GET", "PUT", "PATCH", "DELETE")),
    api=True,
    what="the do-not-call import",
)
