"""The opened extract: ``Extract``, ``Chunk`` and what every format's reader shares.

Holds ``Extract`` (what was understood of a file, and ``chunks()``, which hands out its
records in chunks whatever the format: report footers dropped, legacy-font text
converted, columns renamed, a split name joined), ``Chunk``, ``column_headers``,
``join_name``, the file identity that tells a file changed while it was read, Arrow
tables made pandas frames of text, and the columns surveyed for spreadsheet damage.

May import: the standard library, numpy, pandas, pyarrow, ``cleanse.errors``,
``cleanse.fields``, ``cleanse.legacy``, ``cleanse.normalise`` and
``cleanse.read.footer``. The format readers (``text``, ``xlsx``, ``parquet``) build
Extracts, so ``Extract.chunks`` imports them when it runs, never at import time;
``count_cells`` imports ``cleanse.damage`` (which imports this package for typing only)
the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cleanse import legacy
from cleanse.errors import CleanseError, os_reason
from cleanse.fields import REQUIRED, ColumnMap
from cleanse.i18n import msg
from cleanse.normalise import join_words
from cleanse.read.footer import _without_footer

# The first records of a file on which its spreadsheet damage is diagnosed (cleanse.damage),
# their cells counted while they are read.
SURVEY_ROWS = 250_000

DEFAULT_CHUNK_ROWS = 250_000
_STRING = pd.StringDtype("pyarrow")


@dataclass(frozen=True)
class Chunk:
    """A slice of an extract: columns renamed to canonical fields, all text."""

    frame: pd.DataFrame
    first_row: int  # SPEC row number of the frame's first record (1 = first after header)
    # The text as it is in the file of the columns converted from a legacy font on
    # reading (TCVN3, VNI), by the column's name in ``frame``: what ``fix`` reports it
    # changed.
    legacy: dict[str, pd.Series] = field(default_factory=dict)

    @property
    def rows(self) -> pd.Series:
        """The SPEC row number of every record of the chunk."""
        return pd.Series(
            range(self.first_row, self.first_row + len(self.frame)),
            index=self.frame.index,
            dtype="int64",
        )


@dataclass
class Extract:
    """An input file, opened and understood: its format, encoding, columns and kind."""

    path: Path
    format: str  # "csv", "xlsx" or "parquet"
    columns: ColumnMap
    kind: str
    kind_detected: bool
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_line: int = 0  # 0-based index of the header among the file's lines or sheet rows
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    notes: list[str] = field(default_factory=list)
    # Legacy-font text (TCVN3, VNI) converted to Unicode on reading: header -> scheme,
    # and what summary.json reports of it.
    legacy_columns: dict[str, str] = field(default_factory=dict)
    conversions: list[dict[str, str]] = field(default_factory=list)
    # (device, inode, size, mtime) when opened: a file that changes while it is read
    # would give records of two different versions, so reading stops instead.
    identity: tuple[int, ...] | None = None
    # xlsx: header -> (formulas without a value, records) among the first records.
    uncalculated: dict[str, tuple[int, int]] = field(default_factory=dict)
    # What a spreadsheet left in the ID and date columns (``cleanse.damage``): per header,
    # counts of number cells (``numeric``), date cells (``date``) and date cells whose day
    # is over 12 (``date_day_gt12``), over the whole file (``cells``) and over its first
    # ``damage.SURVEY_ROWS`` records (``survey_cells``), counted while reading.
    cells: dict[str, dict[str, int]] = field(default_factory=dict)
    survey_cells: dict[str, dict[str, int]] = field(default_factory=dict)
    # Blank rows inside an .xlsx table are no records: (first record after them, rows
    # to add to its record number from there on) for ``sheet_rows``.
    row_gaps: list[tuple[int, int]] = field(default_factory=list)
    # The spreadsheet damage diagnosed on its first records (``cleanse.damage``), set
    # while its chunks are read through ``damage.surveyed``.
    damage: Any = None

    @property
    def name(self) -> str:
        """The file's name, as findings call it (``source``)."""
        return self.path.name

    @property
    def required(self) -> tuple[str, ...]:
        """Fields the kind requires."""
        return REQUIRED[self.kind]

    def chunks(self) -> Iterator[Chunk]:
        """Yield the records in chunks of at most ``chunk_rows``, columns renamed.

        Raises ``CleanseError`` when the file changed since it was opened, at the start
        and again after the last record, so a run never reports on a file half old, half
        new.
        """
        self._check_unchanged()
        try:
            yield from self._chunks()
        except CleanseError:
            self._check_unchanged()  # a change explains the error better than the error
            raise
        self._check_unchanged()

    def _check_unchanged(self) -> None:
        if self.identity is None:
            return
        try:
            now = _identity(os.stat(self.path))
        except OSError:
            now = None
        if now != self.identity:
            raise CleanseError(
                "the file changed while it was being read",
                path=str(self.path),
                hint="run again once whatever writes or copies the file has finished",
            )

    def _chunks(self) -> Iterator[Chunk]:
        from cleanse.read import parquet, text, xlsx  # they import this module

        if self.format == "csv":
            raw = text._csv_frames(self)
        elif self.format == "xlsx":
            raw = xlsx._xlsx_frames(self)
        else:
            raw = parquet._parquet_frames(self)
        if self.format != "parquet":
            raw = _without_footer(raw, self)
        rename = self.columns.rename()
        first = 1
        for frame in raw:
            # Raw-as-read is the Unicode text: rules and findings see the converted value.
            as_read = {}
            for header, scheme in self.legacy_columns.items():
                as_read[rename.get(header, header)] = frame[header]
                frame[header] = legacy.convert(frame[header], scheme)
            frame = frame.rename(columns=rename)
            if self.columns.joined:
                frame = join_name(frame, self.columns.joined)
            frame.index = pd.RangeIndex(first - 1, first - 1 + len(frame))
            for series in as_read.values():
                series.index = frame.index
            yield Chunk(frame, first, as_read)
            first += len(frame)

    def sheet_rows(self, rows: np.ndarray | pd.Series) -> np.ndarray:
        """The row number a spreadsheet shows for SPEC row numbers: the header and the
        lines above it counted (the first record under a header on line 1 is 2), and in
        an .xlsx the blank rows inside the table too."""
        at = np.asarray(rows, dtype=np.int64)
        shown = at + self.header_line + 1
        if self.row_gaps:
            starts = np.array([g[0] for g in self.row_gaps], dtype=np.int64)
            extra = np.array([0] + [g[1] for g in self.row_gaps], dtype=np.int64)
            shown = shown + extra[np.searchsorted(starts, at, side="right")]
        return shown

    def count_cells(self, header: str, kind: str, n: int, record: int) -> None:
        """Count ``n`` cells of ``kind`` in a column, the last of them in ``record``."""

        whole = self.cells.setdefault(header, {})
        whole[kind] = whole.get(kind, 0) + n
        if record <= SURVEY_ROWS:
            first = self.survey_cells.setdefault(header, {})
            first[kind] = first.get(kind, 0) + n

    def describe(self) -> dict[str, object]:
        """What was understood of the file, for summary.json."""
        return {
            "source": self.name,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "kind": self.kind,
            "kind_detected": self.kind_detected,
            "columns": {h: self.columns.fields.get(h) for h in self.columns.headers},
            "notes": list(self.notes),
            "conversions": [dict(c) for c in self.conversions],
        }


def column_headers(ext: Extract) -> dict[str, str]:
    """Each canonical field of the extract to its header as written in the file (a name
    split over columns: their headers, joined by ``+``)."""
    headers = {f: h for h, f in ext.columns.fields.items()}
    if ext.columns.joined and "full_name" not in headers:
        parts = [ext.columns.header_of(f) or f for f in ext.columns.joined]
        headers["full_name"] = " + ".join(parts)
    return headers


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _string_type(t: pa.DataType) -> Any:
    return _STRING if pa.types.is_string(t) or pa.types.is_large_string(t) else None


def _to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_string_type)


# Fields whose cells say what a spreadsheet did to a column (``cleanse.damage``).
SURVEYED_FIELDS = ("id_number", "bhxh_code", "dob")


def _surveyed_columns(ext: Extract, shift: int = 0) -> list[tuple[int, str]]:
    """(position among a row's values, header) of the columns ``cleanse.damage`` reads."""
    fields = ext.columns.fields
    return [
        (i - shift, h)
        for i, h in enumerate(ext.columns.headers)
        if fields.get(h) in SURVEYED_FIELDS and i >= shift
    ]


def join_name(frame: pd.DataFrame, parts: Sequence[str]) -> pd.DataFrame:
    """The frame with ``full_name`` made of the name's ``parts`` (family, middle, given):
    each trimmed, empty ones skipped, one space between them; the parts stay beside it.

    Placed where the first part is, so the columns keep the file's order.
    """
    joined = join_words([pa.array(frame[n], type=pa.string(), from_pandas=True) for n in parts])
    out = frame.copy(deep=False)
    out.insert(
        list(frame.columns).index(parts[0]),
        "full_name",
        pd.Series(
            pc.fill_null(joined, "").to_pandas(types_mapper=_string_type).array, index=frame.index
        ),
    )
    return out


def unreadable(exc: OSError, shown: str) -> CleanseError:
    """The one line for a file the system would not open or read."""
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return CleanseError("no such file", path=shown)
    if isinstance(exc, PermissionError):
        return CleanseError("no permission to read the file", path=shown)
    return CleanseError(msg("cannot read the file: {reason}", reason=os_reason(exc)), path=shown)
