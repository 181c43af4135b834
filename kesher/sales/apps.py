from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kesher.sales"
    label = "sales"
    verbose_name = _("Sales")
    # The board, forecast and attainment pages in the sales menu.
    menu_template = "sales/menu_item.html"

    def ready(self):
        # The entities first: what a new lead is matched on, the 360° view's sales figures and
        # the team's deal activity name them.
        from kesher.sales import entities  # noqa: F401, I001
        from kesher.sales import duplicates, overview, team  # noqa: F401
        from kesher.platform import stamps
        from kesher.sales.models import SETTINGS_STAMP, SalesSettings

        # Read once per process until they change (``SalesSettings.current``).
        stamps.renew_on_change(SETTINGS_STAMP, SalesSettings)
