"""What a spreadsheet did to an extract, diagnosed once per column (SPEC §1, issue 15).

An extract that went through Excel or LibreOffice carries the damage of the import in
whole columns: number cells that dropped the leading zeros of IDs and BHXH codes, long
numbers shown (and saved) in scientific notation and so rounded, and birth dates read
month-first by a US-locale spreadsheet. Every cell of such a column went through the
same import, so the diagnosis is per column, with its evidence:

- leading zeros (``id_number``, ``bhxh_code``): number cells in an ``.xlsx`` or a
  Parquet file; in a text file, no value of the ID column keeps a leading zero while
  many are one or two digits short (every 12-digit ID starts with 0, so an intact ID
  column always has some). A BHXH column counts as damaged with the same evidence, or
  when the file's ID column is damaged and no BHXH code keeps a leading zero (BHXH
  codes of one province may all start with the same non-zero digits).
- month-first dates (``dob``): in an ``.xlsx``, date cells whose day is always 12 or
  less beside text dates whose day is over 12 (the ones the locale could not read as
  month/day); in a text file, the same signature: full dates in another form
  (``yyyy-mm-dd``, as a date cell is exported) whose day is always 12 or less beside
  ``dd/mm/yyyy`` texts whose day is always over 12. A text file that the month-first
  spreadsheet itself wrote back (``5/3/1990`` for the date it read as May 3) needs no
  repair: its misreading and its writing cancel out, and cleanse reads it right.

Only inside a damaged column are zeros put back (``001085012345`` from ``1085012345``)
or day and month swapped back; a short number in an intact column stays an
``id.format``. Digits that a spreadsheet rounded away (``8.62033E+10``, or the number it
became, ``86203300000``) are never made up.

The decision is taken on the first :data:`SURVEY_ROWS` records of the file, before any
rule runs, from the values of those columns and the cell types the reader counted: the
chunks are held until that many records are read (or the file ends), so memory stays
bounded by ``SURVEY_ROWS`` records plus a chunk. The import damaged every row alike, so
the first records decide for the file; the counts in the report are the whole file's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.normalise import clean_arrow, to_arrow
from cleanse.read.extract import SURVEY_ROWS

if TYPE_CHECKING:
    from cleanse.read import Chunk, Extract

ID_FIELDS = ("id_number", "bhxh_code")
DATE_FIELDS = ("dob",)
# The lengths that are evidence of dropped zeros: one or two digits short.
SHORT = {"id_number": (10, 11), "bhxh_code": (8, 9, 11)}
PREFIX = {"id_number": "id", "bhxh_code": "bhxh", "dob": "dob"}
# A share of short values below this is a few typing mistakes, not a spreadsheet.
_MANY = 0.10
# Date cells needed before "every day is 12 or less" means something: (12/31)**5 < 1%.
_MIN_DATE_CELLS = 5

_SEPARATORS = r"[\s.\-]"
_SCIENTIFIC = r"^\d+(?:[.,]\d+)?[eE]\+?\d+$"
# A d/m/yyyy date whose two first parts are both 12 or less: read month-first, its date
# cell has day and month swapped. RE2 has no back-references: either separator.
_SWAPPABLE = r"^(0?[1-9]|1[0-2])([/.\-])(0?[1-9]|1[0-2])([/.\-])(\d{4})$"
_SWAPPABLE_ISO = r"^(\d{4})-(0?[1-9]|1[0-2])-(0?[1-9]|1[0-2])$"

MESSAGES = {
    ("leading_zeros", "vi"): 'Cột "{column}" đã qua bảng tính: {count}/{total} số mất số 0 ở đầu'
    ", đã khôi phục",
    ("leading_zeros", "en"): 'Column "{column}" went through a spreadsheet: {count}/{total} '
    "numbers lost their leading zeros, restored",
    ("rounded", "vi"): "; {rounded} số bị làm tròn, mất chữ số (xem từng dòng)",
    ("rounded", "en"): "; {rounded} numbers rounded, their digits lost (see each row)",
    ("month_first", "vi"): 'Cột "{column}" đã qua bảng tính đọc ngày theo kiểu tháng trước '
    "(Mỹ): {count}/{total} ngày bị đảo ngày và tháng, đã đổi lại",
    ("month_first", "en"): 'Column "{column}" went through a month-first (US) spreadsheet: '
    "{count}/{total} dates had day and month swapped, swapped back",
}
RULE_OF = {"leading_zeros": "id.leading_zeros", "month_first": "dob.day_month_swapped"}


@dataclass
class Diagnosis:
    """The damage found in one extract's columns, and the counts of the whole file."""

    restore: frozenset[str] = frozenset()  # ID fields whose leading zeros are put back
    month_first: frozenset[str] = frozenset()  # date fields whose day and month swap back
    # field -> the form of the dates to swap: "dmy" (date cells, read as dd/mm/yyyy) or
    # "iso" (yyyy-mm-dd beside dd/mm/yyyy texts in a text file)
    swap_form: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Whole-file counts, added chunk by chunk: field -> {"restored", "rounded", "total"}.
    counts: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def damaged(self) -> bool:
        return bool(self.restore or self.month_first)

    def add(self, prepared: pd.DataFrame) -> None:
        """Count what :func:`cleanse.prepare.prepare` restored in one chunk."""
        for f in (*ID_FIELDS, *DATE_FIELDS):
            p = PREFIX[f]
            if f not in prepared.columns or f"{p}_fixed" not in prepared.columns:
                continue
            c = self.counts.setdefault(f, Counter())
            c["total"] += int(prepared[f"{f}_blank"].eq(False).sum())
            c["restored"] += int(prepared[f"{p}_fixed"].sum())
            if f"{p}_rounded" in prepared.columns:
                c["rounded"] += int(prepared[f"{p}_rounded"].sum())

    def entries(self, ext: Extract, lang: str) -> list[dict[str, Any]]:
        """One entry per damaged column: ``column, field, damage, count, total,
        rounded, evidence, message`` (summary.json, the terminal, the column finding)."""
        out = []
        for f in (*ID_FIELDS, *DATE_FIELDS):
            damage = (
                "leading_zeros"
                if f in self.restore
                else "month_first"
                if f in self.month_first
                else None
            )
            c = self.counts.get(f, Counter())
            if damage is None and not c["rounded"]:
                continue
            header = ext.columns.header_of(f) or f
            entry: dict[str, Any] = {
                "column": header,
                "field": f,
                "damage": damage or "rounded",
                "count": int(c["restored"] if damage else c["rounded"]),
                "total": int(c["total"]),
                "rounded": int(c["rounded"]),
                "evidence": dict(self.evidence.get(f, {})),
            }
            entry["message"] = column_message(entry, lang)
            out.append(entry)
        return out


def column_message(entry: dict[str, Any], lang: str) -> str:
    """The line that names a damaged column, its damage and its counts."""
    damage = entry["damage"]
    if damage == "rounded":
        if lang == "vi":
            return f'Cột "{entry["column"]}": {entry["rounded"]} số bị làm tròn, mất chữ số'
        return f'Column "{entry["column"]}": {entry["rounded"]} numbers rounded, digits lost'
    text = MESSAGES[(damage, lang)].format(**entry)
    if entry.get("rounded"):
        text += MESSAGES[("rounded", lang)].format(**entry)
    return text


def column_findings(entries: list[dict[str, Any]]) -> pd.DataFrame:
    """One finding per damaged column (``row`` empty): ``rule, field, message``."""
    rows = [
        {"rule": RULE_OF[e["damage"]], "field": e["field"], "message": e["message"]}
        for e in entries
        if e["damage"] in RULE_OF and e["count"]
    ]
    return pd.DataFrame(rows, columns=["rule", "field", "message"])


# --- the survey ------------------------------------------------------------------------


def surveyed(ext: Extract, chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """The extract's chunks, the first held until :data:`SURVEY_ROWS` records are read
    (or the file ends) and the extract's diagnosis (``ext.damage``) is taken on them."""
    held: list[Chunk] = []
    count = 0
    fields = [f for f in (*ID_FIELDS, *DATE_FIELDS) if ext.columns.header_of(f) is not None]
    if not fields:
        ext.damage = Diagnosis()
        yield from chunks
        return
    for chunk in chunks:
        held.append(chunk)
        count += len(chunk.frame)
        if count >= SURVEY_ROWS:
            break
    ext.damage = diagnose(ext, [c.frame for c in held], fields)
    yield from held
    held = []
    yield from chunks


def _column(frames: list[pd.DataFrame], name: str) -> pa.Array:
    """The first :data:`SURVEY_ROWS` values of a column of the held frames, cleaned."""
    parts: list[pa.Array] = []
    left = SURVEY_ROWS
    for frame in frames:
        if left <= 0:
            break
        arr = to_arrow(frame[name].iloc[:left])
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        parts.append(arr.cast(pa.string()))
        left -= len(frame)
    if not parts:
        return pa.array([], pa.string())
    return clean_arrow(pa.concat_arrays(parts), repeats=False)


def diagnose(ext: Extract, frames: list[pd.DataFrame], fields: list[str]) -> Diagnosis:
    """The damage of each surveyed column, from its first values and cell types."""
    evidence: dict[str, dict[str, Any]] = {}
    restore: set[str] = set()
    month_first: set[str] = set()
    for f in fields:
        header = ext.columns.header_of(f) or f
        cells = ext.survey_cells.get(header, {})
        values = _column(frames, f)
        if f in ID_FIELDS:
            evidence[f] = number_stats(values, f)
        else:
            evidence[f] = date_stats(values)
        evidence[f].update({f"{k}_cells": int(v) for k, v in cells.items()})
    ids = evidence.get("id_number")
    if ids is not None and _zeros_lost(ids, strong=True):
        restore.add("id_number")
    bhxh = evidence.get("bhxh_code")
    if bhxh is not None:
        with_ids = "id_number" in restore and not bhxh["kept_zero"] and bhxh["short"]
        if with_ids or _zeros_lost(bhxh, strong=False):
            restore.add("bhxh_code")
    dob = evidence.get("dob")
    forms = {}
    if dob is not None:
        form = _read_month_first(dob)
        if form is not None:
            month_first.add("dob")
            forms["dob"] = form
    return Diagnosis(frozenset(restore), frozenset(month_first), forms, evidence)


def _zeros_lost(stats: dict[str, Any], *, strong: bool) -> bool:
    """Numbers of the column lost their leading zeros: number cells hold short values,
    or no value keeps a leading zero while many are one or two digits short (for a BHXH
    column, ``strong=False``: most, since codes of one province may all start alike)."""
    short, digits = stats["short"], stats["digits"]
    if not short:
        return False
    if stats.get("numeric_cells", 0):
        return True
    if stats["kept_zero"]:
        return False
    return short >= (_MANY if strong else 0.5) * digits


def number_stats(values: pa.Array, f: str) -> dict[str, Any]:
    """Counts of an ID or BHXH column: ``present``, ``digits`` (only digits once spaces,
    dots and dashes are removed), ``kept_zero`` (of those, starting with 0), ``short``
    (one or two digits short of the field's length), ``scientific``."""
    present = pc.is_valid(values)
    stripped = pc.replace_substring_regex(values, _SEPARATORS, "")
    only = pc.fill_null(pc.match_substring_regex(stripped, r"^\d+$"), False)
    length = pc.fill_null(pc.utf8_length(stripped), 0)
    short = pc.and_(only, pc.is_in(length, pa.array(list(SHORT[f]), pa.int32())))
    zero = pc.and_(only, pc.fill_null(pc.starts_with(stripped, "0"), False))
    sci = pc.fill_null(pc.match_substring_regex(values, _SCIENTIFIC), False)
    return {
        "present": _count(present),
        "digits": _count(only),
        "kept_zero": _count(zero),
        "short": _count(short),
        "scientific": _count(sci),
    }


def date_stats(values: pa.Array) -> dict[str, Any]:
    """Counts of a date column's values: ``day_first`` (d/m/y, first part over 12, the
    second 12 or less), ``either`` (both parts 12 or less), ``iso_day_le12`` and
    ``iso_day_gt12`` (``yyyy-mm-dd`` dates by their day)."""
    parts = pc.extract_regex(
        pc.fill_null(values, ""),
        r"^(?P<a>\d{1,2})(?P<s>[/.\-])(?P<b>\d{1,2})[/.\-](?P<y>\d{2}|\d{4})$",
    )
    ok = pc.is_valid(parts).to_numpy(zero_copy_only=False)
    a_txt = pc.struct_field(parts, [0])
    b_txt = pc.struct_field(parts, [2])

    def num(arr: pa.Array) -> np.ndarray:
        out = pc.cast(pc.if_else(pc.equal(arr, ""), "0", arr), pa.int64())
        return np.asarray(pc.fill_null(out, 0).to_numpy(zero_copy_only=False), dtype=np.int64)

    a, b = num(a_txt), num(b_txt)
    b_ok = (b >= 1) & (b <= 12)
    day_first = ok & (a > 12) & (a <= 31) & b_ok
    either = ok & (a >= 1) & (a <= 12) & b_ok

    iso = pc.extract_regex(
        pc.fill_null(values, ""), r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"
    )
    iso_ok = pc.is_valid(iso).to_numpy(zero_copy_only=False)
    iso_m, iso_d = num(pc.struct_field(iso, [1])), num(pc.struct_field(iso, [2]))
    iso_ok &= (iso_m >= 1) & (iso_m <= 12)
    return {
        "present": _count(pc.is_valid(values)),
        "iso_day_le12": int((iso_ok & (iso_d >= 1) & (iso_d <= 12)).sum()),
        "iso_day_gt12": int((iso_ok & (iso_d > 12)).sum()),
        "day_first": int(day_first.sum()),
        "either": int(either.sum()),
    }


def _read_month_first(stats: dict[str, Any]) -> str | None:
    """The form of the dates to swap back when the column was read month-first (see the
    module's docstring), else None."""
    if not stats["day_first"]:
        return None
    dates = stats.get("date_cells", 0)
    if dates:
        # An .xlsx (or Parquet) with date cells: the locale made dates of the values it
        # could read as month/day, so no date cell has a day over 12, and left as text
        # the values with a day over 12.
        if dates >= _MIN_DATE_CELLS and not stats.get("date_day_gt12_cells", 0):
            return "dmy"
        return None
    # A text file: the date cells exported as yyyy-mm-dd, every day 12 or less, and no
    # dd/mm/yyyy text whose day is 12 or less (those became the date cells).
    if (
        stats["iso_day_le12"] >= _MIN_DATE_CELLS
        and not stats["iso_day_gt12"]
        and not stats["either"]
    ):
        return "iso"
    return None


def _count(mask: pa.Array | pa.ChunkedArray) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, False), pa.int64())).as_py() or 0)


# --- restoring, on a chunk (called by prepare) -----------------------------------------


def swap_day_month(text: pa.Array, form: str = "dmy") -> tuple[pa.Array, np.ndarray]:
    """Dates whose day and month are both 12 or less with the two swapped
    (``03/05/1990`` → ``05/03/1990``; ``form="iso"``: ``1990-05-03`` → ``1990-03-05``),
    and where the value changed."""
    if form == "iso":
        swapped = pc.replace_substring_regex(text, _SWAPPABLE_ISO, r"\1-\3-\2")
    else:
        swapped = pc.replace_substring_regex(text, _SWAPPABLE, r"\3\2\1\4\5")
    changed = pc.fill_null(pc.not_equal(swapped, text), False)
    # 05/05/1990 swaps to itself: not a changed cell.
    return swapped, np.asarray(changed.to_numpy(zero_copy_only=False), dtype=bool)


def rounded_value(text: pa.Array) -> np.ndarray:
    """The number a rounded value stands for (8.62033E+10 → 86203300000), as float; NaN
    where the text is no number."""
    num = pc.replace_substring(pc.fill_null(text, ""), ",", ".")
    num = pc.if_else(
        pc.match_substring_regex(num, r"^\d+(\.\d+)?([eE]\+?\d+)?$"),
        num,
        pa.scalar(None, pa.string()),
    )
    return np.asarray(pc.cast(num, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def matches_rounded(rounded: np.ndarray, candidate: np.ndarray) -> np.ndarray:
    """Whether each candidate number (a well-formed ID) rounds to the rounded value: its
    difference is within half the unit of the rounded value's last significant digit."""
    r = np.where(np.isfinite(rounded), rounded, 0).astype(np.int64)
    zeros = np.zeros(len(r), dtype=np.int64)
    for k in range(1, 12):
        zeros += (r % 10**k == 0) & (r > 0) & (zeros == k - 1)
    tolerance = 10.0**zeros / 2
    c = np.where(np.isfinite(candidate), candidate, np.nan)
    with np.errstate(invalid="ignore"):
        return np.isfinite(rounded) & (r > 0) & (np.abs(c - rounded) <= tolerance)


def bhxh_as_id(
    bhxh: pd.DataFrame,
    ids: pd.DataFrame,
    raw_id: pa.Array,
    gender: pd.DataFrame,
    dates: pd.DataFrame,
) -> pd.DataFrame:
    """In a damaged BHXH column, a 10- or 11-digit number that is an ID with its zeros
    dropped (a 12-digit ID is legal there since 08/2025) put back to 12 digits: when it
    is then the record's ID or matches its rounded ID, or, with 11 digits, when the ID it
    gives is consistent with the record (a province code, the gender/century and year
    digits agreeing with the gender and birth year where known). Other 10-digit numbers
    are BHXH codes as they are; an 11-digit typo stays a ``bhxh.format``."""
    from cleanse.idnumber import structure

    digits = bhxh["bhxh_digits"]
    length = digits.str.len().fillna(0).to_numpy(dtype=np.int64)
    can = ((length == 10) | (length == 11)) & ~bhxh["bhxh_rounded"].to_numpy(dtype=bool)
    if not can.any():
        return bhxh
    cand = digits.str.pad(12, fillchar="0")
    same = (cand == ids["id_digits"]).fillna(False).to_numpy(dtype=bool)
    rounded = ids["id_rounded"].to_numpy(dtype=bool)
    value = np.where(rounded, rounded_value(raw_id), np.nan)
    number = pd.to_numeric(digits, errors="coerce").to_numpy(dtype="float64")
    near = matches_rounded(value, number)
    parts = structure(cand)
    g = gender["gender_code"].astype("string")
    year = dates["dob_year"].astype("Int64")
    consistent = (
        parts["place_known"]
        & (g.isna() | (g == parts["gender"])).fillna(False)
        & (year.isna() | ((year // 100 * 100 == parts["century"]) & (year % 100 == parts["yy"])))
        .fillna(False)
        .astype(bool)
    ).to_numpy(dtype=bool)
    take = can & (same | near | ((length == 11) & consistent))
    if not take.any():
        return bhxh
    out = bhxh.copy()
    out["bhxh_digits"] = digits.where(~take, cand)
    out["bhxh_fixed"] = out["bhxh_fixed"].to_numpy(dtype=bool) | take
    return out
