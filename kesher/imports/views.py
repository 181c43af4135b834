"""The import wizard's pages (REQ IM-1, IM-2): upload → mapping → dry run report → run with a
live progress bar → result with undo; and the list of imports. Thin: parse the form, call the
services, render. A job is shown only to whoever started it and to administrators."""

from __future__ import annotations

import datetime
import itertools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.imports import lookup, services
from kesher.imports.mapping import (
    ATTACHMENT,
    ATTACHMENT_TITLE,
    EXTERNAL_ID,
    MISSING_CHOICES,
    targets_for,
)
from kesher.imports.models import ImportJob, ImportMapping
from kesher.platform.access import can, is_admin
from kesher.platform.registry import registry

TEMPLATE = "imports/job.html"
PAGE_SIZE = 50
Status = ImportJob.Status
ISSUES_SHOWN = 200
SAMPLES = 3
DISTINCT_SHOWN = 30


def importable(user) -> list:
    """Entities the user may add records of, for the upload form."""
    return [e for e in registry.all() if e.importable and can(user, e.key, "add")]


def _job_or_404(user, pk) -> ImportJob:
    job = services.import_job_for(user, pk)
    if job is None:
        raise Http404
    return job


def _entity_or_403(key: str, user):
    try:
        entity = registry.get(key)
    except KeyError:
        raise Http404 from None
    if not can(user, key, "add"):
        raise PermissionDenied
    return entity


@login_required
def job_list(request):
    """My imports (an administrator sees everyone's), newest first, 50 a page."""
    value = request.GET.get("page", "1")
    page = max(1, int(value)) if value.isdigit() and len(value) < 7 else 1
    start = (page - 1) * PAGE_SIZE
    jobs = list(services.import_jobs_for(request.user)[start : start + PAGE_SIZE + 1])
    labels = {e.key: e.label_plural for e in registry.all()}
    for job in jobs:
        job.entity_label = labels.get(job.entity, job.entity)
    context = {
        "jobs": jobs[:PAGE_SIZE],
        "page": page,
        "has_next": len(jobs) > PAGE_SIZE,
        "importable": importable(request.user),
        "all_users": is_admin(request.user),
    }
    return render(request, "imports/list.html", context)


@login_required
def upload(request, key):
    """Step 1: choose a CSV or Excel file for this entity."""
    entity = _entity_or_403(key, request.user)
    errors = []
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        archive = request.FILES.get("archive")
        if uploaded is None:
            errors = [_("Choose a file.")]
        elif uploaded.size > services.max_bytes():
            errors = [
                _("The file is too large (at most %(mb)s MB).")
                % {"mb": services.max_bytes() // (1024 * 1024)}
            ]
        elif archive is not None and archive.size > settings.KESHER_IMPORT_ZIP_MAX_BYTES:
            errors = [
                _("The zip is larger than %(size)s.")
                % {"size": filesizeformat(settings.KESHER_IMPORT_ZIP_MAX_BYTES)}
            ]
        else:
            try:
                job = services.import_upload(
                    actor=request.user,
                    entity=entity.key,
                    filename=uploaded.name,
                    content=uploaded.read(),
                    archive_name=archive.name if archive is not None else "",
                    archive_content=archive.read() if archive is not None else None,
                )
            except ValidationError as exc:
                errors = exc.messages
            else:
                return redirect(reverse("import_job", args=[job.pk]))
    context = {"entity": entity, "errors": errors, "max_mb": services.max_bytes() // 2**20}
    return render(request, "imports/upload.html", context, status=400 if errors else 200)


def _columns(job: ImportJob, targets: dict, table) -> list[dict]:
    """One row per file column: samples, its field, and the values a pick-list column holds."""
    mapped = (job.mapping or {}).get("columns") or {}
    result = []
    for index, header in enumerate(job.headers):
        spec = mapped.get(str(index)) or {}
        target = targets.get(spec.get("field") or "")
        cells = (row[index] for row in table.rows if index < len(row) and row[index].strip())
        samples, distinct = [], []
        if table is not None:
            samples = list(itertools.islice(cells, SAMPLES))
            if target is not None and target.kind in ("choice", "boolean"):
                seen = dict.fromkeys(row[index].strip() for row in table.rows if row[index].strip())
                values = spec.get("values") or {}
                distinct = [
                    {"value": value, "mapped": str(values.get(value, ""))}
                    for value in itertools.islice(seen, DISTINCT_SHOWN)
                ]
        result.append(
            {
                "index": index,
                "header": header,
                "field": spec.get("field") or "",
                "target": target,
                "samples": samples,
                "distinct": distinct,
                "values": spec.get("values") or {},
                "missing": spec.get("missing") or "report",
            }
        )
    return result


def _choices_of(target) -> list:
    from kesher.platform.models import Choice

    if not target.choice_list:
        return []
    return list(Choice.objects.filter(list_key=target.choice_list, active=True))


def _mapping_from_post(post, job: ImportJob) -> tuple[dict, str]:
    columns = {}
    for index in range(len(job.headers)):
        key = post.get(f"col-{index}", "")
        if not key:
            continue
        values = {}
        for name in post:
            prefix = f"val-{index}-"
            if name.startswith(prefix) and post.get(name):
                source = post.get(f"src-{index}-{name.removeprefix(prefix)}", "")
                if source:
                    values[source] = post[name]
        columns[str(index)] = {"field": key, "values": values}
        missing = post.get(f"missing-{index}", "")
        if missing in MISSING_CHOICES:
            columns[str(index)]["missing"] = missing
    mapping = {
        "columns": columns,
        "match": post.get("match", ""),
        "source": post.get("source", ""),
        "skip_invalid": post.get("skip_invalid") == "1",
        "duplicates": "import" if post.get("import_duplicates") == "1" else "skip",
        "date_order": "mdy" if post.get("date_order") == "mdy" else "dmy",
    }
    return mapping, post.get("mode", ImportJob.Mode.CREATE)


def _context(request, job: ImportJob, errors=None) -> dict:
    entity = registry.get(job.entity)
    targets = targets_for(entity, request.user)
    editable = job.status in (ImportJob.Status.UPLOADED, ImportJob.Status.CHECKED)
    table = None
    if editable:
        try:
            table = services.load_table(job)
        except (ValidationError, OSError):
            table = None
    columns = _columns(job, targets, table) if editable and table is not None else []
    for column in columns:
        column["choices"] = _choices_of(column["target"]) if column["distinct"] else []
        target = column["target"]
        if target is not None and target.entity_key:
            column["may_create"] = lookup.creatable(request.user, target)
            column["entity_label"] = registry.get(target.entity_key).label_plural
    files = (ATTACHMENT, ATTACHMENT_TITLE)

    def is_link(target) -> bool:
        return target.key == EXTERNAL_ID or target.kind == "about" or bool(target.entity_key)

    groups = [
        (
            _("Fields"),
            [
                t
                for t in targets.values()
                if t.definition is None and not is_link(t) and t.key not in files
            ],
        ),
        (_("Custom fields"), [t for t in targets.values() if t.definition is not None]),
        (_("Links"), [t for t in targets.values() if is_link(t)]),
    ]
    if job.archive_name:
        groups.append((_("Attachments"), [targets[key] for key in files]))
    issues = list(job.issues.order_by("row", "pk")[:ISSUES_SHOWN])
    missing = []
    if job.status == Status.CHECKED:
        for index, found in sorted((job.report or {}).get("missing", {}).items()):
            try:
                label = registry.get(found["entity"]).label_plural
            except KeyError:
                continue
            missing.append({"index": index, "entity_label": label, **found})
    finished = job.finished_at or job.started_at
    undo_until = finished + datetime.timedelta(days=services.undo_days()) if finished else None
    step = {Status.UPLOADED: 2, Status.CHECKING: 3, Status.CHECKED: 3, Status.QUEUED: 4}
    return {
        "job": job,
        "step": step.get(job.status, 4 if job.status == Status.RUNNING else 5),
        "undone": job.status == Status.UNDONE,
        "entity": entity,
        "columns": columns,
        "groups": groups,
        "match_keys": [targets[k] for k in (EXTERNAL_ID, *entity.natural_keys) if k in targets],
        "modes": ImportJob.Mode.choices,
        "mapping": job.mapping or {},
        "saved": ImportMapping.objects.filter(entity=job.entity).order_by("name"),
        "issues": issues,
        "missing": missing,
        "more_issues": job.issues.count() > ISSUES_SHOWN if len(issues) == ISSUES_SHOWN else False,
        "errors": errors or [],
        "editable": editable,
        "may_undo": (
            job.status
            in (ImportJob.Status.DONE, ImportJob.Status.CANCELLED, ImportJob.Status.FAILED)
            and job.started_at is not None
            and undo_until is not None
            and timezone.now() <= undo_until
        ),
        "undo_until": undo_until,
    }


@login_required
def job_page(request, pk):
    """The wizard's page of one job: its step follows its status. POST saves the mapping and
    starts the dry run (or, with ``save_as``, also keeps the mapping for later files)."""
    job = _job_or_404(request.user, pk)
    errors = []
    if request.method == "POST":
        _entity_or_403(job.entity, request.user)
        if request.POST.get("apply"):
            saved = ImportMapping.objects.filter(
                entity=job.entity, pk=request.POST["apply"]
            ).first()
            if saved is None:
                raise Http404
            try:
                services.import_set_mapping(
                    job,
                    actor=request.user,
                    mapping=services.mapping_apply(saved, job.headers),
                    mode=saved.mapping.get("mode"),
                )
                messages.success(
                    request, _("The saved mapping “%(name)s” was applied.") % {"name": saved.name}
                )
            except ValidationError as exc:
                errors = exc.messages
        else:
            mapping, mode = _mapping_from_post(request.POST, job)
            try:
                job = services.import_set_mapping(
                    job, actor=request.user, mapping=mapping, mode=mode
                )
                name = request.POST.get("save_as", "").strip()
                if name:
                    services.mapping_save(
                        actor=request.user,
                        entity=job.entity,
                        name=name,
                        mapping=services.mapping_by_header(job),
                    )
                services.import_check(job, actor=request.user)
            except ValidationError as exc:
                errors = exc.messages
        if not errors:
            return redirect(reverse("import_job", args=[job.pk]))
        job.refresh_from_db()
    context = _context(request, job, errors)
    return render(request, TEMPLATE, context, status=400 if errors else 200)


@require_POST
@login_required
def missing(request, pk):
    """The dry run's "values not found" choices, per link column: report the rows, create the
    missing records, or leave them unlinked; then the dry run again."""
    job = _job_or_404(request.user, pk)
    _entity_or_403(job.entity, request.user)
    choices = {
        name.removeprefix("missing-"): value
        for name, value in request.POST.items()
        if name.startswith("missing-")
    }
    try:
        services.import_set_missing(job, actor=request.user, choices=choices)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(reverse("import_job", args=[job.pk]))


@login_required
def progress(request, pk):
    """The progress bar, polled by htmx every second; a finished job reloads its page."""
    job = _job_or_404(request.user, pk)
    if not job.busy and request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("import_job", args=[job.pk])
        return response
    return render(request, f"{TEMPLATE}#progress", {"job": job})


def _action(request, pk, service, done_message):
    job = _job_or_404(request.user, pk)
    _entity_or_403(job.entity, request.user)
    try:
        result = service(job, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message(result))
    return redirect(reverse("import_job", args=[job.pk]))


@require_POST
@login_required
def start(request, pk):
    return _action(request, pk, services.import_start, lambda job: _("The import has started."))


@require_POST
@login_required
def cancel(request, pk):
    return _action(request, pk, services.import_cancel, lambda job: _("The import was stopped."))


@require_POST
@login_required
def undo(request, pk):
    return _action(
        request,
        pk,
        services.import_undo,
        lambda job: _(
            "The undo has started: the worker deletes what the import created and restores "
            "what it changed. This page shows its progress."
        ),
    )


@login_required
def problems_xlsx(request, pk):
    """The bad rows of a job as an Excel sheet."""
    job = _job_or_404(request.user, pk)
    response = HttpResponse(
        services.issues_xlsx(job),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.xlsx"'
    return response
