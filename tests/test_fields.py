"""Header matching, column maps, source kinds and required fields (SPEC §1)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import csv_text

from cleanse.errors import CleanseError
from cleanse.fields import (
    FIELDS,
    REQUIRED,
    SOURCE_KINDS,
    check_required,
    detect_kind,
    map_columns,
    match_header,
    nearest_fields,
    parse_map_option,
    read_map_file,
    unique_headers,
)
from cleanse.read import read_all

# --- match_header ---------------------------------------------------------------------

HEADERS = [
    pytest.param("Họ và tên", "full_name", id="ho-va-ten"),
    pytest.param("HO VA TEN", "full_name", id="HO-VA-TEN-capitals-no-accents"),
    pytest.param("ho_va_ten", "full_name", id="ho_va_ten-snake-case"),
    pytest.param("Họ tên", "full_name", id="ho-ten"),
    pytest.param("  Họ   và tên ", "full_name", id="ho-va-ten-stray-spaces"),
    pytest.param("Ho\u0323 va\u0300 tên", "full_name", id="ho-va-ten-decomposed"),
    pytest.param("Số định danh cá nhân", "id_number", id="so-dinh-danh-ca-nhan"),
    pytest.param("SO DINH DANH CA NHAN", "id_number", id="SO-DINH-DANH-CA-NHAN"),
    pytest.param("Số CMND/CCCD", "id_number", id="so-cmnd-cccd"),
    pytest.param("CCCD", "id_number", id="cccd"),
    pytest.param("Mã số BHXH", "bhxh_code", id="ma-so-bhxh"),
    pytest.param("Ma so BHXH", "bhxh_code", id="ma-so-bhxh-no-accents"),
    pytest.param("Ngày sinh", "dob", id="ngay-sinh"),
    pytest.param("NGÀY THÁNG NĂM SINH", "dob", id="NGAY-THANG-NAM-SINH"),
    pytest.param("Giới tính", "gender", id="gioi-tinh"),
    pytest.param("Dân tộc", "ethnicity", id="dan-toc"),
    pytest.param("Quốc tịch", "nationality", id="quoc-tich"),
    pytest.param("Địa chỉ thường trú", "address", id="dia-chi-thuong-tru"),
    pytest.param("Nơi thường trú", "address", id="noi-thuong-tru"),
    pytest.param("Xã/Phường", "ward", id="xa-phuong"),
    pytest.param("Tỉnh/Thành phố", "province", id="tinh-thanh-pho"),
    pytest.param("Loại việc hộ tịch", "event", id="loai-viec-ho-tich"),
    pytest.param("Ngày mất", "death_date", id="ngay-mat"),
    pytest.param("Ngày chết", "death_date", id="ngay-chet"),
    pytest.param("Đối tượng", "benefit_type", id="doi-tuong"),
    pytest.param("Trạng thái hưởng", "benefit_status", id="trang-thai-huong"),
    pytest.param("Ngày bắt đầu hưởng", "benefit_start", id="ngay-bat-dau-huong"),
    pytest.param("SĐT", "phone", id="sdt"),
    pytest.param("Số điện thoại", "phone", id="so-dien-thoai"),
    pytest.param("full_name", "full_name", id="canonical-full_name"),
    pytest.param("dob", "dob", id="canonical-dob"),
    pytest.param("Họ", "family_name", id="ho-family-name"),
    pytest.param("HỌ", "family_name", id="HO-family-name-capitals"),
    pytest.param("Họ đệm", "family_name", id="ho-dem-family-and-middle"),
    pytest.param("Tên đệm", "middle_name", id="ten-dem"),
    pytest.param("Tên lót", "middle_name", id="ten-lot-southern"),
    pytest.param("Tên", "given_name", id="ten-given-name"),
    pytest.param("Surname", "family_name", id="surname"),
    pytest.param("given_name", "given_name", id="canonical-given_name"),
    pytest.param("other_id", "other_id", id="canonical-other_id"),
]


@pytest.mark.parametrize(("header", "field"), HEADERS)
def test_header_names_its_field(header: str, field: str):
    assert match_header(header) == field


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Ghi chú", id="ghi-chu-remarks"),
        pytest.param("STT", id="stt-row-counter"),
        pytest.param("Hệ số", id="he-so-coefficient"),
        pytest.param("Mức trợ cấp", id="muc-tro-cap-allowance"),
        pytest.param("", id="blank"),
        # Vietnamese writes the family name first: which is "first" depends on the form.
        pytest.param("First name", id="first-name-ambiguous"),
        pytest.param("Last name", id="last-name-ambiguous"),
        pytest.param("Tên đầy đủ", id="ten-day-du-not-given-name"),
        pytest.param("Họ tên chủ hộ", id="ho-ten-chu-ho-not-family-name"),
    ],
)
def test_other_headers_name_no_field(header: str):
    assert match_header(header) is None


@pytest.mark.parametrize(
    ("header", "field"),
    [
        pytest.param("Họ và tên", "full_name", id="ho-va-ten-is-not-ho"),
        pytest.param("Họ tên", "full_name", id="ho-ten-is-not-ho"),
        pytest.param("Họ, chữ đệm và tên", "full_name", id="ho-chu-dem-va-ten-is-not-tendem"),
        pytest.param("Ngày sinh", "dob", id="not-a-name-part"),
    ],
)
def test_name_part_headers_do_not_take_longer_headers(header: str, field: str):
    # Matching is exact on the folded header: "Họ" is not a prefix match.
    assert match_header(header) == field


def test_every_field_matches_its_own_name():
    assert {f: match_header(f) for f in FIELDS} == {f: f for f in FIELDS}


# --- map_columns ----------------------------------------------------------------------


def test_map_option_maps_its_header():
    columns = map_columns(["Tên", "Ngày sinh"], {"Tên": "full_name"})
    assert columns.fields == {"Tên": "full_name", "Ngày sinh": "dob"}
    assert columns.explicit == frozenset({"Tên"})


def test_map_option_suppresses_automatic_match_of_that_field():
    columns = map_columns(["Tên", "Họ và tên", "Ngày sinh"], {"Tên": "full_name"})
    assert columns.fields == {"Tên": "full_name", "Ngày sinh": "dob"}


def test_map_option_wins_over_the_header_own_match():
    columns = map_columns(["Ngày sinh", "Năm sinh"], {"Năm sinh": "dob", "Ngày sinh": "phone"})
    assert columns.fields == {"Năm sinh": "dob", "Ngày sinh": "phone"}


def test_map_option_header_is_matched_loosely():
    columns = map_columns(["Tên đầy đủ", "Ngày sinh"], {"TEN DAY DU": "full_name"})
    assert columns.fields["Tên đầy đủ"] == "full_name"


def test_map_option_for_an_absent_header_is_listed_not_raised():
    # A --map given for several files may name a header only some of them have.
    columns = map_columns(["Họ và tên", "Ngày sinh"], {"Số sổ": "bhxh_code"})
    assert columns.fields == {"Họ và tên": "full_name", "Ngày sinh": "dob"}
    assert columns.absent == (("Số sổ", "bhxh_code"),)


def test_map_file_line_for_an_absent_header_is_ignored(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text("Số sổ = bhxh_code\n", encoding="utf-8")
    columns = map_columns(["Họ và tên", "Ngày sinh"], read_map_file(path))
    assert columns.fields == {"Họ và tên": "full_name", "Ngày sinh": "dob"}
    assert columns.absent == ()


def test_two_map_options_for_one_field_in_a_file_raise():
    with pytest.raises(CleanseError, match="columns 'A' and 'B' are both mapped to full_name"):
        map_columns(["A", "B", "Ngày sinh"], {"A": "full_name", "B": "full_name"}, path="f.csv")


def test_map_option_wins_over_a_map_file_line_for_the_same_field(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text("Tên đầy đủ = full_name\n", encoding="utf-8")
    user_map = read_map_file(path)
    user_map.update(parse_map_option(["Họ tên khai sinh=full_name"]))  # as the CLI merges
    columns = map_columns(["Tên đầy đủ", "Họ tên khai sinh", "Ngày sinh"], user_map)
    assert columns.fields == {"Họ tên khai sinh": "full_name", "Ngày sinh": "dob"}


def test_map_option_wins_over_a_map_file_line_for_the_same_header(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text("Ghi chú = phone\n", encoding="utf-8")
    user_map = read_map_file(path)
    user_map.update(parse_map_option(["GHI CHU=other_id"]))
    columns = map_columns(["Ghi chú", "Họ và tên", "Ngày sinh"], user_map)
    assert columns.fields["Ghi chú"] == "other_id"


def test_map_file_with_two_headers_of_one_field_present_raises(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text("Tên đầy đủ = full_name\nHọ tên khai sinh = full_name\n", encoding="utf-8")
    user_map = read_map_file(path)  # one file serves many extracts: both lines are fine
    assert map_columns(["Tên đầy đủ", "Ngày sinh"], user_map).fields["Tên đầy đủ"] == "full_name"
    with pytest.raises(CleanseError, match="both mapped to full_name"):
        map_columns(["Tên đầy đủ", "Họ tên khai sinh"], user_map)


def test_two_headers_for_one_field_raise_with_a_map_hint():
    with pytest.raises(CleanseError) as caught:
        map_columns(["Số CCCD", "Họ và tên", "Số định danh cá nhân"], path="x.csv")
    message = str(caught.value)
    assert "Số CCCD" in message and "Số định danh cá nhân" in message
    assert '--map "Số CCCD=id_number"' in message
    assert caught.value.path == "x.csv"


def test_map_option_settles_two_headers_for_one_field():
    columns = map_columns(
        ["Số CCCD", "Số định danh cá nhân"], {"Số định danh cá nhân": "id_number"}
    )
    assert columns.fields == {"Số định danh cá nhân": "id_number"}


def test_unknown_columns_are_kept_under_their_header():
    columns = map_columns(["STT", "Họ và tên", "Ghi chú"])
    assert columns.headers == ("STT", "Họ và tên", "Ghi chú")
    assert columns.fields == {"Họ và tên": "full_name"}


def test_unknown_columns_pass_through_the_reader(tmp_path: Path):
    path = tmp_path / "extract.csv"
    rows = [["STT", "Họ và tên", "Ngày sinh", "Ghi chú"], ["1", "Nguyễn Văn An", "1990", "mới"]]
    path.write_text(csv_text(rows), encoding="utf-8")
    _, frame = read_all(path)
    assert list(frame.columns) == ["STT", "full_name", "dob", "Ghi chú"]
    assert frame["Ghi chú"].tolist() == ["mới"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(["Ghi chú", "Ghi chú"], ("Ghi chú", "Ghi chú (2)"), id="repeat"),
        pytest.param(["", "Họ và tên", "  "], ("column 1", "Họ và tên", "column 3"), id="blank"),
        pytest.param([" Ghi chú ", "Ghi chú"], ("Ghi chú", "Ghi chú (2)"), id="spaces-trimmed"),
    ],
)
def test_duplicate_and_blank_headers_are_named(headers: list[str], expected: tuple[str, ...]):
    assert unique_headers(headers) == expected


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(["Ghi chú", "Ghi chú", "Ghi chú (2)"], id="repeat-then-its-new-name"),
        pytest.param(["Ghi chú", "Ghi chú (2)", "Ghi chú"], id="new-name-then-repeat"),
        pytest.param(["", "column 1"], id="blank-then-its-new-name"),
        pytest.param(["a", "a", "a", "a (2)", "a (3)", "", "column 6"], id="many"),
    ],
)
def test_headers_are_always_made_unique(headers: list[str]):
    named = unique_headers(headers)
    assert len(set(named)) == len(headers)


def test_duplicate_headers_read_as_separate_columns(tmp_path: Path):
    path = tmp_path / "extract.csv"
    rows = [
        ["Họ và tên", "Ngày sinh", "Ghi chú", "Ghi chú", ""],
        ["Lê Văn An", "1990", "a", "b", "c"],
    ]
    path.write_text(csv_text(rows), encoding="utf-8")
    _, frame = read_all(path)
    assert list(frame.columns) == ["full_name", "dob", "Ghi chú", "Ghi chú (2)", "column 5"]
    assert frame.iloc[0].tolist() == ["Lê Văn An", "1990", "a", "b", "c"]


# --- a name split over columns ---------------------------------------------------------

SPLIT = [
    pytest.param(
        ["Họ", "Tên đệm", "Tên", "Ngày sinh"],
        {},
        ("family_name", "middle_name", "given_name"),
        id="ho-ten-dem-ten",
    ),
    pytest.param(["Họ", "Tên", "Ngày sinh"], {}, ("family_name", "given_name"), id="ho-ten"),
    pytest.param(["Họ đệm", "Tên", "Ngày sinh"], {}, ("family_name", "given_name"), id="ho-dem"),
    pytest.param(["Surname", "Given name", "DOB"], {}, ("family_name", "given_name"), id="english"),
    pytest.param(
        ["A", "B", "Ngày sinh"],
        {"A": "family_name", "B": "given_name"},
        ("family_name", "given_name"),
        id="mapped",
    ),
    pytest.param(
        ["Tên", "Ngày sinh"], {"Tên": "given_name"}, ("given_name",), id="mapped-given-alone"
    ),
    pytest.param(
        ["Họ", "Tên gọi", "Ngày sinh"],
        {"Tên gọi": "given_name"},
        ("family_name", "given_name"),
        id="one-mapped-one-matched",
    ),
]


@pytest.mark.parametrize(("headers", "user_map", "joined"), SPLIT)
def test_split_name_is_joined_into_full_name(
    headers: list[str], user_map: dict[str, str], joined: tuple[str, ...]
):
    columns = map_columns(headers, user_map)
    assert columns.joined == joined
    assert "full_name" in columns.present
    check_required(columns, "generic")


@pytest.mark.parametrize(
    ("headers", "passed_through"),
    [
        pytest.param(["Tên", "Ngày sinh"], ["Tên"], id="ten-alone-may-be-the-whole-name"),
        pytest.param(["Họ", "Ngày sinh"], ["Họ"], id="ho-alone"),
        pytest.param(["Họ", "Tên đệm", "Ngày sinh"], ["Họ", "Tên đệm"], id="no-given-name"),
        pytest.param(["Họ và tên", "Tên", "Ngày sinh"], ["Tên"], id="ten-kept-for-sorting"),
    ],
)
def test_a_lone_name_part_is_not_taken_for_one(headers: list[str], passed_through: list[str]):
    columns = map_columns(headers)
    assert columns.joined == ()
    assert [h for h in headers if h not in columns.fields] == passed_through


def test_lone_ten_still_gets_the_full_name_hint():
    columns = map_columns(["Tên", "Ngày sinh"])
    with pytest.raises(CleanseError, match='--map "Tên=full_name"'):
        check_required(columns, "generic")


def test_split_name_beside_a_full_name_is_not_joined():
    columns = map_columns(["Họ và tên", "Họ", "Tên", "Ngày sinh"])
    assert columns.joined == ()
    assert columns.fields == {
        "Họ và tên": "full_name",
        "Họ": "family_name",
        "Tên": "given_name",
        "Ngày sinh": "dob",
    }


def test_split_name_reads_as_full_name_beside_its_parts(tmp_path: Path):
    path = tmp_path / "split.csv"
    rows = [
        ["STT", "Họ", "Tên đệm", "Tên", "Ngày sinh"],
        ["1", "Nguyễn", "Văn", "An", "1990"],
        ["2", " Lê ", "", "Bình", "1991"],  # no middle name; stray spaces
        ["3", "Trần", "Thị  Minh", "Châu", "1992"],  # spacing inside a part is kept
        ["4", "", "", "", "1993"],
    ]
    path.write_text(csv_text(rows), encoding="utf-8")
    ext, frame = read_all(path, chunk_rows=2)
    assert list(frame.columns) == [
        "STT",
        "full_name",
        "family_name",
        "middle_name",
        "given_name",
        "dob",
    ]
    assert frame["full_name"].tolist() == ["Nguyễn Văn An", "Lê Bình", "Trần Thị  Minh Châu", ""]
    assert frame["family_name"].tolist() == ["Nguyễn", " Lê ", "Trần", ""]
    assert "full_name joined from the columns 'Họ', 'Tên đệm', 'Tên'" in ext.notes


def test_split_name_of_an_empty_file_reads_as_full_name(tmp_path: Path):
    path = tmp_path / "split.csv"
    path.write_text(csv_text([["Họ", "Tên", "Ngày sinh"]]), encoding="utf-8")
    _, frame = read_all(path)
    assert list(frame.columns) == ["full_name", "family_name", "given_name", "dob"]


# --- --map naming a header the file lacks ------------------------------------------------


def test_required_field_missing_through_an_absent_map_header_names_the_nearest():
    columns = map_columns(["Ho ten khai sinh", "Ngày sinh"], {"Họ tên khai sinhh": "full_name"})
    with pytest.raises(CleanseError) as caught:
        check_required(columns, "generic", path="x.csv")
    assert str(caught.value).startswith(
        "x.csv: --map \"Họ tên khai sinhh=full_name\": no column is headed 'Họ tên khai sinhh'; "
        "nearest: 'Ho ten khai sinh'"
    )


def test_absent_map_header_with_nothing_near_lists_the_headers():
    columns = map_columns(["A", "B", "Ngày sinh"], {"X": "full_name"})
    with pytest.raises(CleanseError, match="found: A, B, Ngày sinh"):
        check_required(columns, "generic")


def test_absent_map_header_of_a_name_part_explains_a_missing_full_name():
    columns = map_columns(["Ho", "Ngày sinh"], {"Tenn": "given_name"})
    with pytest.raises(CleanseError, match='--map "Tenn=given_name"'):
        check_required(columns, "generic")


# --- detect_kind ----------------------------------------------------------------------

IDENTITY = {"id_number", "full_name", "dob", "gender"}


@pytest.mark.parametrize(
    ("present", "kind"),
    [
        pytest.param(IDENTITY | {"ethnicity"}, "dancu", id="dancu-ethnicity"),
        pytest.param(IDENTITY | {"nationality", "address"}, "dancu", id="dancu-nationality"),
        pytest.param(IDENTITY | {"bhxh_code"}, "bhxh", id="bhxh"),
        pytest.param(
            IDENTITY | {"bhxh_code", "benefit_status"}, "bhxh", id="bhxh-with-status-column"
        ),
        pytest.param(IDENTITY | {"event"}, "hotich", id="hotich"),
        pytest.param(
            IDENTITY | {"event", "death_date", "bhxh_code"}, "hotich", id="hotich-before-bhxh"
        ),
        pytest.param(IDENTITY | {"benefit_type", "benefit_status"}, "btxh", id="btxh"),
        pytest.param(IDENTITY | {"benefit_start"}, "btxh", id="btxh-start-only"),
        pytest.param(IDENTITY, "generic", id="identity-without-ethnicity"),
        pytest.param({"full_name", "dob", "ethnicity"}, "generic", id="dancu-without-id"),
        pytest.param({"full_name", "dob"}, "generic", id="name-and-dob"),
        pytest.param(set(), "generic", id="nothing"),
    ],
)
def test_kind_is_detected_from_the_columns(present: set[str], kind: str):
    assert detect_kind(present) == kind


def test_every_kind_has_required_fields():
    assert set(REQUIRED) == set(SOURCE_KINDS)


# --- check_required -------------------------------------------------------------------


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_all_required_columns_present_passes(kind: str):
    columns = map_columns(list(REQUIRED[kind]))
    check_required(columns, kind, path="x.csv")


def test_missing_required_column_lists_found_columns():
    columns = map_columns(["STT", "Tên", "Ngày sinh"])
    with pytest.raises(CleanseError) as caught:
        check_required(columns, "generic", path="x.csv")
    message = str(caught.value)
    assert "needs column(s) full_name" in message
    assert "found: STT, Tên, Ngày sinh" in message
    assert caught.value.path == "x.csv"


def test_missing_required_column_suggests_a_map():
    columns = map_columns(["STT", "Tên", "Ngày sinh"])
    with pytest.raises(CleanseError, match='--map "Tên=full_name"'):
        check_required(columns, "generic")


@pytest.mark.parametrize(("kind", "fields"), list(REQUIRED.items()), ids=list(REQUIRED))
def test_missing_required_columns_are_all_named(kind: str, fields: tuple[str, ...]):
    columns = map_columns(["Ghi chú"])
    with pytest.raises(CleanseError) as caught:
        check_required(columns, kind)
    assert f"needs column(s) {', '.join(fields)}" in str(caught.value)


@pytest.mark.parametrize(
    ("header", "named"),
    [
        pytest.param("Số định danh;Họ và tên;Ngày sinh;Giới tính", "';'", id="semicolon"),
        pytest.param("Số định danh|Họ và tên|Ngày sinh", "'|'", id="pipe"),
        pytest.param("Số định danh\tHọ và tên\tNgày sinh", "tabs", id="tab"),
    ],
)
def test_header_of_names_in_one_column_names_its_delimiter(header: str, named: str):
    # One header holding several known names: the line is split by another delimiter.
    with pytest.raises(CleanseError) as caught:
        check_required(map_columns([header, "x"]), "generic")
    assert f"names separated by {named}" in str(caught.value)
    assert "--map" not in str(caught.value)


def test_header_with_a_delimiter_but_unknown_parts_gets_the_map_hint():
    # "Ghi chú; khác; thêm" is one odd column name, not a header split wrongly.
    with pytest.raises(CleanseError) as caught:
        check_required(map_columns(["Ghi chú; khác; thêm", "Tên", "Ngày sinh"]), "generic")
    assert "found: Ghi chú; khác; thêm" in str(caught.value)
    assert "separated" not in str(caught.value)


# --- --map and mapping files ----------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(["Tên=full_name"], {"Tên": "full_name"}, id="one"),
        pytest.param([" Tên đầy đủ = full_name "], {"Tên đầy đủ": "full_name"}, id="spaces"),
        pytest.param(
            ["Tên=full_name", "Số sổ=bhxh_code"],
            {"Tên": "full_name", "Số sổ": "bhxh_code"},
            id="two",
        ),
        pytest.param(["Ngày=tháng=dob"], {"Ngày=tháng": "dob"}, id="equals-in-header"),
        pytest.param([], {}, id="none"),
    ],
)
def test_map_option_is_read(items: list[str], expected: dict[str, str]):
    assert parse_map_option(items) == expected


@pytest.mark.parametrize(
    ("item", "nearest"),
    [
        pytest.param("Tên=fullname", "full_name", id="fullname"),
        pytest.param("Tên=Full_Name", "full_name", id="capitals"),
        pytest.param("Giới=gendr", "gender", id="gendr"),
        pytest.param("Số sổ=bhxh", "bhxh_code", id="bhxh"),
    ],
)
def test_map_option_bad_field_names_the_nearest(item: str, nearest: str):
    with pytest.raises(CleanseError, match=f"nearest: {nearest}"):
        parse_map_option([item])


@pytest.mark.parametrize(
    "item",
    [
        pytest.param("Tên", id="no-equals"),
        pytest.param("=full_name", id="no-header"),
        pytest.param("Tên=", id="no-field"),
        pytest.param(" = ", id="blank"),
    ],
)
def test_map_option_malformed_item_is_an_error(item: str):
    with pytest.raises(CleanseError, match="Header=field"):
        parse_map_option([item])


@pytest.mark.parametrize(
    ("items", "says"),
    [
        pytest.param(
            ["A=full_name", "B=full_name"],
            '--map "B=full_name": full_name is already mapped by --map "A=full_name"',
            id="two-headers-one-field",
        ),
        pytest.param(
            ["Tên=full_name", "TEN=dob"],
            '--map "TEN=dob": the column \'TEN\' is already mapped by --map "Tên=full_name"',
            id="one-header-two-fields",
        ),
    ],
)
def test_map_options_that_clash_are_an_error(items: list[str], says: str):
    with pytest.raises(CleanseError) as caught:
        parse_map_option(items)
    assert str(caught.value).startswith(says)


def test_the_same_map_option_twice_is_fine():
    assert parse_map_option(["Tên=full_name", "Tên=full_name"]) == {"Tên": "full_name"}


def test_map_file_may_name_one_field_under_two_headers(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text("Tên đầy đủ = full_name\nHọ tên khai sinh = full_name\n", encoding="utf-8")
    assert read_map_file(path) == {"Tên đầy đủ": "full_name", "Họ tên khai sinh": "full_name"}


def test_map_file_naming_one_header_twice_is_an_error(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text("Tên = full_name\nTên = given_name\n", encoding="utf-8")
    with pytest.raises(CleanseError, match='the line "Tên = given_name"') as caught:
        read_map_file(path)
    assert caught.value.path == str(path)


def test_map_file_skips_comments_and_blank_lines(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text(
        "# mapping for the ward's BHXH export\n"
        "\n"
        "Tên đầy đủ = full_name   # the export's own name\n"
        "  # indented comment\n"
        "Số sổ = bhxh_code\n",
        encoding="utf-8-sig",
    )
    assert read_map_file(path) == {"Tên đầy đủ": "full_name", "Số sổ": "bhxh_code"}


def test_map_file_bad_field_names_the_file(tmp_path: Path):
    path = tmp_path / "map.txt"
    path.write_text("Tên = fullname\n", encoding="utf-8")
    with pytest.raises(CleanseError, match="full_name") as caught:
        read_map_file(path)
    assert caught.value.path == str(path)


def test_missing_map_file_is_an_error(tmp_path: Path):
    with pytest.raises(CleanseError, match="mapping file"):
        read_map_file(tmp_path / "no-map.txt")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        pytest.param("Họ và tên khai sinh", "full_name", id="longer-name-header"),
        pytest.param("Ngay sinh (dd/mm/yyyy)", "dob", id="dob-with-format"),
        pytest.param("fullname", "full_name", id="fullname"),
    ],
)
def test_nearest_fields_suggests_the_likely_field(header: str, field: str):
    assert field in nearest_fields(header)


def test_nearest_fields_of_blank_is_empty():
    assert nearest_fields("  ") == []
