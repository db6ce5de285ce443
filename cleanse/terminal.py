"""What reaches a terminal: names made safe to print, and consoles that cannot show Vietnamese.

Every file name, header, sheet name or path that cleanse prints goes through
:func:`printable` (error lines through ``CleanseError.line``), so a name holding a line
break or an escape sequence shows as ``\\n`` or ``\\x1b`` and can neither split a line
nor drive the terminal. :func:`guard_streams` makes stdout and stderr fold Vietnamese to
ASCII when their encoding cannot show it (``PYTHONIOENCODING=latin-1``, an old Windows
code page), instead of failing with ``UnicodeEncodeError``.
"""

from __future__ import annotations

import io
import re
import sys
import unicodedata
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

# C0 and C1 controls and DEL; line and paragraph separators; the bidirectional overrides
# and isolates, which can make a name read backwards ("Trojan Source"); lone surrogates,
# which is how Python hands over the bytes of a file name that is not UTF-8.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the file name's own byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``text`` with control characters escaped: ``a\\nb\\x1b[31m.csv`` stays on one line.

    Backslashes are left alone, so escaping twice changes nothing.
    """
    return _UNSAFE.sub(_escape, str(text))


def for_rich(text: object) -> str:
    """:func:`printable`, with rich markup escaped: a name like ``[red]x.csv`` is shown as is."""
    from rich.markup import escape

    return escape(printable(text))


# --- consoles that cannot show Vietnamese --------------------------------------------------

# đ has no accent to drop: it is a letter of its own. Punctuation rich and the messages
# use is given its ASCII form rather than a question mark.
_FOLD = str.maketrans(
    {"đ": "d", "Đ": "D", "…": "...", "→": "->", "—": "-", "–": "-", "“": '"', "”": '"',
     "‘": "'", "’": "'", "\u00a0": " "}
)  # fmt: skip
_SAMPLE = "Nguyễn Văn Đức, Nữ"  # letters of every kind Vietnamese needs


def fold_ascii(text: str) -> str:
    """Vietnamese in plain ASCII: accents dropped, ``đ`` → ``d``; anything else ``?``."""
    parts = unicodedata.normalize("NFD", text.translate(_FOLD))
    bare = "".join(c for c in parts if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare).encode("ascii", "replace").decode("ascii")


def can_show_vietnamese(stream: Any) -> bool:
    """Whether ``stream``'s encoding holds Vietnamese letters."""
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        _SAMPLE.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class _FoldingWriter(io.TextIOWrapper):
    """A text stream that writes Vietnamese folded to ASCII (``Nữ`` → ``Nu``).

    It keeps the stream's encoding name, so click and rich take it as it is (rich then
    draws tables with ASCII lines), and only ever writes ASCII, which every code page has.
    """

    def write(self, text: str) -> int:
        return super().write(fold_ascii(text))


_KEPT: list[TextIO] = []  # the original streams, so that closing them never closes ours


def guard_streams() -> None:
    """Fold stdout and stderr to ASCII where their encoding cannot show Vietnamese."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, _FoldingWriter) or can_show_vietnamese(stream):
            continue
        buffer = getattr(stream, "buffer", None)
        if buffer is None:
            continue  # not a real file (a test harness): left as it is
        stream.flush()
        _KEPT.append(stream)
        setattr(
            sys,
            name,
            _FoldingWriter(
                buffer,
                encoding=stream.encoding,
                errors="replace",
                line_buffering=getattr(stream, "line_buffering", False),
                write_through=True,
            ),
        )


def console(stderr: bool = True) -> Console:
    """A rich console for terminal output (stderr by default, never into files). Made
    afresh on each call: a console reads the terminal's width (``COLUMNS``) when made,
    and one process may run several commands (the API, tests)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)
