"""Legacy Vietnamese fonts (TCVN3/ABC, VNI-Windows): detection, conversion, reading."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from cleanse import legacy
from cleanse.cli import cli
from cleanse.read import read_all

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TODAY = "2026-11-21"

# Real words and names as they read when the legacy bytes are shown as Latin-1/cp1252.
TCVN3_CASES = [
    ("Hµ Néi", "Hà Nội"),
    ("TiÕng ViÖt", "Tiếng Việt"),
    ("NguyÔn V¨n An", "Nguyễn Văn An"),
    ("®\xadîc", "được"),
    ("§ång Nai", "Đồng Nai"),
    ("N÷", "Nữ"),
    ("Giíi tÝnh", "Giới tính"),
    ("TrÇn ThÞ B×nh", "Trần Thị Bình"),
    ("Hoµng Quúnh Anh", "Hoàng Quỳnh Anh"),
    ("Ph¹m §øc Th¾ng", "Phạm Đức Thắng"),
    ("Lª Thñy Tiªn", "Lê Thủy Tiên"),
    ("Hå ChÝ Minh", "Hồ Chí Minh"),
    ("Tr\xadêng", "Trường"),
    ("NGUYÔN V¡N A", "NGUYỄN VĂN A"),  # an all-caps (.VnTimeH) word
    ("Lª Hµ", "Lê Hà"),  # no ASCII lowercase, yet not all-caps: each word Capital + letter
    ("Vò LÖ", "Vũ Lệ"),
]
VNI_CASES = [
    ("Haø Noäi", "Hà Nội"),
    ("Tieáng Vieät", "Tiếng Việt"),
    ("Nguyeãn Vaên An", "Nguyễn Văn An"),
    ("ñöôïc", "được"),
    ("Ñoàng Nai", "Đồng Nai"),
    ("VIEÄT NAM", "VIỆT NAM"),
    ("Traàn Thò Bình", "Trần Thị Bình"),
    ("Hoaøng Quyønh Anh", "Hoàng Quỳnh Anh"),
    ("Phaïm Ñöùc Thaéng", "Phạm Đức Thắng"),
    ("Leâ Thuûy Tieân", "Lê Thủy Tiên"),
    ("Hoà Chí Minh", "Hồ Chí Minh"),
    ("Tröôøng", "Trường"),
    ("Lyù Thò Nöõ", "Lý Thị Nữ"),
]


@pytest.mark.parametrize(("typed", "unicode"), TCVN3_CASES)
def test_tcvn3_words(typed: str, unicode: str):
    assert legacy.convert_text(typed, "tcvn3") == unicode


@pytest.mark.parametrize(("typed", "unicode"), VNI_CASES)
def test_vni_words(typed: str, unicode: str):
    assert legacy.convert_text(typed, "vni") == unicode


@pytest.mark.parametrize(("scheme", "cases"), [("tcvn3", TCVN3_CASES), ("vni", VNI_CASES)])
def test_tables_are_detected(scheme: str, cases: list[tuple[str, str]]):
    assert legacy.detect_legacy([typed for typed, _ in cases]) == scheme


def test_syllables_from_rules():
    for word in ("nguyễn", "Thuỷ", "thủy", "khuya", "quốc", "giữa", "nghiêng", "oanh", "được"):
        assert legacy.is_syllable(word), word
    for word in ("néi", "tiõng", "hµ", "vaên", "bak", "hàt", "nguyeãn"):
        assert not legacy.is_syllable(word), word


def sample_text_columns() -> dict[tuple[str, str], list[str]]:
    out = {}
    for path in sorted(SAMPLES.glob("*.csv")):
        _, frame = read_all(path, check=False)
        for column in frame.columns:
            values = frame[column].dropna().tolist()
            if any(not v.isascii() for v in values):
                out[(path.name, column)] = values
    return out


def test_no_false_detection_on_the_shipped_samples():
    columns = sample_text_columns()
    assert len(columns) >= 20
    false = []
    for key, values in columns.items():
        for start in range(0, len(values), 100):  # whole columns and reader-sized samples
            if legacy.detect_legacy(values[start : start + 100]) is not None:
                false.append((key, start))
        if legacy.detect_legacy(values) is not None:
            false.append((key, "all"))
    assert false == []


def test_ascii_and_headers_are_not_detected():
    assert legacy.detect_legacy(["NGUYEN VAN A", "Nam", "Ha Noi", "12/05/1990"] * 50) is None
    headers = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc"]
    assert legacy.detect_legacy(headers, min_tokens=2) is None


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
def test_round_trip_over_sample_text(scheme: str):
    checked = 0
    for values in sample_text_columns().values():
        # Some sample names are typed NFD on purpose: conversion yields NFC.
        for value in {unicodedata.normalize("NFC", v) for v in values}:
            try:
                typed = legacy.encode_text(value, scheme)
            except ValueError:
                continue
            back = legacy.convert_text(typed, scheme)
            if scheme == "tcvn3" and value != back:
                # TCVN3 has no code for most toned capitals: only their case may differ.
                assert back.lower() == value.lower()
            else:
                assert back == value
            checked += 1
    assert checked > 1000


def test_convert_series_keeps_index_nulls_and_ascii():
    values = pd.Series(["NguyÔn V¨n", None, "Nam", "N÷"], index=[10, 11, 12, 13], dtype="string")
    out = legacy.convert(values, "tcvn3")
    assert out.index.tolist() == [10, 11, 12, 13]
    assert out.tolist()[0] == "Nguyễn Văn"
    assert pd.isna(out.tolist()[1])
    assert out.tolist()[2:] == ["Nam", "Nữ"]
    plain = pd.Series(["abc"], dtype="string[pyarrow]")
    assert legacy.convert(plain, "vni") is plain


# --- files ---------------------------------------------------------------------------


def twin_rows(schemes: tuple[str, ...]) -> list[list[str]]:
    """dancu.csv's header and records whose text every scheme writes and reads back."""
    with (SAMPLES / "dancu.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    kept = []
    for row in rows:
        try:
            if all(
                legacy.convert_text(legacy.encode_text(c, s), s) == c for c in row for s in schemes
            ):
                kept.append(row)
        except ValueError:
            continue
    assert kept[0] == rows[0] and len(kept) > 500
    return kept


def write_csv(path: Path, rows: list[list[str]], encode=None, encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(
        [[encode(c) if encode else c for c in r] for r in rows]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def validate(path: Path, out: Path) -> tuple[pd.DataFrame, dict]:
    result = CliRunner().invoke(
        cli,
        ["validate", str(path), "--out", str(out), "--format", "csv", "--today", TODAY],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    findings = pd.read_csv(
        out / "findings.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return findings, summary


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
def test_legacy_file_gives_the_same_findings_as_its_unicode_twin(tmp_path: Path, scheme: str):
    rows = twin_rows(legacy.SCHEMES)
    twin = write_csv(tmp_path / "unicode" / "dancu.csv", rows)
    typed = write_csv(
        tmp_path / scheme / "dancu.csv",
        rows,
        lambda c: legacy.encode_text(c, scheme),
        encoding="latin-1",  # the 8-bit file as the font's software saved it
    )
    expected, _ = validate(twin, tmp_path / "out-unicode")
    found, summary = validate(typed, tmp_path / f"out-{scheme}")
    assert len(expected) > 0
    pd.testing.assert_frame_equal(found, expected)
    (inputs,) = summary["inputs"]
    assert inputs["conversions"] == [{"scope": "file", "scheme": scheme}]
    assert inputs["kind"] == "dancu"


def test_legacy_column_in_a_utf8_file(tmp_path: Path):
    rows = twin_rows(("tcvn3",))
    twin = write_csv(tmp_path / "unicode" / "dancu.csv", rows)
    # Only the name column was typed in TCVN3 (pasted from an old .VnTime document);
    # the header too.
    mixed = [
        [legacy.encode_text(c, "tcvn3") if (i == 1 or r == 0) else c for i, c in enumerate(row)]
        for r, row in enumerate(rows)
    ]
    path = write_csv(tmp_path / "mixed" / "dancu.csv", mixed)
    expected, _ = validate(twin, tmp_path / "out-unicode")
    found, summary = validate(path, tmp_path / "out-mixed")
    pd.testing.assert_frame_equal(found, expected)
    (inputs,) = summary["inputs"]
    assert inputs["encoding"] == "utf-8"
    assert {"scope": "header", "scheme": "tcvn3"} in inputs["conversions"]
    assert {"scope": "column", "column": "Họ và tên", "scheme": "tcvn3"} in inputs["conversions"]
    assert not any(c.get("column") == "Nơi thường trú" for c in inputs["conversions"])


def test_windows_1258_is_not_taken_for_a_legacy_font(tmp_path: Path):
    from helpers import to_cp1258

    rows = twin_rows(())[:50]
    path = tmp_path / "dancu.csv"
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(to_cp1258(buffer.getvalue()))
    ext, frame = read_all(path)
    assert ext.encoding == "cp1258" and ext.conversions == []
    assert frame["full_name"].tolist() == [r[1] for r in rows[1:]]
