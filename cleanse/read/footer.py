"""Report footers under the table: totals, place-and-date and signature lines.

``_without_footer`` drops such a footer from the frames of a text or .xlsx extract and
notes it; ``_footer_kind`` judges one row, for the .xlsx reader, which lets a footer's
signature lines reach past the last headed column.

May import: the standard library, pandas and ``cleanse.normalise``; ``Extract`` for
typing only (``cleanse.read.extract`` imports this module).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import pandas as pd

from cleanse.normalise import fold_scalar

if TYPE_CHECKING:
    from cleanse.read.extract import Extract


# Vietnamese administrative reports end below the table with totals, a place and date
# line and signature blocks ("Tổng cộng", "Hà Nội, ngày 05 tháng 11 năm 2026",
# "Người lập biểu", "Thủ trưởng đơn vị", "(Ký, ghi rõ họ tên)", "TM. UBND"). Matched on
# the folded first non-empty cell of a row (letters and digits only, no accents).
_FOOTER_START = re.compile(
    r"^(?:tongcong|tongso|tong\d*$|cong\d*$|nguoilap|lapbieu|nguoiky|nguoikiemtra|"
    r"nguoiduyet|thutruong|ketoan|giamdoc|phogiamdoc|chutich|phochutich|truongphong|"
    r"truongban|truongthon|totruong|canbo|xacnhan|daidien|"
    r"(?:tm|kt|tl|tuq)(?:ubnd|uyban|chutich|giamdoc|thutruong|truong|bch|ban)|"
    r"ky(?:ghiro|hoten|ten|vaghi|dongdau)|danhsach(?:nay|gom|co))"
)
_DATE_LINE = re.compile(r"ngay\d{0,2}thang\d{0,2}nam(?:\d{2,4})?$")
_FOOTER_MAX_ROWS = 100  # a footer is a few lines; a longer run of such rows is records
_ID_LIKE = re.compile(r"\d{9}")
_DATE_LIKE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.-]\d{1,2}|^\s*\d{4}\s*$")
_ID_FIELDS = ("id_number", "bhxh_code", "other_id")
_DATE_FIELDS = ("dob",)


def _identity_columns(ext: Extract) -> tuple[list[int], list[int]]:
    """Positions of the columns a record is known by: IDs and the birth date."""
    fields = ext.columns.fields
    headers = ext.columns.headers
    ids = [i for i, h in enumerate(headers) if fields.get(h) in _ID_FIELDS]
    dates = [i for i, h in enumerate(headers) if fields.get(h) in _DATE_FIELDS]
    return ids, dates


def _footer_kind(cells: Sequence[str], identity: tuple[list[int], list[int]]) -> str | None:
    """How a row reads as part of a report footer: "start" (a totals, date or signature
    line), "more" (blank, or mostly empty: the signers' names, a stamp) or None (a
    record). A row that holds an ID or a birth date is always a record: one whose name
    is "Tổng" or "Công" is a person."""
    filled = [c for c in cells if c and c.strip()]
    if not filled:
        return "more"
    ids, dates = identity
    if any(_ID_LIKE.search(cells[i].replace(" ", "").replace(".", "")) for i in ids):
        return None
    if any(_DATE_LIKE.search(cells[i]) for i in dates):
        return None
    first = fold_scalar(filled[0])
    if _FOOTER_START.search(first) or _DATE_LINE.search(first):
        return "start"
    if len(filled) * 2 <= len(cells):
        return "more"
    return None


def _footer_at(frame: pd.DataFrame, identity: tuple[list[int], list[int]]) -> tuple[int, int]:
    """(rows at the end of ``frame`` that could belong to a footer, the position where a
    footer starts among them, or ``len(frame)`` when none does)."""
    n = len(frame)
    start = n
    tail = 0
    for i in range(n - 1, max(-1, n - 1 - _FOOTER_MAX_ROWS), -1):
        kind = _footer_kind(frame.iloc[i].tolist(), identity)
        if kind is None:
            break
        tail += 1
        if kind == "start":
            start = i
    if tail == _FOOTER_MAX_ROWS:
        return 0, n
    return tail, start


def _without_footer(frames: Iterator[pd.DataFrame], ext: Extract) -> Iterator[pd.DataFrame]:
    """The frames without the report footer under the table, noted; chunk sizes kept.

    A footer starts at a totals, date or signature line after the last record, and
    every row after it is a footer line too, or blank, or mostly empty, and none holds
    an ID or a birth date. Rows that could start one wait until the next frame shows
    whether records follow them.
    """
    identity = _identity_columns(ext)
    size = ext.chunk_rows
    carry: pd.DataFrame | None = None
    for frame in frames:
        if carry is not None:
            frame = pd.concat([carry, frame], ignore_index=True)
            carry = None
        tail, _ = _footer_at(frame, identity)
        if tail == 0 and len(frame) == size:
            yield frame
            continue
        at = 0
        while len(frame) - tail - at >= size:
            yield frame.iloc[at : at + size].reset_index(drop=True)
            at += size
        carry = frame.iloc[at:].reset_index(drop=True) if at < len(frame) else None
    if carry is None:
        return
    _, start = _footer_at(carry, identity)
    if start < len(carry):
        unit = "row(s)" if ext.format == "xlsx" else "line(s)"
        note = (
            f"{len(carry) - start} {unit} under the table skipped as a report footer "
            "(totals, date, signatures)"
        )
        if note not in ext.notes:
            ext.notes.append(note)
        carry = carry.iloc[:start]
    if len(carry):
        yield carry
