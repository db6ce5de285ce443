"""Record rules (``record.*``): one person's record twice in a file (a copy, however its
ID or BHXH code was damaged), or one person with two BHXH books to merge. Duplicates
across chunk boundaries: test_validate.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from helpers import BOOK2, ID1, case, hit, read_findings, validate, write_extract

from cleanse.rules import REGISTRY

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
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
    rule_findings: Any, kind: str, edits: dict[int, dict[str, str]], expected: list[list[Any]]
):
    assert rule_findings(kind, edits) == expected


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
