"""The floor of converting a lead through the API (issue 15): the same request, through the same
middleware and DRF authentication, writing the rows a conversion writes — the account, the
contact, their link, the deal on its first stage and its contact, each with its audit entry and
search tokens, and the lead marked converted with its audit entry — by bare SQL in one
transaction (``bench/bare_create.py``'s method). No serializer, no validation, no matching, no
events: what Django and DRF cost before Kesher does anything (``bench.sales`` mounts it at
``/bench/convert/leads/<id>/``, bench/urls.py)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.generate import record_tokens
from kesher.customers.models import Account, Contact, ContactAccount
from kesher.platform.models import AuditEntry, Choice, SearchToken
from kesher.platform.records.inserts import insert_statement, run_together
from kesher.platform.registry import registry
from kesher.sales.models import Lead, Opportunity, OpportunityContact
from kesher.sales.services import first_stage


def _row(model, **values) -> dict:
    row = {f.name: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}
    row.update(values)
    return row


def _insert(model, row: dict) -> int:
    statement = insert_statement(model, [row])
    with connection.cursor() as cursor:
        cursor.execute(statement.sql + " RETURNING id", statement.params)
        return cursor.fetchone()[0]


def _audit(model, pk: int, text: str, actor: int, action: str, changes: dict, now) -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(model).pk,
        "object_id": pk,
        "object_repr": text[:300],
        "actor": actor,
        "action": action,
        "changes": changes,
        "at": now,
    }


def _tokens(key: str, pk: int, values: dict) -> list[dict]:
    return [
        {"entity": key, "object_id": pk, "kind": kind, "token": token}
        for kind, token in sorted(record_tokens(registry.get(key), values))
    ]


class BareConvert(APIView):
    def post(self, request, pk):
        sent = request.data.get("opportunity") or {}
        now = timezone.now()
        actor = request.user.pk
        with transaction.atomic():
            lead = Lead._base_manager.select_for_update().get(pk=pk)
            owner = lead.owner_id or actor
            stage = first_stage()
            converted = Choice.objects.get(list_key="lead_status", value="converted")
            account = _row(
                Account,
                name=lead.company_name,
                email=lead.email,
                phone=lead.phone,
                city=lead.city,
                owner=owner,
                created_at=now,
                updated_at=now,
            )
            account_id = _insert(Account, account)
            contact = _row(
                Contact,
                first_name=lead.first_name,
                last_name=lead.last_name,
                title=lead.title,
                email=lead.email,
                phone=lead.phone,
                mobile=lead.mobile,
                city=lead.city,
                owner=owner,
                created_at=now,
                updated_at=now,
            )
            contact_id = _insert(Contact, contact)
            deal = _row(
                Opportunity,
                name=lead.company_name,
                account=account_id,
                amount=Decimal(sent.get("amount") or 0),
                stage=stage.pk,
                stage_entered_at=now,
                stuck_at=now + timedelta(days=14),
                owner=owner,
                source=lead.source_id,
                created_at=now,
                updated_at=now,
            )
            deal_id = _insert(Opportunity, deal)
            made = (
                (Account, "accounts", account_id, account, account["name"]),
                (Contact, "contacts", contact_id, contact, f"{lead.first_name} {lead.last_name}"),
                (Opportunity, "opportunities", deal_id, deal, deal["name"]),
            )
            audits = [
                _audit(model, made_id, text, actor, "create", {"name": [None, text]}, now)
                for model, _key, made_id, _values, text in made
            ]
            audits.append(
                _audit(
                    Lead,
                    lead.pk,
                    str(lead),
                    actor,
                    "update",
                    {"converted_opportunity": [None, deal_id]},
                    now,
                )
            )
            tokens = [
                t for _m, key, made_id, values, _t in made for t in _tokens(key, made_id, values)
            ]
            link = {
                "contact": contact_id,
                "account": account_id,
                "role": lead.title,
                "is_primary": False,
            }
            deal_contact = {"opportunity": deal_id, "contact": contact_id, "role": lead.title}
            run_together(
                insert_statement(ContactAccount, [link]),
                insert_statement(OpportunityContact, [deal_contact]),
                insert_statement(AuditEntry, audits),
                insert_statement(SearchToken, tokens),
            )
            Lead._base_manager.filter(pk=lead.pk).update(
                converted_at=now,
                converted_account=account_id,
                converted_contact=contact_id,
                converted_opportunity=deal_id,
                status=converted.pk,
                version=lead.version + 1,
                updated_at=now,
            )
        return Response(
            {
                "lead": lead.pk,
                "account": account_id,
                "contact": contact_id,
                "opportunity": deal_id,
                "matched": [],
            }
        )
