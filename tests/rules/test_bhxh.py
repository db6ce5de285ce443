"""BHXH-code rules (``bhxh.*``): the social-insurance code's format, and one code held by
two people."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from helpers import BASE, ID2, TODAY, case, hit

from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

CTX = Context.for_date(pd.Timestamp(TODAY))

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
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
]


@pytest.mark.parametrize(("kind", "edits", "expected"), RULE_CASES)
def test_rule_case(
    rule_findings: Any, kind: str, edits: dict[int, dict[str, str]], expected: list[list[Any]]
):
    assert rule_findings(kind, edits) == expected


# --- bhxh.format on one code -------------------------------------------------------------

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
