"""Reading extracts: CSV/TSV/semicolon text, Excel ``.xlsx`` and Parquet (SPEC §1).

Every column is read as text, so ``001085012345`` keeps its zeros. Files are read in
chunks (an iterator of frames, each with the number of its first row) so that memory
stays bounded whatever the file's size. Input files are opened read-only.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import mmap
import os
import re
import stat
import sys
import warnings
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from cleanse import legacy
from cleanse.errors import CleanseError, os_reason
from cleanse.fields import (
    REQUIRED,
    SOURCE_KINDS,
    ColumnMap,
    absent_header_error,
    check_required,
    detect_kind,
    map_columns,
    map_item,
    match_header,
    nearest_header,
    unique_headers,
)
from cleanse.i18n import N_, Msg, msg
from cleanse.normalise import fold_scalar, join_words

DEFAULT_CHUNK_ROWS = 250_000
_HEAD_BYTES = 1 << 20  # enough text to sniff the encoding, the delimiter and the header
_BLOCK_BYTES = 8 << 20  # what Arrow parses at once: no record may be longer
# An .xlsx is a zip: refuse one that would unpack to more than this (a "zip bomb", or a
# sheet far beyond Excel's own limits) before openpyxl starts unpacking it.
XLSX_MAX_UNPACKED_BYTES = 2 << 30
_HEADER_SCAN_LINES = 30  # title lines above the header that a report may carry
_DELIMITERS = (",", ";", "\t", "|")
_STRING = pd.StringDtype("pyarrow")

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


@dataclass(frozen=True)
class Chunk:
    """A slice of an extract: columns renamed to canonical fields, all text."""

    frame: pd.DataFrame
    first_row: int  # SPEC row number of the frame's first record (1 = first after header)

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
        if self.format == "csv":
            raw = _csv_frames(self)
        elif self.format == "xlsx":
            raw = _xlsx_frames(self)
        else:
            raw = _parquet_frames(self)
        if self.format != "parquet":
            raw = _without_footer(raw, self)
        rename = self.columns.rename()
        first = 1
        for frame in raw:
            # Raw-as-read is the Unicode text: rules and findings see the converted value.
            for header, scheme in self.legacy_columns.items():
                frame[header] = legacy.convert(frame[header], scheme)
            frame = frame.rename(columns=rename)
            if self.columns.joined:
                frame = join_name(frame, self.columns.joined)
            frame.index = pd.RangeIndex(first - 1, first - 1 + len(frame))
            yield Chunk(frame, first)
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
        from cleanse.damage import SURVEY_ROWS

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


# --- report footers ------------------------------------------------------------------

# Vietnamese administrative reports end below the table with totals, a place and date
# line and signature blocks ("Tổng cộng", "Hà Nội, ngày 05 tháng 11 năm 2026",
# "Người lập biểu", "Thủ trưởng đơn vị", "(Ký, ghi rõ họ tên)", "TM. UBND"). Matched on
# the folded first non-empty cell of a row (letters and digits only, no accents).
_FOOTER_START = re.compile(
    r"^(?:tongcong|tongso|tong\d*$|cong\d*$|nguoilap|lapbieu|nguoiky|nguoikiemtra|"
    r"nguoiduyet|thutruong|ketoan|giamdoc|phogiamdoc|chutich|phochutich|truongphong|"
    r"truongban|truongthon|totruong|canbo|xacnhan|daidien|"
    r"(?:tm|kt|tl|tuq)(?:ubnd|uyban|chutich|giamdoc|thutruong|truong|bch|ban)|"
    r"ky(?:ghiro|hoten|ten|vaghi|dongdau)|danhsach(?:nay|gom|co))"
)
_DATE_LINE = re.compile(r"ngay\d{0,2}thang\d{0,2}nam(?:\d{2,4})?$")
_FOOTER_MAX_ROWS = 100  # a footer is a few lines; a longer run of such rows is records
_ID_LIKE = re.compile(r"\d{9}")
_DATE_LIKE = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}[/.-]\d{1,2}|^\s*\d{4}\s*$")
_ID_FIELDS = ("id_number", "bhxh_code", "other_id")
_DATE_FIELDS = ("dob",)


def _identity_columns(ext: Extract) -> tuple[list[int], list[int]]:
    """Positions of the columns a record is known by: IDs and the birth date."""
    fields = ext.columns.fields
    headers = ext.columns.headers
    ids = [i for i, h in enumerate(headers) if fields.get(h) in _ID_FIELDS]
    dates = [i for i, h in enumerate(headers) if fields.get(h) in _DATE_FIELDS]
    return ids, dates


def _footer_kind(cells: Sequence[str], identity: tuple[list[int], list[int]]) -> str | None:
    """How a row reads as part of a report footer: "start" (a totals, date or signature
    line), "more" (blank, or mostly empty: the signers' names, a stamp) or None (a
    record). A row that holds an ID or a birth date is always a record: one whose name
    is "Tổng" or "Công" is a person."""
    filled = [c for c in cells if c and c.strip()]
    if not filled:
        return "more"
    ids, dates = identity
    if any(_ID_LIKE.search(cells[i].replace(" ", "").replace(".", "")) for i in ids):
        return None
    if any(_DATE_LIKE.search(cells[i]) for i in dates):
        return None
    first = fold_scalar(filled[0])
    if _FOOTER_START.search(first) or _DATE_LINE.search(first):
        return "start"
    if len(filled) * 2 <= len(cells):
        return "more"
    return None


def _footer_at(frame: pd.DataFrame, identity: tuple[list[int], list[int]]) -> tuple[int, int]:
    """(rows at the end of ``frame`` that could belong to a footer, the position where a
    footer starts among them, or ``len(frame)`` when none does)."""
    n = len(frame)
    start = n
    tail = 0
    for i in range(n - 1, max(-1, n - 1 - _FOOTER_MAX_ROWS), -1):
        kind = _footer_kind(frame.iloc[i].tolist(), identity)
        if kind is None:
            break
        tail += 1
        if kind == "start":
            start = i
    if tail == _FOOTER_MAX_ROWS:
        return 0, n
    return tail, start


def _without_footer(frames: Iterator[pd.DataFrame], ext: Extract) -> Iterator[pd.DataFrame]:
    """The frames without the report footer under the table, noted; chunk sizes kept.

    A footer starts at a totals, date or signature line after the last record, and
    every row after it is a footer line too, or blank, or mostly empty, and none holds
    an ID or a birth date. Rows that could start one wait until the next frame shows
    whether records follow them.
    """
    identity = _identity_columns(ext)
    size = ext.chunk_rows
    carry: pd.DataFrame | None = None
    for frame in frames:
        if carry is not None:
            frame = pd.concat([carry, frame], ignore_index=True)
            carry = None
        tail, _ = _footer_at(frame, identity)
        if tail == 0 and len(frame) == size:
            yield frame
            continue
        at = 0
        while len(frame) - tail - at >= size:
            yield frame.iloc[at : at + size].reset_index(drop=True)
            at += size
        carry = frame.iloc[at:].reset_index(drop=True) if at < len(frame) else None
    if carry is None:
        return
    _, start = _footer_at(carry, identity)
    if start < len(carry):
        unit = "row(s)" if ext.format == "xlsx" else "line(s)"
        note = (
            f"{len(carry) - start} {unit} under the table skipped as a report footer "
            "(totals, date, signatures)"
        )
        if note not in ext.notes:
            ext.notes.append(note)
        carry = carry.iloc[:start]
    if len(carry):
        yield carry


# --- sniffing ----------------------------------------------------------------------


def _identity(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _not_regular(mode: int) -> Msg | None:
    """What a file that is not a regular file is, in a user's words; None for a file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return msg("a folder")
    if stat.S_ISFIFO(mode):
        return msg("a pipe")
    if stat.S_ISSOCK(mode):
        return msg("a socket")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return msg("a device")
    return msg("a special file")


def _refuse_not_regular(mode: int, shown: str) -> None:
    """Refuse a pipe, a process substitution (``<(…)``, ``/dev/fd/63``), a device or a
    socket. A file is read several times (sniffed, then read, again by reconcile and to
    find a bad line), which a pipe cannot give; and opening a named pipe without a writer
    waits for ever, which a cron job must never do."""
    if stat.S_ISDIR(mode):
        raise CleanseError("is a folder, not a file", path=shown)
    what = _not_regular(mode)
    if what is not None:
        raise CleanseError(
            msg("is {what}, not a regular file", what=what),
            path=shown,
            hint="save the extract to a file first and pass that file",
        )


def _read_head(p: Path, shown: str) -> tuple[bytes, tuple[int, ...]]:
    # os.stat, never open, first: opening a named pipe for reading blocks until a writer
    # comes, and /dev/zero never ends.
    try:
        st = os.stat(p)
    except (FileNotFoundError, NotADirectoryError):
        raise CleanseError("no such file", path=shown) from None
    except PermissionError:
        raise CleanseError("no permission to read the file", path=shown) from None
    except OSError as exc:
        raise CleanseError(
            msg("cannot read the file: {reason}", reason=os_reason(exc)), path=shown
        ) from None
    _refuse_not_regular(st.st_mode, shown)
    try:
        # O_NONBLOCK: should the file be swapped for a pipe since the stat, opening it
        # does not wait; the fstat below then refuses it.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            _refuse_not_regular(st.st_mode, shown)
            return fh.read(_HEAD_BYTES), _identity(st)
    except PermissionError:
        raise CleanseError("no permission to read the file", path=shown) from None
    except OSError as exc:
        raise CleanseError(
            msg("cannot read the file: {reason}", reason=os_reason(exc)), path=shown
        ) from None


def _sniff_format(p: Path, head: bytes, shown: str) -> str:
    if not head:
        raise CleanseError("the file is empty", path=shown)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(p) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            raise CleanseError(
                "looks like an Excel file but is damaged or cut short",
                path=shown,
                hint="open it in Excel and save it again",
            ) from None
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise CleanseError(
            "is a zip archive, not an extract",
            path=shown,
            hint="unpack it and pass the files inside",
        )
    if head.startswith(_CFB_MAGIC):
        if {"EncryptionInfo", "EncryptedPackage"} <= _cfb_names(p):
            # Excel keeps a workbook saved with a password to open in an OLE2 container
            # too, as an .xls would be: only the names of its streams tell them apart.
            raise CleanseError(
                "is a password-protected Excel file, which cannot be read",
                path=shown,
                hint="open it in Excel with its password and save a copy without one: "
                "File > Info > Protect Workbook > Encrypt with Password, then clear it",
            )
        raise CleanseError(
            "is an old Excel .xls file, which cannot be read",
            path=shown,
            hint="save it as .xlsx or CSV in Excel",
        )
    return "csv"


_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an OLE2 compound file (.xls, .doc, …)
_CFB_END = 0xFFFFFFFA  # sector numbers at or above this end a chain or mark a free sector


def _cfb_names(p: Path) -> set[str]:
    """The names in an OLE2 compound file's directory ([MS-CFB] 2.2, 2.6); an empty set
    when the file is damaged. Bounded: a chain is never followed further than the file
    has sectors, so a loop in a hostile file ends."""
    try:
        with p.open("rb") as fh:
            header = fh.read(512)
            if len(header) < 512:
                return set()
            size = 1 << int.from_bytes(header[30:32], "little")
            if size not in (512, 4096):
                return set()
            count = os.fstat(fh.fileno()).st_size // size - 1

            def sector(n: int) -> bytes:
                fh.seek((n + 1) * size)  # the header takes the place of sector -1
                return fh.read(size)

            return _cfb_directory(header, sector, count)
    except OSError:
        return set()


def _cfb_directory(header: bytes, sector: Any, count: int) -> set[str]:
    def numbers(block: bytes) -> list[int]:
        return [int.from_bytes(block[i : i + 4], "little") for i in range(0, len(block), 4)]

    fat_sectors = [n for n in numbers(header[76:512]) if n < count]
    difat, steps = int.from_bytes(header[68:72], "little"), 0
    while difat < count and steps < count:  # FAT sectors beyond the header's 109
        entries = numbers(sector(difat))
        fat_sectors += [n for n in entries[:-1] if n < count]
        difat, steps = (entries[-1] if entries else _CFB_END), steps + 1
    fat: list[int] = []
    for n in fat_sectors[: count + 1]:
        fat += numbers(sector(n))
    names: set[str] = set()
    at, steps = int.from_bytes(header[48:52], "little"), 0
    while at < count and steps < count:
        block = sector(at)
        for i in range(0, len(block) - 127, 128):
            length = int.from_bytes(block[i + 64 : i + 66], "little")
            if 2 <= length <= 64:
                names.add(block[i : i + length - 2].decode("utf-16-le", "replace"))
        at, steps = (fat[at] if at < len(fat) else _CFB_END), steps + 1
    return names


def _detect_encoding(head: bytes, shown: str) -> tuple[str, str]:
    """(pyarrow encoding name, how it was decided)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", "UTF-8 with BOM"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "UTF-16 with BOM"
    sample = head[:4096]
    if len(sample) >= 4:
        # UTF-16 without BOM: ASCII text leaves every other byte NUL.
        if sample[1::2].count(0) > len(sample) // 4 and sample[0::2].count(0) == 0:
            return "utf-16-le", "UTF-16 LE (no BOM)"
        if sample[0::2].count(0) > len(sample) // 4 and sample[1::2].count(0) == 0:
            return "utf-16-be", "UTF-16 BE (no BOM)"
    if b"\x00" in sample:
        raise CleanseError("is a binary file, not a text extract", path=shown)
    try:
        head.decode("utf-8")
        return "utf-8", "UTF-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if exc.start >= len(head) - 3 and len(head) == _HEAD_BYTES:
            return "utf-8", "UTF-8"
    return "cp1258", "not UTF-8: read as Windows-1258"


def _decode_head(head: bytes, encoding: str) -> str:
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(head, final=False)
    return text.lstrip("\ufeff")


NEWLINE = b"\n"


def _check_head_decodes(head: bytes, enc: str, shown: str, declared: bool) -> None:
    """Refuse a head that is not text in ``enc``, naming the first line where it breaks."""
    final = len(head) < _HEAD_BYTES
    try:
        codecs.getincrementaldecoder(enc)(errors="strict").decode(head, final=final)
        return
    except UnicodeError as exc:
        start = exc.start if isinstance(exc, UnicodeDecodeError) else None
    if enc == "cp1258" and not declared:
        # Neither UTF-8 nor Windows-1258: most likely UTF-8 with some bytes spoiled, so
        # the line to look at is the first that is not UTF-8.
        try:
            codecs.getincrementaldecoder("utf-8")(errors="strict").decode(head, final=final)
        except UnicodeDecodeError as exc:
            start = exc.start
        where = (
            msg("line {line}", line=head[:start].count(NEWLINE) + 1)
            if start is not None
            else msg("the text")
        )
        raise CleanseError(
            msg(
                "{where} is not valid UTF-8, and the file is not Windows-1258 text either",
                where=where,
            ),
            path=shown,
            hint="save the file again as CSV UTF-8, or name its encoding with --encoding",
        )
    where = msg("the text")
    if start is not None and not enc.startswith("utf-16"):
        where = msg("line {line}", line=head[:start].count(NEWLINE) + 1)
    if declared:
        raise CleanseError(
            msg(
                "{where} is not valid {enc}, the encoding given with --encoding",
                where=where,
                enc=enc,
            ),
            path=shown,
            hint="name the file's real encoding: utf-8, utf-16 or cp1258",
        )
    raise CleanseError(
        msg(
            "{where} is not valid {enc}, although the file starts as {enc} does",
            where=where,
            enc=enc,
        ),
        path=shown,
        hint="save the file again as CSV UTF-8, or name its encoding with --encoding",
    )


def _parse(lines: list[str], delim: str, shown: str, first_line: int = 1) -> list[list[str]]:
    """The lines as fields; a value too long for a record is an error naming its line."""
    reader = csv.reader(lines, delimiter=delim)
    try:
        return list(reader)
    except csv.Error:
        raise CleanseError(
            msg(
                "line {line} starts a value that runs on for more than {kb} KB",
                line=first_line + reader.line_num - 1,
                kb=csv.field_size_limit() // 1024,
            ),
            path=shown,
            hint="check for an unclosed quote near that line",
        ) from None


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits the lines into the most, and most regular, fields."""
    best, best_score = ",", -1.0
    for delim in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue  # a value too long for the csv module: not this delimiter's split
        if not counts:
            continue
        widest = max(counts)
        if widest < 2:
            continue
        regular = counts.count(max(set(counts), key=counts.count)) / len(counts)
        score = widest * regular
        if score > best_score:
            best, best_score = delim, score
    return best


def _find_header(rows: list[list[str]]) -> int:
    """Index of the header row: the one, among the first lines, naming the most fields.

    Reports exported from Excel often carry a title ("DANH SÁCH ĐỐI TƯỢNG …") and blank
    lines above the header. Without two recognised headers, the first non-empty row.
    """
    best, best_hits = -1, 1
    for i, row in enumerate(rows[:_HEADER_SCAN_LINES]):
        hits = len({match_header(c) for c in row if c and match_header(c)})
        if hits > best_hits:
            best, best_hits = i, hits
    if best >= 0:
        return best
    for i, row in enumerate(rows):
        if any(c.strip() for c in row):
            return i
    return 0


def _refuse_repeated_fields(
    headers: list[str], user_map: Mapping[str, str] | None, shown: str
) -> None:
    """Refuse one field's header given twice ("Họ và tên", "Họ và tên"), unless mapped.

    Repeated headers are kept, numbered ("Ghi chú (2)"); but when the header names a
    canonical field, which of the two columns holds the data is for the user to say.
    """
    chosen = set((user_map or {}).values())
    seen: dict[str, str] = {}
    for header in headers:
        name = (header or "").strip()
        field = match_header(name) if name else None
        if field is None or field in chosen:
            continue
        if name in seen:
            raise CleanseError(
                msg(
                    "the header is given twice, and both columns would be read as {field}",
                    field=field,
                ),
                path=shown,
                column=name,
                hint=msg(
                    'choose one with --map "{name}={field}" (the first) or --map "{name} '
                    '(2)={field}" (the second)',
                    name=name,
                    field=field,
                ),
            )
        seen[name] = field


# --- legacy fonts (TCVN3, VNI; DOMAIN.md §7.3) -----------------------------------------

_SCHEME_NAMES = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows"}


def _legacy_bytes(head: bytes) -> str | None:
    """The legacy font a non-UTF-8 file's text is typed in, read byte for byte."""
    lines = head.decode("latin-1").splitlines()[:200]
    if not lines:
        return None
    delim = _sniff_delimiter(lines[: _HEADER_SCAN_LINES + 50])
    try:
        return legacy.detect_legacy(c for row in csv.reader(lines, delimiter=delim) for c in row)
    except csv.Error:
        return None  # reported, with its line, when the text is parsed


def _note_legacy(
    ext: Extract, columns: dict[int, str], header: str | None, whole: str | None
) -> None:
    """Record the conversions planned by :func:`legacy.plan` on the extract."""
    names = ext.columns.headers
    ext.legacy_columns = {names[i]: s for i, s in columns.items() if i < len(names)}
    if whole is not None:
        ext.conversions.append({"scope": "file", "scheme": whole})
        ext.notes.append(f"text in the {_SCHEME_NAMES[whole]} font, converted to Unicode")
        return
    if header is not None:
        ext.conversions.append({"scope": "header", "scheme": header})
        ext.notes.append(f"header in the {_SCHEME_NAMES[header]} font, converted to Unicode")
    for name, scheme in ext.legacy_columns.items():
        ext.conversions.append({"scope": "column", "column": name, "scheme": scheme})
        ext.notes.append(f"column {name!r} in the {_SCHEME_NAMES[scheme]} font, converted")


# --- text ----------------------------------------------------------------------------


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


def _string_type(t: pa.DataType) -> Any:
    return _STRING if pa.types.is_string(t) or pa.types.is_large_string(t) else None


def _to_frame(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=_string_type)


# --- Excel -------------------------------------------------------------------------


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
        raise CleanseError(
            msg("cannot read the file: {reason}", reason=os_reason(exc)), path=shown
        ) from None
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
        raise CleanseError(
            msg("cannot read the file: {reason}", reason=os_reason(exc)), path=shown
        ) from None
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


# --- Parquet -------------------------------------------------------------------------


# A Parquet file is compressed and encoded: refuse one whose pages would unpack to more
# than this and to far more than its size (a "decompression bomb"). Both, because a real
# extract of 10M records unpacks past 2 GB too, and is read in batches.
PARQUET_MAX_UNPACKED_BYTES = XLSX_MAX_UNPACKED_BYTES
PARQUET_MAX_RATIO = 100  # real extracts unpack to a few times their size, rarely 20


def _nested(t: pa.DataType) -> Msg | None:
    """What a column of nested values holds, in a user's words; None for plain values."""
    if pa.types.is_struct(t):
        return msg("records (struct)")
    if pa.types.is_map(t):
        return msg("key-value maps")
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        return msg("lists")
    if pa.types.is_union(t):
        return msg("values of several types (union)")
    if pa.types.is_dictionary(t):
        return _nested(t.value_type)
    return None


def _refuse_bomb(total: int, size: int, shown: str, done: bool = False) -> None:
    if total <= PARQUET_MAX_UNPACKED_BYTES or total <= PARQUET_MAX_RATIO * max(size, 1):
        return
    template = (
        N_(
            "the Parquet file unpacks to {mb:,.0f} MB, {times:,.0f} times its size, more "
            "than the {limit:,.0f} MB allowed"
        )
        if done
        else N_(
            "the Parquet file would unpack to {mb:,.0f} MB, {times:,.0f} times its size, "
            "more than the {limit:,.0f} MB allowed"
        )
    )
    raise CleanseError(
        msg(
            template,
            mb=total / 2**20,
            times=total / max(size, 1),
            limit=PARQUET_MAX_UNPACKED_BYTES / 2**20,
        ),
        path=shown,
        hint="check where the file came from; a real extract unpacks to a few times its size",
    )


def _open_parquet(p: Path, shown: str, user_map: Mapping[str, str] | None) -> Extract:
    try:
        meta = pq.read_metadata(p)
        schema = meta.schema.to_arrow_schema()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise CleanseError(
            msg("the Parquet file is damaged: {name}", name=type(exc).__name__), path=shown
        ) from None
    # What the pages unpack to, as the file's footer declares it, before any is read.
    total = sum(
        rg.column(i).total_uncompressed_size
        for rg in (meta.row_group(r) for r in range(meta.num_row_groups))
        for i in range(rg.num_columns)
    )
    _refuse_bomb(total, p.stat().st_size, shown)
    if len(set(schema.names)) != len(schema.names):
        raise CleanseError("has duplicate column names", path=shown)
    columns = map_columns(schema.names, user_map, path=shown)
    ext = Extract(p, "parquet", columns, "generic", True)
    for f in schema:
        what = _nested(f.type)
        if what is None:
            continue
        field = columns.fields.get(f.name)
        if field is not None:
            raise CleanseError(
                msg(
                    "holds {what} ({type}), not one value per record, so it cannot be read as "
                    "{field}",
                    what=what,
                    type=f.type,
                    field=field,
                ),
                path=shown,
                column=f.name,
                hint=msg(
                    "write the column as text, or map another column to {field} with --map",
                    field=field,
                ),
            )
        ext.notes.append(f"column {f.name!r} holds {what}: passed through as JSON text")
    return ext


def _count_column(ext: Extract, header: str, col: pa.Array, before: int) -> None:
    """Count the number or date values of a surveyed Parquet column's batch (records
    ``before + 1`` on), as :func:`_count_cell` counts an .xlsx column's cells."""
    t = col.type.value_type if pa.types.is_dictionary(col.type) else col.type
    if pa.types.is_dictionary(col.type):
        col = col.cast(t)
    numeric = pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_decimal(t)
    dated = pa.types.is_timestamp(t) or pa.types.is_date(t)
    if not (numeric or dated):
        return
    from cleanse.damage import SURVEY_ROWS

    valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
    big = np.zeros(len(col), dtype=bool)
    if dated:
        big = np.asarray(pc.fill_null(pc.greater(pc.day(col), 12), False), dtype=bool)
    kinds = [("numeric", valid)] if numeric else [("date", valid), ("date_day_gt12", big)]
    head = max(0, min(len(col), SURVEY_ROWS - before))
    for kind, flags in kinds:
        whole = ext.cells.setdefault(header, {})
        whole[kind] = whole.get(kind, 0) + int(flags.sum())
        if head:
            first = ext.survey_cells.setdefault(header, {})
            first[kind] = first.get(kind, 0) + int(flags[:head].sum())


def _json_text(col: pa.Array) -> pa.Array:
    """Nested values as JSON text (a column passed through, never checked)."""
    import json

    def dump(value: object) -> str:
        if value is None:
            return ""
        return json.dumps(value, ensure_ascii=False, default=str)

    return pa.array([dump(v) for v in col.to_pylist()], pa.string())


# The largest whole number a float of each width holds exactly: beyond it, the digits
# are the float's, not the ID's, and are never made up (SPEC §1).
_EXACT_FLOAT = {16: 2**11, 32: 2**24, 64: 2**53}


def _float_text(col: pa.Array) -> pa.Array:
    """Floats as a spreadsheet's numbers read: whole numbers as their digits
    (``79190123456.0``, shown ``7.9190123456e+10``, is ``79190123456``), so that the ID
    rules see what an .xlsx number gives them: dropped zeros, scientific notation."""
    values = col.to_numpy(zero_copy_only=False).astype("float64")
    limit = _EXACT_FLOAT.get(col.type.bit_width, 2**53)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (np.abs(values) < limit) & (values == np.round(values))
    text = pc.cast(col, pa.string())
    if whole.any():
        digits = pc.cast(pa.array(np.where(whole, values, 0).astype("int64")), pa.string())
        text = pc.if_else(pa.array(whole), digits, text)
    nan = ~np.isfinite(values) & ~np.isinf(values)  # NaN: pandas' empty cell
    valid = pc.is_valid(col).to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(nan & valid), pa.scalar("", pa.string()), text)


def _as_text(col: pa.Array, name: str = "", shown: str = "") -> pa.Array:
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        out = col
    elif pa.types.is_floating(t):
        out = _float_text(col)
    elif pa.types.is_decimal(t):
        out = pc.replace_substring_regex(col.cast(pa.string()), r"\.0+$", "")
    elif pa.types.is_timestamp(t) or pa.types.is_date(t):
        out = pa.compute.strftime(col, format="%d/%m/%Y")
    elif _nested(t) is not None:
        out = _json_text(col)
    elif pa.types.is_dictionary(t):
        out = _as_text(col.cast(t.value_type), name, shown)
    else:
        try:
            out = col.cast(pa.string())
        except pa.ArrowInvalid:
            raise CleanseError(
                msg("holds {t} values that are not text (not UTF-8)", t=t),
                path=shown,
                column=name,
                hint="write the column as text",
            ) from None
        except pa.ArrowNotImplementedError:
            out = pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())
    return out.fill_null("")


def _parquet_frames(ext: Extract) -> Iterator[pd.DataFrame]:
    shown = str(ext.path)
    size = ext.path.stat().st_size
    unpacked = 0
    try:
        pf = pq.ParquetFile(ext.path)
        names = list(unique_headers(pf.schema_arrow.names))
        surveyed = dict((names[i], h) for i, h in _surveyed_columns(ext) if i < len(names))
        record = 0
        for batch in pf.iter_batches(batch_size=ext.chunk_rows):
            for j, n in enumerate(names):
                if n in surveyed:
                    _count_column(ext, surveyed[n], batch.column(j), record)
            record += batch.num_rows
            # Encodings the footer's sizes do not show (a dictionary of one long value,
            # repeated) are bounded by what the batches hold.
            unpacked += batch.nbytes
            _refuse_bomb(unpacked, size, shown, done=True)
            cols = [_as_text(c, n, shown) for c, n in zip(batch.columns, names, strict=True)]
            yield _to_frame(pa.table(cols, names=names))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise CleanseError(
            msg("the Parquet file cannot be read: {name}", name=type(exc).__name__), path=shown
        ) from None


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


__all__ = [
    "Chunk",
    "Extract",
    "check_distinct_names",
    "check_map_used",
    "open_extract",
    "join_name",
    "read_all",
    "DEFAULT_CHUNK_ROWS",
]
