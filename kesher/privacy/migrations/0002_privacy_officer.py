"""The privacy officer's role (REQ OR-8, issue 25): an administrator gives it to the user who
answers people's requests and reviews the access log; no other built-in role is granted them.
Administrators change both as data afterwards (REQ OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

ROLE = ("privacy_officer", "ממונה הגנת הפרטיות", "Privacy officer")

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "privacy_officer": {
        "privacy-requests": (True, True, True, False, "all"),
        # The register of security incidents (Data Security Regulations §11).
        "security-incidents": (True, True, True, False, "all"),
        # Finding a person's data starts from the person; the officer reads, and changes only
        # through a request (correction, erasure).
        "contacts": (True, False, False, False, "all"),
        # ... and the customers they work for, whose records name them (and whose pages the
        # officer's own calls and tasks are logged from).
        "accounts": (True, False, False, False, "own"),
        # His own work: calls with the people who ask, and the tasks of answering them.
        "interactions": (True, True, True, False, "own"),
        "tasks": (True, True, True, False, "own"),
        "users": (True, False, False, False, "all"),
        "departments": (True, False, False, False, "all"),
        "companies": (True, False, False, False, "all"),
    },
}


def create_role(apps, schema_editor):
    Role = apps.get_model("org", "Role")
    key, name_he, name_en = ROLE
    Role.objects.get_or_create(key=key, defaults={"name_he": name_he, "name_en": name_en})
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial"), ("org", "0006_role_mfa_required_user_time_zone")]
    operations = [migrations.RunPython(create_role, migrations.RunPython.noop)]
