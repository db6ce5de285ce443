"""The fixed copy of an extract: each input written back in its own format, for
``cleanse fix`` (docs/decisions.md, "The fixed copy of an extract").

Holds ``copy_writer`` and the ``CopyWriter`` it makes for a ``.csv``, ``.xlsx`` or
Parquet extract. The caller hands it the records a chunk at a time, in file order, as
text frames with the file's (unique) headers as columns; the writer adds what the reader
set aside (the title lines above the header, the header as the file writes it) and
writes one file, ``dest``, inside the caller's staging folder. No Python call per record:
CSV lines and sheet XML are built with pyarrow string kernels over whole columns, and no
more than a chunk is ever held.

- CSV: UTF-8 with a BOM, the input's delimiter and line end, fields quoted only where
  needed, so an unchanged cell of a UTF-8 file comes out as the same bytes.
- ``.xlsx``: one sheet, named as the input's; the fields' columns as text cells (an ID
  keeps its zeros), other columns' cells as numbers where they read as the reader shows
  a number cell (``12``, ``1.5``), else text. The records' XML waits in a file beside
  ``dest`` until the sheet's size is known.
- Parquet: the fields' columns as strings; the other columns read again from the input,
  in step with the chunks, with their own Arrow types.

May import: the standard library, pandas, pyarrow, xlsxwriter (when an .xlsx is
written), ``cleanse.read``, ``cleanse.xlsx`` and ``cleanse.safe``; never ``write`` (on
its layer), nor ``validation``, ``run`` or ``cli``, which call it.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import re
import shutil
import tempfile
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cleanse.read import Extract, lines_above_records, sheet_head
from cleanse.safe import XLSX_MAX_CELL_CHARS
from cleanse.xlsx import cell_text, column_letter, has_byte, rows_xml
from cleanse.xlsx.cells import XLSX_ILLEGAL, text_bytes
from cleanse.xlsx.labels import BATCH_ROWS

_STRING = pd.StringDtype("pyarrow")


class CopyWriter:
    """Writes the copy of one extract: ``write`` each chunk of records, then ``close``.

    Also a context manager: leaving the ``with`` normally closes the file; on an
    exception the partial file is removed.
    """

    def __init__(self, ext: Extract, dest: Path) -> None:
        self.ext = ext
        self.dest = Path(dest)
        self.headers = list(ext.columns.headers)
        self.rows = 0  # records written
        self._done = False

    def __enter__(self) -> CopyWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()

    def write(self, frame: pd.DataFrame) -> None:
        """Write one chunk of records, in file order: columns ``ext.columns.headers``,
        in order, every value a str or NA (an empty cell)."""
        if self._done:
            raise ValueError("the copy is closed")
        if list(frame.columns) != self.headers:
            raise ValueError("the frame's columns are not the extract's headers, in order")
        if len(frame):
            self._write([_text(frame[h]) for h in self.headers], len(frame))
            self.rows += len(frame)

    def close(self) -> None:
        """Finish the file; if that fails, the partial file is removed."""
        if self._done:
            return
        try:
            self._finish()
        except BaseException:
            self.abort()
            raise
        self._done = True

    def abort(self) -> None:
        """Stop and remove the partial file (and any temporary file beside it)."""
        self._done = True
        try:
            self._abandon()
        finally:
            self.dest.unlink(missing_ok=True)

    def _write(self, columns: list[pa.ChunkedArray], n: int) -> None:
        raise NotImplementedError

    def _finish(self) -> None:
        raise NotImplementedError

    def _abandon(self) -> None:
        """Close what is open, without finishing the file."""


def copy_writer(ext: Extract, dest: Path) -> CopyWriter:
    """A writer of ``ext``'s copy, in its own format, to ``dest`` (in a staging folder)."""
    makers = {"csv": _CsvCopy, "xlsx": _XlsxCopy, "parquet": _ParquetCopy}
    if ext.format not in makers:
        raise ValueError(f"no copy of a {ext.format!r} extract")
    return makers[ext.format](ext, Path(dest))


def _text(values: pd.Series) -> pa.ChunkedArray:
    """A frame's column as Arrow strings (NA a null)."""
    if values.dtype != _STRING:
        values = values.astype(_STRING)
    arr = pa.array(values.array, type=pa.string(), from_pandas=True)
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def _batches(columns: list[pa.ChunkedArray]) -> list[pa.RecordBatch]:
    """The columns as record batches of at most ``BATCH_ROWS`` rows: Arrow strings have
    32-bit offsets, and a batch's text is built in one piece."""
    table = pa.table(columns, names=[str(i) for i in range(len(columns))])
    return table.to_batches(max_chunksize=BATCH_ROWS)


# --- csv ----------------------------------------------------------------------------------


def _line_end(text: str) -> str:
    """The line end the header ends with (``\\r\\n`` when it ends without one)."""
    for end in ("\r\n", "\n", "\r"):
        if text.endswith(end):
            return end
    return "\r\n"


def _csv_fields(arr: pa.Array, delim: str) -> pa.Array:
    """Each value as a CSV field: quoted (quotes doubled) only when it holds the
    delimiter, a quote or a line break, as Excel and Python's csv quote; NA empty."""
    arr = pc.fill_null(arr, "")
    special = [c for c in (delim, '"', "\n", "\r") if has_byte(arr, ord(c))]
    if special:
        need = pc.match_substring(arr, special[0])
        for c in special[1:]:
            need = pc.or_(need, pc.match_substring(arr, c))
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
        arr = pc.if_else(need, quoted, arr)
    return arr


class _CsvCopy(CopyWriter):
    def __init__(self, ext: Extract, dest: Path) -> None:
        super().__init__(ext, dest)
        title, header = lines_above_records(ext)
        self.delim = ext.delimiter or ","
        self.eol = _line_end(header)
        if header and not header.endswith(("\n", "\r")):
            header += self.eol
        self.fh: IO[bytes] | None = open(dest, "wb")  # noqa: SIM115 (closed by close)
        # The BOM tells Excel the file is UTF-8; without it Vietnamese shows as mojibake.
        self.fh.write(codecs.BOM_UTF8 + (title + header).encode("utf-8"))

    def _write(self, columns: list[pa.ChunkedArray], n: int) -> None:
        assert self.fh is not None
        for batch in _batches(columns):
            fields = [_csv_fields(c, self.delim) for c in batch.columns]
            if len(fields) == 1:  # an empty line would be no record at all
                fields = [pc.if_else(pc.equal(fields[0], ""), '""', fields[0])]
            lines = pc.binary_join_element_wise(*fields, self.delim)
            lines = pc.binary_join_element_wise(lines, self.eol, "")
            for data in text_bytes(lines):
                self.fh.write(data.data)

    def _finish(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None

    def _abandon(self) -> None:
        self._finish()


# --- xlsx ---------------------------------------------------------------------------------

# A cell that reads as a number the way the reader shows a number cell (an integer of up
# to 15 digits, or a float as Python's repr writes it), with 15 digits or fewer, which a
# double holds exactly: written back as that number, it reads back as the same text.
# Not "012", "1.50", "+5", "1,5" or "1e+05" (the reader shows 100000): those are text.
_NUMBER = (
    r"^(?:0|-?[1-9][0-9]*"
    r"|-?[1-9][0-9]*\.[0-9]*[1-9]"
    r"|-?0\.0{0,3}[1-9](?:[0-9]*[1-9])?"
    r"|-?[1-9](?:\.[0-9]*[1-9])?"
    r"e(?:-(?:0[5-9]|[1-9][0-9]|[12][0-9]{2}|30[0-7])|\+(?:1[6-9]|[2-9][0-9]|[12][0-9]{2}|30[0-8])))$"
)
_NUMBER_RE = re.compile(_NUMBER)
_NUMBER_DIGITS = 15
_ILLEGAL_RE = re.compile(XLSX_ILLEGAL)
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
# A sheet's XML from this size on is a Zip64 entry (which it needs past 2 GiB).
_ZIP64_FROM = 7 << 28
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')


def number_cells(arr: pa.Array) -> pa.Array | None:
    """Where a column's text is written as a number cell (``_NUMBER``); None for nowhere."""
    if not has_byte(arr, *b"0123456789"):
        return None
    hit = pc.fill_null(pc.match_substring_regex(arr, _NUMBER), False)
    if not pc.any(hit).as_py():
        return None
    digits = pc.utf8_length(pc.replace_substring_regex(arr, "e.*|[-.]", ""))
    return pc.and_(hit, pc.fill_null(pc.less_equal(digits, _NUMBER_DIGITS), False))


def _is_number(text: str) -> bool:
    """``number_cells`` for one title cell."""
    digits = len(re.sub("e.*|[-.]", "", text))
    return bool(_NUMBER_RE.match(text)) and digits <= _NUMBER_DIGITS


def _shown(text: str) -> str:
    """One title or header cell as ``cell_text`` makes a column's."""
    text = _ILLEGAL_RE.sub("\ufffd", text)
    return re.sub("\r\n?", "\n", text)[:XLSX_MAX_CELL_CHARS]


def _sheet_name(name: str | None) -> str:
    """The input's sheet name, as Excel allows one (it came from a workbook, so nearly
    always as it is)."""
    name = _SHEET_NAME_BAD.sub("_", name or "").strip("'")
    while len(name.encode("utf-16-le")) > 62:  # Excel counts 31 UTF-16 code units
        name = name[:-1]
    return name if name.strip() else "Sheet1"


class _XlsxCopy(CopyWriter):
    """xlsxwriter makes the workbook with the title rows and the header; the records'
    sheet XML is built a batch at a time (``rows_xml``) into a file beside ``dest``, and
    put into the workbook's zip when the last record is known, with the sheet's size
    (``<dimension>``) before it: a reader such as openpyxl scans a whole sheet that has
    none, and stops at the last row of one that is too small."""

    def __init__(self, ext: Extract, dest: Path) -> None:
        super().__init__(ext, dest)
        fields = ext.columns.fields
        self.unknown = [i for i, h in enumerate(self.headers) if h not in fields]
        head = sheet_head(ext, ext.header_line + 1)
        head += [[] for _ in range(ext.header_line + 1 - len(head))]
        header = (head[ext.header_line] + [""] * len(self.headers))[: len(self.headers)]
        scheme = {c.get("scope"): c.get("scheme") for c in ext.conversions}.get("header")
        if scheme:
            from cleanse.legacy import convert_text

            header = [convert_text(h, scheme) for h in header]
        titles = head[: ext.header_line]
        self.width = max([len(header), *(len(r) for r in titles)])
        self.row = ext.header_line + 2  # the sheet row of the next record (1-based)
        self.pool: ThreadPoolExecutor | None = ThreadPoolExecutor(max_workers=1)
        self.pending: Future[memoryview] | None = None
        self.records: IO[bytes] | None = None
        self.records_path: Path | None = None
        try:
            self.skeleton, self.style = self._skeleton(titles, header)
            fd, name = tempfile.mkstemp(prefix=".xlsx-rows-", dir=self.dest.parent)
            self.records_path = Path(name)
            self.records = open(fd, "wb")  # noqa: SIM115 (closed by close)
        except BaseException:
            self.abort()
            raise

    def _skeleton(self, titles: list[list[str]], header: list[str]) -> tuple[bytes, int]:
        """The workbook xlsxwriter makes, with its one sheet holding the title rows and
        the header (text cells): its bytes, and the style of a text cell."""
        import xlsxwriter

        tmp = Path(tempfile.mkdtemp(prefix=".xlsx-", dir=self.dest.parent))
        try:
            path = tmp / "skeleton.xlsx"
            wb = xlsxwriter.Workbook(
                str(path),
                {
                    "constant_memory": True,
                    "tmpdir": str(tmp),
                    "strings_to_numbers": False,
                    "strings_to_formulas": False,
                    "strings_to_urls": False,
                },
            )
            text = wb.add_format({"num_format": "@"})
            ws = wb.add_worksheet(_sheet_name(self.ext.sheet))
            for r, cells in enumerate(titles):
                for c, value in enumerate(cells):
                    if _is_number(value):
                        ws.write_number(r, c, float(value))
                    elif value:
                        ws.write_string(r, c, _shown(value), text)
            at = len(titles)
            for c, value in enumerate(header):
                ws.write_string(at, c, _shown(value), text)
                ws.set_column(c, c, min(max(len(value) + 2, 12), 40))
            wb.close()
            style = text.xf_index
            return path.read_bytes(), 0 if style is None else int(style)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _xml(self, batch: pa.RecordBatch, first_row: int) -> memoryview:
        columns = [cell_text(c) for c in batch.columns]
        numbers = {}
        for i in self.unknown:
            mask = number_cells(columns[i])
            if mask is not None:
                numbers[i] = mask
        shown = pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
        return rows_xml(shown, first_row, self.style, numbers)

    def _write(self, columns: list[pa.ChunkedArray], n: int) -> None:
        assert self.records is not None and self.pool is not None
        # The next batch's XML is built (pyarrow, without the GIL) while this one is
        # written out.
        for batch in _batches(columns):
            built = self.pool.submit(self._xml, batch, self.row)
            self.row += batch.num_rows
            if self.pending is not None:
                self.records.write(self.pending.result())
            self.pending = built

    def _finish(self) -> None:
        assert self.records is not None and self.records_path is not None
        if self.pending is not None:
            self.records.write(self.pending.result())
            self.pending = None
        self.records.close()
        self.records = None
        member = "xl/worksheets/sheet1.xml"
        with zipfile.ZipFile(io.BytesIO(self.skeleton)) as src:
            sheet = src.read(member)
            parts = [(i.filename, src.read(i)) for i in src.infolist() if i.filename != member]
        sheet = sheet.replace(b"<sheetData/>", b"<sheetData></sheetData>")
        last = f"{column_letter(max(self.width, 1) - 1)}{self.row - 1}"
        sheet = _DIMENSION.sub(f'<dimension ref="A1:{last}"/>'.encode(), sheet, count=1)
        head, sep, tail = sheet.partition(b"</sheetData>")
        if not sep:
            raise ValueError("unexpected sheet XML from xlsxwriter")
        size = len(head) + self.records_path.stat().st_size + len(sep + tail)
        with zipfile.ZipFile(self.dest, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as out:
            for name, data in parts:
                out.writestr(name, data)
            # Zip64 only for a sheet that needs it: a smaller one keeps the plain entry
            # every reader knows.
            with (
                out.open(member, "w", force_zip64=size > _ZIP64_FROM) as entry,
                self.records_path.open("rb") as records,
            ):
                entry.write(head)
                shutil.copyfileobj(records, entry, 1 << 20)
                entry.write(sep + tail)
        self._abandon()

    def _abandon(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
        self.pending = None
        if self.records is not None:
            with contextlib.suppress(OSError):
                self.records.close()  # the file is removed anyway
            self.records = None
        if self.records_path is not None:
            self.records_path.unlink(missing_ok=True)
            self.records_path = None


# --- parquet ------------------------------------------------------------------------------

# Codecs of the input kept for the copy; any other (LZO, LZ4 of the old framing) is
# written with pyarrow's default.
_CODECS = {"SNAPPY", "GZIP", "BROTLI", "ZSTD", "LZ4", "LZ4_RAW", "UNCOMPRESSED"}


def _codec(meta: pq.FileMetaData) -> str:
    if meta.num_row_groups and meta.num_columns:
        name = str(meta.row_group(0).column(0).compression).upper()
        if name in _CODECS:
            return {"UNCOMPRESSED": "none", "LZ4_RAW": "lz4"}.get(name, name.lower())
    return "snappy"


class _ParquetCopy(CopyWriter):
    """The fields' columns from the frames, as strings (empty: null); the others read
    again from the input in step with the frames, re-cut to each frame's length."""

    def __init__(self, ext: Extract, dest: Path) -> None:
        super().__init__(ext, dest)
        self.source = pq.ParquetFile(ext.path)
        schema = self.source.schema_arrow
        fields = ext.columns.fields
        self.names = list(schema.names)
        self.known = [h in fields for h in self.headers]
        columns = [
            pa.field(name, pa.string()) if known else schema.field(i)
            for i, (name, known) in enumerate(zip(self.names, self.known, strict=True))
        ]
        # pandas' metadata names the columns and index the input was written from: stale
        # once the types change, and pandas would restore an index from it.
        meta = {k: v for k, v in (schema.metadata or {}).items() if k != b"pandas"}
        self.schema = pa.schema(columns, metadata=meta or None)
        unknown = [n for n, known in zip(self.names, self.known, strict=True) if not known]
        self.others = (
            self.source.iter_batches(batch_size=BATCH_ROWS, columns=unknown) if unknown else None
        )
        self.held: list[pa.RecordBatch] = []
        self.have = 0
        self.writer: pq.ParquetWriter | None = None
        try:
            codec = _codec(self.source.metadata)
            self.writer = pq.ParquetWriter(dest, self.schema, compression=codec)
        except BaseException:
            self.abort()
            raise

    def _take(self, n: int) -> pa.Table:
        """The next ``n`` records of the input's other columns."""
        assert self.others is not None
        while self.have < n:
            batch = next(self.others, None)
            if batch is None:
                raise ValueError("the frames hold more records than the Parquet file")
            self.held.append(batch)
            self.have += batch.num_rows
        table = pa.Table.from_batches(self.held)
        rest = table.slice(n)
        self.held, self.have = rest.to_batches(), rest.num_rows
        return table.slice(0, n)

    def _write(self, columns: list[pa.ChunkedArray], n: int) -> None:
        assert self.writer is not None
        others = self._take(n) if self.others is not None else None
        arrays: list[Any] = []
        for name, col, known in zip(self.names, columns, self.known, strict=True):
            if known:
                empty = pc.fill_null(pc.equal(col, ""), False)
                arrays.append(pc.if_else(empty, pa.scalar(None, pa.string()), col))
            else:
                assert others is not None
                arrays.append(others.column(name))
        self.writer.write_table(pa.table(arrays, schema=self.schema))

    def _finish(self) -> None:
        assert self.writer is not None
        total = self.source.metadata.num_rows
        self.writer.close()
        self.writer = None
        self._abandon()
        if self.rows != total:
            raise ValueError(f"the frames hold {self.rows:,} records, the Parquet file {total:,}")

    def _abandon(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(OSError, pa.ArrowException):
                self.writer.close()  # the file is removed anyway
            self.writer = None
        self.others, self.held = None, []
        self.source.close()
