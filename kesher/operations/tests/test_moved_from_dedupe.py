"""The full export's jobs moved from the dedupe app to this one (issue "Platform v2" items 4 and
9): an install upgraded across the move keeps their table's rows under the same ids, their
content type (same id, now this app's), so the audit trail and the permissions that point at it
still do."""

import datetime

from django.db import connection

from kesher.platform.testing.upgrade import database_at, nodes_before, upgrade

MOVE = ("operations", "0001_initial")
# dedupe's side of the move: the model leaves its state, the table stays.
MOVED = ("dedupe", "0003_dataexport_to_operations")


def test_an_upgrade_across_the_move_keeps_the_exports_and_their_history(transactional_db):
    started = datetime.datetime(2026, 11, 30, 8, 15, 1, 250000, tzinfo=datetime.UTC)
    with database_at(nodes_before(MOVE, apps=["platform"]), replay=False) as old:
        user = old.get_model("org", "User").objects.create(username="dana", first_name="דנה")
        export = old.get_model("dedupe", "DataExport").objects.create(
            actor_id=user.pk,
            status="done",
            total=12,
            done=12,
            file_name="kesher-export-2026-11-30.zip",
            size=4096,
            counts={"contact": 7, "account": 5, "הערות": 0},
            started_at=started,
            finished_at=started + datetime.timedelta(minutes=2),
        )
        # Made by the old `migrate`, as on every install.
        old_type = old.get_model("contenttypes", "ContentType").objects.get(
            app_label="dedupe", model="dataexport"
        )
        permissions = set(
            old.get_model("auth", "Permission")
            .objects.filter(content_type=old_type)
            .values_list("pk", "codename")
        )
        entry = old.get_model("platform", "AuditEntry").objects.create(
            content_type=old_type,
            object_id=export.pk,
            object_repr="ייצוא מלא",
            actor_id=user.pk,
            action="create",
            changes={"status": [None, "done"]},
        )
        new = upgrade(to=MOVED)

        tables = connection.introspection.table_names()
        assert "operations_dataexport" in tables
        assert "dedupe_dataexport" not in tables
        moved = new.get_model("operations", "DataExport").objects.get(pk=export.pk)
        assert (moved.actor_id, moved.status, moved.total, moved.done, moved.size) == (
            user.pk,
            "done",
            12,
            12,
            4096,
        )
        assert moved.file_name == "kesher-export-2026-11-30.zip"
        assert moved.counts == {"contact": 7, "account": 5, "הערות": 0}
        assert (moved.started_at, moved.finished_at - moved.started_at) == (
            started,
            datetime.timedelta(minutes=2),
        )
        assert moved.created_at == export.created_at

        content_types = new.get_model("contenttypes", "ContentType").objects
        content_type = content_types.get(app_label="operations", model="dataexport")
        assert content_type.pk == old_type.pk
        assert not content_types.filter(app_label="dedupe", model="dataexport").exists()
        assert permissions
        assert permissions == set(
            new.get_model("auth", "Permission")
            .objects.filter(content_type=content_type)
            .values_list("pk", "codename")
        )
        trail = new.get_model("platform", "AuditEntry").objects.get(pk=entry.pk)
        assert (trail.content_type_id, trail.object_id) == (content_type.pk, moved.pk)
        assert (trail.object_repr, trail.changes) == ("ייצוא מלא", {"status": [None, "done"]})
