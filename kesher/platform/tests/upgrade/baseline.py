"""The migration state of the last release: the latest migration of every app, Django's and the
libraries' included, as an install of that release has them applied. The upgrade test builds a
database at these migrations and upgrades it to today's.

The last release: main before issue 14 ("Platform v2"), commit 1b619cd.

Refresh it at each release, on the release's commit: paste the answer below, set ``RELEASE``,

    .venv/bin/python manage.py shell -c \
        "from kesher.platform.testing.upgrade import leaf_nodes; print(*leaf_nodes(), sep=',\\n')"

and empty ``allowed.ALLOWED`` but for its ``standing`` entries: what the old upgrade did is in
the baseline now (the test names each entry that no longer explains anything).
"""

RELEASE = "1b619cd"

BASELINE = (
    ("account", "0009_emailaddress_unique_primary_email"),
    ("activities", "0006_business_calendar_editable"),
    ("admin", "0003_logentry_add_action_flag_choices"),
    ("approvals", "0002_grants"),
    ("auth", "0012_alter_user_first_name_max_length"),
    ("automation", "0002_installed_process"),
    ("contenttypes", "0002_remove_content_type_name"),
    ("customers", "0007_updated_indexes"),
    ("dedupe", "0002_dataexport"),
    ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ("imports", "0002_attachments_zip"),
    ("integrations", "0001_initial"),
    ("mfa", "0003_authenticator_type_uniq"),
    ("org", "0003_user_manager"),
    ("platform", "0008_schema_stamp"),
    ("practice", "0001_initial"),
    ("sessions", "0001_initial"),
    ("socialaccount", "0006_alter_socialaccount_extra_data"),
)
