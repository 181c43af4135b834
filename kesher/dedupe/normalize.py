"""Hebrew-aware normalisation of the values duplicates are matched on (REQ IM-3).

Two spellings of one name should compare equal: niqqud and cantillation marks, final-letter
forms, punctuation, geresh/gershayim, bidi marks, letter case and company suffixes such as
בע"מ / Ltd do not tell customers apart. Phones become E.164 (the platform's ``normalize_phone``),
emails lower case, identity and company numbers digits only.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError

from kesher.platform.fields import normalize_phone

__all__ = [
    "digits_only",
    "name_key",
    "normalize_email",
    "normalize_name",
    "normalize_phone_key",
    "strip_marks",
]

FINAL_LETTERS = str.maketrans("ךםןףץ", "כמנפצ")
# Geresh, gershayim and the ASCII quotes people type for them vanish inside a word (בע"מ → בעמ,
# צ'רלי → צרלי); every other punctuation mark separates words.
_JOINERS = re.compile("[\"'`\u05f3\u05f4\u2018\u2019\u201c\u201d\u00b4]")
_SEPARATORS = re.compile(r"[^\w]+|_", re.UNICODE)
# "(1995)", "1995" at the end: the year a company was registered, part of many legal names.
_YEAR_SUFFIX = re.compile(r"\(\s*(?:19|20)\d\d\s*\)|\b(?:19|20)\d\d\s*$")
# Legal-form words, compared after normalisation (so בע"מ, בע״מ and בעמ are one).
COMPANY_SUFFIXES = frozenset(
    {
        "בעמ",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "llc",
        "corp",
        "corporation",
        "co",
        "gmbh",
        "plc",
        "עמותה",
        "ער",  # ע"ר, a registered association
        "שותפות",
        "חלצ",  # חל"צ, a public-benefit company
    }
)


# Hebrew and Latin letters and spaces only: nothing for ``normalize_name`` to strip or split.
_PLAIN = re.compile(r"[a-zA-Z\u05d0-\u05ea ]*")


def strip_marks(text: str) -> str:
    """Drop combining marks (niqqud, cantillation, accents) and format characters (RLM, LRM,
    bidi embeddings, zero-width joiners)."""
    if text.isascii():  # no marks to drop, and NFKD leaves ASCII as it is
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.category(c).startswith(("M", "Cf")))


def normalize_name(text: str | None, *, company: bool = False) -> str:
    """A name as words to compare: ``"חֶבְרַת  אַלְפָא בע\"מ"`` → ``"חברת אלפא"`` (company)."""
    if not text:
        return ""
    text = str(text)
    if _PLAIN.fullmatch(text):
        # Most names: the same words as below, without a pass over each character.
        words = text.lower().translate(FINAL_LETTERS).split()
        if company:
            words = [w for w in words if w not in COMPANY_SUFFIXES] or words
        return " ".join(words)
    value = strip_marks(str(text)).lower()
    value = value.replace("\u05be", " ")  # maqaf, the Hebrew hyphen
    if company:
        value = _YEAR_SUFFIX.sub(" ", value)
    value = _JOINERS.sub("", value)
    value = _SEPARATORS.sub(" ", value).translate(FINAL_LETTERS)
    words = value.split()
    if company:
        kept = [w for w in words if w not in COMPANY_SUFFIXES]
        # A name that is nothing but a legal form keeps its words rather than becoming empty.
        words = kept or words
    return " ".join(words)


def normalize_email(text: str | None) -> str:
    """An email address as a key: trimmed, bidi marks dropped, lower case; "" if not one."""
    if not text:
        return ""
    value = strip_marks(str(text)).strip().lower()
    value = value.removeprefix("mailto:")
    return value if "@" in value and " " not in value else ""


def normalize_phone_key(text: str | None) -> str:
    """A phone number in E.164 (Israel as the default region); "" when it is no phone."""
    if not text:
        return ""
    value = strip_marks(str(text)).strip()
    try:
        return normalize_phone(value)
    except ValidationError:
        return ""


def digits_only(text: str | None) -> str:
    """An identity or company number as its digits, zero-padded to nine ("51-617915-7" →
    "516179157"); "" when there are none."""
    if not text:
        return ""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKD", str(text)))
    if not digits or not digits.strip("0"):
        return ""
    return digits.zfill(9) if len(digits) < 9 else digits


def name_key(name: str, length: int = 3) -> str:
    """The blocking key of a normalised name: its first letters, spaces removed."""
    return name.replace(" ", "")[:length]
