"""Reading Excel ``.xlsx`` workbooks: the first rows with openpyxl, the records with
calamine.

Holds the unpack limit checked before either library unpacks a part, the damage they
raise made one line, the workbook opened read-only with its shared strings parsed
lazily, the sheet chosen (the first visible one; hidden sheets noted), formulas saved
without a value found among the first records, cell values as the text a user sees,
the records read by calamine into frames (blank rows skipped and counted for the row
numbers a spreadsheet shows, a value beyond the last headed column refused unless in a
report footer) and the number and date cells of surveyed columns counted.

May import: the standard library, pandas, pyarrow, openpyxl and python_calamine (when a
workbook is read), ``cleanse.errors``, ``cleanse.fields``, ``cleanse.i18n``,
``cleanse.legacy`` and ``cleanse.read.extract``, ``footer`` and ``sniff``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

import pandas as pd
import pyarrow as pa

from cleanse import legacy
from cleanse.errors import CleanseError
from cleanse.fields import map_columns
from cleanse.i18n import msg
from cleanse.read.extract import Extract, _surveyed_columns, _to_frame, unreadable
from cleanse.read.footer import _FOOTER_MAX_ROWS, _footer_kind, _identity_columns
from cleanse.read.sniff import (
    _HEADER_SCAN_LINES,
    _find_header,
    _note_legacy,
    _refuse_repeated_fields,
)

# An .xlsx is a zip: refuse one that would unpack to more than this (a "zip bomb", or a
# sheet far beyond Excel's own limits) before openpyxl starts unpacking it.
XLSX_MAX_UNPACKED_BYTES = 2 << 30


def _cell_text(value: object) -> str:
    """Excel cell value as the text a user sees: whole numbers without '.0', dates d/m/y."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return f"{value:%d/%m/%Y}"
        return f"{value:%d/%m/%Y %H:%M:%S}"
    if isinstance(value, dt.date):
        return f"{value:%d/%m/%Y}"
    return str(value)


# What openpyxl raises on a damaged workbook. Sheets are parsed lazily, so reading
# their rows can raise these too, not only opening the file.
_XLSX_DAMAGE = (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, ParseError)


def _damaged_xlsx(exc: Exception, shown: str) -> CleanseError:
    return CleanseError(
        msg("the Excel file is damaged: {name}", name=type(exc).__name__),
        path=shown,
        hint="open it in Excel and save it again",
    )


def _check_unpacked_size(fh: BinaryIO, shown: str) -> None:
    """Refuse a workbook whose parts would unpack to more than the limit.

    The sizes are those the zip declares; Python's zipfile never unpacks more than a
    part declares (it stops with a CRC error), so they bound what openpyxl will read.
    """
    try:
        with zipfile.ZipFile(fh) as zf:
            total = sum(info.file_size for info in zf.infolist())
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _damaged_xlsx(exc, shown) from None
    if total > XLSX_MAX_UNPACKED_BYTES:
        raise CleanseError(
            msg(
                "the Excel file would unpack to {mb:,.0f} MB, more than the {limit:,.0f} MB "
                "allowed",
                mb=total / 2**20,
                limit=XLSX_MAX_UNPACKED_BYTES / 2**20,
            ),
            path=shown,
            hint="check where the file came from; a real extract this large should be "
            "exported as CSV",
        )
    fh.seek(0)


# Rows read when a workbook is opened: the title lines and the header among the first
# _HEADER_SCAN_LINES, and records below it to judge the columns (legacy fonts, formulas).
_XLSX_HEAD_ROWS = _HEADER_SCAN_LINES + 200


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Library warnings ("Workbook contains no default style, apply openpyxl's default")
    never reach stderr: cron mails whatever a job prints there."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


class _LazyStrings:
    """A workbook's shared strings, parsed only as far as a cell asks for.

    openpyxl parses the whole table when it opens a workbook, which for a sheet of
    unique values is most of the file (minutes, gigabytes); the rows read when opening
    need only the first strings. Each string as openpyxl's ``read_string_table`` makes it.
    """

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self._source = archive.open(name)
        self._strings: list[str] = []
        self._parsed = self._parse()

    def _parse(self) -> Iterator[str]:
        from openpyxl.cell.text import Text
        from openpyxl.xml.constants import SHEET_MAIN_NS
        from openpyxl.xml.functions import iterparse

        tag = f"{{{SHEET_MAIN_NS}}}si"
        for _, node in iterparse(self._source):
            if node.tag == tag:
                text = Text.from_tree(node).content.replace("x005F_", "")
                node.clear()
                yield text

    def __getitem__(self, index: int) -> str:
        while len(self._strings) <= index:
            try:
                self._strings.append(next(self._parsed))
            except StopIteration:
                raise IndexError(index) from None
        return self._strings[index]

    def __len__(self) -> int:
        return len(self._strings)

    def close(self) -> None:
        self._source.close()


@contextlib.contextmanager
def _workbook(p: Path, shown: str, *, data_only: bool = True) -> Iterator[Any]:
    """The workbook, read-only, with its shared strings parsed lazily, opened from a file
    object (so that openpyxl does not refuse a workbook whose name does not end in
    .xlsx), closed after use. For the first rows only: records are read by calamine."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class Reader(ExcelReader):  # type: ignore[misc]
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if part is not None:
                self.shared_strings = _LazyStrings(self.archive, part.PartName[1:])

    try:
        fh = p.open("rb")
    except OSError as exc:
        raise unreadable(exc, shown) from None
    with fh, _quiet():
        _check_unpacked_size(fh, shown)
        try:
            reader = Reader(fh, read_only=True, data_only=data_only)
            reader.read()
        except _XLSX_DAMAGE as exc:
            raise _damaged_xlsx(exc, shown) from None
        try:
            yield reader.wb
        finally:
            if isinstance(reader.shared_strings, _LazyStrings):
                reader.shared_strings.close()
            reader.wb.close()


def _sheet(wb, sheet: str | None, shown: str):  # type: ignore[no-untyped-def]
    if sheet is None:
        # The first sheet a user sees: a hidden one before it is a lookup table, an
        # older copy or a template, never what Excel opens on.
        visible = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
        return (visible or wb.worksheets)[0]
    if sheet not in wb.sheetnames:
        raise CleanseError(
            msg(
                "has no sheet {sheet!r}; sheets: {sheetnames}",
                sheet=sheet,
                sheetnames=", ".join(wb.sheetnames),
            ),
            path=shown,
        )
    return wb[sheet]


def _head_rows(ws: Any, count: int) -> list[list[object]]:
    return [list(values) for values in ws.iter_rows(values_only=True, max_row=count)]


def _is_formula(value: object) -> bool:
    """A cell openpyxl read as a formula (with data_only=False)."""
    if isinstance(value, str):
        return value.startswith("=")
    return type(value).__name__ in {"ArrayFormula", "DataTableFormula"}


def _open_xlsx(
    p: Path, shown: str, sheet: str | None, user_map: Mapping[str, str] | None
) -> Extract:
    with _workbook(p, shown) as wb:
        try:
            ws = _sheet(wb, sheet, shown)
            values = _head_rows(ws, _XLSX_HEAD_ROWS)
            title = ws.title
            hidden = [w.title for w in wb.worksheets if w.sheet_state != "visible"]
        except _XLSX_DAMAGE as exc:
            raise _damaged_xlsx(exc, shown) from None
    rows = [[_cell_text(v) for v in r] for r in values]
    if not any(any(c.strip() for c in r) for r in rows):
        raise CleanseError(msg("sheet {title!r} is empty", title=title), path=shown)
    header_at = _find_header(rows[:_HEADER_SCAN_LINES])
    headers = list(rows[header_at])
    while headers and not headers[-1].strip():
        headers.pop()  # Excel reports trailing formatted-but-empty cells
    headers, legacy_columns, legacy_header = legacy.plan(headers, rows[header_at + 1 :])
    _refuse_repeated_fields(headers, user_map, shown)
    columns = map_columns(headers, user_map, path=shown)
    ext = Extract(p, "xlsx", columns, "generic", True, sheet=title, header_line=header_at)
    if title in hidden:
        ext.notes.append(f"sheet {title!r} is hidden in the workbook")
    others = [h for h in hidden if h != title]
    if others:
        ext.notes.append(
            f"hidden sheet(s) not read: {', '.join(repr(h) for h in others)} "
            "(read one with --sheet)"
        )
    if header_at:
        ext.notes.append(f"{header_at} row(s) above the header skipped")
    _note_legacy(ext, legacy_columns, legacy_header, None)
    ext.uncalculated = _uncalculated(p, shown, title, header_at, columns.headers, values)
    return ext


def sheet_head(ext: Extract, count: int) -> list[list[str]]:
    """The first ``count`` rows of an .xlsx extract's sheet, each cell as the reader
    shows it (``_cell_text``), trailing empty cells dropped: the title rows and the
    header as the file writes them, for a copy of the file (``cleanse.rewrite``)."""
    shown = str(ext.path)
    with _workbook(ext.path, shown) as wb:
        try:
            values = _head_rows(_sheet(wb, ext.sheet, shown), count)
        except _XLSX_DAMAGE as exc:
            raise _damaged_xlsx(exc, shown) from None
    rows = []
    for row in values:
        cells = [_cell_text(v) for v in row]
        while cells and not cells[-1]:
            cells.pop()
        rows.append(cells)
    return rows


def _uncalculated(
    p: Path, shown: str, title: str, header_at: int, headers: Sequence[str], values: list
) -> dict[str, tuple[int, int]]:
    """Per header, (formulas without a value, records) among the first records read.

    A program that writes formulas without calculating them (openpyxl, some exports)
    leaves no value for a reader to take: Excel would show one after recalculating, but
    the file holds none, so every check on that column would be wrong.
    """
    empty = [
        [j for j, v in enumerate(r[: len(headers)]) if v is None or v == ""]
        for r in values[header_at + 1 :]
    ]
    if not any(empty):
        return {}
    with _workbook(p, shown, data_only=False) as wb:
        try:
            formulas = _head_rows(wb[title], len(values))[header_at + 1 :]
        except _XLSX_DAMAGE as exc:
            raise _damaged_xlsx(exc, shown) from None
    records = sum(1 for r in values[header_at + 1 :] if any(v not in (None, "") for v in r))
    counts: dict[str, int] = {}
    for cols, row in zip(empty, formulas, strict=False):
        for j in cols:
            if j < len(row) and _is_formula(row[j]):
                counts[headers[j]] = counts.get(headers[j], 0) + 1
    return {h: (n, max(records, n)) for h, n in counts.items()}


def _check_calculated(ext: Extract, check: bool) -> None:
    """Refuse a field's column that is mostly formulas without values (every check on it
    would be wrong); note the others, and any column when not checking (``inspect``)."""
    for header, (formulas, records) in ext.uncalculated.items():
        field = ext.columns.fields.get(header)
        if check and field is not None and formulas * 2 > records:
            raise CleanseError(
                msg(
                    "holds formulas without values ({formulas} of the first {records} records): "
                    "the program that saved the file never calculated them",
                    formulas=formulas,
                    records=records,
                ),
                path=str(ext.path),
                column=header,
                hint="open the file in Excel or LibreOffice, let it calculate, and save it again",
            )
        ext.notes.append(
            f"column {header!r}: {formulas} of the first {records} records are formulas "
            "without values, read as empty"
        )


def _calamine_text(value: object) -> str:
    """A cell from calamine as :func:`_cell_text` gives openpyxl's.

    calamine gives every number as a float; openpyxl an int where the file writes the
    number without a point, as Excel writes whole numbers: those are digits up to 2**53,
    the floats that are exact whole numbers.
    """
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return _cell_text(value)


def _calamine_damage() -> tuple[type[BaseException], ...]:
    import python_calamine

    return (python_calamine.CalamineError, *_XLSX_DAMAGE)


@contextlib.contextmanager
def _calamine_sheet(p: Path, shown: str, title: str | None) -> Iterator[Any]:
    """The sheet, loaded by calamine (Rust): the records of a large workbook in seconds
    where openpyxl took minutes. It holds the sheet's cells in memory while it is read."""
    import python_calamine

    try:
        fh = p.open("rb")
    except OSError as exc:
        raise unreadable(exc, shown) from None
    with fh:
        _check_unpacked_size(fh, shown)
        try:
            try:
                wb = python_calamine.CalamineWorkbook.from_path(os.fspath(p))
            except UnicodeEncodeError:  # a file name that is not UTF-8
                wb = python_calamine.CalamineWorkbook.from_filelike(fh)
            with wb:
                yield wb.get_sheet_by_name(title) if title else wb.get_sheet_by_index(0)
        except _calamine_damage() as exc:
            raise _damaged_xlsx(exc, shown) from None  # type: ignore[arg-type]
        except BaseException as exc:
            # A panic in the Rust reader on a hostile file reaches Python as pyo3's
            # PanicException, a BaseException: it is damage too, not a crash.
            if type(exc).__name__ != "PanicException":
                raise
            raise _damaged_xlsx(exc, shown) from None  # type: ignore[arg-type]


def _xlsx_frames(ext: Extract) -> Iterator[pd.DataFrame]:
    shown = str(ext.path)
    with _calamine_sheet(ext.path, shown, ext.sheet) as sheet:
        yield from _sheet_frames(sheet, ext, shown, list(ext.columns.headers))


def _sheet_frames(sheet: Any, ext: Extract, shown: str, names: list[str]) -> Iterator[pd.DataFrame]:
    width = len(names)
    start = sheet.start  # (row, column) of the first cell calamine holds, 0-based
    if start is None:
        return
    # calamine's rows count from the sheet's first row (blank ones above the table
    # included), its columns from the table's first column.
    pad = [""] * start[1]
    chunk = _ChunkBuilder(names, ext.chunk_rows)
    row_no = 0
    identity = _identity_columns(ext)
    surveyed = _surveyed_columns(ext, len(pad))
    # A report footer's signature lines often reach past the table's last column: such
    # a value is an error only once a record after it shows it is not in a footer.
    footer_rows, stray = 0, None
    gap = 0

    def beyond(row: int) -> CleanseError:
        return CleanseError(
            msg("has a value beyond the last headed column ({width})", width=width),
            path=shown,
            row=row,
            hint="give that column a header or delete the stray value",
        )

    for at, values in enumerate(sheet.iter_rows()):
        if at <= ext.header_line:
            continue
        cells = pad + [v if type(v) is str else _calamine_text(v) for v in values]
        if not any(c.strip() for c in cells):
            continue  # blank rows are not records
        row_no += 1
        if at - ext.header_line - row_no != gap:
            gap = at - ext.header_line - row_no
            ext.row_gaps.append((row_no, gap))
        for j, header in surveyed:
            if j < len(values):
                _count_cell(ext, header, values[j], row_no)
        kind = _footer_kind(cells, identity)
        if kind == "start" or (kind == "more" and footer_rows):
            footer_rows += 1
        else:
            footer_rows = 0
        if stray is not None and not 0 < footer_rows <= _FOOTER_MAX_ROWS:
            raise beyond(stray)
        if len(cells) > width:
            extra = cells[width:]
            if any(c.strip() for c in extra):
                if not footer_rows:
                    raise beyond(row_no)
                stray = stray or row_no
            cells = cells[:width]
        elif len(cells) < width:
            cells += [""] * (width - len(cells))
        frame = chunk.add(cells)
        if frame is not None:
            yield frame
    frame = chunk.finish()
    if frame is not None:
        yield frame


def _count_cell(ext: Extract, header: str, value: object, record: int) -> None:
    """Count a number or date cell of a surveyed column (text and blanks are not)."""
    if type(value) is float or type(value) is int:
        ext.count_cells(header, "numeric", 1, record)
    elif isinstance(value, dt.date):
        ext.count_cells(header, "date", 1, record)
        if value.day > 12:
            ext.count_cells(header, "date_day_gt12", 1, record)


class _ChunkBuilder:
    """Rows of text into frames of ``size`` rows, turned into Arrow columns every few
    thousand rows, so that a chunk never lives as millions of Python strings."""

    _BATCH = 16_384

    def __init__(self, names: list[str], size: int) -> None:
        self.names, self.size = names, size
        self.rows: list[list[str]] = []
        self.pieces: list[list[pa.Array]] = []
        self.count = 0

    def add(self, cells: list[str]) -> pd.DataFrame | None:
        self.rows.append(cells)
        self.count += 1
        if len(self.rows) >= self._BATCH:
            self._flush()
        return self.finish() if self.count >= self.size else None

    def _flush(self) -> None:
        if self.rows:
            columns = list(zip(*self.rows, strict=True))
            self.pieces.append([pa.array(c, pa.string()) for c in columns])
            self.rows = []

    def finish(self) -> pd.DataFrame | None:
        self._flush()
        if not self.pieces:
            return None
        columns = [pa.chunked_array([p[i] for p in self.pieces]) for i in range(len(self.names))]
        self.pieces, self.count = [], 0
        return _to_frame(pa.table(columns, names=self.names))
