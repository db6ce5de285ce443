"""ID-number rules (``id.*`` structure checks and ``bhxh.format``), DOMAIN.md §1 and §3.

The ID's structure itself is ``cleanse.idnumber``'s; these rules say what is wrong with
it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from cleanse.idnumber import structure, well_formed
from cleanse.normalise import to_arrow
from cleanse.rules import Context, file_rule, rule
from cleanse.rules.dob import dob_usable

ID_PARTS = ("twelve", "place_known", "foreign", "gender", "century", "yy")


def id_parts(chunk: pd.DataFrame) -> pd.DataFrame:
    """:func:`structure` of the chunk's ID digits, as the ``id_*`` columns prepare()
    adds to every chunk."""
    parts = chunk[[f"id_{p}" for p in ID_PARTS]]
    parts.columns = list(ID_PARTS)
    return parts


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
    good = well_formed(parts)
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
