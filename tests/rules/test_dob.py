"""Birth-date rules (``dob.*``): a date that does not exist, one out of range against
``--today`` (in the future, over 120 years ago), and a year or month only. The month-first
column (dob.day_month_swapped) shows only in a column of many dates: its cases are in
test_spreadsheet_damage.py."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import case, hit, person_rules_fired

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
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
]


@pytest.mark.parametrize(("kind", "edits", "expected"), RULE_CASES)
def test_rule_case(
    rule_findings: Any, kind: str, edits: dict[int, dict[str, str]], expected: list[list[Any]]
):
    assert rule_findings(kind, edits) == expected


# --- the row rules on one record -----------------------------------------------------------
# Each case lists every rule of helpers.PERSON_RULES (birth date, death, gender, name) that
# fires on one record (empty: none); test_registry.py checks that each fires somewhere.

PERSON_CASES = [
    ("clean record", {}, []),
    ("dob 31/02 does not exist", {"dob": "31/02/1990"}, ["dob.invalid"]),
    ("dob month 13", {"dob": "15/13/1985"}, ["dob.invalid"]),
    ("dob is words", {"dob": "không rõ"}, ["dob.invalid"]),
    ("dob 29/02 of a leap year", {"dob": "29/02/2000"}, []),
    ("born in the future", {"dob": "01/01/2030"}, ["dob.out_of_range"]),
    ("born tomorrow", {"dob": "22/11/2026"}, ["dob.out_of_range"]),
    ("born today", {"dob": "21/11/2026"}, []),
    ("born 121 years ago", {"dob": "20/11/1906"}, ["dob.out_of_range"]),
    ("born 120 years ago to the day", {"dob": "21/11/1906"}, []),
    ("year only, in range", {"dob": "1945"}, ["dob.partial"]),
    ("month and year", {"dob": "03/1945"}, ["dob.partial"]),
    ("year only, but 1880: out of range alone", {"dob": "1880"}, ["dob.out_of_range"]),
    ("01/01 placeholder is a full date", {"dob": "01/01/1945"}, []),
]


@pytest.mark.parametrize(
    ("values", "expected"), [c[1:] for c in PERSON_CASES], ids=[c[0] for c in PERSON_CASES]
)
def test_dob_rules(values: dict[str, str], expected: list[str]) -> None:
    assert person_rules_fired(**values) == expected
