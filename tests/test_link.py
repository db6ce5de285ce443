"""Record linkage (`cleanse.link`): hand-made cases in small files, three and four extracts
at once, stable person IDs, and pairwise precision/recall on the shipped samples."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import csv_text

import cleanse.link.blocking
from cleanse.link import METHODS, LinkResult, link, load_records
from cleanse.read import open_extract
from cleanse.secret import keyed_digest

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT / "samples"

# --- small synthetic extracts -------------------------------------------------------------
# Made-up people; IDs built as DOMAIN.md says (place code, gender/century digit, year).

HEADERS = {
    "dancu": ["Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính", "Ghi chú"],
    "bhxh": [
        "Mã số BHXH", "Số CCCD", "Họ và tên", "Ngày sinh", "Giới tính", "Trạng thái hưởng",
        "Ghi chú",
    ],
    "hotich": [
        "Loại việc hộ tịch", "Số định danh cá nhân", "Họ và tên", "Ngày sinh", "Giới tính",
        "Ngày chết", "Ghi chú",
    ],
    "btxh": [
        "Số định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Đối tượng", "Trạng thái hưởng",
        "Ghi chú",
    ],
}  # fmt: skip


def dancu(tag: str, id_number: str, name: str, dob: str, gender: str) -> list[str]:
    """A dân cư row; ``tag`` (a passed-through column) names the row in assertions."""
    return [id_number, name, dob, gender, tag]


def bhxh(
    tag: str, id_number: str, name: str, dob: str, gender: str, code: str = "", status: str = ""
) -> list[str]:
    """A BHXH row."""
    return [code, id_number, name, dob, gender, status or "Đang tham gia", tag]


def hotich(
    tag: str, id_number: str, name: str, dob: str, gender: str, event: str = "Khai sinh",
    died: str = "",
) -> list[str]:  # fmt: skip
    """A hộ tịch row."""
    return [event, id_number, name, dob, gender, died, tag]


def btxh(
    tag: str, id_number: str, name: str, dob: str, gender: str, status: str = "Đang hưởng"
) -> list[str]:
    """A bảo trợ row."""
    return [id_number, name, dob, gender, "Người cao tuổi", status, tag]


def run(
    tmp_path: Path, files: dict[str, list[list[str]]], **kwargs: object
) -> tuple[pd.DataFrame, LinkResult]:
    """Write ``{kind: rows}`` as ``kind.csv`` files, load them and link them."""
    extracts = []
    for kind, rows in files.items():
        path = tmp_path / f"{kind}.csv"
        path.write_text(csv_text([HEADERS[kind], *rows]), encoding="utf-8")
        extracts.append(open_extract(path, source=kind))
    records = load_records(extracts)
    return records, link(records, **kwargs)  # type: ignore[arg-type]


def person_of(tmp_path: Path, files: dict[str, list[list[str]]], **kwargs: object) -> dict:
    """``{tag: person_id}`` for every row of the files (tags are the rows' Ghi chú)."""
    records, result = run(tmp_path, files, **kwargs)
    return tags_to_person(tmp_path, files, records, result)


def tags_to_person(
    tmp_path: Path, files: dict[str, list[list[str]]], records: pd.DataFrame, result: LinkResult
) -> dict[str, str]:
    """Map each row's tag to its person_id through (source, row)."""
    tag_of = {(f"{kind}.csv", i + 1): row[-1] for kind, rows in files.items() for i, row in
              enumerate(rows)}  # fmt: skip
    persons = result.persons
    assert persons["record"].tolist() == list(range(len(records)))
    return {
        tag_of[(str(s), int(r))]: str(p)
        for s, r, p in zip(persons["source"], persons["row"], persons["person_id"], strict=True)
    }


def expected_id(id_number: str) -> str:
    """The person_id of a person whose reference ID is ``id_number``."""
    return "P" + keyed_digest(id_number)[:12]


# IDs: Hà Nội (001) or TP.HCM (079), gender/century digit, two year digits, six digits.
MINH, HUNG = "001090123456", "001090654321"
HUONG = "079185111222"
TAM = "001070333444"
AN_1, AN_2 = "001080555666", "079080777888"
ANH = "001192222333"
KHOI = "001075444555"


# --- hand-made cases ------------------------------------------------------------------------


def test_twins_with_one_birth_date_and_different_given_names_never_merge(tmp_path: Path) -> None:
    files = {
        "dancu": [
            dancu("minh", MINH, "Nguyễn Văn Minh", "12/05/1990", "Nam"),
            dancu("hung", HUNG, "Nguyễn Văn Hùng", "12/05/1990", "Nam"),
        ],
        "bhxh": [
            bhxh("minh-bhxh", "", "NGUYỄN VĂN MINH", "12/05/1990", "Nam"),
            bhxh("hung-bhxh", HUNG, "NGUYỄN VĂN HÙNG", "12/05/1990", "Nam"),
            # Twins known only to one system, with no ID at all: still two people.
            bhxh("lan", "", "Trần Thị Lan", "03/03/2001", "Nữ"),
            bhxh("lien", "", "Trần Thị Liên", "03/03/2001", "Nữ"),
        ],
    }
    person = person_of(tmp_path, files)
    assert person["minh"] == person["minh-bhxh"]
    assert person["hung"] == person["hung-bhxh"]
    assert person["minh"] != person["hung"]
    assert person["lan"] != person["lien"]


def test_twins_sharing_an_id_by_mistake_go_to_review_not_to_one_person(tmp_path: Path) -> None:
    files = {
        "dancu": [dancu("minh", MINH, "Nguyễn Văn Minh", "12/05/1990", "Nam")],
        "bhxh": [bhxh("hung", MINH, "Nguyễn Văn Hùng", "12/05/1990", "Nam")],
    }
    records, result = run(tmp_path, files)
    person = tags_to_person(tmp_path, files, records, result)
    assert person["minh"] != person["hung"]
    assert result.links.empty
    assert result.review[["left", "right"]].values.tolist() == [[0, 1]]
    reason = str(result.review["reason"].iloc[0])
    assert reason.startswith("same ID;") and "not linked: given names differ" in reason


@pytest.mark.parametrize(
    ("description", "left", "right", "phrase"),
    [
        (
            "a name that lost its accents",
            dancu("a", HUONG, "Trần Thị Thu Hương", "03/04/1985", "Nữ"),
            bhxh("b", "", "TRAN THI THU HUONG", "03/04/1985", "Nữ"),
            "names agree (accents folded)",
        ),
        (
            "old and new tone-mark placement",
            dancu("a", HUONG, "Lê Thị Thúy Hòa", "03/04/1985", "Nữ"),
            bhxh("b", "", "LÊ THỊ THUÝ HOÀ", "03/04/1985", "Nữ"),
            "names agree (accents folded)",
        ),
        (
            "day and month swapped",
            dancu("a", TAM, "Lê Văn Tám", "05/08/1970", "Nam"),
            bhxh("b", "", "LÊ VĂN TÁM", "08/05/1970", "Nam"),
            "birth day and month swapped",
        ),
        (
            "a dropped middle name",
            dancu("a", ANH, "Phạm Thị Ngọc Ánh", "14/02/1992", "Nữ"),
            bhxh("b", "", "PHẠM NGỌC ÁNH", "14/02/1992", "Nữ"),
            "a middle name is missing on one side",
        ),
        (
            "the name written given name first",
            dancu("a", ANH, "Phạm Ngọc Ánh", "14/02/1992", "Nữ"),
            bhxh("b", "", "ÁNH PHẠM NGỌC", "14/02/1992", "Nữ"),
            "same name words in another order",
        ),
        (
            "a typo in the given name",
            dancu("a", KHOI, "Đỗ Minh Khôi", "01/06/1975", "Nam"),
            bhxh("b", "", "ĐỖ MINH KHÔA", "01/06/1975", "Nam"),
            "given names differ by one letter",
        ),
        (
            "a legacy 9-digit CMND beside the 12-digit ID",
            dancu("a", KHOI, "Đỗ Minh Khôi", "01/06/1975", "Nam"),
            bhxh("b", "012345678", "ĐỖ MINH KHÔI", "01/06/1975", "Nam"),
            "names agree (accents folded); birth dates agree",
        ),
        (
            "a year-only birth date (01/01 placeholder)",
            dancu("a", "001042111222", "Hà Thị Gấm", "17/09/1942", "Nữ"),
            bhxh("b", "", "HÀ THỊ GẤM", "01/01/1942", "Nữ"),
            "one date is year only or 01/01",
        ),
        (
            "an ID with one digit changed, no name",
            dancu("a", KHOI, "Đỗ Minh Khôi", "01/06/1975", "Nam"),
            bhxh("b", "001075444556", "", "01/06/1975", "Nam"),
            "IDs differ in one digit",
        ),
        (
            "an ID that lost its leading zeros",
            dancu("a", KHOI, "Đỗ Minh Khôi", "01/06/1975", "Nam"),
            bhxh("b", "1075444555", "ĐỖ MINH KHÔI", "", "Nam"),
            "same ID",
        ),
        (
            "a 12-digit ID in the BHXH column and no ID",
            dancu("a", KHOI, "Đỗ Minh Khôi", "01/06/1975", "Nam"),
            bhxh("b", "", "ĐỖ MINH KHÔI", "01/06/1975", "Nam", code=KHOI),
            "same ID",
        ),
    ],
)
def test_links(
    tmp_path: Path, description: str, left: list[str], right: list[str], phrase: str
) -> None:
    """The two records are one person, and the link's reason says why."""
    records, result = run(tmp_path, {"dancu": [left], "bhxh": [right]})
    assert result.links[["left", "right"]].values.tolist() == [[0, 1]], description
    link_row = result.links.iloc[0]
    assert phrase in str(link_row["reason"]), (description, link_row["reason"])
    assert 0.85 <= link_row["score"] <= 1.0
    assert result.persons["person_id"].nunique() == 1


@pytest.mark.parametrize(
    ("description", "left", "right"),
    [
        (
            "the same common name and birth year, different IDs and days",
            dancu("a", AN_1, "Nguyễn Văn An", "12/03/1980", "Nam"),
            bhxh("b", AN_2, "NGUYỄN VĂN AN", "25/07/1980", "Nam"),
        ),
        (
            "the same common name and birth year, no ID, different days",
            dancu("a", AN_1, "Nguyễn Văn An", "12/03/1980", "Nam"),
            bhxh("b", "", "NGUYỄN VĂN AN", "25/07/1980", "Nam"),
        ),
        (
            "one ID shared by two people (names and birth dates differ)",
            dancu("a", AN_1, "Nguyễn Văn An", "12/03/1980", "Nam"),
            bhxh("b", AN_1, "Trần Quốc Bảo", "02/11/1980", "Nam"),
        ),
        (
            "the same name, nothing else to go on",
            dancu("a", "", "Võ Thị Xuân Mai", "", "Nữ"),
            bhxh("b", "", "VÕ THỊ XUÂN MAI", "", "Nữ"),
        ),
    ],
)
def test_does_not_link(tmp_path: Path, description: str, left: list[str], right: list[str]) -> None:
    records, result = run(tmp_path, {"dancu": [left], "bhxh": [right]})
    assert result.links.empty, (description, result.links)
    assert result.persons["person_id"].nunique() == 2


def test_two_persons_sharing_one_id_get_distinct_person_ids(tmp_path: Path) -> None:
    """The reference holder of the number keeps the plain person_id; the other gets -2."""
    files = {
        "dancu": [dancu("an", AN_1, "Nguyễn Văn An", "12/03/1980", "Nam")],
        "bhxh": [bhxh("bao", AN_1, "TRẦN QUỐC BẢO", "02/11/1980", "Nam")],
    }
    person = person_of(tmp_path, files)
    assert person == {"an": expected_id(AN_1), "bao": expected_id(AN_1) + "-2"}


def test_no_records() -> None:
    result = link(load_records([]))
    assert result.persons.empty and result.links.empty and result.review.empty
    assert list(result.links.columns) == ["left", "right", "method", "score", "reason"]


def test_records_of_one_extract_link_unless_their_ids_differ(tmp_path: Path) -> None:
    files = {
        "bhxh": [
            bhxh("khoi", KHOI, "ĐỖ MINH KHÔI", "01/06/1975", "Nam"),
            bhxh("khoi-copy", KHOI, "DO MINH KHOI", "01/06/1975", "Nam"),
            # Namesakes with one birth date and two well-formed IDs: two people.
            bhxh("an-1", AN_1, "NGUYỄN VĂN AN", "12/03/1980", "Nam"),
            bhxh("an-2", AN_2, "NGUYỄN VĂN AN", "12/03/1980", "Nam"),
        ],
    }
    records, result = run(tmp_path, files)
    person = tags_to_person(tmp_path, files, records, result)
    assert person["khoi"] == person["khoi-copy"]
    assert person["an-1"] != person["an-2"]
    assert result.links[["left", "right", "method"]].values.tolist() == [[0, 1, "id"]]
    assert result.stats["dropped_same_extract_ids"]  # dropped before scoring


def test_chaining_guard_keeps_different_ids_with_different_dates_apart(tmp_path: Path) -> None:
    """A record without ID that fits two people does not join them into one."""
    files = {
        "dancu": [dancu("son-1", "001060111111", "Hoàng Văn Sơn", "10/10/1960", "Nam")],
        "btxh": [btxh("son-2", "079060222222", "Hoàng Văn Sơn", "11/10/1960", "Nam")],
        "bhxh": [bhxh("son-?", "", "HOÀNG VĂN SƠN", "1960", "Nam")],
    }
    records, result = run(tmp_path, files)
    person = tags_to_person(tmp_path, files, records, result)
    assert person["son-1"] != person["son-2"]
    assert person["son-?"] in (person["son-1"], person["son-2"])
    assert result.stats["guard_rejected"] == 1
    notes = result.review["reason"].astype(str)
    assert notes.str.contains("different IDs and birth dates").sum() == 1


def test_chaining_guard_keeps_records_of_one_extract_with_different_ids_apart(
    tmp_path: Path,
) -> None:
    files = {
        "dancu": [
            dancu("son-1", "001060111111", "Hoàng Văn Sơn", "10/10/1960", "Nam"),
            dancu("son-2", "079060222222", "Hoàng Văn Sơn", "1960", "Nam"),
        ],
        "bhxh": [bhxh("son-?", "", "HOÀNG VĂN SƠN", "10/10/1960", "Nam")],
    }
    records, result = run(tmp_path, files)
    person = tags_to_person(tmp_path, files, records, result)
    assert person["son-1"] == person["son-?"] != person["son-2"]
    assert result.stats["guard_rejected"] == 1
    assert result.review["reason"].astype(str).str.contains("one extract").sum() == 1


def test_review_band_is_never_linked(tmp_path: Path) -> None:
    """Pairs scored between the thresholds go to review; lowering the threshold links them."""
    # The BHXH record's ID says born in 1981 (digits 5-6): it disagrees with its own
    # record, so it is no proof of another person.
    files = {
        "dancu": [dancu("a", AN_1, "Nguyễn Văn An", "12/03/1980", "Nam")],
        "bhxh": [bhxh("b", "079081777888", "NGUYỄN VĂN AN", "12/03/1980", "Nam")],
    }
    records, result = run(tmp_path, files)
    assert len(result.links) == 1  # different IDs, same name and date: linked at 0.85
    score = float(result.links["score"].iloc[0])
    reviewed = link(records, threshold=min(1.0, score + 0.01), review_threshold=score - 0.01)
    assert reviewed.links.empty
    assert reviewed.review[["left", "right"]].values.tolist() == [[0, 1]]
    assert reviewed.persons["person_id"].nunique() == 2
    with pytest.raises(ValueError, match="thresholds"):
        link(records, threshold=0.5, review_threshold=0.7)


# --- several extracts, persons --------------------------------------------------------------

FOUR = {
    "dancu": [
        dancu("tam", TAM, "Lê Văn Tám", "05/08/1950", "Nam"),
        dancu("huong", HUONG, "Trần Thị Thu Hương", "03/04/1985", "Nữ"),
        dancu("khoi", KHOI, "Đỗ Minh Khôi", "01/06/1975", "Nam"),
        dancu("minh", MINH, "Nguyễn Văn Minh", "12/05/1990", "Nam"),
    ],
    "bhxh": [
        bhxh("huong-bhxh", "", "TRẦN THỊ THU HƯƠNG", "03/04/1985", "Nữ", code="7912345678"),
        bhxh("tam-bhxh", TAM, "LÊ VĂN TÁM", "05/08/1950", "Nam", status="Đang hưởng"),
        bhxh("khoi-bhxh", "012345678", "ĐỖ MINH KHÔI", "06/01/1975", "Nam", status="Dừng hưởng"),
        bhxh("huong-bhxh-2", HUONG, "Tran Thi Thu Huong", "03/04/1985", "Nữ", code="7912345678"),
        bhxh("nobody", "", "PHAN VĂN XUYÊN", "20/10/1966", "Nam", code="0112345678"),
    ],
    "hotich": [
        hotich("tam-death", TAM, "Lê Văn Tám", "05/08/1950", "Nam", "Khai tử", "14/02/2025"),
    ],
    "btxh": [
        btxh("tam-btxh", TAM[:3] + " " + TAM[3:6] + " " + TAM[6:], "Lê Văn Tám", "1950", "Nam"),
        btxh("khoi-btxh", "", "Đỗ Minh Khôi", "01/06/1975", "Nam", status="Tạm dừng"),
    ],
}


def test_four_extracts_at_once(tmp_path: Path) -> None:
    records, result = run(tmp_path, FOUR)
    person = tags_to_person(tmp_path, FOUR, records, result)
    groups: dict[str, set[str]] = {}
    for tag, pid in person.items():
        groups.setdefault(pid, set()).add(tag)
    assert sorted(sorted(g) for g in groups.values()) == [
        ["huong", "huong-bhxh", "huong-bhxh-2"],
        ["khoi", "khoi-bhxh", "khoi-btxh"],
        ["minh"],
        ["nobody"],
        ["tam", "tam-bhxh", "tam-btxh", "tam-death"],
    ]
    # person_id from the reference ID; without any number, from the BHXH code.
    assert person["tam"] == expected_id(TAM)
    assert person["huong"] == expected_id(HUONG)
    assert person["nobody"] == "P" + keyed_digest("bhxh:0112345678")[:12]
    assert set(result.links["method"]) <= set(METHODS)
    assert {"id", "bhxh", "fuzzy"} <= set(result.links["method"])
    assert (result.links["left"] < result.links["right"]).all()
    assert result.links["score"].between(0, 1).all()
    # A person (three records) needs no review.
    assert result.review.empty


def test_three_extracts_at_once(tmp_path: Path) -> None:
    three = {k: FOUR[k] for k in ("bhxh", "hotich", "btxh")}
    records, result = run(tmp_path, three)
    person = tags_to_person(tmp_path, three, records, result)
    assert person["tam-bhxh"] == person["tam-death"] == person["tam-btxh"]
    assert person["khoi-bhxh"] == person["khoi-btxh"] != person["tam-bhxh"]
    assert person["huong-bhxh"] == person["huong-bhxh-2"]
    # No reference: the person_id still comes from the smallest well-formed ID.
    assert person["tam-bhxh"] == expected_id(TAM)


def test_load_records_columns(tmp_path: Path) -> None:
    records, _ = run(tmp_path, FOUR)
    by_tag = {
        (str(s), int(r)): i
        for i, (s, r) in enumerate(zip(records["source"], records["row"], strict=True))
    }

    def rec(kind: str, tag: str) -> pd.Series:
        row = [r[-1] for r in FOUR[kind]].index(tag) + 1
        return records.iloc[by_tag[(f"{kind}.csv", row)]]

    assert list(records["src"].unique()) == [0, 1, 2, 3]
    assert rec("bhxh", "khoi-bhxh")["cmnd9"] == "012345678"
    assert pd.isna(rec("bhxh", "khoi-bhxh")["id12"])
    assert rec("btxh", "tam-btxh")["id12"] == TAM  # spaced
    assert rec("btxh", "tam-btxh")["dob_precision"] == "year"
    assert rec("bhxh", "huong-bhxh")["bhxh"] == "7912345678"
    assert rec("dancu", "huong")["name_key"] == "tran thi thu huong"
    assert (rec("dancu", "huong")["surname"], rec("dancu", "huong")["given"]) == ("tran", "huong")
    assert rec("dancu", "huong")["middle"] == "thi thu"
    death = rec("hotich", "tam-death")
    assert death["is_death_event"] and death["death_ord"] == 20250214
    assert rec("bhxh", "tam-bhxh")["active"] and not rec("bhxh", "khoi-bhxh")["active"]
    assert rec("btxh", "tam-btxh")["active"] and not rec("btxh", "khoi-btxh")["active"]
    assert not rec("dancu", "tam")["active"]
    assert isinstance(records["source"].dtype, pd.CategoricalDtype)


def test_load_records_repairs_names_and_restores_ids(tmp_path: Path) -> None:
    # UTF-8 bytes read as cp1252 (the bytes it leaves undefined as Latin-1).
    garbled = "".join(
        chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
        for b in "Nguyễn Văn Đức".encode()
    )
    files = {
        "dancu": [
            dancu("a", "1090123456", "Trần Thị #Lan", "01/01/1990", "Nữ"),
            dancu("b", "001090123457", garbled, "02/01/1990", "Nam"),
            dancu("c", "001090123458", "Lan", "03/01/1990", "Nữ"),
        ]
    }
    records, _ = run(tmp_path, files)
    assert records["id12"].tolist()[0] == "001090123456"
    assert records["name_key"].tolist() == ["tran thi lan", "nguyen van duc", "lan"]
    assert pd.isna(records["surname"].iloc[2]) and records["given"].iloc[2] == "lan"


def test_person_id_is_stable_when_rows_are_shuffled(tmp_path: Path) -> None:
    files = {kind: [list(r) for r in rows] for kind, rows in FOUR.items()}
    files["bhxh"].append(bhxh("no-number", "", "LƯU THỊ YẾN", "09/09/1999", "Nữ"))
    files["bhxh"].append(bhxh("no-number-2", "", "Luu Thi Yen", "09/09/1999", "Nữ"))
    (tmp_path / "first").mkdir()
    first = person_of(tmp_path / "first", files)
    rng = random.Random(7)
    for seed in range(3):
        shuffled = {kind: rng.sample(rows, len(rows)) for kind, rows in files.items()}
        order = list(shuffled)
        rng.shuffle(order)
        shuffled = {kind: shuffled[kind] for kind in order}
        folder = tmp_path / f"shuffled-{seed}"
        folder.mkdir()
        assert person_of(folder, shuffled) == first
    assert first["no-number"] == first["no-number-2"]


def test_block_caps_are_respected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A block bigger than its cap is skipped in that pass and counted, not compared."""
    rows = [bhxh(f"r{i}", "", "NGUYỄN VĂN AN", f"{i + 1:02d}/03/1980", "Nam") for i in range(12)]
    monkeypatch.setattr(cleanse.link.blocking, "CAP_NAME", 5)  # where _candidates reads it
    _, result = run(tmp_path, {"bhxh": rows})
    assert result.stats["blocks_skipped"] == {"name_year": 1}
    assert result.stats["pairs_per_pass"]["name_year"] == 0  # type: ignore[index]


# --- the shipped samples ---------------------------------------------------------------------


def same_person_pairs(labels: np.ndarray) -> set[tuple[int, int]]:
    """Every unordered pair of record indices with the same label."""
    pairs: set[tuple[int, int]] = set()
    for members in pd.Series(np.arange(len(labels))).groupby(labels).groups.values():
        idx = sorted(int(i) for i in members)
        pairs.update((a, b) for i, a in enumerate(idx) for b in idx[i + 1 :])
    return pairs


def test_samples_pairwise_precision_and_recall() -> None:
    extracts = [open_extract(p) for p in sorted(SAMPLES.glob("*.csv"))]
    records = load_records(extracts)
    result = link(records)
    truth = pd.read_csv(SAMPLES / "truth" / "persons.csv", dtype=str)
    truth["row"] = truth["row"].astype(int)
    keyed = (
        records[["source", "row"]]
        .astype({"source": str})
        .merge(truth, on=["source", "row"], how="left")
    )
    assert keyed["person"].notna().all()
    predicted = same_person_pairs(result.persons["person_id"].to_numpy())
    true = same_person_pairs(keyed["person"].to_numpy())
    hits = len(predicted & true)
    precision, recall = hits / len(predicted), hits / len(true)
    print(f"samples: precision {precision:.4f}, recall {recall:.4f}, {len(true)} true pairs")
    assert precision >= 0.99
    assert recall >= 0.99
    assert result.persons["person_id"].str.fullmatch(r"P[0-9a-f]{12}(-\d+)?").all()
