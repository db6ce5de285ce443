"""Other spellings of a name: accents stripped, the other tone style, mojibake and its
repair, Title Case, and the canonical form the tool suggests.

May import ``tables`` (the tone styles) and the standard library.
"""

from __future__ import annotations

import unicodedata
from functools import cache

from cleanse.sample import tables as nm


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", plain.replace("đ", "d").replace("Đ", "D"))


def _flip_tone(text: str) -> str:
    both = {**nm.TONE_STYLE, **{v: k for k, v in nm.TONE_STYLE.items()}}
    return " ".join(both.get(w, w) for w in text.split(" "))


def _mojibake(text: str) -> str:
    """The text's UTF-8 bytes read as cp1252 (latin-1 for the five bytes it leaves out)."""
    out = []
    for b in text.encode("utf-8"):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out)


def _undo_mojibake(text: str) -> str:
    """The text that ``_mojibake`` garbled."""
    return bytes(ord(c) if ord(c) < 256 else c.encode("cp1252")[0] for c in text).decode()


def _title(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in text.split(" "))


@cache
def _old_style() -> dict[str, str]:
    """New-style tone placements of the name words, Title Case and CAPITALS, to the old
    (canonical) one: Thuỷ → Thủy, THUỶ → THỦY."""
    return {
        w: o
        for old, new in nm.TONE_STYLE.items()
        for w, o in ((new, old), (new.upper(), old.upper()))
    }


def _canonical(text: str) -> str:
    """A name with the canonical tone placement, as the tool suggests names (the people
    who write the new style, Thuỷ, have it in every extract)."""
    return " ".join(_old_style().get(w, w) for w in text.split(" "))


def _normal_name(text: str) -> str:
    """What ``name.format`` suggests: NFC, spaces collapsed, canonical tone placement,
    Title Case unless the name is Title Case or CAPITALS."""
    clean = " ".join(unicodedata.normalize("NFC", text).split())
    return _canonical(clean if clean.istitle() or clean.isupper() else _title(clean))
