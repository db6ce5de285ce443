"""Death rules (``death.*``): a death date before the birth date (hộ tịch)."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import case, hit, person_rules_fired

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
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
    ("death before birth", {"death_date": "01/01/1980"}, ["death.before_birth"]),
    ("death after birth", {"death_date": "01/01/2020"}, []),
    (
        "death in the birth year, year-only birth",
        {"dob": "1985", "death_date": "01/01/1985"},
        ["dob.partial"],
    ),
    (
        "death before an invalid birth: skipped",
        {"dob": "31/02/1985", "death_date": "01/01/1980"},
        ["dob.invalid"],
    ),
]


@pytest.mark.parametrize(
    ("values", "expected"), [c[1:] for c in PERSON_CASES], ids=[c[0] for c in PERSON_CASES]
)
def test_death_rules(values: dict[str, str], expected: list[str]) -> None:
    assert person_rules_fired(**values) == expected
