"""Navigation for every page: the modules the user may open, from the registry."""

from kesher.platform.access import can
from kesher.platform.registry import registry


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_entities": [], "admin_entities": []}
    visible = [e for e in registry.all() if e.in_navigation and can(user, e.key, "view")]
    return {
        "nav_entities": [e for e in visible if e.nav_order < 900],
        "admin_entities": [e for e in visible if e.nav_order >= 900],
    }
