"""One tone-mark placement for names (DOMAIN.md §7.2): hoà = hòa, khoẻ = khỏe, thuý = thúy,
and ``uơ`` typed for ``ươ``. The canonical form is what suggestions show and what exact
name comparisons in ``reconcile`` use; the folded key never changes."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner
from helpers import csv_text
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanse.cli import cli
from cleanse.normalise import canonical_name, canonical_tones, exact_name, fold_arrow
from cleanse.prepare import prepare
from cleanse.rules import REGISTRY, Context

TODAY = "2026-11-21"
CTX = Context.for_date(pd.Timestamp(TODAY))


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def canon(values: list[str | None]) -> list[str | None]:
    return canonical_tones(pa.array(values, pa.string())).to_pylist()


# --- canonical_tones on words and names ----------------------------------------------------

CHANGED = [
    ("oa, new style", "Hoà", "Hòa"),
    ("oa, lower case", "hoà", "hòa"),
    ("oe, hook", "khoẻ", "khỏe"),
    ("oe, grave", "Hoè", "Hòe"),
    ("uy, acute", "Thuý", "Thúy"),
    ("uy, hook", "Thuỷ", "Thủy"),
    ("uy, grave", "Thuỳ", "Thùy"),
    ("uy, dot below", "Thuỵ", "Thụy"),
    ("oa, dot below", "hoạ", "họa"),
    ("oa, tilde", "Xoã", "Xõa"),
    ("capitals", "HOÀ", "HÒA"),
    ("capitals, uy", "THUỶ", "THỦY"),
    ("mixed case kept", "hOÀ", "hÒA"),
    ("a full name", "Nguyễn Thị Thuý Hoà", "Nguyễn Thị Thúy Hòa"),
    ("a full name in capitals", "NGUYỄN THỊ THUÝ HOÀ", "NGUYỄN THỊ THÚY HÒA"),
    ("two clusters side by side", "Hoà Hoà", "Hòa Hòa"),
    ("uy then oa", "Thuỷ Hoà", "Thủy Hòa"),
    ("uy twice", "Thuỷ Thuỷ", "Thủy Thủy"),
    ("words that are only the cluster", "uỷ uỷ uỷ", "ủy ủy ủy"),
    ("cluster before a hyphen", "Hoà-Bình", "Hòa-Bình"),
    ("decomposed input comes out composed", nfd("Hoà"), "Hòa"),
    ("decomposed full name", nfd("Nguyễn Thị Thuý Hoà"), "Nguyễn Thị Thúy Hòa"),
    ("uơ before ng", "Phuơng", "Phương"),
    ("uơ with a tone, before ng", "Truờng", "Trường"),
    ("uơ, surname", "Duơng", "Dương"),
    ("uơ before a vowel coda, dot below", "ruợu", "rượu"),
    ("uơ before c", "Phuớc", "Phước"),
    ("uơ in capitals", "PHUƠNG", "PHƯƠNG"),
    ("uơ typed decomposed", nfd("Phuơng"), "Phương"),
]

UNCHANGED = [
    ("oa before a final consonant", "hoàng"),
    ("oa before a final consonant, acute", "toán"),
    ("uy before ê", "khuyến"),
    ("uy before a final consonant", "Huỳnh"),
    ("qu: the u is the consonant's", "quý"),
    ("qu in capitals", "QUÝ"),
    ("qu before a final consonant", "Quỳnh"),
    ("gi: the i is the consonant's", "già"),
    ("ua is no cluster", "của"),
    ("ơ ends the syllable", "thuở"),
    ("ơ ends the syllable, no tone", "huơ"),
    ("qu before ơ", "quơ"),
    ("already canonical", "Hòa"),
    ("already canonical uy", "Thủy"),
    ("already ươ", "Phương"),
    ("no marks at all", "Nguyen Thi Hoa"),
    ("oă is no cluster", "Hoằng"),
    ("empty", ""),
]


@pytest.mark.parametrize(("before", "after"), [c[1:] for c in CHANGED], ids=[c[0] for c in CHANGED])
def test_canonical_tones_moves_the_mark(before: str, after: str) -> None:
    assert canon([before]) == [after]


@pytest.mark.parametrize("word", [c[1] for c in UNCHANGED], ids=[c[0] for c in UNCHANGED])
def test_canonical_tones_leaves_alone(word: str) -> None:
    assert canon([word]) == [word]
    assert canon([f"Nguyễn {word} An"]) == [f"Nguyễn {word} An"]


def test_canonical_tones_keeps_nulls_and_takes_chunked_arrays() -> None:
    assert canon([None, "Hoà", None]) == [None, "Hòa", None]
    assert canon([]) == []
    chunked = pa.chunked_array([["Thuỷ", None], ["Lan", "khoẻ"]], pa.string())
    assert canonical_tones(chunked).to_pylist() == ["Thủy", None, "Lan", "khỏe"]


def test_canonical_name_cleans_too() -> None:
    values = pd.Series(["  Nguyễn\u00a0Thị  Thuý Hoà ", None, nfd("Hoà Bình")], index=[5, 6, 7])
    out = canonical_name(values)
    assert out.index.tolist() == [5, 6, 7]
    assert out.tolist()[0::2] == ["Nguyễn Thị Thúy Hòa", "Hòa Bình"] and pd.isna(out[6])


# --- properties ------------------------------------------------------------------------------

_TONES = "\u0300\u0301\u0303\u0309\u0323"
# Letters of the clusters and their neighbours, toned and plain, decomposed marks, spaces.
_ALPHABET = (
    list(
        "oOaAeEuUyYqQgGiIhHnNcCtTmMpPkK đĐ-'’1"
        "àáảãạèéẻẽẹỳýỷỹỵòóỏõọơờớởỡợưừứửữựôăâê"
        "ÀÁẢÃẠÈÉẺẼẸỲÝỶỸỴÒÓỎÕỌƠỜỚỞỠỢƯÔĂÂÊ"
    )
    + list(_TONES)
    + ["\u031b", "\u0302"]
)
_WORDS = [
    "Hoà", "Hòa", "khoẻ", "Thuý", "Thủy", "Thuỵ", "hoàng", "toán", "khuyến", "Huỳnh", "quý",
    "Quỳnh", "già", "của", "thuở", "huơ", "quơ", "Phuơng", "Phương", "ruợu", "Nguyễn", "Đức",
    "uỷ", "oà", "Hoè", "Lan", "Văn", "Thị", "QUÝ", "HOÀ",
]  # fmt: skip
_words = st.lists(
    st.tuples(st.sampled_from(_WORDS), st.sampled_from(["NFC", "NFD"]), st.booleans()).map(
        lambda t: unicodedata.normalize(t[1], t[0].upper() if t[2] else t[0])
    ),
    max_size=5,
).map(" ".join)
vietnamese = st.one_of(st.text(alphabet=_ALPHABET, max_size=12), _words)
PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# The same rules, one string at a time with Python's re, which has lookaround.
_END = rf"(?=$|[^\w{_TONES}\u0302\u031b]|[\d_])"


def plain_canonical(text: str) -> str:
    s = nfd(text)
    s = re.sub(rf"([oO])([aAeE])([{_TONES}]){_END}", r"\1\3\2", s)
    s = re.sub(rf"(?<![qQ])([uU])([yY])([{_TONES}]){_END}", r"\1\3\2", s)
    coda = rf"[nNcCtTmMpPiIuU](?![{_TONES}\u0302\u031b])"
    s = re.sub(rf"(?<![qQ])([uU])(?=[oO]\u031b[{_TONES}]?{coda})", "\\1\u031b", s)
    if s != nfd(text) or any(unicodedata.combining(c) for c in text):
        return unicodedata.normalize("NFC", s)
    return text


@given(st.lists(st.one_of(st.none(), vietnamese), max_size=20))
@PROPERTY
def test_canonical_tones_matches_the_plain_rules(items: list[str | None]) -> None:
    assert canon(items) == [None if v is None else plain_canonical(v) for v in items]


@given(st.lists(st.one_of(st.none(), vietnamese), max_size=20))
@PROPERTY
def test_canonical_tones_is_idempotent_and_keeps_the_folded_key(items: list[str | None]) -> None:
    arr = pa.array(items, pa.string())
    once = canonical_tones(arr)
    assert canonical_tones(once).equals(once)
    assert fold_arrow(once).equals(fold_arrow(arr))


@given(st.lists(_words, max_size=20))
@PROPERTY
def test_canonical_tones_keeps_case(items: list[str]) -> None:
    assert canon([v.upper() for v in items]) == [v.upper() for v in canon(items)]
    assert canon([v.lower() for v in items]) == [v.lower() for v in canon(items)]


# --- the exact comparison key ----------------------------------------------------------------


def test_exact_name() -> None:
    names = [
        "Nguyễn Thị Thúy Hòa",
        "NGUYỄN THỊ THÚY HÒA",
        "Nguyen Thi Thuy Hoa",  # no marks: nothing to compare exactly
        "H’Hen Niê",
        "Trần Thị #Lan",
        "Nguyễn Văn An2",
        "Nguyen Van An\u2019",
        None,
    ]
    assert exact_name(pa.array(names)).to_pylist() == [
        "nguyễn thị thúy hòa",
        "nguyễn thị thúy hòa",
        None,
        "h'hen niê",
        "trần thị lan",
        "nguyễn văn an",
        None,
        None,
    ]


# --- rules: name.format and text.mojibake suggest the canonical form ----------------------


def _suggested(code: str, name: str) -> tuple[bool, str | None]:
    frame = pd.DataFrame({"full_name": [name]}, dtype=pd.StringDtype("pyarrow"))
    chunk = prepare(frame)
    rule = REGISTRY[code]
    fired = rule.check(chunk, CTX)
    suggested = rule.suggest(chunk, CTX)
    if isinstance(fired, pd.DataFrame):
        fired, suggested = fired["full_name"], suggested["full_name"]
    value = suggested.iloc[0]
    return bool(fired.iloc[0]), None if pd.isna(value) else value


def _mojibake(text: str) -> str:
    return "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
        for b in text.encode("utf-8")
    )


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("nguyễn thị thuý hoà", "Nguyễn Thị Thúy Hòa"),  # lower case: Title Case suggested
        ("NGuyễn Thị Thuỷ", "Nguyễn Thị Thủy"),
        (nfd("Nguyễn Thị Hoà"), "Nguyễn Thị Hòa"),
        ("NGUYỄN THỊ  THUỶ", "NGUYỄN THỊ THỦY"),  # capitals stay capitals
        (" Dương Văn Phuơng", "Dương Văn Phương"),
    ],
)
def test_name_format_suggests_the_canonical_form(name: str, suggestion: str) -> None:
    assert _suggested("name.format", name) == (True, suggestion)


@pytest.mark.parametrize("name", ["Nguyễn Thị Thuý Hoà", "NGUYỄN THỊ THUỶ", "Nguyen Thi Hoa"])
def test_name_format_stays_quiet_on_tone_placement_alone(name: str) -> None:
    assert _suggested("name.format", name)[0] is False


def test_mojibake_suggestion_of_a_name_is_canonical() -> None:
    garbled = _mojibake("Nguyễn  Thị Thuý Hoà")
    assert _suggested("text.mojibake", garbled) == (True, "Nguyễn Thị Thúy Hòa")
    assert _suggested("text.mojibake", "Nguyễn Thị Thuý Hoà") == (False, None)


# --- through the command line ----------------------------------------------------------------

DANCU = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Quốc tịch"]
BHXH = ["Mã số BHXH", "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Trạng thái hưởng"]
# Made-up people; IDs built as DOMAIN.md says (place code, gender/century digit, year).
HOA = ("079185111333", "12/03/1985", "Nữ")
TU = ("001090123456", "12/05/1990", "Nam")


def _write(folder: Path, name: str, header: list[str], rows: list[list[str]]) -> Path:
    path = folder / name
    path.write_text(csv_text([header, *rows]), encoding="utf-8")
    return path


def _read(out: Path, table: str) -> pd.DataFrame:
    return pd.read_csv(out / f"{table}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_validate_shows_the_canonical_suggestion(tmp_path: Path) -> None:
    rows = [
        [HOA[0], "nguyễn thị thuý hoà", *HOA[1:], "Việt Nam"],
        [TU[0], "Nguyễn Thị Thuý Hoà", *TU[1:], "Việt Nam"],
    ]
    path = _write(tmp_path, "dancu.csv", DANCU, rows)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["validate", str(path), "--out", str(out), "--today", TODAY])
    assert result.exit_code == 0, result.output  # warnings only
    findings = _read(out, "findings")
    assert findings[["row", "rule", "value", "suggestion"]].values.tolist() == [
        ["1", "name.format", "nguyễn thị thuý hoà", "Nguyễn Thị Thúy Hòa"]
    ]


def _reconcile(tmp_path: Path, left: str, right: str, person: tuple[str, str, str]) -> list[str]:
    """``link.field_mismatch`` fields of a dancu and a bhxh record of one person."""
    ident, dob, gender = person
    files = [
        _write(tmp_path, "dancu.csv", DANCU, [[ident, left, dob, gender, "Việt Nam"]]),
        _write(tmp_path, "bhxh.csv", BHXH, [["", ident, right, dob, gender, "Đang tham gia"]]),
    ]
    out = tmp_path / "out"
    args = ["reconcile", *map(str, files), "--out", str(out), "--today", TODAY]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1), result.output
    links = _read(out, "links")
    assert links["method"].tolist() == ["id"]  # one person either way
    findings = _read(out, "findings")
    return findings.loc[findings["rule"] == "link.field_mismatch", "field"].tolist()


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Nguyễn Thị Thuý Hoà", "Nguyễn Thị Thúy Hòa"),  # tone placement
        ("Nguyễn Thị Thúy Hòa", "NGUYỄN THỊ THUÝ HOÀ"),  # case and placement
        ("Nguyễn Thị Thúy Hòa", nfd("Nguyễn  Thị Thúy Hòa ")),  # NFD and spaces
        ("Nguyễn Thị Thúy Hòa", "Nguyen Thi Thuy Hoa"),  # a system without diacritics
        ("Nguyễn Thị Thúy Hòa", _mojibake("Nguyễn Thị Thuý Hoà")),  # repaired, then compared
        ("Dương Thị Phương", "Duơng Thị Phuơng"),  # uơ typed for ươ
    ],
)
def test_reconcile_same_name_written_differently_is_no_mismatch(
    tmp_path: Path, left: str, right: str
) -> None:
    assert _reconcile(tmp_path, left, right, HOA) == []


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Lê Văn Tư", "Lê Văn Tú"),  # one folded key, two names
        ("Lê Văn Tư", "LÊ VĂN TÙ"),
        ("Lê Văn Tư", _mojibake("Lê Văn Tú")),
        ("Lê Văn Tư", "Lê Tư"),  # the folded keys differ too (a dropped middle name)
    ],
)
def test_reconcile_different_marks_are_a_mismatch(tmp_path: Path, left: str, right: str) -> None:
    assert _reconcile(tmp_path, left, right, TU) == ["full_name"]


@pytest.mark.parametrize(
    ("left", "right"), [("Lê Văn Tư", "Le Van Tu"), ("LE VAN TU", "Lê Văn Tú")]
)
def test_reconcile_a_name_without_marks_is_compared_by_its_key(
    tmp_path: Path, left: str, right: str
) -> None:
    assert _reconcile(tmp_path, left, right, TU) == []
