"""Service's own pages: the ticket's "responded" action, its reply by e-mail with canned
replies, merging and splitting, and the live narrowing of its dependent pick-lists
(REQ SV-2, SV-9, IN-1; issue 18 items 3, 4)."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from kesher.activities.models import Interaction
from kesher.integrations.gateways import sms_parts
from kesher.platform.access import can
from kesher.platform.models import Choice
from kesher.platform.ui.pages import entity_for, record_for
from kesher.service.forms import DEPENDENTS, MergeForm, ReplyForm, SplitForm, TextReplyForm
from kesher.service.models import Article, CannedReply, Ticket
from kesher.service.selectors import AGE_BANDS, REPORT_GROUPS, backlog, sla_report
from kesher.service.services import (
    article_vote,
    canned_reply_text,
    reply_address,
    ticket_merge,
    ticket_record_response,
    ticket_reply,
    ticket_solved_by,
    ticket_split,
)
from kesher.service.texting import SMS_MAX_PARTS, reply_channels, ticket_text_reply


def _done(request, ticket: Ticket):
    target = reverse("entity_detail", args=["tickets", ticket.pk])
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


def _show(request, template: str, context: dict):
    if request.htmx:
        return render(request, f"{template}#form", context)
    return render(request, template, context)


def _errors_to(form, error: ValidationError) -> None:
    for field, problems in error.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


def canned_for(ticket: Ticket, user) -> list[dict]:
    """The active canned replies for the ticket's type (and those for any type), each with its
    text for this ticket in the reader's language."""
    if not can(user, "canned-replies", "view"):
        return []
    language = translation.get_language() or "he"
    replies = CannedReply.objects.filter(active=True).order_by("name", "pk")
    if ticket.ticket_type_id:
        replies = replies.filter(ticket_type__in=[ticket.ticket_type_id, None])
    else:
        replies = replies.filter(ticket_type__isnull=True)
    return [
        {
            "reply": reply,
            "text": canned_reply_text(reply, ticket, language=language[:2], reader=user),
        }
        for reply in replies[:30]
    ]


@login_required
def ticket_reply_page(request, pk):
    """Answer the customer by e-mail from the ticket, a canned reply one click away (REQ IN-1)."""
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk)
    form = ReplyForm(request.POST or None, initial={"key": uuid.uuid4().hex})
    if request.method == "POST" and form.is_valid():
        try:
            ticket_reply(
                ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                idempotency_key=form.cleaned_data["key"],
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("The reply was sent to the customer."))
            return _done(request, ticket)
    context = {
        "ticket": ticket,
        "form": form,
        "to": reply_address(ticket),
        "canned": canned_for(ticket, request.user),
    }
    return _show(request, "service/reply.html", context)


@login_required
def ticket_text_reply_page(request, pk):
    """Answer the customer by SMS or WhatsApp from the ticket he texted, on the channel he
    wrote on: canned replies one click away, an SMS's parts counted as it is typed, and on
    WhatsApp past its 24-hour window only a template canned reply, said plainly (decision
    0124)."""
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk)
    channels = reply_channels(ticket)
    chosen = request.POST.get("channel") or request.GET.get("channel") or ""
    if chosen not in channels:
        chosen = next(iter(channels), "")
    form = TextReplyForm(
        request.POST or None,
        channels=channels.values(),
        initial={"key": uuid.uuid4().hex, "channel": chosen},
    )
    if request.method == "POST" and form.is_valid():
        try:
            ticket_text_reply(
                ticket,
                actor=request.user,
                channel=form.cleaned_data["channel"],
                body=form.cleaned_data["body"],
                idempotency_key=form.cleaned_data["key"],
                canned_reply=form.cleaned_data["canned_reply"],
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(request, _("The reply was queued to the customer's phone."))
            return _done(request, ticket)
    route = channels.get(chosen)
    if chosen == "sms":
        form.fields["body"].widget.attrs["data-sms-counter"] = "sms-counter"
    canned = canned_for(ticket, request.user)
    context = {
        "ticket": ticket,
        "form": form,
        "route": route,
        "channels": channels,
        "canned": canned,
        "templates": [item for item in canned if item["reply"].whatsapp_template],
        "sms_max_parts": SMS_MAX_PARTS,
        "counted": sms_parts(form["body"].value() or ""),
    }
    return _show(request, "service/text_reply.html", context)


@login_required
def ticket_merge_page(request, pk):
    """Merge this ticket, a duplicate, into another (issue 18 item 3)."""
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk)
    if ticket.merged_into_id:
        raise Http404
    others = Ticket.objects.visible_to(request.user).filter(merged_into__isnull=True)
    form = MergeForm(request.POST or None, tickets=others.exclude(pk=ticket.pk))
    if request.method == "POST" and form.is_valid():
        into = form.cleaned_data["into"]
        try:
            ticket_merge(ticket, into=into, actor=request.user)
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(
                request, _("The ticket was merged into %(number)s.") % {"number": into.number}
            )
            return _done(request, into)
    return _show(request, "service/merge.html", {"ticket": ticket, "form": form})


@login_required
def ticket_split_page(request, pk):
    """Move part of a ticket's conversation to a new ticket (issue 18 item 3)."""
    entity = entity_for("tickets", request.user, "change")
    if not can(request.user, "tickets", "add"):
        raise Http404
    ticket = record_for(entity, request.user, pk)
    interactions = (
        Interaction.objects.visible_to(request.user)
        .filter(link_type="tickets", link_id=ticket.pk)
        .order_by("occurred_at", "pk")
    )
    form = SplitForm(request.POST or None, interactions=interactions)
    if request.method == "POST" and form.is_valid():
        try:
            new = ticket_split(
                ticket,
                actor=request.user,
                subject=form.cleaned_data["subject"],
                interactions=[i.pk for i in form.cleaned_data["interactions"]],
            )
        except ValidationError as error:
            _errors_to(form, error)
        else:
            messages.success(
                request, _("Ticket %(number)s was opened from it.") % {"number": new.number}
            )
            return _done(request, new)
    return _show(request, "service/split.html", {"ticket": ticket, "form": form})


@login_required
@require_POST
def ticket_respond(request, pk):
    """Record that the customer was answered: the response clocks are met (REQ SV-9)."""
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk)
    ticket_record_response(ticket, actor=request.user)
    messages.success(request, _("The response was recorded."))
    return redirect(reverse("entity_detail", args=["tickets", ticket.pk]))


@login_required
def ticket_options(request, field):
    """The options of a dependent pick-list of the ticket for its parent's value (htmx)."""
    if field not in DEPENDENTS:
        raise Http404
    entity = entity_for("tickets", request.user, "view")
    parent = DEPENDENTS[field]
    raw = request.GET.get(parent, "")
    list_key = entity.choice_lists[field]
    values = Choice.objects.none()
    if raw.isdigit():
        values = Choice.objects.filter(list_key=list_key, active=True, parent_id=int(raw))
    choices = [(c.pk, c.label) for c in values.order_by("order", "pk")]
    return render(
        request, "platform/widgets/options.html", {"choices": choices, "placeholder": True}
    )


@login_required
@require_POST
def ticket_solved_by_page(request, pk):
    """ "This article solved it": the ticket records the knowledge-base article (REQ SV-8)."""
    entity = entity_for("tickets", request.user, "change")
    ticket = record_for(entity, request.user, pk)
    raw = request.POST.get("article", "")
    article = None
    if raw.isdigit() and can(request.user, "kb-articles", "view"):
        article = Article.objects.visible_to(request.user).filter(pk=int(raw)).first()
    if article is None:
        raise Http404
    try:
        ticket_solved_by(ticket, actor=request.user, article=article)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The article was recorded as the ticket's solution."))
    return redirect(reverse("entity_detail", args=["tickets", ticket.pk]))


YES_NO = {"yes": True, "no": False}


@login_required
@require_POST
def article_vote_page(request, pk):
    """ "Did this help?" on an article's page: the reader's yes or no, one per reader."""
    entity = entity_for("kb-articles", request.user, "view")
    article = record_for(entity, request.user, pk)
    try:
        article_vote(article, helpful=YES_NO.get(request.POST.get("helpful")), user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Thank you: your answer was recorded."))
    return redirect(reverse("entity_detail", args=["kb-articles", article.pk]))


@login_required
def sla_report_page(request):
    """First response and resolution met in time, by team, ticket type or month (REQ SV-9)."""
    entity_for("tickets", request.user, "view")
    by = request.GET.get("by", "team")
    by = by if by in REPORT_GROUPS else "team"
    rows = sla_report(request.user, by)
    groups: dict = {}
    for row in rows:
        groups.setdefault((row.key, row.label), {})[row.kind] = row
    table = [{"label": label, "kinds": kinds} for (_key, label), kinds in groups.items()]
    choices = [("team", _("Team")), ("type", _("Ticket type")), ("month", _("Month"))]
    context = {"table": table, "by": by, "choices": choices}
    return render(request, "service/sla_report.html", context)


def band_labels() -> dict:
    """The age bands' names, as the backlog page and its API say them."""
    return {
        "day": _("Under a day"),
        "days_3": _("1–3 days"),
        "week": _("3–7 days"),
        "month": _("7–30 days"),
        "older": _("30 days or more"),
    }


@login_required
def backlog_page(request):
    """Open tickets by queue and age band, for whoever may see tickets (issue 18 item 8)."""
    entity_for("tickets", request.user, "view")
    rows = backlog(request.user)
    labels = band_labels()
    bands = [(key, labels[key]) for key, _days in AGE_BANDS]
    list_url = reverse("entity_list", args=["tickets"])
    table = [
        {
            "row": row,
            "cells": [row.bands[key] for key, _label in bands],
            "url": f"{list_url}?team={row.team}" if row.team else None,
        }
        for row in rows
    ]
    totals = [sum(row.bands[key] for row in rows) for key, _label in bands]
    context = {
        "table": table,
        "bands": bands,
        "totals": totals,
        "total": sum(row.total for row in rows),
    }
    return render(request, "service/backlog.html", context)
