"""Birth-date, death, gender and name rules: each case lists the rules that fire."""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest

from cleanse.normalise import detect_mojibake
from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

CTX = Context.for_date(pd.Timestamp("2026-11-21"))
CODES = [
    "dob.invalid",
    "dob.out_of_range",
    "dob.partial",
    "death.before_birth",
    "gender.invalid",
    "name.invalid",
    "name.format",
]


def _fired(**values: str) -> list[str]:
    base = {"full_name": "Nguyễn Văn An", "dob": "12/05/1985", "gender": "Nam", "death_date": ""}
    base.update(values)
    frame = pd.DataFrame({k: [v] for k, v in base.items()}, dtype=pd.StringDtype("pyarrow"))
    chunk = prepare(frame)
    return [c for c in CODES if bool(REGISTRY[c].check(chunk, CTX).iloc[0])]


def _garble(text: str) -> str:
    """UTF-8 bytes read as cp1252 (bytes it leaves undefined as Latin-1)."""
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
        for b in text.encode("utf-8")
    )


CASES = [
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
    ("gender Khác", {"gender": "Khác"}, ["gender.invalid"]),
    ("gender 3 under the default table", {"gender": "3"}, ["gender.invalid"]),
    ("gender NỮ", {"gender": "NỮ"}, []),
    ("gender Trai: a word outside SPEC §1", {"gender": "Trai"}, ["gender.invalid"]),
    ("gender Nữ giới: a word outside SPEC §1", {"gender": "Nữ giới"}, ["gender.invalid"]),
    ("gender male", {"gender": "male"}, []),
    ("gender empty is field.missing's business", {"gender": ""}, []),
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
    ("mojibake: name rules stay quiet", {"full_name": _garble("Nguyễn Văn An")}, []),
    ("empty name is field.missing's business", {"full_name": ""}, []),
]


@pytest.mark.parametrize(("values", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_person_rules(values: dict[str, str], expected: list[str]) -> None:
    assert _fired(**values) == expected


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


def test_every_rule_here_fires_somewhere() -> None:
    assert {code for case in CASES for code in case[2]} == set(CODES)


@pytest.mark.parametrize(
    "name", ["Nguyễn Văn An", "Đặng Thị Hòa", "Trần Đức Lương", "PHẠM THỊ XÃ", "Hồ Quý Ly", "Võ Ư"]
)
def test_mojibake_detected_and_repaired(name: str) -> None:
    found = detect_mojibake(pd.Series([_garble(name), name], dtype=pd.StringDtype("pyarrow")))
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
