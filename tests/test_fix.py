"""``cleanse fix``: the certain repairs fire and stay quiet, the copy keeps the file's
shape, the loop closes (validate on the fixed copy finds what is left, nothing new), and
values from the reference are taken only from certain links and clean records."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import cleanse
from cleanse.cli import cli
from cleanse.read import read_all
from tests.helpers import csv_text

pytestmark = pytest.mark.usefixtures("english_lines")

TODAY = "2026-11-21"
HEADER = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Ghi chú riêng"]


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path.write_text(csv_text([header, *rows]), encoding="utf-8")
    return path


def run(tmp_path: Path, *args: str, code: tuple[int, ...] = (0, 1)) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["fix", *args, "--out", str(out), "--format", "parquet,csv", "--today", TODAY],
        catch_exceptions=False,
    )
    assert result.exit_code in code, result.output
    return out


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: pd.read_parquet(p) for p in out.glob("*.parquet")}


def fixed_rows(out: Path, name: str) -> pd.DataFrame:
    _, frame = read_all(out / "fixed" / name)
    return frame


def keys(findings: pd.DataFrame) -> set[tuple[str, int, str, str]]:
    return set(
        zip(
            findings["source"].astype(str),
            findings["row"].fillna(-1).astype(int),
            findings["rule"].astype(str),
            findings["field"].astype("string").fillna("").astype(str),
            strict=True,
        )
    )


def validate(paths: list[Path]) -> pd.DataFrame:
    return cleanse.validate([str(p) for p in paths], today=TODAY).findings


# A person record that passes every rule, with its own note.
GOOD = ["001085012345", "Nguyễn Văn An", "12/05/1985", "Nam", "giữ nguyên, 1"]


# --- each repair fires, and stays quiet ---------------------------------------------


def test_separators_are_removed_from_ids_and_a_ten_digit_id_is_left(tmp_path: Path):
    p = write_csv(
        tmp_path / "a.csv",
        [
            ["001 085 012.346", "Trần Văn Bình", "12/05/1985", "Nam", ""],
            ["0010850123", "Lê Văn Cường", "12/05/1985", "Nam", ""],  # 10 digits, intact
            GOOD,
        ],
    )
    out = run(tmp_path, str(p))
    fixed = fixed_rows(out, "a.csv")
    assert fixed["id_number"].tolist() == ["001085012346", "0010850123", "001085012345"]
    changes = tables(out)["changes"]
    assert changes[["row", "field", "value", "fixed", "rule"]].values.tolist() == [
        [1, "id_number", "001 085 012.346", "001085012346", "id.format"]
    ]
    work = tables(out)["worklist"]
    assert work["row"].tolist() == [2]  # the 10-digit ID still needs a person
    assert "id.format" in work["rules"].iloc[0]


def test_leading_zeros_come_back_only_in_a_damaged_column(tmp_path: Path):
    rows = [
        [str(1085012340 + i), f"Nguyễn Văn {name}", "12/05/1985", "Nam", ""]
        for i, name in enumerate(["An", "Bình", "Cường", "Dũng", "Em", "Giang"])
    ]
    p = write_csv(tmp_path / "damaged.csv", rows)
    out = run(tmp_path, str(p))
    fixed = fixed_rows(out, "damaged.csv")
    assert fixed["id_number"].str.startswith("00").all()
    changes = tables(out)["changes"]
    assert set(changes["rule"]) == {"id.leading_zeros"}
    assert len(changes) == 6
    assert validate([out / "fixed" / "damaged.csv"]).empty


def test_names_get_normal_form_but_keep_their_tone_marks(tmp_path: Path):
    nfd = unicodedata.normalize("NFD", "Nguyễn  Thị Hoà")
    p = write_csv(tmp_path / "n.csv", [["079190012346", nfd, "01/01/1990", "Nữ", ""], GOOD])
    out = run(tmp_path, str(p))
    name = fixed_rows(out, "n.csv")["full_name"].iloc[0]
    assert name == "Nguyễn Thị Hoà"  # NFC, one space, hoà not made hòa
    assert unicodedata.is_normalized("NFC", name)
    assert tables(out)["changes"]["rule"].tolist() == ["name.format"]


def test_case_follows_a_capitals_column_and_a_mixed_column_is_left(tmp_path: Path):
    caps = [
        [f"00108501234{i}", n, "12/05/1985", "Nam", ""]
        for i, n in enumerate(
            [
                "NGUYỄN VĂN AN",
                "TRẦN VĂN BÌNH",
                "LÊ VĂN CƯỜNG",
                "PHẠM VĂN DŨNG",
                "VŨ VĂN EM",
                "ĐỖ VĂN GIANG",
                "HỒ VĂN HẢI",
                "NGÔ VĂN KHOA",
                "DƯƠNG VĂN LONG",
                "lý văn minh",
            ]
        )
    ]
    p = write_csv(tmp_path / "caps.csv", caps)
    out = run(tmp_path, str(p))
    assert fixed_rows(out, "caps.csv")["full_name"].iloc[-1] == "LÝ VĂN MINH"
    mixed = [
        [f"00108501234{i}", n, "12/05/1985", "Nam", ""]
        for i, n in enumerate(
            ["NGUYỄN VĂN AN", "Trần Văn Bình", "LÊ VĂN CƯỜNG", "Phạm Văn Dũng", "lý văn minh"]
        )
    ]
    p2 = write_csv(tmp_path / "mixed.csv", mixed)
    out2 = run(tmp_path / "m", str(p2))
    assert fixed_rows(out2, "mixed.csv")["full_name"].iloc[-1] == "lý văn minh"
    work = tables(out2)["worklist"]
    assert "name.format" in work["rules"].iloc[0]


def test_mojibake_is_converted_and_real_text_is_not(tmp_path: Path):
    garbled = "Nguyễn Văn Tâm".encode().decode("cp1252", errors="replace")
    p = write_csv(tmp_path / "m.csv", [["001085012346", garbled, "12/05/1985", "Nam", "XÃ"], GOOD])
    out = run(tmp_path, str(p))
    fixed = fixed_rows(out, "m.csv")
    assert fixed["full_name"].iloc[0] == "Nguyễn Văn Tâm"
    assert fixed["Ghi chú riêng"].iloc[0] == "XÃ"
    assert tables(out)["changes"]["rule"].tolist() == ["text.mojibake"]


def test_dates_are_written_one_way_and_partial_or_impossible_ones_are_left(tmp_path: Path):
    rows = [
        ["001085012346", "Trần Văn Bình", "1985-05-12", "Nam", ""],
        ["001085012347", "Lê Văn Cường", "2/5/1985", "Nam", ""],
        ["001085012348", "Phạm Văn Dũng", "1985", "Nam", ""],
        ["001085012349", "Vũ Văn Em", "05/1985", "Nam", ""],
        ["001085012340", "Đỗ Văn Giang", "31/02/1985", "Nam", ""],
    ]
    out = run(tmp_path, str(write_csv(tmp_path / "d.csv", rows)))
    assert fixed_rows(out, "d.csv")["dob"].tolist() == [
        "12/05/1985",
        "02/05/1985",
        "1985",
        "05/1985",
        "31/02/1985",
    ]
    assert set(tables(out)["changes"]["row"]) == {1, 2}


def test_gender_words_are_written_nam_or_nu_and_codes_only_under_a_stated_table(tmp_path: Path):
    rows = [
        ["001085012346", "Trần Văn Bình", "12/05/1985", "Trai", ""],
        ["001085012347", "Lê Văn Cường", "12/05/1985", "nam", ""],
        ["001085012348", "Phạm Văn Dũng", "12/05/1985", "1", ""],
        ["001185012349", "Vũ Văn Em", "12/05/1985", "Trai", ""],  # the ID says female
    ]
    p = write_csv(tmp_path / "g.csv", rows)
    out = run(tmp_path, str(p))
    assert fixed_rows(out, "g.csv")["gender"].tolist() == ["Nam", "Nam", "1", "Trai"]
    # The last word plainly means Nam, but the ID's gender digit says Nữ: not certain.
    work = tables(out)["worklist"]
    assert work["row"].tolist() == [4] and "gender.invalid" in work["rules"].iloc[0]
    out2 = run(tmp_path / "codes", str(p), "--gender-codes", "1=Nam,2=Nữ")
    assert fixed_rows(out2, "g.csv")["gender"].tolist()[2] == "Nam"


# --- the copy keeps the file ----------------------------------------------------------


def test_the_copy_keeps_rows_columns_and_unknown_cells_and_the_input_is_untouched(
    tmp_path: Path,
):
    header = ["STT", *HEADER[:2], "Mã hộ", *HEADER[2:]]
    rows = [
        ["3", "001 085 012 346", "Trần Văn Bình", "0012", "12/05/1985", "nam", 'a, "b"'],
        ["1", "001085012345", "Nguyễn Văn An", "0013", "12/05/1985", "Nam", "=1+1"],
        ["2", "001085012345", "Nguyễn Văn An", "0013", "12/05/1985", "Nam", ""],  # duplicate
    ]
    p = tmp_path / "in.csv"
    p.write_text(csv_text([header, *rows], delimiter=";"), encoding="utf-8")
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    out = run(tmp_path, str(p))
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before
    raw = (out / "fixed" / "in.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw[3:].decode("utf-8").splitlines()
    assert lines[0] == ";".join(header)
    assert [line.split(";")[0] for line in lines[1:]] == ["3", "1", "2"]  # no row dropped
    assert [line.split(";")[3] for line in lines[1:]] == ["0012", "0013", "0013"]
    assert lines[1].endswith('"a, ""b"""')
    assert lines[2].endswith("=1+1")  # data for the system, not neutralised


def test_a_fix_into_a_folder_holding_an_input_is_refused(tmp_path: Path):
    (tmp_path / "fixed").mkdir()
    p = write_csv(tmp_path / "fixed" / "a.csv", [GOOD])
    result = CliRunner().invoke(cli, ["fix", str(p), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- the loop closes -------------------------------------------------------------------


def _identity(original: list[Path], out: Path) -> None:
    names = [p.name for p in original]
    before = keys(validate(original))
    after = keys(validate([out / "fixed" / n for n in names]))
    repaired = tables(out)["changes"]
    assert after <= before, sorted(after - before)[:5]
    # What fix says is left is what validate finds on the copies.
    assert keys(tables(out)["findings"]) == after
    # Every finding that went was settled by a change on that record.
    gone = {(s, r) for s, r, _, _ in before - after if r > 0}
    changed = set(zip(repaired["source"], repaired["row"].astype(int), strict=True))
    assert gone <= changed | _duplicates_of(before, changed)


def _duplicates_of(findings: set[tuple[str, int, str, str]], changed: set) -> set:
    """Rows whose duplicate finding went because the row they repeated was repaired."""
    return {(s, r) for s, r, rule, _ in findings if rule.endswith("duplicate")}


def test_validate_after_fix_finds_what_is_left_and_nothing_new_on_the_samples(tmp_path: Path):
    samples = tmp_path / "s"
    CliRunner().invoke(
        cli, ["sample", "--out", str(samples), "--persons", "3000"], catch_exceptions=False
    )
    inputs = sorted(samples.glob("*.csv"))
    out = run(tmp_path, *map(str, inputs))
    _identity(inputs, out)
    summary_cells = tables(out)["changes"]
    assert len(summary_cells) > 0


def test_validate_after_fix_on_a_damaged_spreadsheet_sample(tmp_path: Path):
    samples = tmp_path / "s"
    CliRunner().invoke(
        cli,
        ["sample", "--out", str(samples), "--persons", "1500", "--spreadsheet"],
        catch_exceptions=False,
    )
    inputs = sorted((samples / "spreadsheet").glob("*.xlsx"))
    assert inputs
    out = run(tmp_path, *map(str, inputs))
    assert {p.name for p in (out / "fixed").iterdir()} == {p.name for p in inputs}
    _identity(inputs, out)
    rules = set(tables(out)["changes"]["rule"])
    assert "id.leading_zeros" in rules


# --- the reference ---------------------------------------------------------------------

DANCU = ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Nơi thường trú"]
BHXH = ["Mã số BHXH", "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Địa chỉ"]
ADDR = "Số 12 đường Lê Lợi, Phường Bến Nghé, Thành phố Hồ Chí Minh"


def _reference(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "dancu.csv",
        [
            ["079085012345", "Nguyễn Văn An", "12/05/1985", "Nam", ADDR],
            [
                "079190012346",
                "Trần Thị Bình",
                "11/03/1990",
                "Nữ",
                "Thôn 3, Xã Phú Mỹ, Tỉnh Hưng Yên",
            ],
            ["079087012347", "Lê Văn Cường", "03/04/1987", "Nam", "Tổ 5, Phường Tân Hiệp"],
            # Its ID's year digits (99) disagree with its own birth year: never copied.
            ["079099012348", "Phạm Văn Dũng", "07/08/1980", "Nam", "Số 4 đường Hai Bà Trưng"],
            ["079090012349", "Hoàng Thị Em", "09/09/1990", "Nữ", "Số 9 đường Trần Phú"],
        ],
        DANCU,
    )


def _bhxh(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "bhxh.csv",
        [
            ["7901234567", "", "NGUYỄN VĂN AN", "12/05/1985", "Nam", ADDR],  # empty ID
            [
                "7901234568",
                "123456789",
                "TRẦN THỊ BÌNH",
                "11/03/1990",
                "Nữ",
                "Thôn 3, Xã Phú Mỹ, Tỉnh Hưng Yên",
            ],  # an old CMND
            [
                "7901234569",
                "",
                "LÊ VĂN CƯỜNG",
                "04/03/1987",
                "Nam",
                "",
            ],  # linked without supporting evidence
            ["7901234560", "", "PHẠM VĂN DŨNG", "07/08/1980", "Nam", "Số 4 đường Hai Bà Trưng"],
            ["7901234561", "079090012349", "HOÀNG THỊ EMM", "09/09/1990", "Nữ", ""],
        ],
        BHXH,
    )


def test_ids_come_from_linked_population_records_only(tmp_path: Path):
    ref, bhxh = _reference(tmp_path), _bhxh(tmp_path)
    out = run(tmp_path, str(bhxh), "--reference", str(ref))
    ids = fixed_rows(out, "bhxh.csv")["id_number"].tolist()
    assert ids[0] == "079085012345"  # filled: linked with name, date, gender and address
    assert ids[1] == "079190012346"  # the 12-digit ID in place of the CMND
    assert ids[2] in ("", None) or pd.isna(ids[2])  # a link without supporting evidence never syncs
    assert ids[3] in ("", None) or pd.isna(ids[3])  # the reference's own ID breaks a rule
    changes = tables(out)["changes"]
    filled = changes[changes["field"] == "id_number"]
    assert filled["row"].tolist() == [1, 2]
    assert filled["value"].iloc[1] == "123456789"
    assert all("dancu.csv" in e for e in filled["evidence"])
    # Names stay as the extract wrote them without --sync.
    assert fixed_rows(out, "bhxh.csv")["full_name"].iloc[4] == "HOÀNG THỊ EMM"


def test_sync_brings_the_name_into_line_in_the_columns_case(tmp_path: Path):
    ref, bhxh = _reference(tmp_path), _bhxh(tmp_path)
    out = run(tmp_path, str(bhxh), "--reference", str(ref), "--sync", "name")
    assert fixed_rows(out, "bhxh.csv")["full_name"].iloc[4] == "HOÀNG THỊ EM"
    changes = tables(out)["changes"]
    row = changes[(changes["row"] == 5) & (changes["field"] == "full_name")]
    assert row["rule"].tolist() == ["link.field_mismatch"]
    assert "linked by the ID number" in row["evidence"].iloc[0]


def test_sync_without_a_reference_is_refused_in_one_line(tmp_path: Path):
    p = write_csv(tmp_path / "a.csv", [GOOD])
    result = CliRunner().invoke(
        cli, ["fix", str(p), "--sync", "name", "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "--reference" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_fix_through_the_api(tmp_path: Path):
    p = write_csv(
        tmp_path / "a.csv", [["001 085 012 346", "Trần Văn Bình", "1985-05-12", "nam", ""]]
    )
    result = cleanse.fix([str(p)], today=TODAY)
    assert result.changes["rule"].tolist() == ["id.format", "dob.invalid", "gender.invalid"]
    assert list(result.copies) == ["fixed/a.csv"]
    written = result.write(tmp_path / "api", formats=("csv",))
    assert (tmp_path / "api" / "fixed" / "a.csv") in written
    assert (tmp_path / "api" / "worklist.csv").exists()


def test_the_worklist_says_from_which_month_payment_stops_and_to_merge_bhxh_books(
    tmp_path: Path,
):
    samples = Path(__file__).resolve().parent.parent / "samples"
    inputs = [str(samples / n) for n in ("bhxh.csv", "btxh.csv", "hotich.csv")]
    out = run(tmp_path, *inputs, "--reference", str(samples / "dancu.csv"))
    actions = tables(out)["worklist"]["action"].astype(str)
    assert actions.str.contains(r"stop payment from \d\d/\d{4}").any()
    assert actions.str.contains("merge the BHXH books").any()
