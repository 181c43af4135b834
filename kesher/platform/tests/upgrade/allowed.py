"""What upgrading from the last release (``baseline.RELEASE``) may change in stored data, each
entry reviewed like code and saying which migration does it. Tables and columns are named as the
old database has them. Anything else that differs fails ``test_upgrade``; an entry that explains
nothing fails it too. See docs/development/upgrades.md.
"""

import json

from kesher.platform.testing.upgrade import AddedColumn, AddedRows, ChangedValues, RenamedTable

TAG_ACTIONS = {"add_tag": "add_link", "remove_tag": "remove_link"}


def _moved_to_operations(app_label, row):
    if (app_label, row["model"]) == ("dedupe", "dataexport"):
        return "operations"
    return app_label


def _tag_params_to_link(params, row):
    if row["action"] not in TAG_ACTIONS:
        return params
    old = json.loads(params) if isinstance(params, str) else params
    new = {"field": "tags", "value": old.get("tag") if isinstance(old, dict) else None}
    return json.dumps(new) if isinstance(params, str) else new


ALLOWED = [
    # Every upgrade: `migrate` adds the content types and permissions of new models.
    AddedRows(table="django_content_type", standing=True, why="content types of new models"),
    AddedRows(table="auth_permission", standing=True, why="permissions of new models"),
    # Issue 14 item 4: the full export's jobs moved from dedupe to operations
    # (operations/migrations/0001_initial.py); rows, ids and content type stay.
    RenamedTable(
        old="dedupe_dataexport", new="operations_dataexport", why="DataExport moved to operations"
    ),
    ChangedValues(
        table="django_content_type",
        column="app_label",
        change=_moved_to_operations,
        why="DataExport's content type moved to operations with it (same id)",
    ),
    # Issue 14: which entities have approval processes, and whether any webhook is active, are
    # cached until they change (approvals/migrations/0003_processes_stamp.py and
    # integrations/migrations/0002_webhooks_stamp.py seed their stamps); later caches seed
    # theirs the same way (business calendars, admin-defined kinds, calendar connections).
    AddedRows(table="platform_schemastamp", why="the stamps of caches added since"),
    # Issue 14 item 7: notifications store a message key and its parameters, put into words
    # when read (activities/migrations/0007); old ones keep their text and get neither.
    AddedColumn(
        table="activities_notification", column="message", value="", why="no key: old text"
    ),
    AddedColumn(table="activities_notification", column="params", value={}, why="no key"),
    # Issue 14 item 8 (decision 0047; platform/migrations/0009_field_visibility.py): field rules
    # may hide a field or a whole section from roles. Old rules hide nothing and name no section.
    AddedColumn(
        table="platform_fieldrule", column="hidden_roles", value=[], why="hidden from no role"
    ),
    AddedColumn(table="platform_fieldrule", column="section", value="", why="a rule on a field"),
    # Issue 14 item 2: bulk "add/remove a tag" is "add/remove a link" on the tags field
    # (platform/migrations/0011_bulk_link_actions.py), so stored jobs still run and read right.
    ChangedValues(
        table="platform_bulkjob",
        column="action",
        change=lambda action, row: TAG_ACTIONS.get(action, action),
        why="the tag actions of stored bulk jobs are the link actions",
    ),
    ChangedValues(
        table="platform_bulkjob",
        column="params",
        change=_tag_params_to_link,
        why='a tag job\'s {"tag": id} is {"field": "tags", "value": id}',
    ),
    # Issue 14 item 7: e-mail addresses are stored in lower case
    # (customers/migrations/0008_email_lower_case.py lower-cases those stored before).
    ChangedValues(
        table="customers_account",
        column="email",
        change=lambda email, row: email.lower() if isinstance(email, str) else email,
        why="accounts' e-mail addresses lower-cased",
    ),
    ChangedValues(
        table="customers_contact",
        column="email",
        change=lambda email, row: email.lower() if isinstance(email, str) else email,
        why="contacts' e-mail addresses lower-cased",
    ),
    # Issue 14 item 7 (decision 0048; imports/migrations/0003_job_duplicates_report.py): a job
    # counts the rows it skipped as duplicates and keeps its dry run's missing link values.
    AddedColumn(
        table="imports_importjob", column="duplicates", value=0, why="no duplicates counted"
    ),
    AddedColumn(table="imports_importjob", column="report", value={}, why="no dry-run report"),
    # Issue 15 (sales/migrations/0002_defaults.py): sales' pick-lists and the built-in roles'
    # rights on leads, deals, pipelines, stages and competitors.
    # Issue 18 (service/migrations/0002_defaults.py): service's pick-lists, the roles' rights
    # on tickets, teams and SLA policies.
    AddedRows(
        table="platform_choice",
        why="sales', service's and the customer rating's starting pick-lists",
    ),
    AddedRows(table="org_rolepermission", why="the built-in roles' rights on sales and service"),
    # Issue 15 (decision 0060; customers/migrations/0010_account_region.py): an account's region,
    # none until someone sets it.
    AddedColumn(table="customers_account", column="region_id", value=None, why="no region yet"),
    # Issue 15 (TK-8; customers/migrations/0011_account_rating.py): a customer rating on
    # accounts, none until someone rates them.
    AddedColumn(table="customers_account", column="rating_id", value=None, why="not rated"),
    # Issue 24 (decision 0067; org/migrations/0006_role_mfa_required_user_time_zone.py): no role
    # requires a second factor until an administrator says so.
    AddedColumn(table="org_role", column="mfa_required", value=False, why="MFA not required yet"),
    # Issue 16 (decision 0068; quotes/migrations/0002_defaults.py): the discount approval
    # process of quotes, which an administrator may change or switch off.
    AddedRows(table="approvals_approvalprocess", why="the quotes' discount approval process"),
    # Issue 18 (decision 0072; integrations/migrations/0003_message_headers.py): the extra
    # headers of a stored outgoing message (threading of ticket replies); old ones had none.
    AddedColumn(
        table="integrations_outgoingmessage", column="headers", value={}, why="no extra headers"
    ),
    # The undo of an import runs in the worker (issue 24 item 5); an old job was never undone
    # that way, so it has no undo's asker, progress, cursor or counts.
    *(
        AddedColumn(
            table="imports_importjob", column=column, value=value, why="no undo in the worker"
        )
        for column, value in (
            ("undone_by_id", None),
            ("undo_total", 0),
            ("undo_done", 0),
            ("undo_after", None),
            ("undo_counts", {}),
        )
    ),
    # Issue 25 (decision 0078; privacy/migrations/0002_privacy_officer.py): the privacy
    # officer's built-in role and its rights (org_rolepermission is declared above).
    AddedRows(table="org_role", why="the privacy officer's role"),
    # Issue 18 (decision 0095; customers/migrations/0012_contact_language.py): a contact's
    # language, copied from a "language" custom field where one was kept, else none yet.
    AddedColumn(table="customers_contact", column="language", value="", why="no language yet"),
    # Issue 23 item 3 (decision 0108; automation/migrations/0004_buttons_and_wizards.py): a rule
    # run made by a button's press names its job; runs made before buttons have none.
    AddedColumn(table="automation_rulerun", column="job_id", value=None, why="no button's job"),
]

# Tables the generic filler cannot write a row into, each with the reason (none so far). Any
# other table of the old database gets rows, or the test fails naming it.
NOT_FILLED: dict[str, str] = {}
