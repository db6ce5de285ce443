"""Completeness rules: id.missing and field.missing per source kind."""

from __future__ import annotations

import pandas as pd
import pytest

from cleanse.fields import REQUIRED
from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

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
    ctx = Context.for_date(pd.Timestamp("2026-11-21"), REQUIRED[kind])
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
