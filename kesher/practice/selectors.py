"""Reads of the practice environment's state (administrators only)."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from kesher.platform.access import is_admin
from kesher.practice.models import PracticeEnvironment
from kesher.practice.services import practice_state

__all__ = ["practice_get"]


def practice_get(user) -> PracticeEnvironment:
    if not is_admin(user):
        raise PermissionDenied(_("Only an administrator may manage the practice environment."))
    return practice_state()
