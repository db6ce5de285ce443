"""Arrow's streaming CSV reader, as the text reader and its diagnosis open it.

Every column is read as text, the header and the lines above it skipped, a malformed
row handed to a callback that keeps it, and Arrow's traceback for a malformed row that
is not UTF-8 kept off stderr.

May import: the standard library, pyarrow and ``cleanse.read.extract``.
"""

from __future__ import annotations

import sys

import pyarrow as pa
import pyarrow.csv as pacsv

from cleanse.read.extract import Extract

_BLOCK_BYTES = 8 << 20  # what Arrow parses at once: no record may be longer


def _csv_reader(
    ext: Extract, bad: list[pacsv.InvalidRow], threads: bool = True
) -> pacsv.CSVStreamingReader:
    names = list(ext.columns.headers)
    _quiet_undecodable_rows()

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row)
        return "error"

    read = pacsv.ReadOptions(
        encoding=ext.encoding or "utf-8",
        column_names=names,
        skip_rows=ext.header_line + 1,
        block_size=_BLOCK_BYTES,
        use_threads=threads,
    )
    parse = pacsv.ParseOptions(
        delimiter=ext.delimiter or ",", newlines_in_values=True, invalid_row_handler=on_invalid
    )
    convert = pacsv.ConvertOptions(
        column_types={n: pa.string() for n in names},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    return pacsv.open_csv(ext.path, read_options=read, parse_options=parse, convert_options=convert)


_ON_INVALID = "_csv_reader.<locals>.on_invalid"


def _quiet_undecodable_rows() -> None:
    """Keep Arrow from printing a traceback for a malformed row that is not UTF-8.

    Arrow decodes such a row's text before calling ``on_invalid`` and, when that fails,
    reports the error through ``sys.unraisablehook``, which prints a traceback on stderr.
    The read still fails, and the reader reports the row in one line; so that hook is
    silenced for ``on_invalid`` alone, and every other unraisable error is passed on.
    """
    previous = sys.unraisablehook
    if getattr(previous, "_cleanse_quiet", False):
        return

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        if getattr(unraisable.object, "__qualname__", "") == _ON_INVALID and isinstance(
            unraisable.exc_value, UnicodeError
        ):
            return
        previous(unraisable)

    hook._cleanse_quiet = True  # type: ignore[attr-defined]
    sys.unraisablehook = hook
