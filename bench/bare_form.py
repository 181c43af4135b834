"""The floor of a web-form submission (decision 0105): the same POST, through the same
middleware, writing the rows a submission writes — the lead, its audit entry and search tokens,
the submission with its UTM tags, a consent per channel — by bare SQL in one transaction, and
answering a short page. No token check, no validation, no duplicate check, no assignment rules,
no events: what Django costs before Kesher does anything (``bench.marketing --part forms``
mounts it at ``/bench/form/<slug>/``, bench/urls.py)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from kesher.marketing.models import Consent, FormSubmission, LeadForm
from kesher.platform.models import AuditEntry, SearchToken
from kesher.platform.records.inserts import insert_statement, run_together
from kesher.sales.models import Lead


@csrf_exempt
def bare_form(request, slug):
    sent = request.POST
    now = timezone.now()
    form = LeadForm.objects.get(slug=slug)
    row = {f.name: f.get_default() for f in Lead._meta.concrete_fields if not f.primary_key}
    row.update(
        {
            "first_name": sent["first_name"],
            "last_name": sent["last_name"],
            "email": sent["email"].lower(),
            "campaign": form.campaign_id,
            "last_campaign": form.campaign_id,
            "owner": form.owner_id,
            "created_at": now,
            "updated_at": now,
        }
    )
    lead = insert_statement(Lead, [row])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(lead.sql + " RETURNING id", lead.params)
        pk = cursor.fetchone()[0]
        audit = {
            "content_type": ContentType.objects.get_for_model(Lead).pk,
            "object_id": pk,
            "object_repr": f"{row['first_name']} {row['last_name']}",
            "actor": None,
            "action": "create",
            "changes": {"last_name": [None, row["last_name"]]},
            "at": now,
        }
        tokens = [
            {"entity": "leads", "object_id": pk, "kind": kind, "token": token}
            for kind, token in (
                *((1, word) for word in (*row["first_name"].split(), row["last_name"])),
                (2, row["email"]),
            )
        ]
        submission = {
            f.name: f.get_default()
            for f in FormSubmission._meta.concrete_fields
            if not f.primary_key
        }
        submission.update(
            form=form.pk,
            token=sent["token"],
            lead=pk,
            outcome="created",
            values={"last_name": row["last_name"], "email": row["email"]},
            consented=True,
            utm_source=sent.get("utm_source", ""),
            utm_campaign=sent.get("utm_campaign", ""),
            created_at=now,
        )
        consents = [
            {
                **{
                    f.name: f.get_default()
                    for f in Consent._meta.concrete_fields
                    if not f.primary_key
                },
                "lead": pk,
                "channel": channel,
                "kind": "consent",
                "given_at": now,
                "source": form.name,
                "proof": form.consent_text_he,
                "created_at": now,
                "updated_at": now,
            }
            for channel in form.consent_channels.split()
        ]
        run_together(
            insert_statement(AuditEntry, [audit]),
            insert_statement(SearchToken, tokens),
            insert_statement(FormSubmission, [submission]),
            insert_statement(Consent, consents),
        )
    return HttpResponse("<p>תודה!</p>")
