"""Reading extracts: CSV/TSV/semicolon text, Excel ``.xlsx`` and Parquet (SPEC §1).

Every column is read as text, so ``001085012345`` keeps its zeros. Files are read in
chunks (an iterator of frames, each with the number of its first row) so that memory
stays bounded whatever the file's size. Input files are opened read-only.

This module is the reader's API (``open_extract``, ``Extract``, ``Chunk``,
``read_all``, ``column_headers``, ``join_name``, ``check_distinct_names``,
``check_map_used``, and for a copy of a file the text above its records:
``lines_above_records``, ``sheet_head``); the work is in one module per job, each
importing only modules above it in this list:

- ``footer``: report footers (totals, date, signatures) under the table;
- ``extract``: ``Extract`` and ``Chunk``, what every format's reader shares;
- ``sniff``: what a file is, its encoding, delimiter, header and legacy font;
- ``csv_reader``: Arrow's streaming CSV reader as ``text`` and ``forensics`` open it;
- ``forensics``: the line at fault in text that cannot be read (ragged records, open
  quotes, NUL bytes, overlong lines);
- ``text``: CSV and other delimited text, read with Arrow in chunks;
- ``xlsx``: workbooks (openpyxl for the first rows, calamine for the records);
- ``parquet``: Parquet files.

The one exception: ``Extract.chunks`` imports the format readers when it runs, since
they build Extracts. Of cleanse, the package imports only ``errors``, ``i18n``,
``fields``, ``normalise``, ``legacy`` and, for ``SURVEY_ROWS`` when cells are counted,
``damage``: never a module that imports the reader (``validation``, ``link``,
``prepare``, ``inspect``, ``run``, ``api``, ``cli``, ``batch``, …).

A test that patches a name of the reader patches the module that uses it
(``cleanse.read.xlsx.XLSX_MAX_UNPACKED_BYTES``, ``cleanse.read.text._csv_frames``):
the names imported here are bindings of their own, and patching them changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from cleanse.errors import CleanseError
from cleanse.fields import (
    SOURCE_KINDS,
    absent_header_error,
    check_required,
    detect_kind,
    map_item,
    nearest_header,
)
from cleanse.i18n import msg
from cleanse.read.extract import (
    _STRING,
    DEFAULT_CHUNK_ROWS,
    Chunk,
    Extract,
    column_headers,
    join_name,
)
from cleanse.read.parquet import _open_parquet
from cleanse.read.sniff import _read_head, _sniff_format
from cleanse.read.text import _open_text, lines_above_records
from cleanse.read.xlsx import _check_calculated, _open_xlsx, sheet_head


def open_extract(
    path: str | Path,
    *,
    source: str | None = None,
    user_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    check: bool = True,
) -> Extract:
    """Open an extract: sniff its format, encoding and delimiter, map its headers.

    Args:
        source: the kind (``dancu``, ``bhxh``, ``hotich``, ``btxh``, ``generic``);
            detected from the columns when None.
        user_map: ``{header: field}`` from ``--map`` or a mapping file.
        encoding: a text encoding to use instead of detecting one.
        check: raise when a column the kind requires is absent.
    """
    p = Path(path)
    shown = str(path)
    if source is not None and source not in SOURCE_KINDS:
        raise CleanseError(
            msg(
                "unknown source kind {source!r}; use one of {SOURCE_KINDS}",
                source=source,
                SOURCE_KINDS=", ".join(SOURCE_KINDS),
            )
        )
    if chunk_rows < 1:
        raise CleanseError("the chunk size must be at least 1 row")
    head, identity = _read_head(p, shown)
    fmt = _sniff_format(p, head, shown)
    if fmt == "csv":
        ext = _open_text(p, head, shown, encoding, user_map)
    elif fmt == "xlsx":
        ext = _open_xlsx(p, shown, sheet, user_map)
    else:
        ext = _open_parquet(p, shown, user_map)
    ext.chunk_rows = chunk_rows
    ext.identity = identity
    if p.suffix.lower() in {".csv", ".tsv", ".txt"} and fmt != "csv":
        ext.notes.append(f"named {p.suffix} but holds {fmt}; read as {fmt}")
    if p.suffix.lower() == ".xlsx" and fmt != "xlsx":
        ext.notes.append(f"named .xlsx but holds {fmt}; read as {fmt}")
    _note_mapping(ext)
    detected = detect_kind(ext.columns.present)
    ext.kind = source or detected
    ext.kind_detected = source is None
    if check:
        check_required(ext.columns, ext.kind, path=shown)
    _check_calculated(ext, check)
    return ext


def _note_mapping(ext: Extract) -> None:
    """Notes on what the column mapping did beyond renaming, for ``inspect``."""
    columns = ext.columns
    if columns.joined:
        headers = ", ".join(repr(columns.header_of(f)) for f in columns.joined)
        ext.notes.append(f"full_name joined from the columns {headers}")
    for header, target in columns.absent:
        near = nearest_header(header, columns.headers)
        ext.notes.append(
            f"{map_item(header, target)} names no column of this file"
            + (f"; nearest: {near!r}" if near else "")
        )


def check_distinct_names(extracts: list[Extract]) -> None:
    """Refuse two inputs of one file name: findings name files by their name."""
    names = [e.name for e in extracts]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise CleanseError(
            msg(
                "two inputs are named {dup!r}: the findings, which name each file by its "
                "name, could not tell them apart",
                dup=dup,
            ),
            hint="rename or copy one of them",
        )
    # Every run of several inputs passes here once they are all open.
    check_map_used(extracts)


def check_map_used(extracts: list[Extract]) -> None:
    """Refuse a ``--map`` that names a header none of the inputs has: a misspelt header
    would otherwise leave the column unmapped without a word. (One that only some inputs
    have is fine: the option is given for all of them.)"""
    if not extracts:
        return
    unused = set(extracts[0].columns.absent)
    for ext in extracts[1:]:
        unused &= set(ext.columns.absent)
    for header, target in extracts[0].columns.absent:
        if (header, target) in unused:
            headers = list(dict.fromkeys(h for e in extracts for h in e.columns.headers))
            one = len(extracts) == 1
            raise absent_header_error(
                header, target, headers, path=str(extracts[0].path) if one else None
            )


def read_all(path: str | Path, **options: object) -> tuple[Extract, pd.DataFrame]:
    """Open an extract and read it whole (for small files and tests)."""
    ext = open_extract(path, **options)  # type: ignore[arg-type]
    frames = [c.frame for c in ext.chunks()]
    if frames:
        frame = pd.concat(frames)
    else:
        frame = pd.DataFrame({h: pd.array([], dtype=_STRING) for h in ext.columns.headers})
        frame = frame.rename(columns=ext.columns.rename())
        if ext.columns.joined:
            frame = join_name(frame, ext.columns.joined)
    return ext, frame


__all__ = [
    "Chunk",
    "Extract",
    "check_distinct_names",
    "check_map_used",
    "column_headers",
    "open_extract",
    "join_name",
    "lines_above_records",
    "read_all",
    "sheet_head",
    "DEFAULT_CHUNK_ROWS",
]
