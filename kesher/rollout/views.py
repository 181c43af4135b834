"""The roll-out's pages (REQ IMPL-1, IMPL-2, AU-2): the project with its stages, the processes
and their six questions, who is trained, a user's own exercises, and dismissing a first-use
hint. Thin: each reads through the selectors and writes through the services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.org.models import User
from kesher.platform.access import is_admin
from kesher.rollout import selectors, services
from kesher.rollout.forms import ProcessForm, ProjectForm
from kesher.rollout.models import Exercise, Item, MappedProcess


def _admin(request) -> None:
    if not is_admin(request.user):
        raise PermissionDenied


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
def rollout_home(request):
    overview = selectors.rollout_overview(request.user)
    project = overview["project"]
    form = ProjectForm(
        user=request.user,
        initial={name: getattr(project, name) for name in services.PROJECT_FIELDS},
    )
    return render(request, "rollout/home.html", {**overview, "form": form})


@login_required
@require_POST
def project_save(request):
    _admin(request)
    form = ProjectForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.project_update(actor=request.user, data=form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("The project is saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(reverse("rollout") + "#project")


@login_required
@require_POST
def item_tick_view(request, pk):
    _admin(request)
    item = get_object_or_404(Item, pk=pk)
    try:
        services.item_tick(item, actor=request.user, done=request.POST.get("done") == "1")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect(reverse("rollout") + f"#stage-{item.stage_id}")


@login_required
def process_list(request):
    processes = selectors.processes_list(request.user)
    return render(request, "rollout/processes.html", {"processes": processes})


@login_required
def process_edit(request, pk=None):
    _admin(request)
    process = get_object_or_404(MappedProcess, pk=pk) if pk else None
    if request.method == "POST":
        form = ProcessForm(request.POST, user=request.user, process=process)
        if form.is_valid():
            try:
                saved = services.mapped_process_save(
                    actor=request.user, data=form.data_for_service(), process=process
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                messages.success(request, _("The process is saved."))
                return redirect("rollout_process", pk=saved.pk)
    else:
        form = ProcessForm(user=request.user, process=process)
    return render(request, "rollout/process.html", {"form": form, "process": process})


def _process_action(request, pk, service, done: str):
    _admin(request)
    process = get_object_or_404(MappedProcess, pk=pk)
    try:
        service(process, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, done)
    return process


@login_required
@require_POST
def process_install_view(request, pk):
    _process_action(
        request,
        pk,
        services.mapped_process_install,
        _("The process is in Kesher: its statuses, roles, task templates and rules."),
    )
    return redirect("rollout_process", pk=pk)


@login_required
@require_POST
def process_uninstall_view(request, pk):
    _process_action(
        request, pk, services.mapped_process_uninstall, _("The process is removed from Kesher.")
    )
    return redirect("rollout_process", pk=pk)


@login_required
@require_POST
def process_delete_view(request, pk):
    process = _process_action(
        request, pk, services.mapped_process_delete, _("The process is deleted.")
    )
    if MappedProcess.objects.filter(pk=process.pk).exists():
        return redirect("rollout_process", pk=pk)
    return redirect("rollout_processes")


@login_required
def training(request):
    rows = selectors.training_rows(user=request.user)
    return render(request, "rollout/training.html", {"rows": rows})


@login_required
@require_POST
def training_confirm(request):
    _admin(request)
    exercise = get_object_or_404(Exercise, pk=request.POST.get("exercise") or 0)
    person = get_object_or_404(User, pk=request.POST.get("user") or 0)
    services.exercise_confirm(
        exercise, person, actor=request.user, done=request.POST.get("done") == "1"
    )
    return redirect(reverse("rollout_training") + f"#user-{person.pk}")


@login_required
@require_POST
def training_advanced(request, user_pk):
    _admin(request)
    person = get_object_or_404(User, pk=user_pk)
    project = services.project_get()
    chosen = set(project.advanced_users.values_list("pk", flat=True)) ^ {person.pk}
    services.project_update(actor=request.user, data={}, advanced_users=list(chosen))
    return redirect(reverse("rollout_training") + f"#user-{person.pk}")


@login_required
@require_POST
def training_refresh(request):
    _admin(request)
    found: dict = {}
    for row in selectors.training_rows(user=request.user):
        for state in row["exercises"]:
            if state["status"] == "detected":
                found.setdefault(row["user"].pk, []).append(state["exercise"].pk)
    count = services.exercises_record_detected(actor=request.user, found=found)
    messages.info(request, _("Exercises seen done in the practice environment: %d new.") % count)
    return redirect("rollout_training")


@login_required
def my_training(request):
    return render(request, "rollout/my_training.html", selectors.my_training(request.user))


@login_required
@require_POST
def my_training_mark(request, pk):
    exercise = get_object_or_404(Exercise, pk=pk)
    try:
        services.exercise_mark(exercise, actor=request.user, done=request.POST.get("done") == "1")
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("rollout_my_training")


@login_required
@require_POST
def hint_dismiss_view(request, module):
    try:
        services.hint_dismiss(actor=request.user, module=module)
    except ValidationError as exc:
        return HttpResponse(" ".join(exc.messages), status=400)
    selectors.remember_hint_seen(request.session, module)
    if request.htmx:
        return HttpResponse("")
    return redirect("home")
