"""A table's rows as sheet XML, a batch at a time: cells built with pyarrow string
kernels over whole columns (text escaped for XML, numbers, booleans, and text cells
written as numbers where a mask says so), text made what a cell can hold, column widths
and sheet titles. No Python call per cell.

Imports ``labels`` and ``cleanse.safe``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cleanse.safe import XLSX_MAX_CELL_CHARS
from cleanse.xlsx.labels import _MAX_WIDTH, _MIN_WIDTH, FIELD_NAMES, SEVERITY

if TYPE_CHECKING:  # xlsxwriter is imported only when an .xlsx is written
    pass


# --- the table sheets ---------------------------------------------------------------------


def column_letter(index: int) -> str:
    """0 → ``A``, 25 → ``Z``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _translated(col: pa.ChunkedArray, mapping: Mapping[str, str]) -> pa.ChunkedArray:
    """Each value that ``mapping`` names replaced by its word; the others kept."""
    keys = pa.array(list(mapping), pa.string())
    words = pa.array(list(mapping.values()), pa.string())
    return pc.coalesce(pc.take(words, pc.index_in(col, value_set=keys)), col)


def shown_values(name: str, col: pa.ChunkedArray, lang: str) -> pa.ChunkedArray:
    """The column as the report shows it: severities and field names in ``lang``."""
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        return col
    if name == "severity":
        return _translated(col, SEVERITY.get(lang, SEVERITY["vi"]))
    if name == "field":
        return _translated(col, FIELD_NAMES.get(lang, FIELD_NAMES["vi"]))
    return col


def text_bytes(arr: pa.Array | pa.ChunkedArray) -> Iterator[np.ndarray]:
    """The bytes of a string column's values, chunk by chunk, as numpy views (no copy)."""
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        offsets, data = _buffers(chunk)
        if len(offsets) and data is not None:
            yield data[int(offsets[0]) : int(offsets[-1])]


def has_byte(arr: pa.Array | pa.ChunkedArray, *values: int, below: int = 0) -> bool:
    """Whether any value holds one of these bytes (or a byte below ``below``).

    A plain byte comparison over the column's buffer: far cheaper than a regex pass, so
    the rare text that needs escaping or cleaning is found before any kernel runs on it.
    """
    for data in text_bytes(arr):
        if below and bool((data < below).any()):
            return True
        for v in values:
            if bool((data == v).any()):
                return True
    return False


def _buffers(arr: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """A string array's offsets (int32, one more than its length) and data bytes."""
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32, count=len(arr) + 1, offset=arr.offset * 4)
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else None
    return offsets, data


def _xml_escaped(arr: pa.Array) -> pa.Array:
    """Text for an XML text node: ``& < >`` as entities, a literal ``_xHHHH_`` guarded."""
    if has_byte(arr, ord("&")):
        arr = pc.replace_substring(arr, "&", "&amp;")
    if has_byte(arr, ord("<")):
        arr = pc.replace_substring(arr, "<", "&lt;")
    if has_byte(arr, ord(">")):
        arr = pc.replace_substring(arr, ">", "&gt;")
    if has_byte(arr, ord("_")) and pc.any(pc.match_substring(arr, "_x")).as_py():
        # Excel reads _x0041_ as "A"; it writes a literal one as _x005F_x0041_.
        arr = pc.replace_substring_regex(arr, "_(x[0-9A-Fa-f]{4}_)", r"_x005F_\1")
    return arr


_XML_SPACE = np.zeros(256, dtype=bool)
_XML_SPACE[[0x20, 0x09, 0x0A, 0x0D]] = True


def _edges(arr: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Per value: empty (or missing), and begins or ends with XML white space."""
    offsets, data = _buffers(arr)
    start, end = offsets[:-1], offsets[1:]
    empty = end <= start
    if arr.null_count:
        empty |= ~np.asarray(arr.is_valid())
    spaced = np.zeros(len(arr), dtype=bool)
    if data is not None and not empty.all():
        full = ~empty
        spaced[full] = _XML_SPACE[data[start[full]]] | _XML_SPACE[data[end[full] - 1]]
    return empty, spaced


@dataclass
class _Column:
    """How one column's cells are written: its letter and kind."""

    letter: str
    kind: str  # "text", "int", "float", "bool"


def _kind(col: pa.ChunkedArray) -> str:
    if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
        return "text"
    if pa.types.is_boolean(col.type):
        return "bool"
    if pa.types.is_floating(col.type):
        return "float"
    if pa.types.is_integer(col.type):
        return "int"
    return "text"  # write_tables gives only the four kinds; anything else as text


# Characters an .xlsx file cannot hold: control characters (openpyxl refuses them) and
# the two non-characters XML 1.0 forbids.
XLSX_ILLEGAL = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"


def cell_text(col: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Text a cell can hold: characters XML cannot hold replaced by U+FFFD, line ends
    made ``\n`` (as any XML reader reads a carriage return), cut to Excel's 32,767
    characters."""
    # A byte scan first: the regex passes run only on the rare column that needs them
    # (a control character, U+FFFE/U+FFFF, which begin with byte EF).
    if has_byte(col, 0xEF, below=0x20):
        col = pc.replace_substring_regex(col, XLSX_ILLEGAL, "\ufffd")
        if has_byte(col, 0x0D):
            col = pc.replace_substring_regex(col, "\r\n?", "\n")
    if len(col) and (pc.max(pc.utf8_length(col)).as_py() or 0) > XLSX_MAX_CELL_CHARS:
        col = pc.utf8_slice_codeunits(col, 0, XLSX_MAX_CELL_CHARS)
    return col


def _cells(
    arr: pa.Array,
    spec: _Column,
    rownum: pa.Array,
    text_style: int,
    numbers: pa.Array | None = None,
) -> pa.Array:
    """One ``<c>`` element per row (an empty string where the cell is empty).

    ``numbers``: for a text column, where the text is written as a number cell (it must
    then be a number as XML writes one, such as ``12`` or ``1.5e-07``).
    """
    start = f'<c r="{spec.letter}'
    if spec.kind == "text":
        if arr.type != pa.string():
            arr = arr.cast(pa.string())
        empty, spaced = _edges(arr)
        open_t: Any = "<is><t>"
        if spaced.any():
            open_t = pc.if_else(pa.array(spaced), '<is><t xml:space="preserve">', "<is><t>")
        cell = pc.binary_join_element_wise(
            start,
            rownum,
            f'" s="{text_style}" t="inlineStr">',
            open_t,
            _xml_escaped(arr),
            "</t></is></c>",
            "",
        )
        if numbers is not None:
            number = pc.binary_join_element_wise(start, rownum, '"><v>', arr, "</v></c>", "")
            cell = pc.if_else(pc.fill_null(numbers, False), number, cell)
        if empty.any():
            cell = pc.if_else(pa.array(empty), "", cell)
        return cell
    if spec.kind == "bool":
        digit = pc.if_else(arr, "1", "0")
        cell = pc.binary_join_element_wise(start, rownum, '" t="b"><v>', digit, "</v></c>", "")
    else:
        if spec.kind == "float":
            arr = pc.if_else(pc.is_finite(arr), arr, pa.scalar(None, arr.type))
        text = arr.cast(pa.string())
        cell = pc.binary_join_element_wise(start, rownum, '"><v>', text, "</v></c>", "")
    return pc.fill_null(cell, "") if cell.null_count else cell


def _text_bytes(arr: pa.Array) -> memoryview:
    """The values of a string array with no nulls, end to end, without copying them."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets, _data = _buffers(arr)
    data = arr.buffers()[2]
    if not len(arr) or data is None:
        return memoryview(b"")
    return memoryview(data)[int(offsets[0]) : int(offsets[-1])]


def rows_xml(
    batch: pa.RecordBatch,
    first_row: int,
    text_style: int,
    numbers: Mapping[int, pa.Array] | None = None,
) -> memoryview:
    """The ``<row>`` elements of a batch whose first row is sheet row ``first_row``.

    ``numbers``: column position to a mask of the text cells written as numbers.
    """
    n = batch.num_rows
    rownum = pa.array(np.arange(first_row, first_row + n, dtype=np.int64)).cast(pa.string())
    masks = numbers or {}
    cells = [
        _cells(col, _Column(column_letter(i), _kind(col)), rownum, text_style, masks.get(i))
        for i, col in enumerate(batch.columns)
    ]
    rows = pc.binary_join_element_wise('<row r="', rownum, '">', *cells, "</row>", "")
    return _text_bytes(rows)


def _width(header: str, col: pa.ChunkedArray) -> float:
    longest = len(header)
    if len(col) and col.null_count < len(col):
        if _kind(col) == "text":
            longest = max(longest, pc.max(pc.utf8_length(col)).as_py() or 0)
        else:
            longest = max(longest, len(str(pc.max(col).as_py())))
    return float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH))


def sheet_titles(name: str, count: int) -> list[str]:
    """``findings``, ``findings (2)``…: Excel allows 31 characters."""
    titles = [name]
    for k in range(2, count + 1):
        suffix = f" ({k})"
        titles.append(name[: 31 - len(suffix)] + suffix)
    return titles
