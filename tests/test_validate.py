"""`cleanse validate` as a whole: the shipped samples against their truth, chunking, CLI
options, exit codes, output files, masking and what reaches the screen. Each rule's own
cases, through the CLI and on one record, are in tests/rules/test_<family>.py."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from helpers import (
    BASE,
    BOOK2,
    ID1,
    compact,
    hit,
    invoke,
    only_summary_line,
    read_findings,
    report_as_table,
    snapshot,
    validate,
    write_extract,
)

from cleanse.rules import REGISTRY

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT / "samples"

# SPEC §5: the findings columns, in this order, in every format.
FINDING_COLUMNS = [
    "source", "row", "rule", "severity", "field", "value", "message", "suggestion",
    "related_source", "related_row", "sheet_row", "column",
]  # fmt: skip
TRUTH_KEY = ["source", "row", "rule", "field", "suggestion", "related_row"]

INPUT_IDS = {v for r in BASE for k, v in r.items() if k in ("id_number", "bhxh_code")}
INPUT_NAMES = {r["full_name"] for r in BASE}


@pytest.mark.parametrize("kind", ["dancu", "bhxh", "hotich", "generic"])
def test_base_extract_is_clean_and_detected(tmp_path: Path, kind: str):
    path = write_extract(tmp_path, kind)
    result = validate(path, "--out", tmp_path / "out", "--fail-on", "warning")
    assert result.exit_code == 0, result.stderr
    assert compact(read_findings(tmp_path / "out")) == []
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert [(i["kind"], i["rows"]) for i in summary["inputs"]] == [(kind, 3)]


def test_source_option_overrides_the_detected_kind(tmp_path: Path):
    path = write_extract(tmp_path, "generic", {2: {"id_number": ""}})
    validate(path, "--out", tmp_path / "generic")
    validate(path, "--out", tmp_path / "dancu", "--source", "dancu")
    assert compact(read_findings(tmp_path / "generic")) == []
    assert compact(read_findings(tmp_path / "dancu")) == [hit(2, "id.missing")]


def test_map_option_maps_an_unknown_header(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", {2: {"full_name": "Trần Thị #Bình"}})
    text = path.read_text(encoding="utf-8").replace("Họ và tên", "Tên đầy đủ")
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = validate(path, "--out", out, "--source", "dancu", "--map", "Tên đầy đủ=full_name")
    assert result.exit_code == 1, result.stderr
    assert compact(read_findings(out)) == [hit(2, "name.invalid")]


def test_findings_show_the_value_as_read(tmp_path: Path):
    path = write_extract(
        tmp_path, "dancu", {1: {"id_number": "1085012345"}, 2: {"full_name": "Trần  Thị Bình"}}
    )
    validate(path, "--out", tmp_path / "out")
    findings = read_findings(tmp_path / "out")
    assert findings[["row", "rule", "value"]].values.tolist() == [
        ["1", "id.format", "1085012345"],
        ["2", "name.format", "Trần  Thị Bình"],
    ]


# --- the shipped samples -----------------------------------------------------------------


def sample_files() -> list[Path]:
    files = sorted(SAMPLES.glob("*.csv"))
    assert [f.name for f in files] == ["bhxh.csv", "btxh.csv", "dancu.csv", "hotich.csv"]
    return files


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("samples") / "out"
    result = validate(*sample_files(), "--out", out, "--format", "csv")
    assert result.exit_code == 1, result.stderr
    return out


def keys(frame: pd.DataFrame) -> list[tuple[str, ...]]:
    return [tuple(r) for r in frame[TRUTH_KEY].values.tolist()]


def test_samples_findings_equal_the_truth(sample_out: Path):
    truth = pd.read_csv(
        SAMPLES / "truth" / "findings.csv",
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    expected = keys(truth[truth["command"] == "validate"])
    found = keys(read_findings(sample_out))
    assert len(found) == len(set(found)), "a finding is reported twice"
    right = set(found) & set(expected)
    precision = len(right) / len(found) if found else 1.0
    recall = len(right) / len(expected)
    missed = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    assert (precision, recall) == (1.0, 1.0), (
        f"precision {precision:.3f}, recall {recall:.3f}\n"
        f"missed ({len(missed)}): {missed[:20]}\nextra ({len(extra)}): {extra[:20]}"
    )


def test_samples_summary_counts_match_findings(sample_out: Path):
    summary = json.loads((sample_out / "summary.json").read_text(encoding="utf-8"))
    findings = read_findings(sample_out)
    assert summary["counts"]["by_rule"] == findings["rule"].value_counts().to_dict()
    rows = {"dancu.csv": 1990, "bhxh.csv": 630, "hotich.csv": 150, "btxh.csv": 68}
    assert {i["source"]: i["rows"] for i in summary["inputs"]} == rows
    assert {i["source"]: i["kind"] for i in summary["inputs"]} == {
        "dancu.csv": "dancu",
        "bhxh.csv": "bhxh",
        "hotich.csv": "hotich",
        "btxh.csv": "btxh",
    }


def test_chunked_run_gives_the_same_findings(sample_out: Path, tmp_path: Path):
    out = tmp_path / "chunked"
    result = validate(*sample_files(), "--out", out, "--format", "csv", "--chunk-rows", "23")
    assert result.exit_code == 1, result.stderr
    one, chunked = read_findings(sample_out), read_findings(out)
    # Duplicates whose rows sit in different chunks are among them.
    dup = one[one["rule"].str.endswith(".duplicate")]
    apart = dup[(dup["row"].astype(int) - 1) // 23 != (dup["related_row"].astype(int) - 1) // 23]
    assert len(apart) > 10
    pd.testing.assert_frame_equal(chunked, one)


def test_chunked_run_finds_duplicates_across_chunk_boundaries(tmp_path: Path):
    # Rows 1 and 3 share an ID, rows 2 and 4 are one person: chunks of 1 row each.
    path = write_extract(tmp_path, "dancu", {3: {"id_number": ID1}, 4: {"_from": 2}})
    for chunk in ("1", "2", "1000"):
        out = tmp_path / f"out{chunk}"
        validate(path, "--out", out, "--chunk-rows", chunk)
        assert compact(read_findings(out)) == [
            hit(1, "id.duplicate", related=3),
            hit(3, "id.duplicate", related=1),
            hit(4, "record.duplicate", "", related=2),
        ], chunk


def test_two_bhxh_books_across_chunk_boundaries(tmp_path: Path):
    # Rows 1 and 4 are one person with two books; row 5 is a copy of row 4, row 6 a
    # third book: chunks of 1 and 2 rows give what one chunk gives.
    path = write_extract(
        tmp_path,
        "bhxh",
        {
            4: {"_from": 1, "bhxh_code": BOOK2},
            5: {"_from": 1, "bhxh_code": BOOK2},
            6: {"_from": 1, "bhxh_code": "0100000001"},
        },
    )
    for chunk in ("1", "2", "1000"):
        out = tmp_path / f"out{chunk}"
        validate(path, "--out", out, "--chunk-rows", chunk)
        assert compact(read_findings(out)) == [
            hit(4, "record.duplicate", "bhxh_code", related=1),
            hit(5, "record.duplicate", "bhxh_code", related=1),
            hit(6, "record.duplicate", "bhxh_code", related=1),
        ], chunk


# --- exit codes --------------------------------------------------------------------------

ERRORS = {2: {"dob": "31/02/1990"}}
WARNINGS = {1: {"dob": "1985"}}


@pytest.mark.parametrize(
    ("edits", "fail_on", "code"),
    [
        pytest.param(ERRORS, [], 1, id="errors-default-fail-on-error"),
        pytest.param(ERRORS, ["--fail-on", "error"], 1, id="errors-fail-on-error"),
        pytest.param(WARNINGS, ["--fail-on", "error"], 0, id="warnings-fail-on-error"),
        pytest.param(WARNINGS, ["--fail-on", "warning"], 1, id="warnings-fail-on-warning"),
        pytest.param(ERRORS, ["--fail-on", "warning"], 1, id="errors-fail-on-warning"),
        pytest.param(ERRORS, ["--fail-on", "never"], 0, id="errors-fail-on-never"),
        pytest.param(WARNINGS, ["--fail-on", "never"], 0, id="warnings-fail-on-never"),
        pytest.param({}, [], 0, id="clean"),
        pytest.param({}, ["--fail-on", "warning"], 0, id="clean-fail-on-warning"),
    ],
)
def test_exit_code(tmp_path: Path, edits: dict[int, dict[str, str]], fail_on: list[str], code: int):
    path = write_extract(tmp_path, "dancu", edits)
    result = validate(path, "--out", tmp_path / "out", *fail_on)
    assert result.exit_code == code
    assert only_summary_line(result.stderr), result.stderr


def assert_one_error_line(result: Any) -> str:
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("cleanse: error: ")
    assert result.stdout == ""
    return lines[0]


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
@pytest.mark.parametrize(
    "options",
    [
        pytest.param(["--format", "pdf"], id="format"),
        pytest.param(["--fail-on", "sometimes"], id="fail-on"),
        pytest.param(["--lang", "fr"], id="lang"),
        pytest.param(["--source", "census"], id="source"),
        pytest.param(["--chunk-rows", "0"], id="chunk-rows"),
    ],
)
def test_bad_option_exits_2_without_output(tmp_path: Path, options: list[str]):
    path = write_extract(tmp_path, "dancu")
    assert_one_error_line(validate(path, "--out", tmp_path / "out", *options))
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
def test_bad_today_exits_2(tmp_path: Path):
    path = write_extract(tmp_path, "dancu")
    result = invoke(
        ["validate", str(path), "--out", str(tmp_path / "out"), "--today", "21/11/2026"]
    )
    assert_one_error_line(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
def test_two_inputs_of_one_name_exit_2(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    files = [write_extract(tmp_path / "a", "dancu"), write_extract(tmp_path / "b", "dancu")]
    result = validate(*files, "--out", tmp_path / "out")
    assert "dancu.csv" in assert_one_error_line(result)
    assert not (tmp_path / "out").exists()


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
def test_missing_input_exits_2_and_creates_no_output(tmp_path: Path):
    out = tmp_path / "out"
    result = validate(tmp_path / "nowhere.csv", "--out", out)
    line = assert_one_error_line(result)
    assert "nowhere.csv" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
def test_missing_input_leaves_earlier_results_untouched(tmp_path: Path):
    good = write_extract(tmp_path, "dancu", ERRORS)
    out = tmp_path / "out"
    assert validate(good, "--out", out, "--format", "parquet,csv,xlsx").exit_code == 1
    before = snapshot(out)
    modes = {p.name: p.stat().st_mode for p in out.iterdir()}
    result = validate(good, tmp_path / "nowhere.csv", "--out", out)
    assert "nowhere.csv" in assert_one_error_line(result)
    assert snapshot(out) == before
    assert {p.name: p.stat().st_mode for p in out.iterdir()} == modes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dancu.csv", "out"]


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
def test_unreadable_input_exits_2_without_output(tmp_path: Path):
    path = tmp_path / "dancu.csv"
    path.write_text(
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Dân tộc\n"
        "001085012345,Nguyễn Văn An,12/05/1985,Nam,Kinh\n"
        "079190012346,Trần Thị Bình,01/02/1990,Nữ,Kinh,Việt Nam\n",
        encoding="utf-8",
    )
    result = validate(path, "--out", tmp_path / "out")
    assert "dancu.csv" in assert_one_error_line(result)
    assert not (tmp_path / "out").exists()


# --- output files ------------------------------------------------------------------------

OUTPUT_EDITS = {
    1: {"id_number": "1085012345", "full_name": "Nguyễn Văn An2"},  # leading zeros + name
    2: {"bhxh_code": "799876543", "dob": "1990"},  # bhxh.format + dob.partial (warning)
    # a namesake of row 3 with row 3's ID and row 1's BHXH code
    4: {"_from": 3, "bhxh_code": BASE[0]["bhxh_code"], "dob": "24/09/1985"},
}


def xlsx_sheets(path: Path) -> dict[str, list[list[Any]]]:
    """Every sheet's cell values, rows padded to the widest (trailing empty cells)."""
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        sheets = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}
    finally:
        wb.close()
    for rows in sheets.values():
        width = max((len(r) for r in rows), default=0)
        for r in rows:
            r.extend([None] * (width - len(r)))
    return sheets


def as_text(frame: pd.DataFrame) -> list[list[str]]:
    """Every cell as the text CSV shows ("" for empty)."""
    return frame.astype("string").fillna("").values.tolist()


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet table with its nullable integers kept as integers."""
    return pd.read_parquet(path, dtype_backend="numpy_nullable")


def _head_rest(rows: list[list[Any]]) -> tuple[list[Any], list[list[Any]]]:
    return rows[0], rows[1:]


def cells_text(rows: list[list[Any]]) -> list[list[str]]:
    """Spreadsheet cells as the text CSV shows ("" for empty)."""
    return [["" if v is None else str(v) for v in row] for row in rows]


@pytest.fixture
def full_run(tmp_path: Path) -> tuple[Path, Any]:
    path = write_extract(tmp_path, "bhxh", OUTPUT_EDITS)
    out = tmp_path / "out"
    result = validate(path, "--out", out, "--format", "parquet,csv,xlsx")
    return out, result


def test_output_files_are_written_in_every_format(full_run: tuple[Path, Any]):
    out, result = full_run
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "findings.csv",
        "findings.parquet",
        "report.xlsx",
        "summary.json",
    ]
    assert (out / "findings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    csv_rows = read_findings(out)
    parquet = read_parquet(out / "findings.parquet")
    sheets = xlsx_sheets(out / "report.xlsx")
    assert list(sheets) == ["summary", "findings"]
    # The report shows the same findings, in words (report_as_table turns them back).
    header, xlsx_rows = report_as_table(sheets["findings"][0], sheets["findings"][1:])
    assert list(csv_rows.columns) == list(parquet.columns) == header == FINDING_COLUMNS
    assert as_text(parquet) == cells_text(xlsx_rows) == csv_rows.values.tolist()
    assert compact(csv_rows) == [
        hit(1, "id.format"),
        hit(1, "bhxh.duplicate", related=4),
        hit(1, "name.invalid"),
        hit(2, "bhxh.format"),
        hit(2, "dob.partial"),
        hit(3, "id.duplicate", related=4),
        hit(4, "id.duplicate", related=3),
        hit(4, "bhxh.duplicate", related=1),
    ]


def test_findings_columns_severity_and_related_source(full_run: tuple[Path, Any]):
    out, _ = full_run
    findings = read_findings(out)
    assert set(findings["source"]) == {"bhxh.csv"}
    assert findings["severity"].tolist() == [REGISTRY[r].severity for r in findings["rule"]]
    related = findings["related_row"] != ""
    assert findings["related_source"].tolist() == ["bhxh.csv" if r else "" for r in related]


def test_inputs_are_never_modified(tmp_path: Path):
    path = write_extract(tmp_path, "bhxh", OUTPUT_EDITS)
    before = path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns
    validate(path, "--out", tmp_path / "out", "--format", "parquet,csv,xlsx", "--mask")
    assert (path.read_bytes(), path.stat().st_mode, path.stat().st_mtime_ns) == before


def test_csv_and_xlsx_neutralise_formulas_parquet_keeps_the_value(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", {2: {"full_name": "=HYPERLINK(1) Bình"}})
    out = tmp_path / "out"
    validate(path, "--out", out, "--format", "parquet,csv,xlsx")
    header, rows = report_as_table(*_head_rest(xlsx_sheets(out / "report.xlsx")["findings"]))
    values = [
        read_findings(out)["value"].tolist(),
        read_parquet(out / "findings.parquet")["value"].tolist(),
        [r[header.index("value")] for r in rows],
    ]
    assert values == [["'=HYPERLINK(1) Bình"], ["=HYPERLINK(1) Bình"], ["'=HYPERLINK(1) Bình"]]


def test_xlsx_keeps_ids_as_text(full_run: tuple[Path, Any]):
    out, _ = full_run
    header, rows = report_as_table(*_head_rest(xlsx_sheets(out / "report.xlsx")["findings"]))
    at = {name: i for i, name in enumerate(header)}
    first = rows[0]
    assert first[at["value"]] == "1085012345"
    assert isinstance(first[at["row"]], int)
    # An ID with its leading zero stays text, zero and all.
    duplicate = next(r for r in rows if r[at["rule"]] == "id.duplicate")
    assert duplicate[at["value"]] == BASE[2]["id_number"]


def test_summary_json_counts_match_the_findings(full_run: tuple[Path, Any]):
    out, _ = full_run
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    findings = read_findings(out)
    counts = summary["counts"]
    assert counts["by_rule"] == findings["rule"].value_counts().to_dict()
    assert (
        counts["by_severity"]
        == findings["severity"].value_counts().reindex(["error", "warning"], fill_value=0).to_dict()
    )
    assert counts["findings"] == len(findings)
    errors = findings[findings["severity"] == "error"]
    assert counts["rows_with_errors"] == errors[["source", "row"]].drop_duplicates().shape[0]
    assert [(i["source"], i["rows"], i["kind"]) for i in summary["inputs"]] == [
        ("bhxh.csv", 4, "bhxh")
    ]
    assert summary["version"] and summary["started_at"]
    assert summary["duration_seconds"] >= 0


def test_summary_json_lists_every_input(tmp_path: Path):
    files = [write_extract(tmp_path, "dancu", ERRORS), write_extract(tmp_path, "hotich")]
    out = tmp_path / "out"
    validate(*files, "--out", out)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert [(i["source"], i["rows"], i["kind"], i["findings"]) for i in summary["inputs"]] == [
        ("dancu.csv", 3, "dancu", 1),
        ("hotich.csv", 3, "hotich", 0),
    ]


def test_default_formats_are_parquet_csv_and_the_report(tmp_path: Path):
    path = write_extract(tmp_path, "dancu")
    validate(path, "--out", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "findings.csv",
        "findings.parquet",
        "report.xlsx",
        "summary.json",
    ]


def test_output_files_are_private(full_run: tuple[Path, Any]):
    out, _ = full_run
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in out.iterdir()}
    assert set(modes.values()) == {"0o600"}, modes


def test_lang_en_gives_english_messages(full_run: tuple[Path, Any], tmp_path: Path):
    out_vi, _ = full_run
    path = tmp_path / "bhxh.csv"
    validate(path, "--out", tmp_path / "en", "--lang", "en")
    for folder, lang in ((out_vi, "vi"), (tmp_path / "en", "en")):
        findings = read_findings(folder)
        assert len(findings) == 8, lang
        expected = [REGISTRY[r].message(lang) for r in findings["rule"]]
        assert findings["message"].tolist() == expected, lang


# --- --mask ------------------------------------------------------------------------------


def test_mask_masks_ids_and_bhxh_codes_in_every_format(tmp_path: Path):
    path = write_extract(tmp_path, "bhxh", OUTPUT_EDITS)
    out = tmp_path / "out"
    result = validate(path, "--out", out, "--format", "parquet,csv,xlsx", "--mask")
    assert result.exit_code == 1
    header, xlsx_rows = report_as_table(*_head_rest(xlsx_sheets(out / "report.xlsx")["findings"]))
    tables = {
        "csv": read_findings(out).values.tolist(),
        "parquet": as_text(read_parquet(out / "findings.parquet")),
        "xlsx": cells_text(xlsx_rows),
    }
    at = {name: i for i, name in enumerate(FINDING_COLUMNS)}
    for fmt, rows in tables.items():
        shown = [(r[at["rule"]], r[at["value"]], r[at["suggestion"]]) for r in rows]
        assert shown == [
            ("id.format", "108****345", ""),
            ("bhxh.duplicate", "011****678", ""),
            ("name.invalid", "Nguyễn Văn An2", ""),
            ("bhxh.format", "799***543", ""),
            ("dob.partial", "1990", ""),
            ("id.duplicate", "031******321", ""),
            ("id.duplicate", "031******321", ""),
            ("bhxh.duplicate", "011****678", ""),
        ], fmt
    every_id = INPUT_IDS | {"1085012345", "799876543"}
    for p in out.iterdir():
        cells = (
            json.dumps(xlsx_sheets(p), ensure_ascii=False, default=str)
            if p.suffix == ".xlsx"
            else read_parquet(p).to_csv()
            if p.suffix == ".parquet"
            else p.read_text(encoding="utf-8-sig")
        )
        assert [i for i in every_id if i in cells] == [], p.name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["masked"] is True


# --- the screen --------------------------------------------------------------------------


@pytest.mark.parametrize("quiet", [[], ["--quiet"]], ids=["plain", "quiet"])
@pytest.mark.parametrize("edits", [{}, ERRORS], ids=["clean", "findings"])
def test_one_plain_line_without_a_terminal(
    tmp_path: Path, quiet: list[str], edits: dict[int, dict[str, str]]
):
    """SPEC §2: without a terminal (cron, a pipe), one plain summary line on stderr, and
    nothing with --quiet; never a table, never a value of a record."""
    path = write_extract(tmp_path, "dancu", edits)
    out = tmp_path / "out"
    result = validate(path, "--out", out, *quiet)
    assert result.exit_code in (0, 1)
    assert result.stdout == ""
    if quiet:
        assert result.stderr == ""
        return
    assert only_summary_line(result.stderr), result.stderr
    errors = json.loads((out / "summary.json").read_text(encoding="utf-8"))["counts"]
    line = result.stderr.strip()
    assert f"lỗi {errors['by_severity']['error']:,}" in line
    assert str(out / "report.xlsx") in line and "1 tệp" in line


def test_quiet_prints_nothing_even_on_a_terminal(tmp_path: Path):
    path = write_extract(tmp_path, "dancu", ERRORS)
    result = validate(path, "--out", tmp_path / "out", "--quiet", env={"TTY_COMPATIBLE": "1"})
    assert result.exit_code == 1
    assert (result.stderr, result.stdout) == ("", "")


def personal_data_in(text: str) -> list[str]:
    """IDs, BHXH codes and names of the input rows found in ``text``, and long numbers."""
    found = [v for v in INPUT_IDS | INPUT_NAMES if v in text]
    found += [n for n in ("Nguyễn", "Trần", "Cường") if n in text]
    return found + re.findall(r"\d{9,}", text)


def test_terminal_summary_shows_no_personal_data(tmp_path: Path):
    edits = {1: {"full_name": "Nguyễn Văn An2"}, 3: {"id_number": ID1}, 4: {"_from": 2}}
    path = write_extract(tmp_path, "dancu", edits)
    result = validate(
        path, "--out", tmp_path / "out", env={"TTY_COMPATIBLE": "1", "COLUMNS": "200"}
    )
    assert result.exit_code == 1
    assert "id.duplicate" in result.stderr  # the summary was shown
    assert personal_data_in(result.stderr + result.stdout) == []


BAD_INPUTS = {
    "ragged-row": "079190012346,Trần Thị Bình,01/02/1990,Nữ,Kinh,Nguyễn Văn An 001085012345\n",
    "unclosed-quote": '079190012346,"Trần Thị Bình,01/02/1990,Nữ,Kinh\n',
}


@pytest.mark.usefixtures("english_lines")  # asserts the words of an error line
@pytest.mark.parametrize("bad", list(BAD_INPUTS))
def test_bad_input_error_shows_no_personal_data(tmp_path: Path, bad: str):
    path = tmp_path / "dancu.csv"
    path.write_text(
        "Số định danh cá nhân,Họ và tên,Ngày sinh,Giới tính,Dân tộc\n"
        "031085654321,Lê Văn Cường,23/09/1985,Nam,Tày\n"
        + BAD_INPUTS[bad]
        + "001085012345,Nguyễn Văn An,12/05/1985,Nam,Kinh\n",
        encoding="utf-8",
    )
    result = validate(path, "--out", tmp_path / "out")
    assert_one_error_line(result)
    assert personal_data_in(result.stderr) == []
    assert not (tmp_path / "out").exists()
