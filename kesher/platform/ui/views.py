"""Generic pages for every registered entity: list, detail, create, edit, delete (thin: parse,
authorize, call the service, render)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.platform import accesslog
from kesher.platform.access import can, is_admin
from kesher.platform.bulk.actions import available_actions
from kesher.platform.customfields.forms import PREFIX as CUSTOM_PREFIX
from kesher.platform.customfields.forms import custom_sections
from kesher.platform.lists.savedviews import (
    parse_filter,
    saved_view_create,
    saved_view_delete,
    saved_view_queryset,
)
from kesher.platform.lists.tables import Table, with_columns
from kesher.platform.models import Attachment, AuditEntry
from kesher.platform.records import search as search_index
from kesher.platform.records import timeline
from kesher.platform.records.links import linkable_keys
from kesher.platform.records.many import visible_prefetches
from kesher.platform.records.services import (
    edit_blocked_reason,
    in_use_message,
    record_delete,
)
from kesher.platform.registry import Entity, registry

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django_stubs_ext import StrOrPromise
from kesher.platform import once
from kesher.platform.ui.display import field_display
from kesher.platform.ui.forms import form_for
from kesher.platform.ui.pages import entity_for, record_for, render_partial, save_form
from kesher.platform.visibility import hidden_fields, without_hidden_changes

PAGE_SIZE = 50


@login_required
def home(request):
    # One's own changes, but not to kinds of record one may no longer see (a role changed, or a
    # module's record made for one by a service): their names must not show.
    unseen = [e.model for e in registry.all() if not can(request.user, e.key, "view")]
    recent = (
        AuditEntry.objects.filter(actor=request.user)
        .exclude(content_type__in=ContentType.objects.get_for_models(*unseen).values())
        .select_related("content_type")
        .order_by("-at")[:10]
    )
    # (entity, its latest records of the user's, or the template that draws its card)
    cards: list[tuple[Entity, list | None, str | None]] = []
    # Kinds of record the user owns none of yet: one line of links, not a card each (a support
    # agent's home leads with tickets, not with six empty "My …" cards).
    none_yet: list[Entity] = []
    for entity in registry.all():
        if entity.in_navigation and entity.owner_field and can(request.user, entity.key, "view"):
            # An app may draw an entity's card itself (activities: open tasks, each with its
            # one-click "mark done"), as it adds panels to record pages.
            template = next(iter(_panels(entity, "home")), None)
            if template is not None:
                cards.append((entity, None, template))
                continue
            mine = (
                entity.queryset()
                .visible_to(request.user)
                .filter(**{entity.owner_field: request.user})
            )
            rows = list(mine.order_by("-updated_at")[:5])
            if rows:
                cards.append((entity, rows, None))
            else:
                none_yet.append(entity)
    return render(
        request, "platform/home.html", {"recent": recent, "cards": cards, "none_yet": none_yet}
    )


@login_required
def entity_list(request, key):
    entity = entity_for(key, request.user, "view")
    table = Table(entity, request)
    if request.GET.get("count") == "1":
        table.count_only()
        return render(request, "platform/list.html#count", {"table": table})
    table.selectable = bool(available_actions(entity, request.user))
    context = {
        "entity": entity,
        "table": table,
        "can_add": can(request.user, key, "add"),
        "can_bulk": table.selectable,
        # What other apps add beside the bulk action, on the chosen rows (a button, 0108).
        "list_actions": _panels(entity, "list") if table.selectable else [],
        "saved_views": saved_view_queryset(request.user).filter(entity=key),
        "is_admin": is_admin(request.user),
        # Called by the template when it draws the whole page; an htmx request for the
        # results alone never reads the builder's fields and values.
        "builder": table.builder,
    }
    response = render_partial(request, "platform/list.html", context, "results")
    accesslog.note("search" if table.q else "list", key, (obj.pk for obj in table.shown))
    return response


def _timeline(obj, user, kind: str = ""):
    """The record's one timeline: its changes merged with what apps add (interactions, tasks,
    messages, automation runs: ``kesher.platform.records.timeline``), or one ``kind`` of
    them as the timeline's filter chooses; changes of fields the reader does not see are left
    out (decision 0047)."""
    changes = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        )
        .select_related("actor")
        .order_by("-at", "-pk")[:100]
    )
    entries = without_hidden_changes(changes, registry.for_model(obj), user)
    return timeline.merge(entries, obj, user, kind=kind)


def _panels(entity: Entity, kind: str = "panels") -> list[str]:
    """Templates shown for an entity: its own app's ``<app_label>/<kind>/<key>.html`` by
    convention of name, then what other apps registered for it (``register_panel``: the
    activities panel on every linkable entity). ``kind`` says where (``Panel``): "actions",
    "banners", "aside" or "panels" on its records' pages, "home" its card on the home page."""
    names = []
    own = f"{entity.model._meta.app_label}/{kind}/{entity.key}.html"
    try:
        get_template(own)
        names.append(own)
    except TemplateDoesNotExist:
        pass
    return names + registry.panels(entity, kind)


@login_required
def entity_timeline(request, key, pk):
    """The record's timeline, which its page loads after it shows (htmx): the page does not
    wait for every app's part of the history. ``?kind=`` narrows it (the filter above it)."""
    entity = entity_for(key, request.user, "view")
    obj = record_for(entity, request.user, pk)
    kind = request.GET.get("kind", "")[:64]
    context = {
        "entity": entity,
        "obj": obj,
        "kind": kind,
        "timeline": _timeline(obj, request.user, kind),
    }
    return render(request, "platform/detail.html#timeline", context)


def _shown_sections(entity: Entity, user) -> list[tuple[StrOrPromise, list[str]]]:
    """The page's built-in sections as ``user`` sees them: (title, field names), without the
    fields hidden from him, and without a section left with none (decision 0047)."""
    hidden = hidden_fields(entity, user)
    shown: list[tuple[StrOrPromise, list[str]]] = []
    for section in entity.sections:
        names = [name for name in section.fields if name not in hidden]
        if names:
            shown.append((section.title, names))
    return shown


def _shown_headline(entity: Entity, user) -> list[str]:
    """The header's key fields ``user`` sees."""
    hidden = hidden_fields(entity, user)
    return [name for name in entity.headline if name not in hidden]


def _shown_names(headline, sections) -> list[str]:
    """The fields the page shows: the header's key fields, then the sections'."""
    names = list(headline)
    for _title, fields in sections:
        names += [name for name in fields if name not in names]
    return names


def _shown_many(entity: Entity, names, user) -> list:
    """The many-to-many fields the page shows, each holding only what ``user`` may see."""
    many = [name for name in names if entity.field(name).many_to_many]
    return visible_prefetches(entity.model, many, user)


def _shown_links(entity: Entity, names) -> list[str]:
    """The record's own links (owner, status, company…) the page shows: read with it."""
    links = []
    for name in names:
        field = entity.model._meta.get_field(name)
        if field.many_to_one or field.one_to_one:
            links.append(name)
    return links


# The parts of record pages a browser folded or unfolded ("<entity>.<part>" and "-" or "+"),
# written by kesher.js as the user toggles them, so the page comes back as it was left.
FOLDED_COOKIE = "kesher_folded"


def _unfolded(request, entity: Entity) -> dict[str, bool]:
    """Part -> shown, for the parts of this entity's pages the browser remembers."""
    prefix = f"{entity.key}."
    remembered = {}
    for token in request.COOKIES.get(FOLDED_COOKIE, "").split("|"):
        if token.startswith(prefix) and token[-1:] in ("+", "-"):
            remembered[token[len(prefix) : -1]] = token[-1] == "+"
    return remembered


@dataclass
class _Part:
    """A foldable part of a record page: a section of fields, a related list, the files."""

    slug: str
    title: StrOrPromise
    rows: list | tuple | QuerySet = ()
    shown: bool = True
    target: Entity | None = None
    columns: list | tuple = ()
    # A related list's "add" address: a new record of its entity already linked to this one.
    add_url: str = ""


def _fold(parts: list[_Part], remembered: dict[str, bool]) -> list[_Part]:
    """Each part as the browser left it; one never toggled is shown unless it has nothing to
    show (a section of empty fields, an empty list) — the page reads from the top."""
    for part in parts:
        part.shown = remembered.get(part.slug, part.shown)
    return parts


@login_required
def entity_detail(request, key, pk):
    entity = entity_for(key, request.user, "view")
    hidden = hidden_fields(entity, request.user)
    shown = _shown_sections(entity, request.user)
    key_fields = _shown_headline(entity, request.user)
    names = _shown_names(key_fields, shown)
    obj = record_for(
        entity,
        request.user,
        pk,
        prefetch=(*entity.prefetch_related, *_shown_many(entity, names, request.user)),
        joined=_shown_links(entity, names),
    )
    headline = []
    for name in key_fields:
        value = field_display(obj, name)
        if value not in ("", None):
            headline.append((entity.field(name), value))
    built = [
        (title, [(entity.field(name), field_display(obj, name)) for name in fields])
        for title, fields in shown
    ]
    sections = [
        _Part(f"s{index}", title, rows, shown=any(value not in ("", None) for _f, value in rows))
        for index, (title, rows) in enumerate([*built, *custom_sections(entity, obj, hidden)])
    ]
    related = []
    for index, rel in enumerate(entity.related_lists):
        target = registry.get(rel.entity_key)
        if not can(request.user, target.key, "view"):
            continue
        hidden = hidden_fields(target, request.user)
        names = [c for c in rel.columns if c not in hidden]
        columns = [target.field(c) for c in names]
        rows = with_columns(
            # By id: the lookup may go through a JSON value (a custom link field, decision 0073).
            target.queryset().visible_to(request.user).filter(**{rel.lookup: obj.pk}),
            columns,
            request.user,
        ).order_by(*target.default_ordering)[:50]
        rows = [(r, [field_display(r, c) for c in names]) for r in rows]
        add_url = _related_add_url(request.user, target, rel.lookup, obj.pk)
        related.append(_Part(f"r{index}", rel.title, rows, bool(rows), target, columns, add_url))
    attachments = Attachment.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("uploaded_by")
    remembered = _unfolded(request, entity)
    locked_reason = edit_blocked_reason(obj)
    nav: list[tuple[StrOrPromise, str]] = [(_("Details"), "record-details")]
    nav += registry.panel_links(entity, "aside")
    nav += registry.panel_links(entity, "panels")
    nav += [(part.title, f"record-{part.slug}") for part in related]
    nav += [(_("Files"), "record-files"), (_("Timeline"), "record-timeline")]
    context = {
        "entity": entity,
        "obj": obj,
        "locked_reason": locked_reason,
        "headline": headline,
        "sections": _fold(sections, remembered),
        "related": _fold(related, remembered),
        "files": _fold([_Part("files", _("Files"), attachments)], remembered)[0],
        "can_change": can(request.user, key, "change") and not locked_reason,
        "can_delete": can(request.user, key, "delete") and not locked_reason,
        "actions": _panels(entity, "actions"),
        "banners": _panels(entity, "banners"),
        "aside": _panels(entity, "aside"),
        "panels": _panels(entity),
        "nav": nav,
        "timeline_kinds": timeline.kinds(request.user, entity),
    }
    accesslog.note("read", key, (obj.pk,))
    return render(request, "platform/detail.html", context)


def _related_add_url(user, target: Entity, lookup: str, pk) -> str:
    """The new-record address of a related list's entity with the link to ``pk`` filled in:
    a form field of the link (``?account=7``) or a custom link field (``?cf_student=7``)."""
    if not can(user, target.key, "add"):
        return ""
    if lookup.startswith("custom__"):
        name = CUSTOM_PREFIX + lookup.removeprefix("custom__")
    elif lookup in target.form_fields and target.model._meta.get_field(lookup).many_to_one:
        name = lookup
    else:
        return ""
    return f"{reverse('entity_create', args=[target.key])}?{urlencode({name: pk})}"


@login_required
def entity_create(request, key):
    entity = entity_for(key, request.user, "add")
    form_class = form_for(entity, request.user)
    # A link filled in from the record the user came from (a related list's "add").
    initial = {
        k: v
        for k, v in request.GET.items()
        if k in form_class.base_fields or k.startswith(CUSTOM_PREFIX)
    }
    form = form_class(request.POST or None, initial=initial)
    duplicates = None
    if request.method == "POST" and form.is_valid():
        finder = entity.duplicate_finder
        repeat = once.is_repeat(once.token(request))
        if finder is not None and request.POST.get("create_anyway") != "1" and not repeat:
            # Records like this one the user may see: warn first, create on confirmation (a
            # repeated POST would find the record its first made: it answers with that one).
            duplicates = finder.find(request.user, form.cleaned_data)
        obj = None if duplicates else save_form(request, entity, form)
        if obj is not None:
            messages.success(request, _("%(label)s created.") % {"label": obj})
            return redirect(reverse("entity_detail", args=[key, obj.pk]))
    context = {"entity": entity, "form": form, "obj": None, "duplicates": duplicates}
    return render(request, "platform/form.html", context)


@login_required
def entity_edit(request, key, pk):
    entity = entity_for(key, request.user, "change")
    obj = record_for(entity, request.user, pk)
    locked_reason = edit_blocked_reason(obj)
    if locked_reason:
        messages.error(request, locked_reason)
        return redirect(reverse("entity_detail", args=[key, pk]))
    form_class = form_for(entity, request.user)
    initial = {"version": getattr(obj, "version", None)}
    form = form_class(request.POST or None, instance=obj, initial=initial)
    if request.method == "POST" and form.is_valid():
        # The form wrote parsed values onto ``obj``; the service reads the stored row itself.
        saved = save_form(request, entity, form, record_for(entity, request.user, pk))
        if saved is not None:
            messages.success(request, _("Changes saved."))
            return redirect(reverse("entity_detail", args=[key, saved.pk]))
    return render(request, "platform/form.html", {"entity": entity, "form": form, "obj": obj})


@login_required
def entity_delete(request, key, pk):
    entity = entity_for(key, request.user, "delete")
    obj = record_for(entity, request.user, pk)
    replacements = None
    if entity.replacement_candidates is not None:
        replacements = entity.replacement_candidates(obj).visible_to(request.user)
    if request.method == "POST":
        options = {}
        if replacements is not None and request.POST.get("replacement"):
            options["replacement"] = replacements.filter(pk=request.POST["replacement"]).first()
        try:
            (entity.delete_service or record_delete)(obj, actor=request.user, **options)
        except (models.ProtectedError, models.RestrictedError) as exc:
            messages.error(request, in_use_message(exc))
            return redirect(reverse("entity_detail", args=[key, pk]))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
            return redirect(reverse("entity_delete", args=[key, pk]))
        messages.success(request, _("%(label)s deleted.") % {"label": obj})
        return redirect(reverse("entity_list", args=[key]))
    context = {"entity": entity, "obj": obj, "replacements": replacements}
    return render(request, "platform/confirm_delete.html", context)


@login_required
def global_search(request):
    text = request.GET.get("q", "").strip()[:200]
    found = search_index.search(request.user, text) if text else []
    # Each group with what its reader does not see: a hidden phone is not shown beside a name.
    results = [(entity, objs, hidden_fields(entity, request.user)) for entity, objs in found]
    for entity, objs in found:
        accesslog.note("search", entity.key, (obj.pk for obj in objs))
    context = {"q": text, "results": results}
    return render_partial(request, "platform/search.html", context, "results")


@login_required
def record_picker(request, key):
    """Suggestions for the RecordPicker widget."""
    entity = entity_for(key, request.user, "view")
    text = request.GET.get("q", "").strip()[:100]
    results = (
        search_index.search(request.user, text, entities=[key], limit=10, related=False)
        if text
        else []
    )
    objs = results[0][1] if results else []
    context = {
        "objs": objs,
        "target": request.GET.get("target", ""),
        "hidden": hidden_fields(entity, request.user),
    }
    return render(request, "platform/widgets/record_picker_options.html", context)


@login_required
def link_picker(request):
    """Suggestions for the LinkPicker widget: records of every linkable entity the user may
    see, found by name, phone or e-mail in the search index, grouped by entity."""
    text = request.GET.get("q", "").strip()[:100]
    keys = [
        key
        for key in linkable_keys()
        if registry.get(key).has_search() and can(request.user, key, "view")
    ]
    results = (
        search_index.search(request.user, text, entities=keys, limit=8, related=False)
        if text
        else []
    )
    groups = [(entity, [(obj, _hint(entity, obj)) for obj in objs]) for entity, objs in results]
    context = {
        "searched": bool(text),
        "groups": groups,
        "target": request.GET.get("target", ""),
        "kind_target": request.GET.get("kind_target", ""),
    }
    return render(request, "platform/widgets/link_picker_options.html", context)


def _hint(entity: Entity, obj) -> str:
    """What tells two records of the same name apart in a suggestion: a phone or an e-mail."""
    for name in (*entity.search_phones, *entity.search_emails):
        if getattr(obj, name, ""):
            return str(field_display(obj, name))  # text: the hint sits inside a button
    return ""


@require_POST
def set_language(request):
    """Switch the interface language: stored on the user, or in a cookie before sign-in."""
    from django.conf import settings
    from django.utils.http import url_has_allowed_host_and_scheme

    from kesher.org.services import user_set_language

    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    response = redirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language."))
        return response
    if request.user.is_authenticated:
        user_set_language(request.user, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=365 * 24 * 3600, samesite="Lax"
    )
    return response


@require_POST
@login_required
def saved_view_save(request, key):
    """Save the list's current filter, columns and sort as a named view (REQ CX-8)."""
    entity = entity_for(key, request.user, "view")
    try:
        view = saved_view_create(
            actor=request.user,
            data={
                "entity": entity.key,
                "name": request.POST.get("name", ""),
                "shared": request.POST.get("shared") == "1",
                "filter": parse_filter(request.POST.get("filter", "")) or {},
                "columns": [c for c in request.POST.get("columns", "").split(",") if c],
                "sort": request.POST.get("sort", ""),
            },
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(reverse("entity_list", args=[key]))
    messages.success(request, _("View saved."))
    return redirect(reverse("entity_list", args=[key]) + f"?view={view.pk}")


@require_POST
@login_required
def saved_view_remove(request, pk):
    view = get_object_or_404(saved_view_queryset(request.user), pk=pk)
    try:
        saved_view_delete(view, actor=request.user)
        messages.success(request, _("View deleted."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(reverse("entity_list", args=[view.entity]))


def not_offered(request, *args, **kwargs):
    """A page a library offers that Kesher deliberately does not."""
    raise Http404
