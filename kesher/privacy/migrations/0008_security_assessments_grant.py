"""The privacy officer keeps the security self-assessments (REQ OR-8, issue 25 item 4), and
reads — never changes — marketing's consent ledger, the register of consents the law asks him
to be able to show (decision 0098). Administrators change both as data afterwards (REQ OR-3)."""

from django.db import migrations

from kesher.org.grants import apply_grants

GRANTS = {  # role key: {entity: (view, add, change, delete, scope)}
    "privacy_officer": {
        "security-assessments": (True, True, True, False, "all"),
        "consents": (True, False, False, False, "all"),
    },
}


def grant(apps, schema_editor):
    apply_grants(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0007_security_assessments")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
