"""Pages of working together: follow a record, write a note with mentions (and the picker of
whom to mention), the record's followers, and one's feed. Thin: the record through the
reader's scope (404 beyond it), then the service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from kesher.collab import selectors, services
from kesher.platform.ui.pages import entity_for, record_for, render_partial

__all__ = ["feed", "follow_toggle", "followers", "mention_picker", "note_add", "settings_save"]


def _record(request, key, pk):
    entity = entity_for(key, request.user, "view")
    return entity, record_for(entity, request.user, pk)


@require_POST
@login_required
def follow_toggle(request, key, pk):
    """Follow or unfollow a record (``action``); from the feed (``next=feed``) back to it."""
    entity, record = _record(request, key, pk)
    if request.POST.get("action") == "unfollow":
        services.unfollow(actor=request.user, entity=entity, record_id=record.pk)
        following = False
    else:
        services.follow(actor=request.user, entity=entity, record=record)
        following = True
    if request.POST.get("next") == "feed":
        return redirect("collab_feed")
    if request.htmx:
        context = {"following": following, "key": entity.key, "pk": record.pk}
        return render(request, "collab/_follow_button.html", context)
    return redirect("entity_detail", entity.key, record.pk)


@require_GET
@login_required
def followers(request, key, pk):
    """The record's followers, by name (the follow button's list)."""
    entity, record = _record(request, key, pk)
    context = {"followers": selectors.followers_of(entity, record)}
    return render(request, "collab/_followers.html", context)


@require_GET
@login_required
def mention_picker(request, key, pk):
    """Suggestions for the note box: active people by name who may see the record."""
    entity, record = _record(request, key, pk)
    text = request.GET.get("q", "").strip()[:100]
    context = {
        "people": selectors.mentionable(request.user, entity, record, text),
        "target": "note-mentions",
    }
    return render(request, "collab/_mention_options.html", context)


def _mention_ids(values) -> list | None:
    ids = []
    for value in values:
        if not str(value).isdigit():
            return None
        ids.append(int(value))
    return ids


@require_POST
@login_required
def note_add(request, key, pk):
    """Write a note on the record; a refusal shows in the note box, nothing written."""
    entity, record = _record(request, key, pk)
    body = request.POST.get("body", "")
    ids = _mention_ids(request.POST.getlist("mentions"))
    context = {"key": entity.key, "pk": record.pk}
    try:
        services.note_create(
            actor=request.user,
            entity=entity,
            record=record,
            body=body,
            mentions=ids if ids is not None else ["?"],
        )
    except ValidationError as exc:
        chosen = get_user_model().objects.filter(pk__in=ids or [], is_active=True)
        context.update({"errors": exc.message_dict, "body": body, "mentioned": list(chosen)})
        status = 200 if request.htmx else 400
        return render(request, "collab/_note_form.html", context, status=status)
    messages.success(request, _("Note saved."))
    # The page again, its timeline with the new note.
    target = reverse("entity_detail", args=[entity.key, record.pk])
    if request.htmx:
        return HttpResponseClientRedirect(target)
    return redirect(target)


@require_GET
@login_required
def feed(request):
    """What happened to what I follow: newest first, keyset paged (``?cursor=``)."""
    cursor = request.GET.get("cursor", "")[:200]
    context = {
        "page": selectors.feed_page(request.user, cursor),
        "cursor": cursor,
        "settings": services.settings_of(request.user),
    }
    if request.htmx and cursor:
        return render(request, "collab/feed.html#entries", context)
    return render_partial(request, "collab/feed.html", context, "entries")


@require_POST
@login_required
def settings_save(request):
    """Follow one's own records, and those one is mentioned in, or not."""
    services.follow_settings_set(
        actor=request.user,
        follow_owned=bool(request.POST.get("follow_owned")),
        follow_mentioned=bool(request.POST.get("follow_mentioned")),
    )
    return redirect("collab_feed")
