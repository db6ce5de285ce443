"""Where a person lives, as evidence for a link: a house number in its own column, the
ward, the postcode and the province (SPEC §1, §4), and the twins guard's option.

Generic extracts made by hand: made-up people in made-up places.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import csv_text

from cleanse.cli import cli
from cleanse.link import link, load_records
from cleanse.read import open_extract

TODAY = "2026-11-21"
WARDS = [
    "Phường Bến Nghé", "Phường Đa Kao", "Xã Tân Phú", "Phường Cầu Kho", "Xã An Bình",
    "Phường Tân Định", "Xã Bình Mỹ", "Phường Võ Thị Sáu", "Xã Phú Hòa", "Phường Nhiêu Lộc",
    "Xã Trung An", "Phường Xuân Hòa", "Xã Tân Thông", "Phường Chợ Quán", "Xã Phước Hiệp",
    "Phường An Khánh",
]  # fmt: skip
GIVEN = [
    "An", "Bình", "Cúc", "Dũng", "Giang", "Hà", "Khánh", "Lâm", "Minh", "Ngọc", "Oanh",
    "Phúc", "Quân", "Sơn", "Tâm", "Uyên",
]  # fmt: skip
HEADER = ["Họ và tên", "Ngày sinh", "Số nhà", "Địa chỉ", "Xã/Phường", "Mã bưu chính"]


def crowd() -> list[list[str]]:
    """Sixteen other people, one per ward: what makes a ward's agreement worth bits."""
    return [
        [f"Lê Văn {g}", "", str(10 + i), "Đường số 3", w, str(70000 + i)]
        for i, (g, w) in enumerate(zip(GIVEN, WARDS, strict=True))
    ]


def write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path.write_text(csv_text([header, *rows]), encoding="utf-8")
    return path


def reconcile(tmp_path: Path, a: Path, b: Path, *extra: str) -> dict[str, pd.DataFrame]:
    out = tmp_path / "out"
    args = ["reconcile", str(a), str(b), "--source", "generic", "--out", str(out)]
    result = CliRunner().invoke(
        cli, [*args, "--today", TODAY, "--format", "csv", *extra], catch_exceptions=False
    )
    assert result.exit_code in (0, 1), result.output
    return {
        t: pd.read_csv(out / f"{t}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for t in ("persons", "links", "review")
    }


def same_person(tables: dict[str, pd.DataFrame], a: tuple[str, int], b: tuple[str, int]) -> bool:
    p = tables["persons"].set_index(["source", "row"])["person_id"]
    return bool(p[(a[0], str(a[1]))] == p[(b[0], str(b[1]))])


# --- a house number kept apart from the street --------------------------------------------


def test_a_house_number_column_is_read_in_front_of_the_address(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", [["Trần Thị Mai", "01/02/1980", "12", "Lê Lợi", "", ""]])
    b = write(
        tmp_path / "b.csv",
        [["Trần Thị Mai", "01/02/1980", "12 Lê Lợi"]],
        ["Họ và tên", "Ngày sinh", "Địa chỉ"],
    )
    records = load_records([open_extract(a, source="generic"), open_extract(b, source="generic")])
    assert records["address_key"].tolist() == ["12 le loi", "12 le loi"]


def test_another_house_number_is_another_address(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", [["Trần Thị Mai", "01/02/1980", "12", "Lê Lợi", "", ""]])
    b = write(tmp_path / "b.csv", [["Trần Thị Mai", "01/02/1980", "21", "Lê Lợi", "", ""]])
    records = load_records([open_extract(a, source="generic"), open_extract(b, source="generic")])
    assert records["address_key"].nunique() == 2


# --- ward and postcode ----------------------------------------------------------------------


def _mai(ward: str, postcode: str) -> list[str]:
    """A woman with no birth date and no number: name and place are all there is."""
    return ["Trần Thị Mai", "", "", "", ward, postcode]


def test_the_same_ward_and_postcode_link_a_name_without_a_date(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", [_mai("Phường Bến Nghé", "70000"), *crowd()[1:]])
    b = write(tmp_path / "b.csv", [_mai("Bến Nghé", "70000")])
    tables = reconcile(tmp_path, a, b)
    assert same_person(tables, ("a.csv", 1), ("b.csv", 1))
    reason = tables["links"]["reason"].iloc[0]
    assert "same ward" in reason and "same postcode" in reason


def test_another_ward_and_postcode_leave_a_name_without_a_date_alone(tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", [_mai("Phường Bến Nghé", "70000"), *crowd()[1:]])
    b = write(tmp_path / "b.csv", [_mai("Xã Tân Phú", "70002")])
    tables = reconcile(tmp_path, a, b)
    assert not same_person(tables, ("a.csv", 1), ("b.csv", 1))
    assert tables["links"].empty


def test_a_ward_the_address_already_names_is_not_counted_twice(tmp_path: Path) -> None:
    """Nơi thường trú names the ward; the ward column repeats it: one piece of evidence."""
    header = ["Họ và tên", "Ngày sinh", "Địa chỉ", "Xã/Phường"]
    home = "Số 5 đường Lý Tự Trọng, Phường Bến Nghé"
    rows = [["Trần Thị Mai", "", home, "Phường Bến Nghé"]]
    others = [
        ["Lê Văn " + g, "", f"Số {i} đường 3, {w}", w]
        for i, (g, w) in enumerate(zip(GIVEN[1:], WARDS[1:], strict=True))
    ]
    scores = []
    for with_ward in (True, False):
        cols = header if with_ward else header[:3]
        a = write(tmp_path / "a.csv", [r[: len(cols)] for r in rows + others], cols)
        b = write(tmp_path / "b.csv", [r[: len(cols)] for r in rows], cols)
        exts = [open_extract(p, source="generic") for p in (a, b)]
        result = link(load_records(exts))
        scores.append(result.links["score"].tolist())
    assert len(scores[0]) == 1 and 0.5 < scores[0][0] < 0.999  # not saturated
    assert scores[0] == scores[1]


# --- the twins guard --------------------------------------------------------------------


def _twins(tmp_path: Path) -> tuple[Path, Path]:
    """Two records alike in all but the given name: twins, or a replaced given name."""
    a = write(tmp_path / "a.csv", [["Trần Văn Nam", "05/06/1990", "7", "Lê Lợi", WARDS[0], ""]])
    b = write(tmp_path / "b.csv", [["Trần Văn Bắc", "05/06/1990", "7", "Lê Lợi", WARDS[0], ""]])
    return a, b


def test_twins_stay_apart_by_default(tmp_path: Path) -> None:
    tables = reconcile(tmp_path, *_twins(tmp_path))
    assert not same_person(tables, ("a.csv", 1), ("b.csv", 1))


def test_without_the_twins_guard_the_score_decides(tmp_path: Path) -> None:
    tables = reconcile(tmp_path, *_twins(tmp_path), "--no-twins-guard")
    assert same_person(tables, ("a.csv", 1), ("b.csv", 1))
    summary = (tmp_path / "out" / "summary.json").read_text(encoding="utf-8")
    assert '"twins_guard": false' in summary


@pytest.mark.parametrize(("value", "ok"), [("false", True), ('"no"', False)])
def test_a_jobs_file_sets_the_twins_guard(tmp_path: Path, value: str, ok: bool) -> None:
    a, b = _twins(tmp_path)
    jobs = tmp_path / "jobs.toml"
    jobs.write_text(
        "[[job]]\n"
        'name = "twins"\ncommand = "reconcile"\ninputs = ["a.csv", "b.csv"]\n'
        f'source = "generic"\ntwins_guard = {value}\nout = "out/{{job}}/{{date}}"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["batch", str(jobs)], catch_exceptions=False)
    if ok:
        assert result.exit_code in (0, 1), result.output
        persons = next((tmp_path / "out" / "twins").glob("*/persons.parquet"))
        assert pd.read_parquet(persons)["person_id"].nunique() == 1
    else:
        assert result.exit_code == 2
        assert "twins_guard" in result.output
