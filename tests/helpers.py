"""Shared helpers for tests: writing files in the encodings ward offices produce, running
the CLI in-process, and the small synthetic extracts of the validate and rule tests."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from click.testing import Result

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


# --- the CLI in-process -------------------------------------------------------------------


def invoke(args: list[str], **kwargs: Any) -> Result:
    """Run ``cleanse ARGS`` in-process through click's ``CliRunner``, a bug raised.

    A user error still gives its one line and exit code 2: the CLI ends with
    ``sys.exit``, which ``CliRunner`` handles even with ``catch_exceptions=False``. A bug
    surfaces as its traceback in the test instead: ``catch_exceptions=False`` lets it out
    of ``CliRunner``, and the CLI's own last resort, which would turn it into one
    "internal error" line and exit code 2 as well, raises it again here. ``kwargs`` go to
    ``CliRunner.invoke`` (``env``, ``input``, …).
    """
    from unittest import mock

    from click.testing import CliRunner

    import cleanse.cli
    import cleanse.cli.group

    def raise_it(exc: BaseException) -> str:
        raise exc

    # The one place CleanseGroup turns an unforeseen exception into its line.
    with mock.patch.object(cleanse.cli.group, "internal_error_line", raise_it):
        return CliRunner().invoke(cleanse.cli.cli, args, catch_exceptions=False, **kwargs)


# --- the small synthetic extracts of the validate tests -----------------------------------
# Made-up people; IDs built as DOMAIN.md says (place code, gender/century digit, year).
# tests/rules/ runs each rule's cases on them, test_validate.py the command as a whole.

TODAY = "2026-11-21"  # every run's --today: birth dates are in or out of range against it

EXTRACT_HEADERS = {
    "bhxh_code": "Mã số BHXH",
    "event": "Loại việc hộ tịch",
    "id_number": "Số định danh cá nhân",
    "full_name": "Họ và tên",
    "dob": "Ngày sinh",
    "gender": "Giới tính",
    "ethnicity": "Dân tộc",
    "death_date": "Ngày chết",
}
EXTRACT_COLUMNS = {
    "dancu": ["id_number", "full_name", "dob", "gender", "ethnicity"],
    "bhxh": ["bhxh_code", "id_number", "full_name", "dob", "gender", "ethnicity"],
    "hotich": ["event", "id_number", "full_name", "dob", "gender", "ethnicity", "death_date"],
    "generic": ["id_number", "full_name", "dob", "gender"],  # no ethnicity: not dancu
}
BASE = [
    {
        "bhxh_code": "0112345678",
        "event": "Khai tử",
        "id_number": "001085012345",  # Hà Nội, male 1900s, 1985
        "full_name": "Nguyễn Văn An",
        "dob": "12/05/1985",
        "gender": "Nam",
        "ethnicity": "Kinh",
        "death_date": "10/03/2024",
    },
    {
        "bhxh_code": "7998765432",
        "event": "Kết hôn",
        "id_number": "079190012346",  # TP.HCM, female 1900s, 1990
        "full_name": "Trần Thị Bình",
        "dob": "01/02/1990",
        "gender": "Nữ",
        "ethnicity": "Kinh",
        "death_date": "",
    },
    {
        "bhxh_code": "3155554444",
        "event": "Khai sinh",
        "id_number": "031085654321",  # Hải Phòng, male 1900s, 1985
        "full_name": "Lê Văn Cường",
        "dob": "23/09/1985",
        "gender": "Nam",
        "ethnicity": "Tày",
        "death_date": "",
    },
]
ID1, ID2 = BASE[0]["id_number"], BASE[1]["id_number"]
BOOK2 = "0187654321"  # a second BHXH book for the person of row 1


def extract_rows(edits: dict[int, dict[str, str]] | None = None) -> list[dict[str, str]]:
    """The clean base rows with ``edits`` (row number → changed fields) applied.

    A row number after the base rows appends a row: ``{"_from": n}`` starts it as a copy
    of row n, otherwise every field must be given.
    """
    rows = [dict(r) for r in BASE]
    for number, change in sorted((edits or {}).items()):
        change = dict(change)
        source = change.pop("_from", None)
        if number <= len(rows):
            rows[number - 1].update(change)
        else:
            assert number == len(rows) + 1, "appended rows must follow on"
            start = dict(BASE[source - 1]) if source else {}
            rows.append({**start, **change})
    return rows


def write_extract(
    folder: Path, kind: str, edits: dict[int, dict[str, str]] | None = None, name: str | None = None
) -> Path:
    """A small CSV of ``kind`` with Vietnamese headers, clean but for ``edits``."""
    fields = EXTRACT_COLUMNS[kind]
    rows = extract_rows(edits)
    table = [[EXTRACT_HEADERS[f] for f in fields], *[[r.get(f, "") for f in fields] for r in rows]]
    path = folder / (name or f"{kind}.csv")
    path.write_text(csv_text(table), encoding="utf-8")
    return path


def mojibake(text: str) -> str:
    """UTF-8 bytes read as cp1252 (latin-1 for the bytes cp1252 leaves undefined)."""

    def one(b: int) -> str:
        try:
            return bytes([b]).decode("cp1252")
        except UnicodeDecodeError:
            return chr(b)

    return "".join(one(b) for b in text.encode("utf-8"))


def validate(*args: str | Path, env: dict[str, str] | None = None) -> Result:
    """Run ``cleanse validate ARGS --today TODAY`` in-process."""
    return invoke(["validate", *map(str, args), "--today", TODAY], env=env)


def read_findings(out: Path) -> pd.DataFrame:
    """findings.csv as text, as a user's script would read it."""
    import pandas as pd

    return pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def hit(
    row: int, rule: str, field: str | None = None, suggestion: str = "", related: int | None = None
) -> list[Any]:
    """One expected finding, compact: row, rule, field, suggestion, related_row."""
    from cleanse.rules import REGISTRY

    name = REGISTRY[rule].field if field is None else field
    return [row, rule, name, suggestion, "" if related is None else str(related)]


def compact(findings: pd.DataFrame) -> list[list[Any]]:
    """Findings as ``hit`` writes them (row 0: a finding about a whole column)."""
    cols = findings[["row", "rule", "field", "suggestion", "related_row"]].copy()
    cols["row"] = cols["row"].replace("", "0").fillna("0").astype(int)
    return cols.values.tolist()


def case(
    case_id: str, expected: list[list[Any]], edits: dict[int, dict[str, str]], kind: str = "dancu"
) -> Any:
    """One rule case of tests/rules (``<code>-fires-…`` or ``<code>-quiet-…``): the
    findings ``expected`` of a ``kind`` extract with ``edits``."""
    import pytest

    return pytest.param(kind, edits, expected, id=case_id)


# --- one record through the row rules of birth, death, gender and name ---------------------

PERSON_RULES = [
    "dob.invalid",
    "dob.out_of_range",
    "dob.partial",
    "death.before_birth",
    "gender.invalid",
    "name.invalid",
    "name.format",
]


def person_rules_fired(**values: str) -> list[str]:
    """The ``PERSON_RULES`` that fire on one clean record with ``values`` changed."""
    import pandas as pd

    from cleanse.prepare import prepare
    from cleanse.rules import REGISTRY, Context

    ctx = Context.for_date(pd.Timestamp(TODAY))
    base = {"full_name": "Nguyễn Văn An", "dob": "12/05/1985", "gender": "Nam", "death_date": ""}
    base.update(values)
    frame = pd.DataFrame({k: [v] for k, v in base.items()}, dtype=pd.StringDtype("pyarrow"))
    chunk = prepare(frame)
    return [c for c in PERSON_RULES if bool(REGISTRY[c].check(chunk, ctx).iloc[0])]
