"""ID-structure rules: each case says which rules fire on one record (empty: none)."""

from __future__ import annotations

import pandas as pd
import pytest

from cleanse.damage import Diagnosis
from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

CTX = Context.for_date(pd.Timestamp("2026-11-21"))
# Row rules on the ID's structure (id.missing: test_rules_required; id.duplicate is a
# whole-file rule: test_validate).
ID_RULES = [
    c for c, r in REGISTRY.items() if c.startswith("id.") and r.scope == "row" and c != "id.missing"
]

# (description, id_number, dob, gender, rules expected to fire)
CASES = [
    ("clean 12-digit ID", "001085012345", "12/05/1985", "Nam", []),
    ("clean, typed with spaces", "001 085 012 345", "12/05/1985", "Nam", []),
    ("clean, typed with dots", "001.085.012.345", "12/05/1985", "Nam", []),
    ("clean woman born 2003", "079303012345", "01/02/2003", "Nữ", []),
    ("clean, year-only birth", "001045012345", "1945", "Nam", []),
    ("empty ID is id.missing's business", "", "12/05/1985", "Nam", []),
    # In a column no spreadsheet damaged, a short number is a format error: its zeros are
    # put back only in a damaged column (DAMAGED_CASES, and test_spreadsheet_damage).
    ("10 digits in an intact column", "1085012345", "12/05/1985", "Nam", ["id.format"]),
    ("11 digits in an intact column", "79185012345", "12/05/1985", "Nữ", ["id.format"]),
    (
        "11 digits, restored ID disagrees with gender",
        "79085012345",
        "12/05/1985",
        "Nữ",
        ["id.format"],
    ),
    ("11 digits, restored prefix 003 unassigned", "3085012345", "12/05/1985", "Nam", ["id.format"]),
    ("scientific notation", "1.23457E+11", "12/05/1985", "Nam", ["id.format"]),
    ("letter O for zero", "O01085012345", "12/05/1985", "Nam", ["id.format"]),
    ("13 digits", "0010850123456", "12/05/1985", "Nam", ["id.format"]),
    ("8 digits", "12345678", "12/05/1985", "Nam", ["id.format"]),
    ("9-digit CMND", "123456789", "12/05/1985", "Nam", ["id.legacy"]),
    ("unassigned place code 003", "003085012345", "12/05/1985", "Nam", ["id.place_code"]),
    ("unassigned place code 099", "099085012345", "12/05/1985", "Nam", ["id.place_code"]),
    ("prefix 286: possible country code", "286085012345", "12/05/1985", "Nam", ["id.foreign_code"]),
    ("odd digit for a man", "001185012345", "12/05/1985", "Nam", ["id.gender_century"]),
    ("2000s digit for a 1985 birth", "001285012345", "12/05/1985", "Nam", ["id.gender_century"]),
    ("century checked on a year-only birth", "001285012345", "1985", "Nam", ["id.gender_century"]),
    ("year digits 86 for 1985", "001086012345", "12/05/1985", "Nam", ["id.birth_year"]),
    ("invalid dob: year checks skipped", "001086012345", "31/02/1985", "Nam", []),
    ("dob out of range: year checks skipped", "001086012345", "12/05/1880", "Nam", []),
    ("missing gender: gender part skipped", "001185012345", "12/05/1985", "", []),
    ("unrecognised gender: gender part skipped", "001185012345", "12/05/1985", "X", []),
    # A word outside SPEC §1 is gender.invalid even when its meaning is plain (Trai =
    # Nam): no ID rule is decided on that guess, whether the ID agrees with it or not.
    ("guessed gender, odd digit: gender part skipped", "001185012345", "12/05/1985", "Trai", []),
    ("guessed gender, even digit", "001085012345", "12/05/1985", "Trai", []),
    (
        "guessed gender: the century part still runs",
        "001285012345",
        "12/05/1985",
        "Trai",
        ["id.gender_century"],
    ),
    ("missing dob: century and year skipped", "001285012345", "", "Nam", []),
]


# (description, id_number, dob, gender, rules expected) in a column that went through a
# spreadsheet: the zeros are put back, and the rules read the restored ID.
DAMAGED_CASES = [
    ("10 digits: zeros of 001 dropped", "1085012345", "12/05/1985", "Nam", []),
    ("11 digits: zero of 079 dropped", "79185012345", "12/05/1985", "Nữ", []),
    ("restored, gender disagrees", "79085012345", "12/05/1985", "Nữ", ["id.gender_century"]),
    ("restored, prefix 003 unassigned", "3085012345", "12/05/1985", "Nam", ["id.place_code"]),
    ("restored, year digits wrong", "1086012345", "12/05/1985", "Nam", ["id.birth_year"]),
    ("8 digits: a CMND's zero dropped", "12345678", "12/05/1985", "Nam", ["id.legacy"]),
    ("rounded by a spreadsheet: never restored", "86203300000", "12/05/1985", "Nam", ["id.format"]),
    ("scientific notation", "8.62033E+10", "12/05/1985", "Nam", ["id.format"]),
    ("12 digits untouched", "001085012345", "12/05/1985", "Nam", []),
]


def _fired(id_number: str, dob: str, gender: str, damaged: bool = False) -> list[str]:
    frame = pd.DataFrame(
        {"id_number": [id_number], "dob": [dob], "gender": [gender]},
        dtype=pd.StringDtype("pyarrow"),
    )
    damage = Diagnosis(restore=frozenset({"id_number"})) if damaged else None
    chunk = prepare(frame, damage=damage)
    return [code for code in ID_RULES if bool(REGISTRY[code].check(chunk, CTX).iloc[0])]


@pytest.mark.parametrize(
    ("id_number", "dob", "gender", "expected"),
    [c[1:] for c in DAMAGED_CASES],
    ids=[c[0] for c in DAMAGED_CASES],
)
def test_id_rules_in_a_damaged_column(
    id_number: str, dob: str, gender: str, expected: list[str]
) -> None:
    assert _fired(id_number, dob, gender, damaged=True) == expected


@pytest.mark.parametrize(
    ("id_number", "dob", "gender", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_id_rules(id_number: str, dob: str, gender: str, expected: list[str]) -> None:
    assert _fired(id_number, dob, gender) == expected


def test_every_id_rule_fires_and_stays_quiet() -> None:
    fired = {code for case in CASES for code in case[4]}
    assert fired == set(ID_RULES)
    assert any(not case[4] for case in CASES)


BHXH_CASES = [
    ("10-digit code", "0123456789", False),
    ("12-digit ID in the BHXH column (since 08/2025)", "001085012345", False),
    ("blank: field.missing's business", "", False),
    ("9 digits", "123456789", True),
    ("11 digits", "01234567890", True),
    ("old 15-character card code", "DN4010120878811", True),
    ("12 digits with an unassigned prefix", "003085012345", True),
]


@pytest.mark.parametrize(
    ("code", "expected"), [c[1:] for c in BHXH_CASES], ids=[c[0] for c in BHXH_CASES]
)
def test_bhxh_format(code: str, expected: bool) -> None:
    frame = pd.DataFrame({"bhxh_code": [code]}, dtype=pd.StringDtype("pyarrow"))
    assert bool(REGISTRY["bhxh.format"].check(prepare(frame), CTX).iloc[0]) is expected


def test_rules_do_not_change_their_input() -> None:
    frame = pd.DataFrame(
        {"id_number": ["1085012345", "O01"], "dob": ["12/05/1985", "x"], "gender": ["Nam", "?"]},
        dtype=pd.StringDtype("pyarrow"),
    )
    chunk = prepare(frame)
    before = chunk.copy()
    for code in ID_RULES:
        REGISTRY[code].check(chunk, CTX)
    pd.testing.assert_frame_equal(chunk, before)
