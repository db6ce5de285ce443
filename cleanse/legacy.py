"""Legacy 8-bit Vietnamese fonts: TCVN3 (ABC) and VNI-Windows (DOMAIN.md §7.3).

Before Unicode, Vietnamese offices typed with fonts that drew Vietnamese letters over the
Latin-1 code points. Read as Latin-1/cp1252, such text shows ``NguyÔn V¨n`` (TCVN3) or
``Nguyeãn Vaên`` (VNI). This module:

- holds both character maps (written here from the published tables, nothing fetched);
- generates the set of valid toneless Vietnamese syllables from rules (onset × rhyme,
  :data:`SYLLABLES`) and checks a token's tone against its rhyme;
- scores a candidate conversion by the share of the affected tokens that become valid
  syllables, against the share that already were (clean Unicode already is);
- converts whole columns (:func:`convert`).

Conversion is one ``str.translate`` pass per distinct non-ASCII value (a C loop over a
fixed table); ASCII values, which every scheme leaves alone, are skipped by an Arrow
kernel. VNI's separate mark bytes become combining marks, composed by an Arrow NFC pass.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

SCHEMES = ("tcvn3", "vni")

# --- TCVN3 (ABC, TCVN 5712:1993 "VN3") ------------------------------------------------
# One byte per precomposed lowercase letter; in the ordinary font only Ă Â Ê Ô Ơ Ư Đ have
# capitals (0xA1-0xA7). The "H" fonts (.VnTimeH) draw the lowercase codes as capitals.
_TCVN3_BYTES: dict[int, str] = {
    0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
    0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
    0xB5: "à", 0xB6: "ả", 0xB7: "ã", 0xB8: "á", 0xB9: "ạ",
    0xBB: "ằ", 0xBC: "ẳ", 0xBD: "ẵ", 0xBE: "ắ", 0xC6: "ặ",
    0xC7: "ầ", 0xC8: "ẩ", 0xC9: "ẫ", 0xCA: "ấ", 0xCB: "ậ",
    0xCC: "è", 0xCE: "ẻ", 0xCF: "ẽ", 0xD0: "é", 0xD1: "ẹ",
    0xD2: "ề", 0xD3: "ể", 0xD4: "ễ", 0xD5: "ế", 0xD6: "ệ",
    0xD7: "ì", 0xD8: "ỉ", 0xDC: "ĩ", 0xDD: "í", 0xDE: "ị",
    0xDF: "ò", 0xE1: "ỏ", 0xE2: "õ", 0xE3: "ó", 0xE4: "ọ",
    0xE5: "ồ", 0xE6: "ổ", 0xE7: "ỗ", 0xE8: "ố", 0xE9: "ộ",
    0xEA: "ờ", 0xEB: "ở", 0xEC: "ỡ", 0xED: "ớ", 0xEE: "ợ",
    0xEF: "ù", 0xF1: "ủ", 0xF2: "ũ", 0xF3: "ú", 0xF4: "ụ",
    0xF5: "ừ", 0xF6: "ử", 0xF7: "ữ", 0xF8: "ứ", 0xF9: "ự",
    0xFA: "ỳ", 0xFB: "ỷ", 0xFC: "ỹ", 0xFD: "ý", 0xFE: "ỵ",
}  # fmt: skip
# Bytes 0xA0-0xFF decode alike in Latin-1 and cp1252, so one table serves both readings.
TCVN3: dict[str, str] = {chr(b): u for b, u in _TCVN3_BYTES.items() if chr(b) != u}

# --- VNI-Windows -------------------------------------------------------------------
# ASCII base letter followed by a mark byte; ơ ư đ and the toned i/ỵ are single bytes.
# Marks map to Unicode combining marks, composed by NFC afterwards.
_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT = "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"
_CIRC, _BREVE = "\u0302", "\u0306"
_VNI_LOWER: dict[str, str] = {
    "ø": _GRAVE, "ù": _ACUTE, "û": _HOOK, "õ": _TILDE, "ï": _DOT,
    "â": _CIRC, "à": _CIRC + _GRAVE, "á": _CIRC + _ACUTE, "å": _CIRC + _HOOK,
    "ã": _CIRC + _TILDE, "ä": _CIRC + _DOT,
    "ê": _BREVE, "è": _BREVE + _GRAVE, "é": _BREVE + _ACUTE, "ú": _BREVE + _HOOK,
    "ü": _BREVE + _TILDE, "ë": _BREVE + _DOT,
    "ô": "ơ", "ö": "ư", "ñ": "đ",
    "ì": "ì", "í": "í", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ",
}  # fmt: skip
VNI: dict[str, str] = {}
for _k, _v in _VNI_LOWER.items():
    VNI[_k] = _v
    VNI[_k.upper()] = _v.upper()  # capitals: Ø Ù … Â Ê … Ô=Ơ Ö=Ư Ñ=Đ Ò=Ị
VNI = {k: v for k, v in VNI.items() if k != v}

_TABLES = {"tcvn3": str.maketrans(TCVN3), "vni": str.maketrans(VNI)}
_SOURCES = {"tcvn3": frozenset(TCVN3), "vni": frozenset(VNI)}

# --- Vietnamese syllables, generated from rules ------------------------------------
# A syllable is onset + rhyme (+ one tone). Spelling rules (c/k/q, g/gh, ng/ngh) are not
# enforced: the set is for telling Vietnamese from font garbage, where a little
# over-acceptance costs nothing.
ONSETS = (
    "", "b", "c", "ch", "d", "đ", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng",
    "ngh", "nh", "p", "ph", "q", "qu", "r", "s", "t", "th", "tr", "v", "x",
)  # fmt: skip
_OPEN = (
    "a", "e", "ê", "i", "y", "o", "ô", "ơ", "u", "ư", "ai", "ao", "au", "ay", "âu", "ây",
    "eo", "êu", "ia", "iu", "oa", "oe", "oi", "ôi", "ơi", "ua", "uê", "ui", "uơ", "uy",
    "ưa", "ưi", "ưu", "uya", "iêu", "yêu", "oai", "oao", "oay", "oeo", "uây", "uôi",
    "ươi", "ươu", "uyu",
)  # fmt: skip
# Nucleus (with its medial) -> the codas it takes.
_CODAS = {
    "a": "m n ng nh p t c ch",
    "ă": "m n ng p t c",
    "â": "m n ng p t c",
    "e": "m n ng p t c",
    "ê": "m n nh p t ch",
    "i": "m n nh p t ch",
    "y": "m n nh p t ch",
    "o": "m n ng p t c",
    "oo": "ng c",
    "ô": "m n ng p t c",
    "ơ": "m n p t",
    "u": "m n ng p t c",
    "ư": "m n ng t c",
    "iê": "m n ng p t c u",
    "yê": "m n ng p t c u",
    "ươ": "m n ng p t c i u",
    "uô": "m n ng t c i",
    "oa": "m n ng nh p t c ch i o y",
    "oă": "m n ng t c",
    "oe": "m n ng t o",
    "uê": "nh ch n",
    "uâ": "n ng t y",
    "uy": "n nh t ch p u",
    "uyê": "n t",
    "uơ": "m n",
}
RHYMES: frozenset[str] = frozenset(_OPEN) | frozenset(
    nucleus + coda for nucleus, codas in _CODAS.items() for coda in codas.split()
)
SYLLABLES: frozenset[str] = frozenset(o + r for o in ONSETS for r in RHYMES)
_TONES = {_GRAVE, _ACUTE, _HOOK, _TILDE, _DOT}
_STOP = ("p", "t", "c", "ch")
_WORD = re.compile(r"[^\W\d_]+")
_UPPER2 = re.compile(r"[A-Z]{2}")
_LOWER = re.compile(r"[a-z]")


@functools.lru_cache(maxsize=65536)
def is_syllable(token: str) -> bool:
    """Whether ``token`` (any case, any tone placement) spells a Vietnamese syllable."""
    parts = unicodedata.normalize("NFD", token.lower())
    tones = [c for c in parts if c in _TONES]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
    if bare not in SYLLABLES:
        return False
    # Syllables closed by a stop take only the acute or the dot-below tone.
    return not (bare.endswith(_STOP) and tones and tones[0] not in (_ACUTE, _DOT))


# --- scoring and detection -----------------------------------------------------------

MIN_TOKENS = 3  # fewer affected words than this decide nothing
MIN_SHARE = 0.7  # share of affected words that must be syllables after conversion
MIN_GAIN = 0.25  # share that must be syllables only after it (clean Unicode: ~0)


def _convert_text(text: str, scheme: str) -> str:
    out = text.translate(_TABLES[scheme])
    if scheme == "vni":
        return unicodedata.normalize("NFC", out)
    if out != text and _UPPER2.search(text) and not _LOWER.search(text):
        # All-caps text typed in a TCVN3 "H" font (.VnTimeH draws the lowercase codes as
        # capitals): its Vietnamese letters came out lowercase. Judged on the whole value,
        # from two ASCII capitals in a row and no ASCII lowercase, so that "N÷" (Nữ) and
        # "Lª Hµ" (Lê Hà: each word a capital and a Vietnamese letter) stay as typed.
        out = out.upper()
    return out


def score(texts: Iterable[str], scheme: str) -> tuple[int, float, int]:
    """(affected words, share valid after conversion, words valid only after it).

    Only words the scheme changes count: ASCII words read the same in every scheme. A
    word that was already a syllable (``Hòa``, or VNI ``THÒ`` = THỊ) is no evidence.
    """
    sources = _SOURCES[scheme]
    affected = after = gained = 0
    for text in texts:
        for word in _WORD.findall(text):
            if not any(c in sources for c in word):
                continue
            affected += 1
            converted = _convert_text(word, scheme)
            valid = all(is_syllable(w) for w in _WORD.findall(converted))
            after += valid
            gained += valid and not is_syllable(word)
    if not affected:
        return 0, 0.0, 0
    return affected, after / affected, gained


def detect_legacy(sample_texts: Iterable[str], min_tokens: int = MIN_TOKENS) -> str | None:
    """``"tcvn3"``, ``"vni"`` or None: the legacy font the texts were typed in, if any.

    Conservative: a scheme is chosen only when at least ``min_tokens`` words become
    Vietnamese syllables that were not before, and most affected words end as
    syllables (clean Unicode Vietnamese and plain ASCII give None).
    """
    texts = [t for t in sample_texts if isinstance(t, str) and t and not t.isascii()]
    best, best_share = None, 0.0
    for scheme in SCHEMES:
        n, after, gained = score(texts, scheme)
        strong = gained >= min_tokens and gained >= MIN_GAIN * n and after >= MIN_SHARE
        if strong and after > best_share:
            best, best_share = scheme, after
    return best


def convert_text(text: str, scheme: str) -> str:
    """One string from ``scheme`` to NFC Unicode."""
    if scheme not in _TABLES:
        raise ValueError(f"unknown legacy scheme {scheme!r}")
    return _convert_text(text, scheme)


def convert(values: pd.Series, scheme: str) -> pd.Series:
    """A text column from ``scheme`` to NFC Unicode; ASCII and nulls pass unchanged."""
    if scheme not in _TABLES:
        raise ValueError(f"unknown legacy scheme {scheme!r}")
    arr = pa.array(values, from_pandas=True, type=pa.string())
    ascii_ = pc.fill_null(pc.string_is_ascii(arr), True)
    if pc.all(ascii_).as_py():
        return values
    texts = arr.to_pylist()
    flags = ascii_.to_pylist()
    cache: dict[str, str] = {}
    out: list[str | None] = []
    for t, plain in zip(texts, flags, strict=True):
        if plain:
            out.append(t)
            continue
        c = cache.get(t)  # type: ignore[arg-type]
        if c is None:
            c = cache[t] = _convert_text(t, scheme)  # type: ignore[index,arg-type]
        out.append(c)
    return pd.Series(pd.array(out, dtype=pd.StringDtype("pyarrow")), index=values.index)


def plan(
    headers: list[str], rows: list[list[str]], whole: str | None = None
) -> tuple[list[str], dict[int, str], str | None]:
    """What to convert in a table, judged on its header and a sample of its rows.

    Returns the headers converted, ``{column index: scheme}`` and the header's scheme.
    ``whole``: the scheme of a file whose every byte is in a legacy font (an 8-bit
    file), which applies to every column and the header.
    """
    if whole is not None:
        return (
            [convert_text(h, whole) for h in headers],
            dict.fromkeys(range(len(headers)), whole),
            whole,
        )
    columns: dict[int, str] = {}
    for i in range(len(headers)):
        scheme = detect_legacy(r[i] for r in rows if i < len(r))
        if scheme is not None:
            columns[i] = scheme
    # A header row is short: two words becoming syllables decide it.
    head = detect_legacy(headers, min_tokens=2)
    if head is not None:
        headers = [convert_text(h, head) for h in headers]
    return headers, columns, head


# --- encoding (the reverse, for tests and round trips) -------------------------------

_TCVN3_REV = {u: chr(b) for b, u in _TCVN3_BYTES.items()}
_VNI_REV: dict[str, str] = {}


def _vni_reverse() -> dict[str, str]:
    if _VNI_REV:
        return _VNI_REV
    marks = {
        "".join(sorted(v)): k for k, v in VNI.items() if all(unicodedata.combining(c) for c in v)
    }
    singles = {v: k for k, v in VNI.items() if not unicodedata.combining(v[0])}
    for ch in "ìíÌÍ":  # VNI keeps Latin-1's own ì í
        _VNI_REV[ch] = ch
    for cp in range(0x00C0, 0x1EFA):
        ch = chr(cp)
        if ch in _VNI_REV:
            continue
        if ch in singles:
            _VNI_REV[ch] = singles[ch]
            continue
        parts = unicodedata.normalize("NFD", ch)
        base, rest = parts[0], parts[1:]
        if not base.isascii() or not rest:
            continue
        upper = base.isupper()
        horn = "\u031b" in rest
        rest = rest.replace("\u031b", "")
        if horn:
            key = {"o": "ơ", "u": "ư", "O": "Ơ", "U": "Ư"}.get(base)
            if key is None:
                continue
            head = singles[key]
        else:
            head = base
        if not rest:
            _VNI_REV[ch] = head
            continue
        code = marks.get("".join(sorted(rest)))
        if code is None:
            continue
        _VNI_REV[ch] = head + (code.upper() if upper else code.lower())
    return _VNI_REV


def encode_text(text: str, scheme: str) -> str:
    """Unicode text as typed in ``scheme`` (as Latin-1 characters).

    TCVN3 has no capitals for most toned letters: they are written with the lowercase
    code (as an "H" font would), so only all-caps words come back as they were.
    Raises ValueError for a character the scheme cannot write.
    """
    text = unicodedata.normalize("NFC", text)
    table = _TCVN3_REV if scheme == "tcvn3" else _vni_reverse()
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif ch in table:
            out.append(table[ch])
        elif scheme == "tcvn3" and ch.lower() in table:
            out.append(table[ch.lower()])
        else:
            raise ValueError(f"{ch!r} cannot be written in {scheme}")
    return "".join(out)


__all__ = [
    "RHYMES",
    "SCHEMES",
    "SYLLABLES",
    "convert",
    "convert_text",
    "detect_legacy",
    "encode_text",
    "is_syllable",
    "plan",
    "score",
]
