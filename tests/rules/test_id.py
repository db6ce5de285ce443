"""ID rules (``id.*``): the 12-digit personal ID's presence, format, structure (place
code, gender/century digit, birth year), the zeros a spreadsheet dropped, and one number
held by two people. id.missing's cases per source kind are in test_field.py, with
field.missing (both are completeness rules)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import (
    BOOK2,
    ID1,
    TODAY,
    case,
    compact,
    hit,
    read_findings,
    validate,
    write_extract,
)

from cleanse.damage import Diagnosis
from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

# --- through the CLI ------------------------------------------------------------------------

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
]


@pytest.mark.parametrize(("kind", "edits", "expected"), RULE_CASES)
def test_rule_case(
    rule_findings: Any, kind: str, edits: dict[int, dict[str, str]], expected: list[list[Any]]
):
    assert rule_findings(kind, edits) == expected


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


# --- the row rules on one record ---------------------------------------------------------

CTX = Context.for_date(pd.Timestamp(TODAY))
# Row rules on the ID's structure (id.missing: test_field.py; id.duplicate is a whole-file
# rule: RULE_CASES above).
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
