"""The message catalogue: the lines cleanse says, in English and in Vietnamese.

A message is written in the code in English; that text is its key (a gettext
``msgid``). The Vietnamese wording lives in ``cleanse/locale/vi/LC_MESSAGES/cleanse.po``,
the one file a Vietnamese speaker edits to correct it; ``cleanse.mo`` beside it is
compiled from it (``python scripts/catalogue.py compile``), and the catalogue test fails
when a message of the code is missing from it or the two files differ.

A message with parts that vary is a :class:`Msg`: a template and its values, turned into
text only when it is said, in the language of the moment. So an error raised deep in the
reader is worded when the CLI prints it, in the run's ``--lang``.

The language of the moment is ``vi`` (SPEC §2) unless :func:`using` or
:func:`set_language` says otherwise; the CLI sets it from ``--lang``, else
``CLEANSE_LANG``, before options are parsed. Imports nothing of cleanse.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import gettext
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

LANGS = ("vi", "en")
DEFAULT = "vi"
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "cleanse"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("cleanse_lang", default=DEFAULT)


def N_(text: str) -> str:
    """Mark ``text`` as a message to be translated where it is said (not here)."""
    return text


class Msg:
    """A message template with its values, worded when said: ``msg("is {what}", what=…)``.

    Values that are themselves messages are worded in the same language.
    """

    __slots__ = ("template", "values")

    def __init__(self, template: str, **values: Any) -> None:
        self.template = template
        self.values = values

    def say(self, lang: str | None = None) -> str:
        """The message in ``lang`` (default: the language of the moment)."""
        text = translate(self.template, lang)
        if not self.values:
            return text
        values = {k: say(v, lang) if isinstance(v, Msg) else v for k, v in self.values.items()}
        return text.format(**values)

    def __str__(self) -> str:
        return self.say()

    def __repr__(self) -> str:
        return f"Msg({self.template!r}, **{self.values!r})"


msg = Msg


def say(text: str | Msg, lang: str | None = None) -> str:
    """A message or a plain msgid worded in ``lang`` (default: the language of the moment)."""
    if isinstance(text, Msg):
        return text.say(lang)
    return translate(text, lang)


def translate(text: str, lang: str | None = None) -> str:
    """``text`` (an English msgid) in ``lang``; itself when the catalogue lacks it."""
    if not text:
        return text
    return catalogue(lang or _current.get()).gettext(text)


def plural(one: str, many: str, n: int, lang: str | None = None) -> str:
    """The singular or plural msgid worded in ``lang``, for ``n``."""
    return catalogue(lang or _current.get()).ngettext(one, many, n)


@functools.cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``lang``; English (the msgids) needs none."""
    if lang == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def language() -> str:
    """The language of the moment."""
    return _current.get()


def set_language(lang: str) -> None:
    """Make ``lang`` the language of the moment (the CLI, once per process)."""
    _current.set(lang if lang in LANGS else DEFAULT)


@contextlib.contextmanager
def using(lang: str) -> Iterator[None]:
    """Say everything in ``lang`` inside the block (a batch job in its own language)."""
    token = _current.set(lang if lang in LANGS else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def language_from(args: Sequence[str], environ: os._Environ[str] | dict[str, str]) -> str:
    """The language a command line asks for: ``--lang X`` or ``--lang=X`` anywhere, else
    ``CLEANSE_LANG``, else Vietnamese. Read before click parses anything, so that its own
    errors (a mistyped option) are worded in it too."""
    chosen = None
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and i + 1 < len(args):
            chosen = args[i + 1]
        elif arg.startswith("--lang="):
            chosen = arg.split("=", 1)[1]
    if chosen not in LANGS:
        chosen = environ.get("CLEANSE_LANG", "").strip().lower()[:2]
    return chosen if chosen in LANGS else DEFAULT


def word_click() -> None:
    """Have click's own messages (a mistyped option, a value out of range) looked up in
    this catalogue, in the language of the moment.

    click words them through module-level ``gettext`` functions bound at import; its
    modules are given this catalogue's instead. Its msgids are in ``cleanse.po``.
    """
    import click.core
    import click.decorators
    import click.exceptions
    import click.formatting
    import click.parser
    import click.types

    def _(text: str) -> str:
        return translate(text)

    def ngettext(one: str, many: str, n: int) -> str:
        return plural(one, many, n)

    for module in (
        click.core,
        click.decorators,
        click.exceptions,
        click.formatting,
        click.parser,
        click.types,
    ):
        if hasattr(module, "_"):
            module._ = _  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
