"""Every text Kesher shows has its Hebrew (issue 14 item 7: English words on Hebrew pages — the
column chooser, "Parent", the filter builder, the process templates' notes).

Three checks, none tied to one page: each catalogue is complete (``msgfmt --statistics``
reports no untranslated or fuzzy entry); every string the code and templates mark for
translation is translated in the catalogue it belongs in (the app's own ``locale/``, else
``kesher/locale``): a new ``{% translate %}`` whose catalogue was not updated fails here,
whichever page shows it; and every field a page may show by its name (a list column, a
filter, a form) has a name of its own that is translated, not the one Django makes up from the
code name ("created at").
"""

from __future__ import annotations

import ast
import gettext
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.translation.template import templatize

from kesher.platform.registry import registry

ROOT = Path(__file__).resolve().parent.parent
KESHER = ROOT / "kesher"
# The development guide's example app (tests/guide_app, decision 0053) keeps its own catalogue
# the way every app does.
EXAMPLE_APP = ROOT / "tests" / "guide_app"
CATALOGUES = sorted(KESHER.glob("**/locale/he/LC_MESSAGES/*.po")) + sorted(
    EXAMPLE_APP.glob("locale/he/LC_MESSAGES/*.po")
)
# Django's makemessages keywords (django/core/management/commands/makemessages.py).
KEYWORDS = (
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
)
ENTRY_LINE = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) (".*")$')

needs_gettext = pytest.mark.skipif(
    not (shutil.which("msgfmt") and shutil.which("xgettext")), reason="GNU gettext not installed"
)


def _entries(text: str):
    """``(context, msgid, translated)`` of each entry of a .po or .pot text (header and
    obsolete entries left out; a fuzzy entry is not translated)."""
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        current = None
        fuzzy = False
        for line in block.splitlines():
            if line.startswith("#"):
                fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
                continue
            match = ENTRY_LINE.match(line)
            if match:
                current = match[1]
                fields[current] = ast.literal_eval(match[2])
            elif line.startswith('"') and current:
                fields[current] += ast.literal_eval(line)
        if not fields.get("msgid"):
            continue
        strings = [value for key, value in fields.items() if key.startswith("msgstr")]
        yield fields.get("msgctxt"), fields["msgid"], bool(strings) and all(strings) and not fuzzy


def _owner(path: Path) -> Path:
    """The catalogue a file's strings belong in: its app's own (``kesher/<app>/locale``), else
    the one of the platform, org, customers and the project's templates (``kesher/locale``)."""
    for catalogue in CATALOGUES:
        app = catalogue.parents[3]
        if app != KESHER and app in path.parents:
            return catalogue
    return KESHER / "locale" / "he" / "LC_MESSAGES" / "django.po"


def _source_files(catalogue: Path) -> list[Path]:
    root = KESHER if KESHER in catalogue.parents else catalogue.parents[3]
    files = []
    for path in sorted(root.rglob("*")):
        parts = set(path.relative_to(root).parts)
        if parts & {"tests", "migrations", "locale", "static", "__pycache__"}:
            continue
        if path.suffix in (".py", ".html", ".txt") and path.is_file() and _owner(path) == catalogue:
            files.append(path)
    return files


def _marked_strings(files: list[Path], tmp_path: Path) -> set[tuple[str | None, str]]:
    """What xgettext finds marked in Python code and templates (templates made into Python by
    Django's ``templatize``, as ``makemessages`` does)."""
    inputs = []
    for index, path in enumerate(files):
        if path.suffix == ".py":
            inputs.append(str(path))
            continue
        copy = tmp_path / f"{index}.py"
        copy.write_text(templatize(path.read_text(encoding="utf-8"), origin=str(path)))
        inputs.append(str(copy))
    listing = tmp_path / "files.txt"
    listing.write_text("\n".join(inputs))
    found = subprocess.run(
        [
            "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            *(f"--keyword={keyword}" for keyword in KEYWORDS),
            f"--files-from={listing}",
            "--output=-",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {(context, msgid) for context, msgid, _translated in _entries(found)}


@needs_gettext
@pytest.mark.any_database
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_catalogue_is_complete(catalogue):
    stats = subprocess.run(
        ["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(catalogue)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    assert "untranslated" not in stats, stats
    assert "fuzzy" not in stats, stats


@needs_gettext
@pytest.mark.any_database
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_marked_string_is_translated_in_its_catalogue(catalogue, tmp_path):
    """What ``makemessages`` would add to a catalogue is already there, translated: a string
    new to the code is Hebrew on every page that shows it; and what ``--no-obsolete`` would
    drop is gone (a catalogue says what the code says)."""
    entries = list(_entries(catalogue.read_text(encoding="utf-8")))
    translated = {(context, msgid) for context, msgid, done in entries if done}
    marked = _marked_strings(_source_files(catalogue), tmp_path)
    missing = sorted(marked - translated, key=lambda entry: (entry[0] or "", entry[1]))
    assert not missing, "marked for translation but not translated here:\n" + _listed(missing)
    unused = {(context, msgid) for context, msgid, _done in entries} - marked
    assert not unused, "translated here but no longer in the code:\n" + _listed(unused)


def _listed(entries) -> str:
    return "\n".join(
        f"  {f'[{context}] ' if context else ''}{msgid!r}"
        for context, msgid in sorted(entries, key=lambda entry: (entry[0] or "", entry[1]))
    )


@needs_gettext
@pytest.mark.any_database
@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_compiled_catalogue_is_up_to_date(catalogue, tmp_path):
    """Django reads the compiled ``.mo``: it must say what the ``.po`` says (compilemessages)."""
    fresh = tmp_path / "fresh.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(catalogue)], check=True)
    with fresh.open("rb") as expected, catalogue.with_suffix(".mo").open("rb") as compiled:
        assert gettext.GNUTranslations(compiled)._catalog == (
            gettext.GNUTranslations(expected)._catalog
        ), f"run: manage.py compilemessages (stale {catalogue.with_suffix('.mo')})"


def _made_up(field) -> bool:
    """Whether Django made the field's name from its code name (nobody wrote one to translate)."""
    return str(field.verbose_name) == field.name.replace("_", " ")


@pytest.mark.any_database
def test_every_field_a_page_may_name_has_a_translated_name():
    """The column chooser offers every concrete field of an entity; filters and forms name
    theirs. Each needs a name written (and translated), or the Hebrew page shows English."""
    skipped = {"id", "custom", "password", "version", "path", "key_hash"}
    unnamed = []
    with translation.override("he"):
        for entity in registry.all():
            for field in entity.model._meta.concrete_fields:
                if field.name in skipped:
                    continue
                if _made_up(field) or not re.search(r"[\u0590-\u05ff]", str(field.verbose_name)):
                    unnamed.append(f"{entity.key}.{field.name}: {field.verbose_name!r}")
    assert not unnamed, "\n".join(unnamed)


# What a new user found in English on Hebrew pages (issue 14 item 7), each where it was.
OFFENDERS = {
    "/r/choices/": (">Parent</",),
    "/r/choices/new/": (">Parent</",),
    "/r/custom-fields/": (">Created at</",),
    "/r/custom-fields/new/": ("null</textarea>",),
    "/r/task-templates/": (">Last assignee</",),
    "/r/automation-rules/": (">Webhook token hash</", ">Scanned until</"),
    "/automation/processes/": (": tickets.",),
    "/automation/rules/new/": ('aria-label="breadcrumb"',),
}


@pytest.mark.django_db
@pytest.mark.parametrize("url", OFFENDERS)
def test_hebrew_pages_have_lost_their_english_words(url, users, client_for):
    page = client_for(users["admin"]).get(url).content.decode()
    assert '<html lang="he" dir="rtl">' in page
    for word in OFFENDERS[url]:
        assert word not in page


@pytest.mark.django_db
def test_the_filter_builder_gets_its_words_from_the_page(users, client_for):
    """The builder's script writes its rows itself; the words it writes come with the page."""
    page = client_for(users["admin"]).get("/r/accounts/").content.decode()
    found = re.search(r'id="filter-builder-data" type="application/json">([^<]*)<', page)
    data = json.loads(found[1])
    assert data["labels"]["field"] == "שדה"
    assert data["labels"]["remove"] == "הסרת התנאי"
    assert all(re.search(r"[\u0590-\u05ff]", label) for label in data["labels"].values())
    script = (KESHER / "static" / "kesher" / "kesher.js").read_text()
    assert not re.search(r'setAttribute\("aria-label", "[A-Za-z]', script)
