"""Leads from ad platforms' lead forms: Meta (Facebook, Instagram) Lead Ads and Google Ads lead
form extensions (REQ MK-5, IN-4, MK-6; decision 0114).

Google posts the lead itself, with the key the administrator typed into Google Ads
(``google_key``) in the body. Meta posts only a ``leadgen`` notification — the lead's id —
signed with the app's secret (``X-Hub-Signature-256``); its fields are fetched from the Graph
API by the worker, at most once: a worker claims waiting rows ("fetching") and commits before
it calls out; a row a dead worker left "fetching" becomes "outcome unknown" after the lease, and
is fetched again only when an operator chooses.

Every lead is kept by the provider's lead id, once however often the provider repeats it, with
the raw notification. Its values are mapped to the lead's fields by the ad lead form's
``field_map`` (data an administrator edits, per provider and form), cleaned and bounded like a
web form's, and the lead is made by ``sales.lead_create`` (assignment rules, the form's owner
when none takes it) — or an open lead with the same e-mail or phone is joined. A "yes" to the
form's consent question writes the consent per channel with the form's text as proof. Nothing
is received in the practice environment.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import logging
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from kesher.integrations.webhooks import verify
from kesher.marketing.capture import CONTROL, PHONE_FIELDS, existing_lead
from kesher.marketing.models import AdLead, Consent, LeadAdCampaign, LeadAdSource
from kesher.platform.claims import claim_ids
from kesher.platform.fields import normalize_phone
from kesher.platform.models import Choice, localized

__all__ = [
    "DEFAULT_MAP",
    "LEAD_TARGETS",
    "GraphClient",
    "Received",
    "Refused",
    "ad_lead_fetch_again",
    "fetch_meta_leads",
    "google_key_check",
    "google_receive",
    "meta_challenge",
    "meta_check_signature",
    "meta_receive",
]

logger = logging.getLogger("kesher.marketing")

# What a provider's field may fill: the lead's own columns, or a full name split in two.
LEAD_TARGETS = (
    "full_name",
    "first_name",
    "last_name",
    "company_name",
    "title",
    "email",
    "phone",
    "mobile",
    "city",
    "interest",
    "notes",
)
# The providers' standard fields (Meta's field names, Google's column ids, matched without
# case) when an ad lead form maps none of its own.
DEFAULT_MAP = {
    "full_name": "full_name",
    "first_name": "first_name",
    "last_name": "last_name",
    "email": "email",
    "phone_number": "mobile",
    "work_phone_number": "phone",
    "city": "city",
    "company_name": "company_name",
    "job_title": "title",
}
YES = {"1", "true", "yes", "y", "on", "checked", "כן"}
VALUE_LIMIT = 5000  # a value kept on the row; a lead's column bounds it further
BATCH = 20
ERROR_LIMIT = 2000
GRAPH_FIELDS = (
    "field_data,custom_disclaimer_responses,form_id,ad_id,campaign_id,created_time,platform"
)
# Meta names the platform a lead came from: the secondary source of that name, under the form's
# source, when the form gives none.
PLATFORMS = {"fb": "facebook", "ig": "instagram"}


class Refused(Exception):
    """The request is not the provider's: a wrong signature, key or verify token (403)."""


@dataclass
class Received:
    """What one webhook call came to: the rows it wrote and those received before."""

    rows: list[AdLead]
    duplicates: int = 0


# --- Meta --------------------------------------------------------------------------------------


def meta_challenge(query) -> str:
    """Meta's subscription check (GET with ``hub.mode=subscribe``, ``hub.verify_token``,
    ``hub.challenge``): the challenge back when the token is ours."""
    token = settings.KESHER_META_VERIFY_TOKEN
    given = query.get("hub.verify_token", "")
    if (
        not token
        or query.get("hub.mode") != "subscribe"
        or not hmac.compare_digest(str(given).encode(), token.encode())
    ):
        raise Refused(_("The verify token is not this Kesher's."))
    return str(query.get("hub.challenge", ""))[:200]


def meta_check_signature(body: bytes, header: str) -> None:
    """Refuse a notification the app's secret did not sign (``X-Hub-Signature-256``:
    ``sha256=`` + hex HMAC-SHA256 of the raw body)."""
    secret = settings.KESHER_META_APP_SECRET
    if not secret or not verify(secret, body, header):
        raise Refused(_("The notification is not signed by Meta."))


def _meta_leads(payload) -> list[dict]:
    """The ``leadgen`` changes of a notification, each ``{"leadgen_id", "form_id", …}``."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        raise ValidationError({"entry": [_("Send Meta's notification: an object with entry.")]})
    changes = []
    for entry in payload["entry"]:
        for change in (entry or {}).get("changes") or [] if isinstance(entry, dict) else []:
            value = change.get("value") if isinstance(change, dict) else None
            if change.get("field") != "leadgen" or not isinstance(value, dict):
                continue
            lead_id = str(value.get("leadgen_id") or "")
            if not lead_id.isdigit() or len(lead_id) > 100:
                raise ValidationError({"leadgen_id": [_("A lead id is missing or malformed.")]})
            changes.append(value)
    return changes


def meta_receive(payload) -> Received:
    """Keep each lead of a (signature-checked) notification, once per lead id, waiting for the
    worker to fetch its fields; in the practice environment kept as not received."""
    received = Received([])
    for value in _meta_leads(payload):
        row = AdLead(
            provider=LeadAdSource.Provider.META,
            external_id=str(value["leadgen_id"]),
            form_id=_text(value.get("form_id"), 100),
            payload=_storable(value),
            status=AdLead.Status.SUPPRESSED if settings.KESHER_PRACTICE else AdLead.Status.PENDING,
        )
        if _keep(row):
            received.rows.append(row)
        else:
            received.duplicates += 1
    return received


def _keep(row: AdLead) -> bool:
    """Save a new row; False when the provider's lead id was received before."""
    if AdLead.objects.filter(provider=row.provider, external_id=row.external_id).exists():
        return False
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        return False  # the same lead, sent twice at once: the other request took it
    return True


class GraphClient:
    """Meta's Graph API: a lead's fields by its id, with the page access token and its
    ``appsecret_proof``. The class is a setting (``KESHER_META_GRAPH_CLIENT``), so tests and
    offline sites give their own."""

    timeout = 15

    def lead(self, lead_id: str) -> dict:
        token = settings.KESHER_META_ACCESS_TOKEN
        if not token:
            raise RuntimeError("KESHER_META_ACCESS_TOKEN is not set")
        proof = hmac.new(
            settings.KESHER_META_APP_SECRET.encode(), token.encode(), hashlib.sha256
        ).hexdigest()
        query = urllib.parse.urlencode(
            {"access_token": token, "appsecret_proof": proof, "fields": GRAPH_FIELDS}
        )
        url = f"{settings.KESHER_META_GRAPH_URL}/{urllib.parse.quote(lead_id)}?{query}"
        if not url.startswith("https://"):
            raise RuntimeError("KESHER_META_GRAPH_URL must be https://")
        with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310  (https only)
            return json.loads(answer.read(1_000_000).decode("utf-8"))


def _meta_values(lead: dict) -> dict:
    """Meta's lead as one ``{field name: value}``: its answers (lists joined) and its
    disclaimer checkboxes (``checkbox_key`` → ``is_checked``)."""
    values = {}
    for item in lead.get("field_data") or []:
        if isinstance(item, dict) and item.get("name"):
            answers = item.get("values") or []
            values[str(item["name"])] = ", ".join(str(v) for v in answers)
    for box in lead.get("custom_disclaimer_responses") or []:
        if isinstance(box, dict) and box.get("checkbox_key"):
            values[str(box["checkbox_key"])] = str(box.get("is_checked", ""))
    return values


def release_stale(now=None) -> int:
    """Rows a dead worker left "fetching": outcome unknown, not fetched again on their own."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.KESHER_MESSAGE_LEASE_SECONDS)
    return AdLead.objects.filter(status=AdLead.Status.FETCHING, claimed_at__lt=cutoff).update(
        status=AdLead.Status.UNKNOWN,
        error=_(
            "The worker stopped while fetching the lead's fields; it is not fetched again "
            "automatically. Check the lead in Meta, then choose “fetch again”."
        ),
    )


def fetch_meta_leads(now=None, limit: int = BATCH) -> int:
    """The worker tick's job: claim waiting Meta leads, fetch each one's fields after the
    claim commits (once: a failure is recorded, not retried), and make or join its lead.
    Returns how many were fetched."""
    release_stale(now)
    if settings.KESHER_PRACTICE:
        return 0
    now = now or timezone.now()
    with transaction.atomic():
        ids = claim_ids(
            AdLead._meta.db_table,
            due="status = %s AND provider = %s",
            due_params=[AdLead.Status.PENDING, LeadAdSource.Provider.META],
            order="id",
            limit=limit,
            mark="status = %s, claimed_at = %s",
            mark_params=[AdLead.Status.FETCHING, now],
        )
    if not ids:
        return 0
    client = import_string(settings.KESHER_META_GRAPH_CLIENT)()
    fetched = 0
    for row in AdLead.objects.filter(pk__in=ids).order_by("pk"):
        try:
            lead = client.lead(row.external_id)
            if not isinstance(lead, dict):
                raise ValueError("the Graph API answered no object")
        except Exception as error:  # any failure of the call is the row's
            logger.warning("Meta lead %s: %s", row.external_id, error)
            AdLead.objects.filter(pk=row.pk, status=AdLead.Status.FETCHING).update(
                status=AdLead.Status.FAILED, error=str(error)[:ERROR_LIMIT]
            )
            continue
        fetched += 1
        with transaction.atomic():
            # Locked and read again: a row released as stale meanwhile is not processed.
            row = AdLead.objects.select_for_update().filter(pk=row.pk).first()
            if row is None or row.status != AdLead.Status.FETCHING:
                continue
            row.form_id = row.form_id or _text(lead.get("form_id"), 100)
            row.campaign_ref = _text(lead.get("campaign_id"), 100)
            _process(row, _meta_values(lead), platform=str(lead.get("platform") or ""))
    return fetched


def ad_lead_fetch_again(ad_lead: AdLead, *, actor) -> AdLead:
    """An operator's choice: fetch a Meta lead whose fetch failed or whose outcome is unknown
    once more (on the worker's next tick)."""
    from kesher.platform.records.services import write_audit

    if ad_lead.provider != LeadAdSource.Provider.META or ad_lead.status not in (
        AdLead.Status.FAILED,
        AdLead.Status.UNKNOWN,
    ):
        raise ValidationError(
            {"status": [_("Only a lead whose fetch failed or is unknown is fetched again.")]}
        )
    with transaction.atomic():
        changed = AdLead.objects.filter(pk=ad_lead.pk, status=ad_lead.status).update(
            status=AdLead.Status.PENDING, error="", claimed_at=None
        )
        if changed:
            write_audit(
                ad_lead,
                actor=actor,
                action="update",
                changes={"status": [ad_lead.status, AdLead.Status.PENDING]},
            )
    ad_lead.refresh_from_db()
    return ad_lead


# --- Google Ads --------------------------------------------------------------------------------


def google_key_check(payload) -> None:
    """Refuse a lead whose ``google_key`` is not its form's (the ad lead form of its
    ``form_id``, else the provider's catch-all row) or, when that form has none, the site's
    ``KESHER_GOOGLE_ADS_LEAD_KEY``: each form may have its own key (decision 0117)."""
    given = str(payload.get("google_key") or "") if isinstance(payload, dict) else ""
    form_id = _text(payload.get("form_id"), 100) if isinstance(payload, dict) else ""
    keys = dict(
        LeadAdSource.objects.filter(
            provider=LeadAdSource.Provider.GOOGLE, form_id__in=[form_id, ""]
        ).values_list("form_id", "google_key")
    )
    key = keys.get(form_id) if form_id in keys else keys.get("")
    key = key or settings.KESHER_GOOGLE_ADS_LEAD_KEY
    if not key or not hmac.compare_digest(given.encode(), key.encode()):
        raise Refused(_("The key is not the one set up for Google Ads."))


def google_receive(payload) -> Received:
    """One Google Ads lead (its ``google_key`` checked), received once per ``lead_id`` and
    made into a lead at once — in the practice environment kept as not received."""
    google_key_check(payload)
    lead_id = str(payload.get("lead_id") or "")
    if not lead_id or len(lead_id) > 100:
        raise ValidationError({"lead_id": [_("A lead id is missing or malformed.")]})
    columns = payload.get("user_column_data")
    if not isinstance(columns, list):
        raise ValidationError({"user_column_data": [_("Send the lead's columns as a list.")]})
    values = {}
    for column in columns:
        if isinstance(column, dict) and column.get("column_id"):
            values[str(column["column_id"])] = str(column.get("string_value") or "")
    kept = {k: v for k, v in payload.items() if k != "google_key"}  # the secret is not stored
    row = AdLead(
        provider=LeadAdSource.Provider.GOOGLE,
        external_id=lead_id,
        form_id=_text(payload.get("form_id"), 100),
        campaign_ref=_text(payload.get("campaign_id"), 100),
        payload=_storable(kept),
        test=bool(payload.get("is_test")),
        status=AdLead.Status.SUPPRESSED if settings.KESHER_PRACTICE else AdLead.Status.PENDING,
    )
    if AdLead.objects.filter(provider=row.provider, external_id=lead_id).exists():
        return Received([], duplicates=1)
    try:
        with transaction.atomic():
            # Saved first: the unique lead id refuses a second copy before any other write.
            row.save()
            if row.status == AdLead.Status.PENDING:
                _process(row, values)
    except IntegrityError:
        return Received([], duplicates=1)
    return Received([row])


# --- both --------------------------------------------------------------------------------------


def _storable(value):
    """``value`` (a provider's JSON) without NUL characters, which PostgreSQL cannot store."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _text(value, limit: int) -> str:
    return CONTROL.sub("", str(value or "")).strip()[:limit]


def by_lower(values: dict) -> dict[str, str]:
    """The values by their field's name without case (providers differ: email, EMAIL)."""
    return {str(k).lower(): str(v) for k, v in values.items()}


def _source_of(row: AdLead) -> LeadAdSource | None:
    """The ad lead form of the row's form, else its provider's catch-all row."""
    return (
        LeadAdSource.objects.filter(provider=row.provider, form_id__in=[row.form_id, ""])
        .select_related("campaign", "source", "source_detail", "owner")
        .order_by("-form_id")
        .first()
    )


def _campaign_of(source: LeadAdSource, row: AdLead):
    """The Kesher campaign the provider's campaign is mapped to on the form (its campaign
    table), else the form's own campaign."""
    if row.campaign_ref:
        link = (
            LeadAdCampaign.objects.filter(ad_source=source, external_id=row.campaign_ref)
            .select_related("campaign")
            .first()
        )
        if link is not None:
            return link.campaign
    return source.campaign


def _mapped(source: LeadAdSource, values: dict) -> tuple[dict, list[str]]:
    """The lead's values from the provider's, by the form's map; and what was left out."""
    from kesher.sales.models import Lead

    by_key = by_lower(values)
    mapping = {k.lower(): v for k, v in (source.field_map or DEFAULT_MAP).items()}
    data, dropped = {}, []
    for key, target in mapping.items():
        text = CONTROL.sub("", by_key.get(key, "")).strip()
        if not text or target not in LEAD_TARGETS:
            continue
        if target == "full_name":
            first, _space, last = text.partition(" ")
            data.setdefault("first_name", first[:100])
            if last:
                data.setdefault("last_name", last.strip()[:100])
            continue
        if target in PHONE_FIELDS:
            try:
                text = normalize_phone(text)
            except ValidationError:
                dropped.append(f"{key}: {text[:40]}")
                continue
        elif target == "email":
            try:
                validate_email(text)
            except ValidationError:
                dropped.append(f"{key}: {text[:80]}")
                continue
            text = text.lower()
        limit = Lead._meta.get_field(target).max_length or VALUE_LIMIT
        data.setdefault(target, text[:limit])
    if not any(data.get(n) for n in ("first_name", "last_name", "company_name")):
        name = data.get("email") or data.get("mobile") or data.get("phone")
        if name:
            data["last_name"] = name[:100]
    return data, dropped


def _detail(source: LeadAdSource, platform: str):
    """The form's secondary source, else the one named after Meta's platform under its
    source (Facebook, Instagram)."""
    if source.source_detail_id or not source.source_id or platform not in PLATFORMS:
        return source.source_detail
    return Choice.objects.filter(
        list_key="lead_source_detail",
        value=PLATFORMS[platform],
        parent=source.source_id,
        active=True,
    ).first()


def _process(row: AdLead, values: dict, *, platform: str = "") -> None:
    """Make or join the row's lead from ``values`` (inside the caller's transaction)."""
    from kesher.marketing.scoring import lead_score_refresh
    from kesher.marketing.services import lead_touch
    from kesher.sales.services import lead_create

    row.values = _storable(
        {str(k)[:100]: str(v)[:VALUE_LIMIT] for k, v in list(values.items())[:200]}
    )
    source = _source_of(row)
    row.ad_source = source
    if source is None or not source.active:
        row.status = AdLead.Status.UNCONFIGURED
        row.error = _("No active ad lead form is set up for this provider and form.")
        row.save(
            update_fields=["values", "ad_source", "status", "error", "form_id", "campaign_ref"]
        )
        return
    data, dropped = _mapped(source, values)
    campaign = _campaign_of(source, row)
    lead = existing_lead(data)
    try:
        with transaction.atomic():
            if lead is None:
                row.status = AdLead.Status.CREATED
                lead = lead_create(
                    actor=None,
                    data={
                        **data,
                        "source": source.source,
                        "source_detail": _detail(source, platform),
                        "campaign": campaign,
                        "last_campaign": campaign,
                    },
                    fallback_owner=source.owner,
                )
            else:
                row.status = AdLead.Status.MATCHED
                if campaign is not None:
                    lead = lead_touch(lead, campaign=campaign, actor=None)
            answer = by_lower(values).get(source.consent_field.lower(), "")
            if source.consent_field and answer.strip().lower() in YES:
                _consent(source, row, lead)
    except ValidationError as error:
        row.status = AdLead.Status.REFUSED
        row.error = "; ".join(error.messages)[:ERROR_LIMIT]
        lead = None
    row.lead = lead
    if dropped and not row.error:
        row.error = _("Not valid, left out: %(values)s") % {"values": ", ".join(dropped)}
    row.save(
        update_fields=[
            "values",
            "ad_source",
            "status",
            "error",
            "lead",
            "form_id",
            "campaign_ref",
        ]
    )
    if lead is not None:
        lead_score_refresh(lead)


def _consent(source: LeadAdSource, row: AdLead, lead) -> None:
    from kesher.marketing.services import consents_create

    method = Choice.objects.filter(list_key="consent_method", value="form").first()
    proof = _("“%(text)s” — answered yes on %(provider)s lead form %(form)s, lead %(id)s") % {
        "text": localized(source, "consent_text"),
        "provider": row.get_provider_display(),
        "form": row.form_id or "?",
        "id": row.external_id,
    }
    consents_create(
        actor=None,
        rows=[
            {
                "lead": lead,
                "channel": channel,
                "kind": Consent.Kind.CONSENT,
                "method": method,
                "source": _("Ad lead form “%(form)s”") % {"form": source.name[:150]},
                "proof": proof,
            }
            for channel in source.consent_channels.split()
        ],
    )
