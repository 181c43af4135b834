from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollabConfig(AppConfig):
    """Notes with mentions, followers of records and the feed of what one follows (issue 23
    item 4; seed 003: "things fall between the chairs", "poor communication between
    employees")."""

    name = "kesher.collab"
    label = "collab"
    verbose_name = _("Working together")

    def ready(self):
        from kesher.collab import notices, timeline  # noqa: F401  (messages, the notes' timeline)
        from kesher.collab.services import record_changed
        from kesher.platform import events
        from kesher.platform.registry import register_panel

        # Followers hear of every change of a record, whichever service wrote it.
        events.subscribe(events.UPDATED, record_changed)
        # One mechanism on every record page: follow in the header, the note box beside the
        # timeline.
        register_panel("collab/actions/_follow.html", applies=_every, kind="actions", order=5)
        # Beside the timeline where the page has an activities column (the records work is
        # about), after the record's sections elsewhere.
        register_panel(
            "collab/aside/_notes.html",
            applies=_linkable,
            kind="aside",
            order=5,
            label=_("Notes"),
            anchor="record-notes",
        )
        register_panel(
            "collab/panels/_notes.html",
            applies=_not_linkable,
            kind="panels",
            order=5,
            label=_("Notes"),
            anchor="record-notes",
        )


def _every(entity) -> bool:
    return True


def _linkable(entity) -> bool:
    return entity.linkable


def _not_linkable(entity) -> bool:
    return not entity.linkable
