from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def create_cache_table(sender, using="default", **kwargs):
    """The shared cache's table (settings.CACHES: sign-in throttling, API throttles) is made by
    every ``migrate``, as ``createcachetable`` would; nothing to do when it exists or the cache
    is not the database's."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


class OrgConfig(AppConfig):
    name = "kesher.org"
    label = "org"
    verbose_name = _("Organization")

    def ready(self):
        from kesher.org import entities  # noqa: F401  (registers the organization's entities)

        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="kesher_cache_table")
