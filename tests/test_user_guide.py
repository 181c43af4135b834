"""The user guide says the same in Hebrew and English and stays readable (issue 14 item 11).

The guide is ``docs/user-guide/he.md`` and ``en.md`` with their chapter pages
(``<chapter>.he.md`` / ``<chapter>.en.md``). Each Hebrew page has its English page with the same
tree of headings (the same number of headings at each level, in the same order); no heading
carries a requirement id (those go on a "Requirements:" line under the heading); every picture a
page shows exists in ``docs/screenshots/``; every link between pages, and every link to a heading
on a page, leads somewhere; and every kind of record Kesher registers is named in both guides by
the name the menu gives it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import translation

from kesher.platform.registry import registry

pytestmark = pytest.mark.any_database  # reads no database (conftest.py)

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "user-guide"

HEBREW_PAGES = ["he.md", *sorted(p.name for p in GUIDE.glob("*.he.md"))]
PAIRS = [(he, "en.md" if he == "he.md" else he.replace(".he.md", ".en.md")) for he in HEBREW_PAGES]
ENGLISH_PAGES = [en for _, en in PAIRS]

# A requirement id: two or more capitals, a hyphen, a number (CU-1, OR-5, IMPL-2).
REQUIREMENT_ID = re.compile(r"\b[A-Z]{2,}-\d+")
HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img\s[^>]*\bsrc=\"([^\"]+)\"")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def lines_outside_code(path: Path) -> list[str]:
    """The page's lines, without those inside fenced code blocks (a shell comment is no heading)."""
    kept, in_code = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        if not in_code:
            kept.append(line)
    return kept


def headings(path: Path) -> list[tuple[int, str]]:
    found = []
    for line in lines_outside_code(path):
        match = HEADING.match(line)
        if match:
            found.append((len(match.group(1)), match.group(2)))
    return found


def slug(text: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[\u200e\u200f]", "", text.lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors_of(path: Path) -> set[str]:
    return {slug(text) for _, text in headings(path)}


def test_every_page_has_both_languages():
    hebrew = {p.name.removesuffix(".he.md") for p in GUIDE.glob("*.he.md")}
    english = {p.name.removesuffix(".en.md") for p in GUIDE.glob("*.en.md")}
    assert hebrew == english
    assert (GUIDE / "he.md").exists()
    assert (GUIDE / "en.md").exists()


@pytest.mark.parametrize("page", HEBREW_PAGES + ENGLISH_PAGES)
def test_headings_carry_no_requirement_ids(page):
    with_ids = [text for _, text in headings(GUIDE / page) if REQUIREMENT_ID.search(text)]
    assert with_ids == [], f"{page}: move the ids to a 'Requirements:' line under the heading"


@pytest.mark.parametrize(("hebrew", "english"), PAIRS)
def test_hebrew_and_english_pages_have_the_same_headings(hebrew, english):
    he_levels = [level for level, _ in headings(GUIDE / hebrew)]
    en_levels = [level for level, _ in headings(GUIDE / english)]
    assert he_levels, f"{hebrew} has no headings"
    assert he_levels == en_levels, f"{hebrew} and {english} differ in shape:\n" + "\n".join(
        f"{'#' * a} {ta}  |  {'#' * b} {tb}"
        for (a, ta), (b, tb) in zip(
            headings(GUIDE / hebrew), headings(GUIDE / english), strict=False
        )
    )


@pytest.mark.parametrize("page", HEBREW_PAGES + ENGLISH_PAGES)
def test_every_picture_exists(page):
    text = "\n".join(lines_outside_code(GUIDE / page))
    sources = [a or b for a, b in IMAGE.findall(text)]
    missing = [src for src in sources if not (GUIDE / src).resolve().is_file()]
    assert missing == [], f"{page} shows pictures that do not exist"


@pytest.mark.parametrize("page", HEBREW_PAGES + ENGLISH_PAGES)
def test_every_link_leads_somewhere(page):
    text = "\n".join(lines_outside_code(GUIDE / page))
    broken = []
    for target in LINK.findall(text):
        if target.startswith(("http://", "https://", "mailto:")):
            continue
        file_part, _, anchor = target.partition("#")
        linked = (GUIDE / file_part).resolve() if file_part else GUIDE / page
        leads_somewhere = linked.exists() and (
            not anchor or linked.suffix != ".md" or anchor in anchors_of(linked)
        )
        if not leads_somewhere:
            broken.append(target)
    assert broken == [], f"{page} links to missing pages or headings"


@pytest.mark.parametrize(("language", "pages"), [("he", HEBREW_PAGES), ("en", ENGLISH_PAGES)])
def test_every_kind_of_record_is_in_the_guide(language, pages):
    text = "\n".join((GUIDE / page).read_text(encoding="utf-8") for page in pages)
    with translation.override(language):
        # The test-only example of docs/development/adding-an-entity.md is no user's module.
        names = {
            entity.key: str(entity.label_plural)
            for entity in registry.all()
            if not entity.model.__module__.startswith("tests.")
        }
    missing = {key: name for key, name in names.items() if name not in text}
    assert missing == {}, f"the {language} guide does not name these kinds of records"
