"""Pages of the duplicates app (REQ IM-3): the review queue with its scan, and the merge
wizard. Thin: parse, authorize, load through ``visible_to``, call the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.dedupe.merge import (
    CUSTOM_PREFIX,
    LOSER,
    WINNER,
    choice_keys,
    default_choices,
    merge_records,
    merge_value,
    value_label,
)
from kesher.dedupe.merge import pair_dismiss as dismiss_service
from kesher.dedupe.models import DuplicatePair
from kesher.dedupe.scan import scan_start
from kesher.dedupe.selectors import (
    PAGE_SIZE,
    may_merge,
    pair_get,
    pair_list,
    records_by_id,
    scan_get,
    spec_or_404,
)
from kesher.dedupe.specs import REASON_LABELS
from kesher.platform.records.services import ConflictError
from kesher.platform.ui.display import field_display
from kesher.platform.ui.pages import render_partial
from kesher.platform.visibility import audit_key, hidden_fields

TEMPLATE = "dedupe/queue.html"


def _page_number(request) -> int:
    value = request.GET.get("page", "1")
    return max(1, int(value)) if value.isdigit() and len(value) < 7 else 1


@login_required
def queue(request, key):
    """Open pairs the user may see both records of, best first, 50 a page."""
    spec = spec_or_404(key, request.user)
    page = _page_number(request)
    start = (page - 1) * PAGE_SIZE
    pairs = list(pair_list(spec, request.user)[start : start + PAGE_SIZE + 1])
    has_next = len(pairs) > PAGE_SIZE
    pairs = pairs[:PAGE_SIZE]
    records = records_by_id(
        spec, request.user, [p.record_a for p in pairs] + [p.record_b for p in pairs]
    )
    rows = [
        {
            "pair": pair,
            "a": records.get(pair.record_a),
            "b": records.get(pair.record_b),
            "reasons": [str(REASON_LABELS.get(r, r)) for r in pair.reasons],
        }
        for pair in pairs
    ]
    context = {
        "entity": spec.entity,
        "rows": rows,
        "page": page,
        "has_next": has_next,
        "may_merge": may_merge(request.user, key),
        "scan": None,
    }
    return render(request, TEMPLATE, context)


@require_POST
@login_required
def scan_begin(request, key):
    spec = spec_or_404(key, request.user)
    scan = scan_start(actor=request.user, entity_key=spec.key)
    if scan.finished:
        messages.success(
            request,
            _("Scan finished: %(n)s new pairs of possible duplicates.") % {"n": scan.found},
        )
        return redirect(reverse("dedupe_queue", args=[key]))
    context = {"entity": spec.entity, "scan": scan}
    return render_partial(request, TEMPLATE, context, "scan")


@login_required
def scan_progress(request, pk):
    """A scan's progress, polled by htmx every second until it finishes."""
    scan = scan_get(request.user, pk)
    context = {"entity": scan_entity(scan), "scan": scan}
    return render_partial(request, TEMPLATE, context, "scan")


def scan_entity(scan):
    from kesher.platform.registry import registry

    return registry.get(scan.entity)


@require_POST
@login_required
def pair_dismiss(request, pk):
    pair, spec = pair_get(request.user, pk)
    if not can_change(request.user, spec.key):
        raise PermissionDenied
    try:
        dismiss_service(pair, actor=request.user)
        messages.success(request, _("Marked as not duplicates."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(reverse("dedupe_queue", args=[spec.key]))


def can_change(user, key) -> bool:
    from kesher.platform.access import can

    return can(user, key, "change")


def _chosen_keys(entity, a, b, user) -> list[str]:
    """The fields whose value the user chooses: not those he does not see, which keep the
    default of ``default_choices`` (decision 0047)."""
    hidden = {audit_key(name) for name in hidden_fields(entity, user)}
    return [key for key in choice_keys(entity, a, b) if key not in hidden]


def _rows(entity, a, b, user) -> list[dict]:
    """One row per field that may be chosen: its label, both values, the default side."""
    defaults = default_choices(entity, a, b)
    rows = []
    for key in _chosen_keys(entity, a, b, user):
        if key.startswith(CUSTOM_PREFIX):
            value_a, value_b = merge_value(a, key), merge_value(b, key)
        else:
            value_a, value_b = field_display(a, key), field_display(b, key)
        rows.append(
            {
                "key": key,
                "label": value_label(entity, key),
                "a": value_a,
                "b": value_b,
                "same": value_a == value_b,
                "default": "b" if defaults[key] == LOSER else "a",
            }
        )
    return rows


@login_required
def merge(request, key, a, b):
    """The merge wizard: choose the record that stays and, per field, whose value it keeps."""
    spec = spec_or_404(key, request.user)
    if a == b:
        raise Http404
    records = records_by_id(spec, request.user, [a, b])
    if a not in records or b not in records:
        raise Http404
    if not may_merge(request.user, key):
        raise PermissionDenied
    rec_a, rec_b = records[a], records[b]
    errors = []
    if request.method == "POST":
        keep = request.POST.get("keep", "a")
        winner, loser = (rec_b, rec_a) if keep == "b" else (rec_a, rec_b)
        fields = {}
        for row_key in _chosen_keys(spec.entity, rec_a, rec_b, request.user):
            side = request.POST.get(f"f:{row_key}")
            if side in ("a", "b"):
                fields[row_key] = WINNER if (side == "a") == (winner is rec_a) else LOSER
        try:
            result = merge_records(
                winner,
                loser,
                actor=request.user,
                fields=fields,
                winner_version=request.POST.get(f"version_{'b' if winner is rec_b else 'a'}"),
                loser_version=request.POST.get(f"version_{'a' if winner is rec_b else 'b'}"),
            )
        except ValidationError as exc:
            errors = exc.messages
        except ConflictError as exc:
            errors = [str(exc)]
        else:
            messages.success(
                request,
                _("Merged: #%(loser)s was merged into this record.") % {"loser": result.loser_id},
            )
            return redirect(reverse("entity_detail", args=[key, result.winner.pk]))
    context = {
        "entity": spec.entity,
        "a": rec_a,
        "b": rec_b,
        "rows": _rows(spec.entity, rec_a, rec_b, request.user),
        "errors": errors,
        "pair": DuplicatePair.objects.filter(
            entity=key, record_a=min(a, b), record_b=max(a, b)
        ).first(),
    }
    return render(request, "dedupe/merge.html", context)
