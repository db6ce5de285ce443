"""Writing result tables as Parquet, CSV and one Excel workbook, and summary.json (SPEC §5).

The writers fill a folder that ``cleanse.output.staged_output`` has made and later puts
in place, so they never see the real ``--out`` and never leave half a file there; no
temporary file of theirs goes anywhere else (Excel's are made inside that folder too). Every
format gets the same columns in the same order. Text stays text everywhere: an ID such as
``001085012345`` is never turned into a number, and text that a spreadsheet would run as
a formula is neutralised in CSV and Excel (OWASP's advice on CSV injection). Parquet keeps
the values exactly as they are, for programs.
"""

from __future__ import annotations

import codecs
import datetime as dt
import decimal
import enum
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cleanse.mask import mask_id

if TYPE_CHECKING:  # xlsxwriter is imported only when an .xlsx is written
    from xlsxwriter.workbook import Workbook
    from xlsxwriter.worksheet import Worksheet

FORMATS = ("parquet", "csv", "xlsx")

FINDING_COLUMNS = [
    "source",
    "row",
    "rule",
    "severity",
    "field",
    "value",
    "message",
    "suggestion",
    "related_source",
    "related_row",
]

REPORT_XLSX = "report.xlsx"
SUMMARY_JSON = "summary.json"
SUMMARY_SHEET = "summary"

# Excel's hard limits: rows per sheet (the header takes one) and characters per cell.
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_CELL_CHARS = 32_767

# Text a spreadsheet may run as a formula or DDE call when it begins with one of these
# (OWASP, "CSV Injection"); such cells get a leading single quote.
_FORMULA_START = r"^[=+\-@\t\r]"
_FORMULA_START_RE = re.compile(_FORMULA_START)
_FORMULA_CHARS = pa.array(["=", "+", "-", "@", "\t", "\r"])
# Control characters an .xlsx file cannot hold (openpyxl refuses them).
_XLSX_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f]"
_TABLE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,24}")
_SIMPLE_HEADER = re.compile(r"[A-Za-z0-9_ ]+")
_TEXT_FORMAT = "@"
_MIN_WIDTH, _MAX_WIDTH = 8, 60


def empty_findings() -> pd.DataFrame:
    """A findings table with no rows and the SPEC columns and types."""
    return pd.DataFrame(
        {
            col: pd.Series([], dtype="Int64" if _is_row_column(col) else pd.StringDtype("pyarrow"))
            for col in FINDING_COLUMNS
        }
    )


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    out_dir: Path,
    formats: Sequence[str],
    *,
    summary: Mapping[str, Any] | None = None,
    mask_columns: Mapping[str, Sequence[str]] | None = None,
) -> list[Path]:
    """Write each table into ``out_dir`` in every format; return the paths written.

    ``parquet`` and ``csv`` give one ``NAME.parquet`` / ``NAME.csv`` per table; ``xlsx``
    gives one ``report.xlsx`` whose first sheet is made from ``summary`` and then one
    sheet per table. An Excel sheet holds at most 1,048,576 rows (``XLSX_MAX_ROWS``,
    header included): a longer table continues on sheets ``findings (2)``,
    ``findings (3)``…; the summary sheet lists them.

    Columns named ``row`` or ``*_row`` are nullable integers, other integer, float and
    boolean columns keep their type, everything else is written as text. CSV is UTF-8
    with a BOM, comma-separated, ``\\r\\n`` line ends, NA as an empty field.

    Args:
        tables: table name (``findings``, ``persons``…) to its rows. ``findings`` is put
            in SPEC order (``FINDING_COLUMNS``); missing columns are written empty.
        out_dir: an existing folder (the staging folder); nothing is written elsewhere.
        formats: any of ``parquet``, ``csv``, ``xlsx``.
        summary: the run's summary, for the Excel summary sheet only (see
            ``write_summary`` for ``summary.json``).
        mask_columns: ``{table: [columns]}`` masked with ``mask_id`` in every format
            (``--mask``).

    Raises ``OSError`` when a file cannot be written (a full disk): ``staged_output``
    turns it into one line naming ``--out``.
    """
    chosen = list(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {', '.join(unknown)}; use {', '.join(FORMATS)}")
    masks = {name: list(cols) for name, cols in (mask_columns or {}).items()}
    prepared = {name: _prepare(name, df, masks.get(name, ())) for name, df in tables.items()}
    out = Path(out_dir)
    written: list[Path] = []
    for fmt in chosen:
        if fmt == "xlsx":
            written.append(_write_xlsx(prepared, out / REPORT_XLSX, summary))
            continue
        for name, table in prepared.items():
            path = out / f"{name}.{fmt}"
            if fmt == "parquet":
                pq.write_table(table, path)
            else:
                _write_csv(table, path)
            written.append(path)
    return written


def result_files(tables: Iterable[str], formats: Sequence[str]) -> list[str]:
    """The names ``write_tables`` and ``write_summary`` give a run's files."""
    chosen = list(dict.fromkeys(formats))
    names = [f"{t}.{f}" for f in chosen if f != "xlsx" for t in tables]
    if "xlsx" in chosen:
        names.append(REPORT_XLSX)
    return [*names, SUMMARY_JSON]


def write_summary(
    summary: Mapping[str, Any], out_dir: Path, *, files: Iterable[str | Path] | None = None
) -> Path:
    """Write ``summary.json``: UTF-8, keys sorted, numpy numbers, times and paths made plain.

    ``files`` (the paths ``write_tables`` returned) are listed under ``files`` by their
    names in ``out_dir``: the run's set of files, so that a folder can be seen to hold one
    whole run and the next run knows which files were results. Raises ``OSError`` when the
    file cannot be written.
    """
    folder = Path(out_dir)
    path = folder / SUMMARY_JSON
    plain = dict(summary)
    if files is not None:
        names = {Path(os.path.relpath(f, folder)).as_posix() for f in files}
        plain["files"] = sorted(names - {SUMMARY_JSON})
    text = json.dumps(
        json_safe(plain), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False
    )
    path.write_text(text + "\n", encoding="utf-8")
    return path


def json_safe(value: Any) -> Any:
    """The value with only JSON types: numpy scalars, times, paths and NA made plain.

    Times become ISO 8601 text, durations seconds, NaN and NA ``None``, sets sorted lists,
    mapping keys text.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, Mapping):
        return {str(json_safe(k)): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=str)
    if isinstance(value, list | tuple | np.ndarray | pd.Series | pd.Index):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        return json_safe(value.item())
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timedelta | dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.date | dt.time):  # pd.Timestamp is a datetime
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


# --- preparing a table ------------------------------------------------------------------


def _is_row_column(name: str) -> bool:
    return name == "row" or name.endswith("_row")


def _prepare(name: str, df: pd.DataFrame, masked: Sequence[str]) -> pa.Table:
    """The table as Arrow with the column types every format shares."""
    if not _TABLE_NAME.fullmatch(name) or name == SUMMARY_SHEET:
        raise ValueError(f"table name {name!r} cannot be a file or sheet name")
    df = df.rename(columns=str)
    if name == "findings":
        extra = [c for c in df.columns if c not in FINDING_COLUMNS]
        if extra:
            raise ValueError(f"findings has columns SPEC does not name: {', '.join(extra)}")
        df = df.reindex(columns=FINDING_COLUMNS)
    missing = [c for c in masked if c not in df.columns]
    if missing:
        raise ValueError(f"{name} has no column {', '.join(missing)} to mask")
    arrays = {}
    for col in df.columns:
        values = df[col]
        if col in masked:
            arrays[col] = pa.array(mask_id(values).array, type=pa.string())
        elif _is_row_column(col) or pd.api.types.is_integer_dtype(values.dtype):
            arrays[col] = pa.array(values.astype("Int64").array, type=pa.int64())
        elif name == "findings":  # SPEC fixes the type: all text but the row numbers
            arrays[col] = _text_array(values)
        elif pd.api.types.is_bool_dtype(values.dtype):
            arrays[col] = pa.array(values.array, type=pa.bool_(), from_pandas=True)
        elif pd.api.types.is_float_dtype(values.dtype):
            arrays[col] = pa.array(values.array, type=pa.float64(), from_pandas=True)
        else:
            arrays[col] = _text_array(values)
    if not arrays:
        return pa.table({})
    return pa.table(arrays)


def _text_array(values: pd.Series) -> pa.Array:
    if not isinstance(values.dtype, pd.StringDtype):
        values = values.astype(pd.StringDtype("pyarrow"))
    return pa.array(values.array, type=pa.string(), from_pandas=True)


def _is_text(arr: pa.Array | pa.ChunkedArray) -> bool:
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)


def neutralise_arrow(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text beginning with ``= + - @``, a tab or a carriage return gets a leading ``'``."""
    # The first character looked up in a set: a regex pass costs several times more.
    first = pc.utf8_slice_codeunits(arr, 0, 1)
    risky = pc.is_in(first, value_set=_FORMULA_CHARS)
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'"), arr, ""), arr)


def neutralise_text(text: str) -> str:
    """``neutralise_arrow`` for one value."""
    return "'" + text if _FORMULA_START_RE.match(text) else text


def _for_spreadsheet(table: pa.Table) -> pa.Table:
    """The table with every text column neutralised (CSV and Excel)."""
    columns = [neutralise_arrow(c) if _is_text(c) else c for c in table.columns]
    return pa.table(columns, names=table.column_names)


# --- csv --------------------------------------------------------------------------------


def _write_csv(table: pa.Table, path: Path) -> None:
    simple = all(_SIMPLE_HEADER.fullmatch(n) for n in table.column_names)
    options = pacsv.WriteOptions(
        eol="\r\n", quoting_header="none" if simple else "needed", null_string=""
    )
    with open(path, "wb") as fh:
        # The BOM tells Excel the file is UTF-8; without it Vietnamese shows as mojibake.
        fh.write(codecs.BOM_UTF8)
        if table.num_columns:
            pacsv.write_csv(_for_spreadsheet(table), fh, options)


# --- xlsx -------------------------------------------------------------------------------


def _sheet_titles(name: str, count: int) -> list[str]:
    titles = [name]
    for k in range(2, count + 1):
        suffix = f" ({k})"
        titles.append(name[: 31 - len(suffix)] + suffix)  # Excel: 31 characters at most
    return titles


def _for_xlsx(table: pa.Table) -> pa.Table:
    """Text neutralised, cleared of characters Excel refuses, cut to what a cell holds.

    Line ends become ``\n``, as any XML reader reads a carriage return (xlsxwriter would
    keep it as ``_x000D_``, which only Excel turns back).
    """
    columns = []
    for col in _for_spreadsheet(table).columns:
        if _is_text(col):
            col = pc.replace_substring_regex(col, _XLSX_ILLEGAL, "\ufffd")
            col = pc.replace_substring_regex(col, "\r\n?", "\n")
            col = pc.utf8_slice_codeunits(col, 0, XLSX_MAX_CELL_CHARS)
        columns.append(col)
    return pa.table(columns, names=table.column_names)


def _width(header: str, col: pa.ChunkedArray) -> float:
    longest = len(header)
    if _is_text(col) and len(col):
        longest = max(longest, pc.max(pc.utf8_length(col)).as_py() or 0)
    elif len(col):
        longest = max(longest, len(str(pc.max(col).as_py())))
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))


class _Styles:
    """The few cell formats a report uses, made once per workbook."""

    def __init__(self, wb: Workbook) -> None:
        self.text = wb.add_format({"num_format": _TEXT_FORMAT})
        self.bold = wb.add_format({"bold": True})
        self.bold_text = wb.add_format({"bold": True, "num_format": _TEXT_FORMAT})


def _cell_writers(ws: Worksheet, table: pa.Table, styles: _Styles) -> list[Any]:
    """One function per column that writes a value of it: text as text (format ``@``)."""
    text = ws.write_string
    number = ws.write_number
    boolean = ws.write_boolean
    fmt = styles.text

    def write_text(row: int, col: int, value: str) -> None:
        if value:  # an empty text is an empty cell, as in the CSV
            text(row, col, value, fmt)

    def write_float(row: int, col: int, value: float) -> None:
        if math.isfinite(value):
            number(row, col, value)

    writers: list[Any] = []
    for col in table.columns:
        if _is_text(col):
            writers.append(write_text)
        elif pa.types.is_boolean(col.type):
            writers.append(boolean)
        elif pa.types.is_floating(col.type):
            writers.append(write_float)
        else:
            writers.append(number)
    return writers


def _write_table_sheets(wb: Workbook, styles: _Styles, name: str, table: pa.Table) -> list[str]:
    per_sheet = XLSX_MAX_ROWS - 1
    count = max(1, math.ceil(table.num_rows / per_sheet))
    titles = _sheet_titles(name, count)
    widths = [_width(n, c) for n, c in zip(table.column_names, table.columns, strict=True)]
    for k, title in enumerate(titles):
        ws = wb.add_worksheet(title)
        for i, width in enumerate(widths):
            ws.set_column(i, i, width)
        ws.freeze_panes(1, 0)
        for i, col_name in enumerate(table.column_names):
            ws.write_string(0, i, col_name, styles.bold)
        part = table.slice(k * per_sheet, per_sheet)
        writers = _cell_writers(ws, part, styles)
        row = 1
        # Rows in order, each flushed to disk once the next begins (constant_memory).
        for batch in part.to_batches(max_chunksize=65_536):
            for values in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                for i, value in enumerate(values):
                    if value is not None:
                        writers[i](row, i, value)
                row += 1
    return titles


def _summary_rows(
    summary: Mapping[str, Any], sheets: dict[str, tuple[int, list[str]]]
) -> Iterator[tuple[list[Any], bool]]:
    """Summary sheet rows as (values, bold): key/value lines, then small tables."""
    plain = json_safe(summary)
    scalars = [(k, v) for k, v in plain.items() if not isinstance(v, dict | list)]
    nested = [(k, v) for k, v in plain.items() if isinstance(v, dict | list)]
    for key, value in scalars:
        yield [key, value], False
    for key, value in nested:
        yield [], False
        yield [key], True
        yield from _nested_rows(key, value)
    yield [], False
    yield ["sheets"], True
    yield ["table", "rows", "sheets"], True
    for name, (rows, titles) in sheets.items():
        yield [name, rows, ", ".join(titles)], False


def _nested_rows(key: str, value: Any) -> Iterator[tuple[list[Any], bool]]:
    first = key[:-1] if key.endswith("s") else "name"
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        # {"dob.invalid": {"severity": "error", "count": 3}} → rule | severity | count
        inner = list(dict.fromkeys(k for v in value.values() for k in v))
        yield [first, *inner], True
        for name, fields in value.items():
            yield [name, *(_cell_text(fields.get(k)) for k in inner)], False
    elif isinstance(value, dict):
        for name, item in value.items():
            yield [name, _cell_text(item)], False
    elif value and all(isinstance(v, dict) for v in value):
        inner = list(dict.fromkeys(k for v in value for k in v))
        yield inner, True
        for fields in value:
            yield [_cell_text(fields.get(k)) for k in inner], False
    else:
        for item in value:
            yield ["", _cell_text(item)], False


def _cell_text(value: Any) -> Any:
    """Nested values deeper than a small table are shown as JSON text."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return value


def _write_summary_sheet(
    ws: Worksheet, styles: _Styles, rows: Iterator[tuple[list[Any], bool]]
) -> None:
    ws.set_column(0, 0, 28)
    ws.set_column(1, 5, 18)
    for r, (values, bold) in enumerate(rows):
        for c, value in enumerate(values):
            if isinstance(value, str):
                text = neutralise_text(re.sub(_XLSX_ILLEGAL, "\ufffd", value))
                text = re.sub("\r\n?", "\n", text)
                if text:
                    ws.write_string(r, c, text, styles.bold_text if bold else styles.text)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value, styles.bold if bold else None)
            elif isinstance(value, int | float) and math.isfinite(value):
                ws.write_number(r, c, value, styles.bold if bold else None)


def _write_xlsx(
    tables: Mapping[str, pa.Table], path: Path, summary: Mapping[str, Any] | None
) -> Path:
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    # xlsxwriter keeps each sheet's rows, and later the parts of the zip, in temporary
    # files. They hold IDs and names, so they go in a folder inside the one we write in
    # (the staging folder), never in TMPDIR: a killed run leaves them only where the next
    # run removes its stage. constant_memory writes each row out as the next begins.
    tmp = Path(tempfile.mkdtemp(prefix=".xlsx-", dir=path.parent))
    try:
        wb = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": str(tmp),
                # Text stays text: never guessed into a number, a formula or a link.
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "nan_inf_to_errors": True,
            },
        )
        styles = _Styles(wb)
        summary_ws = wb.add_worksheet(SUMMARY_SHEET)  # first sheet: what a reader opens to
        sheets: dict[str, tuple[int, list[str]]] = {}
        for name, table in tables.items():
            titles = _write_table_sheets(wb, styles, name, _for_xlsx(table))
            sheets[name] = (table.num_rows, titles)
        _write_summary_sheet(summary_ws, styles, _summary_rows(summary or {}, sheets))
        try:
            wb.close()
        except FileCreateError as exc:  # xlsxwriter's wrapper of the OSError (disk full)
            cause = exc.args[0] if exc.args else None
            if isinstance(cause, OSError):
                raise cause from None
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path


def run_header(command: str, started: float) -> dict[str, Any]:
    """The part of summary.json every command shares: tool, version, command, timing."""
    import time

    from cleanse import __version__

    return {
        "tool": "cleanse",
        "version": __version__,
        "command": command,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_seconds": round(time.time() - started, 3),
    }
