"""Vietnamese addresses read into the parts a field visit is planned by, as sort keys.

An address is cut into its parts at commas, semicolons and spaced dashes (``Số 12, ngõ
34, phố Hàng Bông, Phường Hàng Trống, Thành phố Hà Nội``); one written without any of
them (``Thôn 5 Xã An Phú Tỉnh Ninh Bình``) is cut first before each administrative word,
whatever its accents or case. Each part is folded (``cleanse.normalise.fold_arrow``:
accents, đ, case and spaces) and read as one of:

- the **ward** (``Xã …``, ``Phường …``, ``Thị trấn …``, ``Đặc khu …``; ``P.``, ``X.``,
  ``TT.``): the key is its name without the word, so ``Phường An Phú`` in one file and
  ``An Phú`` in a ward column of another sort together;
- a **village** (``Thôn``, ``Xóm``, ``Ấp``, ``Bản``, ``Buôn``, ``Làng``, ``Tổ dân phố``,
  ``Khu phố``, ``Khu``, ``Khóm``, ``Khối``, ``Tổ``, ``Đội``, ``Cụm``, ``Sóc``, ``Plei``):
  the key keeps the word (``Thôn 5`` is not ``Xóm 5``);
- a **street** (``đường …``, ``phố …``, ``Đại lộ``, ``Quốc lộ``, ``Tỉnh lộ``; a name
  after a house number, ``45 Lê Lợi``; or the first part that is nothing else, ``Lê Lợi,
  Phường Bến Thành``): the key is its name without ``đường``/``phố``;
- an **alley** (``Ngõ``, ``Ngách``, ``Hẻm``, ``Kiệt``; ``hẻm 12 Nguyễn Trãi`` is alley 12
  of the street Nguyễn Trãi);
- a **house number** at the start of a part (``12``, ``12A``, ``5/12``, ``Số 94``,
  ``Số nhà 7``), or the record's own house-number column;
- a district, city or province: every part after the ward (``Phường 3, Quận 5, TP.HCM``),
  and before it a part named so (``Quận``, ``Huyện``, ``Thị xã``, ``Thành phố``,
  ``Tỉnh``). They sort before the ward, province first: one ward name in two districts
  or provinces is two wards.

Every key is in natural order: runs of digits are compared as numbers (``2`` before
``10``, ``12`` before ``12A`` before ``13``, ``5/12`` after ``5``). The work is done by
pyarrow kernels on whole columns and numpy on the parts; no Python loop over records.

May import: the standard library, numpy, pandas, pyarrow and ``cleanse.normalise``.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import clean_arrow, fold_arrow, fold_scalar, to_arrow

# The columns of ``address_keys``: the ward as written (for showing), then the keys.
KEY_COLUMNS = (
    "region_key",
    "ward_key",
    "area_key",
    "street_key",
    "alley_key",
    "house_key",
    "text_key",
)

_WARD_WORDS = "xa|phuong|thi tran|dac khu"
_WARD = f"(?:{_WARD_WORDS})"
_HIGHER = r"^(?:quan|huyen|thi xa|thanh pho|tinh|viet nam)(?:\s|$)"
# A village word and its name; the short words (Tổ, Đội, Cụm, Khu) only before a
# number or a letter or two, as they are also the start of street names (Tô Hiến Thành,
# Đội Cấn: folded, "to", "doi").
_VILLAGE = (
    r"^(?P<word>to dan pho|khu pho|khu dan cu|thon|xom|ap|ban|buon|lang|khom|khoi|soc|plei)"
    r"\s+(?P<name>.+)$"
)
_SHORT_VILLAGE = r"^(?P<word>to|doi|cum|khu)\s+(?P<name>(?:\d|[a-z]{1,2}(?:\s|$)).*)$"
_ALLEY = r"(?:ngo|ngach|hem|kiet)"
_STREET_WORD = r"(?:duong|pho)"
_ROAD = r"(?:dai lo|quoc lo|tinh lo|huong lo)"
# A house number: digits, perhaps letters (12A), perhaps more numbers after / . or -
_NUMBER = r"\d[0-9a-z]*(?:\s*[/.-]\s*[0-9a-z]+)*"
_HOUSE = rf"^(?:so nha|nha so|so|nha)?\s*(?P<house>{_NUMBER})(?:\s+(?P<rest>.+))?$"
# Abbreviations, folded, at the start of a part: the word they stand for.
_ABBREVIATIONS = (
    (r"^p\.\s*", "phuong "),
    (r"^x\.\s*", "xa "),
    (r"^tt\.\s*", "thi tran "),
    (r"^q\.\s*", "quan "),
    (r"^h\.\s*", "huyen "),
    (r"^tx\.\s*", "thi xa "),
    (r"^tp\.?\s*", "thanh pho "),
    (r"^tdp\.?\s+", "to dan pho "),
    (r"^kp\.?\s+", "khu pho "),
    (r"^sn\.?\s*(\d)", "so nha \\1"),
)
# Where an address is cut into parts.
_SEPARATOR = r"\s*[,;]\s*|\s+[-–]\s+"

# The words a part is cut before. Those of a ward or above, always (``Thôn 5 Xã An Phú,
# Tỉnh Ninh Bình``); those below, in an address with no separator at all. Longest first,
# so that "thị xã" is cut before "thị", not before its "xã" ("thành phố", "tổ dân phố").
_LEVEL_WORDS: tuple[str, ...] = ("thành phố", "thị xã", "thị trấn", "đặc khu", "xã", "phường")
_LEVEL_WORDS += ("quận", "huyện", "tỉnh")
_PLACE_WORDS: tuple[str, ...] = ("tổ dân phố", "khu phố", "thôn", "xóm", "ấp", "bản", "tổ")
_PLACE_WORDS += ("khóm", "buôn", "đường", "phố", "ngõ", "ngách", "hẻm", "kiệt")
# Digits padded to this width compare as numbers.
_PAD = 10


def _tolerant(word: str) -> str:
    """A regex matching ``word`` with or without its accents (``phường``, ``phuong``)."""
    out = []
    for ch in word:
        if ch == " ":
            out.append(r"\s+")
            continue
        base = fold_scalar(ch) or ch
        out.append(f"[{ch}{base}]" if base != ch else ch)
    return "".join(out)


_LEVELS = "|".join(_tolerant(w) for w in _LEVEL_WORDS)
_ABBREVIATED = r"(?:tp|tx|tt|p|q|x|h)\."
_CUT_LEVEL = rf"(?i)\s+((?:{_LEVELS})\s|{_ABBREVIATED})"
_PLACES = "|".join(_tolerant(w) for w in _PLACE_WORDS)
_CUT_ANY = rf"(?i)\s+((?:{_LEVELS}|{_PLACES})\s|{_ABBREVIATED})"
# A street named with a ward's word (phố Xã Đàn) is held together while parts are cut.
_HOLD = "\u2063"  # INVISIBLE SEPARATOR: no space to cut at
_STREET_NAMED = rf"(?i)((?:^|\s)(?:{_tolerant('phố')}|{_tolerant('đường')}|{_tolerant('ngõ')}))\s+"
_STREET_NAMED += rf"((?:{_LEVELS})\s)"


def natural_key(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Text whose runs of digits are padded to compare as numbers: ``2`` < ``10``."""
    padded = pc.replace_substring_regex(arr, r"(\d+)", "0" * _PAD + "\\1")
    # Of each run only the last _PAD digits (or all of a longer number) are kept.
    return pc.replace_substring_regex(padded, rf"0*(\d{{{_PAD}}})", "\\1")


def _nulls(n: int) -> pa.Array:
    return pa.nulls(n, pa.string())


_NULL = pa.scalar(None, pa.string())


def _blank_to_null(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Trimmed plain strings (not large ones), null where blank."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    return pc.if_else(pc.equal(arr, ""), _NULL, arr)


def _field(arr: pa.Array, pattern: str, name: str) -> pa.Array:
    """Group ``name`` of ``pattern`` in each value; null where it does not match."""
    found = pc.extract_regex(arr, pattern)
    return _blank_to_null(pc.struct_field(found, [list(_group_names(pattern)).index(name)]))


def _group_names(pattern: str) -> list[str]:
    return list(re.compile(pattern).groupindex)


def _matches(arr: pa.Array, pattern: str) -> np.ndarray:
    hit = pc.fill_null(pc.match_substring_regex(arr, pattern), False)
    return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)


def _folded(arr: pa.Array) -> pa.Array:
    """Folded, with the abbreviations at its start written out."""
    out = fold_arrow(arr)
    for pattern, word in _ABBREVIATIONS:
        out = pc.replace_substring_regex(out, pattern, word)
    return _blank_to_null(out)


def _first(values: pa.Array, parent: np.ndarray, n: int) -> pa.Array:
    """Per record (``parent`` of each part, in order), its first part's non-null value."""
    valid = np.asarray(pc.is_valid(values).to_numpy(zero_copy_only=False), dtype=bool)
    at = np.flatnonzero(valid)
    records, first = np.unique(parent[at], return_index=True)
    pick = np.full(n, -1, dtype=np.int64)
    pick[records] = at[first]
    return pc.take(values, pa.array(pick, mask=pick < 0))


def _region(
    folded: pa.Array, parent: np.ndarray, position: np.ndarray, higher: np.ndarray, n: int
) -> pa.Array:
    """Per record, its district and province parts, the province first, without their
    words (``tinh phu tho``, ``quan 5`` → ``phu tho , 5``); null where there are none."""
    names = pc.replace_substring_regex(
        folded, rf"^(?:tinh|thanh pho|quan|huyen|thi xa|{_WARD_WORDS})\s+", ""
    )
    at = np.flatnonzero(higher)
    at = at[np.lexsort((-position[at], parent[at]))]
    counts = np.bincount(parent[at], minlength=n)
    offsets = pa.array(np.concatenate([[0], np.cumsum(counts)]).astype(np.int32))
    items = pc.take(names, pa.array(at, type=pa.int64()))
    joined = pc.binary_join(pa.ListArray.from_arrays(offsets, items), " , ")
    return pc.if_else(pc.equal(joined, ""), _NULL, joined)


def ward_name(folded: pa.Array) -> pa.Array:
    """The name of a folded ward (``phuong an phu`` → ``an phu``); itself without the word."""
    return _blank_to_null(pc.replace_substring_regex(folded, rf"^{_WARD}\s+", ""))


def _parts(text: pa.Array) -> dict[str, np.ndarray | pa.Array]:
    """Each part of each address, with its record, as written and folded."""
    separated = pc.fill_null(pc.match_substring_regex(text, _SEPARATOR), True)
    # Separators made commas, and a space before every part, so that a compound word at
    # a part's start ("Thị xã", "Khu phố") is cut before as a whole, never inside.
    text = pc.replace_substring_regex(text, _SEPARATOR, ", ")
    text = pc.binary_join_element_wise(" ", text, "")
    text = pc.replace_substring_regex(text, _STREET_NAMED, f"\\1{_HOLD}\\2")
    bare = pc.replace_substring_regex(text, _CUT_ANY, ", \\1")
    text = pc.if_else(separated, text, bare)
    text = pc.replace_substring_regex(text, _CUT_LEVEL, ", \\1")
    text = pc.replace_substring(text, _HOLD, " ")
    lists = pc.split_pattern(text, ",")
    parent = np.asarray(pc.list_parent_indices(lists).to_numpy(zero_copy_only=False))
    raw = _blank_to_null(pc.list_flatten(lists))
    keep = np.asarray(pc.is_valid(raw).to_numpy(zero_copy_only=False), dtype=bool)
    raw = raw.filter(pa.array(keep))
    return {"parent": parent[keep], "raw": raw, "folded": _folded(raw)}


def address_keys(
    address: pd.Series | pa.Array,
    *,
    ward: pd.Series | pa.Array | None = None,
    house_number: pd.Series | pa.Array | None = None,
) -> pd.DataFrame:
    """The sort keys of each address (``KEY_COLUMNS``) and ``ward``, the ward as shown.

    ``ward`` (a ward column) wins over the ward read from the address, and
    ``house_number`` (a house-number column) over the number read from it. Keys are
    folded text in natural order, null where the address lacks that part:
    ``region_key`` the province and district (every part after the ward; the same
    ward name in two districts is two wards), ``ward_key``, ``area_key``
    the village, else the street; ``street_key`` the street when there is a village too;
    ``alley_key``, ``house_key``; ``text_key`` the whole address folded, the last resort
    for an address of no known form.
    """
    text = _blank_to_null(clean_arrow(to_arrow(address)))
    n = len(text)
    parts = _parts(text)
    parent = np.asarray(parts["parent"])
    raw, folded = parts["raw"], parts["folded"]
    assert isinstance(raw, pa.Array) and isinstance(folded, pa.Array)

    position = np.arange(len(parent))
    is_ward = _matches(folded, rf"^{_WARD}\s+\S")
    # Every part after a record's first ward part is a district or province, whatever its
    # words ("Phường 3, Quận 5, Hồ Chí Minh"); before it, one named as such.
    first_ward = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_ward, parent[is_ward], position[is_ward])
    after_ward = position > first_ward[parent]
    country = _matches(folded, r"^viet nam$")
    higher = _matches(folded, _HIGHER) & ~_matches(folded, rf"^{_ROAD}\s")
    higher = (higher | after_ward) & ~country
    is_ward &= ~after_ward
    other = pa.array(~is_ward & ~higher & ~country)

    def only(values: pa.Array, mask: pa.Array | np.ndarray) -> pa.Array:
        return pc.if_else(pa.array(mask) if isinstance(mask, np.ndarray) else mask, values, _NULL)

    house = only(_field(folded, _HOUSE, "house"), other)
    rest = _field(folded, _HOUSE, "rest")
    after_house = pc.is_valid(house)
    body = pc.if_else(after_house, rest, only(folded, other))

    # A village, in a part without a house number (after one, 12 Láng Hạ is a street).
    alone = pc.if_else(after_house, _NULL, body)
    village = pc.coalesce(
        *(
            pc.binary_join_element_wise(
                _field(alone, pattern, "word"), _field(alone, pattern, "name"), " "
            )
            for pattern in (_VILLAGE, _SHORT_VILLAGE)
        )
    )
    numbered = rf"^{_ALLEY}\s+(?P<alley>\d[0-9a-z/]*)(?:\s+(?:{_STREET_WORD}\s+)?(?P<street>.+))?$"
    named = rf"^{_ALLEY}\s+(?P<alley>.+?)(?:\s+(?:{_STREET_WORD}|{_ROAD})\s+(?P<street>.+))?$"
    alley = pc.coalesce(_field(body, numbered, "alley"), _field(body, named, "alley"))
    alley_street = pc.if_else(
        pc.is_valid(_field(body, numbered, "alley")),
        _field(body, numbered, "street"),
        _field(body, named, "street"),
    )
    street_re = rf"^(?:{_STREET_WORD}\s+(?P<name>.+)|(?P<road>{_ROAD}\s+.+))$"
    street = pc.coalesce(_field(body, street_re, "name"), _field(body, street_re, "road"))
    known = pc.or_kleene(
        pc.or_kleene(pc.is_valid(village), pc.is_valid(alley)), pc.is_valid(street)
    )
    # After a house number, a text of no known form is the street's name (45 Lê Lợi).
    bare = pc.if_else(pc.and_(after_house, pc.invert(known)), body, _NULL)
    street = pc.coalesce(street, alley_street, bare)
    # A part that is nothing known (Lê Lợi, Phường Bến Thành): the street, failing all else.
    plain = only(body, pc.and_(pc.invert(after_house), pc.invert(known)))

    first_village = _first(village, parent, n)
    first_street = _first(street, parent, n)
    first_alley = _first(alley, parent, n)
    nothing = pc.and_(
        pc.and_(pc.is_null(first_village), pc.is_null(first_street)), pc.is_null(first_alley)
    )
    first_street = pc.coalesce(first_street, pc.if_else(nothing, _first(plain, parent, n), _NULL))
    area = pc.coalesce(first_village, first_street)
    sub = pc.if_else(pc.is_valid(first_village), first_street, _NULL)

    region = _region(folded, parent, position, higher, n)
    ward_parts = pa.array(is_ward)
    ward_raw = _first(only(raw, ward_parts), parent, n)
    ward_key = ward_name(_first(only(folded, ward_parts), parent, n))
    house_key = _first(house, parent, n)
    if ward is not None:
        given = clean_arrow(to_arrow(ward))
        ward_raw = pc.coalesce(given, ward_raw)
        ward_key = pc.coalesce(ward_name(_folded(given)), ward_key)
    if house_number is not None:
        own = _folded(clean_arrow(to_arrow(house_number)))
        own_house = _field(own, rf"^(?:so nha|nha so|so|nha)?\s*(?P<house>{_NUMBER})", "house")
        house_key = pc.coalesce(own_house, own, house_key)

    keys = {
        "ward": ward_raw,
        "region_key": region,
        "ward_key": ward_key,
        "area_key": area,
        "street_key": sub,
        "alley_key": first_alley,
        "house_key": house_key,
        "text_key": _folded(text) if n else _nulls(0),
    }
    out = {}
    for name, values in keys.items():
        arr = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
        if name != "ward":
            arr = natural_key(arr)
        out[name] = pd.array(arr, dtype=pd.StringDtype("pyarrow"))
    return pd.DataFrame(out)
