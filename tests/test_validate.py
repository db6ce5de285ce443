"""`cleanse validate` end to end: every rule through the CLI, the shipped samples against
their truth, chunking, exit codes, output files, masking and what reaches the screen."""

from __future__ import annotations

import json
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import csv_text, only_summary_line, report_as_table, snapshot

from cleanse.cli import cli
from cleanse.rules import REGISTRY

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT / "samples"
SPEC = PROJECT.parent / "shared" / "SPEC.md"
TODAY = "2026-11-21"

# SPEC §5: the findings columns, in this order, in every format.
FINDING_COLUMNS = [
    "source", "row", "rule", "severity", "field", "value", "message", "suggestion",
    "related_source", "related_row", "sheet_row", "column",
]  # fmt: skip
TRUTH_KEY = ["source", "row", "rule", "field", "suggestion", "related_row"]

# --- small synthetic extracts -------------------------------------------------------------
# Made-up people; IDs built as DOMAIN.md says (place code, gender/century digit, year).

HEADERS = {
    "bhxh_code": "Mã số BHXH",
    "event": "Loại việc hộ tịch",
    "id_number": "Số định danh cá nhân",
    "full_name": "Họ và tên",
    "dob": "Ngày sinh",
    "gender": "Giới tính",
    "ethnicity": "Dân tộc",
    "death_date": "Ngày chết",
}
COLUMNS = {
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
INPUT_IDS = {v for r in BASE for k, v in r.items() if k in ("id_number", "bhxh_code")}
INPUT_NAMES = {r["full_name"] for r in BASE}


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
    fields = COLUMNS[kind]
    rows = extract_rows(edits)
    table = [[HEADERS[f] for f in fields], *[[r.get(f, "") for f in fields] for r in rows]]
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


def validate(*args: str | Path, env: dict[str, str] | None = None) -> Any:
    """Run ``cleanse validate ARGS --today TODAY`` in-process."""
    return CliRunner().invoke(
        cli, ["validate", *map(str, args), "--today", TODAY], env=env, catch_exceptions=False
    )


def read_findings(out: Path) -> pd.DataFrame:
    """findings.csv as text, as a user's script would read it."""
    return pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def hit(
    row: int, rule: str, field: str | None = None, suggestion: str = "", related: int | None = None
) -> list[Any]:
    """One expected finding, compact: row, rule, field, suggestion, related_row."""
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
    return pytest.param(kind, edits, expected, id=case_id)


NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Văn An")
ID1, ID2 = BASE[0]["id_number"], BASE[1]["id_number"]
BOOK2 = "0187654321"  # a second BHXH book for the person of row 1

RULE_CASES = [
    # id.missing
    case("id.missing-fires-empty", [hit(2, "id.missing")], {2: {"id_number": ""}}),
    case("id.missing-fires-spaces", [hit(2, "id.missing")], {2: {"id_number": "   "}}),
    case("id.missing-fires-bhxh", [hit(2, "id.missing")], {2: {"id_number": ""}}, "bhxh"),
    case("id.missing-fires-hotich", [hit(3, "id.missing")], {3: {"id_number": ""}}, "hotich"),
    case("id.missing-quiet-generic-does-not-require-it", [], {2: {"id_number": ""}}, "generic"),
    # id.format
    case("id.format-fires-letter-O", [hit(2, "id.format")], {2: {"id_number": "O79190012346"}}),
    case("id.format-fires-13-digits", [hit(2, "id.format")], {2: {"id_number": "0791900123461"}}),
    case("id.format-fires-scientific", [hit(2, "id.format")], {2: {"id_number": "7.9190E+10"}}),
    case("id.format-fires-8-digits", [hit(2, "id.format")], {2: {"id_number": "12345678"}}),
    case("id.format-quiet-spaces", [], {2: {"id_number": "079 190 012 346"}}),
    case("id.format-quiet-dots", [], {2: {"id_number": "079.190.012.346"}}),
    case("id.format-quiet-dashes", [], {2: {"id_number": "079-190-012-346"}}),
    # id.leading_zeros: one finding for a column whose numbers all lost their zeros (no
    # value keeps one), none per row; in an intact column a short ID is an id.format.
    case(
        "id.leading_zeros-fires-column",
        [hit(0, "id.leading_zeros")],
        {
            1: {"id_number": "1085012345"},
            2: {"id_number": "79190012346"},
            3: {"id_number": "31085654321"},
        },
    ),
    case(
        "id.leading_zeros-fires-bhxh-column",
        [hit(0, "id.leading_zeros", "bhxh_code"), hit(0, "id.leading_zeros")],
        {
            1: {"id_number": "1085012345", "bhxh_code": "112345678"},
            2: {"id_number": "79190012346"},
            3: {"id_number": "31085654321"},
        },
        "bhxh",
    ),
    case(
        "id.leading_zeros-quiet-intact-column",
        [hit(2, "id.format")],
        {2: {"id_number": "79190012346"}},
    ),
    case(
        "id.leading_zeros-quiet-year-disagrees",
        [hit(1, "id.format")],
        {1: {"id_number": "1090012345"}},
    ),
    case(
        "id.leading_zeros-quiet-gender-disagrees",
        [hit(1, "id.format")],
        {1: {"id_number": "1185012345"}},
    ),
    case(
        "id.leading_zeros-quiet-unknown-place",
        [hit(1, "id.format")],
        {1: {"id_number": "3085012345"}},
    ),
    # id.legacy
    case("id.legacy-fires-9-digits", [hit(2, "id.legacy")], {2: {"id_number": "123456789"}}),
    case("id.legacy-fires-bhxh", [hit(2, "id.legacy")], {2: {"id_number": "123456789"}}, "bhxh"),
    case("id.legacy-quiet-12-digits", [], {2: {"id_number": "079190654321"}}),
    # id.place_code
    case("id.place_code-fires-003", [hit(1, "id.place_code")], {1: {"id_number": "003085012345"}}),
    case("id.place_code-fires-099", [hit(1, "id.place_code")], {1: {"id_number": "099085012345"}}),
    case("id.place_code-quiet-096-ca-mau", [], {1: {"id_number": "096085012345"}}),
    # id.foreign_code
    case(
        "id.foreign_code-fires-100", [hit(1, "id.foreign_code")], {1: {"id_number": "100085012345"}}
    ),
    case(
        "id.foreign_code-fires-299", [hit(1, "id.foreign_code")], {1: {"id_number": "299085012345"}}
    ),
    case("id.foreign_code-quiet-province", [], {1: {"id_number": "079085012345"}}),
    # id.gender_century
    case(
        "id.gender_century-fires-gender",
        [hit(1, "id.gender_century")],
        {1: {"id_number": "001185012345"}},
    ),
    case(
        "id.gender_century-fires-century",
        [hit(1, "id.gender_century")],
        {1: {"id_number": "001285012345"}},
    ),
    case(
        "id.gender_century-quiet-female-2000s",
        [],
        {2: {"id_number": "079303012346", "dob": "01/02/2003"}},
    ),
    case(
        "id.gender_century-quiet-gender-unrecognised",
        [hit(1, "gender.invalid")],
        {1: {"id_number": "001185012345", "gender": "Khác"}},
    ),
    # Trai means Nam, but it is not a SPEC value: no ID rule is decided on the guess,
    # neither when the 4th digit disagrees with it (1, female) nor when it agrees (0).
    case(
        "id.gender_century-quiet-guessed-gender-disagrees",
        [hit(1, "gender.invalid", suggestion="Nam")],
        {1: {"id_number": "001185012345", "gender": "Trai"}},
    ),
    case(
        "id.gender_century-quiet-guessed-gender-agrees",
        [hit(1, "gender.invalid", suggestion="Nam")],
        {1: {"gender": "Trai"}},
    ),
    case(
        "id.gender_century-fires-century-beside-a-guessed-gender",
        [hit(1, "id.gender_century"), hit(1, "gender.invalid", suggestion="Nam")],
        {1: {"id_number": "001285012345", "gender": "Trai"}},
    ),
    # id.birth_year
    case("id.birth_year-fires", [hit(1, "id.birth_year")], {1: {"id_number": "001086012345"}}),
    case("id.birth_year-quiet-year-only-dob", [hit(1, "dob.partial")], {1: {"dob": "1985"}}),
    case(
        "id.birth_year-quiet-dob-invalid",
        [hit(1, "dob.invalid")],
        {1: {"id_number": "001086012345", "dob": "31/02/1985"}},
    ),
    case(
        "id.birth_year-quiet-dob-missing",
        [hit(1, "field.missing", "dob")],
        {1: {"id_number": "001086012345", "dob": ""}},
    ),
    # id.duplicate: every row sharing the number, each pointing at another one
    case(
        "id.duplicate-fires-pair",
        [hit(1, "id.duplicate", related=3), hit(3, "id.duplicate", related=1)],
        {3: {"id_number": ID1}},
    ),
    case(
        "id.duplicate-fires-three",
        [
            hit(1, "id.duplicate", related=3),
            hit(3, "id.duplicate", related=1),
            hit(4, "id.duplicate", related=1),
        ],
        {
            3: {"id_number": ID1},
            4: {
                "id_number": ID1,
                "full_name": "Phạm Văn Dũng",
                "dob": "07/07/1985",
                "gender": "Nam",
                "ethnicity": "Kinh",
            },
        },
    ),
    case(
        "id.duplicate-fires-spaced-copy",
        [hit(1, "id.duplicate", related=3), hit(3, "id.duplicate", related=1)],
        {3: {"id_number": "001 085 012 345"}},
    ),
    case(
        "id.duplicate-quiet-same-person",
        [hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1}},
    ),
    # One person with two BHXH books is one person: a record.duplicate, no id.duplicate.
    case(
        "id.duplicate-quiet-same-person-two-bhxh-books",
        [hit(4, "record.duplicate", "bhxh_code", related=1)],
        {4: {"_from": 1, "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "id.duplicate-fires-other-person-beside-two-bhxh-books",
        [
            hit(1, "id.duplicate", related=3),
            hit(3, "id.duplicate", related=1),
            hit(4, "id.duplicate", related=1),
            hit(4, "record.duplicate", "bhxh_code", related=1),
        ],
        {3: {"id_number": ID1}, 4: {"_from": 1, "bhxh_code": BOOK2}},
        "bhxh",
    ),
    # bhxh.format
    case(
        "bhxh.format-fires-9-digits",
        [hit(2, "bhxh.format")],
        {2: {"bhxh_code": "799876543"}},
        "bhxh",
    ),
    case(
        "bhxh.format-fires-11-digits",
        [hit(2, "bhxh.format")],
        {2: {"bhxh_code": "79987654321"}},
        "bhxh",
    ),
    case(
        "bhxh.format-fires-old-card-code",
        [hit(2, "bhxh.format")],
        {2: {"bhxh_code": "DN4790123456789"}},
        "bhxh",
    ),
    case(
        "bhxh.format-fires-12-digits-unknown-place",
        [hit(2, "bhxh.format")],
        {2: {"bhxh_code": "003190012346"}},
        "bhxh",
    ),
    case("bhxh.format-quiet-12-digit-id", [], {2: {"bhxh_code": ID2}}, "bhxh"),
    # bhxh.duplicate
    case(
        "bhxh.duplicate-fires-pair",
        [hit(1, "bhxh.duplicate", related=3), hit(3, "bhxh.duplicate", related=1)],
        {3: {"bhxh_code": BASE[0]["bhxh_code"]}},
        "bhxh",
    ),
    case(
        "bhxh.duplicate-quiet-same-person",
        [hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1}},
        "bhxh",
    ),
    # field.missing names the field
    case("field.missing-fires-dob", [hit(2, "field.missing", "dob")], {2: {"dob": ""}}),
    case(
        "field.missing-fires-full_name",
        [hit(2, "field.missing", "full_name")],
        {2: {"full_name": ""}},
    ),
    case("field.missing-fires-gender", [hit(2, "field.missing", "gender")], {2: {"gender": ""}}),
    case(
        "field.missing-fires-bhxh_code",
        [hit(2, "field.missing", "bhxh_code")],
        {2: {"bhxh_code": ""}},
        "bhxh",
    ),
    case(
        "field.missing-fires-event",
        [hit(2, "field.missing", "event")],
        {2: {"event": ""}},
        "hotich",
    ),
    case(
        "field.missing-fires-death_date-on-death",
        [hit(1, "field.missing", "death_date")],
        {1: {"death_date": ""}},
        "hotich",
    ),
    case("field.missing-quiet-not-required", [], {2: {"ethnicity": ""}}),
    case("field.missing-quiet-generic-gender", [], {2: {"gender": ""}}, "generic"),
    # dob.invalid
    case("dob.invalid-fires-31-02", [hit(2, "dob.invalid")], {2: {"dob": "31/02/1990"}}),
    case("dob.invalid-fires-31-04", [hit(2, "dob.invalid")], {2: {"dob": "31/04/1990"}}),
    case("dob.invalid-fires-month-13", [hit(2, "dob.invalid")], {2: {"dob": "01/13/1990"}}),
    case("dob.invalid-fires-text", [hit(2, "dob.invalid")], {2: {"dob": "không rõ"}}),
    case("dob.invalid-quiet-leap-day", [], {2: {"dob": "29/02/2000", "id_number": "079300012346"}}),
    case("dob.invalid-quiet-iso", [], {2: {"dob": "1990-02-01"}}),
    # dob.out_of_range: against --today
    case("dob.out_of_range-fires-future", [hit(2, "dob.out_of_range")], {2: {"dob": "01/02/2090"}}),
    case(
        "dob.out_of_range-fires-tomorrow",
        [hit(3, "dob.out_of_range")],
        {3: {"dob": "22/11/2026", "id_number": "031226654321"}},
    ),
    case(
        "dob.out_of_range-fires-over-120-years",
        [hit(1, "dob.out_of_range")],
        {1: {"dob": "20/11/1906", "id_number": "001006012345"}},
    ),
    case(
        "dob.out_of_range-quiet-born-today",
        [],
        {3: {"dob": "21/11/2026", "id_number": "031226654321"}},
    ),
    case(
        "dob.out_of_range-quiet-exactly-120-years",
        [],
        {1: {"dob": "21/11/1906", "id_number": "001006012345"}},
    ),
    # dob.partial
    case("dob.partial-fires-year", [hit(1, "dob.partial")], {1: {"dob": "1985"}}),
    case("dob.partial-fires-month-year", [hit(1, "dob.partial")], {1: {"dob": "05/1985"}}),
    case("dob.partial-quiet-placeholder", [], {1: {"dob": "01/01/1985"}}),
    case("dob.partial-quiet-future-year", [hit(1, "dob.out_of_range")], {1: {"dob": "2090"}}),
    # gender.invalid
    case("gender.invalid-fires-khac", [hit(1, "gender.invalid")], {1: {"gender": "Khác"}}),
    case("gender.invalid-fires-X", [hit(1, "gender.invalid")], {1: {"gender": "X"}}),
    case("gender.invalid-fires-3", [hit(1, "gender.invalid")], {1: {"gender": "3"}}),
    case("gender.invalid-fires-question-mark", [hit(1, "gender.invalid")], {1: {"gender": "?"}}),
    # Words outside SPEC §1 with a plain meaning: the SPEC value is suggested.
    case(
        "gender.invalid-fires-trai",
        [hit(1, "gender.invalid", suggestion="Nam")],
        {1: {"gender": "Trai"}},
    ),
    case(
        "gender.invalid-fires-gai-unaccented",
        [hit(2, "gender.invalid", suggestion="Nữ")],
        {2: {"gender": "gai"}},
    ),
    case(
        "gender.invalid-fires-con-gai",
        [hit(2, "gender.invalid", suggestion="Nữ")],
        {2: {"gender": "Con gái"}},
    ),
    case(
        "gender.invalid-fires-nam-gioi",
        [hit(3, "gender.invalid", suggestion="Nam")],
        {3: {"gender": "Nam giới"}},
    ),
    case(
        "gender.invalid-fires-phu-nu",
        [hit(2, "gender.invalid", suggestion="Nữ")],
        {2: {"gender": "Phụ nữ"}},
    ),
    case(
        "gender.invalid-fires-dan-ong",
        [hit(1, "gender.invalid", suggestion="Nam")],
        {1: {"gender": "Đàn ông"}},
    ),
    case("gender.invalid-quiet-words", [], {1: {"gender": "NAM"}, 2: {"gender": "nu"}}),
    case("gender.invalid-quiet-letters", [], {1: {"gender": "M"}, 2: {"gender": "F"}}),
    case("gender.invalid-quiet-english", [], {1: {"gender": "male"}, 2: {"gender": "Female"}}),
    case("gender.invalid-quiet-default-codes", [], {1: {"gender": "1"}, 2: {"gender": "2"}}),
    # name.invalid
    case(
        "name.invalid-fires-digit", [hit(1, "name.invalid")], {1: {"full_name": "Nguyễn Văn An2"}}
    ),
    case(
        "name.invalid-fires-symbol", [hit(2, "name.invalid")], {2: {"full_name": "Trần Thị #Bình"}}
    ),
    case("name.invalid-fires-one-word", [hit(1, "name.invalid")], {1: {"full_name": "An"}}),
    case(
        "name.invalid-quiet-highlands",
        [],
        {1: {"full_name": "Y-Moan Niê"}, 2: {"full_name": "Ksor H'Blương"}},
    ),
    # name.format
    case(
        "name.format-fires-nfd",
        [hit(1, "name.format", suggestion="Nguyễn Văn An")],
        {1: {"full_name": NFD_NAME}},
    ),
    case(
        "name.format-fires-double-space",
        [hit(1, "name.format", suggestion="Nguyễn Văn An")],
        {1: {"full_name": "Nguyễn  Văn An"}},
    ),
    case(
        "name.format-fires-leading-space",
        [hit(1, "name.format", suggestion="Nguyễn Văn An")],
        {1: {"full_name": " Nguyễn Văn An"}},
    ),
    case(
        "name.format-fires-trailing-space",
        [hit(1, "name.format", suggestion="Nguyễn Văn An")],
        {1: {"full_name": "Nguyễn Văn An "}},
    ),
    case(
        "name.format-fires-lower-case",
        [hit(1, "name.format", suggestion="Nguyễn Văn An")],
        {1: {"full_name": "nguyễn văn an"}},
    ),
    case(
        "name.format-fires-mixed-case",
        [hit(1, "name.format", suggestion="Nguyễn Văn An")],
        {1: {"full_name": "NGuyễn Văn An"}},
    ),
    case("name.format-quiet-capitals", [], {1: {"full_name": "NGUYỄN VĂN AN"}}),
    case(
        "name.format-quiet-no-accents",
        [],
        {1: {"full_name": "Nguyen Van An"}, 2: {"full_name": "TRAN THI BINH"}},
    ),
    # text.mojibake: the suggestion is the repaired text
    case(
        "text.mojibake-fires-name",
        [hit(1, "text.mojibake", "full_name", suggestion="Nguyễn Văn An")],
        {1: {"full_name": mojibake("Nguyễn Văn An")}},
    ),
    case(
        "text.mojibake-fires-capitals",
        [hit(2, "text.mojibake", "full_name", suggestion="TRẦN THỊ BÌNH")],
        {2: {"full_name": mojibake("TRẦN THỊ BÌNH")}},
    ),
    case(
        "text.mojibake-fires-ethnicity",
        [hit(3, "text.mojibake", "ethnicity", suggestion="Thái")],
        {3: {"ethnicity": mojibake("Thái")}},
    ),
    case(
        "text.mojibake-quiet-vietnamese",
        [],
        {1: {"full_name": "Đặng Thị Ánh Tuyết"}, 2: {"full_name": "Âu Dương Ửng"}},
    ),
    # death.before_birth (hộ tịch)
    case(
        "death.before_birth-fires",
        [hit(1, "death.before_birth")],
        {1: {"death_date": "01/01/1980"}},
        "hotich",
    ),
    case(
        "death.before_birth-fires-a-day-before",
        [hit(1, "death.before_birth")],
        {1: {"death_date": "11/05/1985"}},
        "hotich",
    ),
    case("death.before_birth-quiet-same-day", [], {1: {"death_date": "12/05/1985"}}, "hotich"),
    case(
        "death.before_birth-quiet-partial-death-month", [], {1: {"death_date": "05/1985"}}, "hotich"
    ),
    case(
        "death.before_birth-quiet-dob-invalid",
        [hit(1, "dob.invalid")],
        {1: {"dob": "31/02/1985", "death_date": "01/01/1980"}},
        "hotich",
    ),
    # record.duplicate: on the later row only, related_row = the first
    case(
        "record.duplicate-fires-copy",
        [hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1}},
    ),
    case(
        "record.duplicate-fires-capitals",
        [hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "full_name": "NGUYỄN VĂN AN"}},
    ),
    case(
        "record.duplicate-fires-no-accents",
        [hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "full_name": "Nguyen Van An"}},
    ),
    case(
        "record.duplicate-fires-each-later-copy",
        [hit(4, "record.duplicate", "", related=2), hit(5, "record.duplicate", "", related=2)],
        {4: {"_from": 2}, 5: {"_from": 2}},
    ),
    case(
        "record.duplicate-fires-copy-without-id",
        [hit(4, "id.missing"), hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "id_number": ""}},
    ),
    case(
        "record.duplicate-fires-copy-lost-leading-zeros",
        [hit(4, "id.format"), hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "id_number": "1085012345"}},
    ),
    case(
        "record.duplicate-fires-copy-with-13-digit-id",
        [hit(4, "id.format"), hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "id_number": "0010850123456"}},
    ),
    case(
        "record.duplicate-fires-copy-with-scientific-id",
        [hit(4, "id.format"), hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "id_number": "1.08501E+09"}},
    ),
    case(
        "record.duplicate-fires-bhxh-copy-with-11-digit-code",
        [hit(4, "bhxh.format"), hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "bhxh_code": "01123456789"}},
        "bhxh",
    ),
    case(
        "record.duplicate-fires-bhxh",
        [hit(4, "record.duplicate", "", related=2)],
        {4: {"_from": 2}},
        "bhxh",
    ),
    case(
        "record.duplicate-fires-hotich",
        [hit(4, "record.duplicate", "", related=3)],
        {4: {"_from": 3}},
        "hotich",
    ),
    # One person (same ID, name, birth date, gender) with two BHXH codes: two books to
    # merge, on the later row, naming bhxh_code.
    case(
        "record.duplicate-fires-two-bhxh-books",
        [hit(4, "record.duplicate", "bhxh_code", related=1)],
        {4: {"_from": 1, "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "record.duplicate-fires-two-bhxh-books-id-lost-its-zeros",
        [hit(4, "id.format"), hit(4, "record.duplicate", "bhxh_code", related=1)],
        {4: {"_from": 1, "id_number": "1085012345", "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "record.duplicate-fires-copy-then-second-book",
        [
            hit(4, "record.duplicate", "", related=1),
            hit(5, "record.duplicate", "bhxh_code", related=1),
        ],
        {4: {"_from": 1}, 5: {"_from": 1, "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "record.duplicate-fires-second-book-then-its-copy",
        [
            hit(4, "record.duplicate", "bhxh_code", related=1),
            hit(5, "record.duplicate", "bhxh_code", related=1),
        ],
        {4: {"_from": 1, "bhxh_code": BOOK2}, 5: {"_from": 1, "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "record.duplicate-fires-bhxh-code-one-typo-apart-is-a-copy",
        [hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "bhxh_code": "0112345679"}},
        "bhxh",
    ),
    # Since 08/2025 the ID stands for the BHXH code: the ID in the code column beside the
    # old code is one book, and the rows are a plain copy.
    case(
        "record.duplicate-fires-id-in-the-bhxh-column-is-one-book",
        [hit(4, "record.duplicate", "", related=1)],
        {4: {"_from": 1, "bhxh_code": ID1}},
        "bhxh",
    ),
    case(
        "record.duplicate-quiet-two-bhxh-books-without-id",
        [hit(4, "id.missing")],
        {4: {"_from": 1, "id_number": "", "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "record.duplicate-quiet-two-bhxh-books-other-id",
        [],
        {4: {"_from": 1, "id_number": "001085999999", "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "record.duplicate-quiet-two-bhxh-books-id-one-typo-apart",
        [],
        {4: {"_from": 1, "id_number": "001085012346", "bhxh_code": BOOK2}},
        "bhxh",
    ),
    case(
        "record.duplicate-quiet-namesake-other-day",
        [],
        {4: {"_from": 1, "dob": "13/05/1985", "id_number": "001085999999"}},
    ),
    case(
        "record.duplicate-quiet-namesake-other-id",
        [],
        {4: {"_from": 1, "id_number": "001085999999"}},
    ),
    case(
        "record.duplicate-quiet-other-event", [], {4: {"_from": 2, "event": "Khai sinh"}}, "hotich"
    ),
]


@pytest.mark.parametrize(("kind", "edits", "expected"), RULE_CASES)
def test_rule_case(
    tmp_path: Path, kind: str, edits: dict[int, dict[str, str]], expected: list[list[Any]]
):
    path = write_extract(tmp_path, kind, edits)
    out = tmp_path / "out"
    result = validate(path, "--out", out, "--source", kind, "--fail-on", "never")
    assert result.exit_code == 0, result.stderr
    assert compact(read_findings(out)) == expected


def test_rule_cases_cover_every_code():
    codes = {p.id.split("-")[0] for p in RULE_CASES}
    fires = {p.id.split("-")[0] for p in RULE_CASES if "-fires" in p.id}
    quiet = {p.id.split("-")[0] for p in RULE_CASES if "-quiet" in p.id}
    # A month-first date column shows only in a column of many dates: its cases are in
    # test_spreadsheet_damage.py.
    assert codes == fires == quiet == set(REGISTRY) - {"dob.day_month_swapped"}


@pytest.mark.parametrize("kind", ["dancu", "bhxh", "hotich", "generic"])
def test_base_extract_is_clean_and_detected(tmp_path: Path, kind: str):
    path = write_extract(tmp_path, kind)
    result = validate(path, "--out", tmp_path / "out", "--fail-on", "warning")
    assert result.exit_code == 0, result.stderr
    assert compact(read_findings(tmp_path / "out")) == []
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [(i["kind"], i["rows"]) for i in summary["inputs"]] == [(kind, 3)]


def test_field_missing_message_names_the_field(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", {2: {"dob": ""}})
    validate(path, "--out", tmp_path / "out", "--lang", "en")
    findings = read_findings(tmp_path / "out")
    assert findings[["field", "message"]].values.tolist() == [
        ["dob", f"{REGISTRY['field.missing'].en}: dob"]
    ]


def test_source_option_overrides_the_detected_kind(tmp_path: Path):
    path = write_extract(tmp_path, "generic", {2: {"id_number": ""}})
    validate(path, "--out", tmp_path / "generic")
    validate(path, "--out", tmp_path / "dancu", "--source", "dancu")
    assert compact(read_findings(tmp_path / "generic")) == []
    assert compact(read_findings(tmp_path / "dancu")) == [hit(2, "id.missing")]


def test_map_option_maps_an_unknown_header(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", {2: {"full_name": "Trần Thị #Bình"}})
    text = path.read_text(encoding="utf-8").replace("Họ và tên", "Tên đầy đủ")
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = validate(path, "--out", out, "--source", "dancu", "--map", "Tên đầy đủ=full_name")
    assert result.exit_code == 1, result.stderr
    assert compact(read_findings(out)) == [hit(2, "name.invalid")]


def test_findings_show_the_value_as_read(tmp_path: Path):
    path = write_extract(
        tmp_path, "dancu", {1: {"id_number": "1085012345"}, 2: {"full_name": "Trần  Thị Bình"}}
    )
    validate(path, "--out", tmp_path / "out")
    findings = read_findings(tmp_path / "out")
    assert findings[["row", "rule", "value"]].values.tolist() == [
        ["1", "id.format", "1085012345"],
        ["2", "name.format", "Trần  Thị Bình"],
    ]


# --- the shipped samples -----------------------------------------------------------------


def sample_files() -> list[Path]:
    files = sorted(SAMPLES.glob("*.csv"))
    assert [f.name for f in files] == ["bhxh.csv", "btxh.csv", "dancu.csv", "hotich.csv"]
    return files


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples") / "out"
    result = validate(*sample_files(), "--out", out, "--format", "csv")
    assert result.exit_code == 1, result.stderr
    return out


def keys(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    return [tuple(r) for r in frame[TRUTH_KEY].values.tolist()]


def test_samples_findings_equal_the_truth(sample_out: Path):
    truth = pd.read_csv(
        SAMPLES / "truth" / "findings.csv",
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    expected = keys(truth[truth["command"] == "validate"])
    found = keys(read_findings(sample_out))
    assert len(found) == len(set(found)), "a finding is reported twice"
    right = set(found) & set(expected)
    precision = len(right) / len(found) if found else 1.0
    recall = len(right) / len(expected)
    missed = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert (precision, recall) == (1.0, 1.0), (
        f"precision {precision:.3f}, recall {recall:.3f}\n"
        f"missed ({len(missed)}): {missed[:20]}\nextra ({len(extra)}): {extra[:20]}"
    )


def test_samples_summary_counts_match_findings(sample_out: Path):
    summary = json.loads((sample_out / "summary.json").read_text(encoding="utf-8"))
    findings = read_findings(sample_out)
    assert summary["counts"]["by_rule"] == findings["rule"].value_counts().to_dict()
    rows = {"dancu.csv": 1990, "bhxh.csv": 630, "hotich.csv": 150, "btxh.csv": 68}
    assert {i["source"]: i["rows"] for i in summary["inputs"]} == rows
    assert {i["source"]: i["kind"] for i in summary["inputs"]} == {
        "dancu.csv": "dancu",
        "bhxh.csv": "bhxh",
        "hotich.csv": "hotich",
        "btxh.csv": "btxh",
    }


def test_chunked_run_gives_the_same_findings(sample_out: Path, tmp_path: Path):
    out = tmp_path / "chunked"
    result = validate(*sample_files(), "--out", out, "--format", "csv", "--chunk-rows", "23")
    assert result.exit_code == 1, result.stderr
    one, chunked = read_findings(sample_out), read_findings(out)
    # Duplicates whose rows sit in different chunks are among them.
    dup = one[one["rule"].str.endswith(".duplicate")]
    apart = dup[(dup["row"].astype(int) - 1) // 23 != (dup["related_row"].astype(int) - 1) // 23]
    assert len(apart) > 10
    pd.testing.assert_frame_equal(chunked, one)


def test_chunked_run_finds_duplicates_across_chunk_boundaries(tmp_path: Path):
    # Rows 1 and 3 share an ID, rows 2 and 4 are one person: chunks of 1 row each.
    path = write_extract(tmp_path, "dancu", {3: {"id_number": ID1}, 4: {"_from": 2}})
    for chunk in ("1", "2", "1000"):
        out = tmp_path / f"out{chunk}"
        validate(path, "--out", out, "--chunk-rows", chunk)
        assert compact(read_findings(out)) == [
            hit(1, "id.duplicate", related=3),
            hit(3, "id.duplicate", related=1),
            hit(4, "record.duplicate", "", related=2),
        ], chunk


def test_two_bhxh_books_across_chunk_boundaries(tmp_path: Path):
    # Rows 1 and 4 are one person with two books; row 5 is a copy of row 4, row 6 a
    # third book: chunks of 1 and 2 rows give what one chunk gives.
    path = write_extract(
        tmp_path,
        "bhxh",
        {
            4: {"_from": 1, "bhxh_code": BOOK2},
            5: {"_from": 1, "bhxh_code": BOOK2},
            6: {"_from": 1, "bhxh_code": "0100000001"},
        },
    )
    for chunk in ("1", "2", "1000"):
        out = tmp_path / f"out{chunk}"
        validate(path, "--out", out, "--chunk-rows", chunk)
        assert compact(read_findings(out)) == [
            hit(4, "record.duplicate", "bhxh_code", related=1),
            hit(5, "record.duplicate", "bhxh_code", related=1),
            hit(6, "record.duplicate", "bhxh_code", related=1),
        ], chunk


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("vi", "cùng một người có hai sổ BHXH (mã khác nhau): cần gộp sổ"),
        ("en", "one person with two BHXH books (different codes): the books are to be merged"),
    ],
)
def test_two_bhxh_books_say_the_books_are_to_be_merged(tmp_path: Path, lang: str, text: str):
    path = write_extract(tmp_path, "bhxh", {4: {"_from": 2}, 5: {"_from": 1, "bhxh_code": BOOK2}})
    validate(path, "--out", tmp_path / "out", "--lang", lang)
    findings = read_findings(tmp_path / "out")
    assert findings[["row", "field", "value", "message", "related_row"]].values.tolist() == [
        ["4", "", "", REGISTRY["record.duplicate"].message(lang), "2"],
        ["5", "bhxh_code", BOOK2, text, "1"],
    ]
    assert REGISTRY["record.duplicate"].message(lang, "bhxh_code") == text
    validate(path, "--out", tmp_path / "masked", "--mask")
    assert read_findings(tmp_path / "masked")["value"].tolist() == ["", "018****321"]


# --- exit codes --------------------------------------------------------------------------

ERRORS = {2: {"dob": "31/02/1990"}}
WARNINGS = {1: {"dob": "1985"}}


@pytest.mark.parametrize(
    ("edits", "fail_on", "code"),
    [
        pytest.param(ERRORS, [], 1, id="errors-default-fail-on-error"),
        pytest.param(ERRORS, ["--fail-on", "error"], 1, id="errors-fail-on-error"),
        pytest.param(WARNINGS, ["--fail-on", "error"], 0, id="warnings-fail-on-error"),
        pytest.param(WARNINGS, ["--fail-on", "warning"], 1, id="warnings-fail-on-warning"),
        pytest.param(ERRORS, ["--fail-on", "warning"], 1, id="errors-fail-on-warning"),
        pytest.param(ERRORS, ["--fail-on", "never"], 0, id="errors-fail-on-never"),
        pytest.param(WARNINGS, ["--fail-on", "never"], 0, id="warnings-fail-on-never"),
        pytest.param({}, [], 0, id="clean"),
        pytest.param({}, ["--fail-on", "warning"], 0, id="clean-fail-on-warning"),
    ],
)
def test_exit_code(tmp_path: Path, edits: dict[int, dict[str, str]], fail_on: list[str], code: int):
    path = write_extract(tmp_path, "dancu", edits)
    result = validate(path, "--out", tmp_path / "out", *fail_on)
    assert result.exit_code == code
    assert only_summary_line(result.stderr), result.stderr


def assert_one_error_line(result: Any) -> str:
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cleanse: error: ")
    assert result.stdout == ""
    return lines[0]


@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["--format", "pdf"], id="format"),
        pytest.param(["--fail-on", "sometimes"], id="fail-on"),
        pytest.param(["--lang", "fr"], id="lang"),
        pytest.param(["--source", "census"], id="source"),
        pytest.param(["--chunk-rows", "0"], id="chunk-rows"),
    ],
)
def test_bad_option_exits_2_without_output(tmp_path: Path, options: list[str]):
    path = write_extract(tmp_path, "dancu")
    assert_one_error_line(validate(path, "--out", tmp_path / "out", *options))
    assert not (tmp_path / "out").exists()


def test_bad_today_exits_2(tmp_path: Path):
    path = write_extract(tmp_path, "dancu")
    result = CliRunner().invoke(
        cli, ["validate", str(path), "--out", str(tmp_path / "out"), "--today", "21/11/2026"]
    )
    assert_one_error_line(result)
    assert not (tmp_path / "out").exists()


def test_two_inputs_of_one_name_exit_2(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = [write_extract(tmp_path / "a", "dancu"), write_extract(tmp_path / "b", "dancu")]
    result = validate(*files, "--out", tmp_path / "out")
    assert "dancu.csv" in assert_one_error_line(result)
    assert not (tmp_path / "out").exists()


def test_missing_input_exits_2_and_creates_no_output(tmp_path: Path):
    out = tmp_path / "out"
    result = validate(tmp_path / "nowhere.csv", "--out", out)
    line = assert_one_error_line(result)
    assert "nowhere.csv" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_missing_input_leaves_earlier_results_untouched(tmp_path: Path):
    good = write_extract(tmp_path, "dancu", ERRORS)
    out = tmp_path / "out"
    assert validate(good, "--out", out, "--format", "parquet,csv,xlsx").exit_code == 1
    before = snapshot(out)
    modes = {p.name: p.stat().st_mode for p in out.iterdir()}
    result = validate(good, tmp_path / "nowhere.csv", "--out", out)
    assert "nowhere.csv" in assert_one_error_line(result)
    assert snapshot(out) == before
    assert {p.name: p.stat().st_mode for p in out.iterdir()} == modes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dancu.csv", "out"]


def test_unreadable_input_exits_2_without_output(tmp_path: Path):
    path = tmp_path / "dancu.csv"
    path.write_text(
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Dân tộc\n"
        "001085012345,Nguyễn Văn An,12/05/1985,Nam,Kinh\n"
        "079190012346,Trần Thị Bình,01/02/1990,Nữ,Kinh,Việt Nam\n",
        encoding="utf-8",
    )
    result = validate(path, "--out", tmp_path / "out")
    assert "dancu.csv" in assert_one_error_line(result)
    assert not (tmp_path / "out").exists()


# --- output files ------------------------------------------------------------------------

OUTPUT_EDITS = {
    1: {"id_number": "1085012345", "full_name": "Nguyễn Văn An2"},  # leading zeros + name
    2: {"bhxh_code": "799876543", "dob": "1990"},  # bhxh.format + dob.partial (warning)
    # a namesake of row 3 with row 3's ID and row 1's BHXH code
    4: {"_from": 3, "bhxh_code": BASE[0]["bhxh_code"], "dob": "24/09/1985"},
}


def xlsx_sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, rows padded to the widest (trailing empty cells)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    finally:
        wb.close()
    for rows in sheets.values():
        width = max((len(r) for r in rows), default=0)
        for r in rows:
            r.extend([None] * (width - len(r)))
    return sheets


def as_text(frame: pd.DataFrame) -> list[list[str]]:
    """Every cell as the text CSV shows ("" for empty)."""
    return frame.astype("string").fillna("").values.tolist()


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet table with its nullable integers kept as integers."""
    return pd.read_parquet(path, dtype_backend="numpy_nullable")


def _head_rest(rows: list[list[Any]]) -> tuple[list[Any], list[list[Any]]]:
    return rows[0], rows[1:]


def cells_text(rows: list[list[Any]]) -> list[list[str]]:
    """Spreadsheet cells as the text CSV shows ("" for empty)."""
    return [["" if v is None else str(v) for v in row] for row in rows]


@pytest.fixture
def full_run(tmp_path: Path) -> tuple[Path, Any]:
    path = write_extract(tmp_path, "bhxh", OUTPUT_EDITS)
    out = tmp_path / "out"
    result = validate(path, "--out", out, "--format", "parquet,csv,xlsx")
    return out, result


def test_output_files_are_written_in_every_format(full_run: tuple[Path, Any]):
    out, result = full_run
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "findings.csv",
        "findings.parquet",
        "report.xlsx",
        "summary.json",
    ]
    assert (out / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    csv_rows = read_findings(out)
    parquet = read_parquet(out / "findings.parquet")
    sheets = xlsx_sheets(out / "report.xlsx")
    assert list(sheets) == ["summary", "findings"]
    # The report shows the same findings, in words (report_as_table turns them back).
    header, xlsx_rows = report_as_table(sheets["findings"][0], sheets["findings"][1:])
    assert list(csv_rows.columns) == list(parquet.columns) == header == FINDING_COLUMNS
    assert as_text(parquet) == cells_text(xlsx_rows) == csv_rows.values.tolist()
    assert compact(csv_rows) == [
        hit(1, "id.format"),
        hit(1, "bhxh.duplicate", related=4),
        hit(1, "name.invalid"),
        hit(2, "bhxh.format"),
        hit(2, "dob.partial"),
        hit(3, "id.duplicate", related=4),
        hit(4, "id.duplicate", related=3),
        hit(4, "bhxh.duplicate", related=1),
    ]


def test_findings_columns_severity_and_related_source(full_run: tuple[Path, Any]):
    out, _ = full_run
    findings = read_findings(out)
    assert set(findings["source"]) == {"bhxh.csv"}
    assert findings["severity"].tolist() == [REGISTRY[r].severity for r in findings["rule"]]
    related = findings["related_row"] != ""
    assert findings["related_source"].tolist() == ["bhxh.csv" if r else "" for r in related]


def test_inputs_are_never_modified(tmp_path: Path):
    path = write_extract(tmp_path, "bhxh", OUTPUT_EDITS)
    before = path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns
    validate(path, "--out", tmp_path / "out", "--format", "parquet,csv,xlsx", "--mask")
    assert (path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns) == before


def test_csv_and_xlsx_neutralise_formulas_parquet_keeps_the_value(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", {2: {"full_name": "=HYPERLINK(1) Bình"}})
    out = tmp_path / "out"
    validate(path, "--out", out, "--format", "parquet,csv,xlsx")
    header, rows = report_as_table(*_head_rest(xlsx_sheets(out / "report.xlsx")["findings"]))
    values = [
        read_findings(out)["value"].tolist(),
        read_parquet(out / "findings.parquet")["value"].tolist(),
        [r[header.index("value")] for r in rows],
    ]
    assert values == [["'=HYPERLINK(1) Bình"], ["=HYPERLINK(1) Bình"], ["'=HYPERLINK(1) Bình"]]


def test_xlsx_keeps_ids_as_text(full_run: tuple[Path, Any]):
    out, _ = full_run
    header, rows = report_as_table(*_head_rest(xlsx_sheets(out / "report.xlsx")["findings"]))
    at = {name: i for i, name in enumerate(header)}
    first = rows[0]
    assert first[at["value"]] == "1085012345"
    assert isinstance(first[at["row"]], int)
    # An ID with its leading zero stays text, zero and all.
    duplicate = next(r for r in rows if r[at["rule"]] == "id.duplicate")
    assert duplicate[at["value"]] == BASE[2]["id_number"]


def test_summary_json_counts_match_the_findings(full_run: tuple[Path, Any]):
    out, _ = full_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    findings = read_findings(out)
    counts = summary["counts"]
    assert counts["by_rule"] == findings["rule"].value_counts().to_dict()
    assert (
        counts["by_severity"]
        == findings["severity"].value_counts().reindex(["error", "warning"], fill_value=0).to_dict()
    )
    assert counts["findings"] == len(findings)
    errors = findings[findings["severity"] == "error"]
    assert counts["rows_with_errors"] == errors[["source", "row"]].drop_duplicates().shape[0]
    assert [(i["source"], i["rows"], i["kind"]) for i in summary["inputs"]] == [
        ("bhxh.csv", 4, "bhxh")
    ]
    assert summary["version"] and summary["started_at"]
    assert summary["duration_seconds"] >= 0


def test_summary_json_lists_every_input(tmp_path: Path):
    files = [write_extract(tmp_path, "dancu", ERRORS), write_extract(tmp_path, "hotich")]
    out = tmp_path / "out"
    validate(*files, "--out", out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [(i["source"], i["rows"], i["kind"], i["findings"]) for i in summary["inputs"]] == [
        ("dancu.csv", 3, "dancu", 1),
        ("hotich.csv", 3, "hotich", 0),
    ]


def test_default_formats_are_parquet_csv_and_the_report(tmp_path: Path):
    path = write_extract(tmp_path, "dancu")
    validate(path, "--out", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "findings.csv",
        "findings.parquet",
        "report.xlsx",
        "summary.json",
    ]


def test_output_files_are_private(full_run: tuple[Path, Any]):
    out, _ = full_run
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in out.iterdir()}
    assert set(modes.values()) == {"0o600"}, modes


def test_lang_en_gives_english_messages(full_run: tuple[Path, Any], tmp_path: Path):
    out_vi, _ = full_run
    path = tmp_path / "bhxh.csv"
    validate(path, "--out", tmp_path / "en", "--lang", "en")
    for folder, lang in ((out_vi, "vi"), (tmp_path / "en", "en")):
        findings = read_findings(folder)
        assert len(findings) == 8, lang
        expected = [REGISTRY[r].message(lang) for r in findings["rule"]]
        assert findings["message"].tolist() == expected, lang


# --- --mask ------------------------------------------------------------------------------


def test_mask_masks_ids_and_bhxh_codes_in_every_format(tmp_path: Path):
    path = write_extract(tmp_path, "bhxh", OUTPUT_EDITS)
    out = tmp_path / "out"
    result = validate(path, "--out", out, "--format", "parquet,csv,xlsx", "--mask")
    assert result.exit_code == 1
    header, xlsx_rows = report_as_table(*_head_rest(xlsx_sheets(out / "report.xlsx")["findings"]))
    tables = {
        "csv": read_findings(out).values.tolist(),
        "parquet": as_text(read_parquet(out / "findings.parquet")),
        "xlsx": cells_text(xlsx_rows),
    }
    at = {name: i for i, name in enumerate(FINDING_COLUMNS)}
    for fmt, rows in tables.items():
        shown = [(r[at["rule"]], r[at["value"]], r[at["suggestion"]]) for r in rows]
        assert shown == [
            ("id.format", "108****345", ""),
            ("bhxh.duplicate", "011****678", ""),
            ("name.invalid", "Nguyễn Văn An2", ""),
            ("bhxh.format", "799***543", ""),
            ("dob.partial", "1990", ""),
            ("id.duplicate", "031******321", ""),
            ("id.duplicate", "031******321", ""),
            ("bhxh.duplicate", "011****678", ""),
        ], fmt
    every_id = INPUT_IDS | {"1085012345", "799876543"}
    for p in out.iterdir():
        cells = (
            json.dumps(xlsx_sheets(p), ensure_ascii=False, default=str)
            if p.suffix == ".xlsx"
            else read_parquet(p).to_csv()
            if p.suffix == ".parquet"
            else p.read_text(encoding="utf-8-sig")
        )
        assert [i for i in every_id if i in cells] == [], p.name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["masked"] is True


# --- the screen --------------------------------------------------------------------------


@pytest.mark.parametrize("quiet", [[], ["--quiet"]], ids=["plain", "quiet"])
@pytest.mark.parametrize("edits", [{}, ERRORS], ids=["clean", "findings"])
def test_one_plain_line_without_a_terminal(
    tmp_path: Path, quiet: list[str], edits: dict[int, dict[str, str]]
):
    """SPEC §2: without a terminal (cron, a pipe), one plain summary line on stderr, and
    nothing with --quiet; never a table, never a value of a record."""
    path = write_extract(tmp_path, "dancu", edits)
    out = tmp_path / "out"
    result = validate(path, "--out", out, *quiet)
    assert result.exit_code in (0, 1)
    assert result.stdout == ""
    if quiet:
        assert result.stderr == ""
        return
    assert only_summary_line(result.stderr), result.stderr
    errors = json.loads((out / "summary.json").read_text(encoding="utf-8"))["counts"]
    line = result.stderr.strip()
    assert f"lỗi {errors['by_severity']['error']:,}" in line
    assert str(out / "report.xlsx") in line and "1 tệp" in line


def test_quiet_prints_nothing_even_on_a_terminal(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", ERRORS)
    result = validate(path, "--out", tmp_path / "out", "--quiet", env={"TTY_COMPATIBLE": "1"})
    assert result.exit_code == 1
    assert (result.stderr, result.stdout) == ("", "")


def personal_data_in(text: str) -> list[str]:
    """IDs, BHXH codes and names of the input rows found in ``text``, and long numbers."""
    found = [v for v in INPUT_IDS | INPUT_NAMES if v in text]
    found += [n for n in ("Nguyễn", "Trần", "Cường") if n in text]
    return found + re.findall(r"\d{9,}", text)


def test_terminal_summary_shows_no_personal_data(tmp_path: Path):
    edits = {1: {"full_name": "Nguyễn Văn An2"}, 3: {"id_number": ID1}, 4: {"_from": 2}}
    path = write_extract(tmp_path, "dancu", edits)
    result = validate(
        path, "--out", tmp_path / "out", env={"TTY_COMPATIBLE": "1", "COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "id.duplicate" in result.stderr  # the summary was shown
    assert personal_data_in(result.stderr + result.stdout) == []


BAD_INPUTS = {
    "ragged-row": "079190012346,Trần Thị Bình,01/02/1990,Nữ,Kinh,Nguyễn Văn An 001085012345\n",
    "unclosed-quote": '079190012346,"Trần Thị Bình,01/02/1990,Nữ,Kinh\n',
}


@pytest.mark.parametrize("bad", list(BAD_INPUTS))
def test_bad_input_error_shows_no_personal_data(tmp_path: Path, bad: str):
    path = tmp_path / "dancu.csv"
    path.write_text(
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Dân tộc\n"
        "031085654321,Lê Văn Cường,23/09/1985,Nam,Tày\n"
        + BAD_INPUTS[bad]
        + "001085012345,Nguyễn Văn An,12/05/1985,Nam,Kinh\n",
        encoding="utf-8",
    )
    result = validate(path, "--out", tmp_path / "out")
    assert_one_error_line(result)
    assert personal_data_in(result.stderr) == []
    assert not (tmp_path / "out").exists()


# --- rules, README and SPEC agree ----------------------------------------------------------


def test_rules_command_lists_every_rule():
    from cleanse import inspect as inspect_module

    # Wide enough that no message wraps; the console is cached, so make a fresh one.
    inspect_module.console.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["rules"], env={"COLUMNS": "400"})
    finally:
        inspect_module.console.cache_clear()
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    for code, rule in REGISTRY.items():
        [line] = [ln for ln in lines if re.search(rf"\b{re.escape(code)}\b", ln)]
        cells = [c.strip() for c in re.split(r"[│┃|]", line) if c.strip()]
        assert cells == [code, rule.severity, rule.vi, rule.en]


RECONCILE_FAMILIES = ("link.", "person.", "vital.")  # SPEC §4: not validate rules
RULE_ROW = re.compile(r"^\|\s*`([a-z]+\.[a-z_]+)`\s*\|\s*([^|]*?)\s*\|")


def rule_table(text: str) -> dict[str, str]:
    """``{code: severity}`` from the markdown table(s) listing ``id.missing`` in backticks."""
    tables: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.startswith("|"):
            tables[-1].append(line)
        elif tables[-1]:
            tables.append([])
    found: dict[str, str] = {}
    for table in tables:
        rows = {m[1]: m[2] for m in map(RULE_ROW.match, table) if m}
        if "id.missing" in rows:
            found.update(rows)
    return found


def test_registry_matches_spec_section_3():
    if not SPEC.exists():
        pytest.skip(f"{SPEC} is not here")
    text = SPEC.read_text(encoding="utf-8")
    section = text.split("\n## 3.", 1)[1].split("\n## 4.", 1)[0]
    spec = rule_table(section)
    assert set(spec) == set(REGISTRY)
    assert dict(spec.items()) == {code: rule.severity for code, rule in REGISTRY.items()}


def test_registry_matches_the_readme_rule_table():
    readme = rule_table((PROJECT / "README.md").read_text(encoding="utf-8"))
    assert readme, (
        "README.md has no rule table yet: add a markdown table whose first column is each "
        "rule code in backticks (`id.missing`, …) and whose second is its severity"
    )
    codes = {c for c in readme if not c.startswith(RECONCILE_FAMILIES)}
    assert codes == set(REGISTRY), (
        f"missing from README: {sorted(set(REGISTRY) - codes)}; "
        f"not rules: {sorted(codes - set(REGISTRY))}"
    )
    assert {c: readme[c] for c in codes} == {c: r.severity for c, r in REGISTRY.items()}


def test_id_that_lost_its_zeros_is_the_same_number(tmp_path: Path) -> None:
    """In a column a spreadsheet damaged, 1085012345 is 001085012345 with the zeros
    dropped: held by another person, it is an id.duplicate of the row whose ID kept them
    (here: lost them too)."""
    other = {"_from": 3, "id_number": "1085012345"}  # Lê Văn Cường with Nguyễn Văn An's ID
    edits = {1: {"id_number": "1085012345"}, 2: {"id_number": "79190012346"}, 3: other}
    path = write_extract(tmp_path, "dancu", edits)
    out = tmp_path / "out"
    validate(path, "--out", out)
    assert compact(read_findings(out)) == [
        hit(0, "id.leading_zeros"),
        hit(1, "id.duplicate", related=3),
        hit(3, "id.duplicate", related=1),
    ]
