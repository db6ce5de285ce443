"""The spreadsheet twins of ``cleanse sample --spreadsheet``, read back with openpyxl.

Each twin is compared cell by cell with the CSV it was made from: the cells are numbers,
dates and text exactly as the truth says, the rounded IDs are rounded and the swapped
dates swapped. The LibreOffice helper is checked on this machine's LibreOffice (skipped
without one), and its round trip of the sample's CSV must equal the twins.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import libreoffice_xlsx, soffice

from cleanse.cli import cli
from cleanse.sample import COLUMNS, FORMATS, SOURCES, write_samples
from cleanse.sample.sheets import ROUNDED_SHARE, rounded, scientific

DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{4})$")
needs_libreoffice = pytest.mark.skipif(soffice() is None, reason="LibreOffice not installed")


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("twins")
    write_samples(out, persons=2000, seed=0, spreadsheet=True)
    return out


def _csv(out: Path, name: str) -> pd.DataFrame:
    encoding, sep = FORMATS[name]
    return pd.read_csv(out / name, dtype=str, keep_default_na=False, sep=sep, encoding=encoding)


def _sheet(path: Path) -> tuple[list[object], list[tuple[object, ...]]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    return list(rows[0]), rows[1:]


def _truth(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    read = {"dtype": str, "keep_default_na": False}
    return (
        pd.read_csv(out / "truth" / "spreadsheet_columns.csv", **read),
        pd.read_csv(out / "truth" / "spreadsheet_cells.csv", **read),
    )


def _expected(text: str, month_first: bool) -> object:
    """The cell a spreadsheet's import makes of a CSV text (no rounding)."""
    if text == "":
        return None
    if re.fullmatch(r"\d{1,15}", text):
        return int(text)
    number = None
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", text):
        number = float(text)
    elif not month_first and re.fullmatch(r"\d+,\d+", text):
        number = float(text.replace(",", "."))
    if number is not None:  # a whole number reads back as an int
        return int(number) if number.is_integer() else number
    m = DATE.match(text)
    if m:
        first, second, year = map(int, m.groups())
        day, month = (second, first) if month_first else (first, second)
        try:
            if year >= 1900:
                return datetime(year, month, day)
        except ValueError:
            pass
    return text


@pytest.mark.parametrize("name", SOURCES)
@pytest.mark.parametrize("month_first", [False, True], ids=["day_first", "month_first"])
def test_cells_are_what_the_truth_says(twins: Path, name: str, month_first: bool) -> None:
    stem = name.removesuffix(".csv")
    file = f"spreadsheet/{stem}{'.month-first' if month_first else ''}.xlsx"
    header, rows = _sheet(twins / file)
    csv = _csv(twins, name)
    assert header == list(csv.columns) == [h for _, h in COLUMNS[name]]
    assert len(rows) == len(csv)
    columns, cells = _truth(twins)
    columns, cells = columns[columns["file"] == file], cells[cells["file"] == file]
    fields = dict((h, f) for f, h in COLUMNS[name])
    recount: dict[tuple[str, str], int] = {}

    def count(column: str, damage: str) -> None:
        recount[column, damage] = recount.get((column, damage), 0) + 1

    rounded_cells = {
        (int(r), c): v
        for r, c, v in cells.loc[
            cells["damage"] == "rounded", ["row", "column", "cell"]
        ].itertuples(index=False)  # noqa: E501
    }
    for j, column in enumerate(header):
        assert isinstance(column, str)
        texts = csv[column].tolist()
        has_dates = any(isinstance(r[j], datetime) for r in rows)
        for i, (text, cell) in enumerate(zip(texts, (r[j] for r in rows), strict=True), 1):
            want = _expected(text, month_first)
            if (i, column) in rounded_cells:
                assert not month_first
                assert cell == rounded(int(text)) == int(rounded_cells[i, column]) != int(text)
                assert scientific(int(text)).endswith(f"E+{len(str(int(text))) - 1:02d}")
                count(column, "numeric")
                count(column, "rounded")
                continue
            assert cell == want and type(cell) is type(want), (file, i, column, text, cell)
            if isinstance(cell, int | float):
                count(column, "numeric")
                if text.startswith("0") and len(text) > 1:
                    count(column, "leading_zeros")
            elif isinstance(cell, datetime):
                first, second, _ = DATE.match(text).groups()  # type: ignore[union-attr]
                count(column, "day_month_swapped" if month_first and first != second else "date")
            elif has_dates and DATE.match(text):
                count(column, "date_text")
    listed = {
        (c, d): int(n) for c, d, n in columns[["column", "damage", "cells"]].itertuples(index=False)
    }
    assert listed == recount
    assert set(columns["field"]) <= set(fields.values())
    assert (columns["rows"] == str(len(csv))).all()

    swapped = cells[cells["damage"] == "day_month_swapped"]
    assert len(swapped) == sum(n for (_, d), n in recount.items() if d == "day_month_swapped")
    for row, column, cell, value in swapped[["row", "column", "cell", "value"]].itertuples(
        index=False
    ):
        got = rows[int(row) - 1][header.index(column)]
        assert isinstance(got, datetime) and got.date().isoformat() == cell
        assert csv[column].iloc[int(row) - 1] == value == got.strftime("%m/%d/%Y")
    assert (cells["sheet_row"].astype(int) == cells["row"].astype(int) + 1).all()


def test_damage_shares_are_realistic(twins: Path) -> None:
    columns, cells = _truth(twins)
    day_first = columns[~columns["file"].str.contains("month-first")]
    for name in SOURCES:
        csv = _csv(twins, name)
        ids = csv[dict(COLUMNS[name])["id_number"]]
        of = day_first[(day_first["source"] == name) & (day_first["field"] == "id_number")]
        by = dict(zip(of["damage"], of["cells"].astype(int), strict=True))
        # Every ID of digits is a number; a few percent at most rounded, at least one.
        assert by["numeric"] == ids.str.fullmatch(r"\d{1,15}|\d\.\d+E\+\d+").sum()
        assert 1 <= by["rounded"] <= max(1, 0.03 * len(csv))
        assert by["rounded"] == pytest.approx(ROUNDED_SHARE * len(csv), rel=0.5, abs=1)
        assert by["leading_zeros"] + by["rounded"] == ids.str.fullmatch(r"0\d+").sum()
    # The month-first twins round nothing; about 40 % of birth dates read swapped.
    month_first = columns[columns["file"].str.contains("month-first")]
    assert "rounded" not in set(month_first["damage"])
    dob = (
        month_first[(month_first["field"] == "dob")]
        .groupby("damage")["cells"]
        .apply(lambda s: s.astype(int).sum())
    )
    assert 0.3 < dob["day_month_swapped"] / dob.sum() < 0.45
    # Rounded IDs only on rows the truth is otherwise silent about; where the BHXH
    # column holds the person's ID (legal since 08/2025) it says so.
    truth = pd.read_csv(twins / "truth" / "findings.csv", dtype=str, keep_default_na=False)
    busy = set(zip(truth["source"], truth["row"], strict=True))
    busy |= set(zip(truth["source"], truth["related_row"], strict=True))
    gone = cells[cells["damage"] == "rounded"]
    assert not busy & set(zip(gone["source"], gone["row"], strict=True))
    bhxh = _csv(twins, "bhxh.csv")
    same = gone[gone["same_id_in"] == "bhxh_code"]
    assert len(same) >= 1 and set(same["source"]) == {"bhxh.csv"}
    for row, value in same[["row", "value"]].itertuples(index=False):
        assert bhxh["Mã số BHXH"].iloc[int(row) - 1] == value
    _, rows = _sheet(twins / "spreadsheet" / "bhxh.xlsx")
    for row, value in same[["row", "value"]].itertuples(index=False):
        assert rows[int(row) - 1][0] == int(value)  # the BHXH cell: the ID, unrounded


def test_rounding_is_excel_general() -> None:
    assert rounded(86203312345) == 86203300000
    assert scientific(86203312345) == "8.62033E+10"
    assert rounded(1194122472) == 1194120000 and scientific(1194122472) == "1.19412E+09"
    assert rounded(86203350000) == 86203400000  # half up
    assert scientific(80000000000) == "8E+10"


def test_same_seed_same_bytes_and_csvs_untouched(tmp_path: Path) -> None:
    a, b, c, plain = (tmp_path / n for n in ("a", "b", "c", "plain"))
    counts = write_samples(a, persons=300, seed=3, spreadsheet=True)
    write_samples(b, persons=300, seed=3, spreadsheet=True)
    write_samples(c, persons=300, seed=4, spreadsheet=True)
    assert write_samples(plain, persons=300, seed=3) == {
        k: v for k, v in counts.items() if not k.startswith(("spreadsheet/", "truth/spreadsheet"))
    }
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert len([f for f in files if f.suffix == ".xlsx"]) == 8
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    assert (a / "spreadsheet" / "bhxh.xlsx").read_bytes() != (
        c / "spreadsheet" / "bhxh.xlsx"
    ).read_bytes()
    # The extracts and their truth are the same with or without the twins.
    assert not (plain / "spreadsheet").exists()
    assert not (plain / "truth" / "spreadsheet_cells.csv").exists()
    for p in plain.rglob("*"):
        if p.is_file():
            assert p.read_bytes() == (a / p.relative_to(plain)).read_bytes(), p


def test_cli_flag(tmp_path: Path) -> None:
    out = tmp_path / "s"
    done = CliRunner().invoke(
        cli, ["sample", "--out", str(out), "--persons", "200", "--spreadsheet", "-q"]
    )
    assert done.exit_code == 0, done.output
    assert (out / "spreadsheet" / "dancu.month-first.xlsx").is_file()
    assert (out / "truth" / "spreadsheet_columns.csv").is_file()
    done = CliRunner().invoke(
        cli, ["sample", "--out", str(tmp_path / "big"), "--persons", "2000000", "--spreadsheet"]
    )
    assert done.exit_code == 2 and "1,000,000" in done.output
    assert not (tmp_path / "big").exists()


# --- LibreOffice ----------------------------------------------------------------------


@needs_libreoffice
@pytest.mark.parametrize("sep", [",", ";"])
def test_libreoffice_types_cells_as_an_officer_gets_them(tmp_path: Path, sep: str) -> None:
    src = tmp_path / "ds.csv"
    src.write_text(
        sep.join(["Số định danh cá nhân", "Họ và tên", "Ngày sinh"])
        + "\n"
        + "\n".join(
            sep.join(r)
            for r in (
                ["001085012345", "Nguyễn Văn An", "25/05/1990"],
                ["079190012346", "Trần Thị Bình", "03/04/1985"],
                ["", "Lê Văn Cường", "1970"],
            )
        )
        + "\n",
        encoding="utf-8",
    )
    header, rows = _sheet(libreoffice_xlsx(src, tmp_path / "lo"))
    assert header == ["Số định danh cá nhân", "Họ và tên", "Ngày sinh"]
    assert rows == [
        (1085012345, "Nguyễn Văn An", datetime(1990, 5, 25)),
        (79190012346, "Trần Thị Bình", datetime(1985, 4, 3)),
        (None, "Lê Văn Cường", 1970),
    ]
    path = libreoffice_xlsx(src, tmp_path / "lo", month_first=True)
    assert path.name == "ds.month-first.xlsx"
    _, rows = _sheet(path)
    assert [r[2] for r in rows] == ["25/05/1990", datetime(1985, 3, 4), 1970]


@needs_libreoffice
@pytest.mark.parametrize("month_first", [False, True], ids=["day_first", "month_first"])
def test_libreoffice_round_trip_equals_the_twin(
    twins: Path, tmp_path: Path, month_first: bool
) -> None:  # noqa: E501
    """LibreOffice's save of bhxh.csv is the twin, but for the IDs pasted in rounded."""
    made = libreoffice_xlsx(twins / "bhxh.csv", tmp_path, month_first=month_first)
    _, lo = _sheet(made)
    _, twin = _sheet(twins / "spreadsheet" / made.name)
    _, cells = _truth(twins)
    gone = cells[(cells["file"] == f"spreadsheet/{made.name}") & (cells["damage"] == "rounded")]
    differ = {
        (i, j)
        for i, (a, b) in enumerate(zip(lo, twin, strict=True), 1)
        for j, (x, y) in enumerate(zip(a, b, strict=True))
        if x != y or type(x) is not type(y)
    }
    assert differ == {(int(r), 1) for r in gone["row"]}
    assert bool(differ) is not month_first


def test_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/spreadsheet.py at 300 persons, without LibreOffice (no figures asserted)."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [
            sys.executable,
            str(root / "benchmarks" / "spreadsheet.py"),
            *("--out", str(tmp_path), "--persons", "300", "--no-libreoffice"),
        ],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads((tmp_path / "spreadsheet.json").read_text(encoding="utf-8"))
    assert set(results) == {"csv", "sheet", "sheet_month_first"}
    assert results["csv"]["invented_ids"] == 0
    assert "findings" in done.stdout and "invented IDs" in done.stdout
