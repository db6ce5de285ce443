"""report.xlsx, the file an officer opens (SPEC §5, issue 15 item 7), read back with openpyxl.

Through the command line (click's CliRunner, real sample files) and through the library
(``write_tables``): headers and fixed values in the run's language, an autofilter over
the rows and a frozen header row, IDs as text cells, the person's name and ID beside each
finding (masked under ``--mask``), a summary sheet with a files × rules table and no JSON
in any cell, and a table longer than a sheet continued on more sheets.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import soffice

from cleanse import write
from cleanse.cli import cli
from cleanse.write import FINDING_COLUMNS, attach_people, write_tables
from cleanse.xlsx import header_label

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
ID_AT = re.compile(r"^\d{9,12}$")


def sheet(path: Path, title: str) -> list[list[Any]]:
    wb = openpyxl.load_workbook(path)
    return [list(r) for r in wb[title].iter_rows(values_only=True)]


def column(rows: list[list[Any]], header: str) -> list[Any]:
    at = rows[0].index(header)
    return [r[at] for r in rows[1:]]


def summary_cells(path: Path) -> list[list[Any]]:
    return [[v for v in r if v is not None] for r in sheet(path, "summary")]


def _run(tmp_path: Path, *args: str, out_name: str = "out") -> Path:
    for name in ("bhxh.csv", "btxh.csv"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    out = tmp_path / out_name
    result = CliRunner().invoke(
        cli,
        ["validate", "bhxh.csv", "btxh.csv", "--out", str(out), "--today", "2026-11-21", *args],
        catch_exceptions=False,
        env={"PWD": str(tmp_path)},
    )
    assert result.exit_code in (0, 1), result.output
    return out


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- through the command line --------------------------------------------------------------


def test_default_formats_write_the_report(here: Path):
    out = _run(here)
    assert sorted(p.name for p in out.iterdir()) == [
        "findings.csv",
        "findings.parquet",
        "report.xlsx",
        "summary.json",
    ]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_headers_and_fixed_values_are_in_the_runs_language(here: Path, lang: str):
    out = _run(here, "--lang", lang)
    rows = sheet(out / "report.xlsx", "findings")
    header = rows[0]
    expected = {
        "vi": ["Tệp nguồn", "Dòng", "Dòng trên bảng tính", "Cột", "Họ và tên", "Số định danh"],
        "en": ["Source file", "Row", "Spreadsheet row", "Column", "Full name", "ID number"],
    }[lang]
    assert header[:6] == expected
    assert header[6:8] == [header_label("rule", lang), header_label("severity", lang)]
    assert header_label("message", lang) in header and header_label("suggestion", lang) in header
    severity = set(column(rows, header_label("severity", lang)))
    assert severity <= ({"lỗi", "cảnh báo"} if lang == "vi" else {"error", "warning"})
    assert len(severity) == 2
    fields = set(column(rows, header_label("field", lang))) - {None}
    assert ("Số định danh cá nhân" if lang == "vi" else "ID number") in fields
    assert not fields & {"id_number", "full_name", "bhxh_code"}
    # The CSV stays machine-oriented: codes and SPEC column names.
    csv = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    assert list(csv.columns)[: len(FINDING_COLUMNS)] == FINDING_COLUMNS
    assert set(csv["severity"]) == {"error", "warning"}
    assert "_name" not in csv.columns and "_id" not in csv.columns


def test_autofilter_frozen_header_and_text_ids(here: Path):
    out = _run(here)
    path = out / "report.xlsx"
    ws = openpyxl.load_workbook(path)["findings"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
    assert all(c.font.b for c in ws[1])
    at = [c.value for c in ws[1]].index("Số định danh") + 1
    ids = [c for c in ws[ws.cell(1, at).column_letter][1:] if c.value is not None]
    assert ids and all(c.data_type == "s" and c.number_format == "@" for c in ids)
    assert any(str(c.value).startswith("0") for c in ids)  # zeros kept: text, not numbers
    rows = [c.value for c in ws["B"][1:]]
    assert all(isinstance(v, int) for v in rows if v is not None)


def test_each_finding_names_its_person(here: Path):
    out = _run(here)
    rows = sheet(out / "report.xlsx", "findings")
    findings = pd.read_parquet(out / "findings.parquet")
    people = pd.read_csv(SAMPLES / "bhxh.csv", dtype=str, keep_default_na=False)
    first = next(i for i, r in enumerate(rows[1:]) if r[0] == "bhxh.csv" and r[1])
    row = dict(zip(rows[0], rows[1 + first], strict=True))
    record = people.iloc[int(row["Dòng"]) - 1]
    assert row["Họ và tên"] == record["Họ và tên"]
    assert row["Số định danh"] == (record["Số CCCD"] or None)
    assert row["Dòng trên bảng tính"] == row["Dòng"] + 1  # the header is line 1
    assert len(rows) - 1 == len(findings)


def test_a_finding_in_a_damaged_column_names_its_person_by_the_restored_id(here: Path):
    """An .xlsx whose ID cells are numbers: the report's ID beside a finding is the ID
    with its zeros, as the officer will look it up."""
    from helpers import write_xlsx

    header = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính"]
    rows: list[list[object]] = [
        [int(f"0011900{i:05d}"), f"Nguyễn Văn {name}", "01/02/1990", "Nam"]
        for i, name in enumerate(["An", "Bình", "Cường", "Dũng", "Giang", "Hải"])
    ]
    rows.append([int("001190012399"), "Nguyễn Văn Hùng", "31/02/1990", "Nam"])  # no such day
    write_xlsx(here / "dancu.xlsx", {"Sheet1": [header, *rows]})
    out = here / "out"
    args = ["validate", "dancu.xlsx", "--out", str(out), "--today", "2026-11-21"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output
    report = sheet(out / "report.xlsx", "findings")
    found = [dict(zip(report[0], r, strict=True)) for r in report[1:]]
    bad_day = [f for f in found if f["Dòng"] == 7]
    assert bad_day and all(f["Số định danh"] == "001190012399" for f in bad_day)
    # The column's diagnosis, its evidence in words on the summary sheet.
    text = " ".join(str(v) for r in summary_cells(out / "report.xlsx") for v in r)
    assert "ô kiểu số: 7" in text and "numeric_cells" not in text


def test_mask_hides_names_and_ids_in_the_report(here: Path):
    out = _run(here, "--mask")
    rows = sheet(out / "report.xlsx", "findings")
    names = [v for v in column(rows, "Họ và tên") if v]
    ids = [v for v in column(rows, "Số định danh") if v]
    assert names and ids
    # Each word keeps its first letter only: "N***** V** A*".
    assert all(re.fullmatch(r"[^*]\**", w) for n in names for w in n.split(" ") if w)
    assert all("*" in i and not ID_AT.match(i) for i in ids)
    for cell in (v for r in rows[1:] for v in r if isinstance(v, str)):
        assert not re.search(r"\d{9,}", cell), cell
    plain = sheet(_run(here, out_name="plain") / "report.xlsx", "findings")
    assert any(ID_AT.match(str(v)) for v in column(plain, "Số định danh") if v)


def test_summary_sheet_is_readable_and_has_no_json(here: Path):
    out = _run(here)
    path = out / "report.xlsx"
    cells = summary_cells(path)
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    by_rule = summary["counts"]["by_rule"]
    head = next(r for r in cells if r[:1] == ["Tệp"] and r[-1:] == ["Tổng"])
    assert sorted(head[1:-1]) == sorted(by_rule)
    for inp in summary["inputs"]:
        line = next(r for r in cells if r[:1] == [inp["source"]] and len(r) == len(head))
        assert line[-1] == inp["findings"]
    total = next(r for r in cells if r[:1] == ["Tổng"] and len(r) == len(head))
    assert total[1:] == [*(by_rule[r] for r in head[1:-1]), summary["counts"]["findings"]]
    assert ["bhxh.csv", "bhxh", 630, summary["inputs"][0]["findings"], "csv", "utf-8"] in [
        r[:6] for r in cells
    ]
    assert ["Phát hiện", summary["counts"]["findings"]] in cells
    for value in (v for r in cells for v in r if isinstance(v, str)):
        assert not value.lstrip().startswith(("{", "[")), value
        with pytest.raises(ValueError):
            json.loads(value) if value.strip()[:1] in '{["' else int("x")


def test_terminal_summary_names_the_report(here: Path, monkeypatch: pytest.MonkeyPatch):
    import cleanse.report as report

    printed: list[str] = []

    class Console:
        is_terminal = True

        def print(self, *args: Any, **kwargs: Any) -> None:
            printed.append(" ".join(str(a) for a in args))

    monkeypatch.setattr(report, "console", lambda: Console())
    summary = {
        "inputs": [],
        "counts": {"by_rule": {}, "by_severity": {"error": 0, "warning": 0}, "rows_with_errors": 0},
    }
    report.render_summary(summary, "vi", "ket-qua", report=True)
    assert printed[-1] == f"Báo cáo để mở bằng Excel: {Path('ket-qua') / 'report.xlsx'}"


# --- through the library -----------------------------------------------------------------


def findings(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["bhxh.csv"] * n,
            "row": pd.array(range(1, n + 1), dtype="Int64"),
            "rule": ["id.leading_zeros"] * n,
            "severity": ["error"] * n,
            "field": ["id_number"] * n,
            "value": [f"10850123{i:02d}" for i in range(n)],
            "message": ["số định danh mất số 0 ở đầu & <cần sửa>"] * n,
            "suggestion": [f"0010850123{i:02d}" for i in range(n)],
        }
    )


def people(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["bhxh.csv"] * n,
            "row": range(1, n + 1),
            "full_name": [f"Nguyễn Văn An {i}" for i in range(n)],
            "id_number": [f"0010850123{i:02d}" for i in range(n)],
        }
    )


def test_library_report_with_people_in_english(tmp_path: Path):
    table = attach_people(findings(3), people(3))
    write_tables({"findings": table}, tmp_path, ["xlsx", "csv"], lang="en")
    rows = sheet(tmp_path / "report.xlsx", "findings")
    assert rows[0][:2] == ["Source file", "Row"] and rows[0][4:6] == ["Full name", "ID number"]
    got = dict(zip(rows[0], rows[1], strict=True))
    assert [got[k] for k in ("Source file", "Row", "Full name", "ID number", "Rule")] == [
        "bhxh.csv",
        1,
        "Nguyễn Văn An 0",
        "001085012300",
        "id.leading_zeros",
    ]
    assert got["Severity"] == "error" and got["Field"] == "ID number"
    assert rows[1][rows[0].index("Message")] == "số định danh mất số 0 ở đầu & <cần sửa>"
    assert rows[1][rows[0].index("Suggestion")] == "001085012300"
    assert pd.read_csv(tmp_path / "findings.csv").columns.tolist() == FINDING_COLUMNS


def test_library_mask_of_people(tmp_path: Path):
    table = attach_people(findings(2), people(2), mask=True)
    write_tables({"findings": table}, tmp_path, ["xlsx"])
    rows = sheet(tmp_path / "report.xlsx", "findings")
    assert [r[4:6] for r in rows[1:]] == [
        ["N***** V** A* 0", "001******300"],
        ["N***** V** A* 1", "001******301"],
    ]


def test_long_findings_continue_on_more_sheets_never_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(write, "XLSX_MAX_ROWS", 5)  # header + 4 rows a sheet
    table = attach_people(findings(10), people(10))
    write_tables({"findings": table}, tmp_path, ["xlsx"], summary={"command": "validate"})
    path = tmp_path / "report.xlsx"
    titles = ["findings", "findings (2)", "findings (3)"]
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["summary", *titles]
    got: list[Any] = []
    for title in titles:
        ws = wb[title]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        assert rows[0][4:6] == ["Họ và tên", "Số định danh"]
        got += [r[1] for r in rows[1:]]
    assert got == list(range(1, 11))
    assert ["findings", 10, ", ".join(titles)] in summary_cells(path)


def test_diagnoses_and_other_lists_of_dicts_are_tables(tmp_path: Path):
    summary = {
        "command": "validate",
        "inputs": [
            {
                "source": "bhxh.csv",
                "kind": "bhxh",
                "rows": 620,
                "findings": 1,
                "diagnoses": [
                    {"column": "Số định danh cá nhân", "damage": "leading_zeros", "count": 595,
                     "total": 620},
                ],
            }
        ],
        "counts": {"findings": 1, "by_rule": {"id.leading_zeros": 1}},
        "extra": {"nested": {"deeper": [1, 2, 3]}, "flag": True},
    }  # fmt: skip
    write_tables({"findings": findings(1)}, tmp_path, ["xlsx"], summary=summary)
    cells = summary_cells(tmp_path / "report.xlsx")
    head = next(i for i, r in enumerate(cells) if "mất số 0 ở đầu" in r)
    assert cells[head] == ["Số định danh cá nhân", "mất số 0 ở đầu", 595, 620]
    assert len(cells[head - 1]) == 4  # its header row
    assert ["flag", "có"] in cells
    assert ["deeper", "1, 2, 3"] in cells
    assert ["bhxh.csv", 1, 1] in cells  # the files × rules table


def test_awkward_text_reads_back_as_written(tmp_path: Path):
    values = [" spaced ", "a & b < c > d", "=1+1", "x\r\ny", "tab\tin", "ctl\x01", "ký tự Việt"]
    table = findings(len(values)).assign(value=values)
    write_tables({"findings": table}, tmp_path, ["xlsx"])
    rows = sheet(tmp_path / "report.xlsx", "findings")
    got = column(rows, "Giá trị")
    assert got == [
        " spaced ",
        "a & b < c > d",
        "'=1+1",
        "x\ny",
        "tab\tin",
        "ctl\ufffd",
        "ký tự Việt",
    ]


def test_numbers_and_booleans_keep_their_type(tmp_path: Path):
    links = pd.DataFrame(
        {
            "left_row": pd.array([1, None], dtype="Int64"),
            "score": [0.875, float("nan")],
            "flag": [True, False],
            "reason": ["tên, ngày sinh", None],
        }
    )
    write_tables({"links": links}, tmp_path, ["xlsx"], lang="en")
    rows = sheet(tmp_path / "report.xlsx", "links")
    assert rows[0] == ["Row (left)", "Score", "flag", "Reason"]
    assert rows[1:] == [[1, 0.875, True, "tên, ngày sinh"], [None, None, False, None]]


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_the_report(here: Path):
    out = _run(here)
    profile = here / "profile"
    done = subprocess.run(
        [
            str(soffice()),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(here / "lo"),
            str(out / "report.xlsx"),
        ],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    made = here / "lo" / "report-findings.csv"
    back = pd.read_csv(made, dtype=str, keep_default_na=False)
    parquet = pd.read_parquet(out / "findings.parquet")
    assert len(back) == len(parquet)
    assert (
        back["Dòng"].tolist()
        == parquet["row"].astype("Int64").astype(str).replace("<NA>", "").tolist()
    )
    ids = [v for v in back["Số định danh"] if v]
    assert any(v.startswith("0") and len(v) == 12 for v in ids)


def test_zip64_only_for_a_sheet_that_may_pass_2_gib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import zipfile

    import cleanse.xlsx.workbook as xlsx  # where write_workbook looks it up

    write_tables({"findings": findings(3)}, tmp_path, ["xlsx"])
    with zipfile.ZipFile(tmp_path / "report.xlsx") as z:
        assert z.getinfo("xl/worksheets/sheet2.xml").extract_version < 45  # a plain entry
    monkeypatch.setattr(xlsx, "_may_pass_2gib", lambda part: True)
    write_tables({"findings": findings(3)}, tmp_path, ["xlsx"])
    with zipfile.ZipFile(tmp_path / "report.xlsx") as z:
        assert z.getinfo("xl/worksheets/sheet2.xml").extract_version >= 45  # Zip64
    assert column(sheet(tmp_path / "report.xlsx", "findings"), "Dòng") == [1, 2, 3]
