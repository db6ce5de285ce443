"""Reading extracts: formats, encodings, delimiters, row numbers and unreadable input."""

from __future__ import annotations

import codecs
import datetime as dt
import unicodedata
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from helpers import FIELDS, HEADER, ROWS, csv_text, snapshot, to_cp1258, write_xlsx

from cleanse.cli import cli
from cleanse.errors import CleanseError
from cleanse.read import open_extract, read_all

# These tests assert the words of error lines: English ones (CLEANSE_LANG=en).
pytestmark = pytest.mark.usefixtures("english_lines")

TEXT = csv_text([HEADER, *ROWS])


def records(frame: pd.DataFrame) -> list[list[str]]:
    """The frame's values as plain lists, for compact comparison."""
    return frame.astype(object).values.tolist()


# --- encodings and delimiters ----------------------------------------------------------

ENCODINGS = [
    pytest.param(TEXT.encode("utf-8"), "utf-8", id="utf8"),
    pytest.param(codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8", id="utf8-bom"),
    pytest.param(
        # Excel's "Unicode text": UTF-16 LE with a BOM, tab-separated, CRLF line ends.
        codecs.BOM_UTF16_LE
        + csv_text([HEADER, *ROWS], delimiter="\t", newline="\r\n").encode("utf-16-le"),
        "utf-16",
        id="utf16-excel-unicode-text",
    ),
    pytest.param(to_cp1258(TEXT), "cp1258", id="windows-1258"),
    pytest.param(TEXT.replace("\n", "\r\n").encode("utf-8"), "utf-8", id="utf8-crlf"),
]


@pytest.mark.parametrize(("data", "encoding"), ENCODINGS)
def test_every_encoding_reads_the_same_records(tmp_path: Path, data: bytes, encoding: str):
    path = tmp_path / "extract.csv"
    path.write_bytes(data)
    _, frame = read_all(path)
    assert list(frame.columns) == FIELDS
    assert records(frame) == ROWS


@pytest.mark.parametrize(("data", "encoding"), ENCODINGS)
def test_encoding_is_detected(tmp_path: Path, data: bytes, encoding: str):
    path = tmp_path / "extract.csv"
    path.write_bytes(data)
    assert open_extract(path).encoding == encoding


def test_windows_1258_names_come_out_composed(tmp_path: Path):
    # Windows-1258 stores tone marks as separate bytes: decoded naively they are NFD.
    path = tmp_path / "extract.csv"
    path.write_bytes(to_cp1258(TEXT))
    _, frame = read_all(path)
    assert all(unicodedata.is_normalized("NFC", name) for name in frame["full_name"])


@pytest.mark.parametrize(
    "delimiter",
    [
        pytest.param(",", id="comma"),
        pytest.param(";", id="semicolon"),
        pytest.param("\t", id="tab"),
        pytest.param("|", id="pipe"),
    ],
)
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str):
    path = tmp_path / "extract.txt"
    path.write_text(csv_text([HEADER, *ROWS], delimiter=delimiter), encoding="utf-8")
    ext, frame = read_all(path)
    assert ext.delimiter == delimiter
    assert records(frame) == ROWS


def test_semicolon_file_with_commas_in_values_is_read_by_semicolon(tmp_path: Path):
    rows = [HEADER, ["001085012345", "Nguyễn Văn An", "12/05/1990", "Nam, có ghi chú"]]
    path = tmp_path / "extract.csv"
    path.write_text(csv_text(rows, delimiter=";"), encoding="utf-8")
    ext, frame = read_all(path)
    assert ext.delimiter == ";"
    assert records(frame) == rows[1:]


# --- values kept as text -------------------------------------------------------------------


def test_leading_zeros_are_kept(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text(TEXT, encoding="utf-8")
    _, frame = read_all(path)
    assert frame["id_number"].tolist() == ["001085012345", "079190012346", "001085012347"]


def test_every_column_is_text(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text(csv_text([[*HEADER, "Số"], *[[*r, "12"] for r in ROWS]]), encoding="utf-8")
    _, frame = read_all(path)
    assert all(isinstance(dtype, pd.StringDtype) for dtype in frame.dtypes)


def test_empty_cells_read_as_empty_text(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text(csv_text([HEADER, ["", "Nguyễn Văn An", "", "Nam"]]), encoding="utf-8")
    _, frame = read_all(path)
    assert records(frame) == [["", "Nguyễn Văn An", "", "Nam"]]


def test_quoted_values_keep_commas_and_newlines(tmp_path: Path):
    rows = [HEADER, ["001085012345", "Nguyễn, Văn\nAn", "12/05/1990", "Nam"], ROWS[1]]
    path = tmp_path / "extract.csv"
    path.write_text(csv_text(rows), encoding="utf-8")
    _, frame = read_all(path)
    assert records(frame) == rows[1:]


def test_blank_lines_are_not_records(tmp_path: Path):
    lines = TEXT.splitlines()
    path = tmp_path / "extract.csv"
    path.write_text(
        "\n".join([lines[0], lines[1], "", "", lines[2], "", lines[3], ""]) + "\n", encoding="utf-8"
    )
    ext = open_extract(path)
    chunks = list(ext.chunks())
    assert records(pd.concat(c.frame for c in chunks)) == ROWS
    assert pd.concat(c.rows for c in chunks).tolist() == [1, 2, 3]


def test_title_lines_above_a_csv_header_are_skipped(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text("DANH SÁCH CÔNG DÂN,,,\nXã Thử Nghiệm,,,\n,,,\n" + TEXT, encoding="utf-8")
    ext, frame = read_all(path)
    assert ext.header_line == 3
    assert records(frame) == ROWS


# --- Excel --------------------------------------------------------------------------------

XLSX_HEADER = [*HEADER, "Mã số BHXH"]


def _workbook(tmp_path: Path) -> Path:
    return write_xlsx(
        tmp_path / "extract.xlsx",
        {
            "Tổng hợp": [
                ["DANH SÁCH NGƯỜI THAM GIA BHXH"],
                ["Xã Thử Nghiệm"],
                [],
                XLSX_HEADER,
                ["001085012345", "Nguyễn Văn An", dt.datetime(1990, 5, 12), "Nam", 1085012345],
                ["079190012346", "Trần Thị Bình", dt.date(1985, 1, 1), "Nữ", 7912345678],
            ],
            "Bổ sung": [
                ["Họ và tên", "Ngày sinh"],
                ["Lê Văn Cường", "1970"],
            ],
        },
    )


def test_xlsx_numbers_read_as_the_digits_shown(tmp_path: Path):
    _, frame = read_all(_workbook(tmp_path))
    assert frame["bhxh_code"].tolist() == ["1085012345", "7912345678"]


def test_xlsx_dates_read_as_day_month_year(tmp_path: Path):
    _, frame = read_all(_workbook(tmp_path))
    assert frame["dob"].tolist() == ["12/05/1990", "01/01/1985"]


def test_xlsx_title_rows_above_the_header_are_skipped(tmp_path: Path):
    ext, frame = read_all(_workbook(tmp_path))
    assert ext.header_line == 3
    assert list(frame.columns) == [*FIELDS, "bhxh_code"]
    assert frame["full_name"].tolist() == ["Nguyễn Văn An", "Trần Thị Bình"]


def test_xlsx_text_ids_keep_leading_zeros(tmp_path: Path):
    _, frame = read_all(_workbook(tmp_path))
    assert frame["id_number"].tolist() == ["001085012345", "079190012346"]


def test_xlsx_first_sheet_by_default(tmp_path: Path):
    ext = open_extract(_workbook(tmp_path))
    assert (ext.format, ext.sheet, ext.kind) == ("xlsx", "Tổng hợp", "bhxh")


def test_xlsx_sheet_option_reads_that_sheet(tmp_path: Path):
    ext, frame = read_all(_workbook(tmp_path), sheet="Bổ sung")
    assert ext.sheet == "Bổ sung"
    assert records(frame) == [["Lê Văn Cường", "1970"]]


def test_xlsx_blank_rows_are_not_records(tmp_path: Path):
    path = write_xlsx(
        tmp_path / "extract.xlsx", {"Sheet": [HEADER, ROWS[0], [], [None, None], ROWS[1], ROWS[2]]}
    )
    ext = open_extract(path)
    chunks = list(ext.chunks())
    assert records(pd.concat(c.frame for c in chunks)) == ROWS
    assert pd.concat(c.rows for c in chunks).tolist() == [1, 2, 3]


def _hidden_first_sheet(tmp_path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    lookup = wb.active
    lookup.title = "Danh mục"
    lookup.append(["Mã", "Tên"])
    lookup.append(["01", "Hà Nội"])
    lookup.sheet_state = "hidden"
    data = wb.create_sheet("Dữ liệu")
    for row in [HEADER, *ROWS]:
        data.append(row)
    old = wb.create_sheet("Bản cũ")
    old.append(HEADER)
    old.sheet_state = "veryHidden"
    path = tmp_path / "an.xlsx"
    wb.save(path)
    return path


def test_xlsx_hidden_first_sheet_is_passed_over_and_noted(tmp_path: Path):
    ext, frame = read_all(_hidden_first_sheet(tmp_path))
    assert ext.sheet == "Dữ liệu"
    assert records(frame) == ROWS
    assert "hidden sheet(s) not read: 'Danh mục', 'Bản cũ' (read one with --sheet)" in ext.notes


def test_xlsx_hidden_sheet_is_read_when_named(tmp_path: Path):
    ext, frame = read_all(_hidden_first_sheet(tmp_path), sheet="Danh mục", check=False)
    assert records(frame) == [["01", "Hà Nội"]]
    assert "sheet 'Danh mục' is hidden in the workbook" in ext.notes
    assert "hidden sheet(s) not read: 'Bản cũ' (read one with --sheet)" in ext.notes


def test_xlsx_without_hidden_sheets_has_no_such_note(tmp_path: Path):
    ext = open_extract(_workbook(tmp_path))
    assert not [n for n in ext.notes if "hidden" in n]


def test_xlsx_values_as_openpyxl_gave_them(tmp_path: Path):
    # The records are read by calamine; each kind of cell reads as it did with openpyxl.
    row = [
        "0012", 1085012345, 7912345678.0, 1.5, 0.1, -3, 123456789012345, True, False,
        dt.datetime(1990, 5, 12), dt.date(1985, 1, 1), dt.datetime(1990, 5, 12, 8, 30),
        "  có dấu cách ", None, "Nữ",
    ]  # fmt: skip
    header = [f"Cột {i}" for i in range(len(row))]
    path = write_xlsx(tmp_path / "kieu.xlsx", {"Sheet": [["Họ và tên", *header], ["A", *row]]})
    _, frame = read_all(path, check=False)
    assert records(frame)[0][1:] == [
        "0012", "1085012345", "7912345678", "1.5", "0.1", "-3", "123456789012345", "TRUE",
        "FALSE", "12/05/1990", "01/01/1985", "12/05/1990 08:30:00", "  có dấu cách ", "",
        "Nữ",
    ]  # fmt: skip


def test_xlsx_table_away_from_the_corner_keeps_its_rows(tmp_path: Path):
    # Data starting at C3: the first record is still row 1, the columns still line up.
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r, values in enumerate([HEADER, *ROWS], start=3):
        for c, value in enumerate(values, start=3):
            ws.cell(r, c, value)
    path = tmp_path / "lech.xlsx"
    wb.save(path)
    ext = open_extract(path)
    chunk = next(ext.chunks())
    assert ext.header_line == 2
    assert records(chunk.frame) == [["", "", *r] for r in ROWS]
    assert chunk.rows.tolist() == [1, 2, 3]


def test_xlsx_large_shared_string_table_is_read_lazily_when_opening(tmp_path: Path, monkeypatch):
    # Opening reads the first rows only: the shared strings behind later rows are never
    # parsed (openpyxl parsed them all, twice, before the records were read again).
    import xlsxwriter

    import cleanse.read.xlsx

    path = tmp_path / "lon.xlsx"
    with xlsxwriter.Workbook(path) as wb:  # shared strings, as Excel writes them
        ws = wb.add_worksheet()
        ws.write_row(0, 0, HEADER)
        for i in range(3000):
            ws.write_row(i + 1, 0, [f"0010850{i:05d}", f"Người {i}", "01/01/1990", "Nam"])
    asked: list[int] = []
    real = cleanse.read.xlsx._LazyStrings.__getitem__

    def spy(self: object, index: int) -> str:
        asked.append(index)
        return real(self, index)  # type: ignore[arg-type]

    monkeypatch.setattr(cleanse.read.xlsx._LazyStrings, "__getitem__", spy)
    ext = open_extract(path)
    assert max(asked) < 4 * (cleanse.read.xlsx._XLSX_HEAD_ROWS + 1)
    assert sum(len(c.frame) for c in ext.chunks()) == 3000


# --- report footers under the table ---------------------------------------------------

WIDE = [*HEADER, "Địa chỉ", "Ghi chú"]
WIDE_ROWS = [[*r, "Xã Thử Nghiệm", ""] for r in ROWS]
# How a ward's report ends: totals, a place and date line, signature blocks (one title
# past the table's last column), what to write there, the signers' names.
FOOTER: list[list[object]] = [
    ["Tổng cộng: 3 người", None, None, None, None, None],
    [],
    [None, None, None, None, "Hà Nội, ngày 05 tháng 11 năm 2026"],
    ["Người lập biểu", None, "Kế toán", None, None, None, "Thủ trưởng đơn vị"],
    ["(Ký, ghi rõ họ tên)", None, "(Ký, họ tên)", None, "(Ký tên, đóng dấu)"],
    [],
    ["Phạm Văn Lập", None, "Đỗ Thị Toán", None, "Vũ Văn Trưởng"],
]


def _table(frame: pd.DataFrame) -> list[list[str]]:
    """The records in the table's own columns (a CSV may carry an empty one more)."""
    return [r[: len(WIDE)] for r in records(frame)]


def _footer_xlsx(
    tmp_path: Path, rows: list[list[object]] = WIDE_ROWS, footer: list[list[object]] = FOOTER
) -> Path:
    sheet = [["DANH SÁCH CÔNG DÂN"], WIDE, *rows, *footer]
    return write_xlsx(tmp_path / "bao-cao.xlsx", {"Sheet": sheet})


def _footer_csv(
    tmp_path: Path, rows: list[list[object]] = WIDE_ROWS, footer: list[list[object]] = FOOTER
) -> Path:
    # As Excel saves a sheet as CSV: every line as wide as the widest (a signature
    # title past the table's last column gives the header an empty seventh field).
    lines = [[("" if c is None else str(c)) for c in r] for r in [WIDE, *rows, *footer]]
    width = max(len(r) for r in lines)
    path = tmp_path / "bao-cao.csv"
    path.write_text(csv_text([r + [""] * (width - len(r)) for r in lines]), "utf-8")
    return path


@pytest.mark.parametrize("make", [_footer_xlsx, _footer_csv], ids=["xlsx", "csv"])
def test_report_footer_is_skipped_and_noted(tmp_path: Path, make: Callable[..., Path]):
    ext, frame = read_all(make(tmp_path))
    assert _table(frame) == WIDE_ROWS
    unit = "row(s)" if ext.format == "xlsx" else "line(s)"
    # xlsx skips blank rows as it reads; a CSV line of commas is a footer line too.
    count = 5 if ext.format == "xlsx" else 7
    assert (
        f"{count} {unit} under the table skipped as a report footer (totals, date, signatures)"
        in ext.notes
    )


@pytest.mark.parametrize("make", [_footer_xlsx, _footer_csv], ids=["xlsx", "csv"])
def test_report_footer_across_chunks(tmp_path: Path, make: Callable[..., Path]):
    rows = WIDE_ROWS * 3
    chunks = list(open_extract(make(tmp_path, rows), chunk_rows=2).chunks())
    assert [len(c.frame) for c in chunks] == [2, 2, 2, 2, 1]
    assert [c.first_row for c in chunks] == [1, 3, 5, 7, 9]
    assert _table(pd.concat(c.frame for c in chunks)) == rows


@pytest.mark.parametrize("make", [_footer_xlsx, _footer_csv], ids=["xlsx", "csv"])
@pytest.mark.parametrize(
    "last",
    [
        pytest.param(["001085012348", "Tổng Văn Cộng", "02/03/1980", "Nam"], id="name-tong-cong"),
        pytest.param(["001085012348", "Tổng", "1980", "Nam"], id="name-tong"),
        pytest.param(["", "Công", "02/03/1980", "Nữ"], id="name-cong-no-id"),
        pytest.param(["001085012348", "Kế Toán", "", "Nam"], id="name-ke-toan-no-date"),
    ],
)
def test_a_person_named_like_a_footer_is_a_record(
    tmp_path: Path, make: Callable[..., Path], last: list[str]
):
    # A real record has an ID or a birth date: it is never taken for a footer line, even
    # as the last row of a file without a footer.
    rows = [*WIDE_ROWS, [*last, "Xã Thử Nghiệm", ""]]
    ext, frame = read_all(make(tmp_path, rows, []))  # the last row of the file
    assert records(frame)[-1][:4] == last
    assert not [n for n in ext.notes if "footer" in n]
    ext, frame = read_all(make(tmp_path, rows))  # the last row above a footer
    assert _table(frame) == rows


def test_footer_words_with_records_after_them_are_records(tmp_path: Path):
    # "Cộng" mid-table (a village subtotal) is not the end of the table: kept, not noted.
    rows = [WIDE_ROWS[0], ["Cộng", "", "", "", "", "1"], *WIDE_ROWS[1:]]
    path = tmp_path / "giua.csv"
    path.write_text(csv_text([WIDE, *rows]), "utf-8")
    ext, frame = read_all(path)
    assert records(frame) == rows
    assert not [n for n in ext.notes if "footer" in n]


def test_a_stray_value_in_a_record_is_still_an_error_after_a_footer_word(tmp_path: Path):
    rows = [[*WIDE_ROWS[0]], ["Tổng cộng", None, None, None, None, None, "x"], WIDE_ROWS[1]]
    path = write_xlsx(tmp_path / "lac.xlsx", {"Sheet": [WIDE, *rows]})
    with pytest.raises(CleanseError, match="row 2: has a value beyond the last headed column"):
        read_all(path)


# --- Parquet ------------------------------------------------------------------------------


def _parquet(tmp_path: Path) -> Path:
    table = pa.table(
        {
            "Số định danh cá nhân": ["001085012345", "079190012346"],
            "Họ và tên": ["Nguyễn Văn An", "Trần Thị Bình"],
            "Ngày sinh": pa.array(
                [dt.datetime(1990, 5, 12), dt.datetime(1985, 1, 1)], pa.timestamp("us")
            ),
            "Giới tính": ["Nam", "Nữ"],
            "Mã số BHXH": pa.array([1085012345, None], pa.int64()),
        }
    )
    path = tmp_path / "extract.parquet"
    pq.write_table(table, path)
    return path


def test_parquet_integers_read_as_text(tmp_path: Path):
    _, frame = read_all(_parquet(tmp_path))
    assert frame["bhxh_code"].tolist() == ["1085012345", ""]


def test_parquet_timestamps_read_as_day_month_year(tmp_path: Path):
    _, frame = read_all(_parquet(tmp_path))
    assert frame["dob"].tolist() == ["12/05/1990", "01/01/1985"]


def test_parquet_every_column_is_text(tmp_path: Path):
    ext, frame = read_all(_parquet(tmp_path))
    assert ext.format == "parquet"
    assert all(isinstance(dtype, pd.StringDtype) for dtype in frame.dtypes)


def test_parquet_float_ids_read_as_their_digits(tmp_path: Path):
    # pandas writes an ID column with a gap as float64: 79190123456.0, which a cast
    # shows as 7.9190123456e+10. Read as a spreadsheet's number: the digits, so the ID
    # rules find the dropped zero as they do in an .xlsx.
    frame = pd.DataFrame(
        {
            "Số định danh cá nhân": [79190123456.0, None, 1085012345.5, float("nan")],
            "Họ và tên": ["Trần Thị Bình", "Lê Văn Cường", "Nguyễn Văn An", "Phạm Văn Dũng"],
            "Ngày sinh": ["01/01/1990", "1970", "12/05/1990", "1980"],
        }
    )
    path = tmp_path / "float.parquet"
    frame.to_parquet(path)
    _, read = read_all(path)
    assert read["id_number"].tolist() == ["79190123456", "", "1085012345.5", ""]


def test_parquet_float32_digits_beyond_its_precision_are_not_made_up(tmp_path: Path):
    path = tmp_path / "f32.parquet"
    ids = pa.array([79190123456.0, 12345.0], pa.float32())
    pq.write_table(pa.table({"Số định danh cá nhân": ids, "Họ và tên": ["a", "b"]}), path)
    _, read = read_all(path, check=False)
    first, second = read["id_number"].tolist()
    assert "e+" in first  # float32 keeps 7 digits: shown as the float it is
    assert second == "12345"


def test_parquet_decimal_ids_read_as_their_digits(tmp_path: Path):
    import decimal

    ids = pa.array([decimal.Decimal("79190123456.00"), None], pa.decimal128(14, 2))
    path = tmp_path / "dec.parquet"
    pq.write_table(pa.table({"Số định danh cá nhân": ids, "Họ và tên": ["a", "b"]}), path)
    _, read = read_all(path, check=False)
    assert read["id_number"].tolist() == ["79190123456", ""]


def test_parquet_nested_column_passed_through_as_json(tmp_path: Path):
    table = pa.table(
        {
            "Họ và tên": ["Nguyễn Văn An", "Trần Thị Bình"],
            "Ngày sinh": ["12/05/1990", "1985"],
            "Liên lạc": pa.array([["0901", "0902"], None], pa.list_(pa.string())),
            "Hộ khẩu": pa.array([{"xã": "Thử Nghiệm", "số": 3}, None]),
        }
    )
    path = tmp_path / "long.parquet"
    pq.write_table(table, path)
    ext, read = read_all(path)
    assert read["Liên lạc"].tolist() == ['["0901", "0902"]', ""]
    assert read["Hộ khẩu"].tolist() == ['{"xã": "Thử Nghiệm", "số": 3}', ""]
    assert "column 'Liên lạc' holds lists: passed through as JSON text" in ext.notes


def test_parquet_nested_column_of_a_field_is_refused_by_name(tmp_path: Path):
    table = pa.table(
        {
            "Họ và tên": pa.array([{"họ": "Nguyễn", "tên": "An"}]),
            "Ngày sinh": ["12/05/1990"],
        }
    )
    path = tmp_path / "ten.parquet"
    pq.write_table(table, path)
    with pytest.raises(CleanseError) as caught:
        open_extract(path)
    assert str(caught.value).startswith(
        f"{path}, column 'Họ và tên': holds records (struct) (struct<họ: string, tên: string>), "
        "not one value per record, so it cannot be read as full_name"
    )


def _zstd_parquet(tmp_path: Path, dictionary: bool) -> Path:
    """200,000 copies of one 50-letter name: 10 MB of text in about 3 KB."""
    table = pa.table({"Họ và tên": ["a" * 50] * 200_000, "Ngày sinh": ["1990"] * 200_000})
    path = tmp_path / ("tu-dien.parquet" if dictionary else "nen.parquet")
    pq.write_table(table, path, use_dictionary=dictionary, compression="zstd")
    return path


def test_parquet_unpacking_beyond_the_limit_is_refused_before_reading(tmp_path: Path, monkeypatch):
    import cleanse.read.parquet

    path = _zstd_parquet(tmp_path, dictionary=False)
    monkeypatch.setattr(cleanse.read.parquet, "PARQUET_MAX_UNPACKED_BYTES", 4 << 20)

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a page was read")

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", never)
    with pytest.raises(CleanseError, match=r"would unpack to 1\d MB, [\d,]+ times its size, "
                       r"more than the 4 MB allowed"):  # fmt: skip
        read_all(path)


def test_parquet_dictionary_bomb_is_stopped_while_reading(tmp_path: Path, monkeypatch):
    # One value in the dictionary, repeated: the footer declares a few KB.
    import cleanse.read.parquet

    path = _zstd_parquet(tmp_path, dictionary=True)
    monkeypatch.setattr(cleanse.read.parquet, "PARQUET_MAX_UNPACKED_BYTES", 4 << 20)
    ext = open_extract(path, chunk_rows=50_000)
    with pytest.raises(CleanseError, match="unpacks to .* more than the 4 MB allowed"):
        for _ in ext.chunks():
            pass


def test_parquet_large_but_not_swollen_is_read(tmp_path: Path, monkeypatch):
    # Over the size limit, but a few times its size, as a real 10M-record extract is.
    import cleanse.read.parquet

    table = pa.table(
        {"Họ và tên": [f"Người {i}" for i in range(50_000)], "Ngày sinh": ["1990"] * 50_000}
    )
    path = tmp_path / "lon.parquet"
    pq.write_table(table, path, use_dictionary=False, compression="none")
    monkeypatch.setattr(cleanse.read.parquet, "PARQUET_MAX_UNPACKED_BYTES", 64 << 10)
    _, read = read_all(path)
    assert len(read) == 50_000


def test_default_parquet_limits():
    import cleanse.read.parquet

    assert cleanse.read.parquet.PARQUET_MAX_UNPACKED_BYTES == 2 << 30
    assert cleanse.read.parquet.PARQUET_MAX_RATIO == 100


# --- row numbers and chunks ---------------------------------------------------------------

FIVE = [
    [f"00108501234{i}", f"Người Thử {chr(65 + i)}", f"0{i + 1}/05/1990", "Nam"] for i in range(5)
]


def _five_csv(tmp_path: Path) -> Path:
    path = tmp_path / "five.csv"
    path.write_text(csv_text([HEADER, *FIVE]), encoding="utf-8")
    return path


def _five_xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / "five.xlsx", {"Sheet": [["Báo cáo"], HEADER, *FIVE]})


def _five_parquet(tmp_path: Path) -> Path:
    path = tmp_path / "five.parquet"
    pq.write_table(pa.table({h: [r[i] for r in FIVE] for i, h in enumerate(HEADER)}), path)
    return path


FIVE_FILES = [
    pytest.param(_five_csv, id="csv"),
    pytest.param(_five_xlsx, id="xlsx"),
    pytest.param(_five_parquet, id="parquet"),
]


@pytest.mark.parametrize("make", FIVE_FILES)
def test_first_record_after_the_header_is_row_1(tmp_path: Path, make: Callable[[Path], Path]):
    chunk = next(open_extract(make(tmp_path)).chunks())
    assert chunk.first_row == 1
    assert chunk.rows.tolist() == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("make", FIVE_FILES)
def test_chunks_start_at_rows_1_3_5(tmp_path: Path, make: Callable[[Path], Path]):
    chunks = list(open_extract(make(tmp_path), chunk_rows=2).chunks())
    assert [c.first_row for c in chunks] == [1, 3, 5]
    assert [len(c.frame) for c in chunks] == [2, 2, 1]


@pytest.mark.parametrize("make", FIVE_FILES)
def test_chunks_concatenate_to_the_whole_read(tmp_path: Path, make: Callable[[Path], Path]):
    path = make(tmp_path)
    chunks = list(open_extract(path, chunk_rows=2).chunks())
    _, whole = read_all(path)
    pd.testing.assert_frame_equal(pd.concat(c.frame for c in chunks), whole)
    assert records(whole) == FIVE


@pytest.mark.parametrize("make", FIVE_FILES)
def test_chunk_rows_follow_the_frame_index(tmp_path: Path, make: Callable[[Path], Path]):
    for chunk in open_extract(make(tmp_path), chunk_rows=2).chunks():
        assert (chunk.rows - chunk.frame.index).eq(1).all()


def test_header_only_file_has_no_records(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text(csv_text([HEADER]), encoding="utf-8")
    _, frame = read_all(path)
    assert list(frame.columns) == FIELDS
    assert len(frame) == 0


# --- input that cannot be read --------------------------------------------------------

RAGGED_NAME = "Phạm Thị Riêng"


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return make


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "extract.csv"
    path.mkdir()
    (path / "inside.csv").write_text(TEXT, encoding="utf-8")
    return path


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "no-such-extract.csv"


def _zip(tmp_path: Path) -> Path:
    path = tmp_path / "extract.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("extract.csv", TEXT)
    return path


def _truncated_xlsx(tmp_path: Path) -> Path:
    whole = _workbook(tmp_path).read_bytes()
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _corrupt_sheet_xlsx(tmp_path: Path) -> Path:
    # A whole zip whose sheet XML is cut short: Excel's "We found a problem with some content".
    good = zipfile.ZipFile(_workbook(tmp_path))
    path = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        for name in good.namelist():
            data = good.read(name)
            if name.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            zf.writestr(name, data)
    return path


def _truncated_parquet(tmp_path: Path) -> Path:
    whole = _parquet(tmp_path).read_bytes()
    path = tmp_path / "damaged.parquet"
    path.write_bytes(whole[: len(whole) // 2])
    return path


def _protected_xlsx(tmp_path: Path) -> Path:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    plain = _workbook(tmp_path)
    path = tmp_path / "protected.xlsx"
    with plain.open("rb") as src, path.open("wb") as out:
        ooxml.OOXMLFile(src).encrypt("secret", out)
    return path


def _stray_value_xlsx(tmp_path: Path) -> Path:
    rows = [HEADER, ROWS[0], [*ROWS[1], None, RAGGED_NAME]]
    return write_xlsx(tmp_path / "extract.xlsx", {"Sheet": rows})


_RAGGED = csv_text([HEADER, ROWS[0], ["079190012346", RAGGED_NAME, "x", "01/01/1985", "Nữ"]])
_LATIN1_ROW = "079190012346,Tr\xe0n Th\xec B\xecnh,01/01/1985,N\xf5\n".encode("latin-1")
# More than the 1 MiB the reader sniffs, so the bad bytes are met only while reading.
_LONG_UTF8 = (TEXT + csv_text([ROWS[0]]) * 30_000).encode("utf-8")

BAD_INPUTS = [
    pytest.param(_write("extract.csv", b""), {}, [], "empty", id="empty-file"),
    pytest.param(_write("extract.csv", b"\n \n\r\n"), {}, [], "no header", id="blank-lines"),
    pytest.param(_folder, {}, [], "folder", id="folder"),
    pytest.param(_missing, {}, [], "no such file", id="missing-file"),
    pytest.param(
        _write("extract.csv", bytes(range(256)) * 8), {}, [], "binary", id="binary-garbage"
    ),
    pytest.param(
        _write("extract.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024),
        {},
        [],
        ".xls",
        id="old-excel-xls",
    ),
    pytest.param(_zip, {}, [], "zip", id="zip-not-xlsx"),
    pytest.param(_protected_xlsx, {}, [], "password-protected", id="password-protected-xlsx"),
    pytest.param(_truncated_xlsx, {}, [], "damaged", id="truncated-xlsx"),
    pytest.param(_corrupt_sheet_xlsx, {}, [], "damaged", id="corrupt-sheet-xlsx"),
    pytest.param(_truncated_parquet, {}, [], "damaged", id="truncated-parquet"),
    pytest.param(
        _workbook, {"sheet": "Không có"}, ["--sheet", "Không có"], "no sheet", id="missing-sheet"
    ),
    pytest.param(_write("extract.csv", _RAGGED.encode("utf-8")), {}, [], "line 3", id="ragged-row"),
    pytest.param(_stray_value_xlsx, {}, [], "row 2", id="xlsx-value-beyond-the-header"),
    pytest.param(
        _write("extract.csv", TEXT.encode("utf-8") + _LATIN1_ROW),
        {"encoding": "utf-8"},
        ["--encoding", "utf-8"],
        "--encoding",
        id="declared-utf8-is-not",
    ),
    pytest.param(
        _write("extract.csv", _LONG_UTF8 + _LATIN1_ROW),
        {},
        [],
        "--encoding",
        id="not-utf8-after-the-sniffed-head",
    ),
]


@pytest.mark.parametrize(("make", "options", "args", "says"), BAD_INPUTS)
def test_bad_input_raises_cleanse_error_naming_the_file(
    tmp_path: Path, make: Callable[[Path], Path], options: dict, args: list[str], says: str
):
    path = make(tmp_path)
    with pytest.raises(CleanseError) as caught:
        read_all(path, **options)
    assert caught.value.path == str(path)
    assert says in str(caught.value)


@pytest.mark.parametrize(("make", "options", "args", "says"), BAD_INPUTS)
def test_bad_input_inspect_exits_2_with_one_error_line(
    tmp_path: Path, make: Callable[[Path], Path], options: dict, args: list[str], says: str
):
    path = make(tmp_path)
    result = CliRunner().invoke(cli, ["inspect", str(path), *args])
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("cleanse: error:")
    assert str(path) in lines[0]
    assert says in lines[0]


@pytest.mark.parametrize(("make", "options", "args", "says"), BAD_INPUTS)
def test_bad_input_is_left_unchanged(
    tmp_path: Path, make: Callable[[Path], Path], options: dict, args: list[str], says: str
):
    path = make(tmp_path)
    before = snapshot(path)
    with pytest.raises(CleanseError):
        read_all(path, **options)
    CliRunner().invoke(cli, ["inspect", str(path), *args])
    assert snapshot(path) == before


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_write("extract.csv", _RAGGED.encode("utf-8")), id="csv-ragged-row"),
        pytest.param(_stray_value_xlsx, id="xlsx-value-beyond-the-header"),
    ],
)
def test_malformed_row_text_is_never_shown(tmp_path: Path, make: Callable[[Path], Path]):
    path = make(tmp_path)
    with pytest.raises(CleanseError) as caught:
        read_all(path)
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    for shown in (str(caught.value), result.stderr):
        assert RAGGED_NAME not in shown
        assert "079190012346" not in shown


def test_ragged_row_line_counts_blank_lines_and_quoted_newlines(tmp_path: Path):
    # Lines: 1 header, 2-3 a record with a newline inside quotes, 4 blank, 5 record, 6 ragged.
    text = (
        csv_text([HEADER, ["001085012345", "Nguyễn\nVăn An", "12/05/1990", "Nam"]])
        + "\n"
        + csv_text([ROWS[1], ["001085012347", RAGGED_NAME, "x", "1970", "Nam"]])
    )
    path = tmp_path / "extract.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CleanseError, match=r"\bline 6\b"):
        read_all(path)


def test_ragged_row_line_counts_title_lines(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text("DANH SÁCH\n\n" + _RAGGED, encoding="utf-8")
    with pytest.raises(CleanseError, match=r"\bline 5\b"):
        read_all(path)


def test_unknown_encoding_name_is_an_error(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(CleanseError, match="unknown encoding"):
        open_extract(path, encoding="latin-9")


def test_unknown_source_kind_is_an_error(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(CleanseError, match="unknown source kind"):
        open_extract(path, source="hospital")


def test_missing_required_column_names_the_file(tmp_path: Path):
    path = tmp_path / "extract.csv"
    path.write_text(TEXT, encoding="utf-8")
    with pytest.raises(CleanseError, match="bhxh_code") as caught:
        open_extract(path, source="bhxh")
    assert caught.value.path == str(path)


def test_good_input_is_left_unchanged(tmp_path: Path):
    path = _workbook(tmp_path)
    before = snapshot(path)
    read_all(path)
    assert snapshot(path) == before
