"""Gender rules (``gender.*``): a value outside SPEC §1, with the SPEC value suggested for
a word whose meaning is plain."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from helpers import TODAY, case, hit, person_rules_fired

from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

CTX = Context.for_date(pd.Timestamp(TODAY))

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
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
    ("gender Khác", {"gender": "Khác"}, ["gender.invalid"]),
    ("gender 3 under the default table", {"gender": "3"}, ["gender.invalid"]),
    ("gender NỮ", {"gender": "NỮ"}, []),
    ("gender Trai: a word outside SPEC §1", {"gender": "Trai"}, ["gender.invalid"]),
    ("gender Nữ giới: a word outside SPEC §1", {"gender": "Nữ giới"}, ["gender.invalid"]),
    ("gender male", {"gender": "male"}, []),
    ("gender empty is field.missing's business", {"gender": ""}, []),
]


@pytest.mark.parametrize(
    ("values", "expected"), [c[1:] for c in PERSON_CASES], ids=[c[0] for c in PERSON_CASES]
)
def test_gender_rules(values: dict[str, str], expected: list[str]) -> None:
    assert person_rules_fired(**values) == expected


@pytest.mark.parametrize(
    ("gender", "suggestion"),
    [
        ("Trai", "Nam"),
        ("Con gái", "Nữ"),
        ("Đàn ông", "Nam"),
        ("Phụ nữ", "Nữ"),
        ("gai", "Nữ"),
        ("Khác", None),
        ("x", None),
        ("?", None),
    ],
)
def test_gender_invalid_suggests_the_plain_meaning(gender: str, suggestion: str | None) -> None:
    frame = pd.DataFrame({"gender": [gender]}, dtype=pd.StringDtype("pyarrow"))
    chunk = prepare(frame)
    rule = REGISTRY["gender.invalid"]
    assert rule.check is not None and rule.suggest is not None
    assert bool(rule.check(chunk, CTX).iloc[0]) is True
    got = rule.suggest(chunk, CTX).iloc[0]
    assert (None if pd.isna(got) else got) == suggestion
