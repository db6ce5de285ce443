"""ID-number rules (``id.*`` structure checks and ``bhxh.format``), DOMAIN.md §1 and §3.

A 12-digit ID is ``PPP G YY RRRRRR``: the place code of the birth registration (one of
the 63 province codes, or a country code ≥ 100 for births registered abroad), a digit for
gender and century (even male, odd female; 0/1 = 1900s, 2/3 = 2000s, …), the last two
digits of the birth year, and six digits with no meaning. There is no check digit.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import FEMALE, MALE, _index, clean_arrow, to_arrow
from cleanse.reference import reference
from cleanse.rules import Context, file_rule, rule
from cleanse.rules.dob import dob_usable

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
    from cleanse.damage import FULL, SIGNIFICANT, significant_digits

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


ID_PARTS = ("twelve", "place_known", "foreign", "gender", "century", "yy")


def id_parts(chunk: pd.DataFrame) -> pd.DataFrame:
    """:func:`structure` of the chunk's ID digits: the ``id_*`` columns prepare() added,
    or computed here for a chunk that lacks them."""
    if "id_twelve" in chunk.columns:
        parts = chunk[[f"id_{p}" for p in ID_PARTS]]
        parts.columns = list(ID_PARTS)
        return parts
    return structure(chunk["id_digits"])


def _gender_known(chunk: pd.DataFrame) -> pd.Series:
    return chunk["gender_code"].notna()


def _disagrees(parts: pd.DataFrame, chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """The gender/century digit contradicts a known gender or a usable birth year."""
    gender_bad = _gender_known(chunk) & (parts["gender"] != chunk["gender_code"])
    year = chunk["dob_year"].fillna(0).astype("int64")
    century_bad = dob_usable(chunk, ctx) & (year // 100 * 100 != parts["century"])
    return (gender_bad.fillna(False) | century_bad).astype(bool)


def _year_digits_wrong(parts: pd.DataFrame, chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    year = chunk["dob_year"].fillna(0).astype("int64")
    return (dob_usable(chunk, ctx) & (year % 100 != parts["yy"])).astype(bool)


def _length(chunk: pd.DataFrame) -> pd.Series:
    return chunk["id_digits"].str.len().fillna(0).astype("int64")


# A number a spreadsheet rounded (8.62033E+10): the finding says why, never a made-up ID.
ROUNDED_MESSAGES = {
    "id_number": (
        "số định danh bị bảng tính làm tròn (kiểu 8.62033E+10): các chữ số đã mất, phải lấy "
        "lại từ thẻ CCCD của công dân hoặc từ cơ sở dữ liệu dân cư",
        "ID number rounded by a spreadsheet (as 8.62033E+10): its digits are lost and must "
        "come from the citizen's card or the population data",
    ),
    "bhxh_code": (
        "mã số BHXH bị bảng tính làm tròn (kiểu 3.40189E+09): các chữ số đã mất, phải lấy "
        "lại từ sổ BHXH hoặc thẻ BHYT",
        "BHXH code rounded by a spreadsheet (as 3.40189E+09): its digits are lost and must "
        "come from the BHXH book or the health-insurance card",
    ),
}


def _same_id_elsewhere(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """For a rounded ID, the well-formed 12-digit ID in the record's BHXH column (legal
    since 08/2025) whose digits round to it; NA otherwise. Never a restored ID."""
    from cleanse.damage import matches_rounded, rounded_value

    none = pd.Series(pd.NA, index=chunk.index, dtype=pd.StringDtype("pyarrow"))
    if "bhxh_digits" not in chunk.columns or "id_rounded" not in chunk.columns:
        return none
    rounded = chunk["id_rounded"].to_numpy(dtype=bool)
    if not rounded.any():
        return none
    other = chunk["bhxh_digits"]
    parts = structure(other)
    good = (parts["twelve"] & (parts["place_known"] | parts["foreign"])).to_numpy()
    value = rounded_value(to_arrow(chunk["id_number"]).cast(pa.string()))
    value = np.where(rounded, value, np.nan)
    cand = np.where(good, pd.to_numeric(other, errors="coerce").to_numpy(dtype="float64"), np.nan)
    hit = matches_rounded(value, cand) & good & rounded
    return other.where(hit).astype(pd.StringDtype("pyarrow"))


@rule(
    "id.format",
    severity="error",
    field="id_number",
    needs=("id_number",),
    suggest=_same_id_elsewhere,
    vi="số định danh sai định dạng: không phải 9 hoặc 12 chữ số",
    en="ID number malformed: not 9 or 12 digits",
)
def id_format(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag IDs with letters, Excel's scientific notation, or a length other than 9 or 12
    (in a column a spreadsheet damaged, the leading zeros are already put back)."""
    length = _length(chunk)
    return (chunk["id_present"] & ~length.isin([9, 12])).astype(bool)


file_rule(
    "id.leading_zeros",
    severity="error",
    field="id_number",
    vi="cột số định danh (hoặc mã số BHXH) đã qua bảng tính và mất số 0 ở đầu: một phát hiện "
    "cho cả cột, các số đã khôi phục ở bảng restored",
    en="an ID (or BHXH) column went through a spreadsheet and lost its leading zeros: one "
    "finding for the column, the restored numbers in the restored table",
    variants=(
        (
            "bhxh_code",
            "cột mã số BHXH đã qua bảng tính và mất số 0 ở đầu (các số đã khôi phục ở bảng "
            "restored)",
            "the BHXH column went through a spreadsheet and lost its leading zeros (the "
            "restored codes in the restored table)",
        ),
    ),
)


@rule(
    "id.legacy",
    severity="warning",
    field="id_number",
    needs=("id_number",),
    vi="số CMND 9 số cũ: cần thay bằng số định danh 12 số",
    en="old 9-digit CMND: to be replaced by the 12-digit ID number",
)
def id_legacy(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag 9-digit CMND numbers."""
    return (_length(chunk) == 9).astype(bool)


@rule(
    "id.place_code",
    severity="error",
    field="id_number",
    needs=("id_number",),
    vi="3 số đầu của số định danh không phải mã tỉnh nào trong 63 mã",
    en="first 3 digits of the ID are not one of the 63 province codes",
)
def id_place_code(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag 12-digit IDs whose prefix (000–099) is not a province code."""
    parts = id_parts(chunk)
    return (parts["twelve"] & ~parts["place_known"] & ~parts["foreign"]).astype(bool)


@rule(
    "id.foreign_code",
    severity="warning",
    field="id_number",
    needs=("id_number",),
    vi="3 số đầu từ 100 trở lên: có thể là mã quốc gia (khai sinh ở nước ngoài), cần xác minh",
    en="first 3 digits are 100 or more: possibly a country code (birth registered abroad)",
)
def id_foreign_code(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag 12-digit IDs whose prefix is 100 or more."""
    return id_parts(chunk)["foreign"].astype(bool)


@rule(
    "id.gender_century",
    severity="error",
    field="id_number",
    needs=("id_number",),  # the gender and year parts each run when their field is usable
    vi="số thứ 4 của số định danh không khớp giới tính hoặc thế kỷ năm sinh",
    en="4th digit of the ID disagrees with the gender or the century of birth",
)
def id_gender_century(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag 12-digit IDs whose gender/century digit contradicts the record."""
    parts = id_parts(chunk)
    return (parts["twelve"] & _disagrees(parts, chunk, ctx)).astype(bool)


@rule(
    "id.birth_year",
    severity="error",
    field="id_number",
    needs=("id_number",),
    vi="số thứ 5–6 của số định danh không phải 2 số cuối năm sinh",
    en="digits 5-6 of the ID are not the last two digits of the birth year",
)
def id_birth_year(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag 12-digit IDs whose year digits differ from a usable birth year."""
    parts = id_parts(chunk)
    return (parts["twelve"] & _year_digits_wrong(parts, chunk, ctx)).astype(bool)


@rule(
    "bhxh.format",
    severity="error",
    field="bhxh_code",
    needs=("bhxh_code",),
    vi="mã số BHXH không phải 10 chữ số hoặc số định danh 12 số hợp lệ",
    en="BHXH code is neither 10 digits nor a well-formed 12-digit ID",
)
def bhxh_format(chunk: pd.DataFrame, ctx: Context) -> pd.Series:
    """Flag BHXH codes that are neither 10 digits nor a 12-digit ID with a known prefix.

    Since 08/2025 the personal ID replaces the BHXH code, so newer extracts carry IDs in
    this column (DOMAIN.md §3).
    """
    digits = chunk["bhxh_digits"]
    length = digits.str.len().fillna(0).astype("int64")
    parts = structure(digits)
    ok = (length == 10) | (parts["twelve"] & (parts["place_known"] | parts["foreign"]))
    if "bhxh_rounded" in chunk.columns:  # rounded by a spreadsheet: digits lost
        ok &= ~chunk["bhxh_rounded"]
    return (chunk["bhxh_present"] & ~ok).astype(bool)
