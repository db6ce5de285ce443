"""Diagnosing a text extract that cannot be read as it is, naming the line at fault.

Holds the quote opened and never closed (searched from the end of the file before any
record is read), the NUL byte inside the text, and the one-line error for what Arrow
refused: a ragged record (its line found again, single-threaded or by Python's csv
module), a header that does not end where a record should, a line longer than Arrow's
block, text not in the encoding. Line numbers are the file's, as an editor counts them;
no message quotes a record's text.

May import: the standard library, numpy, pyarrow, ``cleanse.errors``, ``cleanse.i18n``,
``cleanse.read.extract`` and ``cleanse.read.csv_reader``.
"""

from __future__ import annotations

import codecs
import csv
import mmap
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cleanse.errors import CleanseError
from cleanse.i18n import msg
from cleanse.read.csv_reader import _BLOCK_BYTES, _csv_reader
from cleanse.read.extract import Extract


def _unit(enc: str, first: bytes) -> str:
    """The numpy dtype of one code unit of the file's text encoding."""
    if enc.startswith("utf-16"):
        big = enc == "utf-16-be" or (enc == "utf-16" and first.startswith(codecs.BOM_UTF16_BE))
        return ">u2" if big else "<u2"
    return "u1"


def _open_quote_line(mm: mmap.mmap, dtype: str, delim: str) -> int | None:
    """The line of a quote left open at the end of the text in ``mm``, if there is one."""
    units = np.frombuffer(mm, dtype, count=len(mm) // np.dtype(dtype).itemsize)
    quote = ord('"')
    at = units.size - 1
    step = 1 << 20
    while at >= 0:  # the last quote, searched from the end one block at a time
        block = units[max(0, at - step + 1) : at + 1]
        hits = np.flatnonzero(block == quote)
        if hits.size:
            at = at - block.size + 1 + int(hits[-1])
            break
        at -= block.size
    else:
        return None
    if at > 0 and int(units[at - 1]) not in {ord(delim), ord("\n"), ord("\r"), 0xFEFF}:
        return None  # it ends a field, or sits inside one

    def count(values: np.ndarray, unit: int) -> int:  # in blocks: memory stays bounded
        return sum(
            int(np.count_nonzero(values[i : i + _BLOCK_BYTES] == unit))
            for i in range(0, values.size, _BLOCK_BYTES)
        )

    if count(units, quote) % 2 == 0:
        return None
    return count(units[:at], ord("\n")) + 1


def _refuse_open_quote(p: Path, enc: str, delim: str, shown: str) -> None:
    """Refuse a quote opened on the last quoted field of the file and never closed.

    Arrow reads such a field to the end of the file as one value, without a word: the
    records after it vanish into it. Any later quote would close it and leave a ragged
    record, which the reader reports; so only the last quote of the file can be one left
    open. It is when it starts a field (after the delimiter, a line break or at the
    start of the file) and the file holds an odd number of quotes. Costs a search from
    the end of the file, and a count of quotes only in that rare case.
    """
    try:
        with p.open("rb") as fh:
            if os.fstat(fh.fileno()).st_size < 2:
                return
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                line = _open_quote_line(mm, _unit(enc, mm[:2]), delim)
    except (OSError, ValueError):
        return
    if line is not None:
        raise CleanseError(
            msg(
                "line {line} opens a quote that is never closed, so the rest of the file would "
                "be read as one value",
                line=line,
            ),
            path=shown,
            hint="close the quote or remove it, then run again",
        )


def _bad_line(ext: Extract) -> pacsv.InvalidRow | None:
    """Find the first malformed line again, single-threaded, so that its number is known."""
    bad: list[pacsv.InvalidRow] = []
    try:
        for _ in _csv_reader(ext, bad, threads=False):
            pass
    except (pa.ArrowInvalid, UnicodeError):
        pass
    return bad[0] if bad else None


def _records_with_lines(ext: Extract) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank record after the header, read again by Python's csv module, with
    the line of the file it starts on, as an editor counts (a record with a newline
    inside quotes spans several lines)."""
    skipped = ext.header_line + 1
    with ext.path.open(encoding=ext.encoding or "utf-8", errors="replace", newline="") as fh:
        for _ in range(skipped):
            fh.readline()
        reader = csv.reader(fh, delimiter=ext.delimiter or ",")
        start = 1
        for record in reader:
            if record:
                yield skipped + start, record
            start = reader.line_num + 1


def _ragged_line(ext: Extract, width: int) -> tuple[int, int] | None:
    """(line, fields) of the first record whose field count is not ``width``, for rows
    Arrow could not hand to ``on_invalid``."""
    try:
        for line, record in _records_with_lines(ext):
            if len(record) != width:
                return line, len(record)
    except (OSError, csv.Error, UnicodeError):
        pass
    return None


def _long_line(ext: Extract) -> int | None:
    """The number of the first line longer than Arrow's block, if there is one."""
    try:
        with ext.path.open("rb") as fh:
            number = 0
            while line := fh.readline(_BLOCK_BYTES):
                number += 1
                if len(line) >= _BLOCK_BYTES and not line.endswith(b"\n"):
                    return number
    except OSError:
        pass
    return None


def _file_line(ext: Extract, number: int) -> int | None:
    """The line of the file on which Arrow's row ``number`` starts, as an editor counts.

    Arrow counts the lines skipped above the data, then one per record: blank lines not
    at all, and a record with a newline inside quotes once.
    """
    wanted = number - (ext.header_line + 1)
    try:
        for line, _ in _records_with_lines(ext):
            wanted -= 1
            if wanted == 0:
                return line
    except (OSError, csv.Error):
        pass
    return None


def _refuse_nul(batch: pa.RecordBatch, before: int, ext: Extract) -> None:
    """Stop at a NUL byte inside the text (the first 1 MiB is checked when sniffing).

    The values' bytes are scanned at memory speed; only a hit is looked up by row.
    """
    for col in batch.columns:
        data = col.buffers()[2]
        if data is None or not (np.frombuffer(data, np.uint8) == 0).any():
            continue
        hit = pc.fill_null(pc.match_substring(col, "\0"), False)
        at = np.flatnonzero(hit.to_numpy(zero_copy_only=False))
        if not len(at):
            continue
        number = ext.header_line + 1 + before + int(at[0]) + 1
        line = _file_line(ext, number)
        raise CleanseError(
            msg(
                "{where} holds a NUL byte: binary data inside the text",
                where=msg("line {line}", line=line)
                if line
                else msg("record {record}", record=before + int(at[0]) + 1),
            ),
            path=str(ext.path),
            hint="export the file again from its source system, or remove the NUL bytes",
        )


def _csv_error(
    exc: Exception, bad: list[pacsv.InvalidRow], width: int, shown: str, ext: Extract
) -> CleanseError:
    # Arrow's own message quotes the row's text, which is personal data: never show it.
    if bad:
        row = bad[0] if bad[0].number is not None else (_bad_line(ext) or bad[0])
        line = _file_line(ext, row.number) if row.number is not None else None
        where = msg("line {line}", line=line) if line is not None else msg("a line")
        return CleanseError(
            msg(
                "{where} has {fields} field(s) where the header has {width}",
                where=where,
                fields=row.actual_columns,
                width=width,
            ),
            path=shown,
            hint="check for a stray delimiter or an unclosed quote near that line",
        )
    text = str(exc)
    if text.startswith("CSV parse error: Expected"):
        found = _ragged_line(ext, width)
        if found is not None:
            return CleanseError(
                msg(
                    "line {line} has {fields} field(s) where the header has {width}",
                    line=found[0],
                    fields=found[1],
                    width=width,
                ),
                path=shown,
                hint="check for a stray delimiter or an unclosed quote near that line",
            )
    if text.startswith("Could not skip initial"):
        return CleanseError(
            msg(
                "the header on line {line} does not end where a record should",
                line=ext.header_line + 1,
            ),
            path=shown,
            hint="check the header for an unclosed quote",
        )
    if "straddl" in text:
        size = f"{_BLOCK_BYTES >> 20} MB"
        line = _long_line(ext)
        if line is not None:
            return CleanseError(
                msg(
                    "line {line} is longer than {size}, far longer than any record",
                    line=line,
                    size=size,
                ),
                path=shown,
                hint="check that the file is a CSV extract with one record per line",
            )
        return CleanseError(
            msg("a record runs on for more than {size}", size=size),
            path=shown,
            hint="check for an unclosed quote",
        )
    if "UTF8" in text or "utf8" in text.lower():
        return CleanseError(
            msg("text is not valid {encoding}", encoding=ext.encoding),
            path=shown,
            hint="name the encoding with --encoding (utf-8, utf-16, cp1258)",
        )
    return CleanseError(
        "cannot be read as delimited text",
        path=shown,
        hint="check that it is a CSV file and its quotes are closed",
    )
