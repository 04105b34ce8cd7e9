"""Where the editions live, what a translator translates in each English source, and the
Russian notebook made from an English one and its catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat

from .. import i18n
from . import catalogs, code, markdown

ROOT = i18n.LOCALE.parent
FOLDERS = ("notebooks", "exercises")
LIBRARY = ROOT / "lessonlib"
LANGUAGE = "ru"
# The one code cell a Russian notebook has that its English one has not.
LANGUAGE_CELL_ID = "language"
LANGUAGE_CELL = {
    "ru": "from lessonlib import i18n\n\n"
    'i18n.use("ru")  # язык ноутбука: текст, проверки и графики',
}


def messages_folder(language: str = LANGUAGE) -> Path:
    return i18n.LOCALE / language / "LC_MESSAGES"


def library_catalog(language: str = LANGUAGE) -> Path:
    """The catalog of every message the library shows."""
    return messages_folder(language) / "lessonlib.po"


def english_notebooks() -> list[Path]:
    """The English lessons and homework, the sources of the other editions."""
    return sorted(path for folder in FOLDERS for path in (ROOT / folder).glob("*.ipynb"))


def catalog_for(english: Path, language: str = LANGUAGE) -> Path:
    """An English notebook's catalog: its Markdown, its comments, its ``tr`` messages."""
    relative = english.relative_to(ROOT)
    return messages_folder(language) / relative.parent / f"{english.stem}.po"


def edition_of(english: Path, language: str = LANGUAGE) -> Path:
    """Where the generated notebook in ``language`` is written: a folder beside the English."""
    return english.parent / language / english.name


def translated_notebooks(language: str = LANGUAGE) -> list[Path]:
    """The English notebooks that have a catalog in ``language``, so an edition in it."""
    return [path for path in english_notebooks() if catalog_for(path, language).exists()]


def notebook_messages(english: Path) -> list[catalogs.Wanted]:
    """What a translator translates in an English notebook, cell by cell."""
    relative = english.relative_to(ROOT).as_posix()
    notebook = nbformat.read(english, as_version=4)
    rows = []
    for index, cell in enumerate(notebook.cells):
        place = str(index)
        if cell.cell_type == "markdown":
            for block in markdown.blocks(cell.source):
                if markdown.has_words(block):
                    rows.append((block, relative, place, "Markdown, cell " + place, False))
        elif cell.cell_type == "code":
            for comment in code.comment_blocks(cell.source):
                rows.append((comment.message, relative, place, "a comment, cell " + place, False))
            for _, message in code.messages_called(cell.source):
                rows.append((message, relative, place, "shown by cell " + place, True))
    return catalogs.collect(rows)


def library_messages() -> list[catalogs.Wanted]:
    """Every message the library passes to ``tr`` or ``Text``."""
    rows = []
    for path in sorted(LIBRARY.rglob("*.py")):
        if path.name == "i18n.py" or "translation" in path.relative_to(LIBRARY).parts:
            continue  # the machinery itself, which passes messages on
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        try:
            found = code.messages_called(source)
        except ValueError as error:
            raise ValueError(f"{relative}: {error}") from None
        rows += [(message, relative, str(line), "", True) for line, message in found]
    return catalogs.collect(rows)


def generate(english: Path, language: str = LANGUAGE) -> nbformat.NotebookNode:
    """The notebook in ``language``: the English one with its prose and comments translated
    from the catalog (English where there is no current translation), its code unchanged,
    and the language chosen in a cell before the first code cell."""
    notebook = nbformat.read(english, as_version=4)
    found = catalogs.lookup(catalog_for(english, language))

    def translate(text: str) -> str:
        return found.get(text, text)

    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            parts = markdown.blocks(cell.source)
            cell.source = markdown.join(
                [translate(b) if markdown.has_words(b) else b for b in parts]
            )
        elif cell.cell_type == "code":
            cell.source = code.translate_comments(cell.source, translate)
    first_code = next(
        (i for i, c in enumerate(notebook.cells) if c.cell_type == "code"), len(notebook.cells)
    )
    chooser = nbformat.v4.new_code_cell(LANGUAGE_CELL[language])
    chooser.id = LANGUAGE_CELL_ID
    notebook.cells.insert(first_code, chooser)
    notebook.metadata.setdefault("reconnect_lab", {})["language"] = language
    return notebook


def serialize(notebook: nbformat.NotebookNode) -> str:
    """A notebook as the repository stores it."""
    return nbformat.writes(notebook) + "\n"


def write_editions(language: str = LANGUAGE) -> Iterator[Path]:
    """Generate every notebook that has a catalog; the paths written (changed or not)."""
    for english in translated_notebooks(language):
        target = edition_of(english, language)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = serialize(generate(english, language))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        yield target
