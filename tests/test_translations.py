"""The Russian edition never drifts from the English: every English text has a current
translation, every Russian notebook is what the generator makes now, and its code is the
English notebook's token for token (see locale/README.md)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import polib
import pytest

from lessonlib.translation import catalogs, code, edition, markdown

ROOT = edition.ROOT
TRANSLATED = edition.translated_notebooks()
IDS = [str(path.relative_to(ROOT)) for path in TRANSLATED]
FIX = "translate it in the catalog, then `make translations` (locale/README.md)"


def _listing(problems: list[catalogs.Problem]) -> str:
    return "\n".join(f"  {problem}" for problem in problems)


def test_every_library_message_has_a_current_russian_translation() -> None:
    wanted = [w.msgid for w in edition.library_messages()]
    assert wanted, "no message of the library is marked with tr() or Text()"
    found = catalogs.problems(edition.library_catalog(), wanted)
    assert not found, f"{len(found)} library message(s) lack a translation; {FIX}:\n" + _listing(
        found
    )


@pytest.mark.parametrize("english", TRANSLATED, ids=IDS)
def test_every_english_text_of_the_notebook_has_a_current_russian_translation(
    english: Path,
) -> None:
    catalog = edition.catalog_for(english)
    found = catalogs.problems(catalog, [w.msgid for w in edition.notebook_messages(english)])
    assert not found, (
        f"{len(found)} text(s) of {english.name} lack a current translation in "
        f"{catalog.relative_to(ROOT)}; {FIX}:\n" + _listing(found)
    )


@pytest.mark.parametrize("english", TRANSLATED, ids=IDS)
def test_the_russian_notebook_is_what_the_generator_makes_now(english: Path) -> None:
    stored = edition.edition_of(english)
    assert stored.exists(), f"{stored.relative_to(ROOT)} is missing: run `make translations`"
    made = edition.serialize(edition.generate(english))
    assert stored.read_text(encoding="utf-8") == made, (
        f"{stored.relative_to(ROOT)} is not what {english.name} and its catalog make now: "
        "the English or the catalog changed after it was generated (or it was edited by hand); "
        "run `make translations`"
    )


@pytest.mark.parametrize("english", TRANSLATED, ids=IDS)
def test_the_russian_notebook_runs_the_english_code(english: Path) -> None:
    """Only prose, comments and the language cell differ; labels are `tr` calls that both
    notebooks share."""
    original = nbformat.read(english, as_version=4)
    russian = nbformat.read(edition.edition_of(english), as_version=4)
    chooser = [c for c in russian.cells if c.get("id") == edition.LANGUAGE_CELL_ID]
    assert len(chooser) == 1 and chooser[0].source == edition.LANGUAGE_CELL["ru"]
    cells = [c for c in russian.cells if c.get("id") != edition.LANGUAGE_CELL_ID]
    assert [c.cell_type for c in cells] == [c.cell_type for c in original.cells]
    for index, (theirs, ours) in enumerate(zip(cells, original.cells, strict=True)):
        assert theirs.get("metadata") == ours.get("metadata"), f"cell {index}: metadata"
        if ours.cell_type == "code":
            assert code.code_tokens(theirs.source) == code.code_tokens(ours.source), (
                f"cell {index} of {edition.edition_of(english).name}: its code differs from "
                f"the English {english.name}'s beyond comments"
            )
    assert russian.metadata["reconnect_lab"]["language"] == "ru"


@pytest.mark.parametrize("english", TRANSLATED, ids=IDS)
def test_the_russian_notebook_is_in_russian(english: Path) -> None:
    """A generated notebook whose catalog is empty would pass the tests above in English."""
    russian = nbformat.read(edition.edition_of(english), as_version=4)
    prose = [c.source for c in russian.cells if c.cell_type == "markdown"]
    assert prose and all(_cyrillic(text) for text in prose)


def test_no_russian_notebook_lacks_its_english_source_and_catalog() -> None:
    made = {edition.edition_of(path) for path in TRANSLATED}
    stored = {path for folder in edition.FOLDERS for path in (ROOT / folder / "ru").glob("*.ipynb")}
    assert stored == made, f"without a catalog: {sorted(map(str, stored - made))}"


def test_the_whole_course_has_a_russian_edition() -> None:
    missing = [str(p.relative_to(ROOT)) for p in edition.english_notebooks() if p not in TRANSLATED]
    if missing:
        pytest.skip(f"not translated yet: {', '.join(missing)}")


def test_a_changed_english_paragraph_is_caught_until_its_translation_is_updated(
    tmp_path: Path,
) -> None:
    """The drift test's own test: change one English paragraph, update the catalog as
    `make translations` does, and the paragraph shows as fuzzy with its old translation."""
    english = TRANSLATED[0]
    notebook = nbformat.read(english, as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "markdown")
    first = markdown.blocks(cell.source)[0]
    catalog = tmp_path / "catalog.po"
    catalog.write_bytes(edition.catalog_for(english).read_bytes())
    wanted = edition.notebook_messages(english)
    revised = [
        catalogs.Wanted(first + " (revised)" if w.msgid == first else w.msgid) for w in wanted
    ]
    assert not catalogs.problems(catalog, [w.msgid for w in wanted])
    changes = catalogs.update(catalog, revised)
    found = catalogs.problems(catalog, [w.msgid for w in revised])
    assert changes.fuzzy == 1 and changes.obsolete == 0  # the old entry lives on as #| msgid
    assert [p.msgid for p in found] == [first + " (revised)"]
    entry = polib.pofile(str(catalog)).find(first + " (revised)")
    assert entry.previous_msgid == first and _cyrillic(entry.msgstr)


def test_a_translation_must_keep_the_fields_of_its_english(tmp_path: Path) -> None:
    catalog = tmp_path / "fields.po"
    catalogs.update(catalog, [catalogs.Wanted("{n} attempts", template=True)])
    po = polib.pofile(str(catalog))
    po[0].msgstr = "{count} попыток"
    po.save()
    assert [p.why for p in catalogs.problems(catalog, ["{n} attempts"])] == [
        "fields ['count'] != ['n']"
    ]


def _cyrillic(text: str) -> bool:
    return any("а" <= c.lower() <= "я" or c in "ёЁ" for c in text)
