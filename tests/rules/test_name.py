"""Name rules (``name.*``): a full name with what no name holds (digits, symbols, one
word), and one to write in its normal form (NFC, single spaces, capitals)."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from helpers import case, hit, mojibake, person_rules_fired

NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Văn An")

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
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
    ("name in capitals", {"full_name": "NGUYỄN VĂN AN"}, []),
    ("name without accents", {"full_name": "Nguyen Van An"}, []),
    ("minority name with apostrophe", {"full_name": "Ksor H'Blương"}, []),
    ("minority name with hyphen", {"full_name": "Y-Moan Niê"}, []),
    ("new tone style Hoà", {"full_name": "Lê Thị Hoà"}, []),
    ("digit in name", {"full_name": "Nguyễn Văn An2"}, ["name.invalid"]),
    ("symbol in name", {"full_name": "Trần Thị #Lan"}, ["name.invalid"]),
    ("single word", {"full_name": "Lan"}, ["name.invalid"]),
    ("lower case", {"full_name": "nguyễn văn an"}, ["name.format"]),
    ("mixed case", {"full_name": "NGuyễn Văn An"}, ["name.format"]),
    (
        "decomposed Unicode",
        {"full_name": unicodedata.normalize("NFD", "Nguyễn Văn An")},
        ["name.format"],
    ),
    ("double space", {"full_name": "Nguyễn  Văn An"}, ["name.format"]),
    ("leading space", {"full_name": " Nguyễn Văn An"}, ["name.format"]),
    ("mojibake: name rules stay quiet", {"full_name": mojibake("Nguyễn Văn An")}, []),
    ("empty name is field.missing's business", {"full_name": ""}, []),
]


@pytest.mark.parametrize(
    ("values", "expected"), [c[1:] for c in PERSON_CASES], ids=[c[0] for c in PERSON_CASES]
)
def test_name_rules(values: dict[str, str], expected: list[str]) -> None:
    assert person_rules_fired(**values) == expected
