"""Quotes' and orders' own pages: the line grid (htmx; the server prices and totals every
change), issuing, approval, versions, the quote from a deal, and the customer's signed link
(REQ SA-9, SA-10, SV-12; decision 0068)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from kesher.catalogue.models import PriceRule, Product
from kesher.platform.pdf import pdf_response
from kesher.platform.ui.pages import entity_for, record_for
from kesher.platform.visibility import hidden_fields
from kesher.quotes import documents, services
from kesher.quotes.models import Order, Quote
from kesher.quotes.services import LineInput

__all__: list[str] = []

SALT = "kesher.quotes.accept"
# A signed link is good until the quote's validity date, and at most this long.
LINK_MAX_AGE = 60 * 60 * 24 * 90


def _messages(error: ValidationError) -> list[str]:
    if hasattr(error, "message_dict"):
        return [text for texts in error.message_dict.values() for text in texts]
    return list(error.messages)


def _decimal(value, default=None):
    try:
        return Decimal(str(value).replace(",", "").strip()) if str(value).strip() else default
    except (InvalidOperation, ValueError):
        return None


def _submitted(post) -> tuple[list[dict], list[str]]:
    """The grid's rows as posted (parallel lists, one per column) and the errors of values
    that are no numbers."""
    columns = ("product", "name", "quantity", "discount", "period", "periods")
    values = {name: post.getlist(name) for name in columns}
    optional = set(post.getlist("optional"))
    removed = set(post.getlist("drop_line"))
    rows, errors = [], []
    for index, product in enumerate(values["product"]):
        if not product.strip().isdigit() or str(index) in removed:
            continue

        def cell(name, i=index):
            column = values[name]
            return column[i] if i < len(column) else ""

        row = {
            "product": int(product),
            "name": cell("name").strip(),
            "quantity": _decimal(cell("quantity"), Decimal("1")),
            "discount": _decimal(cell("discount"), Decimal("0")),
            "period": cell("period") if cell("period") in PriceRule.Period.values else "",
            "periods": _decimal(cell("periods")),
            "optional": str(index) in optional,
        }
        if row["quantity"] is None or row["discount"] is None:
            errors.append(_("Line %(n)s: enter numbers.") % {"n": len(rows) + 1})
        rows.append(row)
    return rows, errors


def _line_inputs(rows: list[dict]) -> list[LineInput]:
    return [
        LineInput(
            product=row["product"],
            quantity=row["quantity"],
            discount_percent=row["discount"],
            period=row["period"],
            periods=row["periods"] if row["period"] else None,
            optional=row["optional"],
            name=row["name"],
        )
        for row in rows
    ]


def grid_context(document, user, *, rows=None, errors=None) -> dict:
    """What the grid shows: the stored lines (or the rows just refused, with their errors),
    the totals, whether the reader may edit, and the margin if he may see costs."""
    key = "quotes" if isinstance(document, Quote) else "orders"
    lines = list(document.lines.select_related("product").all())
    shown = rows
    if shown is None:
        shown = [
            {
                "product": line.product_id,
                "label": str(line.product),
                "name": line.name,
                "quantity": f"{line.quantity.normalize():f}",
                "discount": f"{line.discount_percent.normalize():f}",
                "period": line.period,
                "periods": f"{line.periods.normalize():f}" if line.periods else "",
                "optional": line.optional,
                "line": line,
            }
            for line in lines
        ]
    else:
        labels = {
            p.pk: str(p)
            for p in Product.objects.filter(pk__in=[r["product"] for r in rows]).only("name", "sku")
        }
        shown = [{**row, "label": labels.get(row["product"], "?")} for row in rows]
    from kesher.platform.access import can

    editable = document.is_draft and can(user, key, "change")
    return {
        "doc": document,
        "key": key,
        "rows": shown,
        "errors": errors or [],
        "editable": editable,
        "periods": PriceRule.Period.choices,
        "show_margin": "cost_price" not in hidden_fields("products", user),
        "post_url": reverse(
            "quote_lines" if key == "quotes" else "order_lines", args=[document.pk]
        ),
    }


def _grid_response(request, document, *, rows=None, errors=None):
    document = type(document)._base_manager.get(pk=document.pk)
    context = grid_context(document, request.user, rows=rows, errors=errors)
    return render(request, "quotes/_grid.html", context)


def _save_lines(request, model, key: str, pk, setter):
    entity = entity_for(key, request.user, "change")
    document = record_for(entity, request.user, pk)
    rows, errors = _submitted(request.POST)
    if not errors:
        try:
            setter(document, actor=request.user, lines=_line_inputs(rows))
        except ValidationError as error:
            errors = _messages(error)
    if errors:
        response = _grid_response(request, document, rows=rows, errors=errors)
        response.status_code = 422 if not request.htmx else 200
        return response
    if not request.htmx:
        return redirect(reverse("entity_detail", args=[key, document.pk]))
    return _grid_response(request, document)


@require_POST
@login_required
def quote_lines(request, pk):
    """Save the quote grid: every row priced again by the catalogue, the totals recomputed."""
    return _save_lines(request, Quote, "quotes", pk, services.quote_set_lines)


@require_POST
@login_required
def order_lines(request, pk):
    return _save_lines(request, Order, "orders", pk, services.order_set_lines)


def _after(request, key: str, document, message: str):
    messages.success(request, message)
    return redirect(reverse("entity_detail", args=[key, document.pk]))


@require_POST
@login_required
def quote_action(request, pk, action):
    """The quote's buttons: send, ask for approval, new version, accepted, rejected, link."""
    entity = entity_for("quotes", request.user, "change")
    quote = record_for(entity, request.user, pk)
    try:
        if action == "send":
            quote = services.quote_send(quote, actor=request.user)
            message = _("Quote %(number)s was sent.") % {"number": quote.number}
        elif action == "request-approval":
            services.quote_request_approval(quote, actor=request.user)
            message = _("The discount went to approval.")
        elif action == "revise":
            quote = services.quote_revise(quote, actor=request.user)
            message = _("Version %(n)s was made.") % {"n": quote.revision}
        elif action == "accept":
            order = services.quote_accept(quote, actor=request.user)
            return _after(
                request, "orders", order, _("Accepted: order %(n)s.") % {"n": order.number}
            )
        elif action == "email":
            return _email(request, quote)
        elif action == "reject":
            quote = services.quote_reject(
                quote, actor=request.user, reason=request.POST.get("reason", "")[:2000]
            )
            message = _("The quote was marked rejected.")
        else:
            raise Http404
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return redirect(reverse("entity_detail", args=["quotes", quote.pk]))
    return _after(request, "quotes", quote, message)


def _email(request, quote):
    """The quote e-mailed to the customer with its PDF (decision 0077); errors come back as
    messages on the quote's page, with nothing written."""
    to = [part.strip() for part in request.POST.get("to", "").replace(";", ",").split(",")]
    message = services.quote_email(
        quote,
        actor=request.user,
        to=[address for address in to if address],
        language=request.POST.get("language") or None,
        note=request.POST.get("note", "")[:5000],
    )
    quote.refresh_from_db()
    text = _("Quote %(number)s was e-mailed to %(to)s.") % {
        "number": quote.number,
        "to": message.to.replace(",", ", "),
    }
    if message.status == message.Status.SUPPRESSED:
        text += " " + _("(The practice environment sends nothing outside.)")
    return _after(request, "quotes", quote, text)


@require_GET
@login_required
def document_pdf(request, key, pk):
    """A quote's or an order's PDF, in the language asked (``?language=he|en``) or the
    customer's (decision 0077); a record the reader may not see is 404."""
    if key not in ("quotes", "orders"):
        raise Http404
    entity = entity_for(key, request.user, "view")
    document = record_for(entity, request.user, pk, joined=("company", "contact"))
    language = documents.document_language(document, request.GET.get("language"))
    data = documents.document_pdf(document, language=language)
    return pdf_response(data, documents.pdf_filename(document, language))


@require_POST
@login_required
def order_confirm(request, pk):
    entity = entity_for("orders", request.user, "change")
    order = record_for(entity, request.user, pk)
    try:
        order = services.order_confirm(order, actor=request.user)
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return redirect(reverse("entity_detail", args=["orders", order.pk]))
    return _after(
        request, "orders", order, _("Order %(number)s was confirmed.") % {"number": order.number}
    )


@require_POST
@login_required
def quote_from_opportunity(request, pk):
    """A draft quote for the deal, opened for its lines (REQ SA-10)."""
    entity_for("quotes", request.user, "add")
    deal = record_for(entity_for("opportunities", request.user, "view"), request.user, pk)
    try:
        quote = services.quote_from_opportunity(deal, actor=request.user)
    except ValidationError as error:
        for text in _messages(error):
            messages.error(request, text)
        return redirect(reverse("entity_detail", args=["opportunities", deal.pk]))
    return _after(request, "quotes", quote, _("A draft quote was made for the deal."))


# --- the customer's signed link -----------------------------------------------------------------


def acceptance_token(quote: Quote) -> str:
    """The signed token of the customer's link to this version of the quote."""
    return signing.dumps({"q": quote.pk, "r": quote.revision}, salt=SALT, compress=True)


def acceptance_url(request, quote: Quote) -> str:
    return request.build_absolute_uri(reverse("customer_quote", args=[acceptance_token(quote)]))


def _quote_of(token: str) -> Quote:
    try:
        payload = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    quote = (
        Quote.objects.select_related("account", "company", "owner")
        .prefetch_related(Prefetch("lines"))
        .filter(pk=payload.get("q"), revision=payload.get("r"))
        .first()
    )
    if quote is None or quote.status == Quote.Status.DRAFT:
        raise Http404
    return quote


def customer_quote(request, token):
    """The customer's page: the quote as sent, and one button to accept it (no sign-in; the
    signed, expiring link is the key)."""
    quote = _quote_of(token)
    error = ""
    if request.method == "POST":
        try:
            services.quote_accept(quote, actor=None, via=_("Accepted through the customer's link"))
            quote.refresh_from_db()
        except ValidationError as exc:
            error = " ".join(_messages(exc))
    expired = quote.valid_until is not None and quote.valid_until < timezone.localdate()
    return render(
        request,
        "quotes/customer.html",
        {"quote": quote, "error": error, "expired": expired, "token": token},
    )
