"""The floor of an API create: the same request, through the same middleware and DRF
authentication, writing the rows a contact's create writes — the contact, its audit entry, its
search tokens — by bare SQL in one transaction, and answering its id. No serializer, no
validation, no events: what Django and DRF cost before Kesher does anything
(``bench.automation`` and ``bench.create`` mount it with
``override_settings(ROOT_URLCONF=...)``)."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.urls import path
from django.utils import timezone
from rest_framework.response import Response
from rest_framework.views import APIView

from kesher.customers.models import Contact
from kesher.platform.models import AuditEntry, SearchToken
from kesher.platform.records.inserts import insert_statement, run_together
from kesher.platform.records.search import phone_tokens


class BareCreate(APIView):
    def post(self, request):
        sent = request.data
        now = timezone.now()
        row = {f.name: f.get_default() for f in Contact._meta.concrete_fields if not f.primary_key}
        row.update(
            {
                "first_name": sent["first_name"],
                "last_name": sent["last_name"],
                "city": sent["city"],
                # The keys a client sends too, stored as the create stores them.
                "email": sent.get("email", "").lower(),
                "mobile": sent.get("mobile", ""),
                "owner": request.user.pk,
                "created_at": now,
                "updated_at": now,
            }
        )
        contact = insert_statement(Contact, [row])
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(contact.sql + " RETURNING id", contact.params)
            pk = cursor.fetchone()[0]
            audit = {
                "content_type": ContentType.objects.get_for_model(Contact).pk,
                "object_id": pk,
                "object_repr": f"{row['first_name']} {row['last_name']}",
                "actor": request.user.pk,
                "action": "create",
                "changes": {"first_name": [None, row["first_name"]]},
                "at": now,
            }
            tokens = [
                {"entity": "contacts", "object_id": pk, "kind": kind, "token": token}
                for kind, token in (
                    *((1, word) for word in (*row["first_name"].split(), row["last_name"])),
                    (1, row["city"]),
                    *([(2, row["email"])] if row["email"] else []),
                    *((3, token) for token in phone_tokens(row["mobile"])),
                )
            ]
            run_together(
                insert_statement(AuditEntry, [audit]), insert_statement(SearchToken, tokens)
            )
        return Response({"id": pk}, status=201)


urlpatterns = [path("api/v1/contacts/", BareCreate.as_view())]
