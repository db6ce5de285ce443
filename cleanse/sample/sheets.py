"""Spreadsheet-damaged twins of the sample extracts (`cleanse sample --spreadsheet`).

A ward officer opens an extract's CSV in Excel or LibreOffice and saves it as ``.xlsx``.
The import types every cell by its content, and that is the damage cleanse must see
through. Two twins are written per extract, into ``OUT/spreadsheet/``:

- ``<name>.xlsx``: opened in a day-first (Vietnamese) spreadsheet. Cells of digits are
  number cells (``034094231932`` becomes 34094231932: the leading zero is gone), a
  decimal comma is a number (``1,5`` is 1.5), scientific text is a number, and every real
  ``dd/mm/yyyy`` date is a date cell, right. In a few percent of the rows the personal ID
  was pasted in as Excel displays a long number in a General cell (``8.62033E+10``) and
  stored as that rounded number (86203300000): its digits are lost for good. In the BHXH
  extract some of those rows carry the same person's ID in the BHXH column (legal since
  08/2025), where nothing was rounded.
- ``<name>.month-first.xlsx``: the same CSV opened in a month-first (US-locale)
  spreadsheet. Numbers as above, but nothing rounded and a decimal comma stays text; a
  ``dd/mm/yyyy`` text whose day is 12 or less reads as month/day and becomes a date cell
  with day and month swapped, and one whose day is over 12 stays a text cell as written.

Both follow what LibreOffice does with the default CSV import (checked with
``soffice --infilter=CSV:44,34,76,1,,<language>``): a birth year alone (``1942``) is a
number cell, ``03/1942`` and unreadable dates stay text, dates before 1900 stay text.
Excel also reads scientific text (``4.61768E+10``) as a number, which LibreOffice keeps
as text; the twins take Excel's reading.

The truth of the damage goes to ``truth/spreadsheet_columns.csv`` (per file and column:
the kind of damage and its count) and ``truth/spreadsheet_cells.csv`` (per cell that no
reader can put back from the cell alone: the rounded IDs and the swapped dates). The
twins draw from their own generator, seeded from the sample's seed, so ``--spreadsheet``
leaves the CSV extracts and their truth byte-identical.

May import ``dates`` and xlsxwriter (when writing); ``generate`` imports this module only
for ``--spreadsheet``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.sample.dates import _from_ymd, _month_len

DIR = "spreadsheet"
DAY_FIRST, MONTH_FIRST = "day_first", "month_first"
SUFFIX = {DAY_FIRST: ".xlsx", MONTH_FIRST: ".month-first.xlsx"}
EXCEL_ROWS = 1_048_576  # rows of a worksheet, the header included
# Share of the rows with a clean 12-digit ID whose ID was pasted in rounded (day-first
# twin only): a block pasted from a sheet that showed the IDs as 8.62033E+10.
ROUNDED_SHARE = 0.02
SIGNIFICANT = 6  # digits a General cell shows in scientific notation: 8.62033E+10
ID_FIELD, BHXH_FIELD = "id_number", "bhxh_code"

COLUMN_TRUTH = ("file", "source", "sheet", "column", "field", "damage", "cells", "rows")
CELL_TRUTH = (
    "file",
    "source",
    "row",
    "sheet_row",
    "column",
    "field",
    "damage",
    "cell",
    "value",
    "same_id_in",
)
# Kinds of damage in truth/spreadsheet_columns.csv, in the order they are listed.
DAMAGE = (
    "numeric",  # text of digits (or 1,5 or 4.6E+10) stored as a number cell
    "leading_zeros",  # of those, numbers that lost leading zeros and can be put back
    "rounded",  # IDs stored rounded to 6 significant digits: the digits are lost
    "date",  # dd/mm/yyyy stored as the right date cell
    "day_month_swapped",  # a date cell with day and month swapped (month-first)
    "date_text",  # a date left as text in a column that has date cells
)

BLANK, TEXT, NUMBER, DATE = 0, 1, 2, 3
_EXCEL_1970 = 25_569  # Excel's serial number of 1970-01-01
_MARCH_1900 = -25_508  # 1900-03-01 in days since 1970: Excel's dates are right from here


def rounded(number: int, significant: int = SIGNIFICANT) -> int:
    """The number a General cell shows in scientific notation, as a number: half up."""
    digits = len(str(number))
    if digits <= significant:
        return number
    step = 10 ** (digits - significant)
    return (number + step // 2) // step * step


def scientific(number: int, significant: int = SIGNIFICANT) -> str:
    """How Excel's General format shows a long number in a narrow cell: ``8.62033E+10``."""
    mantissa, exponent = f"{number:.{significant - 1}E}".split("E")
    return f"{mantissa.rstrip('0').rstrip('.')}E+{int(exponent):02d}"


def _mask(values: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False))


def _ints(values: pa.Array, start: int, length: int) -> np.ndarray:
    part = pc.utf8_slice_codeunits(values, start, start + length)
    return np.asarray(part.cast(pa.int64()).to_numpy(zero_copy_only=False))


@dataclass
class Cells:
    """One column of a twin: the kind of each cell, its number (or date serial), counts."""

    kind: np.ndarray
    number: np.ndarray
    counts: dict[str, int]
    swapped: np.ndarray  # rows whose date cell has day and month swapped


def cells(values: pa.Array, variant: str) -> Cells:
    """Type a column of CSV text as a spreadsheet's import does (see the module doc)."""
    values = pc.fill_null(values.cast(pa.string()), "")
    n = len(values)
    kind = np.full(n, TEXT, dtype=np.int8)
    number = np.zeros(n, dtype=np.float64)
    kind[np.asarray(pc.equal(values, "").to_numpy(zero_copy_only=False))] = BLANK

    digits = _mask(values, r"^[0-9]{1,15}$")
    number[digits] = _ints(values.filter(pa.array(digits)), 0, 15)
    sci = _mask(values, r"^[0-9](\.[0-9]+)?[Ee]\+?[0-9]{1,2}$")
    if sci.any():
        number[sci] = np.asarray(values.filter(pa.array(sci)).cast(pa.float64()))
    numeric = digits | sci
    if variant == DAY_FIRST:
        comma = _mask(values, r"^[0-9]{1,9},[0-9]{1,6}$")
        if comma.any():
            dotted = pc.replace_substring(values.filter(pa.array(comma)), ",", ".")
            number[comma] = np.asarray(dotted.cast(pa.float64()))
        numeric |= comma
    kind[numeric] = NUMBER
    zeros = digits & _mask(values, r"^0[0-9]")

    dated = _mask(values, r"^[0-9]{2}/[0-9]{2}/[0-9]{4}$")
    swapped = np.zeros(n, dtype=bool)
    as_date = np.zeros(n, dtype=bool)
    if dated.any():
        rows = np.flatnonzero(dated)
        text = values.take(pa.array(rows))
        first, second, year = _ints(text, 0, 2), _ints(text, 3, 2), _ints(text, 6, 4)
        # Day-first reads first/second as day/month, month-first as month/day.
        day, month = (first, second) if variant == DAY_FIRST else (second, first)
        ok = (month >= 1) & (month <= 12) & (day >= 1) & (year >= 1900)
        safe_month = np.clip(month, 1, 12)
        ok &= day <= _month_len(year, safe_month)
        days = _from_ymd(year, safe_month, np.where(ok, day, 1))
        ok &= days >= _MARCH_1900
        as_date[rows[ok]] = True
        number[rows[ok]] = days[ok] + _EXCEL_1970
        if variant == MONTH_FIRST:
            swapped[rows[ok & (first != second)]] = True
    kind[as_date] = DATE
    counts = {
        "numeric": int(numeric.sum()),
        "leading_zeros": int(zeros.sum()),
        "rounded": 0,
        "date": int((as_date & ~swapped).sum()),
        "day_month_swapped": int(swapped.sum()),
        "date_text": int((dated & ~as_date).sum()) if as_date.any() else 0,
    }
    return Cells(kind, number, counts, np.flatnonzero(swapped))


@dataclass
class Twins:
    """Collects the twins of the extracts as they are written, and their truth."""

    out_dir: Path
    rng: np.random.Generator
    created: datetime
    columns: list[dict] = field(default_factory=list)
    cells: list[pd.DataFrame] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        name: str,
        cols: dict[str, pa.Array],
        headers: dict[str, str],
        truth: pd.DataFrame,
    ) -> None:
        """Write both twins of extract ``name`` (columns by field, in file order).

        ``truth`` is the extract's truth: the rows it names (and their related rows) keep
        their IDs unrounded, so that a rounded ID is the only thing wrong with its cell.
        """
        n = len(next(iter(cols.values())))
        if n + 1 > EXCEL_ROWS:
            raise ValueError(
                f"{name}: {n:,} rows do not fit in a worksheet ({EXCEL_ROWS - 1:,} at most)"
            )
        busy = np.zeros(n + 1, dtype=bool)
        if len(truth):
            busy[truth["row"].to_numpy(dtype=np.int64)] = True
            related = pd.to_numeric(truth["related_row"], errors="coerce").dropna()
            busy[related.to_numpy(dtype=np.int64)] = True
        picked = self._rounded_rows(cols, busy[1:]) if ID_FIELD in cols else np.array([], int)
        stem = name.rsplit(".", 1)[0]
        for variant in (DAY_FIRST, MONTH_FIRST):
            file = f"{DIR}/{stem}{SUFFIX[variant]}"
            typed = {c: cells(v, variant) for c, v in cols.items()}
            if variant == DAY_FIRST and len(picked):
                self._round(file, name, cols, headers, typed[ID_FIELD], picked)
            for c, t in typed.items():
                if variant == MONTH_FIRST and len(t.swapped):
                    self._cell_truth(
                        file,
                        name,
                        t.swapped,
                        headers[c],
                        c,
                        "day_month_swapped",
                        [_iso(x) for x in t.number[t.swapped]],
                        cols[c].take(pa.array(t.swapped)).to_pylist(),
                    )
                for damage in DAMAGE:
                    if t.counts[damage]:
                        self.columns.append(
                            {
                                "file": file,
                                "source": name,
                                "sheet": stem,
                                "column": headers[c],
                                "field": c,
                                "damage": damage,
                                "cells": t.counts[damage],
                                "rows": n,
                            }
                        )
            self._write(self.out_dir / file, stem, cols, headers, typed, variant)
            self.counts[file] = n

    def _rounded_rows(self, cols: dict[str, pa.Array], busy: np.ndarray) -> np.ndarray:
        ids = pc.fill_null(cols[ID_FIELD].cast(pa.string()), "")
        ok = _mask(ids, r"^0[0-9]{11}$") & ~busy
        rows = np.flatnonzero(ok)
        exact = np.array([rounded(int(v)) == int(v) for v in ids.take(pa.array(rows)).to_pylist()])
        rows = rows[~exact] if len(rows) else rows
        if not len(rows):
            return rows
        k = max(1, round(ROUNDED_SHARE * len(rows)))
        if BHXH_FIELD not in cols:
            return np.sort(self.rng.choice(rows, size=k, replace=False))
        # Where the BHXH column holds the person's ID (a well-formed one), the ID can
        # still be found in the row: at least one such row, at their share otherwise.
        same = np.asarray(
            pc.equal(pc.fill_null(cols[BHXH_FIELD].cast(pa.string()), ""), ids)
            .take(pa.array(rows))
            .to_numpy(zero_copy_only=False)
        )
        k_same = min(int(same.sum()), max(1, round(k * same.mean())))
        take = [
            self.rng.choice(rows[same], size=k_same, replace=False),
            self.rng.choice(rows[~same], size=min(k - k_same, int((~same).sum())), replace=False),
        ]
        return np.sort(np.concatenate(take))

    def _round(
        self,
        file: str,
        name: str,
        cols: dict[str, pa.Array],
        headers: dict[str, str],
        t: Cells,
        rows: np.ndarray,
    ) -> None:
        written = cols[ID_FIELD].take(pa.array(rows)).to_pylist()
        numbers = [rounded(int(v)) for v in written]
        t.number[rows] = numbers
        t.counts["rounded"] = len(rows)
        t.counts["leading_zeros"] -= len(rows)  # not to be put back: counted as rounded
        same = [""] * len(rows)
        if BHXH_FIELD in cols:
            codes = cols[BHXH_FIELD].take(pa.array(rows)).to_pylist()
            same = [BHXH_FIELD if c == v else "" for c, v in zip(codes, written, strict=True)]
        self._cell_truth(
            file,
            name,
            rows,
            headers[ID_FIELD],
            ID_FIELD,
            "rounded",
            [str(x) for x in numbers],
            written,
            same,
        )

    def _cell_truth(
        self,
        file: str,
        name: str,
        rows: np.ndarray,
        column: str,
        fld: str,
        damage: str,
        cell: list[str],
        value: list[str],
        same: list[str] | None = None,
    ) -> None:
        self.cells.append(
            pd.DataFrame(
                {
                    "file": file,
                    "source": name,
                    "row": rows + 1,
                    "sheet_row": rows + 2,
                    "column": column,
                    "field": fld,
                    "damage": damage,
                    "cell": cell,
                    "value": value,
                    "same_id_in": same if same is not None else [""] * len(rows),
                }
            )
        )

    def _write(
        self,
        path: Path,
        sheet: str,
        cols: dict[str, pa.Array],
        headers: dict[str, str],
        typed: dict[str, Cells],
        variant: str,
    ) -> None:
        import xlsxwriter

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        wb = xlsxwriter.Workbook(
            str(tmp),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        wb.set_properties({"created": self.created})  # same seed, same bytes
        ws = wb.add_worksheet(sheet)
        date_format = wb.add_format(
            {"num_format": "dd/mm/yyyy" if variant == DAY_FIRST else "m/d/yyyy"}
        )
        ws.write_row(0, 0, [headers[c] for c in cols])
        kinds = [typed[c].kind.tolist() for c in cols]
        numbers = [typed[c].number.tolist() for c in cols]
        texts = [pc.fill_null(v.cast(pa.string()), "").to_pylist() for v in cols.values()]
        write_string, write_number = ws.write_string, ws.write_number
        for r in range(len(kinds[0])):
            for c, kind in enumerate(kinds):
                k = kind[r]
                if k == TEXT:
                    write_string(r + 1, c, texts[c][r])
                elif k == NUMBER:
                    write_number(r + 1, c, numbers[c][r])
                elif k == DATE:
                    write_number(r + 1, c, numbers[c][r], date_format)
        wb.close()
        tmp.replace(path)

    def truth(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The two truth tables: per file and column, and per unrecoverable cell."""
        columns = pd.DataFrame(self.columns, columns=list(COLUMN_TRUTH))
        cells = (
            pd.concat(self.cells, ignore_index=True)
            if self.cells
            else pd.DataFrame(columns=list(CELL_TRUTH))
        )
        return columns, cells.sort_values(["file", "row", "column"], kind="stable")


def _iso(serial: float) -> str:
    return str(np.datetime64(int(serial) - _EXCEL_1970, "D"))
