"""Files on any record (REQ CU-6): size-limited uploads with safe stored names; downloads
always as attachments with sniffing off, so an uploaded HTML/SVG never runs in Kesher's origin."""

from __future__ import annotations

import mimetypes
import unicodedata
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kesher.platform.access import can
from kesher.platform.models import Attachment
from kesher.platform.records.audit import register_fact
from kesher.platform.records.services import write_audit
from kesher.platform.registry import registry

__all__ = ["FILE", "attachment_add", "safe_filename"]

# The key of a file's name in its record's audit entries (attached, or removed by an undo).
FILE = register_fact("file", gettext_lazy("file"))


def safe_filename(name: str) -> str:
    """The user's file name without paths, control characters or bidi tricks."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(
        c for c in unicodedata.normalize("NFC", name) if unicodedata.category(c)[0] != "C"
    ).strip(" .")
    if len(name) > 200:
        # Shorten the stem, not the extension: "report.pdf" must stay a PDF.
        path = PurePath(name)
        suffix = path.suffix[:20]
        name = path.stem[: 200 - len(suffix)] + suffix
    return name or "file"


@transaction.atomic
def attachment_add(record, *, actor, uploaded) -> Attachment:
    """Attach an uploaded file to ``record``; refuses empty and oversized files."""
    if uploaded.size == 0:
        raise ValidationError({"file": [_("The file is empty.")]})
    limit = settings.KESHER_MAX_ATTACHMENT_BYTES
    if uploaded.size > limit:
        raise ValidationError(
            {"file": [_("The file is larger than %(size)s.") % {"size": filesizeformat(limit)}]}
        )
    name = safe_filename(uploaded.name)
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    attachment = Attachment(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        name=name,
        size=uploaded.size,
        mime_type=mime,
        uploaded_by=actor,
    )
    attachment.file.save(name, uploaded, save=False)
    attachment.save()
    write_audit(record, actor=actor, action="attach", changes={FILE: [None, name]})
    return attachment


def _record_for(key: str, pk: int, user, action: str):
    try:
        entity = registry.get(key)
    except KeyError:
        raise Http404 from None
    if not can(user, key, action):
        raise PermissionDenied
    return entity, get_object_or_404(entity.queryset().visible_to(user), pk=pk)


@require_POST
@login_required
def upload(request, key, pk):
    _entity, record = _record_for(key, pk, request.user, "change")
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("Choose a file to upload."))
    else:
        try:
            attachment_add(record, actor=request.user, uploaded=uploaded)
            messages.success(request, _("File attached."))
        except ValidationError as exc:
            for error in exc.message_dict.get("file", exc.messages):
                messages.error(request, error)
    return redirect(reverse("entity_detail", args=[key, pk]))


@login_required
def download(request, pk):
    attachment = get_object_or_404(Attachment.objects.select_related("content_type"), pk=pk)
    model = attachment.content_type.model_class()
    if model is None or not registry.has_model(model):
        raise Http404
    entity = registry.for_model(model)
    _record_for(entity.key, attachment.object_id, request.user, "view")
    # Always a download of opaque bytes: an uploaded HTML or SVG page must never render (and
    # run script) in Kesher's origin.
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        # The row outlived its file (a restore of the database alone, a disk mishap).
        raise Http404(_("The file is missing from the server.")) from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
