"""write_tables / write_summary (SPEC §5): the same columns and values in every format,
text kept as text, formula-like text neutralised, --mask applied everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cleanse import write
from cleanse.write import FINDING_COLUMNS, empty_findings, write_summary, write_tables
from cleanse.xlsx import header_label

# The report's headers are in the run's language (vi unless told).
# The report leads with where the record is (file, row, the spreadsheet's row and column).
REPORT_ORDER = [
    "source",
    "row",
    "sheet_row",
    "column",
    *(c for c in FINDING_COLUMNS if c not in ("source", "row", "sheet_row", "column")),
]
FINDING_HEADERS = [header_label(c, "vi") for c in REPORT_ORDER]
VALUE = REPORT_ORDER.index("value")  # the value's position in a report row

BOM = b"\xef\xbb\xbf"
RISKY = ["=1+1", "+84912345678", "-5", "@SUM(A1)", "\tx", "\rx"]


def findings(values: list[str | None]) -> pd.DataFrame:
    """A findings table with one row per value (synthetic data)."""
    n = len(values)
    return pd.DataFrame(
        {
            "source": ["ho_tich.csv"] * n,
            "row": pd.array(range(2, n + 2), dtype="Int64"),
            "rule": ["id.invalid"] * n,
            "severity": ["error"] * n,
            "field": ["id"] * n,
            "value": pd.Series(values, dtype="str"),
            "message": ["số định danh sai"] * n,
            "suggestion": [None] * n,
            "related_source": ["bhxh.xlsx"] + [None] * (n - 1),
            "related_row": pd.array([5] + [None] * (n - 1), dtype="Int64"),
        }
    )


def read_csv(path: Path) -> pd.DataFrame:
    assert path.read_bytes().startswith(BOM)
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def read_sheet(path: Path, title: str, *, trim: bool = False) -> list[list[object]]:
    """The sheet's values; with ``trim`` each row without the empty cells at its end."""
    rows = []
    for row in openpyxl.load_workbook(path)[title].iter_rows(values_only=True):
        values = list(row)
        while trim and values and values[-1] is None:
            values.pop()
        rows.append(values)
    return rows


def cell_of(path: Path, title: str, value: str) -> openpyxl.cell.Cell:
    for row in openpyxl.load_workbook(path)[title].iter_rows():
        for cell in row:
            if cell.value == value:
                return cell
    raise AssertionError(f"{value!r} not on sheet {title!r}")


@pytest.fixture
def table() -> pd.DataFrame:
    return findings(["001085012345", "Nguyễn Văn An", None, "", "#N/A"])


def test_returns_the_paths_it_wrote(tmp_path: Path, table: pd.DataFrame):
    paths = write_tables({"findings": table}, tmp_path, ["parquet", "csv", "xlsx"])
    assert paths == [
        tmp_path / "findings.parquet",
        tmp_path / "findings.csv",
        tmp_path / "report.xlsx",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)


def test_parquet_round_trips_with_types(tmp_path: Path, table: pd.DataFrame):
    write_tables({"findings": table}, tmp_path, ["parquet"])
    got = pq.read_table(tmp_path / "findings.parquet")
    assert got.column_names == FINDING_COLUMNS
    assert got.schema.field("row").type == pa.int64()
    assert got.schema.field("related_row").type == pa.int64()
    assert got.schema.field("suggestion").type == pa.string()
    assert got.column("value").to_pylist() == ["001085012345", "Nguyễn Văn An", None, "", "#N/A"]
    assert got.column("related_row").to_pylist() == [5, None, None, None, None]


def test_csv_round_trips_as_text_with_bom(tmp_path: Path, table: pd.DataFrame):
    write_tables({"findings": table}, tmp_path, ["csv"])
    raw = (tmp_path / "findings.csv").read_bytes()
    assert raw.startswith(BOM + b"source,row,rule,")
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")  # CRLF line ends
    got = read_csv(tmp_path / "findings.csv")
    assert got.columns.tolist() == FINDING_COLUMNS
    assert got["value"].tolist() == ["001085012345", "Nguyễn Văn An", "", "", "#N/A"]
    assert got["row"].tolist() == ["2", "3", "4", "5", "6"]
    assert got["related_row"].tolist() == ["5", "", "", "", ""]
    assert got["message"].iloc[0] == "số định danh sai"


def test_xlsx_keeps_ids_as_text(tmp_path: Path, table: pd.DataFrame):
    write_tables({"findings": table}, tmp_path, ["xlsx"])
    path = tmp_path / "report.xlsx"
    rows = read_sheet(path, "findings")
    assert rows[0] == FINDING_HEADERS
    assert [r[VALUE] for r in rows[1:]] == ["001085012345", "Nguyễn Văn An", None, None, "#N/A"]
    assert [r[1] for r in rows[1:]] == [2, 3, 4, 5, 6]
    id_cell = cell_of(path, "findings", "001085012345")
    assert isinstance(id_cell.value, str)
    assert id_cell.number_format == "@"
    assert cell_of(path, "findings", "#N/A").data_type == "s"  # text, not an Excel error
    ws = openpyxl.load_workbook(path)["findings"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.b
    message = ws.cell(1, REPORT_ORDER.index("message") + 1).column_letter
    assert ws.column_dimensions[message].width >= len("số định danh sai")


def test_summary_sheet_comes_first(tmp_path: Path, table: pd.DataFrame):
    summary = {
        "version": "0.1.0",
        "started_at": pd.Timestamp("2025-01-02 03:04:05"),
        "counts": {"findings": np.int64(5), "rows_with_errors": np.int64(4)},
        "rules": {"id.invalid": {"severity": "error", "count": np.int64(5)}},
        "inputs": [{"source": "ho_tich.csv", "rows": 5, "kind": "hotich"}],
    }
    persons = pd.DataFrame({"person_id": ["P1"], "source": ["ho_tich.csv"], "row": [2]})
    write_tables(
        {"findings": table, "persons": persons}, tmp_path, ["xlsx"], summary=summary, lang="en"
    )
    path = tmp_path / "report.xlsx"
    assert openpyxl.load_workbook(path).sheetnames == ["summary", "findings", "persons"]
    rows = [r for r in read_sheet(path, "summary", trim=True) if r]
    assert ["Version", "0.1.0"] in rows
    assert ["Started at", "2025-01-02T03:04:05"] in rows
    assert ["Rows with errors", 4] in rows
    assert ["File", "Kind", "Rows"] in rows
    assert ["ho_tich.csv", "hotich", 5] in rows
    # A dict of dicts is a small table, never JSON text.
    assert ["id.invalid", "error", 5] in rows
    assert ["File", "id.invalid", "Total"] in rows
    assert ["ho_tich.csv", 5, 5] in rows
    assert ["findings", 5, "findings"] in rows
    assert ["persons", 1, "persons"] in rows


@pytest.mark.parametrize("risky", RISKY)
def test_formula_like_text_is_neutralised(tmp_path: Path, risky: str):
    table = findings([risky, "Nguyễn"])
    write_tables({"findings": table}, tmp_path, ["parquet", "csv", "xlsx"])
    assert read_csv(tmp_path / "findings.csv")["value"].tolist() == ["'" + risky, "Nguyễn"]
    rows = read_sheet(tmp_path / "report.xlsx", "findings")
    # XML reads a bare carriage return back as a line feed.
    assert [r[VALUE] for r in rows[1:]] == ["'" + risky.replace("\r", "\n"), "Nguyễn"]
    raw = pq.read_table(tmp_path / "findings.parquet").column("value").to_pylist()
    assert raw == [risky, "Nguyễn"]


def test_numbers_are_not_neutralised(tmp_path: Path):
    table = pd.DataFrame({"left_row": pd.array([-5], dtype="Int64"), "score": [-0.5]})
    write_tables({"links": table}, tmp_path, ["csv", "xlsx"])
    assert read_csv(tmp_path / "links.csv").values.tolist() == [["-5", "-0.5"]]
    assert read_sheet(tmp_path / "report.xlsx", "links")[1] == [-5, -0.5]


def test_mask_applies_to_ids_in_every_format(tmp_path: Path):
    # Masking is the run layer's (cleanse.run.Outcome), the same for every format.
    from cleanse.options import OutputOptions
    from cleanse.run import Outcome

    table = findings(["001085012345", "0123456789"]).assign(field=["id_number", "bhxh_code"])
    table["source"] = "001085012345.csv"  # same digits, not an ID field: not masked
    summary = {"counts": {"by_severity": {"error": 2}, "findings": 2}, "lang": "vi"}
    outcome = Outcome("validate", {"findings": table}, summary, None, OutputOptions(mask=True), [])
    outcome.write_into(tmp_path)
    masked = ["001******345", "012****789"]
    parquet = pq.read_table(tmp_path / "findings.parquet")
    assert parquet.column("value").to_pylist() == masked
    assert parquet.column("source").to_pylist() == ["001085012345.csv"] * 2
    csv = read_csv(tmp_path / "findings.csv")
    assert csv["value"].tolist() == masked
    assert csv["source"].tolist() == ["001085012345.csv"] * 2
    rows = read_sheet(tmp_path / "report.xlsx", "findings")
    value = rows[0].index("Giá trị")  # the report puts the person beside the finding
    assert [r[value] for r in rows[1:]] == masked
    assert [r[0] for r in rows[1:]] == ["001085012345.csv"] * 2
    assert "findings.csv" in json.loads((tmp_path / "summary.json").read_text())["files"]


def test_long_tables_continue_on_more_sheets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(write, "XLSX_MAX_ROWS", 4)  # header + 3 rows a sheet
    values = [f"0010850123{i:02d}" for i in range(8)]
    write_tables({"findings": findings(values)}, tmp_path, ["xlsx"])
    path = tmp_path / "report.xlsx"
    titles = ["findings", "findings (2)", "findings (3)"]
    assert openpyxl.load_workbook(path).sheetnames == ["summary", *titles]
    got = []
    for title in titles:
        rows = read_sheet(path, title)
        assert rows[0] == FINDING_HEADERS
        got += [r[VALUE] for r in rows[1:]]
    assert got == values
    summary = read_sheet(path, "summary", trim=True)
    assert ["findings", 8, ", ".join(titles)] in summary


def test_empty_tables_still_have_headers(tmp_path: Path):
    write_tables({"findings": empty_findings()}, tmp_path, ["parquet", "csv", "xlsx"])
    assert pq.read_table(tmp_path / "findings.parquet").column_names == FINDING_COLUMNS
    assert pq.read_table(tmp_path / "findings.parquet").num_rows == 0
    assert read_csv(tmp_path / "findings.csv").columns.tolist() == FINDING_COLUMNS
    assert read_sheet(tmp_path / "report.xlsx", "findings") == [FINDING_HEADERS]


def test_missing_findings_columns_are_written_empty_as_text(tmp_path: Path):
    table = pd.DataFrame({"row": [3], "rule": ["dob.invalid"], "source": ["a.csv"]})
    write_tables({"findings": table}, tmp_path, ["parquet", "csv"])
    got = pq.read_table(tmp_path / "findings.parquet")
    assert got.column_names == FINDING_COLUMNS
    assert got.schema.field("message").type == pa.string()
    assert got.schema.field("related_row").type == pa.int64()
    csv = read_csv(tmp_path / "findings.csv")
    assert csv[["row", "rule", "value"]].values.tolist() == [["3", "dob.invalid", ""]]


def test_control_characters_do_not_break_the_workbook(tmp_path: Path):
    write_tables({"findings": findings(["An\x01h"])}, tmp_path, ["xlsx"])
    assert read_sheet(tmp_path / "report.xlsx", "findings")[1][VALUE] == "An\ufffdh"


@pytest.mark.parametrize("name", ["../x", "a/b", "summary", ""])
def test_table_names_stay_inside_the_folder(tmp_path: Path, name: str):
    with pytest.raises(ValueError):
        write_tables({name: pd.DataFrame({"a": ["1"]})}, tmp_path, ["csv"])
    assert list(tmp_path.iterdir()) == []


def test_unknown_format_is_refused(tmp_path: Path, table: pd.DataFrame):
    with pytest.raises(ValueError, match="json"):
        write_tables({"findings": table}, tmp_path, ["json"])


def test_write_summary_makes_values_plain(tmp_path: Path):
    summary = {
        "version": "0.1.0",
        "rows": np.int64(12),
        "share": np.float64(0.5),
        "missing": np.float64("nan"),
        "started": pd.Timestamp("2025-01-02 03:04:05"),
        "duration": pd.Timedelta(seconds=1.5),
        "files": [{"path": Path("in/hộ tịch.csv"), "rows": np.int32(3)}],
        "rules": {"id.invalid": np.int64(2), 7: "seven"},
        "kinds": {"ho_tich", "bhxh"},
    }
    path = write_summary(summary, tmp_path)
    assert path == tmp_path / "summary.json"
    text = path.read_text(encoding="utf-8")
    assert "hộ tịch" in text  # ensure_ascii=False
    got = json.loads(text)
    assert list(got) == sorted(got)
    assert got == {
        "duration": 1.5,
        "files": [{"path": "in/hộ tịch.csv", "rows": 3}],
        "kinds": ["bhxh", "ho_tich"],
        "missing": None,
        "rows": 12,
        "rules": {"7": "seven", "id.invalid": 2},
        "share": 0.5,
        "started": "2025-01-02T03:04:05",
        "version": "0.1.0",
    }
