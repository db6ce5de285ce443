"""Column mapping through the commands: split names, clashing and misspelt --map options."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import csv_text

from cleanse.cli import cli

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")


def run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, list(args))


def one_error_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cleanse: error: ")
    return lines[0]


@pytest.fixture
def two_names(tmp_path: Path) -> Path:
    path = tmp_path / "f.csv"
    rows = [["A", "B", "Ngày sinh"], ["Nguyễn Văn An", "Lê Thị Bình", "01/02/1990"]]
    path.write_text(csv_text(rows), encoding="utf-8")
    return path


def test_two_map_options_for_one_field_are_one_error_line(two_names: Path, tmp_path: Path):
    line = one_error_line(
        run(
            "validate",
            str(two_names),
            "--map",
            "A=full_name",
            "--map",
            "B=full_name",
            "--out",
            str(tmp_path / "out"),
        )
    )
    assert 'full_name is already mapped by --map "A=full_name"' in line


def test_map_option_for_an_absent_header_names_the_option_and_the_nearest(
    two_names: Path, tmp_path: Path
):
    out = str(tmp_path / "out")
    line = one_error_line(
        run(
            "validate",
            str(two_names),
            "--map",
            "A=full_name",
            "--map",
            "Ngay sinhh=dob",
            "--out",
            out,
        )
    )
    assert line == (
        f'cleanse: error: {two_names}: --map "Ngay sinhh=dob": no column is headed '
        "'Ngay sinhh'; nearest: 'Ngày sinh' (did you mean --map \"Ngày sinh=dob\"?)"
    )


def test_map_option_for_an_absent_required_column_names_the_option(two_names: Path, tmp_path: Path):
    line = one_error_line(
        run("validate", str(two_names), "--map", "Họ tên=full_name", "--out", str(tmp_path / "o"))
    )
    assert "--map \"Họ tên=full_name\": no column is headed 'Họ tên'" in line


def _list(path: Path, header: list[str], row: list[str]) -> Path:
    path.write_text(csv_text([header, row]), encoding="utf-8")
    return path


def test_map_option_that_some_inputs_have_is_fine(tmp_path: Path):
    a = _list(tmp_path / "a.csv", ["Họ và tên", "Ngày sinh", "Mã hồ sơ"], ["Lê An", "1990", "1"])
    b = _list(tmp_path / "b.csv", ["Họ và tên", "Ngày sinh"], ["Lê An", "1990"])
    out = str(tmp_path / "out")
    result = run("reconcile", str(a), str(b), "--map", "Mã hồ sơ=other_id", "--out", out, "-q")
    assert result.exit_code in (0, 1), result.output


def test_map_option_that_no_input_has_is_an_error(tmp_path: Path):
    a = _list(tmp_path / "a.csv", ["Họ và tên", "Ngày sinh", "Mã hồ sơ"], ["Lê An", "1990", "1"])
    b = _list(tmp_path / "b.csv", ["Họ và tên", "Ngày sinh"], ["Lê An", "1990"])
    out = str(tmp_path / "out")
    line = one_error_line(
        run("reconcile", str(a), str(b), "--map", "Ma ho so x=other_id", "--out", out)
    )
    assert "--map \"Ma ho so x=other_id\": no column is headed 'Ma ho so x'" in line
    assert "nearest: 'Mã hồ sơ'" in line


def test_inspect_notes_a_map_option_the_file_lacks(two_names: Path):
    result = run("inspect", str(two_names), "--map", "Ngay sinhh=dob", "--json")
    assert result.exit_code == 0
    [report] = json.loads(result.stdout)
    assert (
        "--map \"Ngay sinhh=dob\" names no column of this file; nearest: 'Ngày sinh'"
        in (report["notes"])
    )


# --- a name split over columns --------------------------------------------------------


def test_validate_reads_a_split_name_as_full_name(tmp_path: Path):
    path = tmp_path / "split.csv"
    rows = [
        ["Họ", "Tên đệm", "Tên", "Ngày sinh"],
        ["Nguyễn", "Văn", "An", "01/02/1990"],
        ["", "", "", "01/02/1991"],
        ["Trần", "Thị", "Bình", "01/02/1992"],
    ]
    path.write_text(csv_text(rows), encoding="utf-8")
    out = tmp_path / "out"
    result = run("validate", str(path), "--out", str(out), "--format", "csv", "-q")
    assert result.exit_code in (0, 1), result.output
    findings = pd.read_csv(out / "findings.csv", dtype=str, encoding="utf-8-sig")
    assert findings[["row", "rule", "field"]].values.tolist() == [
        ["2", "field.missing", "full_name"]
    ]


def test_map_options_for_a_split_name_satisfy_generic(tmp_path: Path):
    path = tmp_path / "split.csv"
    rows = [["Family", "Given", "Ngày sinh"], ["Nguyễn", "An", "01/02/1990"]]
    path.write_text(csv_text(rows), encoding="utf-8")
    result = run(
        "inspect", str(path), "--map", "Family=family_name", "--map", "Given=given_name", "--json"
    )
    [report] = json.loads(result.stdout)
    assert report["missing"] == []
    assert report["columns"] == {"Family": "family_name", "Given": "given_name", "Ngày sinh": "dob"}
