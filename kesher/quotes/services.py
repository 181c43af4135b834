"""Every write of quotes and orders (REQ SA-9, SA-10, SV-12; decisions 0065 and 0068).

Lines are priced by the catalogue's one pricing service and stored as priced; the document's
totals are the sums of its counted (not optional) lines. Issuing — sending a quote, confirming
an order — takes the next gap-free number inside the same transaction. An issued document is
never changed: a quote gets a new version, which supersedes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kesher.approvals.lock import pending_approval_reason
from kesher.approvals.models import ApprovalProcess, ApprovalRequest
from kesher.approvals.services import APPROVED, approval_start
from kesher.catalogue.models import Product
from kesher.catalogue.pricing import (
    LineRequest,
    PricingError,
    compute,
    load_pricing_data,
)
from kesher.numbering.services import allocate_number
from kesher.platform import events
from kesher.platform.models import AuditEntry
from kesher.platform.records.inserts import run_together, update_statement
from kesher.platform.records.services import (
    ConflictError,
    audit_statement,
    edit_blocked_reason,
    record_create,
    record_update,
    write_audit,
)
from kesher.quotes.models import Order, OrderLine, Quote, QuoteLine

__all__ = [
    "QUOTE_ACCEPTED",
    "LineInput",
    "order_confirm",
    "order_create",
    "order_from_quote",
    "order_set_lines",
    "order_update",
    "quote_accept",
    "quote_create",
    "quote_email",
    "quote_email_attachments",
    "quote_expire_due",
    "quote_from_opportunity",
    "quote_reject",
    "quote_request_approval",
    "quote_revise",
    "quote_send",
    "quote_set_lines",
    "quote_update",
]

# The event automation's "quote accepted" trigger listens to (kesher/quotes/triggers.py).
QUOTE_ACCEPTED = "quote_accepted"
MAX_LINES = 500
ZERO = Decimal("0")
# A priced line's amounts, as pricing computed them (a line's page shows them in this order).
LINE_PRICES = (
    "unit_price",
    "source",
    "gross",
    "rule_discount_percent",
    "discount_percent",
    "discount",
    "net",
    "vat_rate",
    "vat",
    "total",
)
LINE_FIELDS = (
    "product",
    "name",
    "sku",
    "quantity",
    "period",
    "periods",
    "addons",
    "optional",
    *LINE_PRICES,
    "unit_cost",
    "over_limit",
    "discount_limit",
)
TOTALS = ("gross", "discount", "net", "vat", "total", "cost")
# What sending writes on the quote's row.
SENT_FIELDS = ("number", "number_value", "status", "sent_at", "updated_at", "version")


@dataclass(frozen=True)
class LineInput:
    """A line as the editor or the API sends it."""

    product: int
    quantity: Decimal
    discount_percent: Decimal = ZERO
    period: str = ""
    periods: Decimal | None = None
    addons: tuple[int, ...] = ()
    optional: bool = False
    name: str = ""  # the description; empty: the product's name


# --- pricing a document's lines ---------------------------------------------------------------


def _price(document, lines: list[LineInput], actor) -> tuple[list[dict], dict, Decimal]:
    """The lines as priced for ``document`` (its customer, company, currency and date) with
    the totals of the counted lines, and the exchange rate used. ``actor``'s discount limit
    flags the lines (None: no limit, as automation)."""
    if len(lines) > MAX_LINES:
        raise ValidationError({"lines": [_("At most %(n)s lines.") % {"n": MAX_LINES}]})
    requests = [
        LineRequest(
            product=line.product,
            quantity=line.quantity,
            period=line.period,
            periods=line.periods,
            addons=tuple(line.addons),
            discount_percent=line.discount_percent,
        )
        for line in lines
    ]
    for index, line in enumerate(lines):
        if line.quantity is None or line.quantity <= 0:
            raise ValidationError(
                {"lines": [_("Line %(n)s: enter a quantity.") % {"n": index + 1}]}
            )
        if not ZERO <= line.discount_percent <= 100:
            raise ValidationError(
                {"lines": [_("Line %(n)s: a discount is 0 to 100%%.") % {"n": index + 1}]}
            )
    data = load_pricing_data(
        account=document.account,
        currency=document.currency,
        day=document.doc_date,
        lines=requests,
        reader=actor,
        company=document.company,
    )
    try:
        priced = compute(data, currency=document.currency, day=document.doc_date, lines=requests)
    except PricingError as error:
        raise ValidationError(_pricing_messages(error.errors)) from None
    rates = data.exchange_rates
    costs = {
        pk: (cost, currency)
        for pk, cost, currency in Product.objects.filter(
            pk__in={line.product for line in lines}
        ).values_list("pk", "cost_price", "currency")
    }
    rows = []
    totals = dict.fromkeys(TOTALS, ZERO)
    for position, (line, result) in enumerate(zip(lines, priced.lines, strict=True), start=1):
        cost, cost_currency = costs.get(line.product, (None, document.currency))
        unit_cost = None
        if cost is not None and cost_currency in rates and document.currency in rates:
            unit_cost = (cost * rates[cost_currency] / rates[document.currency]).quantize(
                Decimal("0.01")
            )
        row = {
            "position": position,
            "product_id": line.product,
            "name": (line.name or result.name)[:300],
            "sku": result.sku,
            "quantity": line.quantity,
            "period": line.period,
            "periods": line.periods,
            "addons": list(line.addons),
            "optional": line.optional,
            "unit_price": result.unit_price,
            "source": result.source[:300],
            "gross": result.gross,
            "rule_discount_percent": result.rule_discount_percent,
            "discount_percent": result.discount_percent,
            "discount": result.discount,
            "net": result.net,
            "vat_rate": result.vat_rate,
            "vat": result.vat,
            "total": result.total,
            "unit_cost": unit_cost,
            "over_limit": result.over_limit,
            "discount_limit": result.discount_limit,
        }
        rows.append(row)
        if not line.optional:
            for name in ("gross", "discount", "net", "vat", "total"):
                totals[name] += row[name]
            totals["cost"] += (unit_cost or ZERO) * line.quantity
    totals["cost"] = totals["cost"].quantize(Decimal("0.01"))
    return rows, totals, rates.get(document.currency, Decimal("1"))


def _pricing_messages(errors: dict) -> dict:
    """PricingError's per-line messages as one list a form or the API shows."""
    messages = []
    for key, value in errors.items():
        if key == "lines" and isinstance(value, dict):
            for index, fields in value.items():
                for texts in fields.values():
                    messages += [
                        _("Line %(n)s: %(message)s") % {"n": index + 1, "message": text}
                        for text in texts
                    ]
        else:
            messages += list(value)
    return {"lines": messages}


def _store_lines(document, line_model, link: str, rows: list[dict], totals: dict, rate) -> None:
    line_model.objects.filter(**{link: document}).delete()
    line_model.objects.bulk_create([line_model(**{link: document}, **row) for row in rows])
    for name, value in totals.items():
        setattr(document, name, value)
    document.exchange_rate = rate


def _copy_lines(source_lines, line_model, link: str, target) -> None:
    line_model.objects.bulk_create(
        [
            line_model(
                **{link: target},
                position=line.position,
                **{
                    (f"{name}_id" if name == "product" else name): getattr(
                        line, f"{name}_id" if name == "product" else name
                    )
                    for name in LINE_FIELDS
                },
            )
            for line in source_lines
        ]
    )


def _lock(model, document):
    # Lock the document: two editors saving lines at once must not interleave their rows.
    return model._base_manager.select_for_update().get(pk=document.pk)


def _save_totals(document, actor, changes: dict) -> None:
    document.version += 1
    document.save()
    write_audit(document, actor=actor, action=AuditEntry.Action.UPDATE, changes=changes)


def _require_draft(document, *, asked_later=()) -> None:
    if not document.is_draft:
        raise ValidationError(
            {
                "__all__": [
                    _("An issued document is not changed (%(status)s).")
                    % {"status": document.get_status_display()}
                ]
            }
        )
    reason = edit_blocked_reason(document, asked_later=asked_later)
    if reason:
        raise ValidationError({"__all__": [reason]})


# --- quotes -------------------------------------------------------------------------------------


def _defaults_from_opportunity(data: dict) -> dict:
    opportunity = data.get("opportunity")
    if opportunity is not None and not hasattr(opportunity, "pk"):
        from kesher.sales.models import Opportunity

        opportunity = Opportunity.objects.filter(pk=opportunity).first()
    if opportunity is not None:
        data = {**data}
        if not data.get("account"):
            data["account"] = opportunity.account
        data.setdefault("currency", opportunity.currency)
    return data


@transaction.atomic
def quote_create(*, actor, data: dict, m2m: dict | None = None) -> Quote:
    """A draft quote, for a deal's customer when made from a deal (REQ SA-10)."""
    return record_create("quotes", actor=actor, data=_defaults_from_opportunity(data), m2m=m2m)


@transaction.atomic
def quote_update(quote: Quote, *, actor, data: dict, m2m=None, expected_version=None) -> Quote:
    """Change a draft quote's header; an issued quote gets a new version instead."""
    _require_draft(_lock(Quote, quote))
    return record_update(quote, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


@transaction.atomic
def quote_set_lines(quote: Quote, *, actor, lines: list[LineInput]) -> Quote:
    """Price ``lines`` and make them the draft's lines (the grid's save, the API's PUT). The
    discount approval given before no longer holds: the lines it approved are gone."""
    locked = _lock(Quote, quote)
    _require_draft(locked)
    rows, totals, rate = _price(locked, lines, actor)
    before = locked.total
    _store_lines(locked, QuoteLine, "quote", rows, totals, rate)
    locked.over_limit = any(row["over_limit"] for row in rows if not row["optional"])
    locked.discount_approved = False
    _save_totals(locked, actor, {"total": [str(before), str(locked.total)]})
    return locked


@transaction.atomic
def quote_from_opportunity(opportunity, *, actor, data: dict | None = None) -> Quote:
    """A draft quote for a deal: its customer, currency and name (REQ SA-10). Deals carry no
    lines of their own yet; when they do, they are copied here as priced."""
    values = {"name": opportunity.name, "opportunity": opportunity, **(data or {})}
    return quote_create(actor=actor, data=values)


def _approval_process() -> ApprovalProcess | None:
    return ApprovalProcess.objects.filter(entity="quotes", active=True).order_by("pk").first()


@transaction.atomic
def quote_request_approval(quote: Quote, *, actor) -> ApprovalRequest:
    """Start the approval round of a quote whose discount is above its author's limit
    (REQ SA-9): the first active approval process for quotes; the quote is locked until
    it is decided, and may be sent once approved."""
    locked = _lock(Quote, quote)
    _require_draft(locked)
    if not locked.needs_approval:
        raise ValidationError({"__all__": [_("This quote needs no approval.")]})
    process = _approval_process()
    if process is None:
        raise ValidationError(
            {"__all__": [_("No active approval process for quotes: ask an administrator.")]}
        )
    return approval_start(
        process_id=process.pk, record=locked, actor=actor, source=_("Discount above the limit")
    )


def _approval_given(event: events.Event) -> None:
    """An approved round of a quote approves its discount as the lines stand (they cannot
    change while the round is pending)."""
    if event.entity != "quotes":
        return
    Quote.objects.filter(pk=event.object_id, status=Quote.Status.DRAFT).update(
        discount_approved=True
    )


events.subscribe(APPROVED, _approval_given)


def _issue_number(document, doc_type: str) -> None:
    if document.number:
        return
    allocated = allocate_number(company=document.company_id, doc_type=doc_type)
    document.number = allocated.display
    document.number_value = allocated.number


def quote_send(quote: Quote, *, actor) -> Quote:
    """Issue the quote: it takes its number and is frozen (REQ SA-10). Refused while a
    discount above the limit waits for approval (REQ SA-9), and for a quote without lines.

    The checks run on the quote as the caller read it, before the transaction; inside it
    (decision 0100), while the numbering lock is held, only one locking read that the row is
    still as checked, the number and the two rows. A quote changed in between (or a stale
    copy, or one refused) is read again and checked again; returns the quote as sent."""
    current = quote
    for _attempt in range(3):
        try:
            _check_sendable(current)
        except ValidationError:
            if current is not quote:
                raise  # refused on the row as it is now
        else:
            with transaction.atomic():
                if _unchanged_since_checked(current):
                    _write_sent(current, actor)
                    return current
        current = Quote._base_manager.get(pk=quote.pk)
    raise ConflictError(current.version)


def _check_sendable(quote: Quote) -> None:
    """What refuses sending, as the quote was read: not a draft, an edit guard, a discount
    above the limit not approved. Its counted lines and an approval under way are asked under
    the lock (``_unchanged_since_checked``), in the statement that locks it — asking for the
    approval here too would be two more statements for nothing (decision 0119)."""
    if not quote.needs_approval:
        _require_draft(quote, asked_later=(pending_approval_reason,))
        return
    _require_draft(quote)  # refused either way: the approval's own reason, when one is asked
    raise ValidationError(
        {
            "__all__": [
                _("A discount is above the limit: the quote is sent once the discount is approved.")
            ]
        }
    )


def _unchanged_since_checked(quote: Quote) -> bool:
    """Lock the quote's row and tell whether it is as ``_check_sendable`` passed it: the same
    version (every edit of a quote or its lines moves it on) and still a draft. Refuses a
    draft without a counted line, and one whose approval was asked since (asking leaves the
    version as it is), with the edit guard's reason."""
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT q.version, q.status, EXISTS (SELECT 1 FROM quotes_quoteline l "  # noqa: S608
            "WHERE l.quote_id = q.id AND NOT l.optional), EXISTS (SELECT 1 FROM "
            "approvals_approvalrequest r WHERE r.link_type = %s AND r.link_id = q.id "
            f"AND r.status = %s) FROM quotes_quote q WHERE q.id = %s{lock}",
            ["quotes", ApprovalRequest.Status.PENDING, quote.pk],
        )
        row = cursor.fetchone()
    if row is None or row[0] != quote.version or row[1] != Quote.Status.DRAFT:
        return False
    if not row[2]:
        raise ValidationError({"lines": [_("Add at least one line before sending.")]})
    if row[3]:
        _require_draft(quote)  # the guard's reason, in the person's language
        return False  # decided just now: read again
    return True


def _write_sent(quote: Quote, actor) -> None:
    """Number the checked, locked draft and write it sent, with its audit entry."""
    _issue_number(quote, "quote")
    quote.status = Quote.Status.SENT
    quote.sent_at = quote.updated_at = timezone.now()
    quote.version += 1
    run_together(
        update_statement(quote, SENT_FIELDS),
        audit_statement(
            quote,
            actor=actor,
            action=AuditEntry.Action.UPDATE,
            changes={
                "status": [Quote.Status.DRAFT, Quote.Status.SENT],
                "number": [None, quote.number],
            },
        ),
    )


def _email_recipients(quote: Quote, to) -> list[str]:
    if to:
        return list(to)
    for party in (quote.contact, quote.account):
        if party is not None and party.email:
            return [party.email]
    raise ValidationError(
        {"to": [_("The customer has no e-mail address: enter the address to send to.")]}
    )


@transaction.atomic
def quote_email(
    quote: Quote, *, actor, to: list[str] | None = None, language: str | None = None, note=""
):
    """E-mail the quote to the customer with its PDF attached (REQ SA-10; decision 0077): a
    draft is issued first (numbered; refused while a discount waits for approval), then its
    PDF is rendered in the customer's language (or ``language``), kept on the quote as a file
    and queued through the outbox, which the practice environment suppresses. A version is
    e-mailed at most once: asking again returns the first message. The send is on the quote's
    timeline (the message, the file, an interaction). Returns the outgoing message."""
    from django.core.files.base import ContentFile
    from django.template.loader import render_to_string
    from django.utils import translation

    from kesher.integrations.models import OutgoingMessage
    from kesher.integrations.services import send_email_message
    from kesher.platform.records.attachments import attachment_add
    from kesher.quotes.documents import (
        acceptance_link,
        document_language,
        document_pdf,
        pdf_filename,
    )

    locked = _lock(Quote, quote)
    if locked.emailed_message_id:
        return OutgoingMessage.objects.get(pk=locked.emailed_message_id)
    if locked.status == Quote.Status.DRAFT:
        _check_sendable(locked)
        if not _unchanged_since_checked(locked):  # the lines are asked here; locked: as read
            raise ConflictError(locked.version)
        _write_sent(locked, actor)
    elif locked.status != Quote.Status.SENT:
        raise ValidationError(
            {
                "__all__": [
                    _("Only a draft or a sent quote is e-mailed (%(status)s).")
                    % {"status": locked.get_status_display()}
                ]
            }
        )
    recipients = _email_recipients(locked, to)
    language = document_language(locked, language)
    name = pdf_filename(locked, language)
    pdf = document_pdf(locked, language=language)
    with translation.override(language):
        company = locked.company.name if locked.company else ""
        subject = (
            _("Quote %(number)s from %(company)s") % {"number": locked.number, "company": company}
            if company
            else _("Quote %(number)s") % {"number": locked.number}
        )
        body = render_to_string(
            "quotes/email/quote.html",
            {
                "quote": locked,
                "note": str(note or "")[:5000],
                "link": acceptance_link(locked),
                "company": company,
                "file_name": name,
            },
        )
    sender = getattr(actor, "email", "") or (locked.owner.email if locked.owner else "")
    message = send_email_message(
        to=recipients,
        subject=subject,
        body_html=body,
        language=language,
        record=locked,
        headers={"Reply-To": sender} if sender else None,
        source=_("Quote %(number)s") % {"number": locked.number},
        idempotency_key=f"quote-email:{locked.pk}",
    )
    attachment = attachment_add(locked, actor=actor, uploaded=ContentFile(pdf, name=name))
    locked.emailed_message = message
    locked.emailed_pdf = attachment
    locked.save(update_fields=["emailed_message", "emailed_pdf"])
    write_audit(
        locked,
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        changes={"emailed_message": [None, ", ".join(recipients)]},
    )
    _log_interaction(
        locked,
        _("Quote %(number)s e-mailed to %(to)s")
        % {"number": locked.number, "to": ", ".join(recipients)},
        kind="email",
        direction="out",
        actor=actor,
    )
    return message


def quote_email_attachments(message) -> list[tuple[str, bytes, str]]:
    """The PDF a quote's e-mail carries, read at delivery (kesher/integrations/attachments.py).
    Missing (its file removed): raise, so the e-mail is not sent without it."""
    quote = (
        Quote.objects.select_related("emailed_pdf")
        .filter(pk=message.link_id, emailed_message_id=message.pk)
        .first()
    )
    if quote is None:
        return []
    if quote.emailed_pdf is None:
        raise FileNotFoundError(f"quote {quote.pk}: the PDF to attach was removed")
    with quote.emailed_pdf.file.open("rb") as handle:
        return [(quote.emailed_pdf.name, handle.read(), "application/pdf")]


def _require_sent(quote: Quote) -> None:
    if quote.status != Quote.Status.SENT:
        raise ValidationError(
            {
                "__all__": [
                    _("Only a sent quote can be accepted or rejected (%(status)s).")
                    % {"status": quote.get_status_display()}
                ]
            }
        )


def _expired(quote: Quote) -> bool:
    return quote.valid_until is not None and quote.valid_until < timezone.localdate()


@transaction.atomic
def quote_revise(quote: Quote, *, actor) -> Quote:
    """A new version of an issued quote, a draft with its lines copied as priced; the old
    version is superseded (REQ SA-10)."""
    locked = _lock(Quote, quote)
    if locked.status not in (Quote.Status.SENT, Quote.Status.REJECTED, Quote.Status.EXPIRED):
        raise ValidationError(
            {"__all__": [_("Only a sent, rejected or expired quote gets a new version.")]}
        )
    fields = (
        "name",
        "account_id",
        "contact_id",
        "company_id",
        "owner_id",
        "currency",
        "exchange_rate",
        "opportunity_id",
        "terms",
        "notes",
        "number",
        "number_value",
        *TOTALS,
        "over_limit",
    )
    new = record_create(
        "quotes",
        actor=actor,
        data={
            "name": locked.name,
            "account": locked.account,
            "valid_until": None,
        },
    )
    for name in fields:
        setattr(new, name, getattr(locked, name))
    new.revision = locked.revision + 1
    new.revised_from = locked
    new.save()
    _copy_lines(locked.lines.all(), QuoteLine, "quote", new)
    before = locked.status
    locked.status = Quote.Status.SUPERSEDED
    _save_totals(locked, actor, {"status": [before, locked.status]})
    return new


def _won_stage(opportunity):
    from kesher.sales.models import Stage

    return (
        Stage.objects.filter(
            pipeline_id=opportunity.stage.pipeline_id, outcome=Stage.Outcome.WON, active=True
        )
        .order_by("order", "pk")
        .first()
    )


def _log_interaction(
    quote: Quote, subject: str, body: str = "", *, kind="note", direction="in", actor=None
) -> None:
    from kesher.activities.services import interaction_create
    from kesher.platform.models import Choice

    choice = Choice.objects.filter(list_key="interaction_kind", value=kind, active=True).first()
    if choice is None or quote.owner is None:
        return
    interaction_create(
        actor=actor or quote.owner,
        data={
            "kind": choice,
            "direction": direction,
            "subject": subject[:200],
            "body": body,
            "link_type": "quotes",
            "link_id": quote.pk,
            "owner": quote.owner,
        },
    )


@transaction.atomic
def quote_accept(quote: Quote, *, actor, via: str = "") -> Order:
    """The customer accepts the quote (his signed link, or a user recording it): the order is
    made from its lines, the deal moves to its pipeline's won stage, automation's "quote
    accepted" trigger fires and an interaction is logged (REQ SA-10). ``actor`` is None for
    the customer himself."""
    locked = _lock(Quote, quote)
    _require_sent(locked)
    if _expired(locked):
        locked.status = Quote.Status.EXPIRED
        _save_totals(locked, actor, {"status": [Quote.Status.SENT, locked.status]})
        raise ValidationError({"__all__": [_("This quote is no longer valid.")]})
    locked.status = Quote.Status.ACCEPTED
    locked.decided_at = timezone.now()
    _save_totals(locked, actor, {"status": [Quote.Status.SENT, locked.status]})
    order = order_from_quote(locked, actor=actor)
    opportunity = locked.opportunity
    if opportunity is not None:
        from kesher.sales.services import opportunity_move_stage

        stage = _won_stage(opportunity)
        if stage is not None and opportunity.stage_id != stage.pk:
            opportunity_move_stage(opportunity, actor=actor or locked.owner, stage=stage)
    _log_interaction(
        locked,
        _("Quote %(number)s accepted") % {"number": locked.number},
        via,
    )
    events.emit(
        events.Event(
            name=QUOTE_ACCEPTED,
            entity="quotes",
            object_id=locked.pk,
            actor_id=getattr(actor, "pk", None),
            changes={"order": order.pk},
        )
    )
    return order


@transaction.atomic
def quote_reject(quote: Quote, *, actor, reason: str = "") -> Quote:
    """The customer turns the quote down (REQ SA-10)."""
    locked = _lock(Quote, quote)
    _require_sent(locked)
    locked.status = Quote.Status.REJECTED
    locked.decided_at = timezone.now()
    _save_totals(locked, actor, {"status": [Quote.Status.SENT, locked.status]})
    _log_interaction(
        locked, _("Quote %(number)s rejected") % {"number": locked.number}, reason[:2000]
    )
    return locked


@transaction.atomic
def quote_expire_due(*, today=None) -> int:
    """Sent quotes past their validity date become expired (the worker's daily tick)."""
    today = today or timezone.localdate()
    return Quote.objects.filter(status=Quote.Status.SENT, valid_until__lt=today).update(
        status=Quote.Status.EXPIRED
    )


# --- orders -------------------------------------------------------------------------------------


@transaction.atomic
def order_create(*, actor, data: dict, m2m: dict | None = None) -> Order:
    """A draft order made directly, without a deal — a quick sale (REQ SV-12)."""
    return record_create("orders", actor=actor, data=data, m2m=m2m)


@transaction.atomic
def order_update(order: Order, *, actor, data: dict, m2m=None, expected_version=None) -> Order:
    _require_draft(_lock(Order, order))
    return record_update(order, actor=actor, data=data, m2m=m2m, expected_version=expected_version)


@transaction.atomic
def order_set_lines(order: Order, *, actor, lines: list[LineInput]) -> Order:
    """Price ``lines`` and make them the draft order's lines. A quick sale has no approval
    round: a discount above the seller's limit is refused (REQ SA-9)."""
    locked = _lock(Order, order)
    _require_draft(locked)
    rows, totals, rate = _price(locked, lines, actor)
    over = [row["position"] for row in rows if row["over_limit"]]
    if over:
        raise ValidationError(
            {
                "lines": [
                    _("Line %(n)s: the discount is above your limit.") % {"n": position}
                    for position in over
                ]
            }
        )
    before = locked.total
    _store_lines(locked, OrderLine, "order", rows, totals, rate)
    _save_totals(locked, actor, {"total": [str(before), str(locked.total)]})
    return locked


@transaction.atomic
def order_confirm(order: Order, *, actor) -> Order:
    """Confirm a draft order: it takes its number and is frozen."""
    locked = _lock(Order, order)
    _require_draft(locked)
    if not OrderLine.objects.filter(order=locked, optional=False).exists():
        raise ValidationError({"lines": [_("Add at least one line before confirming.")]})
    _issue_number(locked, "order")
    locked.status = Order.Status.CONFIRMED
    locked.confirmed_at = timezone.now()
    _save_totals(
        locked,
        actor,
        {"status": [Order.Status.DRAFT, locked.status], "number": [None, locked.number]},
    )
    return locked


@transaction.atomic
def order_from_quote(quote: Quote, *, actor) -> Order:
    """The confirmed order of an accepted quote: its lines copied as priced (decision 0065)."""
    if quote.status != Quote.Status.ACCEPTED:
        raise ValidationError({"__all__": [_("Only an accepted quote becomes an order.")]})
    if Order.objects.filter(quote=quote).exists():
        raise ValidationError({"__all__": [_("This quote already has its order.")]})
    order = record_create(
        "orders",
        actor=actor,
        data={
            "account": quote.account,
            "contact": quote.contact,
            "company": quote.company,
            "owner": quote.owner,
            "currency": quote.currency,
            "opportunity": quote.opportunity,
            "notes": quote.terms,
        },
    )
    order.quote = quote
    order.exchange_rate = quote.exchange_rate
    for name in TOTALS:
        setattr(order, name, getattr(quote, name))
    _copy_lines(quote.lines.all(), OrderLine, "order", order)
    _issue_number(order, "order")
    order.status = Order.Status.CONFIRMED
    order.confirmed_at = timezone.now()
    order.save()
    write_audit(
        order,
        actor=actor,
        action=AuditEntry.Action.UPDATE,
        changes={"quote": [None, str(quote)], "number": [None, order.number]},
    )
    return order
