"""Adding built-in reports from a data migration: an app gives its reports this way, as it
gives the built-in roles their rights with ``org.grants.apply_grants``."""

__all__ = ["add_reports"]


def add_reports(apps, reports, *, shared_with=("manager",)) -> None:
    """``reports``: (name, description, definition) each, shared with the roles ``shared_with``
    names. Uses the migration's historical models; a report of that name with no owner is kept
    as it is (an administrator may have changed it), a role that does not exist is skipped."""
    Role = apps.get_model("org", "Role")
    Report = apps.get_model("reports", "Report")
    roles = list(Role.objects.filter(key__in=shared_with))
    for name, description, definition in reports:
        if Report.objects.filter(name=name, owner=None).exists():
            continue
        report = Report.objects.create(
            name=name, description=description, entity=definition["entity"], definition=definition
        )
        report.shared_roles.set(roles)
