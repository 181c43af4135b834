"""Invoicing the approved hours (REQ PR-4; issue 20 item 4; decision 0106).

The approved, billable, not yet billed hours the invoicer may see — of a customer, a project,
a range of dates — become draft tax invoices through billing's own service
(``billing.services.invoice_of_lines``): one per customer, a line per entry printed by date,
person, hours and description, valued by the rate cards (``projects.billing``). Each entry
becomes "billed", linked to its invoice line, and is locked by the time entries' edit guard.

An hour is billed once: the chosen entries are locked (``FOR UPDATE``, in id order, so two
invoicers never deadlock) and read again as approved under the lock, so of two managers
invoicing the same hours at once the second finds none left. Deleting the draft invoice gives
the hours back (``models.UNBILL``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.billing.models import TaxDocument
from kesher.billing.services import invoice_of_lines
from kesher.catalogue.models import Product
from kesher.platform.models import AuditEntry
from kesher.platform.records.audit import encoded
from kesher.platform.records.inserts import insert_rows
from kesher.projects.billing import Card, entry_value, rate_for
from kesher.projects.models import ProjectMember, RateCard, TimeEntry

__all__ = ["billable_entries", "invoice_hours", "resolve_choice", "uninvoiced"]

HOURS = Decimal("0.001")


def billable_entries(actor, *, account=None, project=None, date_from=None, date_to=None):
    """The approved, billable, unbilled hours the actor may see, of customers' projects, chosen
    by customer, project (with its sub-projects' hours) and dates."""
    entries = TimeEntry.objects.visible_to(actor).filter(
        state=TimeEntry.State.APPROVED, billable=True, project__account__isnull=False
    )
    if account is not None:
        entries = entries.filter(project__account=account)
    if project is not None:
        entries = entries.filter(Q(project=project) | Q(project__parent=project))
    if date_from is not None:
        entries = entries.filter(date__gte=date_from)
    if date_to is not None:
        entries = entries.filter(date__lte=date_to)
    return entries


def uninvoiced(actor) -> list[dict]:
    """What waits to be invoiced, per customer: his approved billable unbilled hours the actor
    may see, their count and first and last dates (one query)."""
    return list(
        billable_entries(actor)
        .values("project__account_id", "project__account__name")
        .annotate(entries=Count("id"), minutes=Sum("minutes"), first=Min("date"), last=Max("date"))
        .order_by("project__account__name", "project__account_id")
    )


def _cards(accounts: set[int]) -> list[Card]:
    columns = ("pk", "hourly_rate", "valid_from", "valid_to", "user_id", "role_id", "account_id")
    return [
        Card(pk=pk, rate=rate, valid_from=start, valid_to=end, user=user, role=role, account=acc)
        for pk, rate, start, end, user, role, acc in RateCard.objects.filter(
            Q(account__in=accounts) | Q(account__isnull=True)
        ).values_list(*columns)
    ]


def _name(row: dict, people: dict[int, str]) -> str:
    hours = f"{Decimal(row['minutes']) / 60:.2f}"
    parts = [f"{row['date']:%d/%m/%Y}", people.get(row["user_id"], ""), hours]
    if row["description"]:
        parts.append(row["description"])
    return " · ".join(parts)


@transaction.atomic
def invoice_hours(
    *,
    actor,
    product: Product,
    account=None,
    project=None,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    doc_date: datetime.date | None = None,
) -> list[TaxDocument]:
    """Draft tax invoices of the chosen approved hours, one per customer (REQ PR-4). Refused,
    nothing written, when no hours are left to invoice or a rate card prices none of them."""
    from kesher.org.models import User

    if date_from and date_to and date_to < date_from:
        raise ValidationError({"date_to": [_("The end date is before the start date.")]})
    # Chosen and locked in one read, in id order (two invoicers never deadlock). PostgreSQL
    # checks a row another invoicer changed meanwhile against the conditions again once its
    # lock is released: an hour billed meanwhile is no longer approved, so not among them. (Not
    # the ids first and then 10,000 of them as literals: Django took 0.3 s to write that list
    # and PostgreSQL as long to plan it; decision 0111.)
    rows = list(
        billable_entries(
            actor, account=account, project=project, date_from=date_from, date_to=date_to
        )
        .select_for_update(of=("self",))
        .order_by("id")
        .values(
            "pk",
            "user_id",
            "date",
            "minutes",
            "description",
            "project_id",
            account_id=F("project__account_id"),
        )
    )
    if not rows:
        raise ValidationError(
            {"__all__": [_("No approved billable hours are left to invoice in this choice.")]}
        )
    roles = {
        (project_id, user): role
        for project_id, user, role in ProjectMember.objects.filter(
            project__in={row["project_id"] for row in rows}, role__isnull=False
        ).values_list("project_id", "user_id", "role_id")
    }
    cards = _cards({row["account_id"] for row in rows})
    unpriced = 0
    for row in rows:
        card = rate_for(
            cards,
            user=row["user_id"],
            role=roles.get((row["project_id"], row["user_id"])),
            account=row["account_id"],
            day=row["date"],
        )
        if card is None:
            unpriced += row["minutes"]
            continue
        row["rate"] = card.rate
    if unpriced:
        message = _("%(hours)s h of these hours have no rate card; add one and invoice again.")
        raise ValidationError({"__all__": [message % {"hours": f"{Decimal(unpriced) / 60:.2f}"}]})
    people = {u.pk: str(u) for u in User.objects.filter(pk__in={r["user_id"] for r in rows})}
    per_customer: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        per_customer[row["account_id"]].append(row)
    first = min(row["date"] for row in rows)
    last = max(row["date"] for row in rows)
    reference = _("Hours %(first)s–%(last)s") % {
        "first": f"{first:%d/%m/%Y}",
        "last": f"{last:%d/%m/%Y}",
    }
    documents, links = [], []
    for account_id in sorted(per_customer):
        entries = sorted(
            per_customer[account_id],
            key=lambda r: (r["date"], people.get(r["user_id"], ""), r["pk"]),
        )
        for row in entries:
            row["name"] = _name(row, people)
        document, lines = invoice_of_lines(
            actor=actor,
            data={
                "account": account_id,
                "owner": actor,
                "name": reference,
                **({"doc_date": doc_date} if doc_date else {}),
            },
            lines=[
                {
                    "product": product.pk,
                    "name": row["name"],
                    "quantity": (Decimal(row["minutes"]) / 60).quantize(HOURS),
                    "unit_price": row["rate"],
                    "net": entry_value(row["minutes"], row["rate"]),
                }
                for row in entries
            ],
        )
        documents.append(document)
        links.extend(
            (row["pk"], line, row["name"]) for row, line in zip(entries, lines, strict=True)
        )
    _mark_billed(links, actor=actor)
    return documents


def _mark_billed(links: list[tuple[int, int, str]], *, actor) -> None:
    """Each entry (id, line id, its line's text) billed and linked to its line, in id order;
    an audit entry each (by ``COPY`` on PostgreSQL)."""
    links = sorted(links)
    now = timezone.now()
    quote = connection.ops.quote_name
    table = quote(TimeEntry._meta.db_table)
    state = TimeEntry.State.BILLED.value
    # The rows to change joined to their lines (UPDATE … FROM; SQLite ≥ 3.33: one statement per
    # 5,000 entries — run one by one, SQLite took 25× longer here).
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Two typed arrays, as the platform's bulk audit writes (``bulk.writes.audit_rows``):
            # one statement whatever the count, no 10,000 literals to parse and plan.
            cursor.execute(
                f"UPDATE {table} SET state = %s, invoice_line_id = v.line, "  # noqa: S608
                f"version = {table}.version + 1, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, line) "
                f"WHERE {table}.id = v.id",
                [state, now, [link[0] for link in links], [link[1] for link in links]],
            )
        else:
            for start in range(0, len(links), 5000):
                chunk = links[start : start + 5000]
                pairs = ", ".join(["(%s, %s)"] * len(chunk))
                cursor.execute(
                    f"UPDATE {table} SET state = %s, invoice_line_id = v.line, "  # noqa: S608
                    f"version = {table}.version + 1, updated_at = %s "
                    "FROM (SELECT column1 AS id, column2 AS line "
                    f"FROM (VALUES {pairs}) AS pairs) AS v "
                    f"WHERE {table}.id = v.id",
                    [state, now, *(value for link in chunk for value in link[:2])],
                )
    meta = AuditEntry._meta
    fields = [meta.get_field(name) for name in ("changes", "at")]
    changes, at = (
        field.get_db_prep_save(value, connection)
        for field, value in zip(
            fields, (encoded({"state": [TimeEntry.State.APPROVED.value, state]}), now), strict=True
        )
    )
    columns = ["content_type", "object_id", "object_repr", "actor", "action", "changes", "at"]
    kind = _content_type()
    insert_rows(
        AuditEntry,
        [meta.get_field(name).column for name in columns],
        [
            (kind, entry, text[:300], actor.pk, "update", changes, at)
            for entry, _line, text in links
        ],
    )


def _content_type() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(TimeEntry).pk


def resolve_choice(user, *, account=None, project=None, product=None, **dates) -> dict:
    """The invoicing form's or the API's ids as the records the user may see; a missing or
    unseen one refused by field, translated (nothing is written)."""
    from kesher.customers.models import Account
    from kesher.projects.models import Project

    errors: dict[str, list[str]] = {}
    choice = dict(dates)
    for name, model, value in (
        ("account", Account, account),
        ("project", Project, project),
        ("product", Product, product),
    ):
        if value in (None, ""):
            if name == "product":
                errors[name] = [_("Choose the product the hours are invoiced as.")]
            continue
        found = (
            model.objects.visible_to(user).filter(pk=value).first()
            if str(value).isdigit()
            else None
        )
        if found is None:
            errors[name] = [_("Choose one from the list.")]
        choice[name] = found
    if errors:
        raise ValidationError(errors)
    return choice
