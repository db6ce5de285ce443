"""Writing result tables as Parquet, CSV and one Excel workbook, and summary.json (SPEC §5).

The writers fill a folder that ``cleanse.output.staged_output`` has made and later puts
in place, so they never see the real ``--out`` and never leave half a file there; no
temporary file of theirs goes anywhere else (Excel's are made inside that folder too). Every
format gets the same columns in the same order. Text stays text everywhere: an ID such as
``001085012345`` is never turned into a number, and text that a spreadsheet would run as
a formula is neutralised in CSV and Excel (OWASP's advice on CSV injection). Parquet keeps
the values exactly as they are, for programs. In the Excel report, a column an officer
fills in from a list (the worklist's ``ket_qua``) gets a drop-down of its words.
"""

from __future__ import annotations

import codecs
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cleanse.mask import mask_id, mask_name
from cleanse.output import FINDING_COLUMNS
from cleanse.safe import (
    json_safe,
    neutralise_arrow,
)
from cleanse.worklist import choices as worklist_choices
from cleanse.xlsx import ID_COLUMN, NAME_COLUMN, PEOPLE_COLUMNS, SUMMARY_SHEET

FORMATS = ("parquet", "csv", "xlsx")

_TEXT = pd.StringDtype("pyarrow")

REPORT_XLSX = "report.xlsx"
SUMMARY_JSON = "summary.json"

# Excel's hard limit of rows per sheet (the header takes one); of characters per cell:
# safe.XLSX_MAX_CELL_CHARS (``xlsx.cell_text`` cuts to it).
XLSX_MAX_ROWS = 1_048_576
_TABLE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,24}")
_SIMPLE_HEADER = re.compile(r"[A-Za-z0-9_ ]+")


def empty_findings() -> pd.DataFrame:
    """A findings table with no rows and the SPEC columns and types."""
    return pd.DataFrame(
        {
            col: pd.Series([], dtype="Int64" if _is_row_column(col) else pd.StringDtype("pyarrow"))
            for col in FINDING_COLUMNS
        }
    )


def attach_people(
    findings: pd.DataFrame, people: pd.DataFrame | None, *, mask: bool = False
) -> pd.DataFrame:
    """Findings with the name and ID of the record each concerns, for the report alone.

    ``people`` has ``source, row, full_name, id_number`` (as read) for the records the
    findings name (``ValidationRun.people``, ``ReconcileRun.people``); a finding about a
    whole column, or one whose record is not listed, gets empty cells. With ``mask``
    (``--mask``) the ID is masked like every ID (``001******345``) and the name to its
    initials (``N***** V** A*``). ``write_tables`` writes the two columns into
    ``report.xlsx`` only.
    """
    out = findings.copy()
    n = len(out)
    columns = {NAME_COLUMN: "full_name", ID_COLUMN: "id_number"}
    picked = pa.nulls(n, pa.int64())
    if people is not None and len(people) and n:
        # One int64 key per (source, row), looked up by binary search in the sorted keys
        # of the people (the first of any repeated record): no MultiIndex, no join.
        sources = pc.unique(pa.array(people["source"].astype(_TEXT).array, type=pa.string()))
        width = int(max(people["row"].max(), out["row"].max(skipna=True) or 0)) + 1

        def keys(frame: pd.DataFrame) -> np.ndarray:
            text = pa.array(frame["source"].astype(_TEXT).array, type=pa.string())
            src = pc.fill_null(pc.index_in(text, value_set=sources), -1).to_numpy()
            row = frame["row"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
            return np.where((src >= 0) & (row >= 0), src * width + row, -1)

        held, first = np.unique(keys(people), return_index=True)
        wanted = keys(out)
        pos = np.searchsorted(held, wanted).clip(max=len(held) - 1)
        hit = (wanted >= 0) & (held[pos] == wanted)
        picked = pa.array(first[pos], mask=~hit)
    for target, col in columns.items():
        if people is not None and col in people.columns and len(people):
            values = people[col].astype(_TEXT)
            if mask:  # the people are fewer than the findings: masked before the lookup
                values = mask_name(values) if col == "full_name" else mask_id(values)
            taken = pc.take(pa.array(values.array, type=pa.string()), picked)
        else:
            taken = pa.nulls(n, pa.string())
        out[target] = pd.array(taken, dtype=_TEXT)
    return out


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    out_dir: Path,
    formats: Sequence[str],
    *,
    summary: Mapping[str, Any] | None = None,
    lang: str | None = None,
    choices: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> list[Path]:
    """Write each table into ``out_dir`` in every format; return the paths written.

    ``parquet`` and ``csv`` give one ``NAME.parquet`` / ``NAME.csv`` per table; ``xlsx``
    gives one ``report.xlsx`` (``cleanse.xlsx``), the report an officer opens: a summary
    sheet made from ``summary`` and the findings, then one sheet per table, headers,
    severities and field names in ``lang``, an autofilter and a frozen header row. An
    Excel sheet holds at most 1,048,576 rows (``XLSX_MAX_ROWS``, header included): a
    longer table continues on sheets ``findings (2)``, ``findings (3)``…; the summary
    sheet lists them.

    ``findings`` may carry the person's name and ID (``attach_people``): they are shown
    beside each finding in the report only, never in Parquet or CSV.

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
        lang: ``vi`` or ``en`` for the report; default the summary's ``lang``, else ``vi``.
        choices: the report's drop-downs, table -> column -> the words to pick from, on
            every data row of that column; default ``cleanse.worklist.choices`` (the
            worklist's ``ket_qua``: its outcomes in ``lang``). ``{}`` gives none.

    Raises ``OSError`` when a file cannot be written (a full disk): ``staged_output``
    turns it into one line naming ``--out``.
    """
    chosen = list(dict.fromkeys(formats))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {', '.join(unknown)}; use {', '.join(FORMATS)}")
    prepared = {name: _prepare(name, df) for name, df in tables.items()}
    out = Path(out_dir)
    written: list[Path] = []
    language = lang or str((summary or {}).get("lang") or "vi")
    if choices is None:
        choices = worklist_choices(language)
    for fmt in chosen:
        if fmt == "xlsx":
            path = out / REPORT_XLSX
            written.append(_write_xlsx(prepared, path, summary, language, choices))
            continue
        for name, table in prepared.items():
            if name == "findings":
                table = table.drop_columns([c for c in PEOPLE_COLUMNS if c in table.column_names])
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


# --- preparing a table ------------------------------------------------------------------


def _is_row_column(name: str) -> bool:
    return name == "row" or name.endswith("_row")


def _prepare(name: str, df: pd.DataFrame) -> pa.Table:
    """The table as Arrow with the column types every format shares."""
    if not _TABLE_NAME.fullmatch(name) or name == SUMMARY_SHEET:
        raise ValueError(f"table name {name!r} cannot be a file or sheet name")
    df = df.rename(columns=str)
    if name == "findings":
        extra = [c for c in df.columns if c not in FINDING_COLUMNS and c not in PEOPLE_COLUMNS]
        if extra:
            raise ValueError(f"findings has columns SPEC does not name: {', '.join(extra)}")
        people = [c for c in PEOPLE_COLUMNS if c in df.columns]
        df = df.reindex(columns=[*FINDING_COLUMNS, *people])
    arrays = {}
    for col in df.columns:
        values = df[col]
        if _is_row_column(col) or pd.api.types.is_integer_dtype(values.dtype):
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


def _for_xlsx(table: pa.Table) -> pa.Table:
    """Text neutralised, cleared of characters Excel refuses, cut to what a cell holds.

    Line ends become ``\n``, as any XML reader reads a carriage return.
    """
    from cleanse.xlsx import cell_text

    columns = [cell_text(c) if _is_text(c) else c for c in _for_spreadsheet(table).columns]
    return pa.table(columns, names=table.column_names)


def _report_order(name: str, table: pa.Table) -> pa.Table:
    """Findings led by where the record is and whom it concerns: file, row, the row and
    column the spreadsheet shows, the person's name and ID; then the finding."""
    if name != "findings":
        return table
    lead = ("source", "row", "sheet_row", "column", *PEOPLE_COLUMNS)
    first = [c for c in lead if c in table.column_names]
    return table.select([*first, *(c for c in table.column_names if c not in first)])


def _write_xlsx(
    tables: Mapping[str, pa.Table],
    path: Path,
    summary: Mapping[str, Any] | None,
    lang: str,
    choices: Mapping[str, Mapping[str, Sequence[str]]],
) -> Path:
    from cleanse.xlsx import write_workbook

    ordered = {name: _report_order(name, t) for name, t in tables.items()}
    return write_workbook(
        ordered,
        path,
        summary,
        lang=lang,
        max_rows=XLSX_MAX_ROWS,
        clean=_for_xlsx,
        choices=choices,
    )
