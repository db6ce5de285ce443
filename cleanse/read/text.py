"""Reading CSV/TSV/semicolon text: the file opened, then its records in chunks.

``_open_text`` sniffs the encoding (or takes ``--encoding``), the delimiter, the header
and a legacy font, and refuses a quote left open; ``_csv_frames`` reads the records with
Arrow, every column as text, in frames of ``chunk_rows``, Windows-1258 tone marks made
NFC, and turns what Arrow refuses into one line naming the file's line;
``lines_above_records`` gives the title lines and the header as the file writes them.

May import: the standard library, pandas, pyarrow, ``cleanse.errors``,
``cleanse.fields``, ``cleanse.i18n``, ``cleanse.legacy`` and ``cleanse.read.extract``,
``sniff``, ``csv_reader`` and ``forensics``.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from cleanse import legacy
from cleanse.errors import CleanseError
from cleanse.fields import map_columns
from cleanse.i18n import msg
from cleanse.read.csv_reader import _csv_reader
from cleanse.read.extract import Extract, _to_frame
from cleanse.read.forensics import _csv_error, _refuse_nul, _refuse_open_quote
from cleanse.read.sniff import (
    _HEAD_BYTES,
    _HEADER_SCAN_LINES,
    _SCHEME_NAMES,
    _check_head_decodes,
    _decode_head,
    _detect_encoding,
    _find_header,
    _legacy_bytes,
    _note_legacy,
    _parse,
    _refuse_repeated_fields,
    _sniff_delimiter,
)

# Encodings a user may name with --encoding, under the names ward offices use.
ENCODING_NAMES: dict[str, str] = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "utf-16-le": "utf-16-le",
    "utf-16-be": "utf-16-be",
    "cp1258": "cp1258",
    "windows-1258": "cp1258",
    "win1258": "cp1258",
}


def _open_text(
    p: Path, head: bytes, shown: str, encoding: str | None, user_map: Mapping[str, str] | None
) -> Extract:
    if encoding:
        enc = ENCODING_NAMES.get(encoding.lower())
        if enc is None:
            raise CleanseError(
                msg(
                    "unknown encoding {encoding!r}; use one of utf-8, utf-16, cp1258",
                    encoding=encoding,
                ),
                path=shown,
            )
        how = f"{enc} (from --encoding)"
    else:
        enc, how = _detect_encoding(head, shown)
    whole = None
    if enc == "cp1258" and not encoding:
        # Not UTF-8: Windows-1258, or bytes typed in a TCVN3/VNI font. Those fonts need
        # the bytes as they are (cp1258 would compose some into other letters), so read
        # them as Latin-1 and convert to Unicode after reading.
        whole = _legacy_bytes(head)
        if whole is not None:
            enc, how = "latin-1", f"not UTF-8: {_SCHEME_NAMES[whole]} font bytes"
    _check_head_decodes(head, enc, shown, declared=bool(encoding))
    text = _decode_head(head, enc)
    lines = text.splitlines()
    if len(head) == _HEAD_BYTES and lines:
        if not any(line.strip() for line in lines[:-1]) and lines[-1].strip():
            raise CleanseError(
                msg(
                    "line {line} is longer than {mb} MB, so no header can be found",
                    line=len(lines),
                    mb=_HEAD_BYTES >> 20,
                ),
                path=shown,
                hint="check that the file is a CSV extract with one record per line",
            )
        lines = lines[:-1]  # the last line of a sample may be cut
    lines = lines[:200]
    if not any(line.strip() for line in lines):
        raise CleanseError("has no header line", path=shown)
    delim = _sniff_delimiter(lines[: _HEADER_SCAN_LINES + 50])
    rows = _parse(lines[:_HEADER_SCAN_LINES], delim, shown)
    header_at = _find_header(rows)
    headers = rows[header_at] if header_at < len(rows) else []
    sample = _parse(lines[header_at + 1 :], delim, shown, first_line=header_at + 2)
    headers, legacy_columns, legacy_header = legacy.plan(headers, sample, whole)
    _refuse_repeated_fields(headers, user_map, shown)
    columns = map_columns(headers, user_map, path=shown)
    ext = Extract(
        p, "csv", columns, "generic", True, encoding=enc, delimiter=delim, header_line=header_at
    )
    ext.notes.append(f"encoding: {how}")
    _note_legacy(ext, legacy_columns, legacy_header, whole)
    _refuse_open_quote(p, enc, delim, shown)
    if header_at:
        ext.notes.append(f"{header_at} line(s) above the header skipped")
    return ext


def _csv_frames(ext: Extract) -> Iterator[pd.DataFrame]:
    names = list(ext.columns.headers)
    bad: list[pacsv.InvalidRow] = []
    shown = str(ext.path)
    # Windows-1258 stores tone marks as separate bytes; Python decodes them as
    # combining marks, which are made NFC here so they do not look like NFD typing.
    compose = ext.encoding == "cp1258"
    try:
        reader = _csv_reader(ext, bad)
        pending: list[pa.RecordBatch] = []
        count = seen = 0
        for batch in reader:
            _refuse_nul(batch, seen, ext)
            seen += batch.num_rows
            if compose:
                batch = pa.RecordBatch.from_arrays(
                    [pa.compute.utf8_normalize(c, "NFC") for c in batch.columns],
                    names=batch.schema.names,
                )
            pending.append(batch)
            count += batch.num_rows
            while count >= ext.chunk_rows:
                table = pa.Table.from_batches(pending)
                yield _to_frame(table.slice(0, ext.chunk_rows))
                rest = table.slice(ext.chunk_rows)
                pending = rest.to_batches()
                count = rest.num_rows
        if count:
            yield _to_frame(pa.Table.from_batches(pending))
    except pa.ArrowInvalid as exc:
        raise _csv_error(exc, bad, len(names), shown, ext) from None
    except UnicodeError:
        raise CleanseError(
            msg("text is not valid {encoding}", encoding=ext.encoding),
            path=shown,
            hint="name the encoding with --encoding (utf-8, utf-16, cp1258)",
        ) from None


def lines_above_records(ext: Extract) -> tuple[str, str]:
    """The text of a CSV extract above its records: (the lines above the header, the
    header), each as the file writes it, line ends kept, decoded as the reader decodes
    it, without a byte-order mark. For a copy of the file (``cleanse.rewrite``).

    Windows-1258 text is made NFC, as the records are. Text in a legacy font is made
    Unicode as the reader makes it: the title lines a line at a time, the header a cell
    at a time, the header then written again from its cells (quoted only where needed).
    """
    with ext.path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES)
    # Lines as the header was found among them (``_open_text``), here with their ends.
    lines = _decode_head(head, ext.encoding or "utf-8").splitlines(keepends=True)
    at = ext.header_line
    delim = ext.delimiter or ","
    reader = csv.reader(lines[at:], delimiter=delim)
    cells = next(reader, [])
    title, header = "".join(lines[:at]), "".join(lines[at : at + max(reader.line_num, 1)])
    if ext.encoding == "cp1258":
        title, header = unicodedata.normalize("NFC", title), unicodedata.normalize("NFC", header)
    scopes = {c.get("scope"): c.get("scheme", "") for c in ext.conversions}
    whole, heading = scopes.get("file"), scopes.get("file") or scopes.get("header")
    if whole:
        title = "".join(legacy.convert_text(line, whole) for line in lines[:at])
    if heading:
        end = header[len(header.rstrip("\r\n")) :]
        text = [legacy.convert_text(c, heading) for c in cells]
        out = io.StringIO()
        csv.writer(out, delimiter=delim, lineterminator="\r\n").writerow(text)
        header = out.getvalue()[:-2] + end
    return title, header
