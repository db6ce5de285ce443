"""The structure of an ID number, in one place (DOMAIN.md §1): parsing the digits people
type (spaces, dots, dashes, Excel's notation, lost leading zeros) and splitting a
12-digit ID into its parts.

A 12-digit ID is ``PPP G YY RRRRRR``: the place code of the birth registration (one of
the 63 province codes, or a country code ≥ 100 for births registered abroad), a digit for
gender and century (even male, odd female; 0/1 = 1900s, 2/3 = 2000s, …), the last two
digits of the birth year, and six digits with no meaning. There is no check digit.

The rules (``rules.ids``), the prepared companions (``prepare``), linking (``link``) and
the spreadsheet diagnosis (``damage``) all read IDs through this module. Imports only
``normalise`` and ``reference``.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import FEMALE, MALE, _index, clean_arrow, to_arrow
from cleanse.reference import reference

# Digits a spreadsheet shows of a long number in a General cell (8.62033E+10): a number
# with no more significant digits than this, ending in zeros, lost its other digits.
SIGNIFICANT = 6
# The lengths a value of each field has, and the shorter lengths it takes once a
# spreadsheet dropped one or two leading zeros: each put back to its full length. A
# BHXH column may hold 12-digit IDs since 08/2025 (DOMAIN.md §3).
# A 9-digit CMND starting with 0 (Hà Nội's 01…) becomes 8 digits. A 12-digit ID in the
# BHXH column is put back only when it is the record's own ID (see prepare).
FULL = {"id_number": {8: 9, 10: 12, 11: 12}, "bhxh_code": {8: 10, 9: 10}}


def significant_digits(digits: pa.Array) -> np.ndarray:
    """How many digits a number keeps once its trailing zeros are removed."""
    trimmed = pc.utf8_rtrim(pc.fill_null(digits, ""), "0")
    return np.asarray(pc.utf8_length(trimmed).to_numpy(zero_copy_only=False), dtype=np.int64)


_SCIENTIFIC = r"^\d+(?:[.,]\d+)?[eE]\+?\d+$"  # how Excel shows a long number: 1.23457E+11
_SEPARATORS = r"[\s.\-]"  # spaces, dots and dashes people type inside IDs


def parse_ids(
    values: pd.Series | pa.Array,
    prefix: str = "id",
    *,
    cleaned: bool = False,
    restore: bool = False,
) -> pd.DataFrame:
    """Parse ID numbers beside the raw column.

    Returns ``{prefix}_present`` (not blank), ``{prefix}_digits`` (the value without
    spaces, dots and dashes when only digits remain, else NA), ``{prefix}_scientific``
    (Excel's scientific notation), ``{prefix}_restored`` (for 10–11 digits, the number
    with the leading zeros a spreadsheet dropped put back; NA for a number a spreadsheet
    rounded, whose digits are lost), ``{prefix}_rounded`` (scientific notation, or in a
    damaged column a number of at most 6 significant digits: the digits are lost) and
    ``{prefix}_fixed`` (the digits had their leading zeros put back).

    ``restore`` says the column is damaged (``cleanse.damage``): there a number one or
    two digits short gets its zeros back in ``{prefix}_digits`` itself (an ID to 12
    digits; a BHXH code to 10, or 12 from 11), so every rule reads the restored value.
    ``cleaned`` says the values already went through :func:`clean_arrow`.
    """
    index = _index(values)
    text = to_arrow(values) if cleaned else clean_arrow(to_arrow(values))
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    present = pc.is_valid(text)
    # Most values are plain digits already; only the others need the regex passes.
    plain = pc.fill_null(pc.ascii_is_decimal(text), False)
    odd = pc.and_(present, pc.invert(plain))
    digits = pc.if_else(plain, text, pa.scalar(None, text.type))
    sci = np.zeros(len(text), dtype=bool)
    if pc.any(odd).as_py():
        sub = pc.filter(text, odd)
        sub_sci = pc.fill_null(pc.match_substring_regex(sub, _SCIENTIFIC), False)
        stripped = pc.replace_substring_regex(sub, _SEPARATORS, "")
        only_digits = pc.fill_null(pc.match_substring_regex(stripped, r"^\d+$"), False)
        fixed = pc.if_else(
            pc.and_(only_digits, pc.invert(sub_sci)), stripped, pa.scalar(None, text.type)
        )
        digits = pc.replace_with_mask(digits, odd, fixed)
        sci[np.flatnonzero(_bools(odd))] = _bools(sub_sci)
    length = np.asarray(pc.fill_null(pc.utf8_length(digits), 0), dtype=np.int64)
    few = significant_digits(digits) <= SIGNIFICANT
    short = (length >= 10) & (length <= 11)
    restored = pc.if_else(
        pa.array(short & ~few), pc.utf8_lpad(digits, 12, "0"), pa.scalar(None, digits.type)
    )
    rounded = sci.copy()
    put_back = np.zeros(len(text), dtype=bool)
    if restore:
        rounded |= (length >= 8) & few
        field = "id_number" if prefix == "id" else "bhxh_code"
        for short_len, full_len in FULL[field].items():
            at = (length == short_len) & ~rounded
            if at.any():
                digits = pc.if_else(pa.array(at), pc.utf8_lpad(digits, full_len, "0"), digits)
                put_back |= at
    as_series = _series(index)
    return pd.DataFrame(
        {
            f"{prefix}_present": _bools(present),
            f"{prefix}_digits": as_series(digits),
            f"{prefix}_scientific": sci,
            f"{prefix}_restored": as_series(restored),
            f"{prefix}_rounded": rounded,
            f"{prefix}_fixed": put_back,
        },
        index=index,
    )


def _bools(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _series(index: pd.Index):  # type: ignore[no-untyped-def]
    def make(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
        # By position: to_pandas() is indexed 0..n-1, a later chunk's index is not.
        values = arr.to_pandas().array
        return pd.Series(values, index=index, dtype=pd.StringDtype("pyarrow"))

    return make


def structure(digits: pd.Series) -> pd.DataFrame:
    """Split 12-digit IDs into place code, gender, century and year digits.

    Rows that are not 12 digits get ``twelve`` False (and meaningless parts).
    ``place_known`` is one of the 63 province codes; ``foreign`` a prefix of 100 or
    more (a possible country code). Done in Arrow: one pass per part.
    """
    arr = to_arrow(digits)
    twelve = _bools(pc.equal(pc.utf8_length(arr), 12))
    # The digits as one integer: the parts are then arithmetic, not string slices.
    number = pc.cast(pc.if_else(twelve, arr, pa.scalar("0", arr.type)), pa.int64())
    value = np.asarray(number.to_numpy(zero_copy_only=False), dtype=np.int64)
    place = value // 10**9
    g = value // 10**8 % 10
    return pd.DataFrame(
        {
            "twelve": twelve,
            "place_known": twelve & _place_known()[np.clip(place, 0, 999)],
            "foreign": twelve & (place >= 100),
            "gender": np.where(g % 2 == 0, MALE, FEMALE),
            "century": 1900 + 100 * (g // 2),
            "yy": value // 10**6 % 100,
        },
        index=digits.index,
    )


@functools.cache
def _place_known() -> np.ndarray:
    """known[p] for every 3-digit prefix p: a lookup, not a search per row."""
    known = np.zeros(1000, dtype=bool)
    known[[int(c) for c in reference().place_codes]] = True
    return known


def well_formed(parts: pd.DataFrame) -> np.ndarray:
    """12 digits with a known province code or a foreign prefix (≥ 100): an ID that can
    be a person's, though a foreign one is still to be confirmed (``id.foreign_code``)."""
    return (parts["twelve"] & (parts["place_known"] | parts["foreign"])).to_numpy(dtype=bool)
