"""The fixed copy of an extract (``cleanse.rewrite``): each input written back in its own
format, with the same header, title lines, columns and records, IDs kept as text."""

from __future__ import annotations

import codecs
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from helpers import HEADER, ROWS, csv_text, soffice, to_cp1258, write_xlsx

from cleanse import legacy
from cleanse.read import Extract, open_extract, read_all
from cleanse.rewrite import copy_writer, number_cells

BOM = codecs.BOM_UTF8


def file_frame(frame: pd.DataFrame, ext: Extract) -> pd.DataFrame:
    """A chunk's frame with the file's headers again, as the fix engine hands it over:
    the fields renamed back, a joined ``full_name`` (no column of the file) dropped."""
    out = frame[[ext.columns.fields.get(h, h) for h in ext.columns.headers]]
    out.columns = list(ext.columns.headers)
    return out


def copy(src: Path, dest: Path, **options: object) -> Extract:
    """Read ``src`` in chunks and write each into its copy at ``dest``."""
    ext = open_extract(src, **options)  # type: ignore[arg-type]
    with copy_writer(ext, dest) as writer:
        for chunk in ext.chunks():
            writer.write(file_frame(chunk.frame, ext))
    return ext


def same_records(src: Path, dest: Path, **options: object) -> None:
    """The copy reads as the input does: the same columns, records and values."""
    ext, frame = read_all(src, **options)
    back_ext, back = read_all(dest, **options)
    # A Windows-1258 header is read with its tone marks apart; the copy composes them.
    nfc = [unicodedata.normalize("NFC", h) for h in ext.columns.headers]
    assert list(back_ext.columns.headers) == nfc
    assert list(back_ext.columns.fields.values()) == list(ext.columns.fields.values())
    assert back_ext.header_line == ext.header_line
    pd.testing.assert_frame_equal(back, frame)


# --- csv ----------------------------------------------------------------------------------

TRICKY = [
    HEADER + ["Ghi chú"],
    ["001085012345", 'Nguyễn Văn "Tí", con', "12/05/1990", "Nam", "hai\ndòng"],
    ["079190012346", "Trần Thị Bình", "", "Nữ", "a,b;c"],
    ["001085012347", "Lê Văn Cường", "1970", "Nam", " khoảng trắng "],
]


@pytest.mark.parametrize("bom", [b"", BOM])
def test_a_utf8_csv_comes_back_byte_for_byte_behind_a_bom(tmp_path: Path, bom: bytes):
    src = tmp_path / "extract.csv"
    text = csv_text(TRICKY, newline="\r\n").encode("utf-8")
    src.write_bytes(bom + text)
    copy(src, tmp_path / "copy.csv")
    assert (tmp_path / "copy.csv").read_bytes() == BOM + text
    same_records(src, tmp_path / "copy.csv")


def test_a_semicolon_csv_keeps_its_delimiter_and_quotes_only_what_needs_it(tmp_path: Path):
    src = tmp_path / "extract.csv"
    src.write_bytes(csv_text(TRICKY, delimiter=";").encode("utf-8"))
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.delimiter == ";"
    out = (tmp_path / "copy.csv").read_bytes()
    assert out == BOM + src.read_bytes()
    assert b'"a,b;c"' in out and b"Nam;" in out
    same_records(src, tmp_path / "copy.csv")


def test_windows_1258_becomes_utf8_with_a_bom(tmp_path: Path):
    src = tmp_path / "extract.csv"
    text = "DANH SÁCH ĐỐI TƯỢNG\r\n" + csv_text([HEADER, *ROWS], newline="\r\n")
    src.write_bytes(to_cp1258(text))
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.encoding == "cp1258"
    out = (tmp_path / "copy.csv").read_bytes()
    assert out == BOM + text.encode("utf-8")  # tone marks composed (NFC), as read
    same_records(src, tmp_path / "copy.csv")


def test_utf16_becomes_utf8_with_a_bom(tmp_path: Path):
    src = tmp_path / "extract.csv"
    text = csv_text([HEADER, *ROWS], delimiter="\t", newline="\r\n")
    src.write_bytes(text.encode("utf-16"))
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.encoding.startswith("utf-16")
    assert (tmp_path / "copy.csv").read_bytes() == BOM + text.encode("utf-8")
    same_records(src, tmp_path / "copy.csv")


def test_a_legacy_font_csv_becomes_unicode(tmp_path: Path):
    src = tmp_path / "extract.csv"
    rows = [[legacy.encode_text(c, "tcvn3") for c in r] for r in [HEADER, *ROWS]]
    src.write_bytes(csv_text(rows).encode("latin-1"))
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.conversions == [{"scope": "file", "scheme": "tcvn3"}]
    assert (tmp_path / "copy.csv").read_bytes() == BOM + csv_text([HEADER, *ROWS]).encode()


def test_a_header_in_a_legacy_font_is_written_in_unicode(tmp_path: Path):
    src = tmp_path / "extract.csv"
    typed = [legacy.encode_text(h, "tcvn3") for h in HEADER]
    src.write_text(csv_text([typed, *ROWS]), encoding="utf-8")
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.conversions == [{"scope": "header", "scheme": "tcvn3"}]
    assert (tmp_path / "copy.csv").read_bytes() == BOM + csv_text([HEADER, *ROWS]).encode()


def test_title_lines_above_the_header_are_copied(tmp_path: Path):
    src = tmp_path / "extract.csv"
    title = "DANH SÁCH ĐỐI TƯỢNG BẢO TRỢ XÃ HỘI,,,\nXã Thử Nghiệm,,,\n,,,\n"
    src.write_text(title + csv_text([HEADER, *ROWS]), encoding="utf-8")
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.header_line == 3
    assert (tmp_path / "copy.csv").read_bytes() == BOM + src.read_bytes()
    same_records(src, tmp_path / "copy.csv")


def test_a_repeated_header_is_written_as_the_file_writes_it(tmp_path: Path):
    src = tmp_path / "extract.csv"
    rows = [[*HEADER, "Ghi chú", "Ghi chú", ""]] + [[*r, "a", "b", "c"] for r in ROWS]
    src.write_text(csv_text(rows), encoding="utf-8")
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.columns.headers[-3:] == ("Ghi chú", "Ghi chú (2)", "column 7")
    out = (tmp_path / "copy.csv").read_bytes()
    assert out.splitlines()[0] == BOM + ",".join([*HEADER, "Ghi chú", "Ghi chú", ""]).encode()
    assert out == BOM + src.read_bytes()


def test_a_split_name_copies_its_parts_not_the_joined_name(tmp_path: Path):
    src = tmp_path / "extract.csv"
    header = ["Số định danh cá nhân", "Họ", "Tên đệm", "Tên", "Ngày sinh"]
    src.write_text(
        csv_text([header, ["001085012345", "Nguyễn", "Văn", "An", "12/05/1990"]]),
        encoding="utf-8",
    )
    ext = copy(src, tmp_path / "copy.csv")
    assert ext.columns.joined
    assert (tmp_path / "copy.csv").read_bytes() == BOM + src.read_bytes()


def test_csv_blank_lines_a_report_footer_and_quoted_empties(tmp_path: Path):
    src = tmp_path / "extract.csv"
    lines = csv_text([HEADER, *ROWS]).splitlines()
    footer = ["", "Tổng cộng: 3 người,,,", "Người lập biểu,,,Thủ trưởng đơn vị"]
    src.write_text(
        "\n".join([lines[0], lines[1], "", lines[2], '"",x,"",', *footer]) + "\n", encoding="utf-8"
    )
    copy(src, tmp_path / "copy.csv", check=False)
    rows = [lines[0], lines[1], lines[2], ",x,,"]
    assert (tmp_path / "copy.csv").read_bytes() == BOM + "".join(r + "\n" for r in rows).encode()


def test_several_chunks_make_one_file(tmp_path: Path):
    src = tmp_path / "extract.csv"
    rows = [[f"0010850{i:05d}", f"Người {i}", "01/01/1990", "Nam"] for i in range(10)]
    src.write_text(csv_text([HEADER, *rows], newline="\r\n"), encoding="utf-8")
    copy(src, tmp_path / "copy.csv", chunk_rows=3)
    assert (tmp_path / "copy.csv").read_bytes() == BOM + src.read_bytes()


def test_a_changed_value_is_written_and_quoted_as_needed(tmp_path: Path):
    src = tmp_path / "extract.csv"
    src.write_text(csv_text([HEADER, *ROWS]), encoding="utf-8")
    ext = open_extract(src)
    with copy_writer(ext, tmp_path / "copy.csv") as writer:
        for chunk in ext.chunks():
            frame = file_frame(chunk.frame, ext).copy()
            frame.iloc[0, 1] = 'Nguyễn "Văn", An'
            frame.iloc[1, 2] = pd.NA
            writer.write(frame)
    lines = (tmp_path / "copy.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[1] == '001085012345,"Nguyễn ""Văn"", An",12/05/1990,Nam'
    assert lines[2] == "079190012346,Trần Thị Bình,,Nữ"


# --- xlsx ---------------------------------------------------------------------------------

SHEET = [
    ["DANH SÁCH ĐỐI TƯỢNG"],
    [*HEADER, "Mã số BHXH", "Số con", "Mã hộ", "Ghi chú"],
    ["001085012345", "Nguyễn Văn An", "12/05/1990", "Nam", "0123456789", 2, "012", "x & <y>"],
    ["079190012346", "Trần Thị Bình", None, "Nữ", "7912345678", 1.5, "HK 7", None],
    ["001085012347", "Lê Văn Cường", "1970", "Nam", None, None, "1.50", "- 3 -"],
]


def _sheet_cells(path: Path) -> list[list[tuple[object, str]]]:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    return [[(c.value, c.data_type) for c in row] for row in ws.iter_rows()]


def test_an_xlsx_copy_is_an_xlsx_with_ids_as_text_and_numbers_as_numbers(tmp_path: Path):
    src = write_xlsx(tmp_path / "extract.xlsx", {"Danh sách": SHEET})
    dest = tmp_path / "copy.xlsx"
    ext = copy(src, dest)
    assert ext.header_line == 1
    with zipfile.ZipFile(dest) as z:
        assert z.testzip() is None
    import openpyxl

    wb = openpyxl.load_workbook(dest)
    assert wb.sheetnames == ["Danh sách"]
    cells = _sheet_cells(dest)
    assert cells[0][0] == ("DANH SÁCH ĐỐI TƯỢNG", "s")
    assert [v for v, _ in cells[1]] == SHEET[1]
    assert {t for _, t in cells[1]} == {"s"}
    first, second, third = cells[2], cells[3], cells[4]
    assert first[0] == ("001085012345", "s")  # the ID keeps its zero
    assert first[4] == ("0123456789", "s")
    assert first[5] == (2, "n") and second[5] == (1.5, "n")  # an unknown number column
    assert first[6] == ("012", "s") and third[6] == ("1.50", "s")  # not numbers as shown
    assert first[7] == ("x & <y>", "s") and third[7] == ("- 3 -", "s")
    assert third[2] == ("1970", "s")  # a field's column is text, even when all digits
    same_records(src, dest)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.xlsx", "extract.xlsx"]


def test_an_xlsx_copy_is_text_formatted_where_it_holds_text(tmp_path: Path):
    import openpyxl

    src = write_xlsx(tmp_path / "extract.xlsx", {"Danh sách": SHEET})
    copy(src, tmp_path / "copy.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "copy.xlsx").worksheets[0]
    assert ws["A3"].number_format == "@"  # typing into it in Excel keeps it text


def test_an_xlsx_sheet_is_named_as_the_input_read(tmp_path: Path):
    src = write_xlsx(tmp_path / "extract.xlsx", {"Ẩn": [HEADER], "Hồ sơ": [HEADER, *ROWS]})
    ext = copy(src, tmp_path / "copy.xlsx", sheet="Hồ sơ")
    assert ext.sheet == "Hồ sơ"
    import openpyxl

    assert openpyxl.load_workbook(tmp_path / "copy.xlsx").sheetnames == ["Hồ sơ"]
    same_records(src, tmp_path / "copy.xlsx", sheet="Hồ sơ")


def test_xlsx_blank_rows_and_a_report_footer_are_not_copied(tmp_path: Path):
    footer = [[], ["Người lập biểu", None, "Thủ trưởng đơn vị"], [], ["(Ký, ghi rõ họ tên)"]]
    sheet = [HEADER, ROWS[0], [], [None, None], ROWS[1], ROWS[2], *footer]
    src = write_xlsx(tmp_path / "extract.xlsx", {"Sheet": sheet})
    copy(src, tmp_path / "copy.xlsx")
    assert [[v for v, _ in r] for r in _sheet_cells(tmp_path / "copy.xlsx")] == [HEADER, *ROWS]


def test_characters_xml_cannot_hold_do_not_break_the_workbook(tmp_path: Path):
    src = write_xlsx(tmp_path / "extract.xlsx", {"Sheet": [HEADER, *ROWS]})
    ext = open_extract(src)
    with copy_writer(ext, tmp_path / "copy.xlsx") as writer:
        for chunk in ext.chunks():
            frame = file_frame(chunk.frame, ext).copy()
            frame.iloc[0, 1] = "An\x01\x1f\ufffe"
            frame.iloc[1, 1] = "dòng\r\nhai _x0041_"
            frame.iloc[2, 1] = "=1+1"
            writer.write(frame)
    cells = _sheet_cells(tmp_path / "copy.xlsx")
    assert cells[1][1] == ("An\ufffd\ufffd\ufffd", "s")
    assert cells[3][1] == ("=1+1", "s")  # text, never a formula
    _, back = read_all(tmp_path / "copy.xlsx")
    assert back["full_name"].tolist() == ["An\ufffd\ufffd\ufffd", "dòng\nhai _x0041_", "=1+1"]


def test_several_xlsx_chunks_make_one_sheet(tmp_path: Path):
    rows = [[f"0010850{i:05d}", f"Người {i}", "01/01/1990", "Nam", i] for i in range(10)]
    src = write_xlsx(tmp_path / "extract.xlsx", {"Sheet": [["TIÊU ĐỀ"], [*HEADER, "STT"], *rows]})
    copy(src, tmp_path / "copy.xlsx", chunk_rows=3)
    cells = _sheet_cells(tmp_path / "copy.xlsx")
    assert [[v for v, _ in r] for r in cells[2:]] == rows
    same_records(src, tmp_path / "copy.xlsx", chunk_rows=3)
    import openpyxl

    ws = openpyxl.load_workbook(tmp_path / "copy.xlsx", read_only=True).worksheets[0]
    assert ws.calculate_dimension() == "A1:E12"  # known, so no reader scans for it


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("0", True),
        ("12", True),
        ("-7", True),
        ("1.5", True),
        ("-0.25", True),
        ("0.0001", True),
        ("1e-05", True),
        ("1.5e+16", True),
        ("123456789012345", True),
        ("1234567890123456", False),  # beyond what a double holds of 15 digits
        ("012", False),
        ("001085012345", False),
        ("1.50", False),
        ("+5", False),
        ("-0", False),
        ("1,5", False),
        (" 12", False),
        ("1.", False),
        ("1e+05", False),  # the reader shows that number as 100000
        ("0.00001", False),  # ...and this one as 1e-05
        ("12/05/1990", False),
        ("", False),
    ],
)
def test_a_cell_is_a_number_only_as_the_reader_shows_a_number_cell(text: str, number: bool):
    mask = number_cells(pa.array([text, "x"]))
    assert (mask is not None and mask[0].as_py()) is number


def test_an_unknown_number_cell_reads_back_as_the_same_text(tmp_path: Path):
    values = [0, 12, -7, 1.5, 0.1, 1e-05, 1.5e16, 123456789012345, 2**53]
    rows = [["001085012345", "An", "1990", "Nam", v] for v in values]
    src = write_xlsx(tmp_path / "extract.xlsx", {"Sheet": [[*HEADER, "Số"], *rows]})
    copy(src, tmp_path / "copy.xlsx")
    same_records(src, tmp_path / "copy.xlsx")


def test_zip64_only_for_a_copy_that_may_pass_2_gib(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import cleanse.rewrite

    src = write_xlsx(tmp_path / "extract.xlsx", {"Sheet": [HEADER, *ROWS]})
    copy(src, tmp_path / "copy.xlsx")
    with zipfile.ZipFile(tmp_path / "copy.xlsx") as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").extract_version < 45  # a plain entry
    monkeypatch.setattr(cleanse.rewrite, "_ZIP64_FROM", 0)
    copy(src, tmp_path / "big.xlsx")
    with zipfile.ZipFile(tmp_path / "big.xlsx") as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").extract_version >= 45
    same_records(src, tmp_path / "big.xlsx")


@pytest.mark.skipif(soffice() is None, reason="LibreOffice is not installed")
def test_libreoffice_keeps_the_zeros_of_an_xlsx_copy(tmp_path: Path):
    src = write_xlsx(tmp_path / "extract.xlsx", {"Danh sách": SHEET})
    copy(src, tmp_path / "copy.xlsx")
    profile = tmp_path / "profile"
    done = subprocess.run(
        [
            str(soffice()),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1",
            "--outdir",
            str(tmp_path / "lo"),
            str(tmp_path / "copy.xlsx"),
        ],
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    back = pd.read_csv(tmp_path / "lo" / "copy.csv", dtype=str, keep_default_na=False, header=1)
    assert back["Số định danh cá nhân"].tolist() == ["001085012345", "079190012346", "001085012347"]
    assert back["Mã số BHXH"].tolist()[:2] == ["0123456789", "7912345678"]
    assert back["Mã hộ"].tolist() == ["012", "HK 7", "1.50"]


# --- parquet ------------------------------------------------------------------------------


def _parquet(tmp_path: Path, rows: int = 3) -> Path:
    frame = pd.DataFrame(
        {
            HEADER[0]: [f"0010850{i:05d}" if i % 3 else None for i in range(rows)],
            HEADER[1]: [f"Người {i}" if i % 4 else "" for i in range(rows)],
            HEADER[2]: pd.to_datetime(["1990-05-12"] * rows).date,
            HEADER[3]: ["Nam", "Nữ"] * (rows // 2) + ["Nam"] * (rows % 2),
            "Số con": pd.array(range(rows), dtype="int64"),
            "Điểm": [i / 4 for i in range(rows)],
            "Hồ sơ": [{"so": i, "loai": "A"} if i % 2 else None for i in range(rows)],
        }
    )
    path = tmp_path / "extract.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return path


def test_a_parquet_copy_keeps_the_types_of_the_other_columns(tmp_path: Path):
    src = _parquet(tmp_path)
    dest = tmp_path / "copy.parquet"
    copy(src, dest)
    source, out = pq.read_table(src), pq.read_table(dest)
    assert out.column_names == source.column_names
    assert b"pandas" in source.schema.metadata
    assert b"pandas" not in (out.schema.metadata or {})
    for name in HEADER:
        assert out.schema.field(name).type == pa.string()
    assert out.schema.field("Số con").type == pa.int64()
    for name in ("Số con", "Điểm", "Hồ sơ"):
        assert out.column(name).equals(source.column(name))
    assert out.column(HEADER[0]).to_pylist() == [None, "001085000001", "001085000002"]
    assert out.column(HEADER[1]).to_pylist() == [None, "Người 1", "Người 2"]  # empty: null
    assert out.column(HEADER[2]).to_pylist() == ["12/05/1990"] * 3  # as read: text
    same_records(src, dest)


def test_the_other_parquet_columns_are_recut_to_every_chunk(tmp_path: Path):
    src = _parquet(tmp_path, rows=10)
    dest = tmp_path / "copy.parquet"
    copy(src, dest, chunk_rows=3)
    source, out = pq.read_table(src), pq.read_table(dest)
    assert pq.ParquetFile(dest).metadata.num_row_groups == 4
    for name in ("Số con", "Điểm", "Hồ sơ"):
        assert out.column(name).to_pylist() == source.column(name).to_pylist()
    assert out.column(HEADER[3]).to_pylist() == source.column(HEADER[3]).to_pylist()
    same_records(src, dest, chunk_rows=3)


def test_a_parquet_copy_of_fewer_records_than_the_file_is_refused(tmp_path: Path):
    src = _parquet(tmp_path, rows=6)
    ext = open_extract(src, chunk_rows=4)
    writer = copy_writer(ext, tmp_path / "copy.parquet")
    writer.write(file_frame(next(ext.chunks()).frame, ext))
    with pytest.raises(ValueError, match="4 records, the Parquet file 6"):
        writer.close()
    assert not (tmp_path / "copy.parquet").exists()


# --- the writer ---------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx", ".parquet"])
def test_an_error_inside_the_with_removes_the_partial_file(tmp_path: Path, suffix: str):
    if suffix == ".csv":
        src = tmp_path / "extract.csv"
        src.write_text(csv_text([HEADER, *ROWS]), encoding="utf-8")
    elif suffix == ".xlsx":
        src = write_xlsx(tmp_path / "extract.xlsx", {"Sheet": [HEADER, *ROWS]})
    else:
        src = _parquet(tmp_path)
    ext = open_extract(src)
    dest = tmp_path / "out" / f"copy{suffix}"
    dest.parent.mkdir()
    with pytest.raises(KeyboardInterrupt), copy_writer(ext, dest) as writer:
        for chunk in ext.chunks():
            writer.write(file_frame(chunk.frame, ext))
        raise KeyboardInterrupt
    assert list(dest.parent.iterdir()) == []  # no temporary file left either


def test_a_frame_of_other_columns_is_refused(tmp_path: Path):
    src = tmp_path / "extract.csv"
    src.write_text(csv_text([HEADER, *ROWS]), encoding="utf-8")
    ext = open_extract(src)
    with copy_writer(ext, tmp_path / "copy.csv") as writer:
        frame = next(ext.chunks()).frame  # renamed to the fields
        with pytest.raises(ValueError, match="headers"):
            writer.write(frame)
        writer.write(file_frame(frame, ext))
    assert (tmp_path / "copy.csv").read_bytes() == BOM + src.read_bytes()
