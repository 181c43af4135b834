"""Reading uploaded files: encodings, delimiters, XLSX, and bad files (REQ IM-1)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from kesher.imports.reading import read_table
from kesher.imports.tests.helpers import csv_bytes, xlsx_bytes

HEBREW_ROWS = [["שם פרטי", "שם משפחה", "עיר"], ["דנה", "לוי", "חיפה"], ["יוסי", "כהן", "באר שבע"]]


@pytest.mark.parametrize(
    ("encoding", "name"),
    [
        ("utf-8", "UTF-8"),
        ("utf-8-sig", "UTF-8 (BOM)"),
        ("cp1255", "Windows-1255"),
        ("iso-8859-8", "Windows-1255"),  # the same Hebrew letters; read as its superset
    ],
)
def test_hebrew_csv_in_each_encoding_reads_right(encoding, name):
    table = read_table(csv_bytes(HEBREW_ROWS, encoding=encoding), "x.csv")
    assert table.headers == ["שם פרטי", "שם משפחה", "עיר"]
    assert table.rows == [["דנה", "לוי", "חיפה"], ["יוסי", "כהן", "באר שבע"]]
    assert table.encoding == name


def test_windows_1255_with_niqqud_and_shekel_sign():
    rows = [["שֵׁם", "סכום"], ["מֹשֶׁה", "₪100"]]
    table = read_table(csv_bytes(rows, encoding="cp1255"), "x.csv")
    assert table.rows == [["מֹשֶׁה", "₪100"]]
    assert table.encoding == "Windows-1255"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_delimiter_is_sniffed(delimiter):
    table = read_table(csv_bytes(HEBREW_ROWS, delimiter=delimiter), "x.csv")
    assert table.delimiter == delimiter
    assert table.rows[1] == ["יוסי", "כהן", "באר שבע"]


@translation.override("en")
def test_ragged_rows_duplicate_and_empty_headers():
    data = b"name,name,,city\na,b,c,d,e\nshort\n"
    table = read_table(data, "x.csv")
    assert table.headers == ["name", "name (2)", "Column 3", "city"]
    assert table.rows == [["a", "b", "c", "d"], ["short", "", "", ""]]
    assert "2" in table.notes[0]


def test_formulas_stay_text():
    table = read_table(csv_bytes([["a", "b"], ["=1+1", "@SUM(A1)"], ["+972", "-3"]]), "x.csv")
    assert table.rows == [["=1+1", "@SUM(A1)"], ["+972", "-3"]]


def test_xlsx_is_read_by_content_with_dates_and_numbers():
    import datetime

    data = xlsx_bytes([["שם", "תאריך", "מספר"], ["דנה", datetime.date(2024, 3, 1), 42]])
    table = read_table(data, "named-wrong.csv")
    assert table.file_format == "xlsx"
    assert table.rows == [["דנה", "2024-03-01", "42"]]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x00\x01\x02binary\x00" * 50, "data.csv", "not a text"),
        (b"PK\x03\x04broken zip", "data.xlsx", "damaged"),
        (b"just text", "data.xlsx", "damaged"),
        (b"", "data.csv", "empty"),
    ],
)
def test_bad_files_give_a_clear_error(data, name, message):
    with translation.override("en"), pytest.raises(ValidationError) as info:
        read_table(data, name)
    assert message in " ".join(info.value.message_dict["file"])


def test_size_limit(settings):
    settings.KESHER_IMPORT_MAX_BYTES = 100
    with translation.override("en"), pytest.raises(ValidationError) as info:
        read_table(b"a,b\n" * 100, "big.csv")
    assert "too large" in info.value.message_dict["file"][0]


def test_errors_are_translated():
    with translation.override("he"), pytest.raises(ValidationError) as info:
        read_table(b"", "x.csv")
    assert "ריק" in info.value.message_dict["file"][0]
