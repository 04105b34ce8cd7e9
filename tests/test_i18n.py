"""Choosing the course's language: from a notebook, a locale name, a block; and a check that
answers in the notebook's language unless told otherwise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lessonlib import i18n
from lessonlib.homework import check


@pytest.fixture(autouse=True)
def english_afterwards() -> Iterator[None]:
    yield
    i18n.use("en")


@pytest.mark.parametrize(
    ("value", "language"),
    [
        ("ru", "ru"),
        ("ru_RU.UTF-8", "ru"),
        ("ru_RU", "ru"),
        ("RU", "ru"),
        ("en", "en"),
        ("en_US.UTF-8", "en"),
        ("C.UTF-8", "en"),
        ("C", "en"),
        ("POSIX", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_a_language_or_locale_name_gives_the_course_language(value, language) -> None:
    assert i18n.language_of(value) == language


def test_a_language_the_course_lacks_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match=r"'de_DE\.UTF-8'"):
        i18n.language_of("de_DE.UTF-8")


def test_tr_speaks_the_language_chosen_and_a_block_overrides_it() -> None:
    message = "attempts made: {count}"
    assert i18n.tr(message, count=3) == "attempts made: 3"
    i18n.use("ru")
    assert i18n.tr(message, count=3) == "сделано попыток: 3"
    with i18n.speaking("en"):
        assert i18n.tr(message, count=3) == "attempts made: 3"
    assert i18n.tr(message, count=3) == "сделано попыток: 3"


def test_a_message_without_a_translation_shows_in_english() -> None:
    i18n.use("ru")
    assert i18n.tr("no such message {x}", x=1) == "no such message 1"


def test_a_text_is_translated_when_shown_and_keeps_its_english() -> None:
    text = i18n.Text("the waits are capped at 30 s")
    with i18n.speaking("ru"):
        assert str(text) == "задержка не больше 30 с"
    assert str(text) == text.english == "the waits are capped at 30 s"


class NotYet:
    """A homework cell as the student finds it."""

    def __init__(self, connect, symbol, on_price, log_state): ...

    async def run(self):
        raise NotImplementedError


def test_a_russian_notebooks_check_answers_in_russian_and_lang_switches_it() -> None:
    i18n.use("ru")  # what the Russian notebook's language cell does
    russian = check("task1", {"FeedClient": NotYet})
    english = check("task1", {"FeedClient": NotYet}, lang="en")
    assert russian.language == "ru" and str(russian).startswith("Задание 1: простой реконнект")
    assert "ещё не написано" in str(russian) and "баллов" in russian._repr_html_()
    assert english.language == "en" and str(english).startswith("Task 1: basic reconnect")
    assert [c.key for c in russian.checks] == [c.name for c in english.checks]
    assert [c.points for c in russian.checks] == [c.points for c in english.checks]
    assert i18n.current() == "ru"  # lang= changed this one check, not the notebook


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "en"),
        ({"LANG": "ru_RU.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),
        ({"LANGUAGE": "de:ru", "LANG": "en_US.UTF-8"}, "ru"),
        ({}, "en"),
    ],
)
def test_a_terminal_program_speaks_the_locales_language(environ, language) -> None:
    assert i18n.from_environment(environ) == language


def test_the_exchange_console_answers_in_russian_when_asked(tmp_path) -> None:
    from lessonlib.exchange.console import help_text, parse_command

    with i18n.speaking("ru"):
        assert help_text().startswith("команды:\n  drop       оборвать все соединения")
        with pytest.raises(ValueError, match="неизвестная команда 'bogus'"):
            parse_command("bogus")
    assert help_text().startswith("commands:\n  drop       end every connection")
