"""Sniffing a file before it is read: what it is, its encoding, delimiter and header.

Holds the refusal of what is no regular file, the head read and the file's identity
taken, the format told from the first bytes (Parquet, .xlsx, a zip, an .xls or a
password-protected workbook, whose OLE2 directory is read for it; text otherwise), the
text encoding detected and checked, the delimiter and the header line found (for .xlsx
too), a field's header given twice refused, and the legacy font (TCVN3, VNI) of a
non-UTF-8 file detected and noted (DOMAIN.md §7.3).

May import: the standard library, ``cleanse.errors``, ``cleanse.fields``,
``cleanse.i18n``, ``cleanse.legacy`` and ``cleanse.read.extract``.
"""

from __future__ import annotations

import codecs
import csv
import os
import stat
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cleanse import legacy
from cleanse.errors import CleanseError
from cleanse.fields import match_header
from cleanse.i18n import Msg, msg
from cleanse.read.extract import Extract, _identity, unreadable

_HEAD_BYTES = 1 << 20  # enough text to sniff the encoding, the delimiter and the header
_HEADER_SCAN_LINES = 30  # title lines above the header that a report may carry
_DELIMITERS = (",", ";", "\t", "|")


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
    except OSError as exc:
        raise unreadable(exc, shown) from None
    _refuse_not_regular(st.st_mode, shown)
    try:
        # O_NONBLOCK: should the file be swapped for a pipe since the stat, opening it
        # does not wait; the fstat below then refuses it.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            _refuse_not_regular(st.st_mode, shown)
            return fh.read(_HEAD_BYTES), _identity(st)
    except OSError as exc:
        raise unreadable(exc, shown) from None


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
