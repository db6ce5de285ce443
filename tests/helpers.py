"""Shared helpers for tests: writing files in the encodings ward offices produce."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Encode like Windows-1258 software: base letters precomposed, tone marks separate."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in parts if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        out += base.encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


# --- extracts written by the reader tests -------------------------------------------

# Synthetic records only: made-up names, IDs that belong to no one.
HEADER = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính"]
FIELDS = ["id_number", "full_name", "dob", "gender"]
ROWS = [
    ["001085012345", "Nguyễn Văn An", "12/05/1990", "Nam"],
    ["079190012346", "Trần Thị Bình", "01/01/1985", "Nữ"],
    ["001085012347", "Lê Văn Cường", "1970", "Nam"],
]


def csv_text(rows: list[list[str]], delimiter: str = ",", newline: str = "\n") -> str:
    """Rows as delimited text, quoted where a value needs it."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator=newline).writerows(rows)
    return buffer.getvalue()


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A real .xlsx with one sheet per entry, cells typed as given (numbers, dates)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def snapshot(path: Path) -> object:
    """What a path holds (bytes, or a folder's listing with bytes), to prove it unchanged."""
    if path.is_dir():
        return sorted(
            (str(p.relative_to(path)), p.read_bytes() if p.is_file() else None)
            for p in path.rglob("*")
        )
    if path.exists():
        return path.read_bytes()
    return None


# --- an extract through LibreOffice, as an officer saves it ---------------------------

# LibreOffice language ids (Windows LCIDs) of the CSV import, token 6 of the filter options:
# Vietnamese reads dd/mm/yyyy as written, US English reads it month first.
LIBREOFFICE_LANGUAGES = {"day_first": 1066, "month_first": 1033}


def soffice() -> str | None:
    """The LibreOffice command, if this machine has one."""
    import shutil

    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_xlsx(
    csv_path: Path, out_dir: Path, month_first: bool = False, timeout: float = 180
) -> Path:
    """Open a CSV in LibreOffice Calc with the default import and save it as .xlsx.

    That is what an officer does: the import types each column by its content, so IDs,
    BHXH codes and phone numbers become number cells without their leading zeros, and
    ``dd/mm/yyyy`` texts become date cells in the locale's reading. The filter options
    ``CSV:<separator>,34,76,1,,<language>`` are: the separator (44 ``,``, 59 ``;``, as
    the first line shows), ``"`` quotes, UTF-8 (76), data from line 1, default column
    types, and the language (``LIBREOFFICE_LANGUAGES``); ``month_first`` imports as US
    English does. Writes ``out_dir/<stem>.xlsx`` (``<stem>.month-first.xlsx``) and
    returns it. Each call has a user profile of its own, so runs in parallel do not
    share one, and is killed (with its children) after ``timeout`` seconds.
    """
    import os
    import shutil
    import signal
    import subprocess
    import tempfile

    command = soffice()
    if command is None:
        raise RuntimeError("LibreOffice (soffice) is not installed")
    first = csv_path.read_bytes().split(b"\n", 1)[0]
    separator = ";" if first.count(b";") > first.count(b",") else ","
    language = LIBREOFFICE_LANGUAGES["month_first" if month_first else "day_first"]
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{csv_path.stem}{'.month-first' if month_first else ''}.xlsx"
    work = Path(tempfile.mkdtemp(prefix="soffice-"))
    try:
        proc = subprocess.Popen(
            [
                command,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--norestore",
                f"--infilter=CSV:{ord(separator)},34,76,1,,{language}",
                "--convert-to",
                "xlsx",
                "--outdir",
                str(work / "out"),
                str(csv_path),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group, to end it whole on timeout
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        made = work / "out" / f"{csv_path.stem}.xlsx"
        if proc.returncode != 0 or not made.exists():
            raise RuntimeError(f"soffice failed ({proc.returncode}): {(out + err).decode()}")
        shutil.move(made, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


# --- the Excel report read back as the CSV has it ----------------------------------------


def report_as_table(
    header: list[object], rows: list[list[object]], lang: str = "vi"
) -> tuple[list[str], list[list[object]]]:
    """A report sheet with its words turned back into what the CSV holds.

    The report labels its headers and shows severities and field names in the run's
    language, puts the person's name and ID beside each finding and leads with where
    the record is: here the headers become column names again, the words codes again,
    the two person columns go and the findings columns are in the CSV's order.
    """
    from cleanse.xlsx import FIELD_NAMES, HEADERS, PEOPLE_COLUMNS, SEVERITY

    names = {label: name for name, label in HEADERS[lang].items()}
    columns = [names.get(str(h), str(h)) for h in header]
    back = {
        "severity": {word: code for code, word in SEVERITY[lang].items()},
        "field": {word: code for code, word in FIELD_NAMES[lang].items()},
    }
    keep = [i for i, c in enumerate(columns) if c not in PEOPLE_COLUMNS]
    from cleanse.write import FINDING_COLUMNS

    if set(FINDING_COLUMNS) <= set(columns):  # the report leads with the row's place
        at = {c: i for i, c in enumerate(columns)}
        extra = [i for i in keep if columns[i] not in FINDING_COLUMNS]
        keep = [at[c] for c in FINDING_COLUMNS] + extra
    out = []
    for row in rows:
        values = [back.get(columns[i], {}).get(row[i], row[i]) for i in keep]  # type: ignore[call-overload]
        out.append(values)
    return [columns[i] for i in keep], out


def only_summary_line(stderr: str) -> bool:
    """stderr holds the one plain summary line a run prints without a terminal, and
    nothing else (no warning, no traceback)."""
    lines = stderr.splitlines()
    return len(lines) == 1 and lines[0].startswith(("cleanse validate: ", "cleanse reconcile: "))
