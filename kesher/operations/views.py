"""Pages of the full export (REQ IM-5): the list of exports with the "Export all data" button,
each export's progress (polled by htmx), and the download. Administrators only."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kesher.operations.fullexport import (
    data_export_file,
    data_export_get,
    data_export_list,
    data_export_start,
)
from kesher.platform.ui.pages import render_partial

TEMPLATE = "operations/data_export.html"
SHOWN = 20


@login_required
def data_exports(request):
    exports = list(data_export_list(request.user)[:SHOWN])
    return render(request, TEMPLATE, {"exports": exports})


@require_POST
@login_required
def data_export_begin(request):
    data_export_start(actor=request.user)
    messages.info(request, _("The export is being made in the background."))
    return redirect(reverse("data_exports"))


@login_required
def data_export_row(request, pk):
    """One export's row, polled by htmx every two seconds until it finishes."""
    export = data_export_get(request.user, pk)
    return render_partial(request, TEMPLATE, {"export": export, "exports": [export]}, "row")


@login_required
def data_export_download(request, pk):
    path = data_export_file(request.user, pk)
    return FileResponse(
        path.open("rb"), as_attachment=True, filename=path.name, content_type="application/zip"
    )
