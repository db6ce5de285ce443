"""Vietnamese normalisation over whole columns (DOMAIN.md §7).

Every function takes a pandas Series of text and returns new Series beside it: the raw
value is never overwritten, because findings show the value as it was read. The work is
done by pyarrow compute kernels, one pass per column, never a Python loop over rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping, Sequence
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.i18n import msg

# Spaces a keyboard, a web form or Word leaves in names: no-break, narrow no-break,
# figure, ideographic and the zero-width family. The zero-width ones are removed, the
# others become a plain space.
_ZERO_WIDTH = "[\u200b\u200c\u200d\u2060\ufeff\u00ad]"
_WIDE_SPACES = "[\u00a0\u2007\u202f\u3000\t\r\n\u2028\u2029]"


def to_arrow(values: pd.Series | pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The column as a pyarrow string array (zero-copy for Arrow-backed Series)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        arr = values
    else:
        arr = pa.array(values, from_pandas=True)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    return arr


def _text_series(arr: pa.Array | pa.ChunkedArray, index: pd.Index) -> pd.Series:
    # to_pandas gives a Series indexed 0..n-1: take its values, or pandas would align
    # them on the labels of ``index`` (a later chunk's names would all become NA).
    return pd.Series(
        arr.to_pandas(
            types_mapper={
                pa.string(): pd.StringDtype("pyarrow"),
                pa.large_string(): pd.StringDtype("pyarrow"),
            }.get
        ).array,
        index=index,
    )


def _index(values: pd.Series | pa.Array | pa.ChunkedArray) -> pd.Index:
    return values.index if isinstance(values, pd.Series) else pd.RangeIndex(len(values))


def _single(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    return arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr


def _repetitive(arr: pa.Array, probe: int = 4096) -> bool:
    """Whether the column repeats its values enough that working on them once pays."""
    if len(arr) < 2 * probe:
        return False
    head = arr.slice(0, probe)
    return len(pc.unique(head)) <= probe // 2


def by_value(
    arr: pa.Array | pa.ChunkedArray,
    fn: Callable[[pa.Array], pa.Array],
    *,
    always: bool = False,
) -> pa.Array:
    """``fn`` over the column, computed once per distinct value when values repeat.

    Dates, genders, wards and provinces repeat across a file: their few distinct values
    are worked on and the results put back by position. ``always`` skips the check, for
    work costly enough that the one hashing pass always pays (folding).
    """
    arr = _single(arr)
    if len(arr) and (always or _repetitive(arr)):
        enc = pc.dictionary_encode(arr)
        return pc.take(fn(enc.dictionary), enc.indices)
    return fn(arr)


def _nfc_unstable() -> str:
    """RE2 class of the code points NFC may change (packaged, made from unicodedata)."""
    text = (resources.files("cleanse") / "data" / "nfc_unstable.txt").read_text("utf-8")
    parts = []
    for line in text.splitlines():
        if line and not line.startswith("#"):
            a, _, b = line.partition("-")
            parts.append(f"\\x{{{a}}}-\\x{{{b}}}" if b else f"\\x{{{a}}}")
    return "[" + "".join(parts) + "]"


_NFC_UNSTABLE = _nfc_unstable()
# A value needs the space passes only when it has one of these; the rest pass unchanged.
_ODD_SPACES = f"{_ZERO_WIDTH}|{_WIDE_SPACES}| {{2}}"


def _where(arr: pa.Array, mask: pa.Array, fn: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``arr`` with ``fn`` applied to the values under ``mask`` only."""
    mask = pc.fill_null(mask, False)
    if not pc.any(mask).as_py():
        return arr
    return pc.replace_with_mask(arr, mask, fn(pc.filter(arr, mask)))


def _respace(arr: pa.Array) -> pa.Array:
    arr = pc.replace_substring_regex(arr, _ZERO_WIDTH, "")
    arr = pc.replace_substring_regex(arr, _WIDE_SPACES, " ")
    return pc.replace_substring_regex(arr, " {2,}", " ")


def _clean_values(arr: pa.Array) -> pa.Array:
    # The regex and NFC passes copy every value even when nothing changes, so each runs
    # only on the values that can change: a few in a real file.
    arr = _where(arr, pc.match_substring_regex(arr, _ODD_SPACES), _respace)
    arr = pc.utf8_trim_whitespace(arr)
    # NFC last: a zero-width character removed above may have stood between a letter
    # and its tone mark, which only now can be composed.
    arr = _where(
        arr,
        pc.match_substring_regex(arr, _NFC_UNSTABLE),
        lambda a: pc.utf8_normalize(a, "NFC"),
    )
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)


def not_nfc(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """True where the value is not in NFC (decomposed or otherwise changed by NFC)."""
    arr = _single(arr)
    out = np.zeros(len(arr), dtype=bool)
    maybe = pc.fill_null(pc.match_substring_regex(arr, _NFC_UNSTABLE), False)
    at = np.flatnonzero(maybe.to_numpy(zero_copy_only=False))
    if len(at):
        sub = pc.filter(arr, maybe)
        same = pc.fill_null(pc.equal(pc.utf8_normalize(sub, "NFC"), sub), True)
        out[at] = ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
    return out


def clean_arrow(arr: pa.Array | pa.ChunkedArray, *, repeats: bool | None = None) -> pa.Array:
    """Odd spaces made plain, runs of spaces collapsed, trimmed, NFC; empty becomes null.

    ``repeats`` says whether the column repeats its values (dates, genders: work once per
    distinct value) or not (ID numbers); by default a sample of the column decides.
    """
    if repeats is False:
        return _clean_values(_single(arr))
    return by_value(arr, _clean_values, always=bool(repeats))


def clean_text(values: pd.Series) -> pd.Series:
    """The value in NFC with spaces made plain and collapsed; empty or blank becomes NA."""
    return _text_series(clean_arrow(to_arrow(values)), _index(values))


# --- tone-mark placement (DOMAIN.md §7.2) ------------------------------------------

# The canonical placement is the old style, the default of Unikey and the spelling of
# the sample generator: in an open oa/oe/uy syllable the mark sits on the first vowel
# (hòa, khỏe, thúy). The passes below work on NFD text, where a tone is one combining
# mark after its vowel: moving it is swapping two code points. RE2 has no lookaround and
# an ASCII-only \b, so the word's end is matched (and put back) as a group.
_TONE = "[\u0300\u0301\u0303\u0309\u0323]"  # grave, acute, tilde, hook, dot below
_WORD_END = r"($|[^\p{L}\p{M}])"
# oa/oe: never after q (Vietnamese writes "qu"), so no group before the o.
_OA_OE = (rf"([oO])([aAeE])({_TONE}){_WORD_END}", r"\1\3\2\4")
# uy, not after q: in quý and Quỳnh the u belongs to the consonant.
_UY = (rf"([^qQ]|^)([uU])([yY])({_TONE}){_WORD_END}", r"\1\2\4\3\5")
# u + ơ before a final consonant or a vowel coda (a plain letter) is ươ typed without its
# first horn (Phuơng, ruợu); thuở and huơ end at the ơ and stay.
_UO = (rf"([^qQ]|^)([uU])([oO]\x{{31B}}{_TONE}?[nNcCtTmMpPiIuU])($|\P{{M}})", "\\1\\2\u031b\\3\\4")
# The values that can change, in NFC: a second vowel carrying a tone at a word's end,
# u + ơ before a coda, or any combining mark (decomposed text, composed on the way).
_TONE_CANDIDATE = (
    rf"[oO][àáảãạèéẻẽẹÀÁẢÃẠÈÉẺẼẸ]{_WORD_END}|[uU][ỳýỷỹỵỲÝỶỸỴ]{_WORD_END}"
    r"|[uU][ơờớởỡợƠỜỚỞỠỢ][nNcCtTmMpPiIuU]|\p{M}"
)


def _place_tones(arr: pa.Array) -> pa.Array:
    arr = pc.utf8_normalize(arr, "NFD")
    arr = pc.replace_substring_regex(arr, *_OA_OE)
    # Twice: a match takes the character before it and the one after, so of two
    # clusters side by side ("ủy ủy", "uơnuơn") the second is found only on the next pass.
    for pattern, to in (_UY, _UY, _UO, _UO):
        arr = pc.replace_substring_regex(arr, pattern, to)
    return pc.utf8_normalize(arr, "NFC")


def canonical_tones(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Names with one tone-mark placement: hoà → hòa, khoẻ → khỏe, THUỶ → THỦY, Phuơng →
    Phương (the old style, first vowel, of open oa/oe/uy; qu and gi left alone).

    Case is kept, nulls stay null, and the folded key does not change. Only the values
    that can change are worked on (they come out in NFC); the rest pass as they are.
    """
    arr = _single(to_arrow(arr))
    return _where(arr, pc.match_substring_regex(arr, _TONE_CANDIDATE), _place_tones)


def canonical_name(values: pd.Series) -> pd.Series:
    """The name as the tool writes it: cleaned (:func:`clean_text`), canonical tones."""
    arr = canonical_tones(clean_arrow(to_arrow(values)))
    return _text_series(arr, _index(values))


def exact_name(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The key exact name comparisons use, from a name in canonical form (``name_clean``,
    :func:`canonical_name`): lower case, H’Hen = H'Hen, digits and symbols dropped as in
    the folded key; null where the name has no Vietnamese marks (a system without
    diacritics wrote it: there is nothing to compare but the folded key)."""
    arr = pc.utf8_lower(_single(to_arrow(arr)))
    arr = _where(arr, pc.match_substring_regex(arr, r"[^\p{L}\p{M} '\-]|  |^ | $"), letters_only)
    plain = pc.fill_null(pc.or_(pc.string_is_ascii(arr), pc.equal(arr, "")), True)
    return pc.if_else(plain, pa.scalar(None, arr.type), arr)


def letters_only(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """A name's letters, marks, apostrophes and hyphens, single-spaced: H’Hen = H'Hen,
    Nguyễn Văn An2 = Nguyễn Văn An. Used on the folded key and on the exact name."""
    arr = pc.replace_substring(arr, "\u2019", "'")
    arr = pc.replace_substring_regex(arr, r"[^\p{L}\p{M}\s'\-]", "")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(arr, r"\s+", " "))


def join_words(parts: Sequence[pa.Array | pa.ChunkedArray]) -> pa.Array:
    """Texts of several columns joined row by row: each trimmed, empty ones skipped, one
    space between them; null where all are empty (``Nguyễn`` + ``""`` + ``An`` →
    ``Nguyễn An``)."""
    joined: pa.Array | None = None
    for values in parts:
        part = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if pa.types.is_dictionary(part.type):
            part = part.dictionary_decode()
        part = pc.utf8_trim_whitespace(part.cast(pa.string()))
        part = pc.if_else(pc.equal(part, ""), pa.scalar(None, pa.string()), part)
        if joined is None:
            joined = part
            continue
        # Pairwise rather than one join with null_handling="skip", which drops the rows
        # whose parts are all empty in some pyarrow versions.
        both = pc.binary_join_element_wise(joined, part, " ")
        joined = pc.coalesce(both, joined, part)
    if joined is None:
        raise ValueError("join_words needs at least one column")
    return joined


def fold_arrow(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Accents folded, đ→d, lower case, spaces collapsed (input need not be clean)."""
    return by_value(arr, _fold_values, always=True)


def _fold_values(arr: pa.Array) -> pa.Array:
    arr = pc.utf8_normalize(arr, "NFD")
    arr = pc.replace_substring_regex(arr, r"\p{Mn}", "")
    # Đ/đ have no canonical decomposition, so NFD keeps them: map them by hand.
    arr = pc.replace_substring(arr, "Đ", "d")
    arr = pc.replace_substring(arr, "đ", "d")
    # Cleaned after the marks are gone: a stray tone mark between spaces leaves a
    # double space, which must not make two keys of one name.
    return _clean_values(pc.utf8_lower(arr))


def name_key(values: pd.Series) -> pd.Series:
    """The matching key of a name: 'Nguyễn  Văn Đức' → 'nguyen van duc'."""
    return _text_series(fold_arrow(to_arrow(values)), _index(values))


def fold_scalar(text: str) -> str:
    """Fold one string to letters and digits only (for headers and small lookups)."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    stripped = stripped.replace("Đ", "d").replace("đ", "d").lower()
    return "".join(c for c in stripped if c.isalnum())


# --- dates -------------------------------------------------------------------------

# One RE2 pass over the column. Each alternative has its own groups; exactly one
# alternative can match a value, so the day, month and year are the concatenation of
# their groups. The two 8-digit forms cannot both match: yyyymmdd needs a month
# (01–12) in digits 5–6, ddmmyyyy needs a century (18–20) there.
_TIME = r"(?:[ T]0{1,2}:00(?::00)?(?:\.0+)?)?"
_DATE_RE = (
    r"^(?:"
    rf"(?P<d1>\d{{1,2}})[/.-](?P<m1>\d{{1,2}})[/.-](?P<y1>\d{{4}}){_TIME}"
    rf"|(?P<y2>\d{{4}})[/.-](?P<m2>\d{{1,2}})[/.-](?P<d2>\d{{1,2}}){_TIME}"
    r"|(?P<m3>\d{1,2})[/.-](?P<y3>\d{4})"
    r"|(?P<y4>\d{4})"
    r"|(?P<y5>(?:18|19|20)\d{2})(?P<m5>0[1-9]|1[0-2])(?P<d5>\d{2})"
    r"|(?P<d6>\d{2})(?P<m6>\d{2})(?P<y6>(?:18|19|20)\d{2})"
    r")$"
)
_GROUPS = {
    "day": ["d1", "d2", "d5", "d6"],
    "month": ["m1", "m2", "m3", "m5", "m6"],
    "year": ["y1", "y2", "y3", "y4", "y5", "y6"],
}
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])

PRECISION_FULL, PRECISION_MONTH, PRECISION_YEAR = "full", "month", "year"


def _int_part(parts: pa.StructArray, names: list[str]) -> np.ndarray:
    """Join the groups of one component and read them as integers (-1 where absent)."""
    fields = [pc.struct_field(parts, n) for n in names]
    # Unmatched rows are null structs: join them as "" rather than filling the struct.
    joined = pc.binary_join_element_wise(
        *fields, pa.scalar("", fields[0].type), null_handling="replace", null_replacement=""
    )
    joined = pc.if_else(pc.equal(joined, ""), pa.scalar(None, joined.type), joined)
    return pc.fill_null(pc.cast(joined, pa.int32()), -1).to_numpy(zero_copy_only=False)


def parse_dates(
    values: pd.Series | pa.Array, prefix: str, *, cleaned: bool = False
) -> pd.DataFrame:
    """Read dates in every SPEC form into parts beside the raw column.

    Returns ``{prefix}_year``, ``_month``, ``_day`` (nullable integers, absent parts NA),
    ``_precision`` (``full``, ``month``, ``year`` or NA), ``_ord`` (yyyymmdd as an
    integer, full dates only), ``_invalid`` (a value is there but is no real date) and
    ``_placeholder`` (01/01/yyyy, often written when only the year is known).
    ``cleaned`` says the values already went through :func:`clean_arrow`.
    """
    index = _index(values)
    text = _single(to_arrow(values) if cleaned else clean_arrow(to_arrow(values)))
    # Dates repeat (a century has 36,525 of them): read each distinct value once.
    enc = pc.dictionary_encode(text, null_encoding="encode")
    text, at = enc.dictionary, enc.indices.to_numpy(zero_copy_only=False)
    present = pc.is_valid(text).to_numpy(zero_copy_only=False)
    parts = pc.extract_regex(pc.fill_null(text, ""), _DATE_RE)
    matched = pc.is_valid(parts).to_numpy(zero_copy_only=False) & present
    year = _int_part(parts, _GROUPS["year"])
    month = _int_part(parts, _GROUPS["month"])
    day = _int_part(parts, _GROUPS["day"])
    present, matched, year, month, day = (a[at] for a in (present, matched, year, month, day))

    month_ok = (month == -1) | ((month >= 1) & (month <= 12))
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    limit = _DAYS_IN_MONTH[np.clip(month, 0, 12)] + ((month == 2) & leap)
    day_ok = (day == -1) | ((day >= 1) & (day <= limit))
    valid = matched & month_ok & day_ok & (year >= 1)
    invalid = present & ~valid

    full = valid & (day != -1)
    month_only = valid & (day == -1) & (month != -1)
    year_only = valid & (month == -1)
    level = np.select([full, month_only, year_only], [0, 1, 2], 3)
    precision = pc.take(
        pa.array([PRECISION_FULL, PRECISION_MONTH, PRECISION_YEAR, None], pa.string()), level
    )

    def nullable(a: np.ndarray, keep: np.ndarray) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(np.where(keep, a, 0).astype("int32"), ~keep)

    out = pd.DataFrame(
        {
            f"{prefix}_year": nullable(year, valid),
            f"{prefix}_month": nullable(month, valid & (month != -1)),
            f"{prefix}_day": nullable(day, full),
            f"{prefix}_precision": _text_series(precision, index),
            f"{prefix}_ord": nullable(year * 10000 + month * 100 + day, full),
            f"{prefix}_invalid": invalid,
            f"{prefix}_placeholder": full & (day == 1) & (month == 1),
        },
        index=index,
    )
    return out


# --- gender ------------------------------------------------------------------------

MALE, FEMALE = "M", "F"

# Folded spellings (accents, case and spaces removed) of the values SPEC §1 accepts:
# Nam/Nữ in any case or accent, M/F, male/female.
_GENDER_WORDS: dict[str, str] = {
    "nam": MALE,
    "m": MALE,
    "male": MALE,
    "nu": FEMALE,
    "f": FEMALE,
    "female": FEMALE,
}
# Other words whose meaning is plain (Trai, Con gái, Nữ giới, Đàn ông, Phụ nữ): still
# gender.invalid, but the SPEC value they mean is suggested. They never give a gender
# code, so no ID rule or link is decided on a guess. Ông/Bà are left out: folded, "ba"
# is also the southern word for father.
_GENDER_PLAIN: dict[str, str] = {
    **dict.fromkeys(("trai", "contrai", "betrai", "namgioi", "gioinam", "phainam", "danong"), MALE),
    **dict.fromkeys(("man", "boy"), MALE),
    **dict.fromkeys(
        ("gai", "congai", "begai", "nugioi", "gioinu", "phainu", "danba", "phunu"), FEMALE
    ),
    **dict.fromkeys(("woman", "girl"), FEMALE),
}
# The value a suggestion shows for a gender code.
GENDER_WORDS = {MALE: "Nam", FEMALE: "Nữ"}

DEFAULT_GENDER_CODES: dict[str, str] = {"1": MALE, "2": FEMALE}


def parse_gender_codes(spec: str) -> dict[str, str]:
    """Read a numeric code table such as ``"0=Nam,1=Nữ"`` into ``{"0": "M", "1": "F"}``.

    The user states the meaning here, so a plain word (``1=Trai``) is taken as well.
    """
    words = {**_GENDER_PLAIN, **_GENDER_WORDS}
    table: dict[str, str] = {}
    for item in filter(None, (p.strip() for p in spec.split(","))):
        code, sep, word = item.partition("=")
        gender = words.get(fold_scalar(word))
        if not sep or not code.strip().isdigit() or gender is None:
            raise ValueError(msg("gender code {item!r} is not CODE=Nam or CODE=Nữ", item=item))
        table[code.strip()] = gender
    if not table:
        raise ValueError(msg("the gender code table is empty"))
    return table


def parse_gender(values: pd.Series, codes: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read genders from words (Nam/Nữ, M/F, male/female) and from a numeric code table.

    A number is read only under ``codes`` (default 1 = Nam, 2 = Nữ), because systems
    differ (1/2, 0/1). Returns ``gender_code`` (``M``, ``F`` or NA), ``gender_invalid``
    (a value is there but is not one of these) and ``gender_suggestion`` (``Nam`` or
    ``Nữ`` where an invalid word plainly means one: Trai, Con gái, Phụ nữ; else NA).
    """
    # One marker per folded value: "M"/"F" read, "?Nam"/"?Nữ" invalid with a plain
    # meaning, "?" invalid (a value that is there, unlike a blank, and means nothing plain).
    table = {k: f"?{GENDER_WORDS[v]}" for k, v in _GENDER_PLAIN.items()}
    table.update(_GENDER_WORDS)
    table.update({k: v for k, v in (codes or DEFAULT_GENDER_CODES).items()})
    index = _index(values)
    keys = pa.array(list(table), pa.string())
    markers = pa.array(list(table.values()), pa.string())

    def lookup(arr: pa.Array) -> pa.Array:
        folded = _fold_values(arr)
        found = pc.index_in(pc.replace_substring_regex(folded, r"[^a-z0-9]", ""), value_set=keys)
        unknown = pc.and_(pc.is_valid(folded), pc.is_null(found))
        return pc.if_else(unknown, pa.scalar("?"), pc.take(markers, found))

    # A gender column holds a handful of distinct values: look each up once.
    found = by_value(to_arrow(values), lookup, always=True)
    invalid = pc.fill_null(pc.starts_with(found, "?"), False)
    code = pc.if_else(invalid, pa.scalar(None, pa.string()), found)
    plain = pc.fill_null(pc.and_(invalid, pc.not_equal(found, "?")), False)
    suggestion = pc.if_else(plain, pc.utf8_slice_codeunits(found, 1), pa.scalar(None, pa.string()))
    return pd.DataFrame(
        {
            "gender_code": _text_series(code, index),
            "gender_invalid": np.asarray(invalid.to_numpy(zero_copy_only=False), dtype=bool),
            "gender_suggestion": _text_series(suggestion, index),
        },
        index=index,
    )


# --- mojibake ----------------------------------------------------------------------

# UTF-8 Vietnamese read as cp1252: a lead byte C3–C6 shows as Ã Ä Å Æ, and the
# three-byte letters of Latin Extended Additional (ạ ả ấ … ỹ) as "áº"/"á»". Read as
# Windows-1258, the commoner case on a Vietnamese PC, C3 shows as Ă instead. Real
# Vietnamese never has these pairs, but "XÃ" alone is a real capital, so a candidate is
# confirmed by undoing the wrong decoding and getting valid UTF-8 back.
_MOJIBAKE_HINT = (
    r"[ÃÄÅÆĂ][\x{80}-\x{BF}\x{152}\x{153}\x{160}\x{161}\x{178}\x{17D}\x{17E}"
    r"\x{192}\x{2C6}\x{2DC}\x{2013}\x{2014}\x{2018}-\x{201E}\x{2020}-\x{2022}\x{2026}"
    r"\x{2030}\x{2039}\x{203A}\x{20AC}\x{2122}]|á[º»]"
)


def _undo_cp1252(text: str) -> str | None:
    """The UTF-8 text that ``text`` was before a cp1252 or Windows-1258 decoding, or None.

    The two code pages differ in a few letters (C3 is Ã in one, Ă in the other); each
    character is taken back through cp1252, else through Windows-1258.
    """
    raw = bytearray()
    for ch in text:
        try:
            raw += ch.encode("cp1252")
        except UnicodeEncodeError:
            try:
                raw += ch.encode("cp1258")
                continue
            except UnicodeEncodeError:
                pass
            if ord(ch) > 0xFF:
                return None
            raw.append(ord(ch))  # bytes cp1252 leaves undefined pass as Latin-1
    try:
        fixed = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return unicodedata.normalize("NFC", fixed) if fixed != text else None


def detect_mojibake(values: pd.Series) -> pd.DataFrame:
    """Find UTF-8 text that was decoded as cp1252 (``Nguyá»…n``) and repair it.

    Returns ``mojibake`` (bool) and ``repaired`` (the text before the wrong decoding,
    NA elsewhere). Only cells the vectorised pre-filter flags are round-tripped.
    """
    index = _index(values)
    arr = to_arrow(values)
    hint = pc.fill_null(by_value(arr, lambda a: pc.match_substring_regex(a, _MOJIBAKE_HINT)), False)
    flagged = np.flatnonzero(np.asarray(hint.to_numpy(zero_copy_only=False), dtype=bool))
    if not len(flagged):
        return pd.DataFrame(
            {
                "mojibake": np.zeros(len(arr), dtype=bool),
                "repaired": _text_series(pa.nulls(len(arr), pa.string()), index),
            },
            index=index,
        )
    repaired = pd.Series(pd.NA, index=index, dtype=pd.StringDtype("pyarrow"))
    if len(flagged):
        cells = arr.take(pa.array(flagged)).to_pylist()
        fixes = [_undo_cp1252(c) if c else None for c in cells]
        repaired.iloc[flagged] = pd.array(fixes, dtype=pd.StringDtype("pyarrow"))
    return pd.DataFrame(
        {"mojibake": repaired.notna().to_numpy(dtype=bool), "repaired": repaired}, index=index
    )
