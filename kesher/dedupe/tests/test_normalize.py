"""Hebrew-aware normalisation of names, phones, emails and numbers (REQ IM-3)."""

import pytest

from kesher.dedupe.normalize import (
    digits_only,
    name_key,
    normalize_email,
    normalize_name,
    normalize_phone_key,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("דנה כהן", "דנה כהנ"),
        ("דָּנָה כֹּהֵן", "דנה כהנ"),  # niqqud
        ("בְּרֵאשִׁ֖ית", "בראשית"),  # cantillation
        ("\u200fדנה\u200e כהן\u200f", "דנה כהנ"),  # RLM / LRM
        ("  דנה   כהן  ", "דנה כהנ"),
        ("כהן, דנה", "כהנ דנה"),
        ("יוסף-חיים לוי", "יוספ חיימ לוי"),
        ("בן־דוד", "בנ דוד"),  # maqaf
        ("צ'רלי", "צרלי"),
        ("צ׳רלי", "צרלי"),  # geresh
        ("Dana COHEN", "dana cohen"),
        ("O'Brien", "obrien"),
        ("", ""),
        (None, ""),
    ],
)
def test_person_names(raw, expected):
    assert normalize_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('אלפא מערכות בע"מ', "אלפא מערכות"),
        ("אלפא מערכות בע״מ", "אלפא מערכות"),  # gershayim
        ("אלפא מערכות בעמ", "אלפא מערכות"),
        ('אלפא מערכות (1995) בע"מ', "אלפא מערכות"),
        ("אַלְפָא מַעֲרָכוֹת", "אלפא מערכות"),
        ("Alpha Systems Ltd.", "alpha systems"),
        ("Alpha Systems LTD", "alpha systems"),
        ("Alpha Systems, Inc.", "alpha systems"),
        ("Alpha-Systems Limited", "alpha systems"),
        ('עמותת "לב" ע"ר', "עמותת לב"),
        ('בע"מ', "בעמ"),  # only a legal form: kept rather than emptied
        ("שטראוס גרופ 2004", "שטראוס גרופ"),
    ],
)
def test_company_names(raw, expected):
    assert normalize_name(raw, company=True) == expected


def test_spellings_of_one_name_are_equal():
    spellings = ["שָׁלוֹם כֹּהֵן", "שלום כהן", "שלום  כהן.", "\u200fשלום כהן"]
    assert len({normalize_name(s) for s in spellings}) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("052-555-1234", "+972525551234"),
        ("0525551234", "+972525551234"),
        ("+972 52 555 1234", "+972525551234"),
        ("+972 (0)52-555-1234", "+972525551234"),
        ("972525551234", "+972525551234"),
        ("\u200e052-5551234\u200e", "+972525551234"),
        ("03-6123456", "+97236123456"),
        ("+1 212 555 0100", "+12125550100"),
        ("not a phone", ""),
        ("12", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_phones(raw, expected):
    assert normalize_phone_key(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Dana.Cohen@Example.CO.IL ", "dana.cohen@example.co.il"),
        ("mailto:office@alpha.example", "office@alpha.example"),
        ("\u200foffice@alpha.example", "office@alpha.example"),
        ("no at sign", ""),
        ("", ""),
    ],
)
def test_emails(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("51-617915-7", "516179157"),
        ("516179157", "516179157"),
        ("039337423", "039337423"),
        ("39337423", "039337423"),  # a leading zero lost in Excel
        ("ח.פ. 516179157", "516179157"),
        ("000000000", ""),
        ("", ""),
    ],
)
def test_numbers(raw, expected):
    assert digits_only(raw) == expected


def test_name_key_is_first_letters():
    assert name_key("דנה כהנ") == "דנה"
    assert name_key("a b") == "ab"
