"""Spreadsheet damage diagnosed per column (issue 15): leading zeros of IDs and BHXH
codes, numbers rounded away, month-first dates; ``sheet_row`` and ``column`` on findings;
the ``restored`` table. Through the CLI on files written here, and the library API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import csv_text

from cleanse.cli import cli
from cleanse.validation import validate_files

TODAY = "2026-11-21"
HEAD = ["Mã số BHXH", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Em", "Giang", "Hà", "Khánh", "Lan", "Minh"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]


def person(i: int) -> dict[str, str]:
    """A made-up, consistent person: Hà Nội (001) or TP.HCM (079) ID, BHXH code, birth
    date d/m with days up to 28, gender by parity."""
    male = i % 2 == 0
    year = 1950 + i % 50
    day, month = 1 + (i * 7) % 28, 1 + (i * 5) % 12
    place = "001" if i % 3 else "079"
    digit = ("0" if male else "1") if year < 2000 else ("2" if male else "3")
    id12 = f"{place}{digit}{year % 100:02d}{123457 + i * 37:06d}"
    bhxh = f"{(i % 9) + 1:02d}{12345671 + i * 53:08d}"  # 01..09: all start with 0
    name = f"{SURNAMES[i % 10]} Văn {GIVEN[(i // 10) % 10]}{'' if i < 100 else ' Tư'}"
    return {
        "bhxh_code": bhxh,
        "id_number": id12,
        "full_name": name if male else name.replace(" Văn ", " Thị "),
        "dob": f"{day:02d}/{month:02d}/{year}",
        "gender": "Nam" if male else "Nữ",
    }


PEOPLE = [person(i) for i in range(60)]
FIELDS = ["bhxh_code", "id_number", "full_name", "dob", "gender"]


def write_csv(path: Path, people: list[dict[str, str]], title_lines: int = 0) -> Path:
    rows = [[p[f] for f in FIELDS] for p in people]
    titles = [["DANH SÁCH NGƯỜI THAM GIA BHXH"] + [""] * 4] * title_lines
    path.write_text(csv_text([*titles, HEAD, *rows]), encoding="utf-8")
    return path


def write_xlsx(
    path: Path,
    people: list[dict[str, str]],
    *,
    numbers: bool = True,
    month_first: bool = False,
    rounded: dict[int, int] | None = None,
    blank_after: int | None = None,
) -> Path:
    """The extract as a spreadsheet saves it: ID and BHXH as number cells (``numbers``),
    every d/m/yyyy date a date cell, or (``month_first``) read month/day: a date cell
    with day and month swapped when both are 12 or less, text otherwise. ``rounded``:
    row index -> the number stored instead of the ID."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEAD)
    for i, p in enumerate(people):
        d, m, y = (int(x) for x in p["dob"].split("/"))
        date: object = dt.datetime(y, m, d)
        if month_first:
            date = dt.datetime(y, d, m) if d <= 12 else p["dob"]
        ident: object = int(p["id_number"]) if numbers else p["id_number"]
        if rounded and i in rounded:
            ident = rounded[i]
        bhxh: object = int(p["bhxh_code"]) if numbers else p["bhxh_code"]
        ws.append([bhxh, ident, p["full_name"], date, p["gender"]])
        if blank_after is not None and i == blank_after:
            ws.append([None] * 5)
    wb.save(path)
    return path


def run(*args: object) -> tuple[CliRunner, object]:
    runner = CliRunner()
    result = runner.invoke(cli, ["validate", *map(str, args), "--today", TODAY])
    return runner, result


def findings(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def restored(out: Path) -> pd.DataFrame:
    return pd.read_csv(out / "restored.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


# --- leading zeros --------------------------------------------------------------------


def test_xlsx_with_number_cells_gets_one_note_per_column(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bhxh.xlsx", PEOPLE)
    out = tmp_path / "out"
    _, result = run(path, "--out", out, "--format", "csv")
    assert result.exit_code == 1, result.output
    f = findings(out)
    assert f[["row", "rule", "field", "column"]].values.tolist() == [
        ["", "id.leading_zeros", "bhxh_code", "Mã số BHXH"],
        ["", "id.leading_zeros", "id_number", "Số định danh cá nhân"],
    ]
    lost = sum(p["id_number"].startswith("0") for p in PEOPLE)  # all of them
    assert f["message"].iloc[1] == (
        f'Cột "Số định danh cá nhân" đã qua bảng tính: {lost}/60 số mất số 0 ở đầu, đã khôi phục'
    )
    r = restored(out)
    assert list(r.columns) == ["source", "row", "sheet_row", "column", "value", "restored"]
    ids = r[r["column"] == "Số định danh cá nhân"]
    assert len(ids) == 60
    first = ids.iloc[0]
    assert (first["row"], first["sheet_row"]) == ("1", "2")
    assert first["restored"] == PEOPLE[0]["id_number"]
    assert first["value"] == PEOPLE[0]["id_number"].lstrip("0")
    entries = summary(out)["inputs"][0]["diagnoses"]
    assert [(e["column"], e["damage"], e["count"], e["total"]) for e in entries] == [
        ("Số định danh cá nhân", "leading_zeros", 60, 60),
        ("Mã số BHXH", "leading_zeros", 60, 60),
    ]
    assert entries[0]["evidence"]["numeric_cells"] == 60


def test_real_error_behind_the_damage_surfaces_once(tmp_path: Path) -> None:
    people = [dict(p) for p in PEOPLE]
    people[4]["id_number"] = "003" + people[4]["id_number"][3:]  # an unassigned place code
    path = write_xlsx(tmp_path / "bhxh.xlsx", people)
    out = tmp_path / "out"
    run(path, "--out", out, "--format", "csv")
    f = findings(out)
    rows = f[f["row"] != ""][["row", "sheet_row", "rule", "column"]].values.tolist()
    assert rows == [["5", "6", "id.place_code", "Số định danh cá nhân"]]


def test_clean_xlsx_with_text_ids_gets_no_note(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bhxh.xlsx", PEOPLE, numbers=False)
    out = tmp_path / "out"
    _, result = run(path, "--out", out, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert findings(out).empty
    assert not (out / "restored.csv").exists()
    assert summary(out)["inputs"][0]["diagnoses"] == []


def test_intact_text_column_with_a_few_short_numbers_is_not_damaged(tmp_path: Path) -> None:
    people = [dict(p) for p in PEOPLE]
    for i in (3, 17):
        people[i]["id_number"] = people[i]["id_number"].lstrip("0")  # typed without zeros
    out = tmp_path / "out"
    run(write_csv(tmp_path / "bhxh.csv", people), "--out", out, "--format", "csv")
    f = findings(out)
    assert f[["row", "rule", "suggestion"]].values.tolist() == [
        ["4", "id.format", ""],
        ["18", "id.format", ""],
    ]
    assert not (out / "restored.csv").exists()


def test_text_file_where_no_value_keeps_a_zero_is_damaged(tmp_path: Path) -> None:
    people = [dict(p, id_number=p["id_number"].lstrip("0")) for p in PEOPLE]
    out = tmp_path / "out"
    run(write_csv(tmp_path / "bhxh.csv", people), "--out", out, "--format", "csv")
    f = findings(out)
    assert f[["row", "rule", "field"]].values.tolist() == [["", "id.leading_zeros", "id_number"]]
    assert len(restored(out)) == 60


def test_bhxh_column_restored_like_ids(tmp_path: Path) -> None:
    """Before: the same damage gave false bhxh.format findings."""
    path = write_xlsx(tmp_path / "bhxh.xlsx", PEOPLE)
    out = tmp_path / "out"
    run(path, "--out", out, "--format", "csv")
    assert "bhxh.format" not in set(findings(out)["rule"])
    r = restored(out)
    codes = r[r["column"] == "Mã số BHXH"]
    assert codes["restored"].tolist() == [p["bhxh_code"] for p in PEOPLE]


# --- rounded numbers --------------------------------------------------------------------


def test_rounded_number_is_never_restored(tmp_path: Path) -> None:
    true_id = PEOPLE[7]["id_number"]  # 079…
    number = int(true_id)
    shown = float(f"{number:.5E}")  # what a General cell displayed: 6 significant digits
    path = write_xlsx(tmp_path / "bhxh.xlsx", PEOPLE, rounded={7: int(shown)})
    out = tmp_path / "out"
    run(path, "--out", out, "--format", "csv")
    f = findings(out)
    row = f[f["row"] == "8"]
    assert row[["rule", "field", "suggestion"]].values.tolist() == [["id.format", "id_number", ""]]
    assert "thẻ CCCD" in row["message"].iloc[0]
    r = restored(out)
    assert str(int(shown)) not in set(r["value"])  # the rounded value is not "restored"
    assert not any(v.startswith("0" + str(int(shown))[:6]) and v != true_id for v in r["restored"])
    assert "số bị làm tròn" in f[f["row"] == ""]["message"].iloc[-1]


def test_rounded_id_suggests_the_same_persons_id_in_the_bhxh_column(tmp_path: Path) -> None:
    people = [dict(p) for p in PEOPLE]
    true_id = people[7]["id_number"]
    people[7]["bhxh_code"] = true_id  # a 12-digit ID in the BHXH column (since 08/2025)
    shown = int(float(f"{int(true_id):.5E}"))
    path = write_xlsx(tmp_path / "bhxh.xlsx", people, rounded={7: shown})
    out = tmp_path / "out"
    run(path, "--out", out, "--format", "csv")
    row = findings(out).query("row == '8'")
    assert row[["rule", "suggestion"]].values.tolist() == [["id.format", true_id]]


def test_scientific_text_is_a_format_error_with_its_reason(tmp_path: Path) -> None:
    people = [dict(p) for p in PEOPLE]
    people[2]["id_number"] = "8.62033E+10"
    out = tmp_path / "out"
    run(write_csv(tmp_path / "bhxh.csv", people), "--out", out, "--format", "csv", "--lang", "en")
    row = findings(out).query("row == '3'")
    assert row["rule"].tolist() == ["id.format"]
    assert "digits are lost" in row["message"].iloc[0]
    assert row["suggestion"].tolist() == [""]


# --- month-first dates -------------------------------------------------------------------


def test_month_first_xlsx_is_detected_and_corrected(tmp_path: Path) -> None:
    people = [dict(p) for p in PEOPLE]
    # One real error behind the damage: an ID whose year digits disagree.
    i = next(
        k for k, p in enumerate(people) if int(p["dob"][:2]) <= 12 and p["dob"][:2] != p["dob"][3:5]
    )
    wrong = people[i]["id_number"]
    people[i]["id_number"] = wrong[:4] + f"{(int(wrong[4:6]) + 1) % 100:02d}" + wrong[6:]
    path = write_xlsx(tmp_path / "bhxh.xlsx", people, numbers=False, month_first=True)
    out = tmp_path / "out"
    _, result = run(path, "--out", out, "--format", "csv")
    f = findings(out)
    assert f[["row", "rule", "column"]].values.tolist() == [
        ["", "dob.day_month_swapped", "Ngày sinh"],
        [str(i + 1), "id.birth_year", "Số định danh cá nhân"],
    ]
    swapped = [p for p in people if int(p["dob"][:2]) <= 12 and p["dob"][:2] != p["dob"][3:5]]
    r = restored(out)
    assert r["restored"].tolist() == [p["dob"] for p in swapped]
    d, m, y = swapped[0]["dob"].split("/")
    assert r["value"].iloc[0] == f"{m}/{d}/{y}"  # as the spreadsheet stored it
    assert f"{len(swapped)}/60" in f["message"].iloc[0]
    assert summary(out)["counts"]["by_severity"]["warning"] == 1


def test_day_first_xlsx_dates_are_left_alone(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bhxh.xlsx", PEOPLE, numbers=False)
    out = tmp_path / "out"
    _, result = run(path, "--out", out, "--format", "csv")
    assert result.exit_code == 0
    assert findings(out).empty


def test_month_first_text_file(tmp_path: Path) -> None:
    """A month-first sheet's dates exported as yyyy-mm-dd (each day 12 or less: the
    month it misread) beside the texts it could not read (dd/mm/yyyy, day over 12)."""
    people = [dict(p) for p in PEOPLE]
    for p in people:
        d, m, y = p["dob"].split("/")
        if int(d) <= 12:
            p["dob"] = f"{y}-{d}-{m}"  # read as month d, day m
    out = tmp_path / "out"
    run(write_csv(tmp_path / "bhxh.csv", people), "--out", out, "--format", "csv")
    f = findings(out)
    assert f["rule"].tolist() == ["dob.day_month_swapped"]
    r = restored(out)
    changed = [(p["dob"], q["dob"]) for p, q in zip(people, PEOPLE, strict=True) if p != q]
    changed = [(a, b) for a, b in changed if a.split("-")[1] != a.split("-")[2]]
    assert r["value"].tolist() == [a for a, _ in changed]
    # yyyy-mm-dd swapped back, and read the same day as the original d/m/yyyy
    assert [pd.Timestamp(v) for v in r["restored"]] == [
        pd.Timestamp(dt.datetime.strptime(b, "%d/%m/%Y")) for _, b in changed
    ]


def test_month_first_sheet_written_back_needs_no_repair(tmp_path: Path) -> None:
    """A CSV the month-first sheet wrote back itself: 5/3/1990 for the date it read as
    May 3 is 5 March read day-first, as typed; nothing to swap, nothing said."""
    people = [dict(p) for p in PEOPLE]
    for p in people:
        d, m, y = p["dob"].split("/")
        if int(d) <= 12:
            p["dob"] = f"{int(d)}/{int(m)}/{y}"  # M/D/YYYY of (month d, day m)
    out = tmp_path / "out"
    run(write_csv(tmp_path / "bhxh.csv", people), "--out", out, "--format", "csv")
    assert findings(out).empty


def test_day_first_text_file_is_left_alone(tmp_path: Path) -> None:
    """An ordinary day-first column: both kinds of dates written alike, padded or not."""
    for pad in (True, False):
        people = [dict(p) for p in PEOPLE]
        if not pad:
            for p in people:
                d, m, y = p["dob"].split("/")
                p["dob"] = f"{int(d)}/{int(m)}/{y}"
        out = tmp_path / f"out{pad}"
        run(write_csv(tmp_path / f"d{pad}.csv", people), "--out", out, "--format", "csv")
        assert findings(out).empty, pad


# --- sheet_row and column -----------------------------------------------------------------


@pytest.mark.parametrize("titles", [0, 2])
def test_sheet_row_counts_header_and_title_lines(tmp_path: Path, titles: int) -> None:
    people = [dict(p) for p in PEOPLE[:5]]
    people[2]["full_name"] = "Nguyễn Văn 3"
    out = tmp_path / "out"
    run(write_csv(tmp_path / "bhxh.csv", people, titles), "--out", out, "--format", "csv")
    f = findings(out)
    assert f[["row", "sheet_row", "column"]].values.tolist() == [
        ["3", str(4 + titles), "Họ và tên"]
    ]


def test_sheet_row_in_xlsx_counts_blank_rows(tmp_path: Path) -> None:
    people = [dict(p) for p in PEOPLE[:8]]
    people[6]["gender"] = "X"
    path = write_xlsx(tmp_path / "bhxh.xlsx", people, numbers=False, blank_after=2)
    out = tmp_path / "out"
    run(path, "--out", out, "--format", "csv,parquet")
    f = findings(out)
    # Record 7 is on sheet row 9: the header, six records and one blank row above it.
    assert f[["row", "sheet_row", "column"]].values.tolist() == [["7", "9", "Giới tính"]]
    parquet = pd.read_parquet(out / "findings.parquet")
    assert list(parquet.columns[-2:]) == ["sheet_row", "column"]


def test_library_api(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bhxh.xlsx", PEOPLE, month_first=True)
    run_ = validate_files([str(path)], today=pd.Timestamp(TODAY), lang="en")
    (result,) = run_.files
    assert result.extract.damage.restore == {"id_number", "bhxh_code"}
    assert result.extract.damage.month_first == {"dob"}
    assert [d["damage"] for d in result.diagnoses] == [
        "leading_zeros",
        "leading_zeros",
        "month_first",
    ]
    assert run_.findings["row"].isna().sum() == 3
    assert set(run_.restored["column"]) == {"Số định danh cá nhân", "Mã số BHXH", "Ngày sinh"}
    assert result.diagnoses[2]["message"].startswith(
        'Column "Ngày sinh" went through a month-first'
    )


def test_mask_masks_restored_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "bhxh.xlsx", PEOPLE, month_first=True)
    out = tmp_path / "out"
    run(path, "--out", out, "--format", "csv", "--mask")
    r = restored(out)
    ids = r[r["column"] == "Số định danh cá nhân"]
    assert ids["restored"].str.contains(r"\*").all()
    dates = r[r["column"] == "Ngày sinh"]
    assert dates["restored"].str.fullmatch(r"\d\d/\d\d/\d{4}").all()


# --- reconcile: the linked reference record's ID for a rounded one ------------------------


def _rounded_case(tmp_path: Path, bhxh_id: str) -> pd.DataFrame:
    dancu = tmp_path / "dancu.csv"
    dancu.write_text(
        csv_text(
            [
                ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Quốc tịch"],
                ["086203300123", "Nguyễn Văn Bảy", "04/05/2003", "Nam", "Việt Nam"],
            ]
        ),
        encoding="utf-8",
    )
    bhxh = tmp_path / "bhxh.csv"
    bhxh.write_text(
        csv_text(
            [
                ["Mã số BHXH", "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính"],
                ["8612345678", bhxh_id, "NGUYỄN VĂN BẢY", "04/05/2003", "Nam"],
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    args = ["reconcile", str(dancu), str(bhxh), "--out", str(out), "--format", "csv"]
    result = CliRunner().invoke(cli, [*args, "--today", "2026-11-01"], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    found = pd.read_csv(out / "findings.csv", dtype=str, keep_default_na=False)
    return found[(found["rule"] == "link.field_mismatch") & (found["field"] == "id_number")]


@pytest.mark.parametrize("rounded", ["8.62033E+10", "86203300000"])
def test_reconcile_suggests_the_linked_reference_id_for_a_rounded_one(
    tmp_path: Path, rounded: str
) -> None:
    mismatch = _rounded_case(tmp_path, rounded)
    assert mismatch["suggestion"].tolist() == ["086203300123"]
    assert mismatch["source"].tolist() == ["bhxh.csv"]


def test_reconcile_says_nothing_of_an_id_that_agrees(tmp_path: Path) -> None:
    assert _rounded_case(tmp_path, "086203300123").empty
