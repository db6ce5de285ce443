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
