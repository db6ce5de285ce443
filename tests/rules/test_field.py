"""Completeness rules (``field.missing``, with ``id.missing``): the fields each source kind
requires, empty or blank. The per-kind cases on one record check id.missing beside
field.missing, as both read the same required fields; id.missing's CLI cases are in
test_id.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import TODAY, case, hit, read_findings, validate, write_extract

from cleanse.fields import REQUIRED
from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
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
]


@pytest.mark.parametrize(("kind", "edits", "expected"), RULE_CASES)
def test_rule_case(
    rule_findings: Any, kind: str, edits: dict[int, dict[str, str]], expected: list[list[Any]]
):
    assert rule_findings(kind, edits) == expected


def test_field_missing_message_names_the_field(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", {2: {"dob": ""}})
    validate(path, "--out", tmp_path / "out", "--lang", "en")
    findings = read_findings(tmp_path / "out")
    assert findings[["field", "message"]].values.tolist() == [
        ["dob", f"{REGISTRY['field.missing'].en}: dob"]
    ]


# --- id.missing and field.missing on one record, per source kind ------------------------

FULL = {
    "event": "Khai sinh",
    "bhxh_code": "0123456789",
    "id_number": "001085012345",
    "full_name": "Nguyễn Văn An",
    "dob": "12/05/1985",
    "gender": "Nam",
    "benefit_type": "Người khuyết tật nặng",
    "benefit_status": "Đang hưởng",
    "death_date": "",
}


def _missing(kind: str, **values: str) -> tuple[bool, list[str]]:
    record = dict(FULL, **values)
    frame = pd.DataFrame({k: [v] for k, v in record.items()}, dtype=pd.StringDtype("pyarrow"))
    ctx = Context.for_date(pd.Timestamp(TODAY), REQUIRED[kind])
    chunk = prepare(frame)
    id_missing = bool(REGISTRY["id.missing"].check(chunk, ctx).iloc[0])
    fields = REGISTRY["field.missing"].check(chunk, ctx).iloc[0]
    return id_missing, [f for f, bad in fields.items() if bad]


CASES = [
    ("complete bhxh record", "bhxh", {}, (False, [])),
    ("empty ID in bhxh", "bhxh", {"id_number": ""}, (True, [])),
    ("ID of spaces in btxh", "btxh", {"id_number": "   "}, (True, [])),
    ("empty BHXH code", "bhxh", {"bhxh_code": ""}, (False, ["bhxh_code"])),
    ("empty name and dob", "dancu", {"full_name": "", "dob": ""}, (False, ["full_name", "dob"])),
    ("empty benefit status", "btxh", {"benefit_status": ""}, (False, ["benefit_status"])),
    ("generic lists need no ID", "generic", {"id_number": ""}, (False, [])),
    ("generic needs a name", "generic", {"full_name": ""}, (False, ["full_name"])),
    ("death event without death date", "hotich", {"event": "Khai tử"}, (False, ["death_date"])),
    (
        "death event with death date",
        "hotich",
        {"event": "KHAI TU", "death_date": "01/01/2020"},
        (False, []),
    ),
    ("birth event needs no death date", "hotich", {"event": "Khai sinh"}, (False, [])),
    ("empty event", "hotich", {"event": ""}, (False, ["event"])),
]


@pytest.mark.parametrize(
    ("kind", "values", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_missing(kind: str, values: dict[str, str], expected: tuple[bool, list[str]]) -> None:
    assert _missing(kind, **values) == expected
