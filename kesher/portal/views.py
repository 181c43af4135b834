"""The portal's pages (REQ OR-2, SV-10; decision 0079): signing in, the customer's tickets,
the public knowledge base, his quotes, orders and tax documents. Every record is read through
``selectors`` (his accounts only) and every write goes through ``services``; anything of
another account answers 404, whatever its id."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kesher.platform.models import Choice
from kesher.platform.pdf import pdf_response
from kesher.portal import auth, selectors, services
from kesher.portal.forms import (
    CodeForm,
    CommentForm,
    PasswordForm,
    RateForm,
    ResetForm,
    SignInForm,
    TicketOpenForm,
)
from kesher.portal.models import PortalFile, PortalUser, TicketRating
from kesher.service.models import ArticleVote

PAGE_SIZE = 25


def _errors_to(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


# --- signing in ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login(request):
    """The portal's own sign-in, throttled as the staff's (REQ OR-5)."""
    if auth.current_portal_user(request) is not None:
        return redirect("portal_home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        if not auth.throttle_allows(request, email):
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
        else:
            portal_user = PortalUser.objects.filter(email__iexact=email, is_active=True).first()
            if portal_user is None or not portal_user.check_password(form.cleaned_data["password"]):
                auth.throttle_count(request, email)
                form.add_error(None, _("The e-mail address or the password is not correct."))
            elif portal_user.has_totp:
                request.session.cycle_key()
                request.session[auth.PENDING_KEY] = portal_user.pk
                request.session["_portal_next"] = _safe_next(request, reverse("portal_home"))
                return redirect("portal_login_code")
            else:
                auth.throttle_clear(request, email)
                auth.portal_login(request, portal_user)
                return redirect(_safe_next(request, reverse("portal_home")))
    return render(request, "portal/login.html", {"form": form, "next": _safe_next(request, "")})


@require_http_methods(["GET", "POST"])
def login_code(request):
    """The second step of a sign-in with a second factor: the authenticator app's code."""
    pk = request.session.get(auth.PENDING_KEY)
    portal_user = PortalUser.objects.filter(pk=pk, is_active=True).first() if pk else None
    if portal_user is None or not portal_user.has_totp:
        return redirect("portal_login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        from allauth.mfa.totp.internal.auth import validate_totp_code

        if not auth.throttle_allows(request, portal_user.email):
            form.add_error(None, _("Too many failed attempts. Try again in a few minutes."))
        elif validate_totp_code(portal_user.totp_secret, form.cleaned_data["code"].strip()):
            target = request.session.get("_portal_next") or reverse("portal_home")
            auth.throttle_clear(request, portal_user.email)
            auth.portal_login(request, portal_user)
            return redirect(target)
        else:
            auth.throttle_count(request, portal_user.email)
            form.add_error("code", _("The code is not correct."))
    return render(request, "portal/login_code.html", {"form": form})


@require_POST
def logout(request):
    if auth.current_portal_user(request) is not None:
        auth.portal_logout(request)
    return redirect("portal_login")


@require_http_methods(["GET", "POST"])
def password_reset(request):
    """Ask for a link to set a new password; the answer is the same for any address."""
    form = ResetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        if auth.throttle_allows(request, email, "reset_password"):
            auth.throttle_count(request, email, "reset_password")
            services.portal_send_reset(email)
        messages.info(
            request,
            _("If this address may sign in to the portal, a link to set a password is on its way."),
        )
        return redirect("portal_login")
    return render(request, "portal/password_reset.html", {"form": form})


@require_http_methods(["GET", "POST"])
def set_password(request, uidb64, token):
    """The invitation's and the reset's link: set a password, then sign in with it."""
    portal_user = auth.user_from_link(uidb64, token)
    if portal_user is None:
        return render(request, "portal/link_expired.html", status=400)
    translation.activate(portal_user.language)
    request.LANGUAGE_CODE = portal_user.language
    form = PasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.portal_set_password(
                portal_user,
                password=form.cleaned_data["password"],
                confirm=form.cleaned_data["confirm"],
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("Your password is set. Sign in with it."))
            return redirect("portal_login")
    context = {"form": form, "portal_user": portal_user}
    return render(request, "portal/set_password.html", context)


@require_POST
def language(request):
    """Hebrew or English: kept on the portal user, or in the visitor's cookie."""
    from django.conf import settings

    chosen = request.POST.get("language", "")
    target = _safe_next(request, reverse("portal_home"))
    response = redirect(target)
    if chosen in PortalUser.Language.values:
        portal_user = auth.current_portal_user(request)
        if portal_user is not None:
            services.portal_set_language(portal_user, language=chosen)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, chosen, samesite="Lax")
    return response


@require_GET
def accessibility(request):
    """The accessibility statement (IS 5568 / WCAG 2.0 AA)."""
    portal_user = auth.current_portal_user(request)
    if portal_user is not None:
        translation.activate(portal_user.language)
        request.LANGUAGE_CODE = portal_user.language
    return render(request, "portal/accessibility.html", {"portal_user": portal_user})


@auth.portal_required
@require_http_methods(["GET", "POST"])
def security(request):
    """Turn the second factor (an authenticator app's code) on or off."""
    from allauth.mfa.adapter import get_adapter
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    portal_user = request.portal_user
    form = CodeForm(request.POST or None)
    secret = request.session.get("_portal_totp_secret") or generate_totp_secret()
    if request.method == "POST" and form.is_valid():
        try:
            if portal_user.has_totp:
                services.portal_totp_disable(portal_user, code=form.cleaned_data["code"])
                messages.success(request, _("Two-factor sign-in is off."))
            else:
                services.portal_totp_enable(
                    portal_user, secret=secret, code=form.cleaned_data["code"]
                )
                messages.success(request, _("Two-factor sign-in is on."))
        except ValidationError as error:
            _errors_to(form, error)
        else:
            request.session.pop("_portal_totp_secret", None)
            # The session's hash covers the second factor: keep this session signed in.
            auth.portal_login(request, portal_user)
            return redirect("portal_security")
    context = {"form": form, "portal_user": portal_user}
    if not portal_user.has_totp:
        request.session["_portal_totp_secret"] = secret
        url = f"otpauth://totp/{portal_user.email}?secret={secret}&issuer=Kesher%20Portal"
        context.update(secret=secret, qr=get_adapter().build_totp_svg(url))
    return render(request, "portal/security.html", context)


# --- home and tickets ----------------------------------------------------------------------------


@auth.portal_required
@require_GET
def home(request):
    portal_user = request.portal_user
    context = {
        "tickets": list(
            selectors.portal_tickets(portal_user)
            .filter(resolved_at__isnull=True)
            .select_related("status")
            .order_by("-created_at", "-pk")[:5]
        ),
        "quotes": list(
            selectors.portal_quotes(portal_user).filter(status="sent").order_by("-pk")[:5]
        ),
    }
    return render(request, "portal/home.html", context)


def _page(request, queryset):
    """A keyset page, newest first: ``?before=<id>``; no count over the table."""
    before = request.GET.get("before", "")
    if before.isdigit():
        queryset = queryset.filter(pk__lt=int(before))
    accounts = selectors.portal_account_ids(request.portal_user)
    rows = list(selectors.newest_first(queryset, accounts, PAGE_SIZE + 1))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, (rows[-1].pk if more and rows else None)


@auth.portal_required
@require_GET
def tickets(request):
    """His account's tickets, newest first, open or all."""
    show = request.GET.get("show", "open")
    queryset = selectors.portal_tickets(request.portal_user).select_related("status")
    if show == "open":
        queryset = queryset.filter(resolved_at__isnull=True)
    rows, next_before = _page(request, queryset.only(*selectors.TICKET_LIST_FIELDS))
    context = {"tickets": rows, "next_before": next_before, "show": show}
    return render(request, "portal/tickets.html", context)


@auth.portal_required
@require_http_methods(["GET", "POST"])
def ticket_new(request):
    from kesher.customers.models import Account

    portal_user = request.portal_user
    accounts = Account.objects.filter(pk__in=selectors.portal_account_ids(portal_user))
    form = TicketOpenForm(request.POST or None, request.FILES or None, accounts=accounts)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.portal_ticket_open(
                portal_user, data=form.cleaned_data, files=form.cleaned_data["files"]
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(
                request, _("Your request %(number)s is open.") % {"number": ticket.number}
            )
            return redirect("portal_ticket", ticket.pk)
    suggested = []
    if form.is_bound:
        suggested = selectors.suggested_public_articles(
            subject=request.POST.get("subject", ""),
            ticket_type_id=getattr(form.cleaned_data.get("ticket_type"), "pk", None)
            if hasattr(form, "cleaned_data")
            else None,
        )
    return render(request, "portal/ticket_new.html", {"form": form, "suggested": suggested})


@auth.portal_required
@require_GET
def ticket_options(request):
    """The subtypes of the chosen type (htmx)."""
    raw = request.GET.get("ticket_type", "")
    values = Choice.objects.none()
    if raw.isdigit():
        values = Choice.objects.filter(
            list_key="ticket_subtype", active=True, parent_id=int(raw)
        ).order_by("order", "pk")
    choices = [(c.pk, c.label) for c in values]
    return render(
        request, "platform/widgets/options.html", {"choices": choices, "placeholder": True}
    )


@auth.portal_required
@require_GET
def suggest(request):
    """Public articles that may answer what he is writing (htmx, REQ SV-8)."""
    raw = request.GET.get("ticket_type", "")
    articles = selectors.suggested_public_articles(
        subject=request.GET.get("subject", "")[:200],
        ticket_type_id=int(raw) if raw.isdigit() else None,
    )
    return render(request, "portal/_suggested.html", {"suggested": articles})


def _ticket_of(request, pk):
    return get_object_or_404(
        selectors.portal_tickets(request.portal_user).select_related(
            "status", "ticket_type", "subtype"
        ),
        pk=pk,
    )


@auth.portal_required
@require_GET
def ticket(request, pk):
    """One ticket: what he wrote, the public conversation (never an internal note), his files,
    closing and rating."""
    ticket = _ticket_of(request, pk)
    context = {
        "ticket": ticket,
        "thread": selectors.public_thread(ticket),
        "files": list(selectors.portal_files(ticket)),
        "rating": TicketRating.objects.filter(ticket=ticket).first(),
        "comment_form": CommentForm(),
        "rate_form": RateForm(),
    }
    return render(request, "portal/ticket.html", context)


@auth.portal_required
@require_POST
def ticket_comment(request, pk):
    ticket = _ticket_of(request, pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.portal_ticket_comment(
                request.portal_user,
                ticket,
                body=form.cleaned_data["body"],
                files=form.cleaned_data["files"],
            )
        except ValidationError as error:
            for text in error.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("Your message was added."))
    else:
        for problems in form.errors.values():
            for text in problems:
                messages.error(request, text)
    return redirect("portal_ticket", ticket.pk)


@auth.portal_required
@require_POST
def ticket_close(request, pk):
    ticket = _ticket_of(request, pk)
    try:
        services.portal_ticket_close(request.portal_user, ticket)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("The request is closed. Thank you."))
    return redirect("portal_ticket", ticket.pk)


@auth.portal_required
@require_POST
def ticket_rate(request, pk):
    ticket = _ticket_of(request, pk)
    try:
        services.portal_ticket_rate(
            request.portal_user,
            ticket,
            score=request.POST.get("score"),
            comment=request.POST.get("comment", ""),
        )
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Thank you for your rating."))
    return redirect("portal_ticket", ticket.pk)


@auth.portal_required
@require_GET
def file(request, pk):
    """A file he attached to one of his tickets; always a download of opaque bytes."""
    portal_file = get_object_or_404(
        PortalFile.objects.select_related("attachment").filter(
            ticket__in=selectors.portal_tickets(request.portal_user).values("pk")
        ),
        attachment_id=pk,
    )
    attachment = portal_file.attachment
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response


# --- the public knowledge base -------------------------------------------------------------------


@auth.portal_required
@require_GET
def help_center(request):
    query = request.GET.get("q", "")[:200]
    articles = list(
        selectors.public_articles(query)
        .select_related("category")
        .only("pk", "title_he", "title_en", "category__name_he", "category__name_en")[:50]
    )
    return render(request, "portal/help.html", {"articles": articles, "q": query})


@auth.portal_required
@require_GET
def article(request, pk):
    article = get_object_or_404(selectors.public_articles(), pk=pk)
    english = request.portal_user.language == "en" and article.body_en
    body = article.body_en if english else article.body_he
    mine = (
        ArticleVote.objects.filter(article=article, portal_user=request.portal_user)
        .values_list("helpful", flat=True)
        .first()
    )
    return render(request, "portal/article.html", {"article": article, "body": body, "mine": mine})


@auth.portal_required
@require_POST
def article_vote(request, pk):
    """ "Did this help?" on a public article: his yes or no, one per customer and article."""
    from kesher.service.services import article_vote

    article = get_object_or_404(selectors.public_articles(), pk=pk)
    answer = {"yes": True, "no": False}.get(request.POST.get("helpful", ""))
    try:
        article_vote(article, helpful=answer, portal_user=request.portal_user)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Thank you for your answer."))
    return redirect("portal_article", article.pk)


# --- quotes, orders, tax documents ---------------------------------------------------------------


@auth.portal_required
@require_GET
def quotes(request):
    rows, next_before = _page(request, selectors.portal_quotes(request.portal_user))
    return render(request, "portal/quotes.html", {"quotes": rows, "next_before": next_before})


def _quote_of(request, pk):
    return get_object_or_404(selectors.portal_quotes(request.portal_user), pk=pk)


@auth.portal_required
@require_GET
def quote(request, pk):
    quote = _quote_of(request, pk)
    expired = quote.valid_until is not None and quote.valid_until < timezone.localdate()
    context = {"quote": quote, "expired": expired, "lines": list(quote.lines.order_by("position"))}
    return render(request, "portal/quote.html", context)


@auth.portal_required
@require_POST
def quote_accept(request, pk):
    quote = _quote_of(request, pk)
    try:
        services.portal_quote_accept(request.portal_user, quote)
    except ValidationError as error:
        for text in error.messages:
            messages.error(request, text)
    else:
        messages.success(request, _("Thank you: the quote is accepted and your order is placed."))
    return redirect("portal_quote", quote.pk)


def _quote_pdf(request, document) -> HttpResponse:
    from kesher.quotes.documents import document_pdf, pdf_filename

    language = request.portal_user.language
    return pdf_response(document_pdf(document, language=language), pdf_filename(document, language))


@auth.portal_required
@require_GET
def quote_pdf(request, pk):
    return _quote_pdf(request, _quote_of(request, pk))


@auth.portal_required
@require_GET
def orders(request):
    rows, next_before = _page(request, selectors.portal_orders(request.portal_user))
    return render(request, "portal/orders.html", {"orders": rows, "next_before": next_before})


@auth.portal_required
@require_GET
def order_pdf(request, pk):
    return _quote_pdf(
        request, get_object_or_404(selectors.portal_orders(request.portal_user), pk=pk)
    )


@auth.portal_required
@require_GET
def documents(request):
    rows, next_before = _page(request, selectors.portal_documents(request.portal_user))
    context = {"documents": rows, "next_before": next_before}
    return render(request, "portal/documents.html", context)


@auth.portal_required
@require_GET
def document_pdf(request, pk):
    """A copy ("העתק") of an issued tax document: rendered by billing's own PDF function with
    the copy mark, never counted as a print, so the original stays the one the business
    prints (ISRAEL.md, the computerized bookkeeping rules)."""
    from kesher.billing.documents import document_html, pdf_filename
    from kesher.billing.models import TaxDocument
    from kesher.billing.services import PrintMark
    from kesher.platform.pdf import html_to_pdf

    found = get_object_or_404(selectors.portal_documents(request.portal_user), pk=pk)
    document = TaxDocument._base_manager.select_related(
        "account", "contact", "company", "owner", "based_on", "order", "payment_terms"
    ).get(pk=found.pk)
    language = request.portal_user.language
    data = html_to_pdf(document_html(document, language=language, mark=PrintMark.COPY))
    return pdf_response(data, pdf_filename(document, language))
