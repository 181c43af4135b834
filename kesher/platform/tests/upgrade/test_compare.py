"""The upgrade check's comparison: every difference the declarations do not explain is
reported, readably, and so is a declaration that explains nothing."""

from kesher.platform.testing.upgrade import (
    AddedColumn,
    AddedRows,
    ChangedValues,
    DroppedColumn,
    RemovedRows,
    RenamedColumn,
    RenamedTable,
    Table,
    compare,
)


def contacts(*rows, columns=("id", "name", "email")):
    return Table(columns, ("id",), {(row["id"],): row for row in rows})


DANA = {"id": 1, "name": "דנה לוי", "email": "Dana@Example.co.il"}
YOSSI = {"id": 2, "name": "\u200fיוסי", "email": "Yossi@Example.co.il"}


def test_the_same_rows_are_no_problem():
    before = {"contact": contacts(DANA, YOSSI)}
    assert compare(before, {"contact": contacts(DANA, YOSSI)}, []) == []


def test_a_row_gone_a_value_changed_and_a_row_added_are_each_reported():
    after = {"contact": contacts({**DANA, "name": "דנה"}, {**YOSSI, "id": 3})}
    problems = compare({"contact": contacts(DANA, YOSSI)}, after, [])
    assert problems == [
        "contact: 1 of 2 rows gone: id=2",
        "contact.name: changed in 1 of 2 rows\n    id=1: 'דנה לוי' → 'דנה'",
        "contact: 1 rows added: id=3",
    ]


def test_a_table_or_column_gone_and_an_undeclared_new_column_are_reported():
    before = {"contact": contacts(DANA), "account": contacts(YOSSI)}
    after = {"contact": contacts({**DANA, "phone": ""}, columns=("id", "email", "phone"))}
    assert compare(before, after, []) == [
        "contact.name: the column is gone",
        "contact.phone: a new column, not declared (AddedColumn with the value old rows get; "
        "they hold '')",
        "account: the table is gone, with its 1 rows",
    ]


def test_declared_changes_explain_their_differences():
    renamed = {**DANA, "full_name": DANA["name"], "email": "dana@example.co.il", "vip": False}
    del renamed["name"]
    allowed = [
        RenamedTable(old="contact", new="people_contact", why="moved"),
        RenamedColumn(table="contact", old="name", new="full_name", why="renamed"),
        ChangedValues(table="contact", column="email", change=lambda v, row: v.lower(), why="e"),
        AddedColumn(table="contact", column="vip", value=False, why="new flag"),
        AddedRows(table="contact", why="a seed row"),
        RemovedRows(table="contact", which=lambda row: row["id"] == 2, why="a bad row"),
    ]
    columns = ("id", "full_name", "email", "vip")
    after = {
        "people_contact": contacts(
            renamed, {"id": 9, **dict.fromkeys(columns[1:])}, columns=columns
        )
    }
    assert compare({"contact": contacts(DANA, YOSSI)}, after, allowed) == []


def test_a_declared_change_that_gives_another_value_shows_both():
    allowed = [
        ChangedValues(table="contact", column="email", change=lambda v, r: v.lower(), why="")
    ]
    problems = compare({"contact": contacts(DANA)}, {"contact": contacts(DANA)}, allowed)
    assert problems == [
        "contact.email: changed in 1 of 1 rows\n"
        "    id=1: 'Dana@Example.co.il' → 'Dana@Example.co.il' (declared: 'dana@example.co.il')"
    ]


def test_an_added_column_holds_the_declared_value_in_old_rows():
    after = {"contact": contacts({**DANA, "tags": '{"a": 1}'}, columns=(*DANA, "tags"))}
    declared = AddedColumn(table="contact", column="tags", value={}, why="")
    assert compare({"contact": contacts(DANA)}, after, [declared]) == [
        "contact.tags: changed in 1 of 1 rows\n    id=1: {} → '{\"a\": 1}'"
    ]
    declared = AddedColumn(table="contact", column="tags", value={"a": 1}, why="JSON as data")
    assert compare({"contact": contacts(DANA)}, after, [declared]) == []


def test_a_declaration_that_explains_nothing_is_reported_unless_standing():
    same = {"contact": contacts(DANA)}
    stale = DroppedColumn(table="account", column="name", why="an old release's")
    standing = AddedRows(table="contact", why="every upgrade may", standing=True)
    assert compare(same, same, [stale, standing]) == [
        f"declared, but this upgrade does not do it (remove it?): {stale!r}"
    ]
