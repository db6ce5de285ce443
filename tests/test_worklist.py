"""The worklist of `cleanse fix` (SPEC §2, §9): one row per record that still needs a
person, sorted by address for field visits, its action in words, and the `ket_qua`
drop-down of the report. Synthetic people only."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cleanse import write
from cleanse.address import address_keys
from cleanse.i18n import translate
from cleanse.mask import mask_worklist
from cleanse.output import FINDING_COLUMNS
from cleanse.rules import ALL_RULES
from cleanse.worklist import (
    ACTION_ORDER,
    OTHER,
    OUTCOMES,
    RULE_ACTIONS,
    WORKLIST_COLUMNS,
    build_worklist,
    outcome_words,
)
from cleanse.write import empty_findings, write_tables
from cleanse.xlsx import header_label


def finding(source: str, row: int | None, rule: str, **more: object) -> dict[str, object]:
    return {"source": source, "row": row, "rule": rule, "message": f"msg {rule}", **more}


def findings(*rows: dict[str, object]) -> pd.DataFrame:
    frame = pd.DataFrame([{c: r.get(c) for c in FINDING_COLUMNS} for r in rows])
    return frame.astype({"row": "Int64", "related_row": "Int64", "sheet_row": "Int64"})


def people(*rows: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype({"row": "Int64"})


def one_each(pairs: list[tuple[str, int]], rule: str = "id.format") -> pd.DataFrame:
    return findings(*(finding(s, r, rule) for s, r in pairs))


# --- sorting by address -------------------------------------------------------------------


def test_rows_sort_by_ward_then_village_or_street_then_house_number():
    addresses = {
        1: "Số 10, Thôn 2, Xã An Phú, Tỉnh Ninh Bình",
        2: "Số 2, Thôn 2, Xã An Phú, Tỉnh Ninh Bình",  # 2 before 10
        3: "12A Lê Lợi, Phường Bến Thành, Tỉnh Ninh Bình",  # 12A after 12, before 13
        4: "Số 12 đường Lê Lợi, Phường Bến Thành, Tỉnh Ninh Bình",
        5: "13 Lê Lợi, Phường Bến Thành, Tỉnh Ninh Bình",
        6: "Thôn 10, Xã An Phú, Tỉnh Ninh Bình",  # Thôn 10 after Thôn 2
        7: "Số 5, Thôn 2, xa an phu, tinh ninh binh",  # folded: the same ward and village
        8: None,  # no address at all: last
        9: "Tổ dân phố 3, Phường Bến Thành, Tỉnh Ninh Bình",  # le loi < to dan pho 3
    }
    found = one_each([("a.csv", r) for r in addresses])
    who = people(*({"source": "a.csv", "row": r, "address": a} for r, a in addresses.items()))
    got = build_worklist(found, who, "vi")["row"].tolist()
    # Wards by name without their word: An Phú before Bến Thành.
    assert got == [2, 7, 1, 6, 4, 3, 5, 9, 8]


def test_the_ward_column_wins_and_groups_records_of_files_that_write_it_differently():
    found = one_each([("a.csv", 1), ("b.csv", 1), ("a.csv", 2), ("b.csv", 2)])
    who = people(
        {"source": "a.csv", "row": 1, "address": "Số 9, Thôn 1", "ward": "Xã Bình Minh"},
        {"source": "b.csv", "row": 1, "address": "Số 3, Thôn 1, Xã Bình Minh"},
        # The address names the ward before the 2025 merger; the ward column the new one.
        {"source": "a.csv", "row": 2, "address": "Số 1, Phường Tân Tạo", "ward": "Phường An Lạc"},
        {"source": "b.csv", "row": 2, "address": "Thôn 1, Xã Bình Minh"},  # no house: after
    )
    out = build_worklist(found, who, "vi")
    assert list(zip(out["source"], out["row"], strict=True)) == [
        ("a.csv", 2),  # an lac
        ("b.csv", 1),  # binh minh, thôn 1, house 3
        ("a.csv", 1),  # binh minh, thôn 1, house 9
        ("b.csv", 2),  # binh minh, thôn 1, no house number
    ]
    assert out["ward"].tolist() == ["Phường An Lạc", "Xã Bình Minh", "Xã Bình Minh", "Xã Bình Minh"]


def test_house_numbers_are_in_natural_order():
    houses = ["10", "2", "12A", "12", "5/12", "5", "Số 94", "13", "5/3"]
    found = one_each([("a.csv", i + 1) for i in range(len(houses))])
    who = people(
        *(
            {"source": "a.csv", "row": i + 1, "address": f"{h}, phố Huế, Phường Phố Huế"}
            for i, h in enumerate(houses)
        )
    )
    out = build_worklist(found, who, "vi")
    assert [a.split(",")[0] for a in out["address"]] == [
        "2",
        "5",
        "5/3",
        "5/12",
        "10",
        "12",
        "12A",
        "13",
        "Số 94",
    ]


def test_a_house_number_column_sorts_and_is_shown_in_front_of_the_address():
    found = one_each([("a.csv", 1), ("a.csv", 2), ("a.csv", 3)])
    who = people(
        {"source": "a.csv", "row": 1, "house_number": "10", "address": "Lê Lợi, Phường 1"},
        {"source": "a.csv", "row": 2, "house_number": "Số 2", "address": "Lê Lợi, Phường 1"},
        {"source": "a.csv", "row": 3, "house_number": None, "address": "Lê Lợi, Phường 1"},
    )
    out = build_worklist(found, who, "vi")
    assert out["row"].tolist() == [2, 1, 3]
    assert out["address"].tolist() == [
        "Số 2 Lê Lợi, Phường 1",
        "10 Lê Lợi, Phường 1",
        "Lê Lợi, Phường 1",
    ]


def test_records_without_an_address_come_last_ties_by_source_then_row():
    found = one_each([("b.csv", 2), ("b.csv", 1), ("a.csv", 9), ("a.csv", 1)])
    who = people(
        {"source": "b.csv", "row": 2, "address": None},
        {"source": "b.csv", "row": 1, "address": ""},
        {"source": "a.csv", "row": 9, "address": "Thôn 4, Xã Hòa Bình"},
        # a.csv row 1 is not among the people at all
    )
    out = build_worklist(found, who, "vi")
    assert list(zip(out["source"], out["row"], strict=True)) == [
        ("a.csv", 9),
        ("a.csv", 1),
        ("b.csv", 1),
        ("b.csv", 2),
    ]


def test_a_record_with_a_ward_but_no_address_comes_last_in_its_ward():
    found = one_each([("a.csv", 1), ("a.csv", 2), ("a.csv", 3)])
    who = people(
        {"source": "a.csv", "row": 1, "address": None, "ward": "Xã An Phú"},
        {"source": "a.csv", "row": 2, "address": "Thôn 9", "ward": "Xã An Phú"},
        {"source": "a.csv", "row": 3, "address": "Thôn 1", "ward": "Xã Bình Minh"},
    )
    out = build_worklist(found, who, "vi")
    assert out["row"].tolist() == [2, 1, 3]
    assert out["ward"].tolist() == ["Xã An Phú", "Xã An Phú", "Xã Bình Minh"]


def test_one_ward_name_in_two_districts_is_two_wards():
    found = one_each([("a.csv", 1), ("a.csv", 2), ("a.csv", 3)])
    who = people(
        {"source": "a.csv", "row": 1, "address": "Số 1 Lê Lợi, Phường 3, Quận 10, TP.HCM"},
        {"source": "a.csv", "row": 2, "address": "Số 9 Trần Phú, Phường 3, Quận 5, TP.HCM"},
        {"source": "a.csv", "row": 3, "address": "Số 2 Lê Lợi, Phường 3, Quận 10, TP.HCM"},
    )
    # Quận 5 before Quận 10, though Lê Lợi comes before Trần Phú.
    assert build_worklist(found, who, "vi")["row"].tolist() == [2, 1, 3]


@pytest.mark.parametrize(
    ("address", "ward", "area", "alley", "house"),
    [
        ("Số 75 đường Hùng Vương, Phường An Phú", "an phu", "hung vuong", None, "75"),
        ("Thôn 18, Xã Yên Thế, Tỉnh Vĩnh Long", "yen the", "thon 18", None, None),
        ("Tổ dân phố 11, Phường Hải Châu", "hai chau", "to dan pho 11", None, None),
        ("Số 12A, ngõ 34, phố Hàng Bông, P. Hàng Trống", "hang trong", "hang bong", "34", "12a"),
        ("12/5 Nguyễn Trãi, P. 3, Q. 5, TP.HCM", "3", "nguyen trai", None, "12/5"),
        ("hẻm 12 Nguyễn Trãi, Phường 3", "3", "nguyen trai", "12", None),
        ("Thôn 5 Xã An Phú Tỉnh Ninh Bình", "an phu", "thon 5", None, None),  # no commas
        ("THON 5 XA AN PHU TINH NINH BINH", "an phu", "thon 5", None, None),
        ("Lê Lợi, Phường Bến Thành", "ben thanh", "le loi", None, None),
        ("15 Tô Hiến Thành, Phường 10", "10", "to hien thanh", None, "15"),
        ("Số nhà 7 - Tổ 5 - Phường Hòa Bình", "hoa binh", "to 5", None, "7"),
        ("Ấp Tân Lợi, Xã Bình Thạnh", "binh thanh", "ap tan loi", None, None),
        ("Bản Na Hang, Xã Mường Lát", "muong lat", "ban na hang", None, None),
        ("Xóm 3, xã Nghi Phong, huyện Nghi Lộc", "nghi phong", "xom 3", None, None),
        ("Khu phố 2 Phường Linh Trung Thành phố Thủ Đức", "linh trung", "khu pho 2", None, None),
        ("Số 5 phố Xã Đàn, Phường Kim Liên", "kim lien", "xa dan", None, "5"),
        ("Thị trấn Chờ, Huyện Yên Phong", "cho", None, None, None),
        ("Đặc khu Phú Quốc", "phu quoc", None, None, None),
        ("Thị xã Sơn Tây", None, None, None, None),  # a district, not a ward
    ],
)
def test_address_parts(
    address: str, ward: str | None, area: str | None, alley: str | None, house: str | None
):
    keys = address_keys(pd.Series([address])).iloc[0]

    def plain(value: object) -> str | None:
        if value is pd.NA:
            return None
        return re.sub(r"0*(\d+)", r"\1", str(value))  # the padding undone

    got = [plain(keys[k]) for k in ("ward_key", "area_key", "alley_key", "house_key")]
    assert got == [ward, area, alley, house]


# --- one row per record -------------------------------------------------------------------


def test_several_findings_of_a_record_make_one_row_in_registry_order():
    found = findings(
        finding("a.csv", 1, "dob.invalid", message="ngày sinh sai"),
        finding("a.csv", 1, "link.unmatched", message="không có trong dân cư"),
        finding("a.csv", 1, "id.format", message="số định danh sai"),
        finding("a.csv", 1, "id.format", message="số định danh sai"),  # said once
        finding("a.csv", 2, "name.format", message="viết tên"),
    )
    out = build_worklist(found, people({"source": "a.csv", "row": 1}), "vi")
    assert len(out) == 2
    first = out.set_index("row").loc[1]
    assert first["rules"] == "id.format, dob.invalid, link.unmatched"
    assert first["messages"] == "số định danh sai; ngày sinh sai; không có trong dân cư"
    assert list(out.columns) == WORKLIST_COLUMNS


def test_findings_about_a_whole_column_are_not_worklist_rows():
    found = findings(
        finding("a.csv", None, "dob.day_month_swapped"),
        finding("a.csv", None, "id.leading_zeros"),
        finding("a.csv", 3, "id.missing"),
    )
    out = build_worklist(found, people({"source": "a.csv", "row": 3}), "vi")
    assert out["row"].tolist() == [3]
    assert out["rules"].tolist() == ["id.missing"]


def test_no_open_finding_gives_an_empty_worklist_with_its_columns():
    out = build_worklist(empty_findings(), people({"source": "a.csv", "row": 1}), "vi")
    assert len(out) == 0
    assert list(out.columns) == WORKLIST_COLUMNS


def test_the_record_is_shown_as_read_with_its_sheet_row():
    found = findings(finding("a.csv", 4, "id.format", sheet_row=9))
    who = people(
        {
            "source": "a.csv",
            "row": 4,
            "full_name": "Nguyễn Văn An",
            "id_number": "001085012345",
            "dob": "05/03/1985",
            "address": "Thôn 1, Xã Đông Hòa",
        }
    )
    row = build_worklist(found, who, "vi").iloc[0]
    assert (row["full_name"], row["id_number"], row["dob"]) == (
        "Nguyễn Văn An",
        "001085012345",
        "05/03/1985",
    )
    assert (row["sheet_row"], row["ward"]) == (9, "Xã Đông Hòa")
    assert pd.isna(row["ket_qua"]) and pd.isna(row["ghi_chu"])


def test_field_missing_names_each_missing_column():
    found = findings(
        finding("a.csv", 1, "field.missing", field="dob", column="Ngày sinh", message="thiếu"),
        finding("a.csv", 1, "field.missing", field="gender", column="Giới tính", message="thiếu"),
    )
    out = build_worklist(found, people({"source": "a.csv", "row": 1}), "vi")
    assert out["messages"].tolist() == ["thiếu (Ngày sinh); thiếu (Giới tính)"]


# --- actions ------------------------------------------------------------------------------


def test_every_rule_code_has_an_action_in_both_languages():
    assert set(ALL_RULES) <= set(RULE_ACTIONS)
    assert set(RULE_ACTIONS.values()) <= set(ACTION_ORDER)
    for action in ACTION_ORDER:
        assert translate(action, "vi") != action, f"no Vietnamese for {action!r}"
    found = findings(*(finding("a.csv", i + 1, code) for i, code in enumerate(ALL_RULES)))
    out = build_worklist(found, people({"source": "a.csv", "row": 1}), "vi")
    assert len(out) == len(ALL_RULES)
    assert out["action"].notna().all()
    assert translate(OTHER, "vi") not in set(out["action"])


def test_actions_are_the_officers_words():
    found = findings(
        finding("a.csv", 1, "id.format"),
        finding("a.csv", 2, "record.duplicate", field="bhxh_code"),
        finding("a.csv", 3, "record.duplicate"),
        finding("b.csv", 4, "person.duplicate"),
        finding("c.csv", 5, "person.duplicate"),
        finding("a.csv", 6, "dob.invalid"),
        finding("a.csv", 7, "link.unmatched"),
        finding("a.csv", 8, "field.missing", field="dob"),
    )
    who = people(
        {"source": "b.csv", "row": 4, "kind": "bhxh"},
        {"source": "c.csv", "row": 5, "kind": "btxh"},
    )
    out = build_worklist(found, who, "vi").set_index(["source", "row"])["action"]
    assert out[("a.csv", 1)] == "xác minh giấy tờ gốc"
    assert out[("a.csv", 2)] == "gộp sổ BHXH"  # one person, two BHXH books
    assert out[("a.csv", 3)] == "xoá dòng trùng"
    assert out[("b.csv", 4)] == "gộp sổ BHXH"  # a person twice in a BHXH extract
    assert out[("c.csv", 5)] == "xoá dòng trùng"
    assert out[("a.csv", 6)] == "đối chiếu giấy khai sinh"
    assert out[("a.csv", 7)] == "đối chiếu dữ liệu dân cư"
    assert out[("a.csv", 8)] == "đối chiếu giấy khai sinh"


def test_actions_are_deduplicated_most_urgent_first():
    found = findings(
        finding("a.csv", 1, "dob.partial"),
        finding("a.csv", 1, "id.format"),
        finding("a.csv", 1, "id.birth_year"),
        finding("a.csv", 1, "record.duplicate"),
    )
    out = build_worklist(found, people({"source": "a.csv", "row": 1}), "vi")
    assert out["action"].tolist() == [
        "xoá dòng trùng; xác minh giấy tờ gốc; đối chiếu giấy khai sinh"
    ]


def death(row: int, related: int | None) -> dict[str, object]:
    return finding(
        "btxh.csv",
        row,
        "vital.deceased_active",
        field="benefit_status",
        related_source="hotich.csv" if related else None,
        related_row=related,
    )


@pytest.mark.parametrize(
    ("died", "month"),
    [
        ("15/03/2025", "04/2025"),
        ("31/12/2024", "01/2025"),  # the next year
        ("2025-07-01", "08/2025"),
        ("11/2024", "12/2024"),  # month and year only
    ],
)
def test_payment_stops_from_the_month_after_the_death(died: str, month: str):
    found = findings(death(1, 7))
    who = people(
        {"source": "btxh.csv", "row": 1, "address": "Thôn 1, Xã A"},
        {"source": "hotich.csv", "row": 7, "death_date": died},
    )
    assert build_worklist(found, who, "vi")["action"].tolist() == [f"dừng chi trả từ tháng {month}"]
    assert build_worklist(found, who, "en")["action"].tolist() == [f"stop payment from {month}"]


def test_the_death_date_of_the_record_itself_serves_when_the_death_record_has_none():
    found = findings(death(1, 7), death(2, None))
    who = people(
        {"source": "btxh.csv", "row": 1, "death_date": "02/02/2025"},
        {"source": "btxh.csv", "row": 2, "death_date": "10/10/2024"},
        {"source": "hotich.csv", "row": 7, "death_date": None},
    )
    out = build_worklist(found, who, "vi").set_index("row")["action"]
    assert out[1] == "dừng chi trả từ tháng 03/2025"
    assert out[2] == "dừng chi trả từ tháng 11/2024"


@pytest.mark.parametrize("died", [None, "2024", "không rõ"])
def test_without_a_month_of_death_the_action_says_so(died: str | None):
    found = findings(death(1, 7), finding("btxh.csv", 1, "id.format"))
    who = people({"source": "hotich.csv", "row": 7, "death_date": died})
    action = build_worklist(found, who, "vi")["action"].iloc[0]
    assert action.startswith("dừng chi trả từ tháng sau tháng chết")  # the most urgent
    assert action.endswith("; xác minh giấy tờ gốc")
    assert "/" not in action


def test_the_run_language_words_the_actions():
    found = findings(finding("a.csv", 1, "bhxh.format"), finding("a.csv", 1, "id.legacy"))
    who = people({"source": "a.csv", "row": 1})
    assert build_worklist(found, who, "en")["action"].tolist() == [
        "check the BHXH book; update to the 12-digit ID"
    ]
    assert build_worklist(found, who, "vi")["action"].tolist() == [
        "đối chiếu sổ BHXH; cập nhật số định danh 12 số"
    ]


# --- outcomes and masking -----------------------------------------------------------------


def test_outcomes_have_stable_codes_and_words_in_both_languages():
    codes = [code for code, _vi, _en in OUTCOMES]
    assert len(set(codes)) == len(codes)
    assert {"fixed", "kept", "unverified", "merged", "stopped", "not_found"} <= set(codes)
    for lang in ("vi", "en"):
        words = outcome_words(lang)
        assert len(set(words)) == len(words) == len(OUTCOMES)
    assert outcome_words("vi")[:3] == ["đã sửa", "đúng, giữ nguyên", "không xác minh được"]


def test_mask_worklist_masks_the_id_and_the_name_only():
    found = findings(finding("a.csv", 1, "id.format"))
    who = people(
        {
            "source": "a.csv",
            "row": 1,
            "full_name": "Nguyễn Văn An",
            "id_number": "001085012345",
            "dob": "05/03/1985",
            "address": "Thôn 1, Xã A",
        }
    )
    plain = build_worklist(found, who, "vi")
    masked = mask_worklist(plain)
    assert masked["id_number"].tolist() == ["001******345"]
    assert masked["full_name"].tolist() == ["N***** V** A*"]
    same = [c for c in WORKLIST_COLUMNS if c not in ("id_number", "full_name")]
    pd.testing.assert_frame_equal(masked[same], plain[same])
    assert plain["id_number"].tolist() == ["001085012345"]  # the input is left as it was


# --- the report's drop-down ---------------------------------------------------------------


def worklist_of(n: int) -> pd.DataFrame:
    found = one_each([("a.csv", i + 1) for i in range(n)])
    who = people(
        *({"source": "a.csv", "row": i + 1, "address": f"Số {i + 1}, Thôn 1"} for i in range(n))
    )
    return build_worklist(found, who, "vi")


def validations(path: Path) -> dict[str, list[tuple[str, str, str]]]:
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: [(v.type, v.formula1, str(v.sqref)) for v in ws.data_validations.dataValidation]
        for ws in wb.worksheets
    }


def list_cells(path: Path, formula: str) -> list[object]:
    sheet, cells = formula.rsplit("!", 1)
    ws = openpyxl.load_workbook(path)[sheet.strip("'").replace("''", "'")]
    return [c.value for row in ws[cells.replace("$", "")] for c in row]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_ket_qua_has_a_drop_down_of_the_outcomes_on_every_part_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lang: str
):
    monkeypatch.setattr(write, "XLSX_MAX_ROWS", 4)  # header + 3 rows a sheet
    tables = {"findings": empty_findings(), "worklist": worklist_of(7)}
    write_tables(tables, tmp_path, ["xlsx"], lang=lang)
    path = tmp_path / "report.xlsx"
    column = openpyxl.utils.get_column_letter(WORKLIST_COLUMNS.index("ket_qua") + 1)
    found = validations(path)
    assert found["findings"] == []
    parts = {"worklist": f"{column}2:{column}4", "worklist (2)": f"{column}2:{column}4"}
    parts["worklist (3)"] = f"{column}2"
    for title, cells in parts.items():
        ((kind, formula, sqref),) = found[title]
        assert (kind, sqref) == ("list", cells)
        assert list_cells(path, formula) == outcome_words(lang)
    wb = openpyxl.load_workbook(path)
    hidden = [ws.title for ws in wb.worksheets if ws.sheet_state == "hidden"]
    assert len(hidden) == 1 and hidden[0] not in ("worklist", "findings", "summary")
    header = [c.value for c in wb["worklist"][1]]
    assert header[WORKLIST_COLUMNS.index("ket_qua")] == header_label("ket_qua", lang)
    assert header_label("ket_qua", "vi") == "Kết quả xác minh"
    assert header_label("ghi_chu", "vi") == "Ghi chú"


def test_drop_downs_are_given_per_table_and_column(tmp_path: Path):
    other = pd.DataFrame({"pair": ["1", "2"], "decision": [None, None]}).astype("string")
    choices = {"review": {"decision": ["cùng người", "khác người"]}}
    write_tables({"review": other, "worklist": worklist_of(2)}, tmp_path, ["xlsx"], choices=choices)
    found = validations(tmp_path / "report.xlsx")
    assert found["worklist"] == []  # choices given: only those
    ((kind, formula, sqref),) = found["review"]
    assert (kind, sqref) == ("list", "B2:B3")
    assert list_cells(tmp_path / "report.xlsx", formula) == ["cùng người", "khác người"]
    write_tables({"worklist": worklist_of(2)}, tmp_path, ["xlsx"], choices={})
    assert validations(tmp_path / "report.xlsx")["worklist"] == []


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_the_drop_down_survives_libreoffice(tmp_path: Path):
    write_tables({"worklist": worklist_of(3)}, tmp_path, ["xlsx"], lang="vi")
    out = tmp_path / "lo"
    profile = (tmp_path / "profile").as_uri()
    for fmt in ("xlsx", "ods"):
        subprocess.run(
            [
                "soffice",
                "--headless",
                f"-env:UserInstallation={profile}",
                "--convert-to",
                fmt,
                "--outdir",
                str(out),
                str(tmp_path / "report.xlsx"),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
    ((kind, formula, sqref),) = validations(out / "report.xlsx")["worklist"]
    assert (kind, sqref) == ("list", "L2:L4")
    assert list_cells(out / "report.xlsx", formula) == outcome_words("vi")
    content = zipfile.ZipFile(out / "report.ods").read("content.xml").decode()
    assert "cell-content-is-in-list" in content
    assert 'table:content-validation-name="val1"' in content
