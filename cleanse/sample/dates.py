"""Dates as day numbers (days since 1970-01-01) over whole arrays: calendar arithmetic,
ages, and the ``dd/mm/yyyy`` text the extracts show.

May import numpy, pyarrow and ``arrays``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.sample.arrays import _digits, _take


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _ymd(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    year = months.astype("datetime64[Y]").astype(np.int64) + 1970
    month = months.astype(np.int64) % 12 + 1
    day = (d - months.astype("datetime64[D]")).astype(np.int64) + 1
    return year, month, day


def _from_ymd(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    months = (np.asarray(year) - 1970) * 12 + (np.asarray(month) - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return first + np.asarray(day) - 1


def _month_len(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    nxt = _from_ymd(year + (month == 12), month % 12 + 1, np.ones_like(month))
    return nxt - _from_ymd(year, month, np.ones_like(month))


def _add_years(days: np.ndarray, years: int | np.ndarray) -> np.ndarray:
    y, m, d = _ymd(days)
    y = y + years
    return _from_ymd(y, m, np.minimum(d, _month_len(y, m)))


def _first_of_month(days: np.ndarray, months_later: int | np.ndarray = 0) -> np.ndarray:
    y, m, _ = _ymd(days)
    total = y * 12 + (m - 1) + months_later
    return _from_ymd(total // 12, total % 12 + 1, np.ones_like(total))


def _age(dob: np.ndarray, ref: np.ndarray | int) -> np.ndarray:
    y1, m1, d1 = _ymd(dob)
    y2, m2, d2 = _ymd(np.broadcast_to(ref, np.shape(dob)))
    return y2 - y1 - ((m2 * 100 + d2) < (m1 * 100 + d1))


_TWO_DIGITS = [f"{i:02d}" for i in range(100)]


def _dates(days: np.ndarray, parts: str = "dmy") -> pa.Array:
    """Dates as dd/mm/yyyy text (or mm/yyyy, yyyy for ``parts="my"``, ``"y"``)."""
    y, m, d = _ymd(days)
    text = {"d": _take(_TWO_DIGITS, d), "m": _take(_TWO_DIGITS, m), "y": _digits(y, 4)}
    if len(parts) == 1:
        return text[parts]
    return pc.binary_join_element_wise(*(text[c] for c in parts), "/")


def _fmt(y: int, m: int, d: int) -> str:
    return f"{d:02d}/{m:02d}/{y:04d}"


def _parse(text: str) -> tuple[int, int, int]:
    d, m, y = (int(x) for x in text.split("/"))
    return y, m, d
