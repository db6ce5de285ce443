"""Link every record an officer would link, and never join two people (SPEC §4).

Hand-made extracts, each case with a firing and a quiet twin: one number with a small
name difference, a wrong ID with a name typo, homonyms with different consistent IDs,
a record carrying someone else's ID, ``link.unmatched`` beside a review lead, doubtful
reference values, and blocks of identical records.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import csv_text

from cleanse.cli import cli
from cleanse.link import link, load_records
from cleanse.read import open_extract

TODAY = "2026-11-21"
# Made-up people; IDs built as DOMAIN.md says (place code, gender/century digit, year).
HEADERS = {
    "dancu": [
        "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Quốc tịch",
        "Nơi thường trú",
    ],
    "bhxh": [
        "Mã số BHXH", "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Địa chỉ",
        "Số điện thoại", "Trạng thái hưởng",
    ],
    "hotich": [
        "Loại việc hộ tịch", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính",
        "Ngày chết",
    ],
    "btxh": [
        "Số định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Địa chỉ", "Số điện thoại",
        "Đối tượng", "Trạng thái hưởng",
    ],
}  # fmt: skip

HOME_1 = "Số 12 đường Lê Lợi, Phường Bến Thành, Thành phố Hồ Chí Minh"
HOME_2 = "Số 48 đường Hai Bà Trưng, Phường Bến Thành, Thành phố Hồ Chí Minh"


def dancu(id_: str, name: str, dob: str, gender: str, address: str = "") -> list[str]:
    return [id_, name, dob, gender, "Việt Nam", address]


def bhxh(
    id_: str, name: str, dob: str, gender: str, address: str = "", phone: str = "",
    code: str = "", status: str = "Đang tham gia",
) -> list[str]:  # fmt: skip
    return [code, id_, name, dob, gender, address, phone, status]


def btxh(
    id_: str, name: str, dob: str, gender: str, address: str = "", phone: str = "",
    status: str = "Đang hưởng",
) -> list[str]:  # fmt: skip
    return [id_, name, dob, gender, address, phone, "Người cao tuổi", status]


def hotich(
    id_: str, name: str, dob: str, gender: str, event: str = "Khai sinh", died: str = ""
) -> list[str]:
    return [event, id_, name, dob, gender, died]


def write(tmp_path: Path, files: dict[str, list[list[str]]]) -> list[Path]:
    paths = []
    for kind, rows in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(csv_text([HEADERS[kind], *rows]), encoding="utf-8")
        paths.append(path)
    return paths


def reconcile(tmp_path: Path, files: dict[str, list[list[str]]]) -> dict[str, pd.DataFrame]:
    """Run ``cleanse reconcile`` on the files; its tables, read back from CSV."""
    paths = write(tmp_path, files)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["reconcile", *map(str, paths), "--out", str(out), "--today", TODAY, "--format", "csv"],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    return {
        t: pd.read_csv(out / f"{t}.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
        for t in ("findings", "persons", "links", "review")
    }


def same_person(tables: dict[str, pd.DataFrame], a: tuple[str, int], b: tuple[str, int]) -> bool:
    p = tables["persons"].set_index(["source", "row"])["person_id"]
    return bool(p[(a[0], str(a[1]))] == p[(b[0], str(b[1]))])


def rules_on(tables: dict[str, pd.DataFrame], source: str, row: int) -> list[str]:
    f = tables["findings"]
    return f[(f["source"] == source) & (f["row"] == str(row))]["rule"].tolist()


# --- one number, a small name difference: one person --------------------------------------

SEN = ("079190123456", "Nguyễn Thị Sen", "03/04/1990", "Nữ")


@pytest.mark.parametrize(
    "typed",
    [
        "NGUYỄN THỊ SN",  # a dropped letter in a short given name
        "NGUYỄN THỊ SNE",  # two letters swapped
        "NGUYỄN THỊ S3N",  # a digit for a letter
        "NGUYỄN THỊ SẸN",  # a wrong tone
        "NGUYỄN SN",  # a dropped letter and a dropped middle name
    ],
)
def test_one_id_and_a_given_name_one_edit_off_link(tmp_path: Path, typed: str) -> None:
    tables = reconcile(tmp_path, {"dancu": [dancu(*SEN)], "bhxh": [bhxh(SEN[0], typed, *SEN[2:])]})
    assert same_person(tables, ("dancu.csv", 1), ("bhxh.csv", 1))
    assert tables["links"]["method"].tolist() == ["id"]
    assert "link.unmatched" not in rules_on(tables, "bhxh.csv", 1)
    f = tables["findings"]
    mismatch = f[(f["rule"] == "link.field_mismatch") & (f["field"] == "full_name")]
    assert mismatch["row"].tolist() == ["1"]


def test_one_id_and_a_clearly_different_given_name_stay_for_review(tmp_path: Path) -> None:
    """Sen and Sương share an ID: a twin's record or another person's carrying the
    number. Someone should look, but they are not linked."""
    tables = reconcile(
        tmp_path,
        {"dancu": [dancu(*SEN)], "bhxh": [bhxh(SEN[0], "NGUYỄN THỊ SƯƠNG", *SEN[2:])]},
    )
    assert not same_person(tables, ("dancu.csv", 1), ("bhxh.csv", 1))
    assert len(tables["review"]) == 1
    assert "link.unmatched" not in rules_on(tables, "bhxh.csv", 1)  # the review row leads


def test_one_id_with_another_name_and_date_is_not_linked(tmp_path: Path) -> None:
    """The ID alone, with name and birth date both clearly different, is not one person."""
    tables = reconcile(
        tmp_path,
        {"dancu": [dancu(*SEN)], "bhxh": [bhxh(SEN[0], "NGUYỄN THỊ SƯƠNG", "11/12/1991", "Nữ")]},
    )
    assert not same_person(tables, ("dancu.csv", 1), ("bhxh.csv", 1))


def test_short_given_names_one_letter_apart_without_a_shared_number_stay_apart(
    tmp_path: Path,
) -> None:
    """Twins: one surname, middle name and birth date, no ID on one side. Sen/Sn could be
    a typo, but without a shared number the twins guard keeps them apart."""
    tables = reconcile(
        tmp_path,
        {"dancu": [dancu(*SEN)], "bhxh": [bhxh("", "NGUYỄN THỊ SN", *SEN[2:], code="7912345678")]},
    )
    assert not same_person(tables, ("dancu.csv", 1), ("bhxh.csv", 1))


def test_twins_with_different_ids_stay_apart(tmp_path: Path) -> None:
    twins = [
        dancu("001090111222", "Trần Văn Nam", "05/06/1990", "Nam", HOME_1),
        dancu("001090111223", "Trần Văn Bắc", "05/06/1990", "Nam", HOME_1),
    ]
    tables = reconcile(
        tmp_path,
        {
            "dancu": twins,
            "bhxh": [bhxh("", "TRẦN VĂN BẮC", "05/06/1990", "Nam", HOME_1, code="0112345678")],
        },
    )
    assert not same_person(tables, ("dancu.csv", 1), ("dancu.csv", 2))
    assert same_person(tables, ("dancu.csv", 2), ("bhxh.csv", 1))
    assert not same_person(tables, ("dancu.csv", 1), ("bhxh.csv", 1))


# --- a wrong ID plus a name typo ------------------------------------------------------------

LINH = ("001195004321", "Phạm Thùy Linh", "17/09/1995", "Nữ")


@pytest.mark.parametrize(
    "wrong",
    ["001195004331", "001195003421"],  # one digit; two neighbouring digits swapped
)
def test_a_wrong_id_and_a_name_typo_still_link(tmp_path: Path, wrong: str) -> None:
    tables = reconcile(
        tmp_path,
        {"dancu": [dancu(*LINH)], "btxh": [btxh(wrong, "Phạm Thùy Lnh", *LINH[2:])]},
    )
    linked = same_person(tables, ("dancu.csv", 1), ("btxh.csv", 1))
    assert linked or len(tables["review"]) == 1
    assert "link.unmatched" not in rules_on(tables, "btxh.csv", 1)


# --- homonyms: different consistent IDs are two people -------------------------------------

ANH_1 = ("001090004521", "Nguyễn Văn Anh", "01/02/1990", "Nam")
ANH_2 = ("001090117386", "Nguyễn Văn Anh", "01/02/1990", "Nam")


def test_homonyms_with_different_consistent_ids_stay_apart(tmp_path: Path) -> None:
    """Two Nguyễn Văn Anh born the same day, each ID consistent with its record: the one
    who died is not the one still paid."""
    tables = reconcile(
        tmp_path,
        {
            "dancu": [dancu(*ANH_1, HOME_1), dancu(*ANH_2, HOME_2)],
            "bhxh": [bhxh(*ANH_2, HOME_2, status="Đang hưởng")],
            "hotich": [hotich(*ANH_1, event="Khai tử", died="03/03/2025")],
        },
    )
    assert not same_person(tables, ("dancu.csv", 1), ("dancu.csv", 2))
    assert same_person(tables, ("dancu.csv", 2), ("bhxh.csv", 1))
    assert same_person(tables, ("dancu.csv", 1), ("hotich.csv", 1))
    assert not same_person(tables, ("bhxh.csv", 1), ("hotich.csv", 1))
    assert "vital.deceased_active" not in tables["findings"]["rule"].tolist()


def test_a_homonym_without_his_own_record_is_unmatched_not_joined(tmp_path: Path) -> None:
    """The reference has only the other Nguyễn Văn Anh: the BHXH record is not him."""
    tables = reconcile(
        tmp_path,
        {"dancu": [dancu(*ANH_1, HOME_1)], "bhxh": [bhxh(*ANH_2, HOME_2)]},
    )
    assert not same_person(tables, ("dancu.csv", 1), ("bhxh.csv", 1))
    assert rules_on(tables, "bhxh.csv", 1) == ["link.unmatched"]
    assert tables["review"].empty


@pytest.mark.parametrize("evidence", ["address", "phone"])
def test_different_consistent_ids_link_when_address_or_phone_agree(
    tmp_path: Path, evidence: str
) -> None:
    """Other evidence may overrule the IDs: the same house, or the same phone number."""
    ref = [bhxh(*ANH_1, HOME_1, "0912345678")]
    other = btxh(*ANH_2, HOME_1) if evidence == "address" else btxh(*ANH_2, HOME_2, "0912345678")
    tables = reconcile(tmp_path, {"bhxh": ref, "btxh": [other]})
    assert same_person(tables, ("bhxh.csv", 1), ("btxh.csv", 1))
    assert tables["links"]["reason"].str.contains(f"same {evidence}").all()
    assert "link.id_conflict" in rules_on(tables, "btxh.csv", 1)


# --- a record carrying someone else's ID ----------------------------------------------------

TUAN = ("001085012345", "Lê Minh Tuấn", "22/11/1985", "Nam")
HANG = ("079192054321", "Võ Thị Thu Hằng", "08/03/1992", "Nữ")


def test_a_record_carrying_another_persons_id_links_to_its_own_person(tmp_path: Path) -> None:
    tables = reconcile(
        tmp_path,
        {
            "dancu": [dancu(*TUAN, HOME_1), dancu(*HANG, HOME_2)],
            # Hằng's BHXH record carries Tuấn's ID; her name, date and address are hers.
            "bhxh": [bhxh(TUAN[0], "VÕ THỊ THU HẰNG", *HANG[2:], HOME_2)],
        },
    )
    assert same_person(tables, ("dancu.csv", 2), ("bhxh.csv", 1))
    assert not same_person(tables, ("dancu.csv", 1), ("bhxh.csv", 1))
    f = tables["findings"]
    conflict = f[f["rule"] == "link.id_conflict"]
    assert conflict[["source", "row", "suggestion", "related_row"]].values.tolist() == [
        ["bhxh.csv", "1", HANG[0], "2"]
    ]
    assert "link.unmatched" not in rules_on(tables, "bhxh.csv", 1)


# --- link.unmatched means no counterpart at all ---------------------------------------------


def test_unmatched_only_without_any_counterpart(tmp_path: Path) -> None:
    """A BHXH record sharing the reference ID under another given name is in review:
    that lead is a counterpart."""
    tables = reconcile(
        tmp_path,
        {
            "dancu": [dancu(*SEN)],
            "bhxh": [
                bhxh(SEN[0], "NGUYỄN THỊ SƯƠNG", *SEN[2:]),  # a review lead
                bhxh("001070333444", "LÊ VĂN TÂM", "20/02/1970", "Nam"),  # nobody
            ],
        },
    )
    assert len(tables["review"]) == 1
    assert "link.unmatched" not in rules_on(tables, "bhxh.csv", 1)
    assert rules_on(tables, "bhxh.csv", 2) == ["link.unmatched"]


# --- suggestions only as good as their source -----------------------------------------------

BINH = ("001060123987", "Đặng Văn Bình", "14/07/1960", "Nam")


@pytest.mark.parametrize(
    ("reference", "record", "field"),
    [
        # a reference birth date of 1877 (out of range)
        (("001060123987", "Đặng Văn Bình", "14/07/1877", "Nam"), BINH, "dob"),
        # a garbled (mojibake) reference name
        (("001060123987", "Äáº·ng VÄƒn BÃ¬nh", "14/07/1960", "Nam"), BINH, "full_name"),
    ],
)
def test_a_doubtful_reference_value_is_never_suggested(
    tmp_path: Path, reference: tuple[str, ...], record: tuple[str, ...], field: str
) -> None:
    tables = reconcile(tmp_path, {"dancu": [dancu(*reference)], "bhxh": [bhxh(*record)]})
    f = tables["findings"]
    mismatch = f[(f["rule"] == "link.field_mismatch") & (f["field"] == field)]
    if field == "full_name" and mismatch.empty:
        # The repaired reference name agrees with the record: nothing to suggest at all.
        return
    assert mismatch["suggestion"].tolist() == [""]
    assert (
        "doubtful" in mismatch["message"].iloc[0] or "không hợp lệ" in (mismatch["message"].iloc[0])
    )


def test_a_sound_reference_value_is_suggested(tmp_path: Path) -> None:
    tables = reconcile(
        tmp_path,
        {"dancu": [dancu(*BINH)], "bhxh": [bhxh(BINH[0], BINH[1], "14/07/1961", "Nam")]},
    )
    f = tables["findings"]
    mismatch = f[(f["rule"] == "link.field_mismatch") & (f["field"] == "dob")]
    assert mismatch["suggestion"].tolist() == ["14/07/1960"]


def test_a_reference_id_failing_its_own_record_is_not_suggested(tmp_path: Path) -> None:
    """The reference ID's year digits say 1961 while its record says 1960."""
    tables = reconcile(
        tmp_path,
        {
            "dancu": [dancu("001061123987", *BINH[1:])],
            "bhxh": [bhxh("001060123987", *BINH[1:])],
        },
    )
    f = tables["findings"]
    ids = f[f["field"] == "id_number"]
    assert not ids.empty
    assert (ids["suggestion"] == "").all()


# --- identical records ----------------------------------------------------------------------


def test_a_block_of_identical_records_is_one_person(tmp_path: Path) -> None:
    """More copies than any block may hold: linked without scoring, not left unlinked."""
    copies = [bhxh(*TUAN, HOME_1, code="0112345678")] * 120
    paths = write(tmp_path, {"dancu": [dancu(*TUAN)], "bhxh": copies})
    records = load_records([open_extract(p) for p in paths])
    result = link(records)
    assert result.persons["person_id"].nunique() == 1
    assert result.stats["identical_records"] == 119


def test_identical_names_alone_are_not_one_person(tmp_path: Path) -> None:
    rows = [btxh("", "Nguyễn Văn An", "", "Nam")] * 3
    paths = write(tmp_path, {"btxh": rows})
    records = load_records([open_extract(p, source="btxh") for p in paths])
    result = link(records)
    assert result.persons["person_id"].nunique() == 3


def test_a_skipped_block_is_said_with_its_records(tmp_path: Path) -> None:
    """Sixty different records on one ID: the block is over the cap; the run says so."""
    rows = [bhxh(TUAN[0], TUAN[1], f"{d % 28 + 1:02d}/{d // 28 + 1:02d}/1985", "Nam")
            for d in range(60)]  # fmt: skip
    paths = write(tmp_path, {"dancu": [dancu(*TUAN)], "bhxh": rows})
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["reconcile", *map(str, paths), "--out", str(out), "--lang", "en", "--format", "csv"],
        catch_exceptions=False,
    )
    assert result.exit_code in (0, 1), result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["reconcile"]["linking"]["records_in_skipped_blocks"] == 61
    (note,) = summary["notes"]
    assert "61 record(s)" in note


def test_no_skipped_block_no_note(tmp_path: Path) -> None:
    paths = write(tmp_path, {"dancu": [dancu(*TUAN)], "bhxh": [bhxh(*TUAN)]})
    out = tmp_path / "out"
    CliRunner().invoke(
        cli, ["reconcile", *map(str, paths), "--out", str(out)], catch_exceptions=False
    )
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["notes"] == []
