"""Text rules (``text.*``): UTF-8 text read in a Windows code page (mojibake), found in
any text column and repaired in the suggestion."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from helpers import case, hit, mojibake

from cleanse.normalise import detect_mojibake

# --- through the CLI ------------------------------------------------------------------------

RULE_CASES = [
    # text.mojibake: the suggestion is the repaired text
    case(
        "text.mojibake-fires-name",
        [hit(1, "text.mojibake", "full_name", suggestion="Nguyễn Văn An")],
        {1: {"full_name": mojibake("Nguyễn Văn An")}},
    ),
    case(
        "text.mojibake-fires-capitals",
        [hit(2, "text.mojibake", "full_name", suggestion="TRẦN THỊ BÌNH")],
        {2: {"full_name": mojibake("TRẦN THỊ BÌNH")}},
    ),
    case(
        "text.mojibake-fires-ethnicity",
        [hit(3, "text.mojibake", "ethnicity", suggestion="Thái")],
        {3: {"ethnicity": mojibake("Thái")}},
    ),
    case(
        "text.mojibake-quiet-vietnamese",
        [],
        {1: {"full_name": "Đặng Thị Ánh Tuyết"}, 2: {"full_name": "Âu Dương Ửng"}},
    ),
]


@pytest.mark.parametrize(("kind", "edits", "expected"), RULE_CASES)
def test_rule_case(
    rule_findings: Any, kind: str, edits: dict[int, dict[str, str]], expected: list[list[Any]]
):
    assert rule_findings(kind, edits) == expected


# --- detection and repair on a column ----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Nguyễn Văn An", "Đặng Thị Hòa", "Trần Đức Lương", "PHẠM THỊ XÃ", "Hồ Quý Ly", "Võ Ư"]
)
def test_mojibake_detected_and_repaired(name: str) -> None:
    found = detect_mojibake(pd.Series([mojibake(name), name], dtype=pd.StringDtype("pyarrow")))
    assert found["mojibake"].tolist() == [True, False]
    assert found["repaired"].iloc[0] == name


def _garble_1258(name: str) -> str:
    """UTF-8 bytes read as Windows-1258, as Excel on a Vietnamese PC does; a byte the
    code page leaves undefined passes as the character of the same number."""
    out = []
    for byte in name.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode("cp1258"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


@pytest.mark.parametrize(
    "name",
    ["Nguyễn Thị Hằng", "Phạm Thị Thu Hà", "Lê Hoàng Yến", "Đặng Thị Ý", "Bùi Thị Mơ", "HÀ NỘI"],
)
def test_mojibake_read_as_windows_1258_is_repaired(name: str) -> None:
    garbled = _garble_1258(name)
    assert "Ă" in garbled or "á»" in garbled or "Ä" in garbled
    found = detect_mojibake(pd.Series([garbled], dtype=pd.StringDtype("pyarrow")))
    assert found["mojibake"].tolist() == [True]
    assert found["repaired"].iloc[0] == name


@pytest.mark.parametrize("name", ["Lăng Thị Ặt", "Đặng Văn Ăn", "ĂN LÊ", "Hoàng Thị Ă"])
def test_real_names_with_a_breve_are_not_mojibake(name: str) -> None:
    found = detect_mojibake(pd.Series([name], dtype=pd.StringDtype("pyarrow")))
    assert found["mojibake"].tolist() == [False]
