"""What followers and mentioned users are told, put into words when read, in the reader's
language (decision 0042): the kind of record and the fields' labels are kept in both
languages, never as a sentence.

A notification names no record: it is kept after its reader may have lost sight of the record
(moved to another department), so it says the kind of record and leads to it by its link,
which answers only while he may see it (decision 0081).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kesher.activities.messages import register_message

__all__ = ["CHANGED", "MENTIONED", "NOTED"]

MENTIONED = register_message("collab.mentioned", _("%(user)s mentioned you (%(kind)s): %(text)s"))
NOTED = register_message("collab.noted", _("%(user)s wrote a note (%(kind)s): %(text)s"))
CHANGED = register_message("collab.changed", _("%(user)s changed %(fields)s (%(kind)s)"))
