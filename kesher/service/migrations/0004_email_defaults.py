"""The built-in roles' rights on support mailboxes and canned replies, and the status a
customer's e-mail moves a waiting ticket to (a status setting, data the administrator changes;
REQ IN-1, OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "manager": {
        "service-mailboxes": (True, False, False, False, "all"),
        "canned-replies": (True, True, True, True, "all"),
    },
    "sales_rep": {"canned-replies": (True, False, False, False, "all")},
    "support_agent": {
        "service-mailboxes": (True, False, False, False, "all"),
        "canned-replies": (True, True, True, False, "all"),
    },
    "read_only": {"canned-replies": (True, False, False, False, "all")},
}


def create_defaults(apps, schema_editor):
    Choice = apps.get_model("platform", "Choice")
    status = Choice.objects.filter(list_key="ticket_status", value="in_progress").first()
    if status is not None:
        status.extra = {**(status.extra or {}), "customer_reply": True}
        status.save(update_fields=["extra"])
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("service", "0003_email_canned_merge")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
